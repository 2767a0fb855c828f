#include "core/gate.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/junit.h"
#include "core/metrics_json.h"
#include "core/predictions.h"
#include "core/rubric.h"

namespace mlgate::core {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// ---------------------------------------------------------------------------------------------
// Helpers

Metric global(std::string name, double value) {
  return Metric{.name = std::move(name), .value = value};
}

Metric slice(std::string name, std::string key, std::string group, double value,
             std::optional<std::int64_t> n) {
  return Metric{.name = std::move(name),
                .slice_key = std::move(key),
                .slice_value = std::move(group),
                .n = n,
                .value = value};
}

Prediction pred(std::string id, std::string label, std::optional<double> score = std::nullopt) {
  return Prediction{.id = std::move(id), .label = std::move(label), .score = score};
}

TestCase test(std::string classname, std::string name, TestStatus status = TestStatus::passed,
              std::vector<std::string> mltest = {}) {
  return TestCase{.name = std::move(name),
                  .classname = std::move(classname),
                  .status = status,
                  .mltest = std::move(mltest)};
}

struct Eval {
  GateConfig gate;
  RubricMapping rubric;
  JobResults candidate;
  std::optional<JobResults> baseline;
  std::optional<std::vector<TierState>> tiers;
  PathExists path_exists;

  GateResult run() const {
    return evaluate_gate(GateInput{.gate = gate,
                                   .rubric = rubric,
                                   .candidate = candidate,
                                   .baseline = baseline ? &*baseline : nullptr,
                                   .tiers = tiers ? &*tiers : nullptr,
                                   .path_exists = path_exists});
  }
};

std::vector<CheckResult> of_kind(const GateResult& r, CheckKind kind) {
  std::vector<CheckResult> out;
  for (const CheckResult& c : r.checks) {
    if (c.kind == kind) out.push_back(c);
  }
  return out;
}

// The one check of that kind; fails the test when there is not exactly one.
CheckResult only(const GateResult& r, CheckKind kind) {
  auto all = of_kind(r, kind);
  EXPECT_EQ(all.size(), 1u) << r.summary;
  return all.empty() ? CheckResult{} : all.front();
}

// The check with that name (and, when given, a threshold starting with `threshold`).
CheckResult named(const GateResult& r, std::string_view name, std::string_view threshold = "") {
  for (const CheckResult& c : r.checks) {
    if (c.name == name && c.threshold.starts_with(threshold)) return c;
  }
  ADD_FAILURE() << "no check " << name << " (" << threshold << ") in: " << r.summary;
  return CheckResult{};
}

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

#define EXPECT_CONTAINS(text, part) \
  EXPECT_TRUE(contains((text), (part))) << "'" << (text) << "' lacks '" << (part) << "'"

Threshold abs_t(double v) {
  return Threshold{.value = v, .percent = false};
}
Threshold pct_t(double fraction) {
  return Threshold{.value = fraction, .percent = true};
}

Eval metric_eval(MetricCheck check, std::optional<double> value,
                 std::optional<double> baseline = std::nullopt, bool with_baseline = true) {
  Eval e;
  e.gate.metrics.push_back(std::move(check));
  const std::string& name = e.gate.metrics.front().name;
  if (value) e.candidate.metrics.push_back(global(name, *value));
  if (with_baseline) {
    e.baseline = JobResults{};
    if (baseline) e.baseline->metrics.push_back(global(name, *baseline));
  }
  return e;
}

// ---------------------------------------------------------------------------------------------
// Names

TEST(GateNames, ToString) {
  EXPECT_EQ(to_string(Decision::allow), "allow");
  EXPECT_EQ(to_string(Decision::deny), "deny");
  EXPECT_EQ(to_string(Decision::pending), "pending");
  EXPECT_EQ(to_string(CheckKind::tier), "tier");
  EXPECT_EQ(to_string(CheckKind::metric), "metric");
  EXPECT_EQ(to_string(CheckKind::slice), "slice");
  EXPECT_EQ(to_string(CheckKind::fairness), "fairness");
  EXPECT_EQ(to_string(CheckKind::predictions), "predictions");
  EXPECT_EQ(to_string(CheckKind::rubric), "rubric");
  EXPECT_EQ(to_string(CheckStatus::pass), "pass");
  EXPECT_EQ(to_string(CheckStatus::fail), "fail");
  EXPECT_EQ(to_string(CheckStatus::missing), "missing");
  EXPECT_EQ(to_string(CheckStatus::skipped), "skipped");
  EXPECT_EQ(to_string(CheckStatus::pending), "pending");
}

TEST(GateNames, Blocks) {
  EXPECT_TRUE(blocks(CheckResult{.status = CheckStatus::fail}));
  EXPECT_TRUE(blocks(CheckResult{.status = CheckStatus::fail, .optional = true}));
  EXPECT_TRUE(blocks(CheckResult{.status = CheckStatus::missing}));
  EXPECT_FALSE(blocks(CheckResult{.status = CheckStatus::missing, .optional = true}));
  EXPECT_FALSE(blocks(CheckResult{.status = CheckStatus::pass}));
  EXPECT_FALSE(blocks(CheckResult{.status = CheckStatus::skipped}));
  EXPECT_FALSE(blocks(CheckResult{.status = CheckStatus::pending}));
}

// ---------------------------------------------------------------------------------------------
// Metrics: absolute bounds

TEST(GateMetric, MinIsInclusive) {
  auto r = metric_eval({.name = "accuracy", .min = 0.9}, 0.9, 0.95).run();
  auto c = only(r, CheckKind::metric);
  EXPECT_EQ(c.status, CheckStatus::pass);
  EXPECT_EQ(c.name, "accuracy");
  EXPECT_EQ(c.threshold, "min 0.9");
  EXPECT_EQ(c.reason, "0.9 >= min 0.9");
  EXPECT_EQ(c.value, 0.9);
  EXPECT_EQ(c.baseline, 0.95);
  EXPECT_EQ(r.decision, Decision::allow);
}

TEST(GateMetric, BelowMinFails) {
  auto r = metric_eval({.name = "accuracy", .min = 0.9}, 0.85).run();
  auto c = only(r, CheckKind::metric);
  EXPECT_EQ(c.status, CheckStatus::fail);
  EXPECT_EQ(c.reason, "0.85 < min 0.9");
  EXPECT_EQ(r.decision, Decision::deny);
  EXPECT_EQ(r.summary, "deny: 1 check failed: metric accuracy 0.85 < min 0.9");
}

TEST(GateMetric, MaxIsInclusive) {
  auto at = metric_eval({.name = "latency", .max = 50, .lower_is_better = true}, 50).run();
  EXPECT_EQ(only(at, CheckKind::metric).status, CheckStatus::pass);
  EXPECT_EQ(only(at, CheckKind::metric).reason, "50 <= max 50");
  auto over = metric_eval({.name = "latency", .max = 50, .lower_is_better = true}, 50.5).run();
  EXPECT_EQ(only(over, CheckKind::metric).status, CheckStatus::fail);
  EXPECT_EQ(only(over, CheckKind::metric).reason, "50.5 > max 50");
}

TEST(GateMetric, MinAndMaxTogether) {
  MetricCheck c{.name = "calibration", .min = 0.5, .max = 1.5};
  EXPECT_EQ(only(metric_eval(c, 1.0).run(), CheckKind::metric).reason, "1 within [0.5, 1.5]");
  EXPECT_EQ(only(metric_eval(c, 1.0).run(), CheckKind::metric).threshold, "min 0.5, max 1.5");
  EXPECT_EQ(only(metric_eval(c, 0.5).run(), CheckKind::metric).status, CheckStatus::pass);
  EXPECT_EQ(only(metric_eval(c, 1.5).run(), CheckKind::metric).status, CheckStatus::pass);
  EXPECT_EQ(only(metric_eval(c, 1.6).run(), CheckKind::metric).reason, "1.6 > max 1.5");
}

TEST(GateMetric, ReasonShowsEnoughDigitsToDiffer) {
  auto r = metric_eval({.name = "accuracy", .min = 0.9}, 0.89999999).run();
  EXPECT_EQ(only(r, CheckKind::metric).reason, "0.89999999 < min 0.9");
}

TEST(GateMetric, NegativeValuesCompareNormally) {
  auto r = metric_eval({.name = "log_likelihood", .min = -2.0}, -2.5).run();
  EXPECT_EQ(only(r, CheckKind::metric).reason, "-2.5 < min -2");
}

// ---------------------------------------------------------------------------------------------
// Metrics: change against the baseline

TEST(GateMetric, MaxDropAbsoluteBoundaryIsInclusiveDespiteFloatingPoint) {
  // 0.93 - 0.92 is 0.010000000000000009 in binary: still a drop of exactly 0.01.
  auto r = metric_eval({.name = "accuracy", .max_drop = abs_t(0.01)}, 0.92, 0.93).run();
  auto c = only(r, CheckKind::metric);
  EXPECT_EQ(c.status, CheckStatus::pass);
  EXPECT_EQ(c.threshold, "max_drop 0.01");
  EXPECT_EQ(c.reason, "0.92 vs baseline 0.93: drop 0.01 <= max_drop 0.01");
  EXPECT_EQ(c.value, 0.92);
  EXPECT_EQ(c.baseline, 0.93);
}

TEST(GateMetric, MaxDropAbsoluteFails) {
  auto r = metric_eval({.name = "accuracy", .max_drop = abs_t(0.01)}, 0.91, 0.93).run();
  auto c = only(r, CheckKind::metric);
  EXPECT_EQ(c.status, CheckStatus::fail);
  EXPECT_EQ(c.reason, "0.91 vs baseline 0.93: drop 0.02 > max_drop 0.01");
  EXPECT_EQ(r.decision, Decision::deny);
}

TEST(GateMetric, ImprovementPassesAMaxDrop) {
  auto c = only(metric_eval({.name = "accuracy", .max_drop = abs_t(0)}, 0.95, 0.93).run(),
                CheckKind::metric);
  EXPECT_EQ(c.status, CheckStatus::pass);
  EXPECT_EQ(c.reason, "0.95 vs baseline 0.93: drop 0 <= max_drop 0");
}

TEST(GateMetric, MaxDropZeroAllowsNoChangeButEquality) {
  EXPECT_EQ(
      only(metric_eval({.name = "a", .max_drop = abs_t(0)}, 0.93, 0.93).run(), CheckKind::metric)
          .status,
      CheckStatus::pass);
  EXPECT_EQ(
      only(metric_eval({.name = "a", .max_drop = abs_t(0)}, 0.9299, 0.93).run(), CheckKind::metric)
          .status,
      CheckStatus::fail);
}

TEST(GateMetric, MaxDropPercentOfBaseline) {
  // 1% of 0.9 = 0.009.
  MetricCheck c{.name = "accuracy", .max_drop = pct_t(0.01)};
  auto pass = only(metric_eval(c, 0.891, 0.9).run(), CheckKind::metric);
  EXPECT_EQ(pass.status, CheckStatus::pass);
  EXPECT_EQ(pass.threshold, "max_drop 1%");
  EXPECT_EQ(pass.reason, "0.891 vs baseline 0.9: drop 0.009 (1%) <= max_drop 1% (0.009)");
  auto fail = only(metric_eval(c, 0.89, 0.9).run(), CheckKind::metric);
  EXPECT_EQ(fail.status, CheckStatus::fail);
  EXPECT_EQ(fail.reason, "0.89 vs baseline 0.9: drop 0.01 (1.11111%) > max_drop 1% (0.009)");
}

TEST(GateMetric, PercentUsesTheBaselineMagnitude) {
  // A negative baseline: 10% of |-2| = 0.2.
  MetricCheck c{.name = "log_likelihood", .max_drop = pct_t(0.10)};
  EXPECT_EQ(only(metric_eval(c, -2.2, -2.0).run(), CheckKind::metric).status, CheckStatus::pass);
  EXPECT_EQ(only(metric_eval(c, -2.21, -2.0).run(), CheckKind::metric).status, CheckStatus::fail);
}

TEST(GateMetric, LowerIsBetterMaxIncreaseAbsolute) {
  MetricCheck c{.name = "latency_p95_ms", .max_increase = abs_t(5), .lower_is_better = true};
  auto pass = only(metric_eval(c, 45, 40).run(), CheckKind::metric);
  EXPECT_EQ(pass.status, CheckStatus::pass);
  EXPECT_EQ(pass.reason, "45 vs baseline 40: increase 5 <= max_increase 5");
  auto fail = only(metric_eval(c, 45.5, 40).run(), CheckKind::metric);
  EXPECT_EQ(fail.status, CheckStatus::fail);
  EXPECT_EQ(fail.reason, "45.5 vs baseline 40: increase 5.5 > max_increase 5");
  // Getting faster is never an increase.
  EXPECT_EQ(only(metric_eval(c, 10, 40).run(), CheckKind::metric).status, CheckStatus::pass);
}

TEST(GateMetric, LowerIsBetterMaxIncreasePercent) {
  MetricCheck c{.name = "latency_p95_ms", .max_increase = pct_t(0.10), .lower_is_better = true};
  auto pass = only(metric_eval(c, 44, 40).run(), CheckKind::metric);
  EXPECT_EQ(pass.status, CheckStatus::pass);
  EXPECT_EQ(pass.threshold, "max_increase 10%");
  EXPECT_EQ(pass.reason, "44 vs baseline 40: increase 4 (10%) <= max_increase 10% (4)");
  EXPECT_EQ(only(metric_eval(c, 44.1, 40).run(), CheckKind::metric).status, CheckStatus::fail);
  // A drop of a lower-is-better metric is an improvement.
  EXPECT_EQ(only(metric_eval(c, 30, 40).run(), CheckKind::metric).status, CheckStatus::pass);
}

TEST(GateMetric, ZeroBaselineWithPercentAllowsNoWorsening) {
  MetricCheck inc{.name = "error_rate", .max_increase = pct_t(0.10), .lower_is_better = true};
  auto same = only(metric_eval(inc, 0, 0).run(), CheckKind::metric);
  EXPECT_EQ(same.status, CheckStatus::pass);
  EXPECT_EQ(same.reason,
            "0 vs baseline 0: increase 0 <= max_increase 10% of baseline 0, so none "
            "allowed");
  auto worse = only(metric_eval(inc, 0.001, 0).run(), CheckKind::metric);
  EXPECT_EQ(worse.status, CheckStatus::fail);
  EXPECT_EQ(
      worse.reason,
      "0.001 vs baseline 0: increase 0.001 > max_increase 10% of baseline 0, so none allowed");
  EXPECT_EQ(only(metric_eval(inc, -0.5, 0).run(), CheckKind::metric).status, CheckStatus::pass);

  MetricCheck drop{.name = "margin", .max_drop = pct_t(0.05)};
  EXPECT_EQ(only(metric_eval(drop, 0.2, 0).run(), CheckKind::metric).status, CheckStatus::pass);
  EXPECT_EQ(only(metric_eval(drop, -0.2, 0).run(), CheckKind::metric).status, CheckStatus::fail);
}

TEST(GateMetric, ValueAndChangeAreSeparateResults) {
  auto r = metric_eval({.name = "accuracy", .min = 0.9, .max_drop = abs_t(0.01)}, 0.88, 0.93).run();
  auto checks = of_kind(r, CheckKind::metric);
  ASSERT_EQ(checks.size(), 2u);
  EXPECT_EQ(checks[0].threshold, "min 0.9");
  EXPECT_EQ(checks[0].status, CheckStatus::fail);
  EXPECT_EQ(checks[1].threshold, "max_drop 0.01");
  EXPECT_EQ(checks[1].status, CheckStatus::fail);
  EXPECT_EQ(r.summary,
            "deny: 2 checks failed: metric accuracy 0.88 < min 0.9; metric accuracy 0.88 vs "
            "baseline 0.93: drop 0.05 > max_drop 0.01");
}

TEST(GateMetric, NoBaselineSkipsChangeButKeepsAbsolute) {
  Eval e = metric_eval({.name = "accuracy", .min = 0.9, .max_drop = abs_t(0.01)}, 0.92,
                       std::nullopt, /*with_baseline=*/false);
  auto r = e.run();
  auto value = named(r, "accuracy", "min");
  auto change = named(r, "accuracy", "max_drop");
  EXPECT_EQ(value.status, CheckStatus::pass);
  EXPECT_EQ(change.status, CheckStatus::skipped);
  EXPECT_EQ(change.reason, "no deployed baseline: change not checked");
  EXPECT_FALSE(change.baseline.has_value());
  EXPECT_EQ(r.decision, Decision::allow);
  EXPECT_EQ(r.summary,
            "allow: 1 check passed, 1 skipped (no deployed baseline: only absolute thresholds "
            "apply)");

  e.candidate.metrics[0].value = 0.85;
  auto denied = e.run();
  EXPECT_EQ(denied.decision, Decision::deny);
  EXPECT_EQ(denied.summary,
            "deny: 1 check failed: metric accuracy 0.85 < min 0.9 (no deployed baseline: only "
            "absolute thresholds apply)");
}

TEST(GateMetric, OnlyAChangeThresholdAndNoBaselineIsSkippedNotFailed) {
  Eval e = metric_eval({.name = "accuracy", .max_drop = abs_t(0.01)}, 0.5, std::nullopt, false);
  auto r = e.run();
  EXPECT_EQ(only(r, CheckKind::metric).status, CheckStatus::skipped);
  EXPECT_EQ(r.decision, Decision::allow);
}

TEST(GateMetric, BaselineWithoutTheMetricSkipsChange) {
  auto c = only(metric_eval({.name = "f1", .max_drop = abs_t(0.01)}, 0.5, std::nullopt).run(),
                CheckKind::metric);
  EXPECT_EQ(c.status, CheckStatus::skipped);
  EXPECT_EQ(c.reason, "the deployed baseline did not report f1: change not checked");
}

TEST(GateMetric, NonFiniteBaselineSkipsChange) {
  auto c = only(metric_eval({.name = "f1", .max_drop = abs_t(0.01)}, 0.5, kNaN).run(),
                CheckKind::metric);
  EXPECT_EQ(c.status, CheckStatus::skipped);
  EXPECT_EQ(c.reason, "the deployed baseline's value is NaN: change not checked");
  EXPECT_TRUE(std::isnan(*c.baseline));
}

TEST(GateMetric, NaNFailsWithOneResult) {
  auto r = metric_eval({.name = "accuracy", .min = 0.9, .max_drop = abs_t(0.01)}, kNaN, 0.93).run();
  auto c = only(r, CheckKind::metric);
  EXPECT_EQ(c.status, CheckStatus::fail);
  EXPECT_EQ(c.reason, "is NaN");
  EXPECT_EQ(c.threshold, "min 0.9, max_drop 0.01");
  EXPECT_TRUE(std::isnan(*c.value));
  EXPECT_EQ(r.decision, Decision::deny);
}

TEST(GateMetric, NaNFailsEvenWithoutBaselineOrBounds) {
  // Only a change threshold and no baseline: still a failure, the value itself is broken.
  auto c = only(
      metric_eval({.name = "accuracy", .max_drop = abs_t(0.01)}, kNaN, std::nullopt, false).run(),
      CheckKind::metric);
  EXPECT_EQ(c.status, CheckStatus::fail);
}

TEST(GateMetric, InfinitiesFail) {
  auto pos = only(metric_eval({.name = "loss", .max = 1e9, .lower_is_better = true}, kInf).run(),
                  CheckKind::metric);
  EXPECT_EQ(pos.status, CheckStatus::fail);
  EXPECT_EQ(pos.reason, "is infinite");
  // -inf would pass "max" numerically, but it is not a real measurement.
  auto neg = only(metric_eval({.name = "loss", .max = 1e9, .lower_is_better = true}, -kInf).run(),
                  CheckKind::metric);
  EXPECT_EQ(neg.status, CheckStatus::fail);
  EXPECT_EQ(neg.reason, "is -infinite");
}

TEST(GateMetric, MissingFails) {
  auto r =
      metric_eval({.name = "accuracy", .min = 0.9, .max_drop = abs_t(0.01)}, std::nullopt, 0.93)
          .run();
  auto c = only(r, CheckKind::metric);
  EXPECT_EQ(c.status, CheckStatus::missing);
  EXPECT_EQ(c.reason, "not reported");
  EXPECT_EQ(c.threshold, "min 0.9, max_drop 0.01");
  EXPECT_FALSE(c.value.has_value());
  EXPECT_EQ(r.decision, Decision::deny);
  EXPECT_EQ(r.summary, "deny: 1 check failed: metric accuracy not reported");
}

TEST(GateMetric, OptionalMissingPasses) {
  auto r = metric_eval({.name = "auc", .min = 0.7, .optional = true}, std::nullopt).run();
  auto c = only(r, CheckKind::metric);
  EXPECT_EQ(c.status, CheckStatus::missing);
  EXPECT_TRUE(c.optional);
  EXPECT_EQ(c.reason, "not reported (optional: does not fail)");
  EXPECT_EQ(r.decision, Decision::allow);
  EXPECT_EQ(r.summary, "allow: 0 checks passed, 1 optional missing");
}

TEST(GateMetric, OptionalReportedButFailingStillFails) {
  auto r = metric_eval({.name = "auc", .min = 0.7, .optional = true}, 0.6).run();
  EXPECT_EQ(r.decision, Decision::deny);
}

TEST(GateMetric, ASliceMetricIsNotTheGlobalMetric) {
  Eval e = metric_eval({.name = "recall", .min = 0.5}, std::nullopt);
  e.candidate.metrics.push_back(slice("recall", "age_group", "<30", 0.9, 400));
  EXPECT_EQ(only(e.run(), CheckKind::metric).status, CheckStatus::missing);
}

TEST(GateMetric, LastReportedValueWins) {
  Eval e = metric_eval({.name = "accuracy", .min = 0.9}, 0.5);
  e.candidate.metrics.push_back(global("accuracy", 0.95));
  EXPECT_EQ(only(e.run(), CheckKind::metric).value, 0.95);
  EXPECT_EQ(only(e.run(), CheckKind::metric).status, CheckStatus::pass);
}

TEST(GateMetric, ChecksKeepConfigOrder) {
  Eval e;
  e.gate.metrics = {{.name = "b", .min = 0}, {.name = "a", .min = 0}, {.name = "c", .min = 0}};
  e.candidate.metrics = {global("a", 1), global("b", 1), global("c", 1)};
  auto checks = of_kind(e.run(), CheckKind::metric);
  ASSERT_EQ(checks.size(), 3u);
  EXPECT_EQ(checks[0].name, "b");
  EXPECT_EQ(checks[1].name, "a");
  EXPECT_EQ(checks[2].name, "c");
}

TEST(GateMetric, CarriesTheConfigLine) {
  Eval e = metric_eval({.name = "accuracy", .min = 0.9, .line = 12, .column = 9}, 0.95);
  EXPECT_EQ(only(e.run(), CheckKind::metric).line, 12);
}

// ---------------------------------------------------------------------------------------------
// Slices

Eval slice_eval(SliceCheck check, std::vector<Metric> metrics) {
  Eval e;
  e.gate.slices.push_back(std::move(check));
  e.candidate.metrics = std::move(metrics);
  e.baseline = JobResults{};
  return e;
}

TEST(GateSlice, EverySliceValueIsJudged) {
  auto r = slice_eval({.metric = "recall", .by = "age_group", .min = 0.8},
                      {slice("recall", "age_group", "<30", 0.71, 412),
                       slice("recall", "age_group", "30-60", 0.91, 1380),
                       slice("recall", "age_group", ">60", 0.8, 200)})
               .run();
  auto checks = of_kind(r, CheckKind::slice);
  ASSERT_EQ(checks.size(), 3u);
  EXPECT_EQ(checks[0].name, "recall[age_group=<30]");
  EXPECT_EQ(checks[0].status, CheckStatus::fail);
  EXPECT_EQ(checks[0].reason, "0.71 < min 0.8 (n=412)");
  EXPECT_EQ(checks[0].threshold, "min 0.8");
  EXPECT_EQ(checks[1].name, "recall[age_group=30-60]");
  EXPECT_EQ(checks[1].status, CheckStatus::pass);
  EXPECT_EQ(checks[1].reason, "0.91 >= min 0.8 (n=1380)");
  EXPECT_EQ(checks[2].status, CheckStatus::pass);  // inclusive
  EXPECT_EQ(r.decision, Decision::deny);
  EXPECT_EQ(r.summary, "deny: 1 check failed: slice recall[age_group=<30] 0.71 < min 0.8 (n=412)");
}

TEST(GateSlice, MaxBound) {
  auto r =
      slice_eval({.metric = "fpr", .by = "region", .max = 0.1},
                 {slice("fpr", "region", "eu", 0.1, 100), slice("fpr", "region", "us", 0.12, 100)})
          .run();
  EXPECT_EQ(named(r, "fpr[region=eu]").status, CheckStatus::pass);
  EXPECT_EQ(named(r, "fpr[region=us]").reason, "0.12 > max 0.1 (n=100)");
}

TEST(GateSlice, SlicesUnderMinNAreSkipped) {
  auto r = slice_eval({.metric = "recall", .by = "age_group", .min = 0.8},
                      {slice("recall", "age_group", "<18", 0.2, 29),
                       slice("recall", "age_group", "18-30", 0.9, 30)})
               .run();
  auto small = named(r, "recall[age_group=<18]");
  EXPECT_EQ(small.status, CheckStatus::skipped);
  EXPECT_EQ(small.reason, "n=29 < min_n 30: not judged");
  EXPECT_EQ(small.value, 0.2);
  EXPECT_EQ(named(r, "recall[age_group=18-30]").status, CheckStatus::pass);  // n == min_n
  EXPECT_EQ(r.decision, Decision::allow);
}

TEST(GateSlice, CustomMinN) {
  auto r = slice_eval({.metric = "recall", .by = "g", .min = 0.8, .min_n = 0},
                      {slice("recall", "g", "tiny", 0.2, 0)})
               .run();
  EXPECT_EQ(named(r, "recall[g=tiny]").status, CheckStatus::fail);
  auto r2 = slice_eval({.metric = "recall", .by = "g", .min = 0.8, .min_n = 500},
                       {slice("recall", "g", "big", 0.2, 499)})
                .run();
  EXPECT_EQ(named(r2, "recall[g=big]").reason, "n=499 < min_n 500: not judged");
}

TEST(GateSlice, SliceWithoutNIsJudged) {
  auto r = slice_eval({.metric = "recall", .by = "g", .min = 0.8},
                      {slice("recall", "g", "a", 0.7, std::nullopt)})
               .run();
  auto c = named(r, "recall[g=a]");
  EXPECT_EQ(c.status, CheckStatus::fail);
  EXPECT_EQ(c.reason, "0.7 < min 0.8 (n not reported)");
}

TEST(GateSlice, MaxGapOverJudgedSlices) {
  // The 0.1 slice is too small to be judged, so it does not widen the gap.
  auto r = slice_eval({.metric = "recall", .by = "g", .max_gap = 0.1},
                      {slice("recall", "g", "a", 0.9, 100), slice("recall", "g", "b", 0.8, 100),
                       slice("recall", "g", "c", 0.85, 100), slice("recall", "g", "d", 0.1, 5)})
               .run();
  auto c = only(r, CheckKind::slice);  // only max_gap: no per-slice results
  EXPECT_EQ(c.name, "recall[g] gap");
  EXPECT_EQ(c.threshold, "max_gap 0.1");
  EXPECT_EQ(c.status, CheckStatus::pass);  // 0.9 - 0.8 == 0.1 (within tolerance): inclusive
  EXPECT_EQ(c.reason, "0.1 (a 0.9 - b 0.8) <= max_gap 0.1 (1 slice under min_n 30 not judged: d)");
  EXPECT_NEAR(*c.value, 0.1, 1e-12);
}

TEST(GateSlice, MaxGapFails) {
  auto r = slice_eval({.metric = "recall", .by = "g", .min = 0.5, .max_gap = 0.1},
                      {slice("recall", "g", "a", 0.95, 100), slice("recall", "g", "b", 0.8, 100)})
               .run();
  auto gap = named(r, "recall[g] gap");
  EXPECT_EQ(gap.status, CheckStatus::fail);
  EXPECT_EQ(gap.reason, "0.15 (a 0.95 - b 0.8) > max_gap 0.1");
  EXPECT_EQ(of_kind(r, CheckKind::slice).size(), 3u);  // a, b, gap
  EXPECT_EQ(r.decision, Decision::deny);
}

TEST(GateSlice, MaxGapNeedsTwoJudgedSlices) {
  auto r = slice_eval({.metric = "recall", .by = "g", .max_gap = 0.1},
                      {slice("recall", "g", "a", 0.95, 100), slice("recall", "g", "b", 0.1, 3)})
               .run();
  auto gap = only(r, CheckKind::slice);
  EXPECT_EQ(gap.status, CheckStatus::skipped);
  EXPECT_EQ(gap.reason, "fewer than 2 slices to compare (1 slice under min_n 30 not judged: b)");
}

TEST(GateSlice, BaselineGapAndValues) {
  Eval e = slice_eval({.metric = "recall", .by = "g", .min = 0.5, .max_gap = 0.5},
                      {slice("recall", "g", "a", 0.9, 100), slice("recall", "g", "b", 0.8, 100)});
  e.baseline->metrics = {slice("recall", "g", "a", 0.92, 100), slice("recall", "g", "b", 0.7, 90)};
  auto r = e.run();
  EXPECT_EQ(named(r, "recall[g=a]").baseline, 0.92);
  EXPECT_EQ(named(r, "recall[g=b]").baseline, 0.7);
  EXPECT_NEAR(*named(r, "recall[g] gap").baseline, 0.22, 1e-12);
}

TEST(GateSlice, NaNSliceFailsAndFailsTheGap) {
  auto r = slice_eval({.metric = "recall", .by = "g", .min = 0.5, .max_gap = 0.5},
                      {slice("recall", "g", "a", 0.9, 100), slice("recall", "g", "b", kNaN, 100)})
               .run();
  EXPECT_EQ(named(r, "recall[g=b]").status, CheckStatus::fail);
  EXPECT_EQ(named(r, "recall[g=b]").reason, "is NaN (n=100)");
  EXPECT_EQ(named(r, "recall[g] gap").status, CheckStatus::fail);
  EXPECT_EQ(named(r, "recall[g] gap").reason, "slice b is NaN");
  // A NaN slice under min_n is simply not judged.
  auto small =
      slice_eval({.metric = "recall", .by = "g", .min = 0.5}, {slice("recall", "g", "b", kNaN, 1)})
          .run();
  EXPECT_EQ(small.decision, Decision::allow);
}

TEST(GateSlice, NoSliceIsMissing) {
  auto r = slice_eval({.metric = "recall", .by = "age_group", .min = 0.8, .max_gap = 0.1},
                      {global("recall", 0.9), slice("recall", "sex", "f", 0.9, 100),
                       slice("precision", "age_group", "<30", 0.9, 100)})
               .run();
  auto c = only(r, CheckKind::slice);
  EXPECT_EQ(c.status, CheckStatus::missing);
  EXPECT_EQ(c.name, "recall[age_group]");
  EXPECT_EQ(c.threshold, "min 0.8, max_gap 0.1");
  EXPECT_EQ(c.reason, "no slice of age_group reports recall");
  EXPECT_EQ(r.decision, Decision::deny);
}

TEST(GateSlice, OptionalMissingDoesNotFail) {
  auto r =
      slice_eval({.metric = "recall", .by = "age_group", .min = 0.8, .optional = true}, {}).run();
  EXPECT_EQ(only(r, CheckKind::slice).status, CheckStatus::missing);
  EXPECT_EQ(r.decision, Decision::allow);
}

TEST(GateSlice, RepeatedSliceValueLastWins) {
  auto r = slice_eval({.metric = "recall", .by = "g", .min = 0.8},
                      {slice("recall", "g", "a", 0.1, 100), slice("recall", "g", "b", 0.9, 100),
                       slice("recall", "g", "a", 0.95, 100)})
               .run();
  auto checks = of_kind(r, CheckKind::slice);
  ASSERT_EQ(checks.size(), 2u);
  EXPECT_EQ(checks[0].name, "recall[g=a]");
  EXPECT_EQ(checks[0].value, 0.95);
  EXPECT_EQ(r.decision, Decision::allow);
}

// ---------------------------------------------------------------------------------------------
// Fairness

Eval fairness_eval(FairnessCheck check, std::vector<Metric> metrics) {
  Eval e;
  e.gate.fairness.push_back(std::move(check));
  e.candidate.metrics = std::move(metrics);
  return e;
}

TEST(GateFairness, RatioToTheMajorityGroup) {
  auto r = fairness_eval({.metric = "fpr", .by = "sex"}, {slice("fpr", "sex", "female", 0.09, 400),
                                                          slice("fpr", "sex", "male", 0.08, 600)})
               .run();
  auto c = only(r, CheckKind::fairness);
  EXPECT_EQ(c.name, "fpr[sex=female vs male]");
  EXPECT_EQ(c.status, CheckStatus::pass);
  EXPECT_EQ(c.threshold, "disparity [0.8, 1.25]");
  EXPECT_DOUBLE_EQ(*c.value, 1.125);
  EXPECT_EQ(c.reason,
            "fpr 0.09 for female (n=400) / 0.08 for male (reference, n=600) = 1.125 within [0.8, "
            "1.25]");
  EXPECT_EQ(r.decision, Decision::allow);
}

TEST(GateFairness, OutsideTheDisparityFails) {
  auto high = fairness_eval({.metric = "fpr", .by = "sex"}, {slice("fpr", "sex", "f", 0.11, 400),
                                                             slice("fpr", "sex", "m", 0.08, 600)})
                  .run();
  auto c = only(high, CheckKind::fairness);
  EXPECT_EQ(c.status, CheckStatus::fail);
  EXPECT_EQ(c.reason, "fpr 0.11 for f (n=400) / 0.08 for m (reference, n=600) = 1.375 > 1.25");
  auto low = fairness_eval({.metric = "tpr", .by = "sex"},
                           {slice("tpr", "sex", "f", 0.6, 400), slice("tpr", "sex", "m", 0.8, 600)})
                 .run();
  EXPECT_EQ(only(low, CheckKind::fairness).status, CheckStatus::fail);
  EXPECT_CONTAINS(only(low, CheckKind::fairness).reason, "= 0.75 < 0.8");
}

TEST(GateFairness, DisparityBoundsAreInclusive) {
  // 0.08 / 0.1 is 0.7999999999999999 in binary: still on the bound.
  auto lo = fairness_eval({.metric = "fpr", .by = "g"},
                          {slice("fpr", "g", "a", 0.08, 100), slice("fpr", "g", "b", 0.1, 200)})
                .run();
  EXPECT_EQ(only(lo, CheckKind::fairness).status, CheckStatus::pass);
  auto hi = fairness_eval({.metric = "fpr", .by = "g"},
                          {slice("fpr", "g", "a", 0.125, 100), slice("fpr", "g", "b", 0.1, 200)})
                .run();
  EXPECT_EQ(only(hi, CheckKind::fairness).status, CheckStatus::pass);
  auto custom =
      fairness_eval({.metric = "fpr", .by = "g", .lo = 0.9, .hi = 1.1},
                    {slice("fpr", "g", "a", 0.115, 100), slice("fpr", "g", "b", 0.1, 200)})
          .run();
  EXPECT_EQ(only(custom, CheckKind::fairness).status, CheckStatus::fail);
  EXPECT_EQ(only(custom, CheckKind::fairness).threshold, "disparity [0.9, 1.1]");
}

TEST(GateFairness, MajorityTieGoesToTheSmallestGroupName) {
  auto r = fairness_eval({.metric = "fpr", .by = "sex"}, {slice("fpr", "sex", "male", 0.1, 500),
                                                          slice("fpr", "sex", "female", 0.1, 500)})
               .run();
  EXPECT_EQ(only(r, CheckKind::fairness).name, "fpr[sex=male vs female]");
  // The file order does not matter.
  auto r2 = fairness_eval({.metric = "fpr", .by = "sex"}, {slice("fpr", "sex", "female", 0.1, 500),
                                                           slice("fpr", "sex", "male", 0.1, 500)})
                .run();
  EXPECT_EQ(only(r2, CheckKind::fairness).name, "fpr[sex=male vs female]");
}

TEST(GateFairness, MajorityIgnoresGroupsWithoutN) {
  auto r = fairness_eval({.metric = "fpr", .by = "g"}, {slice("fpr", "g", "a", 0.1, std::nullopt),
                                                        slice("fpr", "g", "b", 0.1, 40)})
               .run();
  EXPECT_EQ(only(r, CheckKind::fairness).name, "fpr[g=a vs b]");
  EXPECT_CONTAINS(only(r, CheckKind::fairness).reason, "a (n not reported)");
}

TEST(GateFairness, NamedReference) {
  auto r = fairness_eval(
               {.metric = "fpr", .by = "race", .reference = "white"},
               {slice("fpr", "race", "asian", 0.1, 300), slice("fpr", "race", "black", 0.2, 300),
                slice("fpr", "race", "white", 0.1, 100)})
               .run();
  auto checks = of_kind(r, CheckKind::fairness);
  ASSERT_EQ(checks.size(), 2u);
  EXPECT_EQ(checks[0].name, "fpr[race=asian vs white]");
  EXPECT_EQ(checks[0].status, CheckStatus::pass);
  EXPECT_EQ(checks[1].name, "fpr[race=black vs white]");
  EXPECT_EQ(checks[1].status, CheckStatus::fail);
  EXPECT_DOUBLE_EQ(*checks[1].value, 2.0);
}

TEST(GateFairness, NamedReferenceNotReportedIsMissing) {
  auto r = fairness_eval({.metric = "fpr", .by = "race", .reference = "white"},
                         {slice("fpr", "race", "asian", 0.1, 300)})
               .run();
  auto c = only(r, CheckKind::fairness);
  EXPECT_EQ(c.status, CheckStatus::missing);
  EXPECT_EQ(c.name, "fpr[race]");
  EXPECT_EQ(c.reason, "reference group white is not reported");
  EXPECT_EQ(r.decision, Decision::deny);
}

TEST(GateFairness, MajorityWithoutAnyNIsMissing) {
  auto r = fairness_eval({.metric = "fpr", .by = "g"}, {slice("fpr", "g", "a", 0.1, std::nullopt),
                                                        slice("fpr", "g", "b", 0.1, std::nullopt)})
               .run();
  auto c = only(r, CheckKind::fairness);
  EXPECT_EQ(c.status, CheckStatus::missing);
  EXPECT_EQ(c.reason, "no group of g reports n, so the majority group is not known");
}

TEST(GateFairness, NoGroupIsMissingUnlessOptional) {
  auto r = fairness_eval({.metric = "fpr", .by = "sex"}, {global("fpr", 0.1)}).run();
  EXPECT_EQ(only(r, CheckKind::fairness).status, CheckStatus::missing);
  EXPECT_EQ(only(r, CheckKind::fairness).reason, "no group of sex reports fpr");
  EXPECT_EQ(r.decision, Decision::deny);
  auto opt = fairness_eval({.metric = "fpr", .by = "sex", .optional = true}, {}).run();
  EXPECT_EQ(opt.decision, Decision::allow);
}

TEST(GateFairness, ZeroReference) {
  // Both 0: equal, ratio 1. Group above 0 against a 0 reference: infinite ratio, fails.
  auto r = fairness_eval({.metric = "fpr", .by = "g"},
                         {slice("fpr", "g", "a", 0.0, 100), slice("fpr", "g", "b", 0.05, 100),
                          slice("fpr", "g", "ref", 0.0, 1000)})
               .run();
  auto a = named(r, "fpr[g=a vs ref]");
  EXPECT_EQ(a.status, CheckStatus::pass);
  EXPECT_EQ(a.value, 1.0);
  EXPECT_EQ(a.reason, "fpr is 0 for both a (n=100) and ref (reference, n=1000): ratio taken as 1");
  auto b = named(r, "fpr[g=b vs ref]");
  EXPECT_EQ(b.status, CheckStatus::fail);
  EXPECT_FALSE(b.value.has_value());
  EXPECT_EQ(b.reason,
            "fpr 0.05 for b (n=100) against 0 for ref (reference, n=1000): the ratio is infinite");
}

TEST(GateFairness, GroupsUnderMinNAreSkipped) {
  auto r = fairness_eval({.metric = "fpr", .by = "g"},
                         {slice("fpr", "g", "small", 0.9, 10), slice("fpr", "g", "big", 0.1, 1000)})
               .run();
  auto c = only(r, CheckKind::fairness);
  EXPECT_EQ(c.status, CheckStatus::skipped);
  EXPECT_EQ(c.reason, "small has n=10 < min_n 30: not judged");
  EXPECT_EQ(r.decision, Decision::allow);
}

TEST(GateFairness, ReferenceUnderMinNSkipsTheCheck) {
  auto r = fairness_eval({.metric = "fpr", .by = "g", .reference = "tiny"},
                         {slice("fpr", "g", "tiny", 0.1, 5), slice("fpr", "g", "big", 0.5, 1000)})
               .run();
  auto c = only(r, CheckKind::fairness);
  EXPECT_EQ(c.name, "fpr[g]");
  EXPECT_EQ(c.status, CheckStatus::skipped);
  EXPECT_EQ(c.reason, "reference group tiny has n=5 < min_n 30: not judged");
}

TEST(GateFairness, NaNGroupOrReferenceFails) {
  auto g = fairness_eval({.metric = "fpr", .by = "g"},
                         {slice("fpr", "g", "a", kNaN, 100), slice("fpr", "g", "b", 0.1, 200)})
               .run();
  EXPECT_EQ(only(g, CheckKind::fairness).status, CheckStatus::fail);
  EXPECT_EQ(only(g, CheckKind::fairness).reason, "a's fpr is NaN");
  auto ref = fairness_eval({.metric = "fpr", .by = "g"},
                           {slice("fpr", "g", "a", 0.1, 100), slice("fpr", "g", "b", kInf, 200)})
                 .run();
  auto c = only(ref, CheckKind::fairness);
  EXPECT_EQ(c.name, "fpr[g]");
  EXPECT_EQ(c.status, CheckStatus::fail);
  EXPECT_EQ(c.reason, "reference group b's fpr is infinite");
}

TEST(GateFairness, NegativeValuesFail) {
  auto r = fairness_eval({.metric = "m", .by = "g"},
                         {slice("m", "g", "a", -0.1, 100), slice("m", "g", "b", 0.1, 200)})
               .run();
  EXPECT_EQ(only(r, CheckKind::fairness).status, CheckStatus::fail);
  EXPECT_CONTAINS(only(r, CheckKind::fairness).reason, "is negative");
}

TEST(GateFairness, OnlyTheReferenceIsReported) {
  auto r = fairness_eval({.metric = "fpr", .by = "g"}, {slice("fpr", "g", "a", 0.1, 100)}).run();
  auto c = only(r, CheckKind::fairness);
  EXPECT_EQ(c.status, CheckStatus::skipped);
  EXPECT_EQ(c.reason, "only the reference group a is reported");
}

TEST(GateFairness, BaselineRatio) {
  Eval e = fairness_eval({.metric = "fpr", .by = "g"},
                         {slice("fpr", "g", "a", 0.1, 100), slice("fpr", "g", "b", 0.1, 200)});
  e.baseline =
      JobResults{.metrics = {slice("fpr", "g", "a", 0.09, 100), slice("fpr", "g", "b", 0.1, 200)}};
  EXPECT_DOUBLE_EQ(*only(e.run(), CheckKind::fairness).baseline, 0.9);
}

// ---------------------------------------------------------------------------------------------
// Predictions

std::vector<Prediction> preds(int count, std::string label = "1", double score = 0.5) {
  std::vector<Prediction> out;
  for (int i = 0; i < count; ++i) out.push_back(pred("id-" + std::to_string(i), label, score));
  return out;
}

Eval predictions_eval(PredictionsCheck check, std::vector<Prediction> cand,
                      std::optional<std::vector<Prediction>> base) {
  Eval e;
  e.gate.predictions = check;
  e.candidate.predictions = std::move(cand);
  if (base) e.baseline = JobResults{.predictions = std::move(*base)};
  return e;
}

TEST(GatePredictions, FlipRateAtTheLimitPasses) {
  auto cand = preds(100);
  cand[7].label = "0";
  cand[42].label = "0";
  auto r = predictions_eval({.max_flip_rate = 0.02}, cand, preds(100)).run();
  auto c = only(r, CheckKind::predictions);
  EXPECT_EQ(c.name, "flip_rate");
  EXPECT_EQ(c.status, CheckStatus::pass);
  EXPECT_EQ(c.threshold, "max_flip_rate 2%");
  EXPECT_DOUBLE_EQ(*c.value, 0.02);
  EXPECT_EQ(c.reason,
            "2 of 100 common ids changed label (2%) <= max_flip_rate 2%, e.g. id id-7: 1 -> 0");
}

TEST(GatePredictions, FlipRateOverTheLimitFails) {
  auto cand = preds(100);
  for (int i : {3, 4, 5}) cand[i].label = "\"1\"";  // the string "1" is another label than 1
  auto r = predictions_eval({.max_flip_rate = 0.02}, cand, preds(100)).run();
  auto c = only(r, CheckKind::predictions);
  EXPECT_EQ(c.status, CheckStatus::fail);
  EXPECT_EQ(c.reason,
            "3 of 100 common ids changed label (3%) > max_flip_rate 2%, e.g. id id-3: 1 -> \"1\"");
  EXPECT_EQ(r.decision, Decision::deny);
}

TEST(GatePredictions, OnlyCommonIdsCount) {
  // 60 of the baseline's 100 ids are in the candidate, plus 50 new ones that are not compared.
  std::vector<Prediction> cand;
  for (int i = 40; i < 150; ++i)
    cand.push_back(pred("id-" + std::to_string(i), i < 45 ? "0" : "1"));
  auto r = predictions_eval({.max_flip_rate = 0.1}, cand, preds(100)).run();
  auto c = only(r, CheckKind::predictions);
  EXPECT_EQ(c.status, CheckStatus::pass);
  EXPECT_EQ(c.reason,
            "5 of 60 common ids changed label (8.33333%) <= max_flip_rate 10%, e.g. id "
            "id-40: 1 -> 0");
}

TEST(GatePredictions, FewerThanHalfInCommonIsMissing) {
  std::vector<Prediction> cand = preds(100);
  cand.resize(49);
  auto r =
      predictions_eval({.max_flip_rate = 0.02, .max_score_delta = 0.1}, cand, preds(100)).run();
  auto c = only(r, CheckKind::predictions);
  EXPECT_EQ(c.name, "predictions");
  EXPECT_EQ(c.status, CheckStatus::missing);
  EXPECT_EQ(c.threshold, "max_flip_rate 2%, max_score_delta 0.1");
  EXPECT_EQ(c.reason,
            "only 49 of the baseline's 100 ids are in the candidate's predictions (at least half "
            "are needed)");
  EXPECT_EQ(r.decision, Decision::deny);
  // Exactly half is enough.
  cand = preds(100);
  cand.resize(50);
  EXPECT_EQ(only(predictions_eval({.max_flip_rate = 0.02}, cand, preds(100)).run(),
                 CheckKind::predictions)
                .status,
            CheckStatus::pass);
}

TEST(GatePredictions, NoBaselineIsSkipped) {
  auto r = predictions_eval({.max_flip_rate = 0.02}, preds(10), std::nullopt).run();
  auto c = only(r, CheckKind::predictions);
  EXPECT_EQ(c.status, CheckStatus::skipped);
  EXPECT_EQ(c.reason, "no deployed baseline: predictions not compared");
  EXPECT_EQ(r.decision, Decision::allow);
}

TEST(GatePredictions, BaselineWithoutPredictionsIsSkipped) {
  auto c =
      only(predictions_eval({.max_flip_rate = 0.02}, preds(10), std::vector<Prediction>{}).run(),
           CheckKind::predictions);
  EXPECT_EQ(c.status, CheckStatus::skipped);
  EXPECT_EQ(c.reason, "the deployed baseline reported no predictions: not compared");
}

TEST(GatePredictions, NoCandidatePredictionsIsMissing) {
  for (auto base : {std::optional<std::vector<Prediction>>(preds(10)),
                    std::optional<std::vector<Prediction>>()}) {
    auto r = predictions_eval({.max_flip_rate = 0.02}, {}, base).run();
    auto c = only(r, CheckKind::predictions);
    EXPECT_EQ(c.status, CheckStatus::missing);
    EXPECT_EQ(c.reason, "not reported (no predictions.jsonl)");
    EXPECT_EQ(r.decision, Decision::deny);
  }
  auto opt = predictions_eval({.max_flip_rate = 0.02, .optional = true}, {}, preds(10)).run();
  EXPECT_EQ(opt.decision, Decision::allow);
  EXPECT_EQ(only(opt, CheckKind::predictions).reason,
            "not reported (no predictions.jsonl) (optional: does not fail)");
}

TEST(GatePredictions, ScoreDelta) {
  std::vector<Prediction> base = {pred("a", "1", 0.9), pred("b", "1", 0.5), pred("c", "0", 0.1),
                                  pred("d", "0", std::nullopt), pred("e", "0", 0.2)};
  std::vector<Prediction> cand = {pred("a", "1", 0.85), pred("b", "1", 0.6), pred("c", "0", 0.1),
                                  pred("d", "0", 0.99), pred("e", "0", std::nullopt)};
  auto r = predictions_eval({.max_score_delta = 0.1}, cand, base).run();
  auto c = only(r, CheckKind::predictions);
  EXPECT_EQ(c.name, "score_delta");
  EXPECT_EQ(c.status, CheckStatus::pass);  // |0.6 - 0.5| is 0.09999999999999998: on the bound
  EXPECT_NEAR(*c.value, 0.1, 1e-12);
  EXPECT_EQ(c.reason,
            "largest score change 0.1 (id b: 0.5 -> 0.6) <= max_score_delta 0.1 over 3 scored ids");
  cand[0].score = 0.7;
  auto fail =
      only(predictions_eval({.max_score_delta = 0.1}, cand, base).run(), CheckKind::predictions);
  EXPECT_EQ(fail.status, CheckStatus::fail);
  EXPECT_EQ(fail.reason,
            "largest score change 0.2 (id a: 0.9 -> 0.7) > max_score_delta 0.1 over 3 scored ids");
}

TEST(GatePredictions, FlipRateAndScoreDeltaTogether) {
  auto cand = preds(10, "1", 0.5);
  cand[0].label = "0";
  auto r = predictions_eval({.max_flip_rate = 0.05, .max_score_delta = 0.5}, cand, preds(10)).run();
  auto checks = of_kind(r, CheckKind::predictions);
  ASSERT_EQ(checks.size(), 2u);
  EXPECT_EQ(checks[0].name, "flip_rate");
  EXPECT_EQ(checks[0].status, CheckStatus::fail);
  EXPECT_EQ(checks[1].name, "score_delta");
  EXPECT_EQ(checks[1].status, CheckStatus::pass);
  EXPECT_EQ(checks[1].value, 0.0);
}

TEST(GatePredictions, NoScoresInCommonIsMissing) {
  auto r =
      predictions_eval({.max_score_delta = 0.1}, {pred("a", "1", 0.5)}, {{pred("a", "1")}}).run();
  auto c = only(r, CheckKind::predictions);
  EXPECT_EQ(c.name, "score_delta");
  EXPECT_EQ(c.status, CheckStatus::missing);
  EXPECT_EQ(c.reason, "no common id has a score in both");
}

TEST(GatePredictions, NonFiniteScoreFails) {
  auto r = predictions_eval({.max_score_delta = 0.1}, {pred("a", "1", 0.5), pred("b", "1", kNaN)},
                            {{pred("a", "1", 0.5), pred("b", "1", 0.5)}})
               .run();
  auto c = only(r, CheckKind::predictions);
  EXPECT_EQ(c.status, CheckStatus::fail);
  EXPECT_EQ(c.reason, "id b: score is NaN");
  EXPECT_TRUE(std::isnan(*c.value));
  auto base_inf =
      predictions_eval({.max_score_delta = 0.1}, {pred("a", "1", 0.5)}, {{pred("a", "1", kInf)}})
          .run();
  EXPECT_EQ(only(base_inf, CheckKind::predictions).reason, "id a: baseline score is infinite");
}

TEST(GatePredictions, FlipRateCarriesTheFirstFiveFlippedIdsInByteOrder) {
  // Seven flips, listed out of id order; the five smallest ids are kept, in byte order
  // ("id-10" < "id-3"), whatever the candidate's order.
  auto cand = preds(20);
  for (int i : {17, 3, 10, 12, 5, 19, 11}) cand[i].label = "0";
  cand[3].truth = "1";
  auto base = preds(20);
  base[5].truth = "0";  // the baseline's truth when the candidate has none
  auto c = only(predictions_eval({.max_flip_rate = 0.5}, cand, base).run(), CheckKind::predictions);
  ASSERT_EQ(c.examples.size(), 5u);
  std::vector<std::string> ids;
  for (const auto& e : c.examples) ids.push_back(e.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"id-10", "id-11", "id-12", "id-17", "id-19"}));
  EXPECT_EQ(c.examples[0].baseline, "1");
  EXPECT_EQ(c.examples[0].candidate, "0");
  EXPECT_FALSE(c.examples[0].truth);

  std::reverse(cand.begin(), cand.end());
  auto again =
      only(predictions_eval({.max_flip_rate = 0.5}, cand, base).run(), CheckKind::predictions);
  std::vector<std::string> ids_again;
  for (const auto& e : again.examples) ids_again.push_back(e.id);
  EXPECT_EQ(ids_again, ids);
}

