// The gate engine (docs/gate.md): may this candidate's results go to
// an environment, and if not, exactly why not? docs/gate.md documents the semantics, with worked
// examples and every decision taken here. Pure: no I/O, no threads, no clocks. The repository tree
// is reached only through the caller's PathExists callback.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.h"
#include "core/gate_rules.h"
#include "core/prediction_flips.h"
#include "core/results.h"
#include "core/states.h"
#include "core/stats.h"

namespace mlgate::core {

enum class Decision { allow, deny, pending };
// `rules` is only ever used for the rules in force themselves: the deployed commit's rules cannot
// be read (docs/gate.md, "The rules in force"). provenance: where the commit comes from (a fork
// pull request's commit is never deployable; core/fork_policy.h).
enum class CheckKind { tier, metric, slice, fairness, predictions, rubric, rules, provenance };
// `pending` is only ever used for a tier check (a required tier that has not finished yet).
// `inconclusive` only for an interval check (docs/gate.md "Evidence"): its interval straddles the
// threshold; its when_inconclusive says whether that blocks.
enum class CheckStatus { pass, fail, missing, skipped, pending, inconclusive };

std::string_view to_string(Decision d);
std::string_view to_string(CheckKind k);
std::string_view to_string(CheckStatus s);

// Whose rule a check is (docs/gate.md, "The rules in force"): the candidate's own, the deployed
// commit's, or both alike (the same rule, the same result).
enum class RuleSet { candidate, deployed, both };
std::string_view to_string(RuleSet r);
// How a summary marks a check of one rule set only: " (deployed rule)", " (candidate's rule)";
// "" for both.
std::string_view rule_set_mark(RuleSet r);

// What a check computed from predictions rests on (docs/gate.md "Evidence"): the interval of its
// value, the paired interval of its change, the examples, the method and a p-value. Point checks
// from metrics.json have none.
struct CheckEvidence {
  std::optional<double> confidence;        // the level the intervals are at (after a correction)
  std::optional<Interval> interval;        // of `value`
  std::optional<Interval> delta_interval;  // of candidate - baseline, paired over common ids
  std::optional<std::int64_t> n;           // the examples the verdict rests on
  std::string n_of;                        // what n counts: "positives", "examples", ...
  std::string method;             // "point", "wilson", "bootstrap", "paired bootstrap", ...
  std::optional<double> p_value;  // exact McNemar, for a change in accuracy or error_rate
  // Set for an interval check: what an inconclusive verdict does to the decision.
  std::optional<WhenInconclusive> when_inconclusive;
};

struct CheckResult {
  CheckKind kind = CheckKind::metric;
  // "accuracy" (metric), "recall[age_group=<30]" / "recall[age_group] gap" (slice),
  // "fpr[sex=female vs male]" (fairness, group vs reference), "flip_rate" / "score_delta" /
  // "predictions" (predictions), "ml_test_score" (rubric), the tier name (tier).
  std::string name;
  CheckStatus status = CheckStatus::pass;
  std::optional<double> value;     // may be NaN/inf (the check then fails)
  std::optional<double> baseline;  // the deployed commit's value, when there is one
  std::string threshold;           // "min 0.9", "max_drop 1%", "disparity [0.8, 1.25]", ...
  std::string reason;              // one line; reads after "<kind> <name> ", e.g. "0.71 < min 0.8"
  bool optional = false;           // the config's `optional: true`: `missing` does not fail
  int line = 0;                    // 1-based source line of the check in .mlgate.yml (0: not known)
  RuleSet rule_set = RuleSet::candidate;
  std::optional<CheckEvidence> evidence;  // checks computed from predictions, and repeats
  // The metric's value in each repeat of its tier (`repeat: N`; `value` is their mean); empty
  // when it was reported once (docs/gate.md "Repeats").
  std::vector<double> repeats;
  // flip_rate: up to kFlippedExamplesMax of the examples whose label changed, by id
  // (core/prediction_flips.h).
  std::vector<FlippedExample> examples;
};

// True when the check stops the gate: status fail, missing without optional, or inconclusive with
// when_inconclusive fail.
bool blocks(const CheckResult& check);

// The latest job of one tier for the candidate commit. A required tier that has no entry has not
// been created yet (pending).
struct TierState {
  std::string tier;
  JobState state = JobState::queued;
  int repeats = 1;  // the tier's jobs (`repeat: N`); `state` is then theirs together
  int repeat = 0;   // of those, the one whose state `state` is (0..repeats-1)
};

struct RubricItemScore {
  std::string id;        // "data-1"
  double points = 0;     // 0, 0.5 or 1
  std::string evidence;  // why: "2 mapped tests passed (…)", "docs/model_card.md exists", ...
};

struct RubricScore {
  std::vector<RubricItemScore> items;      // all 28, in rubric_items() order
  std::map<std::string, double> sections;  // "data", "model", "infra", "monitor" -> sum
  double score = 0;                        // the minimum section sum
  std::string band;                        // score_band(score)
};

// Whether a relative path exists in the candidate's repository tree. An empty function means "no
// tree available": manual rubric items then score 0 and say so.
using PathExists = std::function<bool(std::string_view path)>;

// A watched production, for the rubric (core/monitor_evidence.h, credit_monitored_production):
// the kinds of checks the candidate's monitor for the environment has, and those the
// environment's monitor evaluated with data within the last 24 hours.
struct MonitoredProduction {
  std::string environment;
  std::vector<std::string> configured;
  std::set<std::string> evaluated;
};

// A non-owning view of everything one evaluation needs; the referenced objects must outlive the
// call.
struct GateInput {
  const GateConfig& gate;
  const RubricMapping& rubric;
  // Every result of the candidate commit's pipeline, all tiers merged. When a global metric, a
  // slice metric or a prediction id appears more than once, the LAST occurrence counts.
  const JobResults& candidate;
  const JobResults* baseline = nullptr;  // the deployed commit's results; nullptr: none deployed
  const std::vector<TierState>* tiers = nullptr;  // nullptr: offline, tier checks are skipped
  PathExists path_exists;                         // for rubric.manual evidence
  // The commits judged, which seed the bootstrap of interval checks (the same commits and check
  // give the same interval); empty offline unless given.
  std::string_view candidate_sha = {};
  std::string_view baseline_sha = {};
  const MonitoredProduction* monitored = nullptr;  // nullptr: production not looked at (offline)
};

// Which rules judged the candidate (docs/gate.md, "The rules in force").
enum class RulesInForceKind {
  candidate,              // its own only: nothing is deployed to the environment (or offline)
  deployed_and_candidate  // the deployed commit's and its own; allowed only when both allow
};
std::string_view to_string(RulesInForceKind k);

struct RulesInForce {
  RulesInForceKind kind = RulesInForceKind::candidate;
  std::vector<RuleDifference> differences;  // deployed → candidate; empty when alike
  std::string note;  // one line, or empty: "no deployment to production yet: the candidate's ..."
};

struct GateResult {
  Decision decision = Decision::allow;
  std::vector<CheckResult> checks;  // tier, metric, slice, fairness, predictions, rubric; config
                                    // order within each kind
  RubricScore rubric;               // always computed, also when the gate has no rubric check
  std::string summary;              // one line: "deny: 2 checks failed: slice recall[...] ...; ..."
  RulesInForce rules;               // set by evaluate_in_force (core/gate_in_force.h)
  // The latest attempt of each of the candidate's tiers that has not finished, required or not:
  // what they have not reported yet may still come (docs/gate.md, "Decision"). Empty offline.
  std::vector<TierState> unfinished;
};

// The candidate judged by the rules of `input` alone (input.gate, input.rubric).
GateResult evaluate_gate(const GateInput& input);

// The one-line summary of a result: its decision, the checks that block it (each followed by
// "(deployed rule)" or "(candidate's rule)" when the result compared two rule sets and the check is
// not both's), and "(no deployed baseline: ...)" without a baseline.
std::string gate_summary(const GateResult& result, bool has_baseline);

// The ML Test Score of a candidate (usable alone: status pages, `mlgate rubric`).
RubricScore score_rubric(const RubricMapping& mapping, const std::vector<TestCase>& tests,
                         const PathExists& path_exists);

// The ids a test case is known by, which rubric.automated globs are matched against (a test
// matches when any of them matches): "classname::name" as JUnit has it, and every pytest node id
// the dotted classname can stand for, since JUnit loses the boundary between module path and
// class: classname "tests.data.test_schema.TestX", name "test_y" gives
// "tests.data.test_schema.TestX::test_y", "tests.py::data::test_schema::TestX::test_y", ...,
// "tests/data/test_schema.py::TestX::test_y", "tests/data/test_schema/TestX.py::test_y".
// A test without classname is known by its name alone.
std::vector<std::string> rubric_test_ids(const TestCase& test);

// {"decision", "checks": [{"kind", "name", "status", "value", "baseline", "threshold", "reason"}],
//  a check with evidence adds "confidence", "interval": [lo, hi], "delta_interval": [lo, hi], "n",
//  "n_of", "method", "p_value", "inconclusive" ("fail" | "pass": what an inconclusive verdict
//  does; null for a point check), each null when absent; a check on repeats adds "repeats":
//  {"n", "values", "min", "max", "spread"}; the flip_rate check adds "examples": [{"id",
//  "baseline", "candidate", "truth"}] (truth null when unknown; at most 5, by id), "rubric":
//  {"score", "sections": {"data", "model", "infra", "monitor"}, "band",
//             "items": [{"id", "points", "evidence"}]}}
// value/baseline are numbers, or null when absent or not finite (NaN/inf: the reason says which).
// indent < 0: one line; otherwise pretty-printed with that indent. Invalid UTF-8 is replaced.
std::string gate_result_json(const GateResult& result, int indent = -1);

}  // namespace mlgate::core
