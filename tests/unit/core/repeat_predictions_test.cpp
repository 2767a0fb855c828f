// Checks `from: predictions` on a tier run with `repeat: N` (docs/gate.md "Repeats"): the metric is
// computed on each repeat's own predictions and judged like metrics.json repeats (the mean, the
// Student-t interval, the spread, max_spread), per slice for slice checks; the merging keeps each
// repeat's predictions; the tier check names a repeat from 1.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/gate.h"
#include "core/repeats.h"

namespace mlgate::core {
namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// One repeat's predictions.jsonl: 5 positives of band a (the first `a_right` predicted right) and
// 5 negatives of band b (the first `b_right` right). Its accuracy is (a_right + b_right) / 10.
JobResults repeat_run(int a_right, int b_right) {
  JobResults r;
  for (int i = 0; i < 10; ++i) {
    const bool a = i < 5;
    const bool right = a ? i < a_right : i - 5 < b_right;
    const std::string truth = a ? "1" : "0";
    r.predictions.push_back(Prediction{.id = "e" + std::to_string(i),
                                       .label = right ? truth : (a ? "0" : "1"),
                                       .truth = truth,
                                       .slices = {{"band", a ? "a" : "b"}}});
  }
  return r;
}

// Accuracy 0.7, 0.8, 0.9; band a 1, 0.8, 1; band b 0.4, 0.8, 0.8.
JobResults three_repeats() {
  return merge_repeats({repeat_run(5, 2), repeat_run(4, 4), repeat_run(5, 4)});
}

GateConfig gate_of(const std::string& checks) {
  auto parsed = parse_config(
      "version: 1\nimage: img\ntiers:\n  validation: {run: eval, repeat: 3}\ngates:\n"
      "  production:\n" +
      checks);
  EXPECT_TRUE(parsed.ok()) << format_errors(parsed.errors);
  return parsed.ok() ? parsed.config->gates.at(0) : GateConfig{};
}

GateResult evaluate(const std::string& checks, const JobResults& cand,
                    const JobResults* base = nullptr) {
  static const RubricMapping rubric;
  const GateConfig gate = gate_of(checks);
  return evaluate_gate(GateInput{gate, rubric, cand, base});
}

TEST(RepeatPredictions, MergingKeepsEachRepeatsPredictions) {
  const JobResults merged = three_repeats();
  ASSERT_EQ(merged.repeat_predictions.size(), 3u);
  EXPECT_EQ(merged.repeat_predictions[0][5].label, "0");  // repeat 0 has e5 right
  EXPECT_EQ(merged.repeat_predictions[0][7].label, "1");  // and e7 wrong
  EXPECT_EQ(merged.predictions.size(), 30u);
  // A later tier's lines join every repeat's view; an earlier tier's come first in each.
  JobResults pipeline;
  JobResults before;
  before.predictions.push_back(Prediction{.id = "x", .label = "1"});
  append_tier_results(pipeline, before);
  append_tier_results(pipeline, three_repeats());
  ASSERT_EQ(pipeline.repeat_predictions.size(), 3u);
  EXPECT_EQ(pipeline.repeat_predictions[2].front().id, "x");
  EXPECT_EQ(pipeline.repeat_predictions[2].size(), 11u);
  append_tier_results(pipeline, repeat_run(0, 0));
  EXPECT_EQ(pipeline.repeat_predictions[1].size(), 21u);
  // One run keeps none.
  EXPECT_TRUE(merge_repeats({repeat_run(5, 5)}).repeat_predictions.empty());
}

TEST(RepeatPredictions, AMetricIsTheMeanOfTheRepeatsWithItsStudentTInterval) {
  // Per repeat 0.7, 0.8, 0.9: mean 0.8, s = 0.1, s/sqrt(3) = 0.0577350; t(0.975, 2) = 4.3026527
  // (closed form (2p - 1) / sqrt(2p(1 - p))), half-width 0.2484138: [0.5515862, 1.0484138].
  const JobResults cand = three_repeats();
  const std::string check = "    metrics:\n      - {name: accuracy, from: predictions, ";
  const GateResult point = evaluate(check + "min: 0.75}\n", cand);
  ASSERT_EQ(point.checks.size(), 1u);
  const CheckResult& p = point.checks[0];
  EXPECT_EQ(p.status, CheckStatus::pass) << p.reason;
  EXPECT_NEAR(*p.value, 0.8, 1e-12);  // the last repeat alone would be 0.9
  EXPECT_EQ(p.repeats, (std::vector<double>{0.7, 0.8, 0.9}));
  EXPECT_EQ(p.evidence->method, "mean of repeats");
  EXPECT_TRUE(contains(p.reason, "(mean of 3 repeats: 0.7, 0.8, 0.9; spread 0.2)")) << p.reason;

  const GateResult pass = evaluate(check + "min: 0.5, confidence: 0.95}\n", cand);
  const CheckResult& t = pass.checks.at(0);
  EXPECT_EQ(t.status, CheckStatus::pass) << t.reason;
  EXPECT_EQ(t.evidence->method, "student_t");  // not Wilson over one repeat's examples
  EXPECT_EQ(t.evidence->n, 3);
  EXPECT_EQ(t.evidence->n_of, "repeats");
  EXPECT_NEAR(t.evidence->interval->lower, 0.8 - 4.302652729749462 * 0.1 / std::sqrt(3.0), 1e-12);
  EXPECT_NEAR(t.evidence->interval->lower, 0.5515862, 1e-7);
  EXPECT_NEAR(t.evidence->interval->upper, 1.0484138, 1e-7);
  EXPECT_TRUE(contains(t.reason, "95% Student t, n=3 repeats")) << t.reason;
  EXPECT_EQ(evaluate(check + "min: 0.75, confidence: 0.95}\n", cand).checks.at(0).status,
            CheckStatus::inconclusive);
  EXPECT_EQ(evaluate(check + "max: 0.5, confidence: 0.95}\n", cand).checks.at(0).status,
            CheckStatus::fail);
  // The gate's statistics.confidence applies as well.
  const GateResult gate_level =
      evaluate("    statistics: {confidence: 0.95}\n" + check + "min: 0.5}\n", cand);
  EXPECT_EQ(gate_level.checks.at(0).evidence->method, "student_t");
}

TEST(RepeatPredictions, MaxSpreadOnAMetricFromPredictions) {
  const JobResults cand = three_repeats();
  const std::string check = "    metrics:\n      - {name: accuracy, from: predictions, ";
  const GateResult ok = evaluate(check + "max_spread: 0.25}\n", cand);
  ASSERT_EQ(ok.checks.size(), 1u);
  EXPECT_EQ(ok.checks[0].status, CheckStatus::pass) << ok.checks[0].reason;
  EXPECT_EQ(ok.checks[0].threshold, "max_spread 0.25");
  const GateResult bad = evaluate(check + "max_spread: 0.15}\n", cand);
  EXPECT_EQ(bad.checks[0].status, CheckStatus::fail);
  EXPECT_EQ(bad.decision, Decision::deny);
  EXPECT_TRUE(contains(bad.checks[0].reason,
                       "spread 0.2 > max_spread 0.15 (max 0.9 - min 0.7 over 3 repeats: 0.7, "
                       "0.8, 0.9)"))
      << bad.checks[0].reason;
  // Predictions of one run: the spread is missing.
  const GateResult once = evaluate(check + "max_spread: 0.15}\n", repeat_run(5, 4));
  ASSERT_FALSE(once.checks.empty()) << "a max_spread check on one run must not vanish";
  EXPECT_EQ(once.checks.back().status, CheckStatus::missing);
}

TEST(RepeatPredictions, AChangeAgainstABaselineRunOnceOrRepeated) {
  const JobResults cand = three_repeats();
  const std::string check =
      "    metrics:\n      - {name: accuracy, from: predictions, max_drop: 0.3, confidence: "
      "0.95}\n";
  // Baseline run once, accuracy 0.8: the candidate's interval minus 0.8, [-0.2484, 0.2484].
  const JobResults once = repeat_run(4, 4);
  const CheckResult minus = evaluate(check, cand, &once).checks.at(0);
  EXPECT_EQ(minus.status, CheckStatus::pass) << minus.reason;
  EXPECT_EQ(minus.evidence->method, "student_t");
  EXPECT_NEAR(*minus.baseline, 0.8, 1e-12);
  EXPECT_NEAR(minus.evidence->delta_interval->lower, -0.2484138, 1e-7);
  // Baseline with repeats 0.8 and 1.0: Welch over both sets of repeats.
  const JobResults twice = merge_repeats({repeat_run(4, 4), repeat_run(5, 5)});
  const CheckResult welch = evaluate(check, cand, &twice).checks.at(0);
  EXPECT_EQ(welch.evidence->method, "welch_t");
  EXPECT_NEAR(*welch.baseline, 0.9, 1e-12);
}

TEST(RepeatPredictions, SlicesAreComputedPerRepeatWithTheirSpread) {
  // Band a: 1, 0.8, 1 (mean 0.933333, spread 0.2); band b: 0.4, 0.8, 0.8 (mean 0.666667,
  // spread 0.4).
  const JobResults cand = three_repeats();
  const GateResult r = evaluate(
      "    slices:\n      - {metric: accuracy, by: band, from: predictions, min_n: 1, min: 0.6, "
      "max_spread: 0.3}\n",
      cand);
  ASSERT_EQ(r.checks.size(), 4u);
  EXPECT_EQ(r.checks[0].name, "accuracy[band=a]");
  EXPECT_NEAR(*r.checks[0].value, 2.8 / 3, 1e-12);
  EXPECT_EQ(r.checks[0].repeats, (std::vector<double>{1, 0.8, 1}));
  EXPECT_NEAR(*r.checks[1].value, 2.0 / 3, 1e-12);
  EXPECT_TRUE(contains(r.checks[1].reason, "mean of 3 repeats: 0.4, 0.8, 0.8; spread 0.4"))
      << r.checks[1].reason;
  EXPECT_EQ(r.checks[2].threshold, "max_spread 0.3");
  EXPECT_EQ(r.checks[2].status, CheckStatus::pass) << r.checks[2].reason;
  EXPECT_EQ(r.checks[3].name, "accuracy[band=b]");
  EXPECT_EQ(r.checks[3].status, CheckStatus::fail);
  EXPECT_EQ(r.checks[3].reason,
            "spread 0.4 > max_spread 0.3 (max 0.8 - min 0.4 over 3 repeats: 0.4, 0.8, 0.8)");
  EXPECT_EQ(r.decision, Decision::deny);
  EXPECT_TRUE(contains(r.summary, "accuracy[band=b]")) << r.summary;
  // With a confidence, each slice's mean by its Student-t interval: b's [0.093, 1.24] straddles.
  const GateResult t = evaluate(
      "    slices:\n      - {metric: accuracy, by: band, from: predictions, min_n: 1, min: 0.3, "
      "confidence: 0.95}\n",
      cand);
  EXPECT_EQ(t.checks.at(1).evidence->method, "student_t");
  EXPECT_EQ(t.checks.at(1).status, CheckStatus::inconclusive) << t.checks.at(1).reason;
}

TEST(RepeatPredictions, MaxSpreadOnASliceFromMetricsJson) {
  auto run = [](double a, double b) {
    JobResults r;
    r.metrics = {{.name = "recall", .slice_key = "band", .slice_value = "a", .n = 40, .value = a},
                 {.name = "recall", .slice_key = "band", .slice_value = "b", .n = 40, .value = b}};
    return r;
  };
  const JobResults cand = merge_repeats({run(0.9, 0.5), run(0.92, 0.7)});
  const GateResult r =
      evaluate("    slices:\n      - {metric: recall, by: band, max_spread: 0.1}\n", cand);
  ASSERT_EQ(r.checks.size(), 2u);
  EXPECT_EQ(r.checks[0].status, CheckStatus::pass) << r.checks[0].reason;
  EXPECT_EQ(r.checks[1].name, "recall[band=b]");
  EXPECT_EQ(r.checks[1].status, CheckStatus::fail);
  EXPECT_EQ(r.checks[1].reason,
            "spread 0.2 > max_spread 0.1 (max 0.7 - min 0.5 over 2 repeats: 0.5, 0.7)");
  // Reported by one run: missing, once for the slice check.
  const GateResult once =
      evaluate("    slices:\n      - {metric: recall, by: band, max_spread: 0.1}\n", run(1, 1));
  ASSERT_EQ(once.checks.size(), 1u);
  EXPECT_EQ(once.checks[0].status, CheckStatus::missing);
  EXPECT_TRUE(contains(once.checks[0].reason, "reported by one run only"));
}

TEST(RepeatPredictions, SameInputsSameDecision) {
  const std::string checks =
      "    metrics:\n      - {name: accuracy, from: predictions, min: 0.6, confidence: 0.9}\n"
      "    slices:\n      - {metric: accuracy, by: band, from: predictions, min_n: 1, min: 0.3, "
      "max_gap: 0.5, confidence: 0.9}\n";
  const JobResults cand = three_repeats();
  EXPECT_EQ(gate_result_json(evaluate(checks, cand)), gate_result_json(evaluate(checks, cand)));
}

TEST(RepeatPredictions, TheTierCheckNamesARepeatFromOne) {
  static const RubricMapping rubric;
  const GateConfig gate = gate_of("    require: [validation]\n");
  const std::vector<TierState> tiers{
      {.tier = "validation", .state = JobState::failed, .repeats = 3, .repeat = 1}};
  const JobResults none;
  const GateResult r =
      evaluate_gate(GateInput{.gate = gate, .rubric = rubric, .candidate = none, .tiers = &tiers});
  EXPECT_EQ(r.checks.at(0).reason, "failed (repeat 2 of 3)");
}

}  // namespace
}  // namespace mlgate::core
