#include "core/pipeline_view.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/metric_merge.h"

namespace mlgate::core {
namespace {

Metric global(std::string name, double v) {
  return Metric{std::move(name), "", "", std::nullopt, v};
}

Metric slice(std::string name, std::string key, std::string value, double v,
             std::optional<std::int64_t> n = std::nullopt) {
  return Metric{std::move(name), std::move(key), std::move(value), n, v};
}

StoredDecision decision(std::int64_t id, std::string env, const std::string& checks = "[]",
                        const std::string& inputs = "{}") {
  StoredDecision d;
  d.id = id;
  d.environment = std::move(env);
  read_decision_json(d, checks, inputs);
  return d;
}

std::string slice_of(const MetricComparisons& m, std::size_t i) {
  return slice_label(*m.slices.at(i).metric);
}

Prediction pred(std::string id, std::string label) {
  return Prediction{std::move(id), std::move(label), std::nullopt};
}

// ---- Stored decisions read back

TEST(StoredDecisionJson, FlipRateExamplesAreReadBack) {
  const auto d = decision(1, "production", R"([
    {"kind": "predictions", "name": "flip_rate", "status": "pass", "value": 0.1,
     "examples": [{"id": "a", "baseline": "0", "candidate": "1", "truth": "1"},
                  "not an object",
                  {"id": "b", "baseline": "", "candidate": "1", "truth": null}]},
    {"kind": "metric", "name": "accuracy", "status": "pass"}])");
  const auto& e = d.checks.at(0).examples;
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0].id, "a");
  EXPECT_EQ(e[0].baseline, "0");
  EXPECT_EQ(e[0].candidate, "1");
  EXPECT_EQ(e[0].truth, "1");
  EXPECT_EQ(e[1].id, "b");
  EXPECT_FALSE(e[1].truth);
  EXPECT_TRUE(d.checks.at(1).examples.empty());
}

TEST(StoredDecisionJson, ChecksAreReadWithTheirNumbers) {
  const auto d = decision(1, "production", R"([
    {"kind": "metric", "name": "accuracy", "status": "fail", "value": 0.71, "baseline": 0.9,
     "threshold": "min 0.8", "reason": "0.71 < min 0.8", "blocks": true},
    {"kind": "slice", "name": "recall[age=<30]", "status": "pass", "value": null,
     "baseline": "0.5", "threshold": "min 0.5", "reason": "ok", "blocks": false}])");
  ASSERT_EQ(d.checks.size(), 2u);
  const auto& a = d.checks[0];
  EXPECT_EQ(a.kind, "metric");
  EXPECT_EQ(a.name, "accuracy");
  EXPECT_EQ(a.status, "fail");
  EXPECT_EQ(a.value, 0.71);
  EXPECT_EQ(a.baseline, 0.9);
  EXPECT_EQ(a.threshold, "min 0.8");
  EXPECT_EQ(a.reason, "0.71 < min 0.8");
  EXPECT_TRUE(a.blocks);
  const auto& b = d.checks[1];
  EXPECT_FALSE(b.value);     // null is no number
  EXPECT_FALSE(b.baseline);  // nor is a string
  EXPECT_FALSE(b.blocks);
}

TEST(StoredDecisionJson, TheRulesInForceAndEachChecksRuleSetAreRead) {
  const auto d = decision(4, "production", R"([
    {"kind": "metric", "name": "accuracy", "status": "fail", "threshold": "min 0.93",
     "reason": "0.88 < min 0.93", "blocks": true, "rule_set": "deployed"},
    {"kind": "metric", "name": "accuracy", "status": "pass", "threshold": "min 0.85",
     "reason": "0.88 >= min 0.85", "blocks": false, "rule_set": "candidate"}])",
                          R"({"rules": {"in_force": "deployed_and_candidate",
    "note": "the candidate's rules differ from the deployed commit's: both apply",
    "differences": [{"rule": "accuracy", "text": "accuracy: min 0.93 → 0.85"}, 7]}})");
  ASSERT_EQ(d.checks.size(), 2u);
  EXPECT_EQ(d.checks[0].rule_set, "deployed");
  EXPECT_EQ(d.checks[1].rule_set, "candidate");
  EXPECT_EQ(d.rules_note, "the candidate's rules differ from the deployed commit's: both apply");
  EXPECT_EQ(d.rule_differences, std::vector<std::string>{"accuracy: min 0.93 → 0.85"});
  // A decision stored before rule sets has neither.
  const auto old = decision(5, "production", R"([{"kind": "metric", "name": "f1"}])", "{}");
  EXPECT_EQ(old.checks.at(0).rule_set, "");
  EXPECT_TRUE(old.rules_note.empty());
  EXPECT_TRUE(old.rule_differences.empty());
}

