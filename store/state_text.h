// States at the store boundary: the database keeps them as text; rows carry core's enums. Reading
// a column parses it (an unknown spelling is an error, never a silent default); binding a
// parameter writes the one spelling from core/states.h.
#pragma once

#include <pqxx/pqxx>
#include <string>

#include "core/states.h"

namespace mlgate::store {

core::PipelineState pipeline_state_of(const pqxx::field& f);
core::JobState job_state_of(const pqxx::field& f);
core::DeliveryVerdict delivery_verdict_of(const pqxx::field& f);
core::PlanState plan_state_of(const pqxx::field& f);
core::MonitorState monitor_state_of(const pqxx::field& f);
core::RolloutState rollout_state_of(const pqxx::field& f);

// The text of a state, as a query parameter.
template <typename State>
std::string state_text(State s) {
  return std::string(core::to_string(s));
}

}  // namespace mlgate::store