TEST(GatePredictions, FlippedExamplesCarryTruthAndCutLongTexts) {
  std::vector<Prediction> cand{pred("a", "cat"), pred("b", "dog"),
                               pred(std::string(300, 'x'), "1")};
  cand[0].truth = "cat";
  std::vector<Prediction> base{pred("a", "dog"), pred("b", "cat"),
                               pred(std::string(300, 'x'), "0")};
  base[1].truth = "dog";
  auto c = only(predictions_eval({.max_flip_rate = 1}, cand, base).run(), CheckKind::predictions);
  ASSERT_EQ(c.examples.size(), 3u);
  EXPECT_EQ(c.examples[0].id, "a");
  EXPECT_EQ(c.examples[0].truth, "cat");
  EXPECT_EQ(c.examples[1].truth, "dog");  // from the baseline
  EXPECT_EQ(c.examples[2].id, std::string(kFlippedTextMax, 'x'));
}

TEST(GatePredictions, NoFlipNoExamples) {
  auto c = only(predictions_eval({.max_flip_rate = 0}, preds(10), preds(10)).run(),
                CheckKind::predictions);
  EXPECT_TRUE(c.examples.empty());
}

TEST(GateJson, FlipRateExamples) {
  auto cand = preds(10);
  cand[4].label = "0";
  cand[4].truth = "0";
  cand[2].label = "0";
  const auto j = nlohmann::json::parse(
      gate_result_json(predictions_eval({.max_flip_rate = 0.5}, cand, preds(10)).run()));
  const auto& examples = j["checks"][0]["examples"];
  ASSERT_EQ(examples.size(), 2u);
  EXPECT_EQ(
      examples[0],
      (nlohmann::json{{"id", "id-2"}, {"baseline", "1"}, {"candidate", "0"}, {"truth", nullptr}}));
  EXPECT_EQ(examples[1]["truth"], "0");
  // No flip: an empty list, still present.
  const auto none = nlohmann::json::parse(
      gate_result_json(predictions_eval({.max_flip_rate = 0.5}, preds(10), preds(10)).run()));
  EXPECT_EQ(none["checks"][0]["examples"], nlohmann::json::array());
}