TEST(StoredDecisionJson, AnIntervalChecksEvidenceIsReadForThePage) {
  const auto d = decision(6, "production", R"([
    {"kind": "metric", "name": "recall", "status": "pass", "value": 0.953, "baseline": null,
     "threshold": "min 0.85", "reason": "r", "confidence": 0.95,
     "interval": [0.8851627, 0.9814735], "delta_interval": null, "n": 85, "n_of": "positives",
     "method": "wilson", "p_value": null, "inconclusive": "fail"},
    {"kind": "metric", "name": "accuracy", "status": "inconclusive", "value": 0.9,
     "baseline": 0.92, "threshold": "max_drop 0.01", "reason": "r", "confidence": 0.99,
     "interval": null, "delta_interval": [-0.041, 0.002], "n": 228, "n_of": "examples",
     "method": "paired bootstrap", "p_value": 0.0625, "inconclusive": "pass"},
    {"kind": "metric", "name": "f1", "status": "pass", "value": 0.9, "threshold": "min 0.8",
     "reason": "r", "interval": null, "delta_interval": null, "n": 228, "n_of": "examples",
     "method": "point"},
    {"kind": "metric", "name": "latency", "status": "pass", "reason": "r"}])");
  ASSERT_EQ(d.checks.size(), 4u);
  EXPECT_EQ(d.checks[0].interval, "[0.8852, 0.9815]");
  EXPECT_EQ(d.checks[0].evidence, "95% Wilson, n=85 positives");
  EXPECT_EQ(d.checks[1].interval, "change [-0.041, 0.002]");
  EXPECT_EQ(d.checks[1].evidence,
            "99% paired bootstrap, n=228 examples; McNemar p=0.0625; inconclusive counts as pass");
  EXPECT_EQ(d.checks[2].interval, "");
  EXPECT_EQ(d.checks[2].evidence, "point, n=228 examples");
  EXPECT_EQ(d.checks[3].evidence, "");  // a reported metric
}

TEST(StoredDecisionJson, BrokenTextReadsAsNothing) {
  auto d = decision(1, "p", "not json", "[1, 2]");
  EXPECT_TRUE(d.checks.empty());
  EXPECT_EQ(d.summary, "");
  EXPECT_FALSE(d.rubric);
  d = decision(1, "p", R"({"kind": "metric"})", R"("text")");
  EXPECT_TRUE(d.checks.empty());
}

TEST(StoredDecisionJson, SummaryAndRubricComeFromTheInputs) {
  const auto d = decision(3, "production", "[]", R"({
    "summary": "deny: 1 check failed",
    "rubric": {"score": 1.5, "band": "reasonable",
               "sections": {"data": 2, "model": 1.5, "infra": "x"},
               "items": [{"id": "data-1", "points": 1, "evidence": "2 tests passed"},
                         {"id": "model-2", "points": 0.5},
                         {"id": "data-1", "points": 0, "evidence": "later"}]}})");
  EXPECT_EQ(d.summary, "deny: 1 check failed");
  ASSERT_TRUE(d.rubric);
  EXPECT_EQ(d.rubric->score, 1.5);
  EXPECT_EQ(d.rubric->band, "reasonable");
  EXPECT_EQ(d.rubric->sections.at("data"), 2.0);
  EXPECT_EQ(d.rubric->sections.at("model"), 1.5);
  EXPECT_FALSE(d.rubric->sections.at("infra"));
  EXPECT_EQ(d.rubric->sections.count("monitor"), 0u);
  ASSERT_EQ(d.rubric->items.size(), 2u);
  EXPECT_EQ(d.rubric->items.at("data-1").points, 0);  // the later entry of an id wins
  EXPECT_EQ(d.rubric->items.at("data-1").evidence, "later");
  EXPECT_EQ(d.rubric->items.at("model-2").points, 0.5);
  EXPECT_EQ(d.rubric->items.at("model-2").evidence, "");
}

