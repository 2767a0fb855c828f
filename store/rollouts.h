// Rows of `rollouts`, `rollout_events` and `rollout_samples` (docs/rollouts.md, "On the server"):
// each environment's staged rollouts (at most one running or paused), their history of
// judgements and transitions, and the observations kept per (rollout, stage, side) for the judge.
// Times the worker compares are computed by PostgreSQL (one clock for every replica).
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "core/rollout_config.h"
#include "core/rollout_state.h"
#include "core/states.h"

namespace mlgate::store {

struct RolloutRow {
  std::int64_t id = 0;
  std::int64_t repo_id = 0;
  std::string environment;
  std::string candidate_sha;
  std::string stable_sha;
  core::RolloutConfig config;  // what it runs (core::rollout_in_force): the stages in force
  core::RolloutState state = core::RolloutState::running;
  std::size_t stage = 0;
  std::string stage_started_at;        // ISO 8601, UTC
  double stage_elapsed_seconds = 0;    // now() - stage_started_at
  std::optional<double> since_judged;  // now() - last_judged_at; unset: never judged
  std::string actor;
  std::string created_at;
  std::optional<std::string> finished_at;
  std::optional<std::int64_t> deployment_id;     // the candidate's deployment, once completed
  std::optional<std::int64_t> gate_decision_id;  // the gate's allow it started on
  std::string gate_rules;                        // the candidate's (core::gate_rules_json)
  // The candidate's own `rollouts:` entry and the stable commit's (unset: it has none), as they
  // were at the start. Both unset for a rollout started before rollouts followed the rules in
  // force (its `config` is the candidate's entry).
  std::optional<core::RolloutConfig> candidate_config;
  std::optional<core::RolloutConfig> deployed_config;

  core::RolloutPosition position() const { return {state, stage}; }
};

struct NewRollout {
  std::int64_t repo_id = 0;
  std::string environment;
  std::string candidate_sha;
  std::string stable_sha;
  core::RolloutConfig config;  // what it runs (core::rollout_in_force)
  std::string actor;
  std::optional<std::int64_t> gate_decision_id;
  std::string gate_rules;
  core::RolloutConfig candidate_config;
  std::optional<core::RolloutConfig> deployed_config;
};
// Inserts a running rollout at its first stage; nullopt when the environment has one running or
// paused already.
std::optional<std::int64_t> insert_rollout(pqxx::work& tx, const NewRollout& r);

std::optional<RolloutRow> get_rollout(pqxx::transaction_base& tx, std::int64_t id);
// The environment's newest rollout (running, paused or ended).
std::optional<RolloutRow> latest_rollout(pqxx::transaction_base& tx, std::int64_t repo_id,
                                         const std::string& environment);
// The rollouts whose candidate is `sha`, newest first (at most 20): what its pipeline page shows.
std::vector<RolloutRow> rollouts_of_commit(pqxx::transaction_base& tx, std::int64_t repo_id,
                                           const std::string& sha);
// The environment's running or paused rollout, its row locked until the transaction ends.
std::optional<RolloutRow> lock_active_rollout(pqxx::work& tx, std::int64_t repo_id,
                                              const std::string& environment);
// Every running rollout (what the worker judges).
std::vector<RolloutRow> running_rollouts(pqxx::transaction_base& tx);

// One judge at a time per rollout, on any number of replicas: a transaction-level advisory lock.
bool try_lock_rollout_judge(pqxx::work& tx, std::int64_t rollout_id);

// Moves the rollout to `next`; `stage_started`: its stage's clock restarts now; a finished state
// sets finished_at. The samples of other stages (all, once finished) are deleted.
void move_rollout(pqxx::work& tx, std::int64_t rollout_id, core::RolloutPosition next,
                  bool stage_started, std::optional<std::int64_t> deployment_id = std::nullopt);
void mark_rollout_judged(pqxx::work& tx, std::int64_t rollout_id);

struct RolloutEvent {
  std::int64_t id = 0;
  std::int64_t rollout_id = 0;
  std::string at;  // ISO 8601, UTC (set when read)
  std::size_t stage = 0;
  std::string kind;      // judgement | transition
  std::string decision;  // a judgement's decision, or a transition's action
  std::optional<double> score;
  core::RolloutState state = core::RolloutState::running;  // after the event
  std::string actor;
  std::string reason;
  nlohmann::json evidence;  // null when none
};
// Returns the event's id.
std::int64_t insert_rollout_event(pqxx::work& tx, const RolloutEvent& e);
// Oldest first; the newest `limit`.
std::vector<RolloutEvent> rollout_events(pqxx::transaction_base& tx, std::int64_t rollout_id,
                                         int limit = 500);

// Keeps samples of the rollout's `stage` while each side holds fewer than
// core::kRolloutSamplesPerSide (concurrent batches may overshoot by a batch); an id already kept
// on its side is not replaced. Returns the samples kept.
std::size_t insert_rollout_samples(pqxx::work& tx, std::int64_t rollout_id, std::size_t stage,
                                   const std::vector<core::RolloutSample>& samples);
// A batch of observations of the environment (attributed: row.sha set), kept for its running or
// paused rollout: the candidate's and stable's rows, on the rollout's current stage. Returns the
// samples kept (0 when no rollout is under way).
std::size_t keep_rollout_observations(pqxx::work& tx, std::int64_t repo_id,
                                      const std::string& environment,
                                      const std::vector<core::ObservationRow>& rows);
// Truth attached later (…/observations/truth) for the environment's running or paused rollout:
// each sample of its current stage with that id and a label gets `accuracy` 1 or 0 (label ==
// truth), unless the row carried its own accuracy. Returns the samples updated.
std::size_t attach_rollout_truth(pqxx::work& tx, std::int64_t repo_id,
                                 const std::string& environment,
                                 const std::vector<core::TruthRow>& rows);
std::vector<core::RolloutSample> rollout_samples(pqxx::transaction_base& tx,
                                                 std::int64_t rollout_id, std::size_t stage);

}  // namespace mlgate::store
