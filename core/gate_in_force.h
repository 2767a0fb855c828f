// The rules in force (docs/gate.md, "The rules in force"): a candidate is judged by its own gate
// rules AND by those of the commit deployed to the environment, and is allowed only when both
// allow. Tightening a gate applies at once (the candidate's stricter rule fails it); loosening
// applies once the looser commit is deployed (it must pass the old rules, or be forced with a
// reason). Pure: both rule sets are evaluated with core/gate.h and combined.
#pragma once

#include <string>

#include "core/gate.h"
#include "core/gate_rules.h"

namespace mlgate::core {

// What is known of the rules of the commit deployed to the environment.
enum class DeployedRulesState {
  nothing_deployed,  // only the candidate's own rules apply, and the decision says so
  known,             // `rules` holds them
  unreadable         // something is deployed, but its rules cannot be read: the gate denies
};

struct DeployedRules {
  DeployedRulesState state = DeployedRulesState::nothing_deployed;
  const GateRules* rules = nullptr;  // known: the deployed commit's rules (outlives the call)
  std::string problem;               // unreadable: why, one line
  // known: the caller found `rules` to be the candidate's own, setting for setting (their
  // gate_rules_json texts are equal). Both rule sets then give the same checks, so the candidate is
  // evaluated once and every check is both's: the same result as evaluating twice, at half the
  // cost (the usual case: most commits do not change their gate).
  bool same_as_candidate = false;
};

// The candidate (`input`, whose gate and rubric mapping are the candidate's own rules) judged by
// the rules in force. With rules deployed, both sets are evaluated on the same results, baseline
// and tiers; a check that both give alike is listed once (rule_set both), the others once per rule
// set, the deployed one first; the decision is the stricter of the two (deny, then pending, then
// allow); the rubric score is the candidate's; `rules` lists the differences, deployed →
// candidate.
GateResult evaluate_in_force(const GateInput& input, const DeployedRules& deployed);

// {"in_force": "candidate" | "deployed_and_candidate", "note": text or null,
//  "differences": [{"rule", "changes": [{"key", "deployed", "candidate"}], "text"}]}
std::string rules_in_force_json(const RulesInForce& rules);

}  // namespace mlgate::core