TEST(StoredDecisionJson, ARubricThatIsNoObjectIsNone) {
  EXPECT_FALSE(decision(1, "p", "[]", R"({"rubric": null})").rubric);
  EXPECT_FALSE(decision(1, "p", "[]", R"({"rubric": [1]})").rubric);
}

TEST(StoredDecisionJson, BlockingChecksComeFirstInEngineOrder) {
  const auto d = decision(1, "p", R"([
    {"name": "a", "blocks": false}, {"name": "b", "blocks": true},
    {"name": "c", "blocks": false}, {"name": "d", "blocks": true}])");
  std::vector<std::string> names;
  for (const auto* c : blocking_first(d.checks)) names.push_back(c->name);
  EXPECT_EQ(names, (std::vector<std::string>{"b", "d", "a", "c"}));
}

TEST(StoredDecisionJson, TheScorecardIsTheNewestDecisionWithARubric) {
  const std::string rubric = R"({"rubric": {"score": 1}})";
  std::vector<StoredDecision> ds = {decision(5, "a", "[]", rubric), decision(9, "b"),
                                    decision(7, "c", "[]", rubric)};
  ASSERT_TRUE(rubric_decision(ds));
  EXPECT_EQ(rubric_decision(ds)->id, 7);
  EXPECT_FALSE(rubric_decision({decision(1, "a")}));
  EXPECT_FALSE(rubric_decision({}));
}

// ---- Baseline choice

TEST(BaselineEnvironment, TheAskedEnvironmentWins) {
  EXPECT_EQ(baseline_environment("staging", {decision(1, "production")}, {"production"}),
            "staging");
}

TEST(BaselineEnvironment, NewestDecisionForADeployedEnvironment) {
  const std::vector<StoredDecision> ds = {decision(3, "dev"), decision(8, "production"),
                                          decision(5, "staging"), decision(9, "qa")};
  // qa is the newest decision but nothing is deployed there.
  EXPECT_EQ(baseline_environment("", ds, {"staging", "production"}), "production");
}

TEST(BaselineEnvironment, ElseTheEnvironmentDeployedToLast) {
  EXPECT_EQ(baseline_environment("", {decision(4, "qa")}, {"staging", "production"}), "staging");
  EXPECT_EQ(baseline_environment("", {}, {"production"}), "production");
}

TEST(BaselineEnvironment, ElseTheNewestDecisions) {
  EXPECT_EQ(baseline_environment("", {decision(2, "qa"), decision(6, "dev")}, {}), "dev");
}

TEST(BaselineEnvironment, NothingToChooseFrom) {
  EXPECT_EQ(baseline_environment("", {}, {}), "");
}

TEST(BaselineOf, TheDeployedCommitsResultsOrNone) {
  JobResults deployed;
  deployed.metrics.push_back(global("accuracy", 0.9));
  EXPECT_EQ(baseline_of(std::string("abc"), deployed), &deployed);
  EXPECT_EQ(baseline_of(std::nullopt, deployed), nullptr);
  // A deployed commit without a pipeline is compared as empty results, not as "no baseline".
  const JobResults empty;
  EXPECT_EQ(baseline_of(std::string("abc"), empty), &empty);
}

// ---- The gate's checks for the page