TEST(GatePredictions, ScoreOnlyPredictionsNeverFlip) {
  auto r =
      predictions_eval({.max_flip_rate = 0.0}, {pred("a", "", 0.3)}, {{pred("a", "", 0.9)}}).run();
  EXPECT_EQ(only(r, CheckKind::predictions).status, CheckStatus::pass);
  // A label that appears where there was none is a flip.
  auto r2 =
      predictions_eval({.max_flip_rate = 0.0}, {pred("a", "1", 0.3)}, {{pred("a", "", 0.9)}}).run();
  EXPECT_EQ(
      only(r2, CheckKind::predictions).reason,
      "1 of 1 common ids changed label (100%) > max_flip_rate 0%, e.g. id a: (no label) -> 1");
}

TEST(GatePredictions, DuplicateIdsLastWins) {
  auto r =
      predictions_eval({.max_flip_rate = 0.0}, {pred("a", "0"), pred("b", "1"), pred("a", "1")},
                       {{pred("a", "1"), pred("b", "1")}})
          .run();
  auto c = only(r, CheckKind::predictions);
  EXPECT_EQ(c.status, CheckStatus::pass);
  EXPECT_EQ(c.reason, "0 of 2 common ids changed label (0%) <= max_flip_rate 0%");
}

TEST(GatePredictions, LongIdsAndLabelsAreCutInTheReason) {
  const std::string long_label = "\"" + std::string(100, 'x') + "\"";
  auto r = predictions_eval({.max_flip_rate = 0.0}, {pred(std::string(60, 'i'), long_label)},
                            {{pred(std::string(60, 'i'), "1")}})
               .run();
  auto reason = only(r, CheckKind::predictions).reason;
  EXPECT_LT(reason.size(), 200u);
  EXPECT_CONTAINS(reason, std::string(40, 'i') + "...");
}

