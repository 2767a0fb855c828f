// The online judge (core/online_judge.h, docs/rollouts.md): the statistics on small hand-checked
// samples, the cleaning, a metric's verdict by its direction and effect size, the score, the
// stage's decision and the shadow comparison. SciPy parity: tests/integration/core.
#include "core/online_judge.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "core/seeded_rng.h"

namespace mlgate::core {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

TEST(OnlineJudgeStats, MannWhitneyByHand) {
  // U of x = 0; mean 4.5; sigma = sqrt(9 / 12 * 7); z = (9 - 4.5 - 0.5) / sigma.
  const std::vector<double> x{1, 2, 3};
  const std::vector<double> y{4, 5, 6};
  const MannWhitneyTest t = mann_whitney_u(x, y);
  EXPECT_EQ(t.u, 0);
  EXPECT_NEAR(t.z, 4 / std::sqrt(5.25), 1e-12);
  EXPECT_NEAR(t.p_value, std::erfc(4 / std::sqrt(5.25) / std::sqrt(2.0)), 1e-12);
  EXPECT_EQ(mann_whitney_u(y, x).u, 9);
  EXPECT_NEAR(mann_whitney_u(y, x).p_value, t.p_value, 1e-15);  // two-sided: symmetric
  // Every value tied: no evidence either way.
  const std::vector<double> same{2, 2, 2};
  EXPECT_EQ(mann_whitney_u(same, same).p_value, 1.0);
}

TEST(OnlineJudgeStats, HodgesLehmannIsTheMedianOfPairwiseDifferences) {
  EXPECT_EQ(hodges_lehmann_shift(std::vector<double>{1, 2, 3}, std::vector<double>{0}), 2);
  EXPECT_EQ(hodges_lehmann_shift(std::vector<double>{1, 2}, std::vector<double>{0, 0}), 1.5);
  EXPECT_EQ(hodges_lehmann_shift(std::vector<double>{-1, 1}, std::vector<double>{0.5}), -0.5);
  SeededRng rng(5);
  for (int round = 0; round < 20; ++round) {
    std::vector<double> x(1 + rng.below(40));
    std::vector<double> y(1 + rng.below(40));
    for (double& v : x) v = static_cast<double>(rng.below(20)) * 0.1 - 0.7;  // ties, both signs
    for (double& v : y) v = static_cast<double>(rng.below(20)) * 0.1 - 0.5;
    std::vector<double> d;
    for (double a : x)
      for (double b : y) d.push_back(a - b);
    std::sort(d.begin(), d.end());
    const std::size_t n = d.size();
    const double median = n % 2 ? d[n / 2] : (d[n / 2 - 1] + d[n / 2]) / 2;
    EXPECT_EQ(hodges_lehmann_shift(x, y), median) << "round " << round;
  }
}

TEST(OnlineJudgeStats, ShiftIntervalHoldsTheShiftAndWidensWithConfidence) {
  SeededRng rng(9);
  std::vector<double> stable(200);
  std::vector<double> candidate(150);
  for (double& v : stable) v = rng.uniform();
  for (double& v : candidate) v = rng.uniform() + 0.3;
  const double shift = hodges_lehmann_shift(candidate, stable);
  const ShiftInterval i98 = shift_confidence_interval(candidate, stable, 0.98);
  const ShiftInterval i80 = shift_confidence_interval(candidate, stable, 0.80);
  EXPECT_LT(i98.lower, shift);
  EXPECT_GT(i98.upper, shift);
  EXPECT_GT(i98.lower, 0.2);  // the true shift, 0.3, stands clear of 0
  EXPECT_LT(i98.upper, 0.4);
  EXPECT_LT(i98.lower, i80.lower);
  EXPECT_GT(i98.upper, i80.upper);
  // The same sample: centred on 0.
  const ShiftInterval same = shift_confidence_interval(stable, stable, 0.98);
  EXPECT_LT(same.lower, 0);
  EXPECT_GT(same.upper, 0);
  EXPECT_NEAR(same.lower, -same.upper, 1e-12);
}

TEST(OnlineJudgeStats, CleaningRemovesNaNsAndFarOutliersInOrder) {
  std::vector<double> v;
  for (int i = 1; i <= 20; ++i) v.push_back(i);
  v.insert(v.begin() + 3, kNaN);
  v.insert(v.begin() + 5, 1000);
  v.push_back(std::numeric_limits<double>::infinity());
  std::vector<double> expected;
  for (int i = 1; i <= 20; ++i) expected.push_back(i);
  EXPECT_EQ(clean_observations(v), expected);
  // 1..20 and v: Q1 6, Q3 16, the fence 16 + 3 * 10 = 46 (the 99th percentile is lower).
  v = expected;
  v.push_back(45);
  EXPECT_EQ(clean_observations(v).size(), 21u);
  v.back() = 50;
  EXPECT_EQ(clean_observations(v).size(), 20u);
  EXPECT_TRUE(clean_observations(std::vector<double>{kNaN}).empty());
}

// n values around `centre`, deterministic.
std::vector<double> around(double centre, int n, std::uint64_t seed, double spread = 0.1) {
  SeededRng rng(seed);
  std::vector<double> v(n);
  for (double& x : v) x = centre + (rng.uniform() - 0.5) * spread;
  return v;
}

RolloutMetric rule(const std::string& name, bool lower_is_better, bool critical = false) {
  RolloutMetric m;
  m.name = name;
  m.lower_is_better = lower_is_better;
  m.critical = critical;
  return m;
}

TEST(OnlineJudgeMetric, DirectionDecidesWhatFails) {
  const MetricSamples worse_latency{"latency_ms", around(1.3, 100, 1), around(1.0, 100, 2)};
  MetricJudgement j = judge_metric(rule("latency_ms", true, true), worse_latency);
  EXPECT_EQ(j.verdict, MetricVerdict::high);
  EXPECT_TRUE(j.critical);
  EXPECT_NEAR(*j.shift, 0.3, 0.03);
  EXPECT_LT(*j.p_value, 1e-10);
  EXPECT_NEAR(*j.mean_ratio, 1.3, 0.02);
  // Higher is better: the same increase passes.
  j = judge_metric(rule("latency_ms", false, true), worse_latency);
  EXPECT_EQ(j.verdict, MetricVerdict::pass);
  EXPECT_FALSE(j.critical);
  // Higher is better and lower: low.
  const MetricSamples worse_accuracy{"accuracy", around(0.8, 100, 3), around(0.9, 100, 4)};
  EXPECT_EQ(judge_metric(rule("accuracy", false), worse_accuracy).verdict, MetricVerdict::low);
  EXPECT_EQ(judge_metric(rule("accuracy", true), worse_accuracy).verdict, MetricVerdict::pass);
}

// Values near the largest double (a broken serving path reporting 1e308) are judged as any other:
// their sums and differences overflow, so the statistics are taken on the samples scaled down
// (the rank test and the effect ratio do not change with the scale) and the shift scaled back.
TEST(OnlineJudgeMetric, HugeValuesAreJudgedNotOverflowed) {
  const RolloutMetric r = rule("error_rate", true, true);
  for (double huge : {1e300, 1e308, std::numeric_limits<double>::max()}) {
    SCOPED_TRACE(huge);
    std::vector<double> candidate(50, huge);
    candidate[0] = huge / 2;
    std::vector<double> stable = around(0.01, 50, 9, 0.001);
    MetricJudgement j = judge_metric(r, {"error_rate", candidate, stable});
    EXPECT_EQ(j.verdict, MetricVerdict::high) << j.reason;
    EXPECT_TRUE(j.critical);
    // Both sides huge, the candidate lower: better, so it passes; the other way round it fails.
    std::vector<double> lower(50, huge / 4);
    lower[0] = huge / 8;
    EXPECT_EQ(judge_metric(r, {"error_rate", lower, candidate}).verdict, MetricVerdict::pass);
    EXPECT_EQ(judge_metric(r, {"error_rate", candidate, lower}).verdict, MetricVerdict::high);
  }
}

TEST(OnlineJudgeMetric, EffectSizeThresholds) {
  const MetricSamples slower{"latency_ms", around(1.05, 300, 5), around(1.0, 300, 6)};
  RolloutMetric r = rule("latency_ms", true);
  EXPECT_EQ(judge_metric(r, slower).verdict, MetricVerdict::high);
  r.allowed_increase = 1.1;  // 5% slower is allowed
  EXPECT_EQ(judge_metric(r, slower).verdict, MetricVerdict::pass);
  const MetricSamples worse{"accuracy", around(0.95, 300, 7), around(1.0, 300, 8)};
  RolloutMetric a = rule("accuracy", false);
  EXPECT_EQ(judge_metric(a, worse).verdict, MetricVerdict::low);
  a.allowed_decrease = 0.9;
  EXPECT_EQ(judge_metric(a, worse).verdict, MetricVerdict::pass);
}

TEST(OnlineJudgeMetric, NoDataIdenticalAndConstant) {
  const RolloutMetric r = rule("error_rate", true, true);
  EXPECT_EQ(judge_metric(r, {"error_rate", {}, {0.1}}).verdict, MetricVerdict::no_data);
  EXPECT_EQ(judge_metric(r, {"error_rate", {kNaN, kNaN}, {0.1}}).verdict, MetricVerdict::no_data);
  const MetricJudgement same = judge_metric(r, {"error_rate", {3, 1, 2}, {1, 2, 3}});
  EXPECT_EQ(same.verdict, MetricVerdict::pass);
  EXPECT_FALSE(same.p_value.has_value());
  EXPECT_EQ(judge_metric(r, {"error_rate", {0, 0}, {0, 0, 0}}).verdict, MetricVerdict::pass);
  // Two constants that differ: a shift with no spread, judged without noise.
  const MetricJudgement apart = judge_metric(r, {"error_rate", {1, 1, 1, 1}, {0.5, 0.5, 0.5}});
  EXPECT_EQ(apart.verdict, MetricVerdict::high);
  EXPECT_EQ(*apart.shift, 0.5);
}

RolloutConfig three_metric_rollout() {
  RolloutConfig r;
  r.environment = "production";
  r.analysis.metrics = {rule("error_rate", true, true), rule("latency_ms", true),
                        rule("accuracy", false), rule("throughput", false)};
  RolloutStage canary;
  canary.name = "canary";
  canary.traffic_percent = 5;
  canary.for_seconds = 7200;
  r.stages = {canary};
  return r;
}

StageInput all_equal(std::int64_t elapsed) {
  StageInput in;
  in.elapsed_seconds = elapsed;
  in.samples = {{"error_rate", around(0.01, 60, 10, 0.01), around(0.01, 60, 10, 0.01)},
                {"latency_ms", around(100, 60, 11, 10), around(100, 60, 12, 10)},
                {"accuracy", around(0.9, 60, 13), around(0.9, 60, 14)},
                {"throughput", around(50, 60, 15, 5), around(50, 60, 16, 5)}};
  return in;
}

TEST(OnlineJudgeStage, PromoteOnlyAfterTheStageTime) {
  const RolloutConfig r = three_metric_rollout();
  StageJudgement j = judge_stage(r, r.stages[0], all_equal(3600));
  EXPECT_EQ(j.score, 100);
  EXPECT_EQ(j.decision, StageDecision::keep_going);
  EXPECT_EQ(to_string(j.decision), "continue");
  j = judge_stage(r, r.stages[0], all_equal(7200));
  EXPECT_EQ(j.decision, StageDecision::promote);
  RolloutStage last = r.stages[0];
  last.for_seconds.reset();  // the last stage: its time is over at once
  EXPECT_EQ(judge_stage(r, last, all_equal(0)).decision, StageDecision::promote);
}

TEST(OnlineJudgeStage, MarginalPausesLowRollsBackAtOnce) {
  const RolloutConfig r = three_metric_rollout();
  StageInput in = all_equal(7200);
  in.samples[1].candidate = around(130, 60, 20, 10);  // latency fails: 3 of 4 pass
  StageJudgement j = judge_stage(r, r.stages[0], in);
  EXPECT_EQ(j.metrics[1].verdict, MetricVerdict::high);
  EXPECT_EQ(j.score, 75);
  EXPECT_EQ(j.decision, StageDecision::pause);
  in.elapsed_seconds = 600;
  EXPECT_EQ(judge_stage(r, r.stages[0], in).decision, StageDecision::keep_going);
  in.samples[2].candidate = around(0.7, 60, 21);  // accuracy fails too: 2 of 4
  j = judge_stage(r, r.stages[0], in);
  EXPECT_EQ(j.score, 50);
  EXPECT_EQ(j.decision, StageDecision::rollback);  // before the stage's time is over
}

TEST(OnlineJudgeStage, CriticalFailureScoresZero) {
  const RolloutConfig r = three_metric_rollout();
  StageInput in = all_equal(600);
  in.samples[0].candidate = around(0.05, 60, 30, 0.01);
  const StageJudgement j = judge_stage(r, r.stages[0], in);
  EXPECT_EQ(j.score, 0);
  EXPECT_EQ(j.decision, StageDecision::rollback);
  EXPECT_NE(j.reason.find("critical metric 'error_rate'"), std::string::npos) << j.reason;
}

TEST(OnlineJudgeStage, NoData) {
  const RolloutConfig r = three_metric_rollout();
  StageInput in = all_equal(7200);
  in.samples.erase(in.samples.begin() + 2, in.samples.end());  // 2 of 4 without data
  EXPECT_EQ(judge_stage(r, r.stages[0], in).decision, StageDecision::no_data);
  in = all_equal(7200);
  in.samples.erase(in.samples.begin() + 3);  // 1 of 4: scored over the other 3
  StageJudgement j = judge_stage(r, r.stages[0], in);
  EXPECT_EQ(j.metrics[3].verdict, MetricVerdict::no_data);
  EXPECT_EQ(j.score, 100);
  in = all_equal(7200);
  in.samples[0].candidate.clear();  // the critical metric
  j = judge_stage(r, r.stages[0], in);
  EXPECT_EQ(j.decision, StageDecision::no_data);
  EXPECT_FALSE(j.score.has_value());
}

TEST(OnlineJudgeShadow, FlipRateAndScoreChangeOverSharedIds) {
  const std::vector<ShadowAnswer> stable{
      {"a", "cat", 0.9}, {"b", "dog", 0.4}, {"c", "cat", std::nullopt}, {"d", "dog", 0.2}};
  const std::vector<ShadowAnswer> candidate{
      {"a", "cat", 0.8}, {"b", "cat", 0.6}, {"c", "cat", 0.5}, {"e", "dog", 0.1}, {"a", "dog", 0}};
  const ShadowComparison s = compare_shadow(candidate, stable);
  EXPECT_EQ(s.paired, 3u);  // a, b, c; e is the candidate's only; a's repeat is ignored
  EXPECT_NEAR(*s.flip_rate, 1.0 / 3, 1e-15);
  EXPECT_EQ(s.scored, 2u);
  EXPECT_NEAR(*s.score_change, ((0.8 - 0.9) + (0.6 - 0.4)) / 2, 1e-15);
  EXPECT_FALSE(compare_shadow({}, stable).flip_rate.has_value());

  RolloutConfig r = three_metric_rollout();
  RolloutStage shadow;
  shadow.name = "shadow";
  shadow.mirror_percent = 100;
  shadow.for_seconds = 3600;
  StageInput in = all_equal(0);
  in.shadow_candidate = candidate;
  in.shadow_stable = stable;
  EXPECT_EQ(judge_stage(r, shadow, in).shadow->paired, 3u);
  EXPECT_FALSE(judge_stage(r, r.stages[0], in).shadow.has_value());  // not a mirror stage
}

}  // namespace
}  // namespace mlgate::core
