#include "core/metric_merge.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/gate.h"

namespace mlgate::core {
namespace {

Metric global(std::string name, double v) {
  return Metric{std::move(name), "", "", std::nullopt, v};
}

Metric slice(std::string name, std::string key, std::string value, double v,
             std::optional<std::int64_t> n = std::nullopt) {
  return Metric{std::move(name), std::move(key), std::move(value), n, v};
}

TEST(MetricMerge, EmptyInputMergesToNothing) {
  const auto m = merge_metrics({});
  EXPECT_TRUE(m.globals.empty());
  EXPECT_TRUE(m.slices.empty());
}

TEST(MetricMerge, GlobalsKeepFirstPlaceAndTakeLastValue) {
  const std::vector<Metric> in = {global("accuracy", 0.8), global("loss", 0.5),
                                  global("accuracy", 0.9)};
  const auto m = merge_metrics(in);
  ASSERT_EQ(m.globals.size(), 2u);
  EXPECT_EQ(m.globals[0]->name, "accuracy");
  EXPECT_DOUBLE_EQ(m.globals[0]->value, 0.9);
  EXPECT_EQ(m.globals[0], &in[2]);  // points into the input
  EXPECT_EQ(m.globals[1]->name, "loss");
  EXPECT_DOUBLE_EQ(m.globals[1]->value, 0.5);
}

TEST(MetricMerge, SlicesAreKeyedByNameKeyAndValue) {
  const std::vector<Metric> in = {
      slice("recall", "age", "<30", 0.7, 10), slice("recall", "age", ">=30", 0.8),
      slice("precision", "age", "<30", 0.6), slice("recall", "sex", "<30", 0.5),
      slice("recall", "age", "<30", 0.75, 12)};
  const auto m = merge_metrics(in);
  ASSERT_EQ(m.slices.size(), 4u);
  EXPECT_EQ(m.slices[0], &in[4]);  // first place, last value
  EXPECT_EQ(m.slices[0]->n, 12);
  EXPECT_EQ(m.slices[1], &in[1]);
  EXPECT_EQ(m.slices[2], &in[2]);
  EXPECT_EQ(m.slices[3], &in[3]);
  EXPECT_TRUE(m.globals.empty());
}

TEST(MetricMerge, GlobalAndSliceOfTheSameNameStayApart) {
  const std::vector<Metric> in = {global("recall", 0.9), slice("recall", "age", "<30", 0.7)};
  const auto m = merge_metrics(in);
  ASSERT_EQ(m.globals.size(), 1u);
  ASSERT_EQ(m.slices.size(), 1u);
  EXPECT_DOUBLE_EQ(m.globals[0]->value, 0.9);
  EXPECT_DOUBLE_EQ(m.slices[0]->value, 0.7);
}

TEST(MetricMerge, NonFiniteValuesAreMergedLikeAnyOther) {
  const std::vector<Metric> in = {global("loss", 1.0), global("loss", std::nan(""))};
  const auto m = merge_metrics(in);
  ASSERT_EQ(m.globals.size(), 1u);
  EXPECT_TRUE(std::isnan(m.globals[0]->value));
}

TEST(MetricMerge, SliceLabelIsTheGateCheckName) {
  EXPECT_EQ(slice_label(slice("recall", "age_group", "<30", 0.7)), "recall[age_group=<30]");
}

// The gate engine reads metrics through the same merge: a tier reporting a metric again replaces
// the earlier tier's value, for globals and for slices.
TEST(MetricMerge, GateJudgesTheLastReportedValue) {
  GateConfig gate;
  gate.name = "production";
  MetricCheck check;
  check.name = "accuracy";
  check.min = 0.85;
  gate.metrics.push_back(check);
  RubricMapping rubric;
  JobResults cand;
  cand.metrics = {global("accuracy", 0.95), global("accuracy", 0.80)};
  GateInput input{gate, rubric, cand, nullptr, nullptr, {}};
  auto r = evaluate_gate(input);
  ASSERT_FALSE(r.checks.empty());
  EXPECT_EQ(r.checks[0].status, CheckStatus::fail);
  ASSERT_TRUE(r.checks[0].value);
  EXPECT_DOUBLE_EQ(*r.checks[0].value, 0.80);

  cand.metrics = {global("accuracy", 0.80), global("accuracy", 0.95)};
  r = evaluate_gate(input);
  EXPECT_EQ(r.checks[0].status, CheckStatus::pass);
}

}  // namespace
}  // namespace mlgate::core