// ---------------------------------------------------------------------------------------------
// Rubric

TEST(GateRubric, TestIdsCoverEveryPytestReading) {
  EXPECT_EQ(
      rubric_test_ids(test("tests.data.test_schema", "test_columns")),
      (std::vector<std::string>{
          "tests.data.test_schema::test_columns", "tests.py::data::test_schema::test_columns",
          "tests/data.py::test_schema::test_columns", "tests/data/test_schema.py::test_columns"}));
  auto in_class = rubric_test_ids(test("tests.test_model.TestSlices", "test_age[<30]"));
  EXPECT_NE(
      std::find(in_class.begin(), in_class.end(), "tests/test_model.py::TestSlices::test_age[<30]"),
      in_class.end());
  EXPECT_EQ(rubric_test_ids(test("", "test_alone")), std::vector<std::string>{"test_alone"});
  EXPECT_EQ(rubric_test_ids(test("test_top", "test_x")),
            (std::vector<std::string>{"test_top::test_x", "test_top.py::test_x"}));
}

TEST(GateRubric, MltestPropertyScoresOne) {
  auto s = score_rubric({}, {test("tests.t", "test_a", TestStatus::passed, {"data-1", "model-6"})},
                        nullptr);
  ASSERT_EQ(s.items.size(), 28u);
  EXPECT_EQ(s.items[0].id, "data-1");
  EXPECT_EQ(s.items[0].points, 1.0);
  EXPECT_EQ(s.items[0].evidence, "tests.t::test_a passed");
  EXPECT_EQ(s.items[12].id, "model-6");
  EXPECT_EQ(s.items[12].points, 1.0);
  EXPECT_EQ(s.items[1].points, 0.0);
  EXPECT_EQ(s.items[1].evidence, "no mapped test");
  EXPECT_EQ(s.sections.at("data"), 1.0);
  EXPECT_EQ(s.sections.at("model"), 1.0);
  EXPECT_EQ(s.sections.at("infra"), 0.0);
  EXPECT_EQ(s.score, 0.0);
  EXPECT_EQ(s.band, score_band(0));
}

