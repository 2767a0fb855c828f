// core/monitor_eval.h: skew and drift per feature and as the share of "*", prediction drift,
// missing shares, quality with min_n and intervals, staleness, and the monitor's state and actions.
#include "core/monitor_eval.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/example_rows.h"

namespace mlgate::core {
namespace {

using nlohmann::json;

// Rows with age = base + i % spread and city from `cities`, prediction label/score.
DatasetProfile profile(int rows, double base, int spread, const std::vector<std::string>& cities,
                       bool with_income = true) {
  ProfileBuilder b(5);
  for (int i = 0; i < rows; ++i) {
    json features = {{"age", base + i % spread}, {"city", cities[i % cities.size()]}};
    if (with_income) features["income"] = 1000.0 + (i * 37) % 500;
    const json prediction = {{"label", i % 2}, {"score", (i % 10) / 10.0}};
    b.add_row(features, &prediction);
  }
  return std::move(b).finish();
}

MonitorConfig config_with(std::vector<DriftRule> drift) {
  MonitorConfig c;
  c.environment = "production";
  c.drift = std::move(drift);
  return c;
}

const MonitorFinding* find(const MonitorEvaluation& e, FindingKind kind,
                           const std::string& feature) {
  for (const MonitorFinding& f : e.findings) {
    if (f.kind == kind && f.feature == feature) return &f;
  }
  return nullptr;
}

TEST(MonitorEval, SameDistributionIsOk) {
  const MonitorConfig c = config_with({{"*", std::nullopt, std::nullopt, 1, 1}});
  const DatasetProfile ref = profile(500, 20, 40, {"a", "b", "c"});
  const DatasetProfile cur = profile(300, 20, 40, {"a", "b", "c"});
  const MonitorEvaluation e = evaluate_monitor({&c, &ref, &cur, &ref, {}, "", {}, {}, 0});
  EXPECT_EQ(e.state, MonitorState::ok);
  const MonitorFinding* age = find(e, FindingKind::skew, "age");
  ASSERT_NE(age, nullptr);
  EXPECT_EQ(age->test, "ks");  // 500 reference values, more than 5 distinct
  EXPECT_TRUE(age->p_value);
  EXPECT_FALSE(age->drifted);
  EXPECT_EQ(find(e, FindingKind::skew, "city")->test, "chi2");
  ASSERT_TRUE(e.dataset_drift_share);
  EXPECT_EQ(*e.dataset_drift_share, 0.0);
  EXPECT_FALSE(e.notify);
}

TEST(MonitorEval, StarFeaturesAlertThroughTheirShareNamedOnesAlone) {
  const DatasetProfile ref = profile(500, 20, 40, {"a", "b", "c"});
  const DatasetProfile cur = profile(300, 45, 40, {"a", "b", "c"});  // age shifted
  // Under "*": one of three features drifts, 33% < 50%: ok, the feature's finding says drifted.
  const MonitorConfig star = config_with({{"*", std::nullopt, std::nullopt, 1, 1}});
  const MonitorEvaluation e = evaluate_monitor({&star, &ref, &cur, nullptr, {}, "", {}, {}, 0});
  const MonitorFinding* age = find(e, FindingKind::skew, "age");
  EXPECT_TRUE(age->drifted);
  EXPECT_EQ(age->state, MonitorState::ok);
  EXPECT_NEAR(*e.dataset_drift_share, 1.0 / 3, 1e-12);
  EXPECT_FALSE(e.dataset_drift);
  EXPECT_EQ(e.state, MonitorState::ok);
  // Drift against the previous windows: none given, no data for that kind.
  EXPECT_EQ(find(e, FindingKind::drift, "age")->state, MonitorState::no_data);
  // Named, it alerts alone; the others stay under "*".
  MonitorConfig named =
      config_with({{"*", std::nullopt, std::nullopt, 1, 1}, {"age", DriftTest::psi, 0.2, 2, 1}});
  named.on_alert = {MonitorAction::notify, MonitorAction::retrain};
  const MonitorEvaluation n = evaluate_monitor({&named, &ref, &cur, nullptr, {}, "", {}, {}, 0});
  EXPECT_EQ(n.state, MonitorState::alerting);
  EXPECT_EQ(find(n, FindingKind::skew, "age")->test, "psi");
  EXPECT_EQ(find(n, FindingKind::skew, "age")->threshold, 0.2);
  EXPECT_TRUE(find(n, FindingKind::skew, "age")->distance);
  EXPECT_EQ(*n.dataset_drift_share, 0.0);  // city and income
  EXPECT_TRUE(n.notify);
  EXPECT_TRUE(n.retrain);
  // A retraining asked for within retrain_every: not again.
  const MonitorEvaluation later =
      evaluate_monitor({&named, &ref, &cur, nullptr, {}, "", {}, 1000, 1000 + 3600});
  EXPECT_FALSE(later.retrain);
  EXPECT_TRUE(later.notify);
}

TEST(MonitorEval, DatasetDriftAtTheShare) {
  const DatasetProfile ref = profile(500, 20, 40, {"a", "b", "c"});
  const DatasetProfile cur = profile(300, 45, 40, {"x", "y"});  // age and city drift
  const MonitorConfig c = config_with({{"*", std::nullopt, std::nullopt, 1, 1}});
  const MonitorEvaluation e = evaluate_monitor({&c, &ref, &cur, nullptr, {}, "", {}, {}, 0});
  EXPECT_NEAR(*e.dataset_drift_share, 2.0 / 3, 1e-12);
  EXPECT_TRUE(e.dataset_drift);
  EXPECT_EQ(e.state, MonitorState::alerting);
  const MonitorFinding* share = find(e, FindingKind::skew, "*");
  ASSERT_NE(share, nullptr);
  EXPECT_EQ(share->test, "share");
  EXPECT_EQ(share->n, 3u);
}

TEST(MonitorEval, EmptyWindowIsNoData) {
  const MonitorConfig c = config_with({{"age", std::nullopt, std::nullopt, 1, 1}});
  const DatasetProfile ref = profile(500, 20, 40, {"a"});
  const DatasetProfile empty;
  const MonitorEvaluation e = evaluate_monitor({&c, &ref, &empty, nullptr, {}, "", {}, {}, 0});
  EXPECT_EQ(e.state, MonitorState::no_data);
  EXPECT_EQ(find(e, FindingKind::skew, "age")->state, MonitorState::no_data);
  EXPECT_THROW(evaluate_monitor({&c, &ref, nullptr, nullptr, {}, "", {}, {}, 0}),
               std::invalid_argument);
}

TEST(MonitorEval, PredictionDriftAndMissing) {
  MonitorConfig c;
  c.prediction_drift = DriftRule{"", DriftTest::jensenshannon, 0.1, 1, 1};
  c.missing_max_share = 0.05;
  const DatasetProfile ref = profile(500, 20, 40, {"a", "b"});
  ProfileBuilder b(1);
  for (int i = 0; i < 100; ++i) {
    json features = {{"age", 30}, {"city", "a"}};
    if (i % 10 == 0) features["age"] = nullptr;  // 10% missing
    const json prediction = {{"label", 1}, {"score", 0.95}};
    b.add_row(features, &prediction);
  }
  const DatasetProfile cur = std::move(b).finish();
  const MonitorEvaluation e = evaluate_monitor({&c, &ref, &cur, nullptr, {}, "", {}, {}, 0});
  EXPECT_EQ(e.state, MonitorState::alerting);
  EXPECT_TRUE(find(e, FindingKind::prediction_drift, "prediction.label")->drifted);
  EXPECT_EQ(find(e, FindingKind::prediction_drift, "prediction.label")->test, "jensenshannon");
  const MonitorFinding* age = find(e, FindingKind::missing, "age");
  EXPECT_NEAR(age->statistic, 0.1, 1e-12);
  EXPECT_EQ(age->state, MonitorState::alerting);
  EXPECT_EQ(find(e, FindingKind::missing, "city")->state, MonitorState::ok);
  // income is in the reference and never in the window: missing in every row.
  EXPECT_EQ(find(e, FindingKind::missing, "income")->statistic, 1.0);
}

std::vector<Prediction> predictions(int n, int wrong) {
  std::vector<Prediction> out;
  for (int i = 0; i < n; ++i) {
    const std::string truth = i % 2 ? "1" : "0";
    const std::string label = i < wrong ? (truth == "1" ? "0" : "1") : truth;
    out.push_back(Prediction{std::to_string(i), label, 0.5, truth});
  }
  return out;
}

TEST(MonitorEval, QualityNeedsMinNAndJudgesIntervals) {
  MonitorConfig c;
  c.quality = {QualityRule{"accuracy", 0.9, std::nullopt, 200, std::nullopt, 1, 1}};
  const DatasetProfile cur = profile(10, 0, 5, {"a"});
  const std::vector<Prediction> few = predictions(100, 30);
  ExampleRows rows;
  for (const Prediction& p : few) rows.push_back(&p);
  const MonitorEvaluation short_n =
      evaluate_monitor({&c, nullptr, &cur, nullptr, rows, "", {}, {}, 0});
  EXPECT_EQ(short_n.findings.at(0).state, MonitorState::no_data);
  EXPECT_EQ(short_n.state, MonitorState::ok);  // rows in the window, nothing alerting
  const std::vector<Prediction> many = predictions(400, 60);  // accuracy 0.85
  rows.clear();
  for (const Prediction& p : many) rows.push_back(&p);
  const MonitorEvaluation low = evaluate_monitor({&c, nullptr, &cur, nullptr, rows, "", {}, {}, 0});
  EXPECT_NEAR(low.findings.at(0).statistic, 0.85, 1e-12);
  EXPECT_EQ(low.state, MonitorState::alerting);
  // With a confidence: 0.85 on 400 examples, Wilson [0.812, 0.882]: beyond 0.9 as a whole.
  c.quality[0].confidence = 0.95;
  const MonitorEvaluation sure =
      evaluate_monitor({&c, nullptr, &cur, nullptr, rows, "", {}, {}, 0});
  ASSERT_TRUE(sure.findings.at(0).interval);
  EXPECT_EQ(sure.state, MonitorState::alerting);
  // min 0.86: inside the interval, not alerting.
  c.quality[0].min = 0.86;
  EXPECT_EQ(evaluate_monitor({&c, nullptr, &cur, nullptr, rows, "", {}, {}, 0}).state,
            MonitorState::ok);
  c.quality[0].confidence.reset();
  EXPECT_EQ(evaluate_monitor({&c, nullptr, &cur, nullptr, rows, "", {}, {}, 0}).state,
            MonitorState::alerting);
}

TEST(MonitorEval, Staleness) {
  MonitorConfig c;
  c.staleness_max_age_seconds = 30 * 86400;
  const DatasetProfile cur = profile(10, 0, 5, {"a"});
  const std::int64_t now = 1'800'000'000;
  EXPECT_EQ(evaluate_monitor({&c, nullptr, &cur, nullptr, {}, "", now - 31 * 86400, {}, now}).state,
            MonitorState::alerting);
  EXPECT_EQ(evaluate_monitor({&c, nullptr, &cur, nullptr, {}, "", now - 29 * 86400, {}, now}).state,
            MonitorState::ok);
  const MonitorEvaluation unknown =
      evaluate_monitor({&c, nullptr, &cur, nullptr, {}, "", {}, {}, now});
  EXPECT_EQ(unknown.findings.at(0).state, MonitorState::no_data);
}

}  // namespace
}  // namespace mlgate::core
