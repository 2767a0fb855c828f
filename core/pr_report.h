// The report mlgate keeps on a pull request (GitHub) or merge request (GitLab) as one comment that
// it edits in place (docs/forge-feedback.md, "Pull-request reports"): the tiers' states, then per
// environment the gate's verdict, its metrics table (baseline, candidate, change with its interval,
// status), the failing slices, the prediction checks (flips, and up to five flipped examples as a
// table), the rules that differ from the deployed commit's, and a link to the pipeline. Pure: the
// gate's JSON answers in, Markdown out. Every text that may come from the pull request (tier and
// check names, job messages, reasons) is escaped so that it cannot add links, images, HTML or
// @-mentions to a comment mlgate signs.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace mlgate::core {

// The first line of every report: how mlgate finds its own comment among a pull request's.
inline constexpr std::string_view kPrReportMarker = "<!-- mlgate:pr-report -->";

// GitHub's limit on a comment's body (characters; mlgate counts bytes, which is never fewer).
inline constexpr std::size_t kPrReportLimit = 65536;

struct PrReportTier {
  std::string tier;
  std::string state;  // a job state's spelling: queued, running, passed, failed, ...
  std::string message;
};

struct PrReportGate {
  std::string environment;
  nlohmann::json answer;  // the gate API's answer (decision, summary, checks, rules)
  std::string error;      // not empty: the gate could not be evaluated (why)
};

struct PrReport {
  std::string sha;
  std::string pipeline_state;  // pending, running, passed, failed, ...
  std::string error;           // the pipeline's error (an unusable config), "" when none
  std::vector<PrReportTier> tiers;
  std::vector<PrReportGate> gates;
  std::string link;  // the pipeline's page, "" when the server has no public URL
};

// The comment's Markdown, at most `limit` bytes: a longer report is cut at a line and ends with a
// note saying so (and the link to the whole report when there is one).
std::string pr_report_markdown(const PrReport& report, std::size_t limit = kPrReportLimit);

// Inline text from outside made inert in Markdown: Markdown punctuation backslash-escaped, < > &
// as entities, newlines as spaces, "@" followed by a zero-width space (no mention), cut to
// `limit` bytes on a UTF-8 boundary.
std::string markdown_inline(std::string_view text, std::size_t limit = 300);

}  // namespace mlgate::core