TEST(GateRubric, GlobMappingOverPytestIds) {
  RubricMapping m{.automated = {{"data-1", {"tests/data/test_schema.py::*"}},
                                {"model-6", {"*slice*"}},
                                {"infra-1", {"tests/test_repro.py::TestRepro::*"}}}};
  std::vector<TestCase> tests = {test("tests.data.test_schema", "test_columns"),
                                 test("tests.data.test_schema", "test_types"),
                                 test("tests.test_model", "test_slice_recall"),
                                 test("tests.test_repro.TestRepro", "test_same_weights"),
                                 test("tests.other", "test_unrelated", TestStatus::failed)};
  auto s = score_rubric(m, tests, nullptr);
  EXPECT_EQ(s.items[0].points, 1.0);
  EXPECT_EQ(s.items[0].evidence,
            "2 mapped tests passed (tests.data.test_schema::test_columns, ...)");
  EXPECT_EQ(s.items[12].points, 1.0);
  EXPECT_EQ(s.items[14].id, "infra-1");
  EXPECT_EQ(s.items[14].points, 1.0);
}

TEST(GateRubric, AFailingMappedTestGivesZero) {
  RubricMapping m{.automated = {{"data-1", {"tests/data/*"}}}};
  std::vector<TestCase> tests = {test("tests.data.test_schema", "test_columns"),
                                 test("tests.data.test_schema", "test_types", TestStatus::failed),
                                 test("tests.x", "test_y", TestStatus::passed, {"data-1"})};
  auto s = score_rubric(m, tests, nullptr);
  EXPECT_EQ(s.items[0].points, 0.0);
  EXPECT_EQ(s.items[0].evidence,
            "tests.data.test_schema::test_types failed (1 of 3 mapped tests did not pass)");
}

