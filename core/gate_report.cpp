#include "core/gate_report.h"

#include <cstdint>
#include <sstream>

#include "core/json_fields.h"
#include "core/prometheus_text.h"

namespace mlgate::core {
namespace {

using nlohmann::json;

std::string number(const json& v) {
  if (!v.is_number()) return "";
  std::ostringstream s;
  s.precision(4);
  s << v.get<double>();
  return s.str();
}

bool blocks(const json& c) {
  const auto& b = json_field(c, "blocks");
  if (b.is_boolean()) return b.get<bool>();
  const auto status = json_string(c, "status");
  if (status == "inconclusive") return json_string(c, "inconclusive") != "pass";
  return status == "fail" || status == "missing";
}

std::string interval_text(const json& c) {
  auto pair = [](const json& i) { return "[" + number(i.at(0)) + ", " + number(i.at(1)) + "]"; };
  const auto& delta = json_field(c, "delta_interval");
  if (delta.is_array() && delta.size() == 2) return "Δ " + pair(delta);
  const auto& value = json_field(c, "interval");
  if (value.is_array() && value.size() == 2) return pair(value);
  return "";
}

std::string n_text(const json& c) {
  const auto& n = json_field(c, "n");
  if (!n.is_number_integer()) return "";
  const auto of = json_string(c, "n_of");
  return std::to_string(n.get<std::int64_t>()) + (of.empty() ? "" : " " + of);
}

std::string status_mark(const std::string& status) {
  if (status == "pass") return "✅ pass";
  if (status == "fail") return "❌ fail";
  if (status == "missing") return "❌ missing";
  if (status == "inconclusive") return "❔ inconclusive";
  if (status == "pending") return "⏳ pending";
  return status;
}

std::string decision_mark(const std::string& decision) {
  if (decision == "allow") return "✅";
  if (decision == "deny") return "❌";
  if (decision == "pending") return "⏳";
  return "⚠️";
}

void checks_table(const json& checks, std::string& out) {
  bool evidence = false;
  for (const auto& c : checks) evidence = evidence || c.contains("method");
  out += evidence ? "| status | check | value | baseline | interval | n | threshold | reason |\n"
                    "|---|---|---|---|---|---|---|---|\n"
                  : "| status | check | value | baseline | threshold | reason |\n"
                    "|---|---|---|---|---|---|\n";
  for (int pass = 0; pass < 2; ++pass) {
    for (const auto& c : checks) {
      if ((pass == 0) != blocks(c)) continue;
      out += "| " + markdown_cell(status_mark(json_string(c, "status"))) + " | " +
             markdown_cell(json_string(c, "kind") + " " + json_string(c, "name")) + " | " +
             number(json_field(c, "value")) + " | " + number(json_field(c, "baseline")) + " | ";
      if (evidence)
        out += markdown_cell(interval_text(c)) + " | " + markdown_cell(n_text(c)) + " | ";
      out += markdown_cell(json_string(c, "threshold")) + " | " +
             markdown_cell(json_string(c, "reason")) + " |\n";
    }
  }
}

// Label values without spaces: GitLab's metrics parser splits a line on them.
std::string label(const std::string& s) {
  std::string out = s.substr(0, 200);
  for (char& ch : out)
    if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r') ch = '_';
  return out;
}

}  // namespace

std::string markdown_cell(const std::string& input) {
  std::string s = input;
  if (s.size() > 300) {
    std::size_t end = 300;
    while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;  // whole chars
    s = s.substr(0, end) + "…";
  }
  std::string out;
  for (const char ch : s) {
    switch (ch) {
      case '|':
        out += "\\|";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '\n':
      case '\r':
        out += ' ';
        break;
      default:
        out += ch;
    }
  }
  return out;
}

std::string gate_markdown(const json& result, const std::string& environment,
                          const std::string& link) {
  const std::string decision = json_string(result, "decision");
  std::string out = "### " + decision_mark(decision) + " mlgate: " + markdown_cell(environment) +
                    " — " + markdown_cell(decision.empty() ? "error" : decision) + "\n\n";
  const std::string summary = json_string(result, "summary");
  if (!summary.empty()) out += markdown_cell(summary) + "\n\n";
  const auto& checks = json_field(result, "checks");
  if (checks.is_array() && !checks.empty()) {
    checks_table(checks, out);
    out += "\n";
  }
  const auto& rules = json_field(result, "rules");
  const auto& differences = json_field(rules, "differences");
  if (differences.is_array() && !differences.empty()) {
    out += "Rules that differ (deployed → candidate):\n";
    for (const auto& d : differences) out += "- " + markdown_cell(json_string(d, "text")) + "\n";
    out += "\n";
  } else if (!json_string(rules, "note").empty()) {
    out += "Rules: " + markdown_cell(json_string(rules, "note")) + "\n\n";
  }
  const auto& rubric = json_field(result, "rubric");
  if (json_field(rubric, "score").is_number()) {
    out += "ML Test Score: **" + number(json_field(rubric, "score")) + "**";
    const auto& sections = json_field(rubric, "sections");
    if (sections.is_object()) {
      std::string parts;
      for (auto it = sections.begin(); it != sections.end(); ++it)
        parts += (parts.empty() ? "" : ", ") + markdown_cell(it.key()) + " " + number(it.value());
      out += " (" + parts + ")";
    }
    if (!json_string(rubric, "band").empty())
      out += " — " + markdown_cell(json_string(rubric, "band"));
    out += "\n\n";
  }
  if (!link.empty()) out += "[The pipeline in mlgate](" + markdown_cell(link) + ")\n";
  return out;
}

std::string gate_openmetrics(const json& result, const std::string& environment) {
  const std::string env = label(environment);
  MetricFamily allowed{"mlgate_gate_allowed", "1 when the gate allows the commit",
                       MetricType::gauge};
  allowed.samples.push_back(
      {{{"environment", env}}, json_string(result, "decision") == "allow" ? 1.0 : 0.0});
  MetricFamily passed{"mlgate_check_passed", "1 when the check passed", MetricType::gauge};
  MetricFamily value{"mlgate_check_value", "the candidate's value", MetricType::gauge};
  MetricFamily baseline{"mlgate_check_baseline", "the deployed commit's value", MetricType::gauge};
  const auto& checks = json_field(result, "checks");
  for (const auto& c : checks.is_array() ? checks : json::array()) {
    MetricLabels l = {{"environment", env},
                      {"kind", label(json_string(c, "kind"))},
                      {"check", label(json_string(c, "name"))}};
    passed.samples.push_back({l, json_string(c, "status") == "pass" ? 1.0 : 0.0});
    if (json_field(c, "value").is_number())
      value.samples.push_back({l, json_field(c, "value").get<double>()});
    if (json_field(c, "baseline").is_number())
      baseline.samples.push_back({l, json_field(c, "baseline").get<double>()});
  }
  std::vector<MetricFamily> families = {allowed, passed, value, baseline};
  const auto& score = json_field(json_field(result, "rubric"), "score");
  if (score.is_number()) {
    MetricFamily rubric{"mlgate_rubric_score", "the ML Test Score", MetricType::gauge};
    rubric.samples.push_back({{{"environment", env}}, score.get<double>()});
    families.push_back(rubric);
  }
  return render_prometheus_text(families) + "# EOF\n";
}

}  // namespace mlgate::core
