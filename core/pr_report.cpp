#include "core/pr_report.h"

#include <cmath>
#include <sstream>

#include "core/json_fields.h"
#include "core/prediction_flips.h"
#include "util/strings.h"

namespace mlgate::core {
namespace {

using nlohmann::json;

constexpr std::size_t kRowsPerGate = 40;  // the page has the rest

std::string number(double v) {
  if (!std::isfinite(v)) return std::isnan(v) ? "NaN" : (v > 0 ? "inf" : "-inf");
  std::ostringstream s;
  s.precision(4);
  s << v;
  return s.str();
}

std::string number(const json& v) {
  return v.is_number() ? number(v.get<double>()) : "-";
}

bool blocks(const json& c) {
  const auto& b = json_field(c, "blocks");
  if (b.is_boolean()) return b.get<bool>();
  const auto status = json_string(c, "status");
  return status == "fail" || status == "missing";
}

std::string status_mark(const std::string& status) {
  if (status == "pass") return "✅ pass";
  if (status == "fail") return "❌ fail";
  if (status == "missing") return "❌ missing";
  if (status == "inconclusive") return "❔ inconclusive";
  if (status == "pending") return "⏳ pending";
  return markdown_inline(status, 40);
}

std::string decision_mark(const std::string& decision) {
  if (decision == "allow") return "✅";
  if (decision == "deny") return "❌";
  if (decision == "pending") return "⏳";
  return "⚠️";
}

std::string state_mark(const std::string& state) {
  if (state == "passed") return "✅";
  if (state == "failed" || state == "timed_out" || state == "error") return "❌";
  if (state == "running") return "🔄";
  if (state == "skipped" || state == "cancelled") return "⏭️";
  return "⏳";
}

// "-0.04 [-0.06, -0.02]": the candidate's change from the baseline, with its paired interval.
std::string change_text(const json& c) {
  const auto& value = json_field(c, "value");
  const auto& baseline = json_field(c, "baseline");
  std::string out = "-";
  if (value.is_number() && baseline.is_number()) {
    const double d = value.get<double>() - baseline.get<double>();
    out = (d > 0 ? "+" : "") + number(d);
  }
  const auto& interval = json_field(c, "delta_interval");
  if (interval.is_array() && interval.size() == 2)
    out += " [" + number(interval[0]) + ", " + number(interval[1]) + "]";
  return out;
}

bool is_metric_kind(const std::string& kind) {
  return kind == "metric" || kind == "slice" || kind == "fairness";
}

void metrics_table(const json& checks, std::string& out) {
  std::size_t rows = 0, total = 0;
  for (const auto& c : checks) total += is_metric_kind(json_string(c, "kind")) ? 1 : 0;
  if (total == 0) return;
  out +=
      "| status | check | baseline | candidate | change [interval] | threshold |\n"
      "|---|---|---|---|---|---|\n";
  for (int pass = 0; pass < 2; ++pass) {  // blocking checks first
    for (const auto& c : checks) {
      if (!is_metric_kind(json_string(c, "kind")) || (pass == 0) != blocks(c)) continue;
      if (rows++ == kRowsPerGate) break;
      out += "| " + status_mark(json_string(c, "status")) + " | " +
             markdown_inline(json_string(c, "kind") + " " + json_string(c, "name")) + " | " +
             number(json_field(c, "baseline")) + " | " + number(json_field(c, "value")) + " | " +
             change_text(c) + " | " + markdown_inline(json_string(c, "threshold"), 80) + " |\n";
    }
  }
  if (total > kRowsPerGate)
    out +=
        "\n…and " + std::to_string(total - kRowsPerGate) + " more checks on the pipeline page.\n";
  out += "\n";
}

// A list of checks under a heading, each "kind name: reason"; nothing when none qualifies.
template <typename Pick>
void check_list(const json& checks, const std::string& heading, Pick pick, std::string& out) {
  std::string items;
  std::size_t n = 0;
  for (const auto& c : checks) {
    if (!pick(c) || n++ >= 10) continue;
    items += "- " + status_mark(json_string(c, "status")) + " " +
             markdown_inline(json_string(c, "kind") + " " + json_string(c, "name")) + ": " +
             markdown_inline(json_string(c, "reason")) + "\n";
  }
  if (items.empty()) return;
  out += "**" + heading + "**\n\n" + items;
  if (n > 10) out += "- …and " + std::to_string(n - 10) + " more\n";
  out += "\n";
}

// A label in a table cell: escaped and short; a missing label says so.
std::string label_cell(const std::string& label) {
  return label.empty() ? "(no label)" : markdown_inline(label, 60);
}

// The flipped examples of the (first) flip_rate check, as a table; nothing without any.
void flipped_examples(const json& checks, std::string& out) {
  for (const auto& c : checks) {
    if (json_string(c, "kind") != "predictions" || json_string(c, "name") != "flip_rate") continue;
    const auto& examples = json_field(c, "examples");
    if (!examples.is_array() || examples.empty()) continue;
    out += "| flipped example | baseline | candidate | truth |\n|---|---|---|---|\n";
    std::size_t n = 0;
    for (const auto& e : examples) {
      if (!e.is_object()) continue;
      if (n++ == kFlippedExamplesMax) break;
      const auto& truth = json_field(e, "truth");
      out += "| " + markdown_inline(json_string(e, "id"), 60) + " | " +
             label_cell(json_string(e, "baseline")) + " | " +
             label_cell(json_string(e, "candidate")) + " | " +
             (truth.is_string() ? label_cell(truth.get<std::string>()) : "-") + " |\n";
    }
    out += "\n";
    return;
  }
}

void rule_changes(const json& answer, std::string& out) {
  const auto& rules = json_field(answer, "rules");
  const auto& differences = json_field(rules, "differences");
  if (!differences.is_array() || differences.empty()) return;
  out += "**Rules that differ from the deployed commit's** (deployed → this pull request):\n\n";
  for (const auto& d : differences) out += "- " + markdown_inline(json_string(d, "text")) + "\n";
  out += "\n";
}

void gate_section(const PrReportGate& g, std::string& out) {
  if (!g.error.empty()) {
    out += "### ⚠️ " + markdown_inline(g.environment, 100) + " — error\n\n" +
           markdown_inline(g.error) + "\n\n";
    return;
  }
  const std::string decision = json_string(g.answer, "decision");
  out += "### " + decision_mark(decision) + " " + markdown_inline(g.environment, 100) + " — " +
         markdown_inline(decision.empty() ? "error" : decision, 40) + "\n\n";
  if (const auto summary = json_string(g.answer, "summary"); !summary.empty())
    out += markdown_inline(summary, 600) + "\n\n";
  const auto& checks = json_field(g.answer, "checks");
  if (!checks.is_array()) return;
  metrics_table(checks, out);
  check_list(
      checks, "Failing slices",
      [](const json& c) {
        return (json_string(c, "kind") == "slice" || json_string(c, "kind") == "fairness") &&
               blocks(c);
      },
      out);
  check_list(
      checks, "Predictions (flipped examples)",
      [](const json& c) { return json_string(c, "kind") == "predictions"; }, out);
  flipped_examples(checks, out);
  check_list(
      checks, "Other blocking checks",
      [](const json& c) {
        const auto kind = json_string(c, "kind");
        return !is_metric_kind(kind) && kind != "predictions" && blocks(c);
      },
      out);
  rule_changes(g.answer, out);
}

std::string whole_report(const PrReport& r) {
  std::string out = std::string(kPrReportMarker) + "\n## mlgate: `" + util::short_sha(r.sha) +
                    "` — " + markdown_inline(r.pipeline_state, 40) + "\n\n";
  for (const auto& t : r.tiers) {
    out += "- " + state_mark(t.state) + " " + markdown_inline(t.tier, 100) + " " +
           markdown_inline(t.state, 40);
    if (!t.message.empty()) out += " (" + markdown_inline(t.message, 200) + ")";
    out += "\n";
  }
  if (!r.tiers.empty()) out += "\n";
  if (!r.error.empty()) out += "⚠️ " + markdown_inline(r.error, 600) + "\n\n";
  if (r.gates.empty()) out += "No gate has decided on this commit yet.\n\n";
  for (const auto& g : r.gates) gate_section(g, out);
  if (!r.link.empty()) out += "[The whole report in mlgate](" + r.link + ")\n";
  return out;
}

// The link as a Markdown destination: only an http(s) URL without spaces or brackets is kept.
std::string safe_link(const std::string& link) {
  if (link.rfind("http://", 0) != 0 && link.rfind("https://", 0) != 0) return "";
  for (const char ch : link)
    if (ch == ' ' || ch == '(' || ch == ')' || ch == '<' || ch == '>' || ch == '\n' || ch == '\r')
      return "";
  return link;
}

}  // namespace

std::string markdown_inline(std::string_view input, std::size_t limit) {
  std::string_view s = input;
  bool cut = false;
  if (s.size() > limit) {
    std::size_t end = limit;
    while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
    s = s.substr(0, end);
    cut = true;
  }
  // Links, images, emphasis, code, tables, issue references and autolinks ("https://").
  static constexpr std::string_view kPunct = "\\`*_[]()!|~#:";
  std::string out;
  out.reserve(s.size() + 8);
  for (const char ch : s) {
    if (ch == '<') {
      out += "&lt;";
    } else if (ch == '>') {
      out += "&gt;";
    } else if (ch == '&') {
      out += "&amp;";
    } else if (ch == '\n' || ch == '\r' || ch == '\t') {
      out += ' ';
    } else if (ch == '@') {
      out += "@\u200b";
    } else if (static_cast<unsigned char>(ch) < 0x20) {
      continue;
    } else {
      if (kPunct.find(ch) != std::string_view::npos) out += '\\';
      out += ch;
    }
  }
  return cut ? out + "…" : out;
}

std::string pr_report_markdown(const PrReport& report, std::size_t limit) {
  PrReport r = report;
  r.link = safe_link(r.link);
  std::string out = whole_report(r);
  if (out.size() <= limit) return out;
  const std::string note = "\n\n…this report was cut to fit the forge's limit of " +
                           std::to_string(limit) + " characters" +
                           (r.link.empty() ? "." : "; [the whole report](" + r.link + ")") + "\n";
  std::size_t end = limit > note.size() ? limit - note.size() : 0;
  const auto line = out.rfind('\n', end);
  if (line != std::string::npos && line > 0) end = line;
  while (end > 0 && (static_cast<unsigned char>(out[end]) & 0xC0) == 0x80) --end;
  return out.substr(0, end) + note.substr(0, limit - std::min(limit, end));
}

}  // namespace mlgate::core