TEST(GateRubric, ErroredOrSkippedMappedTestsDoNotPass) {
  for (TestStatus st : {TestStatus::error, TestStatus::skipped}) {
    auto s = score_rubric(
        {}, {test("t", "a", TestStatus::passed, {"infra-2"}), test("t", "b", st, {"infra-2"})},
        nullptr);
    EXPECT_EQ(s.items[15].id, "infra-2");
    EXPECT_EQ(s.items[15].points, 0.0) << to_string(st);
  }
}

TEST(GateRubric, ManualEvidence) {
  RubricMapping m{.manual = {{"model-1", "docs/model_card.md"}, {"model-2", "docs/online.md"}}};
  PathExists tree = [](std::string_view p) { return p == "docs/model_card.md"; };
  auto s = score_rubric(m, {}, tree);
  EXPECT_EQ(s.items[7].id, "model-1");
  EXPECT_EQ(s.items[7].points, 0.5);
  EXPECT_EQ(s.items[7].evidence, "no mapped test; docs/model_card.md exists");
  EXPECT_EQ(s.items[8].points, 0.0);
  EXPECT_EQ(s.items[8].evidence, "no mapped test; docs/online.md not found");
  EXPECT_EQ(s.sections.at("model"), 0.5);

  auto no_tree = score_rubric(m, {}, nullptr);
  EXPECT_EQ(no_tree.items[7].points, 0.0);
  EXPECT_EQ(no_tree.items[7].evidence,
            "no mapped test; no repository tree to look for docs/model_card.md");
}

TEST(GateRubric, AutomatedAndManualTakeTheMax) {
  RubricMapping m{.automated = {{"model-1", {"*model_card*"}}},
                  .manual = {{"model-1", "docs/model_card.md"}}};
  PathExists tree = [](std::string_view) { return true; };
  auto passed = score_rubric(m, {test("tests.test_docs", "test_model_card")}, tree);
  EXPECT_EQ(passed.items[7].points, 1.0);
  EXPECT_EQ(passed.items[7].evidence,
            "tests.test_docs::test_model_card passed; docs/model_card.md exists");
  auto failed =
      score_rubric(m, {test("tests.test_docs", "test_model_card", TestStatus::failed)}, tree);
  EXPECT_EQ(failed.items[7].points, 0.5);
}

// All seven items of a section scored through mltest properties.
std::vector<TestCase> section_tests(std::string_view section, int items,
                                    TestStatus status = TestStatus::passed) {
  std::vector<TestCase> out;
  for (int i = 1; i <= items; ++i) {
    out.push_back(test("tests.t", std::string(section) + std::to_string(i), status,
                       {std::string(section) + "-" + std::to_string(i)}));
  }
  return out;
}

TEST(GateRubric, ScoreIsTheMinimumSectionWithItsBand) {
  std::vector<TestCase> tests;
  for (auto [section, n] : {std::pair{"data", 5}, {"model", 3}, {"infra", 7}, {"monitor", 4}}) {
    auto t = section_tests(section, n);
    tests.insert(tests.end(), t.begin(), t.end());
  }
  RubricMapping m{.manual = {{"model-7", "docs/inclusion.md"}}};
  auto s = score_rubric(m, tests, [](std::string_view) { return true; });
  EXPECT_EQ(s.sections.at("data"), 5.0);
  EXPECT_EQ(s.sections.at("model"), 3.5);
  EXPECT_EQ(s.sections.at("infra"), 7.0);
  EXPECT_EQ(s.sections.at("monitor"), 4.0);
  EXPECT_EQ(s.score, 3.5);
  EXPECT_EQ(s.band,
            "Strong levels of automated testing and monitoring, appropriate for mission-critical "
            "systems.");
}

TEST(GateRubric, GateCheckPassesAtMinScore) {
  Eval e;
  e.gate.rubric = RubricGate{.min_score = 2, .line = 20};
  for (auto section : {"data", "model", "infra", "monitor"}) {
    auto t = section_tests(section, 2);
    e.candidate.tests.insert(e.candidate.tests.end(), t.begin(), t.end());
  }
  auto r = e.run();
  auto c = only(r, CheckKind::rubric);
  EXPECT_EQ(c.name, "ml_test_score");
  EXPECT_EQ(c.status, CheckStatus::pass);
  EXPECT_EQ(c.value, 2.0);
  EXPECT_EQ(c.threshold, "min_score 2");
  EXPECT_EQ(c.line, 20);
  EXPECT_EQ(c.reason, "2 >= min_score 2 (data 2, model 2, infra 2, monitor 2)");
  EXPECT_EQ(r.rubric.band, score_band(2));
  EXPECT_EQ(r.decision, Decision::allow);

  e.candidate.tests.back().status = TestStatus::failed;  // monitor-2
  auto denied = e.run();
  auto d = only(denied, CheckKind::rubric);
  EXPECT_EQ(d.status, CheckStatus::fail);
  EXPECT_EQ(d.reason,
            "1 < min_score 2 (data 2, model 2, infra 2, monitor 1); weakest section: "
            "monitor");
  EXPECT_EQ(denied.decision, Decision::deny);
}

TEST(GateRubric, ScoredEvenWithoutARubricCheck) {
  Eval e;
  e.gate.metrics = {{.name = "a", .min = 0}};
  e.candidate.metrics = {global("a", 1)};
  e.candidate.tests = section_tests("data", 7);
  auto r = e.run();
  EXPECT_TRUE(of_kind(r, CheckKind::rubric).empty());
  EXPECT_EQ(r.rubric.items.size(), 28u);
  EXPECT_EQ(r.rubric.sections.at("data"), 7.0);
  EXPECT_EQ(r.rubric.score, 0.0);
}

TEST(GateRubric, FromParsedJunit) {
  // pytest --junitxml output with a record_property("mltest", ...) and a class.
  auto tests = parse_junit(R"(<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" tests="3">
<testcase classname="tests.data.test_schema" name="test_columns" time="0.01"/>
<testcase classname="tests.test_model.TestSlices" name="test_recall[age]" time="0.2">
  <properties><property name="mltest" value="model-6,model-7"/></properties></testcase>
<testcase classname="tests.test_infra" name="test_rollback" time="0.1">
  <failure message="assert False"/></testcase>
</testsuite></testsuites>)");
  ASSERT_TRUE(tests.ok()) << tests.error().to_string();
  RubricMapping m{
      .automated = {{"data-1", {"tests/data/test_schema.py::*"}}, {"infra-7", {"*rollback*"}}}};
  auto s = score_rubric(m, *tests, nullptr);
  EXPECT_EQ(s.items[0].points, 1.0);   // data-1 by glob
  EXPECT_EQ(s.items[12].points, 1.0);  // model-6 by property
  EXPECT_EQ(s.items[13].points, 1.0);  // model-7 by property
  EXPECT_EQ(s.items[20].id, "infra-7");
  EXPECT_EQ(s.items[20].points, 0.0);  // failed
}

// ---------------------------------------------------------------------------------------------
// Tiers

// A tier's job in `state`, spelled as the database and the API spell it.
TierState tier(std::string name, std::string_view state) {
  return {std::move(name), *parse_job_state(state)};
}

Eval tier_eval(std::vector<std::string> require, std::optional<std::vector<TierState>> tiers) {
  Eval e;
  e.gate.require = std::move(require);
  e.gate.line = 3;
  e.tiers = std::move(tiers);
  return e;
}

