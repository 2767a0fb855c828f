// Rows of `monitor_states` and `monitor_evaluations` (docs/monitoring.md, "Alerts, retraining and
// status"): each environment's monitor state as of its last evaluation, the history of its
// evaluations with their evidence, and the retraining a monitor fires at most once per
// `retrain_every`.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <pqxx/pqxx>
#include <set>
#include <string>
#include <vector>

#include "core/states.h"

namespace mlgate::store {

// Every (repo, environment) that ever had a deployment; store/deployments says what is current.
struct DeployedEnvironment {
  std::int64_t repo_id = 0;
  std::string environment;
};
std::vector<DeployedEnvironment> deployed_environments(pqxx::transaction_base& tx);

// One evaluator at a time per (repo, environment): a transaction-level advisory lock. False when
// another transaction holds it (it is evaluating the same monitor).
bool try_lock_monitor(pqxx::work& tx, std::int64_t repo_id, const std::string& environment);

struct MonitorStateRow {
  std::int64_t repo_id = 0;
  std::string repo;  // full name
  std::string environment;
  core::MonitorState state = core::MonitorState::ok;
  std::string since;         // ISO 8601, UTC: when it entered this state
  std::string evaluated_at;  // ISO 8601, UTC
  double evaluated_epoch = 0;
  std::string sha;  // the deployed commit it judged
  std::int64_t transitions = 0;
  std::vector<std::string> kinds;           // the checks the monitor has
  std::vector<std::string> alerting_kinds;  // those that alerted (state alerting only)
  nlohmann::json evidence;
  std::optional<std::string> last_retrain_at;  // ISO 8601, UTC
  std::optional<double> last_retrain_epoch;
  std::optional<std::int64_t> retrain_pipeline_id;
};

std::optional<MonitorStateRow> monitor_state(pqxx::transaction_base& tx, std::int64_t repo_id,
                                             const std::string& environment);
// By repository name and environment; every repository when repo_id is nullopt, every
// environment of it when `environment` is empty.
std::vector<MonitorStateRow> list_monitor_states(pqxx::transaction_base& tx,
                                                 std::optional<std::int64_t> repo_id,
                                                 const std::string& environment = "");

struct MonitorRecord {
  std::int64_t repo_id = 0;
  std::string environment;
  std::string sha;
  core::MonitorState state = core::MonitorState::ok;
  std::vector<std::string> kinds;
  std::vector<std::string> alerting_kinds;
  std::vector<std::string> data_kinds;  // the kinds with a finding that rests on data
  nlohmann::json evidence = nlohmann::json::object();
  double evaluated_at = 0;  // seconds since the epoch
};

struct RecordedEvaluation {
  std::int64_t evaluation_id = 0;
  std::optional<core::MonitorState> previous;  // nullopt: the first evaluation
  // The state changed: from another state, or a first evaluation that is not ok.
  bool changed = false;
  std::int64_t transitions = 0;  // after this evaluation; numbers a change (notifications)
};

// Upserts the state row and appends the evaluation, in the caller's transaction (take
// try_lock_monitor first).
RecordedEvaluation record_monitor_evaluation(pqxx::work& tx, const MonitorRecord& r);

struct MonitorEvaluationRow {
  std::int64_t id = 0;
  std::string sha;
  core::MonitorState state = core::MonitorState::ok;
  std::optional<core::MonitorState> previous_state;
  bool changed = false;
  std::int64_t transition = 0;
  std::vector<std::string> kinds;
  std::vector<std::string> alerting_kinds;
  nlohmann::json evidence;
  std::string evaluated_at;  // ISO 8601, UTC
  double evaluated_epoch = 0;
};

// Newest first, at most `limit`; only the changes of state with `changes_only`.
std::vector<MonitorEvaluationRow> monitor_history(pqxx::transaction_base& tx, std::int64_t repo_id,
                                                  const std::string& environment, int limit,
                                                  bool changes_only = false);

// Claims the monitor's retraining: sets last_retrain_at to now unless it is within
// `every_seconds` of now. One UPDATE: two replicas cannot both win. False when not granted.
bool claim_monitor_retrain(pqxx::work& tx, std::int64_t repo_id, const std::string& environment,
                           std::int64_t every_seconds);
void set_monitor_retrain_pipeline(pqxx::work& tx, std::int64_t repo_id,
                                  const std::string& environment, std::int64_t pipeline_id);

// The kinds of checks the environment's monitor evaluated with data (a finding that is not
// no_data) within the last `seconds` (the rubric's evidence that production is watched).
std::set<std::string> monitor_kinds_evaluated(pqxx::transaction_base& tx, std::int64_t repo_id,
                                              const std::string& environment,
                                              std::int64_t seconds = 24 * 3600);

// When the commit was trained (seconds since the epoch): the end of its newest passed training
// job, else of its newest finished pipeline; nullopt when neither exists.
std::optional<double> commit_trained_at(pqxx::transaction_base& tx, std::int64_t repo_id,
                                        const std::string& sha);

// The monitor no longer exists (removed from `.mlgate.yml` at the deployed commit, or nothing is
// deployed): deletes its state row, so no gauge, API answer or CLI shows a stale state; the
// evaluations (the alert history) stay. False when there was no state row.
bool retire_monitor_state(pqxx::work& tx, std::int64_t repo_id, const std::string& environment);

// Where a commit's reference profile came from (the newest one, as reference_profile reads it).
struct ReferenceSource {
  std::int64_t pipeline_id = 0;
  std::int64_t job_id = 0;
  std::string tier;
  std::int64_t rows = 0;
  std::string created_at;  // ISO 8601, UTC
};
std::optional<ReferenceSource> reference_source(pqxx::transaction_base& tx, std::int64_t repo_id,
                                                const std::string& sha);

// Evaluations older than `days` that did not change the state; the changes (the alert history)
// stay. Returns how many were deleted (at most `limit`).
std::int64_t delete_old_monitor_evaluations(pqxx::work& tx, int days, int limit);

}  // namespace mlgate::store
