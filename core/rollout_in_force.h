// A staged rollout under the rules in force (docs/rollouts.md, "The rules in force"), as the gate
// (core/gate_in_force.h): a push cannot loosen a rollout until it is deployed. When the stable
// commit's `.mlgate.yml` has a `rollouts:` entry for the environment, its stages are the stages in
// force, and each stage is judged twice — by the stable commit's analysis and by the candidate's —
// the stricter decision winning. This file says how the two entries differ (deployed →
// candidate), what a rollout runs under, and how two verdicts combine. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/gate.h"
#include "core/gate_rules.h"
#include "core/online_judge.h"
#include "core/rollout_config.h"
#include "core/rollout_state.h"

namespace mlgate::core {

// Every setting of the two entries that differs, deployed → candidate, in the order: the stages
// (each stage by name, "stage canary"; then "stages" with key "order" when the stages both have
// come in another order), "analysis" (every, pass, marginal), the metrics by name ("metric
// error_rate": lower_is_better, critical, allowed_increase, allowed_decrease). A stage or metric
// on one side only is one change with an empty key ("stage canary: 5% traffic, 2h → none").
// Empty when alike (source lines and the environment do not count).
std::vector<RuleDifference> diff_rollout_rules(const RolloutConfig& deployed,
                                               const RolloutConfig& candidate);

// The rules a rollout starts under: in_force "candidate" with a note when the stable commit has
// no entry (`deployed` null), else "deployed_and_candidate" with the differences (and a note when
// there are some). core::rules_in_force_json writes it.
RulesInForce rollout_rules_in_force(const RolloutConfig& candidate, const RolloutConfig* deployed,
                                    const std::string& environment);

// The configuration a rollout runs: the stable commit's stages (the candidate's without a stable
// entry) and the candidate's analysis, judged every the shorter of the two intervals (each stage
// of the stable entry runs at least its own `every`, so every stage still lasts one interval).
RolloutConfig rollout_in_force(const RolloutConfig& candidate, const RolloutConfig* deployed);

// How strict a decision is: promote 0, continue 1, no_data 2, pause 3, rollback 4.
int decision_strictness(StageDecision d);

// One metric's judgement and the analysis that gave it (both: the two gave it alike).
struct RuledMetric {
  MetricJudgement judgement;
  RuleSet rule_set = RuleSet::candidate;
};

// A stage judged under the rules in force.
struct InForceJudgement {
  StageDecision decision = StageDecision::no_data;
  std::optional<double> score;              // the deciding verdict's
  std::string reason;                       // the deciding verdict's, marked when the two disagree
  RuleSet decided_by = RuleSet::candidate;  // both: the two verdicts agree
  std::vector<RuledMetric> metrics;         // a metric both judged alike once, else per analysis
  std::optional<ShadowComparison> shadow;
  std::optional<StageJudgement> deployed;  // the stable commit's analysis' verdict, when judged
  StageJudgement candidate;                // the candidate's analysis' verdict
};

// The two verdicts combined: the stricter decision wins; at equal decisions the lower score (no
// score lowest) decides, the candidate's when the scores are equal too.
InForceJudgement combine_judgements(StageJudgement deployed, StageJudgement candidate);
// One verdict alone (no stable entry): every metric the candidate's.
InForceJudgement single_judgement(StageJudgement candidate);

// Judges the current `stage` of a rollout running `config` (rollout_in_force) on its samples: by
// the candidate's analysis, and, when the stable commit has an entry (`deployed`), by its analysis
// as well, combined.
InForceJudgement judge_in_force(const RolloutConfig& config, const RolloutConfig* deployed,
                                const RolloutStage& stage,
                                const std::vector<RolloutSample>& samples,
                                std::int64_t elapsed_seconds);

}  // namespace mlgate::core
