// The logic of a pipeline's page (docs/pages.md), pure: the stored gate decisions read back, which
// environment's deployed commit is the baseline, the candidate's merged metrics and slices next to
// the baseline's with a coloured delta, the fairness checks and the prediction flip text. The page
// handler loads the rows (store/page_views.h) and fills the template from what these return.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/prediction_flips.h"
#include "core/results.h"

namespace mlgate::core {

// One check of a stored gate decision, as the decision's checks JSON holds it. value and baseline
// are set only when the JSON has a number there.
struct StoredCheck {
  std::string kind;  // tier | metric | slice | fairness | predictions | rubric
  std::string name;
  std::string status;
  std::optional<double> value;
  std::optional<double> baseline;
  std::string threshold;
  std::string reason;
  bool blocks = false;
  std::string rule_set;  // candidate | deployed | both; "" in decisions stored before rule sets
  // A check computed from predictions (docs/gate.md "Evidence"): its interval as the page shows
  // it ("[0.885, 0.981]", "change [-0.106, -0.0235]"; "" without) and what it rests on ("95%
  // Wilson, n=85 positives", "point, n=228 examples", "...; McNemar p=0.0625"; "" without).
  std::string interval;
  std::string evidence;
  // The same intervals as numbers, for the page's plot: the value's and the change's (candidate
  // minus baseline), each set only when both its bounds are numbers.
  std::optional<std::pair<double, double>> value_bounds;
  std::optional<std::pair<double, double>> change_bounds;
  // flip_rate: the flipped examples the check carries (core/prediction_flips.h); empty in
  // decisions stored before they were.
  std::vector<FlippedExample> examples;
};

struct StoredRubricItem {
  double points = 0;
  std::string evidence;
};
// The ML Test Score a decision recorded (its inputs' "rubric").
struct StoredRubric {
  std::optional<double> score;
  std::string band;
  std::map<std::string, std::optional<double>> sections;  // section id -> sum
  std::map<std::string, StoredRubricItem> items;          // item id -> score
};

struct StoredDecision {
  std::int64_t id = 0;
  std::string environment;
  std::string decision;
  std::string baseline_sha;  // "" without a baseline
  std::string source;
  std::string created_at;
  std::string summary;                 // the inputs' summary
  std::vector<StoredCheck> checks;     // in the engine's order
  std::optional<StoredRubric> rubric;  // nullopt when the inputs hold none
  // The rules in force (the inputs' "rules"): the note ("no deployment to production yet: …") and
  // how the candidate's gate rules differ from the deployed commit's, one line each.
  std::string rules_note;
  std::vector<std::string> rule_differences;
};

// Fills checks, summary, rubric, rules_note and rule_differences from the stored JSON texts; text
// that is not a JSON array (checks) or object (inputs) reads as none.
void read_decision_json(StoredDecision& d, const std::string& checks_json,
                        const std::string& inputs_json);

// The checks failing first, then the rest, each group in the engine's order.
std::vector<const StoredCheck*> blocking_first(const std::vector<StoredCheck>& checks);

// The decision whose ML Test Score the page shows: the newest one that has a rubric.
const StoredDecision* rubric_decision(const std::vector<StoredDecision>& decisions);

// The environment whose deployed commit is the baseline: `wanted` when given; else the environment
// of the newest decision for an environment something is deployed to, else the environment
// deployed to last, else the newest decision's; "" when there is none of those.
std::string baseline_environment(const std::string& wanted,
                                 const std::vector<StoredDecision>& decisions,
                                 const std::vector<std::string>& deployed_newest_first);

// What a candidate is compared with (docs/gate.md): the results of the commit deployed now, empty
// results when that commit has no pipeline, nothing (nullptr) when nothing is deployed.
const JobResults* baseline_of(const std::optional<std::string>& deployed_sha,
                              const JobResults& deployed_results);

// The gate's checks by "kind:name", a decision for `environment` preferred over the others.
class CheckIndex {
 public:
  CheckIndex(const std::vector<StoredDecision>& decisions, const std::string& environment);
  const StoredCheck* find(const std::string& kind, const std::string& name) const;

 private:
  std::map<std::string, const StoredCheck*> checks_;
};

// Whether a larger value is better, read off a check's threshold text ("min 0.9, max_drop 1%":
// higher is better; "max 50, max_increase 10%": lower is better); nullopt when it does not say.
std::optional<bool> higher_is_better(std::string_view threshold);

// A value next to its baseline, as the page prints it.
struct Comparison {
  std::string value;
  std::string baseline;     // "-" without one
  std::string delta;        // "+0.02 (+2.2%)", "-3", "-" when either side is missing or not finite
  std::string delta_class;  // good | bad | neutral
};
Comparison compare(double value, std::optional<double> baseline, std::optional<bool> higher_better);

struct MetricComparison {
  const Metric* metric = nullptr;      // the candidate's (merged) metric
  const StoredCheck* check = nullptr;  // the gate's check of it, if any
  Comparison comparison;
};
struct MetricComparisons {
  std::vector<MetricComparison> globals;  // in order of first appearance
  std::vector<MetricComparison> slices;   // by slice key, metric name, slice value
};
// The candidate's merged global and slice metrics, each next to the baseline's merged value of the
// same name (and slice) and to the gate's check of it, whose threshold gives the delta a colour.
MetricComparisons compare_metrics(const JobResults& candidate, const JobResults* baseline,
                                  const CheckIndex& checks);

struct FairnessRow {
  std::string environment;
  const StoredCheck* check = nullptr;
};
// Every fairness check of every decision, by decision then check order.
std::vector<FairnessRow> fairness_rows(const std::vector<StoredDecision>& decisions);

// The share of common example ids whose label changed, with how many ids were compared.
std::string flip_text(const JobResults& candidate, const JobResults* baseline);
// The gate's flip_rate check in words: "Flip rate 2.50% (pass, max 5%): <reason>".
std::string flip_check_text(const StoredCheck& check);

}  // namespace mlgate::core
