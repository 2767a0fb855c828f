#include "cli/gate_output.h"

#include <algorithm>
#include <cstdint>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "cli/client.h"

namespace mlgate::cli {
namespace {

std::string number(const nlohmann::json& v) {
  if (!v.is_number()) return "-";
  std::ostringstream s;
  s << std::setprecision(6) << v.get<double>();
  return s.str();
}

// o[key] when o is an object holding it, else null (no temporaries: GCC's -Wmaybe-uninitialized
// trips over nlohmann's value() with a default).
const nlohmann::json& field(const nlohmann::json& o, const char* key) {
  static const nlohmann::json null_value;
  if (!o.is_object()) return null_value;
  auto it = o.find(key);
  return it == o.end() ? null_value : *it;
}

std::string text(const nlohmann::json& o, const char* key) {
  return o.contains(key) && o[key].is_string() ? o[key].get<std::string>() : "";
}

bool blocks(const nlohmann::json& c) {
  if (c.contains("blocks") && c["blocks"].is_boolean()) return c["blocks"].get<bool>();
  const auto status = text(c, "status");
  if (status == "inconclusive") return text(c, "inconclusive") != "pass";
  return status == "fail" || status == "missing";
}

// Whether any check rests on evidence computed from predictions: then the table shows it.
bool has_evidence(const nlohmann::json& checks) {
  if (!checks.is_array()) return false;
  return std::any_of(checks.begin(), checks.end(),
                     [](const nlohmann::json& c) { return c.contains("method"); });
}

// "[0.885, 0.981]" for a value's interval, "change [-0.106, -0.0235]" for a change's; "-" without.
std::string interval_cell(const nlohmann::json& c) {
  auto pair = [](const nlohmann::json& i) {
    return "[" + number(i.at(0)) + ", " + number(i.at(1)) + "]";
  };
  const auto& delta = field(c, "delta_interval");
  if (delta.is_array() && delta.size() == 2) return "change " + pair(delta);
  const auto& value = field(c, "interval");
  if (value.is_array() && value.size() == 2) return pair(value);
  return "-";
}

// "85 positives"; "-" without.
std::string n_cell(const nlohmann::json& c) {
  const auto& n = field(c, "n");
  if (!n.is_number_integer()) return "-";
  const auto of = text(c, "n_of");
  return std::to_string(n.get<std::int64_t>()) + (of.empty() ? "" : " " + of);
}

// Whether the answer judged by two rule sets that differ: then each check says whose rule it is.
bool rules_differ(const nlohmann::json& result) {
  const auto& differences = field(field(result, "rules"), "differences");
  return differences.is_array() && !differences.empty();
}

// The rules in force, after the table: the note ("no deployment to production yet: …") and how
// the candidate's rules differ from the deployed commit's, one line per rule.
void print_rules(const nlohmann::json& result) {
  const auto& rules = field(result, "rules");
  const auto note = text(rules, "note");
  if (!note.empty()) std::cout << "rules: " << note << "\n";
  if (!rules_differ(result)) return;
  std::cout << "rules that differ (deployed → candidate):\n";
  for (const auto& d : field(rules, "differences")) std::cout << "  " << text(d, "text") << "\n";
}

}  // namespace

void print_gate_table(const nlohmann::json& result, const std::string& environment) {
  std::vector<std::vector<std::string>> rows;
  const auto& checks = field(result, "checks");
  const bool by_rule_set = rules_differ(result);
  const bool evidence = has_evidence(checks);
  // Failing checks first: what a person has to act on.
  for (int pass = 0; pass < 2 && checks.is_array(); ++pass) {
    for (const auto& c : checks) {
      if ((pass == 0) != blocks(c)) continue;
      rows.push_back({text(c, "status"), text(c, "kind"), text(c, "name"),
                      number(field(c, "value")), number(field(c, "baseline")), text(c, "threshold"),
                      text(c, "reason")});
      if (evidence) rows.back().insert(rows.back().begin() + 5, {interval_cell(c), n_cell(c)});
      if (by_rule_set) rows.back().insert(rows.back().begin() + 3, text(c, "rule_set"));
    }
  }
  std::vector<std::string> header = {"STATUS",   "KIND",      "CHECK", "VALUE",
                                     "BASELINE", "THRESHOLD", "REASON"};
  if (evidence) header.insert(header.begin() + 5, {"INTERVAL", "N"});
  if (by_rule_set) header.insert(header.begin() + 3, "RULES");
  print_table(header, rows);
  const auto& rubric = field(result, "rubric");
  std::cout << "\nrubric: score " << number(field(rubric, "score")) << " (";
  bool first = true;
  const auto& sections = field(rubric, "sections");
  if (sections.is_object()) {
    for (auto it = sections.begin(); it != sections.end(); ++it) {
      std::cout << (first ? "" : ", ") << it.key() << " " << number(it.value());
      first = false;
    }
  }
  std::cout << ") — " << text(rubric, "band") << "\n";
  print_rules(result);
  const auto summary = text(result, "summary");
  std::cout << environment << ": " << (summary.empty() ? text(result, "decision") : summary)
            << "\n";
}

int gate_exit_code(const nlohmann::json& result) {
  const auto decision = text(result, "decision");
  if (decision == "allow") return 0;
  if (decision == "deny") return 1;
  return 2;
}

}  // namespace mlgate::cli
