// The gate's decision as a report for where people read it (docs/gate.md, "Reports"): Markdown
// for a GitHub job summary or a pull-request comment, and OpenMetrics text for GitLab's metrics
// report (the merge-request widget). Pure: the gate's JSON in (core::gate_result_json, or the
// server's GET …/gate), text out.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace mlgate::core {

// "### ❌ mlgate: production — deny", the summary, a table of the checks (blocking ones first;
// value, baseline, interval and n when the check has them), the rules that differ from the
// deployed commit's, the rubric's score, and a link when `link` is given. Everything that comes
// from a config or a job is escaped so it cannot break the table or inject HTML.
std::string gate_markdown(const nlohmann::json& result, const std::string& environment,
                          const std::string& link = "");

// OpenMetrics text ending in "# EOF": mlgate_gate_allowed{environment} (1 allow, 0 otherwise),
// per check mlgate_check_passed / mlgate_check_value / mlgate_check_baseline
// {environment,kind,check} and mlgate_rubric_score. Label values hold no spaces (GitLab's parser
// splits lines on them): a space becomes "_".
std::string gate_openmetrics(const nlohmann::json& result, const std::string& environment);

// A Markdown table cell: | < > & escaped, newlines as spaces, cut to 300 bytes.
std::string markdown_cell(const std::string& text);

}  // namespace mlgate::core
