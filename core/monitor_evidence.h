// What a production monitor's evaluation (core/monitor_eval.h) becomes once it is recorded and
// told (docs/monitoring.md, "Alerts, retraining and status"): its evidence as JSON, the kinds of
// checks the monitor has and those that alerted, the reasons a notification and a retraining
// carry, the commit status's words, and the rubric's credit for a watched production. Pure.
#pragma once

#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/gate.h"
#include "core/monitor_eval.h"
#include "core/notification.h"

namespace mlgate::core {

// The kinds of checks `config` has, in FindingKind order: "skew" and "drift" for drift rules,
// "prediction_drift", "missing", "quality", "staleness".
std::vector<std::string> monitor_kinds(const MonitorConfig& config);

// The kinds of the findings that alert, in FindingKind order, each once.
std::vector<std::string> alerting_kinds(const MonitorEvaluation& e);

// The kinds with a finding that rests on data (not no_data), in FindingKind order, each once: what
// the rubric credits as evaluated (docs/monitoring.md, "The rubric sees production").
std::vector<std::string> data_kinds(const MonitorEvaluation& e);

// {"state", "dataset_drift_share", "dataset_drift", "findings": [{"kind", "feature", "test",
// "statistic", "p_value"?, "distance"?, "interval"?: [lo, hi], "threshold", "n", "reference_n",
// "drifted", "state", "reason"}]}; non-finite numbers as null.
nlohmann::json monitor_evidence_json(const MonitorEvaluation& e);

// The findings that alert, as a notification's reasons ("skew income": "psi 0.31 >= 0.1").
std::vector<NotificationReason> alerting_reasons(const MonitorEvaluation& e);

// MLGATE_TRIGGER_REASON of a retraining: "monitor <environment> alerting: <kind feature: reason>;
// ..." cut to 1,000 bytes.
std::string retrain_reason(const std::string& environment, const MonitorEvaluation& e);

// The commit status of the deployed commit: state success (ok), failure (alerting) or pending
// (no data), and a description of at most 140 bytes.
struct MonitorStatusWords {
  std::string state;
  std::string description;
};
MonitorStatusWords monitor_status_words(const MonitorEvaluation& e);

// The rubric items a watched production earns (the ML Test Score's monitor-2, -3, -4, -7): an item
// scores 1 ("automated") when the candidate's monitor for the environment has that kind of check
// (`configured`) and the environment's monitor evaluated it with data within the last 24 hours
// (`evaluated`): missing → monitor-2, skew → monitor-3, staleness → monitor-4, quality →
// monitor-7. An item that already scores 1 is left as it is. Returns the ids credited.
std::vector<std::string> credit_monitored_production(RubricScore& score,
                                                     const std::string& environment,
                                                     const std::vector<std::string>& configured,
                                                     const std::set<std::string>& evaluated);

}  // namespace mlgate::core
