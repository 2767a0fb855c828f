// The gate rules one commit brings for one environment (docs/gate.md, "The rules in force"): its
// `gates.<environment>` section and its `rubric` mapping. A candidate is judged by its own rules
// and by those of the commit deployed to the environment; this file says how two rule sets differ,
// in words ("accuracy: min 0.93 → 0.85", deployed → candidate), and writes rules to JSON and reads
// them back (the server stores the deployed rules with each deployment). Pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.h"

namespace mlgate::core {

struct GateRules {
  GateConfig gate;
  RubricMapping rubric;
};

// One setting of a rule that differs: its key ("min"; empty when the whole rule exists on one side
// only) and its text on each side ("0.93"; "none" when not set).
struct RuleChange {
  std::string key;
  std::string deployed;
  std::string candidate;
};

// A rule whose settings differ. `rule` names it as the checks do: "accuracy" (metric),
// "recall[age_group]" (slice), "fpr[sex]" (fairness), "predictions", "rubric" (the min_score),
// "require" (the required tiers), "rubric data-1" (the rubric mapping of an item). A name that the
// config lists more than once is followed by " #2", " #3", ... from its second occurrence on.
struct RuleDifference {
  std::string rule;
  std::vector<RuleChange> changes;
};

// Every rule whose settings differ, deployed → candidate: require, metrics, slices, fairness,
// predictions, rubric, the rubric mapping; within each, the deployed order, then the rules only the
// candidate has. Empty when the rules are the same (source lines and the gate's name do not count).
std::vector<RuleDifference> diff_gate_rules(const GateRules& deployed, const GateRules& candidate);

// "accuracy: min 0.93 → 0.85", "accuracy: min 0.93 → 0.85, max_drop 1% → none",
// "f1: none → min 0.8", "require: functionality, validation → functionality".
std::string difference_text(const RuleDifference& difference);

// The rules as one JSON object, every setting kept (source lines included), numbers exactly.
std::string gate_rules_json(const GateRules& rules);

// The rules back from gate_rules_json's text; nullopt when the text is not such an object.
std::optional<GateRules> parse_gate_rules_json(std::string_view text);

}  // namespace mlgate::core