TEST(CheckIndex, PrefersTheBaselineEnvironmentsDecision) {
  const std::vector<StoredDecision> ds = {
      decision(1, "dev", R"([{"kind": "metric", "name": "accuracy", "status": "fail"}])"),
      decision(2, "production", R"([{"kind": "metric", "name": "accuracy", "status": "pass"},
                                    {"kind": "slice", "name": "recall[a=b]", "status": "pass"}])"),
      decision(3, "staging", R"([{"kind": "metric", "name": "loss", "status": "fail"}])")};
  const CheckIndex prod(ds, "production");
  ASSERT_TRUE(prod.find("metric", "accuracy"));
  EXPECT_EQ(prod.find("metric", "accuracy")->status, "pass");
  ASSERT_TRUE(prod.find("metric", "loss"));  // from another environment when it has none
  EXPECT_EQ(prod.find("metric", "loss")->status, "fail");
  EXPECT_FALSE(prod.find("slice", "accuracy"));
  EXPECT_TRUE(prod.find("slice", "recall[a=b]"));
  const CheckIndex dev(ds, "dev");
  EXPECT_EQ(dev.find("metric", "accuracy")->status, "fail");
  // No environment preferred: the decisions in their order.
  const CheckIndex none(ds, "");
  EXPECT_EQ(none.find("metric", "accuracy")->status, "fail");
}

// ---- Direction and deltas

TEST(HigherIsBetter, ReadOffTheThreshold) {
  EXPECT_EQ(higher_is_better("min 0.9"), true);
  EXPECT_EQ(higher_is_better("min 0.9, max_drop 1%"), true);
  EXPECT_EQ(higher_is_better("max_drop 0.02"), true);
  EXPECT_EQ(higher_is_better("max 50"), false);
  EXPECT_EQ(higher_is_better("max 50, max_increase 10%"), false);
  EXPECT_EQ(higher_is_better("max_increase 3"), false);
  EXPECT_EQ(higher_is_better("gap, min 0.8"), true);
  EXPECT_EQ(higher_is_better("min 0.1, max 0.9"), std::nullopt);
  EXPECT_EQ(higher_is_better("disparity [0.8, 1.25]"), std::nullopt);
  EXPECT_EQ(higher_is_better(""), std::nullopt);
  EXPECT_EQ(higher_is_better("minimum"), std::nullopt);
}

TEST(Compare, DeltaWithPercentAndColour) {
  auto c = compare(0.92, 0.9, true);
  EXPECT_EQ(c.value, "0.92");
  EXPECT_EQ(c.baseline, "0.9");
  EXPECT_EQ(c.delta, "+0.02 (+2.2%)");
  EXPECT_EQ(c.delta_class, "good");
  c = compare(0.85, 0.9, true);
  EXPECT_EQ(c.delta, "-0.05 (-5.6%)");
  EXPECT_EQ(c.delta_class, "bad");
  c = compare(40, 50, false);
  EXPECT_EQ(c.delta, "-10 (-20.0%)");
  EXPECT_EQ(c.delta_class, "good");
  c = compare(60, 50, false);
  EXPECT_EQ(c.delta_class, "bad");
}

TEST(Compare, NeutralWithoutDirectionOrChange) {
  EXPECT_EQ(compare(0.92, 0.9, std::nullopt).delta_class, "neutral");
  const auto same = compare(0.9, 0.9, true);
  EXPECT_EQ(same.delta, "0 (+0.0%)");
  EXPECT_EQ(same.delta_class, "neutral");
}

TEST(Compare, PercentAgainstTheBaselinesMagnitude) {
  EXPECT_EQ(compare(-1, -2, true).delta, "+1 (+50.0%)");
  // A zero baseline has no percentage.
  EXPECT_EQ(compare(3, 0, true).delta, "+3");
}

TEST(Compare, NoBaselineOrNonFiniteMeansNoDelta) {
  auto c = compare(0.9, std::nullopt, true);
  EXPECT_EQ(c.baseline, "-");
  EXPECT_EQ(c.delta, "-");
  EXPECT_EQ(c.delta_class, "neutral");
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  c = compare(nan, 0.9, true);
  EXPECT_EQ(c.value, "NaN");
  EXPECT_EQ(c.delta, "-");
  c = compare(0.9, inf, true);
  EXPECT_EQ(c.baseline, "Infinity");
  EXPECT_EQ(c.delta, "-");
  EXPECT_EQ(c.delta_class, "neutral");
}