TEST(GateTier, OfflineIsSkipped) {
  auto r = tier_eval({"functionality", "validation"}, std::nullopt).run();
  auto checks = of_kind(r, CheckKind::tier);
  ASSERT_EQ(checks.size(), 2u);
  EXPECT_EQ(checks[0].name, "functionality");
  EXPECT_EQ(checks[0].status, CheckStatus::skipped);
  EXPECT_EQ(checks[0].reason, "not known offline");
  EXPECT_EQ(checks[0].threshold, "passed");
  EXPECT_EQ(checks[0].line, 3);
  EXPECT_EQ(r.decision, Decision::allow);
}

TEST(GateTier, PassedPasses) {
  auto r =
      tier_eval({"functionality", "validation"},
                std::vector<TierState>{tier("functionality", "passed"),
                                       tier("validation", "passed"), tier("training", "failed")})
          .run();
  EXPECT_EQ(of_kind(r, CheckKind::tier).size(), 2u);  // only the required tiers
  EXPECT_EQ(r.decision, Decision::allow);
  EXPECT_EQ(named(r, "validation").reason, "passed");
}

TEST(GateTier, UnfinishedIsPending) {
  for (std::string state : {"queued", "running", "blocked"}) {
    auto r = tier_eval(
                 {"functionality", "validation"},
                 std::vector<TierState>{tier("functionality", "passed"), tier("validation", state)})
                 .run();
    auto c = named(r, "validation");
    EXPECT_EQ(c.status, CheckStatus::pending);
    EXPECT_EQ(c.reason, "is " + state);
    EXPECT_EQ(r.decision, Decision::pending) << state;
    EXPECT_EQ(r.summary, "pending: waiting for tier validation is " + state +
                             " (no deployed baseline: only absolute thresholds apply)");
  }
}

TEST(GateTier, NotCreatedYetIsPending) {
  auto r = tier_eval({"validation"}, std::vector<TierState>{}).run();
  EXPECT_EQ(only(r, CheckKind::tier).status, CheckStatus::pending);
  EXPECT_EQ(only(r, CheckKind::tier).reason, "has not run for this commit yet");
  EXPECT_EQ(r.decision, Decision::pending);
}

TEST(GateTier, FinishedWithoutPassingFails) {
  for (std::string state : {"failed", "timed_out", "cancelled", "error", "skipped"}) {
    auto r = tier_eval({"validation"}, std::vector<TierState>{tier("validation", state)}).run();
    auto c = only(r, CheckKind::tier);
    EXPECT_EQ(c.status, CheckStatus::fail);
    EXPECT_EQ(c.reason, state);
    EXPECT_EQ(r.decision, Decision::deny) << state;
  }
}

TEST(GateTier, AnUnknownStateCannotReachTheGate) {
  // The store parses a job's state when it reads the row (an unknown one is an error there).
  EXPECT_FALSE(parse_job_state("exploded"));
}

TEST(GateTier, TheLastEntryIsTheLatestAttempt) {
  auto r = tier_eval({"validation"}, std::vector<TierState>{tier("validation", "failed"),
                                                            tier("validation", "passed")})
               .run();
  EXPECT_EQ(r.decision, Decision::allow);
  auto r2 = tier_eval({"validation"}, std::vector<TierState>{tier("validation", "passed"),
                                                             tier("validation", "running")})
                .run();
  EXPECT_EQ(r2.decision, Decision::pending);
}

TEST(GateTier, DenyWinsOverPending) {
  Eval e = tier_eval(
      {"functionality", "validation"},
      std::vector<TierState>{tier("functionality", "failed"), tier("validation", "running")});
  auto r = e.run();
  EXPECT_EQ(r.decision, Decision::deny);
  EXPECT_EQ(r.summary,
            "deny: 1 check failed: tier functionality failed (no deployed baseline: only absolute "
            "thresholds apply)");
  // A failing metric while a tier still runs: deny too (waiting would not change it).
  Eval m = tier_eval({"validation"}, std::vector<TierState>{tier("validation", "running")});
  m.gate.metrics = {{.name = "accuracy", .min = 0.9}};
  m.candidate.metrics = {global("accuracy", 0.5)};
  EXPECT_EQ(m.run().decision, Decision::deny);
}

TEST(GateTier, WhatAnUnfinishedTierHasNotReportedYetDoesNotDeny) {
  // Right after a push nothing is reported: missing metrics, an empty rubric. Waiting will change
  // that, so the gate is pending, not deny; the checks still say what is missing.
  Eval e = tier_eval(
      {"functionality", "validation"},
      std::vector<TierState>{tier("functionality", "queued"), tier("validation", "blocked")});
  e.gate.metrics = {{.name = "accuracy", .min = 0.9}};
  e.gate.rubric = RubricGate{.min_score = 1};
  auto r = e.run();
  EXPECT_EQ(r.decision, Decision::pending);
  EXPECT_EQ(named(r, "accuracy").status, CheckStatus::missing);
  EXPECT_EQ(only(r, CheckKind::rubric).status, CheckStatus::fail);
  // Once every required tier finished, the same missing metric denies.
  Eval done = tier_eval(
      {"functionality", "validation"},
      std::vector<TierState>{tier("functionality", "passed"), tier("validation", "passed")});
  done.gate.metrics = {{.name = "accuracy", .min = 0.9}};
  EXPECT_EQ(done.run().decision, Decision::deny);
}

TEST(GateTier, PendingWithOtherwisePassingChecks) {
  Eval e = tier_eval({"validation"}, std::vector<TierState>{tier("validation", "queued")});
  e.gate.metrics = {{.name = "accuracy", .min = 0.9}};
  e.candidate.metrics = {global("accuracy", 0.95)};
  e.baseline = JobResults{};
  auto r = e.run();
  EXPECT_EQ(r.decision, Decision::pending);
  EXPECT_EQ(r.summary, "pending: waiting for tier validation is queued");
}

TEST(GateTier, AMetricFromATierTheGateDoesNotRequireIsWaitedFor) {
  // A gate without `require` (staging: only a metric) while the tier that reports the metric is
  // queued or running: pending, not deny "not reported" (a commit status or a protection rule
  // answered then would say the commit fails).
  for (std::string state : {"queued", "blocked", "running"}) {
    Eval e = tier_eval(
        {}, std::vector<TierState>{tier("functionality", state), tier("validation", "blocked")});
    e.gate.metrics = {{.name = "accuracy", .min = 0.5}};
    auto r = e.run();
    EXPECT_EQ(named(r, "accuracy").status, CheckStatus::missing) << state;
    EXPECT_EQ(r.decision, Decision::pending) << state;
    EXPECT_EQ(r.summary, "pending: waiting for tier functionality is " + state +
                             ", validation is blocked (no deployed baseline: only absolute "
                             "thresholds apply)");
  }
  // The same with a required tier that passed and another still running: the required tier's
  // check is not named again.
  Eval e = tier_eval({"functionality"}, std::vector<TierState>{tier("functionality", "passed"),
                                                               tier("validation", "running")});
  e.gate.metrics = {{.name = "accuracy", .min = 0.5}};
  auto r = e.run();
  EXPECT_EQ(r.decision, Decision::pending);
  EXPECT_EQ(r.summary,
            "pending: waiting for tier validation is running (no deployed baseline: only absolute "
            "thresholds apply)");
  // Once every tier finished, the metric that never came denies.
  Eval done = tier_eval(
      {}, std::vector<TierState>{tier("functionality", "passed"), tier("validation", "passed")});
  done.gate.metrics = {{.name = "accuracy", .min = 0.5}};
  EXPECT_EQ(done.run().decision, Decision::deny);
  // A retried tier counts by its latest attempt.
  Eval retried = tier_eval({}, std::vector<TierState>{tier("functionality", "running"),
                                                      tier("functionality", "failed")});
  retried.gate.metrics = {{.name = "accuracy", .min = 0.5}};
  EXPECT_EQ(retried.run().decision, Decision::deny);
}

TEST(GateTier, UnrequiredTiersStillRunningNeitherHoldNorSoftenTheRest) {
  // Everything the gate checks is there and passes: allow, whatever else still runs.
  Eval e = tier_eval(
      {}, std::vector<TierState>{tier("functionality", "passed"), tier("training", "running")});
  e.gate.metrics = {{.name = "accuracy", .min = 0.5}};
  e.candidate.metrics = {global("accuracy", 0.8)};
  auto r = e.run();
  EXPECT_EQ(r.decision, Decision::allow);
  EXPECT_EQ(r.summary,
            "allow: 1 check passed (no deployed baseline: only absolute thresholds apply)");
  // A value that already fails denies at once, as with a required tier running.
  e.candidate.metrics = {global("accuracy", 0.3)};
  EXPECT_EQ(e.run().decision, Decision::deny);
  // Offline (no tiers known) a missing metric denies as before.
  Eval offline = tier_eval({}, std::nullopt);
  offline.gate.metrics = {{.name = "accuracy", .min = 0.5}};
  EXPECT_EQ(offline.run().decision, Decision::deny);
}

// ---------------------------------------------------------------------------------------------
// Whole gates

TEST(Gate, EmptyCandidateFailsEveryCheckAsMissing) {
  Eval e;
  e.gate.metrics = {{.name = "accuracy", .min = 0.9}};
  e.gate.slices = {{.metric = "recall", .by = "age_group", .min = 0.8}};
  e.gate.fairness = {{.metric = "fpr", .by = "sex"}};
  e.gate.predictions = PredictionsCheck{.max_flip_rate = 0.02};
  e.gate.rubric = RubricGate{.min_score = 1};
  e.baseline = JobResults{.metrics = {global("accuracy", 0.93)}, .predictions = preds(5)};
  auto r = e.run();
  ASSERT_EQ(r.checks.size(), 5u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(r.checks[i].status, CheckStatus::missing) << i;
  EXPECT_EQ(r.checks[4].status, CheckStatus::fail);  // rubric score 0
  EXPECT_EQ(r.decision, Decision::deny);
  EXPECT_EQ(r.summary,
            "deny: 5 checks failed: metric accuracy not reported; slice recall[age_group] no "
            "slice of age_group reports recall; fairness fpr[sex] no group of sex reports fpr; "
            "predictions not reported (no predictions.jsonl); rubric ml_test_score 0 < "
            "min_score 1 (data 0, model 0, infra 0, monitor 0); weakest section: data");
  EXPECT_EQ(r.rubric.band, "More of a research project than a productionized system.");
}

TEST(Gate, EmptyBaselineSkipsComparisons) {
  // A deployment exists but its results are empty (nothing was reported, or files were empty).
  Eval e;
  e.gate.metrics = {{.name = "accuracy", .min = 0.9, .max_drop = Threshold{.value = 0.01}}};
  e.gate.predictions = PredictionsCheck{.max_flip_rate = 0.02};
  e.candidate = JobResults{.metrics = {global("accuracy", 0.95)}, .predictions = preds(3)};
  e.baseline = JobResults{};
  auto r = e.run();
  EXPECT_EQ(named(r, "accuracy", "max_drop").reason,
            "the deployed baseline did not report accuracy: change not checked");
  EXPECT_EQ(only(r, CheckKind::predictions).status, CheckStatus::skipped);
  EXPECT_EQ(r.decision, Decision::allow);
  EXPECT_EQ(r.summary, "allow: 1 check passed, 2 skipped");
}

TEST(Gate, NoChecksAllows) {
  Eval e;
  e.baseline = JobResults{};
  auto r = e.run();
  EXPECT_EQ(r.decision, Decision::allow);
  EXPECT_EQ(r.summary, "allow: no checks");
}

TEST(Gate, KindsInFixedOrder) {
  Eval e;
  e.gate.rubric = RubricGate{.min_score = 0};
  e.gate.predictions = PredictionsCheck{.max_flip_rate = 0.5};
  e.gate.fairness = {{.metric = "fpr", .by = "sex"}};
  e.gate.slices = {{.metric = "recall", .by = "sex", .min = 0}};
  e.gate.metrics = {{.name = "accuracy", .min = 0}};
  e.gate.require = {"validation"};
  e.tiers = std::vector<TierState>{tier("validation", "passed")};
  e.candidate = JobResults{
      .metrics = {global("accuracy", 1), slice("recall", "sex", "f", 1, 100),
                  slice("fpr", "sex", "f", 0.1, 100), slice("fpr", "sex", "m", 0.1, 200)},
      .predictions = preds(4)};
  e.baseline = JobResults{.predictions = preds(4)};
  auto r = e.run();
  std::vector<CheckKind> kinds;
  for (const auto& c : r.checks) kinds.push_back(c.kind);
  EXPECT_EQ(kinds, (std::vector<CheckKind>{CheckKind::tier, CheckKind::metric, CheckKind::slice,
                                           CheckKind::fairness, CheckKind::predictions,
                                           CheckKind::rubric}));
  EXPECT_EQ(r.decision, Decision::allow);
  EXPECT_EQ(r.summary, "allow: 6 checks passed");
}

// The example gate of the product design, parsed by the real config parser, against parsed result
// files.
constexpr std::string_view kDesignConfig = R"(version: 1
image: mlgate/python-ml:bookworm
tiers:
  functionality: {run: pytest}
  validation: {run: validate, needs: [functionality]}
gates:
  production:
    require: [functionality, validation]
    metrics:
      - {name: accuracy, min: 0.90, max_drop: 0.01}
      - {name: latency_p95_ms, lower_is_better: true, max: 50, max_increase: 10%}
    slices:
      - {metric: recall, by: age_group, min: 0.80, max_gap: 0.10}
    fairness:
      - {metric: fpr, by: sex, reference: majority, disparity: [0.8, 1.25]}
    predictions: {max_flip_rate: 2%}
    rubric: {min_score: 0}
rubric:
  automated: {data-1: "tests/data/test_schema.py::*", model-6: "*slice*"}
  manual:    {model-1: docs/model_card.md}
)";

