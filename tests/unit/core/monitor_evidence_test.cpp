// core/monitor_evidence.h: what an evaluation becomes once recorded and told — the kinds a
// monitor has and those that alert, the evidence JSON, the reasons, the commit status's words,
// the retraining's reason, and the rubric's credit for a watched production.
#include "core/monitor_evidence.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/rubric.h"

namespace mlgate::core {
namespace {

MonitorFinding finding(FindingKind kind, const std::string& feature, MonitorState state,
                       const std::string& reason) {
  MonitorFinding f;
  f.kind = kind;
  f.feature = feature;
  f.test = "psi";
  f.statistic = 0.31;
  f.distance = 0.31;
  f.threshold = 0.2;
  f.n = 200;
  f.reference_n = 1000;
  f.drifted = state == MonitorState::alerting;
  f.state = state;
  f.reason = reason;
  return f;
}

MonitorEvaluation alerting_evaluation() {
  MonitorEvaluation e;
  e.state = MonitorState::alerting;
  e.findings = {
      finding(FindingKind::skew, "income", MonitorState::alerting, "psi 0.31 >= 0.2"),
      finding(FindingKind::skew, "age", MonitorState::ok, "psi 0.01 < 0.2"),
      finding(FindingKind::missing, "income", MonitorState::alerting, "missing share 0.4 > 0.05"),
      finding(FindingKind::skew, "zip", MonitorState::alerting, "psi 0.5 >= 0.2")};
  return e;
}

TEST(MonitorEvidence, KindsFollowTheConfig) {
  MonitorConfig c;
  EXPECT_TRUE(monitor_kinds(c).empty());
  c.drift.push_back({"*"});
  c.missing_max_share = 0.05;
  c.staleness_max_age_seconds = 86400;
  EXPECT_EQ(monitor_kinds(c), (std::vector<std::string>{"skew", "drift", "missing", "staleness"}));
  c.prediction_drift = DriftRule{};
  c.quality.push_back({"accuracy"});
  EXPECT_EQ(monitor_kinds(c), (std::vector<std::string>{"skew", "drift", "prediction_drift",
                                                        "missing", "quality", "staleness"}));
}

TEST(MonitorEvidence, AlertingKindsAreEachOnceInOrder) {
  EXPECT_EQ(alerting_kinds(alerting_evaluation()), (std::vector<std::string>{"skew", "missing"}));
  EXPECT_TRUE(alerting_kinds(MonitorEvaluation{}).empty());
}

// What the rubric credits: a kind with at least one finding that rests on data. A quality check
// short of min_n truths or a staleness check without a training time is no_data: not credited.
TEST(MonitorEvidence, DataKindsLeaveOutKindsWhoseFindingsHadNoData) {
  auto e = alerting_evaluation();
  e.findings.push_back(finding(FindingKind::quality, "", MonitorState::no_data, "n 3 < min_n 200"));
  e.findings.push_back(
      finding(FindingKind::staleness, "", MonitorState::no_data, "training time unknown"));
  e.findings.push_back(finding(FindingKind::drift, "age", MonitorState::no_data, "no rows"));
  e.findings.push_back(finding(FindingKind::drift, "income", MonitorState::ok, "psi 0.01 < 0.2"));
  EXPECT_EQ(data_kinds(e), (std::vector<std::string>{"skew", "drift", "missing"}));
  EXPECT_TRUE(data_kinds(MonitorEvaluation{}).empty());
}

TEST(MonitorEvidence, EvidenceJsonCarriesEveryFindingAndNoNonFiniteNumber) {
  auto e = alerting_evaluation();
  e.findings[1].statistic = std::numeric_limits<double>::quiet_NaN();
  e.findings[1].p_value = 0.5;
  e.findings[1].interval = Interval{0.8, 0.9};
  e.dataset_drift_share = 0.5;
  const auto j = monitor_evidence_json(e);
  EXPECT_EQ(j["state"], "alerting");
  EXPECT_EQ(j["dataset_drift_share"], 0.5);
  ASSERT_EQ(j["findings"].size(), 4U);
  EXPECT_EQ(j["findings"][0]["kind"], "skew");
  EXPECT_EQ(j["findings"][0]["feature"], "income");
  EXPECT_EQ(j["findings"][0]["distance"], 0.31);
  EXPECT_EQ(j["findings"][0]["threshold"], 0.2);
  EXPECT_EQ(j["findings"][0]["n"], 200);
  EXPECT_EQ(j["findings"][0]["reference_n"], 1000);
  EXPECT_EQ(j["findings"][0]["drifted"], true);
  EXPECT_EQ(j["findings"][0]["state"], "alerting");
  EXPECT_FALSE(j["findings"][0].contains("p_value"));
  EXPECT_TRUE(j["findings"][1]["statistic"].is_null());
  EXPECT_EQ(j["findings"][1]["p_value"], 0.5);
  EXPECT_EQ(j["findings"][1]["interval"], nlohmann::json::array({0.8, 0.9}));
}

TEST(MonitorEvidence, ReasonsNameTheAlertingFindings) {
  const auto reasons = alerting_reasons(alerting_evaluation());
  ASSERT_EQ(reasons.size(), 3U);
  EXPECT_EQ(reasons[0].name, "skew income");
  EXPECT_EQ(reasons[0].reason, "psi 0.31 >= 0.2");
  EXPECT_EQ(reasons[1].name, "missing income");
  EXPECT_EQ(retrain_reason("production", alerting_evaluation()),
            "monitor production alerting: skew income: psi 0.31 >= 0.2; missing income: missing "
            "share 0.4 > 0.05; skew zip: psi 0.5 >= 0.2");
}

TEST(MonitorEvidence, TheRetrainReasonIsCut) {
  auto e = alerting_evaluation();
  e.findings[0].reason = std::string(2000, 'a');
  EXPECT_EQ(retrain_reason("production", e).size(), 1000U);
}

TEST(MonitorEvidence, StatusWordsPerState) {
  auto words = monitor_status_words(alerting_evaluation());
  EXPECT_EQ(words.state, "failure");
  EXPECT_EQ(words.description.rfind("alerting: skew income (psi 0.31 >= 0.2)", 0), 0U)
      << words.description;
  EXPECT_LE(words.description.size(), 140U);
  MonitorEvaluation ok;
  EXPECT_EQ(monitor_status_words(ok).state, "success");
  ok.state = MonitorState::no_data;
  EXPECT_EQ(monitor_status_words(ok).state, "pending");
}

RubricScore empty_score() {
  RubricScore s;
  for (const auto& item : rubric_items()) s.items.push_back({std::string(item.id), 0, "none"});
  for (auto sec : kRubricSections) s.sections[std::string(section_id(sec))] = 0;
  return s;
}

double points(const RubricScore& s, const std::string& id) {
  for (const auto& i : s.items)
    if (i.id == id) return i.points;
  return -1;
}

TEST(MonitorEvidence, TheRubricCreditsKindsConfiguredAndEvaluated) {
  auto s = empty_score();
  const auto credited = credit_monitored_production(
      s, "production", {"skew", "drift", "missing", "quality", "staleness"},
      {"skew", "drift", "quality"});
  EXPECT_EQ(credited, (std::vector<std::string>{"monitor-3", "monitor-7"}));
  EXPECT_EQ(points(s, "monitor-3"), 1);
  EXPECT_EQ(points(s, "monitor-7"), 1);
  EXPECT_EQ(points(s, "monitor-2"), 0);  // configured, not evaluated lately
  EXPECT_EQ(points(s, "monitor-4"), 0);
  EXPECT_EQ(s.sections["monitor"], 2);
  EXPECT_EQ(s.score, 0);  // the other sections still score 0
  for (const auto& i : s.items) {
    if (i.id == "monitor-3") {
      EXPECT_EQ(i.evidence.rfind("monitor production checks skew in production", 0), 0U);
    }
  }
}

TEST(MonitorEvidence, EvaluatedButNotConfiguredByTheCandidateEarnsNothing) {
  auto s = empty_score();
  EXPECT_TRUE(credit_monitored_production(s, "production", {}, {"skew", "missing"}).empty());
  EXPECT_EQ(s.sections["monitor"], 0);
}

TEST(MonitorEvidence, AnItemAlreadyAutomatedIsLeftAsItIs) {
  auto s = empty_score();
  for (auto& i : s.items)
    if (i.id == "monitor-3") {
      i.points = 1;
      i.evidence = "tests passed";
    }
  s.sections["monitor"] = 1;
  EXPECT_TRUE(credit_monitored_production(s, "production", {"skew"}, {"skew"}).empty());
  EXPECT_EQ(s.sections["monitor"], 1);
}

}  // namespace
}  // namespace mlgate::core
