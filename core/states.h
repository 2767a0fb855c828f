// The lifecycle states of pipelines, jobs, attempts and webhook deliveries, as types. The database
// keeps them as text (CHECKed in migrations/0001_init.sql); the strings below are the one place
// where a state is spelled, used by the store at its boundary and by the API when it writes JSON
// (docs/architecture.md, "States").
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string_view>

namespace mlgate::core {

// awaiting_approval: a fork pull request's pipeline, whose jobs wait (blocked, not claimable) until
// someone with the deploy scope approves it; then pending (docs/security.md, "Fork pull requests").
enum class PipelineState { pending, running, passed, failed, cancelled, error, awaiting_approval };

enum class JobState {
  blocked,
  queued,
  running,
  passed,
  failed,
  timed_out,
  cancelled,
  error,
  skipped
};

// How one attempt at a job ended (job_attempts.outcome); lease_expired is an attempt whose runner
// went silent, which re-queues the job.
enum class AttemptOutcome { passed, failed, timed_out, cancelled, error, lease_expired };

// What intake answered a webhook delivery.
enum class DeliveryVerdict { accepted, duplicate, rejected, ignored, invalid };

// How far a delivery got towards a pipeline (webhook_deliveries.plan_state).
enum class PlanState { none, pending, planned, failed };

// A production monitor's state after an evaluation (docs/monitoring.md): every check within its
// threshold, at least one beyond it, or no data to judge (an empty window, too few truths).
enum class MonitorState { ok, alerting, no_data };

// A staged rollout (docs/rollouts.md): moving through its stages, held for a person (a marginal
// score, or `mlgate rollout pause`), or ended: the candidate deployed, rolled back by the judge,
// or aborted by a person.
enum class RolloutState { running, paused, completed, rolled_back, aborted };

std::string_view to_string(PipelineState s);
std::string_view to_string(JobState s);
std::string_view to_string(AttemptOutcome s);
std::string_view to_string(DeliveryVerdict s);
std::string_view to_string(PlanState s);
std::string_view to_string(MonitorState s);
std::string_view to_string(RolloutState s);

// The inverse: nullopt for a string that is not a state of that kind.
std::optional<PipelineState> parse_pipeline_state(std::string_view s);
std::optional<JobState> parse_job_state(std::string_view s);
std::optional<AttemptOutcome> parse_attempt_outcome(std::string_view s);
std::optional<DeliveryVerdict> parse_delivery_verdict(std::string_view s);
std::optional<PlanState> parse_plan_state(std::string_view s);
std::optional<MonitorState> parse_monitor_state(std::string_view s);
std::optional<RolloutState> parse_rollout_state(std::string_view s);

// A finished pipeline or job no longer changes (a pipeline awaiting approval is not finished).
bool is_finished(PipelineState s);
bool is_finished(JobState s);
bool is_finished(RolloutState s);

// A state goes into or comes out of JSON as its string (to_string, parse_*), never as the enum's
// number: the implicit conversion does not compile.
void to_json(nlohmann::json&, PipelineState) = delete;
void to_json(nlohmann::json&, JobState) = delete;
void to_json(nlohmann::json&, AttemptOutcome) = delete;
void to_json(nlohmann::json&, DeliveryVerdict) = delete;
void to_json(nlohmann::json&, PlanState) = delete;
void to_json(nlohmann::json&, MonitorState) = delete;
void to_json(nlohmann::json&, RolloutState) = delete;
void from_json(const nlohmann::json&, PipelineState&) = delete;
void from_json(const nlohmann::json&, JobState&) = delete;
void from_json(const nlohmann::json&, AttemptOutcome&) = delete;
void from_json(const nlohmann::json&, DeliveryVerdict&) = delete;
void from_json(const nlohmann::json&, PlanState&) = delete;
void from_json(const nlohmann::json&, MonitorState&) = delete;
void from_json(const nlohmann::json&, RolloutState&) = delete;

}  // namespace mlgate::core
