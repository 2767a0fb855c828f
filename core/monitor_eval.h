// One evaluation of a production monitor (docs/monitoring.md): a window of serving observations
// against the deployed commit's reference profile (skew) and against the windows before it
// (drift), the predictions' drift, missing values, quality from the predictions that carry their
// truth, and the deployed model's age. Pure: the caller gathers the profiles and rows and the
// clock's reading.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/feature_profile.h"
#include "core/results.h"
#include "core/states.h"
#include "core/stats.h"

namespace mlgate::core {

enum class FindingKind : std::uint8_t {
  skew,
  drift,
  prediction_drift,
  missing,
  quality,
  staleness
};
std::string to_string(FindingKind k);  // "skew", "drift", "prediction_drift", ...

struct MonitorInputs {
  const MonitorConfig* config = nullptr;
  const DatasetProfile* reference = nullptr;  // the deployed commit's; nullptr: none recorded
  const DatasetProfile* current = nullptr;    // this window (required)
  const DatasetProfile* previous = nullptr;   // the windows before, merged; nullptr: none
  // The window's predictions that carry their truth (binary), for `quality`; positive_label as
  // label text, empty for the default of core/example_metrics.h.
  std::span<const Prediction* const> quality_rows;
  std::string positive_label;
  std::optional<std::int64_t> trained_at;       // unix seconds: the deployed commit's training
  std::optional<std::int64_t> last_retrain_at;  // unix seconds: the last retraining it asked for
  std::int64_t now = 0;                         // unix seconds
};

// One check's evidence. state: alerting when this finding makes the monitor alert, no_data when
// there was nothing to judge (reason says why), else ok. A feature under the rule "*" that drifts
// has drifted = true but state ok: the "*" features alert together, through the share of them
// that drift (the finding with feature "*", test "share").
struct MonitorFinding {
  FindingKind kind = FindingKind::skew;
  std::string feature;     // "" for quality and staleness
  std::string test;        // a drift test, "share", "missing_share", a metric name, "age"
  double statistic = 0.0;  // KS D, chi-square, z, a distance, a share, a metric, an age in seconds
  std::optional<double> p_value;     // the p-value tests
  std::optional<double> distance;    // the distance tests
  std::optional<Interval> interval;  // quality with confidence: the metric's Wilson interval
  double threshold = 0.0;
  std::uint64_t n = 0;            // values (rows, examples) of the window the finding rests on
  std::uint64_t reference_n = 0;  // of the reference (or the previous windows)
  bool drifted = false;           // beyond its threshold
  MonitorState state = MonitorState::ok;
  std::string reason;
};

struct MonitorEvaluation {
  // alerting when a finding alerts; else no_data when the window holds no rows; else ok.
  MonitorState state = MonitorState::ok;
  std::vector<MonitorFinding> findings;
  // Of the features under "*" that could be tested against the reference, the share that drift.
  std::optional<double> dataset_drift_share;
  bool dataset_drift = false;  // dataset_drift_share >= the monitor's share
  bool notify = false;         // alerting and on_alert has notify
  // alerting, on_alert has retrain, and no retraining was asked for within retrain_every.
  bool retrain = false;
};

// Throws std::invalid_argument when config or current is missing.
MonitorEvaluation evaluate_monitor(const MonitorInputs& in);

}  // namespace mlgate::core
