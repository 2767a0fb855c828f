#include "core/states.h"

#include <array>
#include <utility>

namespace mlgate::core {
namespace {

template <typename E, std::size_t N>
using Names = std::array<std::pair<E, std::string_view>, N>;

constexpr Names<PipelineState, 7> pipeline_names{
    {{PipelineState::pending, "pending"},
     {PipelineState::running, "running"},
     {PipelineState::passed, "passed"},
     {PipelineState::failed, "failed"},
     {PipelineState::cancelled, "cancelled"},
     {PipelineState::error, "error"},
     {PipelineState::awaiting_approval, "awaiting_approval"}}};

constexpr Names<JobState, 9> job_names{{{JobState::blocked, "blocked"},
                                        {JobState::queued, "queued"},
                                        {JobState::running, "running"},
                                        {JobState::passed, "passed"},
                                        {JobState::failed, "failed"},
                                        {JobState::timed_out, "timed_out"},
                                        {JobState::cancelled, "cancelled"},
                                        {JobState::error, "error"},
                                        {JobState::skipped, "skipped"}}};

constexpr Names<AttemptOutcome, 6> outcome_names{
    {{AttemptOutcome::passed, "passed"},
     {AttemptOutcome::failed, "failed"},
     {AttemptOutcome::timed_out, "timed_out"},
     {AttemptOutcome::cancelled, "cancelled"},
     {AttemptOutcome::error, "error"},
     {AttemptOutcome::lease_expired, "lease_expired"}}};

constexpr Names<DeliveryVerdict, 5> verdict_names{{{DeliveryVerdict::accepted, "accepted"},
                                                   {DeliveryVerdict::duplicate, "duplicate"},
                                                   {DeliveryVerdict::rejected, "rejected"},
                                                   {DeliveryVerdict::ignored, "ignored"},
                                                   {DeliveryVerdict::invalid, "invalid"}}};

constexpr Names<PlanState, 4> plan_names{{{PlanState::none, "none"},
                                          {PlanState::pending, "pending"},
                                          {PlanState::planned, "planned"},
                                          {PlanState::failed, "failed"}}};

constexpr Names<MonitorState, 3> monitor_names{{{MonitorState::ok, "ok"},
                                                {MonitorState::alerting, "alerting"},
                                                {MonitorState::no_data, "no_data"}}};

constexpr Names<RolloutState, 5> rollout_names{{{RolloutState::running, "running"},
                                                {RolloutState::paused, "paused"},
                                                {RolloutState::completed, "completed"},
                                                {RolloutState::rolled_back, "rolled_back"},
                                                {RolloutState::aborted, "aborted"}}};

template <typename E, std::size_t N>
std::string_view name_of(const Names<E, N>& names, E value) {
  for (const auto& [e, name] : names)
    if (e == value) return name;
  return "unknown";  // unreachable: every enumerator is in its table (tested)
}

template <typename E, std::size_t N>
std::optional<E> value_of(const Names<E, N>& names, std::string_view s) {
  for (const auto& [e, name] : names)
    if (name == s) return e;
  return std::nullopt;
}

}  // namespace

std::string_view to_string(PipelineState s) {
  return name_of(pipeline_names, s);
}
std::string_view to_string(JobState s) {
  return name_of(job_names, s);
}
std::string_view to_string(AttemptOutcome s) {
  return name_of(outcome_names, s);
}
std::string_view to_string(DeliveryVerdict s) {
  return name_of(verdict_names, s);
}
std::string_view to_string(PlanState s) {
  return name_of(plan_names, s);
}

std::string_view to_string(MonitorState s) {
  return name_of(monitor_names, s);
}

std::string_view to_string(RolloutState s) {
  return name_of(rollout_names, s);
}

std::optional<PipelineState> parse_pipeline_state(std::string_view s) {
  return value_of(pipeline_names, s);
}
std::optional<JobState> parse_job_state(std::string_view s) {
  return value_of(job_names, s);
}
std::optional<AttemptOutcome> parse_attempt_outcome(std::string_view s) {
  return value_of(outcome_names, s);
}
std::optional<DeliveryVerdict> parse_delivery_verdict(std::string_view s) {
  return value_of(verdict_names, s);
}
std::optional<PlanState> parse_plan_state(std::string_view s) {
  return value_of(plan_names, s);
}

std::optional<MonitorState> parse_monitor_state(std::string_view s) {
  return value_of(monitor_names, s);
}

std::optional<RolloutState> parse_rollout_state(std::string_view s) {
  return value_of(rollout_names, s);
}

bool is_finished(PipelineState s) {
  return s != PipelineState::pending && s != PipelineState::running &&
         s != PipelineState::awaiting_approval;
}

bool is_finished(RolloutState s) {
  return s != RolloutState::running && s != RolloutState::paused;
}

bool is_finished(JobState s) {
  return s != JobState::blocked && s != JobState::queued && s != JobState::running;
}

}  // namespace mlgate::core