// ---- Metrics next to the baseline

TEST(CompareMetrics, MergedGlobalsAgainstTheMergedBaseline) {
  JobResults cand;
  cand.metrics = {global("accuracy", 0.80), global("loss", 0.3), global("accuracy", 0.92)};
  JobResults base;
  base.metrics = {global("accuracy", 0.95), global("accuracy", 0.90)};
  const std::vector<StoredDecision> ds = {decision(
      1, "production", R"([{"kind": "metric", "name": "accuracy", "threshold": "min 0.85"}])")};
  const CheckIndex checks(ds, "production");
  const auto m = compare_metrics(cand, &base, checks);
  ASSERT_EQ(m.globals.size(), 2u);
  EXPECT_EQ(m.globals[0].metric->name, "accuracy");
  EXPECT_EQ(m.globals[0].comparison.value, "0.92");
  EXPECT_EQ(m.globals[0].comparison.baseline, "0.9");
  EXPECT_EQ(m.globals[0].comparison.delta_class, "good");
  ASSERT_TRUE(m.globals[0].check);
  EXPECT_EQ(m.globals[0].check->threshold, "min 0.85");
  EXPECT_EQ(m.globals[1].metric->name, "loss");
  EXPECT_EQ(m.globals[1].comparison.baseline, "-");
  EXPECT_FALSE(m.globals[1].check);
  EXPECT_EQ(m.globals[1].comparison.delta_class, "neutral");
  EXPECT_TRUE(m.slices.empty());
}

TEST(CompareMetrics, SlicesSortedByKeyNameAndGroup) {
  JobResults cand;
  cand.metrics = {slice("recall", "sex", "male", 0.8), slice("recall", "age", ">=30", 0.7, 40),
                  slice("precision", "age", "<30", 0.6), slice("recall", "age", "<30", 0.5, 12),
                  slice("recall", "age", "<30", 0.55, 14)};
  JobResults base;
  base.metrics = {slice("recall", "age", "<30", 0.6), global("recall", 0.1)};
  const std::vector<StoredDecision> ds = {decision(
      1, "production",
      R"([{"kind": "slice", "name": "recall[age=<30]", "threshold": "min 0.5", "status": "pass"}])")};
  const auto m = compare_metrics(cand, &base, CheckIndex(ds, "production"));
  ASSERT_EQ(m.slices.size(), 4u);
  EXPECT_EQ(slice_of(m, 0), "precision[age=<30]");
  EXPECT_EQ(slice_of(m, 1), "recall[age=<30]");
  EXPECT_EQ(slice_of(m, 2), "recall[age=>=30]");
  EXPECT_EQ(slice_of(m, 3), "recall[sex=male]");
  const auto& young = m.slices[1];
  EXPECT_EQ(young.metric->n, 14);
  EXPECT_EQ(young.comparison.value, "0.55");
  EXPECT_EQ(young.comparison.baseline, "0.6");
  EXPECT_EQ(young.comparison.delta_class, "bad");
  ASSERT_TRUE(young.check);
  EXPECT_EQ(young.check->status, "pass");
  EXPECT_EQ(m.slices[2].comparison.baseline, "-");  // not in the baseline
  EXPECT_TRUE(m.globals.empty());
}

TEST(CompareMetrics, WithoutBaselineEveryDeltaIsMissing) {
  JobResults cand;
  cand.metrics = {global("accuracy", 0.9), slice("recall", "age", "<30", 0.5)};
  const auto m = compare_metrics(cand, nullptr, CheckIndex({}, ""));
  ASSERT_EQ(m.globals.size(), 1u);
  ASSERT_EQ(m.slices.size(), 1u);
  EXPECT_EQ(m.globals[0].comparison.delta, "-");
  EXPECT_EQ(m.slices[0].comparison.baseline, "-");
}

