// The logic of an environment's page (docs/pages.md, docs/monitoring.md), pure: the findings of a
// monitor's evaluation as table rows, and the findings of a series of evaluations as one plot per
// (kind, feature, test) over time — drift and missing values per feature, quality per metric —
// each point the p-value, distance or statistic the finding was judged by, ringed when it was
// beyond its threshold. Bounded: at most `max_series` series.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/trend_svg.h"

namespace mlgate::core {

// One finding of an evaluation's evidence (core/monitor_evidence.h's JSON), as a page shows it.
struct FindingView {
  std::string kind;     // skew, drift, prediction_drift, missing, quality, staleness
  std::string feature;  // "" for quality and staleness
  std::string test;
  std::optional<double> statistic;
  std::optional<double> p_value;
  std::optional<double> distance;
  std::optional<double> threshold;
  std::optional<double>
      value;            // what is judged: the p-value, else the distance, else the statistic
  std::string measure;  // "ks p-value", "psi distance", "accuracy", ...
  long long n = 0;
  long long reference_n = 0;
  bool drifted = false;
  std::string state;  // ok, alerting, no_data
  std::string reason;
};
// The evidence's findings in their order; entries that are not objects are skipped.
std::vector<FindingView> finding_views(const nlohmann::json& evidence);

// One evaluation as a plot reads it.
struct EvaluationSample {
  std::string evaluated_at;  // the point's label
  nlohmann::json evidence;
};

enum class SeriesGroup { data, quality };

struct FindingSeries {
  SeriesGroup group = SeriesGroup::data;
  std::string title;               // "skew income · psi distance", "quality · accuracy"
  std::vector<TrendPoint> points;  // oldest first; NaN where the evaluation lacks the finding
  std::optional<double> latest;
  std::optional<double> threshold;  // the newest finding's
};

// One series per (kind, feature, test) of the evaluations (oldest first), in first-seen order,
// at most `max_series` (the rest are counted in `left_out`). Quality findings go to the quality
// group, staleness to none, every other kind to data. A finding without data (state no_data) is
// a gap in its series and starts none.
std::vector<FindingSeries> finding_series(const std::vector<EvaluationSample>& oldest_first,
                                          std::size_t max_series, std::size_t& left_out);

// Why an evaluation changed the state to `state`, in words: the alerting findings' "kind feature:
// reason" (alerting), the findings without data (no_data), "every check within its threshold"
// (ok); longer than max_bytes: cut there at a UTF-8 character boundary, and "…" added.
std::string change_reason(const std::string& state, const nlohmann::json& evidence,
                          std::size_t max_bytes);

// A state as the page writes it: "ok", "alerting", "no data".
std::string monitor_state_words(const std::string& state);

}  // namespace mlgate::core
