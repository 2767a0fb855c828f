#include "core/environment_view.h"

#include <gtest/gtest.h>

#include <cmath>

namespace mlgate::core {
namespace {

using nlohmann::json;

json finding(const std::string& kind, const std::string& feature, const std::string& test,
             double statistic, json p_value, json distance, bool drifted,
             const std::string& state = "ok", const std::string& reason = "") {
  json f = {{"kind", kind},           {"feature", feature}, {"test", test},
            {"statistic", statistic}, {"threshold", 0.2},   {"n", 200},
            {"reference_n", 100},     {"drifted", drifted}, {"state", state},
            {"reason", reason}};
  if (!p_value.is_null()) f["p_value"] = p_value;
  if (!distance.is_null()) f["distance"] = distance;
  return f;
}

json evidence(std::vector<json> findings) {
  return {{"state", "ok"}, {"findings", findings}};
}

TEST(EnvironmentView, FindingViewsJudgeByPValueThenDistanceThenStatistic) {
  const auto views = finding_views(evidence(
      {finding("skew", "x", "ks", 0.4, 0.01, nullptr, true),
       finding("skew", "z", "psi", 0.3, nullptr, 0.3, true),
       finding("quality", "", "accuracy", 0.91, nullptr, nullptr, false), "not an object"}));
  ASSERT_EQ(views.size(), 3U);
  EXPECT_EQ(views[0].measure, "ks p-value");
  EXPECT_EQ(*views[0].value, 0.01);
  EXPECT_EQ(views[1].measure, "psi distance");
  EXPECT_EQ(*views[1].value, 0.3);
  EXPECT_EQ(views[2].measure, "accuracy");
  EXPECT_EQ(*views[2].value, 0.91);
  EXPECT_EQ(views[0].n, 200);
  EXPECT_EQ(views[0].reference_n, 100);
  EXPECT_TRUE(views[0].drifted);
  EXPECT_TRUE(finding_views(json::array()).empty());
  EXPECT_TRUE(finding_views(json{{"findings", 3}}).empty());
}

TEST(EnvironmentView, OneSeriesPerFindingOverTimeWithGapsAndMarks) {
  std::vector<EvaluationSample> samples = {
      {"t1", evidence({finding("skew", "x", "psi", 0.1, nullptr, 0.1, false)})},
      {"t2", evidence({finding("skew", "x", "psi", 0.3, nullptr, 0.3, true),
                       finding("quality", "", "accuracy", 0.9, nullptr, nullptr, false),
                       finding("staleness", "", "age", 10, nullptr, nullptr, false)})},
      {"t3", evidence({finding("quality", "", "accuracy", 0.8, nullptr, nullptr, true)})}};
  std::size_t left_out = 7;
  const auto series = finding_series(samples, 10, left_out);
  EXPECT_EQ(left_out, 0U);
  ASSERT_EQ(series.size(), 2U);  // staleness is not plotted
  EXPECT_EQ(series[0].title, "skew x · psi distance");
  EXPECT_EQ(series[0].group, SeriesGroup::data);
  ASSERT_EQ(series[0].points.size(), 3U);
  EXPECT_EQ(series[0].points[0].value, 0.1);
  EXPECT_EQ(series[0].points[0].mark, "");
  EXPECT_EQ(series[0].points[1].mark, "beyond threshold");
  EXPECT_TRUE(std::isnan(series[0].points[2].value));  // absent from t3
  EXPECT_EQ(series[0].points[2].label, "t3");
  EXPECT_EQ(*series[0].latest, 0.3);
  EXPECT_EQ(*series[0].threshold, 0.2);
  EXPECT_EQ(series[1].title, "quality · accuracy");
  EXPECT_EQ(series[1].group, SeriesGroup::quality);
  ASSERT_EQ(series[1].points.size(), 3U);
  EXPECT_TRUE(std::isnan(series[1].points[0].value));  // before it was first seen
  EXPECT_EQ(series[1].points[2].value, 0.8);
}

TEST(EnvironmentView, FindingsWithoutDataAreGapsNotSeries) {
  const json nothing = finding("skew", "x", "", 0, nullptr, nullptr, false, "no_data", "no values");
  std::size_t left_out = 0;
  const auto series =
      finding_series({{"t1", evidence({nothing})},
                      {"t2", evidence({finding("skew", "x", "psi", 0.3, nullptr, 0.3, true)})},
                      {"t3", evidence({nothing})}},
                     10, left_out);
  ASSERT_EQ(series.size(), 1U);
  EXPECT_EQ(series[0].title, "skew x · psi distance");
  ASSERT_EQ(series[0].points.size(), 3U);
  EXPECT_TRUE(std::isnan(series[0].points[0].value));
  EXPECT_EQ(series[0].points[1].value, 0.3);
  EXPECT_TRUE(std::isnan(series[0].points[2].value));
}

TEST(EnvironmentView, SeriesAreCapped) {
  std::vector<json> many;
  for (int i = 0; i < 5; ++i)
    many.push_back(finding("drift", "f" + std::to_string(i), "ks", 0.1, 0.5, nullptr, false));
  std::size_t left_out = 0;
  const auto series = finding_series({{"t1", evidence(many)}, {"t2", evidence(many)}}, 3, left_out);
  EXPECT_EQ(series.size(), 3U);
  EXPECT_EQ(left_out, 2U);  // counted once each, not once per evaluation
  for (const auto& s : series) EXPECT_EQ(s.points.size(), 2U);
}

TEST(EnvironmentView, ChangeReasons) {
  const json e = evidence(
      {finding("skew", "x", "psi", 0.3, nullptr, 0.3, true, "alerting", "psi 0.3 >= 0.2"),
       finding("missing", "y", "missing_share", 0.0, nullptr, nullptr, false, "ok", "fine"),
       finding("quality", "", "accuracy", 0.0, nullptr, nullptr, false, "no_data",
               "3 examples with truth < min_n 30")});
  EXPECT_EQ(change_reason("alerting", e, 400), "skew x: psi 0.3 >= 0.2");
  EXPECT_EQ(change_reason("no_data", e, 400), "quality: 3 examples with truth < min_n 30");
  EXPECT_EQ(change_reason("no_data", evidence({}), 400), "no observations in the window");
  EXPECT_EQ(change_reason("ok", e, 400), "every check within its threshold");
  // Cut at a character boundary: "é" is two bytes.
  const json accented =
      evidence({finding("skew", "é", "psi", 0, nullptr, 0.3, true, "alerting", "r")});
  EXPECT_EQ(change_reason("alerting", accented, 6), "skew …");
  EXPECT_EQ(monitor_state_words("no_data"), "no data");
  EXPECT_EQ(monitor_state_words("alerting"), "alerting");
}

}  // namespace
}  // namespace mlgate::core