TEST(CompareMetrics, LowerIsBetterColoursADropGood) {
  JobResults cand;
  cand.metrics = {global("latency_ms", 40)};
  JobResults base;
  base.metrics = {global("latency_ms", 50)};
  const std::vector<StoredDecision> ds = {
      decision(1, "p", R"([{"kind": "metric", "name": "latency_ms", "threshold": "max 60"}])")};
  const auto m = compare_metrics(cand, &base, CheckIndex(ds, "p"));
  EXPECT_EQ(m.globals[0].comparison.delta, "-10 (-20.0%)");
  EXPECT_EQ(m.globals[0].comparison.delta_class, "good");
}

// ---- Fairness and flips

TEST(FairnessRows, EveryFairnessCheckOfEveryDecision) {
  const std::vector<StoredDecision> ds = {
      decision(1, "production", R"([{"kind": "fairness", "name": "fpr[sex=f vs m]"},
                                    {"kind": "metric", "name": "accuracy"}])"),
      decision(2, "staging", R"([{"kind": "fairness", "name": "tpr[sex=f vs m]"},
                                 {"kind": "fairness", "name": "fpr[sex=f vs m]"}])")};
  const auto rows = fairness_rows(ds);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].environment, "production");
  EXPECT_EQ(rows[0].check->name, "fpr[sex=f vs m]");
  EXPECT_EQ(rows[1].environment, "staging");
  EXPECT_EQ(rows[1].check->name, "tpr[sex=f vs m]");
  EXPECT_EQ(rows[2].environment, "staging");
  EXPECT_TRUE(fairness_rows({decision(1, "p")}).empty());
}

TEST(FlipText, CountsChangedLabelsOfCommonIds) {
  JobResults cand;
  cand.predictions = {pred("1", "a"), pred("2", "b"), pred("3", "c"), pred("9", "x")};
  JobResults base;
  base.predictions = {pred("1", "a"), pred("2", "a"), pred("3", "c"), pred("4", "d")};
  EXPECT_EQ(flip_text(cand, &base), "Flip rate 33.33%: 1 of 3 common examples changed label.");
}

TEST(FlipText, TheLastLabelOfARepeatedIdCounts) {
  JobResults cand;
  cand.predictions = {pred("1", "a"), pred("1", "b")};
  JobResults base;
  base.predictions = {pred("1", "b")};
  EXPECT_EQ(flip_text(cand, &base), "Flip rate 0.00%: 0 of 1 common examples changed label.");
}

TEST(FlipText, LabelsCompareAsTheirJsonText) {
  JobResults cand;
  cand.predictions = {pred("1", "1")};
  JobResults base;
  base.predictions = {pred("1", "\"1\"")};
  EXPECT_EQ(flip_text(cand, &base), "Flip rate 100.00%: 1 of 1 common examples changed label.");
}

TEST(FlipText, WhenThereIsNothingToCompare) {
  JobResults cand;
  cand.predictions = {pred("1", "a")};
  JobResults empty;
  EXPECT_EQ(flip_text(cand, nullptr), "No baseline to compare predictions with.");
  EXPECT_EQ(flip_text(cand, &empty), "No predictions.jsonl on both sides to compare.");
  EXPECT_EQ(flip_text(empty, &cand), "No predictions.jsonl on both sides to compare.");
  JobResults other;
  other.predictions = {pred("2", "a")};
  EXPECT_EQ(flip_text(cand, &other), "No example id in common with the baseline's predictions.");
}

TEST(FlipCheckText, TheGatesFlipRateCheckInWords) {
  StoredCheck c;
  c.status = "fail";
  c.threshold = "max 5%";
  c.reason = "7.50% > max 5%";
  c.value = 0.075;
  EXPECT_EQ(flip_check_text(c), "Flip rate 7.50% (fail, max 5%): 7.50% > max 5%");
  c.value.reset();
  c.status = "missing";
  c.reason = "no predictions";
  EXPECT_EQ(flip_check_text(c), "Flip rate - (missing, max 5%): no predictions");
}

}  // namespace
}  // namespace mlgate::core
