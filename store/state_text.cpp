#include "store/state_text.h"

#include <stdexcept>

namespace mlgate::store {
namespace {

template <typename State>
State parsed(const pqxx::field& f, std::optional<State> (*parse)(std::string_view),
             const char* kind) {
  const auto text = f.as<std::string>();
  if (auto s = parse(text)) return *s;
  throw std::runtime_error(std::string("column ") + f.name() + ": '" + text + "' is not a " + kind);
}

}  // namespace

core::PipelineState pipeline_state_of(const pqxx::field& f) {
  return parsed(f, core::parse_pipeline_state, "pipeline state");
}
core::JobState job_state_of(const pqxx::field& f) {
  return parsed(f, core::parse_job_state, "job state");
}
core::DeliveryVerdict delivery_verdict_of(const pqxx::field& f) {
  return parsed(f, core::parse_delivery_verdict, "delivery verdict");
}
core::PlanState plan_state_of(const pqxx::field& f) {
  return parsed(f, core::parse_plan_state, "plan state");
}
core::MonitorState monitor_state_of(const pqxx::field& f) {
  return parsed(f, core::parse_monitor_state, "monitor state");
}

core::RolloutState rollout_state_of(const pqxx::field& f) {
  return parsed(f, core::parse_rollout_state, "rollout state");
}

}  // namespace mlgate::store