JobResults parse_results(std::string_view metrics, std::string_view predictions,
                         std::string_view junit) {
  JobResults out;
  auto m = parse_metrics_json(metrics);
  EXPECT_TRUE(m.ok()) << m.error().to_string();
  if (m.ok()) out.metrics = *m;
  auto p = parse_predictions_jsonl(predictions);
  EXPECT_TRUE(p.ok()) << p.error().to_string();
  if (p.ok()) out.predictions = *p;
  if (!junit.empty()) {
    auto j = parse_junit(junit);
    EXPECT_TRUE(j.ok()) << j.error().to_string();
    if (j.ok()) out.tests = *j;
  }
  return out;
}

TEST(Gate, DesignExampleEndToEnd) {
  auto parsed = parse_config(kDesignConfig);
  ASSERT_TRUE(parsed.ok()) << format_errors(parsed.errors);
  const GateConfig& gate = *find_gate(*parsed.config, "production");

  JobResults baseline = parse_results(
      R"({"metrics": {"accuracy": 0.93, "latency_p95_ms": 40},
          "slices": {"age_group": {"<30": {"recall": 0.86, "n": 412}, "30-60": {"recall": 0.9, "n": 1380}},
                     "sex": {"f": {"fpr": 0.08, "n": 900}, "m": {"fpr": 0.08, "n": 1100}}}})",
      "{\"id\": 1, \"label\": 1}\n{\"id\": 2, \"label\": 0}\n{\"id\": 3, \"label\": 1}\n", "");
  JobResults candidate = parse_results(
      R"({"metrics": {"accuracy": 0.925, "latency_p95_ms": 45},
          "slices": {"age_group": {"<30": {"recall": 0.84, "n": 412}, "30-60": {"recall": 0.91, "n": 1380},
                                   ">90": {"recall": 0.2, "n": 7}},
                     "sex": {"f": {"fpr": 0.09, "n": 900}, "m": {"fpr": 0.08, "n": 1100}}}})",
      "{\"id\": 1, \"label\": 1}\n{\"id\": 2, \"label\": 0}\n{\"id\": 3, \"label\": 1}\n",
      R"(<testsuite><testcase classname="tests.data.test_schema" name="test_columns"/>
         <testcase classname="tests.test_model" name="test_slice_recall"/></testsuite>)");
  std::vector<TierState> tiers = {tier("functionality", "passed"), tier("validation", "passed")};
  GateInput in{.gate = gate,
               .rubric = parsed.config->rubric,
               .candidate = candidate,
               .baseline = &baseline,
               .tiers = &tiers,
               .path_exists = [](std::string_view p) { return p == "docs/model_card.md"; }};
  auto r = evaluate_gate(in);
  // latency: 45 vs 40 is an increase of 12.5% > 10%.
  EXPECT_EQ(r.decision, Decision::deny);
  EXPECT_EQ(r.summary,
            "deny: 1 check failed: metric latency_p95_ms 45 vs baseline 40: increase 5 (12.5%) > "
            "max_increase 10% (4)");
  EXPECT_EQ(named(r, "accuracy", "max_drop").status, CheckStatus::pass);
  EXPECT_EQ(named(r, "recall[age_group=>90]").status, CheckStatus::skipped);
  EXPECT_EQ(named(r, "recall[age_group] gap").reason,
            "0.07 (30-60 0.91 - <30 0.84) <= max_gap 0.1 (1 slice under min_n 30 not judged: "
            ">90)");
  EXPECT_EQ(named(r, "fpr[sex=f vs m]").status, CheckStatus::pass);
  EXPECT_EQ(named(r, "flip_rate").value, 0.0);
  EXPECT_EQ(r.rubric.sections.at("data"), 1.0);
  EXPECT_EQ(r.rubric.sections.at("model"), 1.5);  // model-6 by glob, model-1 manual
  EXPECT_EQ(r.rubric.score, 0.0);
  EXPECT_EQ(named(r, "ml_test_score").status, CheckStatus::pass);
  // 13 checks: 2 tiers, 4 metric, 3 + 1 slice, 1 fairness, 1 predictions, 1 rubric.
  EXPECT_EQ(r.checks.size(), 13u);
}

// ---------------------------------------------------------------------------------------------
// JSON

TEST(GateJson, ShapeAndKeyOrder) {
  Eval e = metric_eval({.name = "accuracy", .min = 0.9, .max_drop = abs_t(0.01)}, 0.95,
                       std::nullopt, false);
  e.gate.rubric = RubricGate{.min_score = 0};
  auto text = gate_result_json(e.run());
  EXPECT_EQ(text.find('\n'), std::string::npos);
  auto j = nlohmann::ordered_json::parse(text);
  std::vector<std::string> keys;
  for (auto& [k, v] : j.items()) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"decision", "checks", "rubric"}));
  EXPECT_EQ(j["decision"], "allow");
  ASSERT_EQ(j["checks"].size(), 3u);
  const auto& c0 = j["checks"][0];
  std::vector<std::string> check_keys;
  for (auto& [k, v] : c0.items()) check_keys.push_back(k);
  EXPECT_EQ(check_keys, (std::vector<std::string>{"kind", "name", "status", "value", "baseline",
                                                  "threshold", "reason"}));
  EXPECT_EQ(c0["kind"], "metric");
  EXPECT_EQ(c0["name"], "accuracy");
  EXPECT_EQ(c0["status"], "pass");
  EXPECT_EQ(c0["value"], 0.95);
  EXPECT_TRUE(c0["baseline"].is_null());
  EXPECT_EQ(c0["threshold"], "min 0.9");
  EXPECT_EQ(j["checks"][1]["status"], "skipped");
  EXPECT_EQ(j["checks"][2]["kind"], "rubric");
  EXPECT_EQ(j["checks"][2]["value"], 0.0);

  const auto& rubric = j["rubric"];
  EXPECT_EQ(rubric["score"], 0.0);
  EXPECT_EQ(rubric["band"], std::string(score_band(0)));
  std::vector<std::string> sections;
  for (auto& [k, v] : rubric["sections"].items()) sections.push_back(k);
  EXPECT_EQ(sections, (std::vector<std::string>{"data", "model", "infra", "monitor"}));
  ASSERT_EQ(rubric["items"].size(), 28u);
  EXPECT_EQ(rubric["items"][0]["id"], "data-1");
  EXPECT_EQ(rubric["items"][0]["points"], 0.0);
  EXPECT_EQ(rubric["items"][0]["evidence"], "no mapped test");
}

TEST(GateJson, NonFiniteNumbersAreNull) {
  Eval e = metric_eval({.name = "accuracy", .min = 0.9}, kNaN, kInf);
  e.gate.metrics.push_back({.name = "loss", .max = 1});
  e.candidate.metrics.push_back(global("loss", -kInf));
  auto text = gate_result_json(e.run());
  // NaN appears only inside the reason text, once.
  EXPECT_EQ(text.find("NaN"), text.find("is NaN") + 3);
  EXPECT_EQ(text.rfind("NaN"), text.find("NaN"));
  EXPECT_EQ(text.find("Infinity"), std::string::npos);
  auto j = nlohmann::json::parse(text);  // valid JSON
  EXPECT_EQ(j["decision"], "deny");
  EXPECT_TRUE(j["checks"][0]["value"].is_null());
  EXPECT_TRUE(j["checks"][0]["baseline"].is_null());
  EXPECT_EQ(j["checks"][0]["reason"], "is NaN");
  EXPECT_TRUE(j["checks"][1]["value"].is_null());
  EXPECT_EQ(j["checks"][1]["reason"], "is -infinite");
}

TEST(GateJson, PrettyAndInvalidUtf8) {
  Eval e = metric_eval({.name = "acc\xff", .min = 0.9}, 0.95);
  auto text = gate_result_json(e.run(), 2);
  EXPECT_NE(text.find("\n  \"checks\""), std::string::npos);
  auto j = nlohmann::json::parse(text);
  EXPECT_EQ(j["checks"][0]["name"], "acc\xef\xbf\xbd");  // U+FFFD
}

TEST(GateJson, EveryStatusAndKindSerialises) {
  Eval e = tier_eval({"validation"}, std::vector<TierState>{tier("validation", "running")});
  auto j = nlohmann::json::parse(gate_result_json(e.run()));
  EXPECT_EQ(j["decision"], "pending");
  EXPECT_EQ(j["checks"][0]["kind"], "tier");
  EXPECT_EQ(j["checks"][0]["status"], "pending");
  EXPECT_TRUE(j["checks"][0]["value"].is_null());
}

}  // namespace
}  // namespace mlgate::core

namespace mlgate::core {
namespace {

TEST(GateRubric, AModelCardIsEvidenceForModel1) {
  PathExists tree = [](std::string_view p) { return p == "model_card.yml"; };
  auto s = score_rubric(RubricMapping{}, {}, tree);
  EXPECT_EQ(s.items[7].id, "model-1");
  EXPECT_EQ(s.items[7].points, 0.5);
  EXPECT_EQ(s.items[7].evidence, "no mapped test; model_card.yml exists (a model card)");
  EXPECT_EQ(
      score_rubric(RubricMapping{}, {}, [](std::string_view) { return false; }).items[7].points,
      0.0);
  // A mapped evidence file that is missing: the model card still counts.
  RubricMapping m{.manual = {{"model-1", "docs/spec.md"}}};
  EXPECT_EQ(score_rubric(m, {}, tree).items[7].evidence,
            "no mapped test; docs/spec.md not found; model_card.yml exists (a model card)");
}

}  // namespace
}  // namespace mlgate::core
