#include "core/rollout_in_force.h"

#include <gtest/gtest.h>

#include "core/gate_in_force.h"

namespace mlgate::core {
namespace {

RolloutConfig four_stages() {
  RolloutConfig c;
  c.environment = "production";
  c.stages = {{"shadow", std::nullopt, 100.0, 3600},
              {"canary", 5.0, std::nullopt, 7200},
              {"half", 50.0, std::nullopt, 7200},
              {"full", 100.0, std::nullopt, std::nullopt}};
  c.analysis.every_seconds = 600;
  c.analysis.metrics = {{"error_rate", true, true}, {"latency_ms", true}};
  return c;
}

std::vector<std::string> texts(const std::vector<RuleDifference>& ds) {
  std::vector<std::string> out;
  for (const auto& d : ds) out.push_back(difference_text(d));
  return out;
}

TEST(RolloutInForce, AlikeEntriesHaveNoDifferences) {
  auto a = four_stages();
  auto b = four_stages();
  b.stages[1].line = 40;  // source lines do not count
  EXPECT_TRUE(diff_rollout_rules(a, b).empty());
  auto rules = rollout_rules_in_force(b, &a, "production");
  EXPECT_EQ(rules.kind, RulesInForceKind::deployed_and_candidate);
  EXPECT_EQ(rules.note, "");
}

TEST(RolloutInForce, ListsStagesAnalysisAndMetricsDeployedToCandidate) {
  auto deployed = four_stages();
  auto candidate = four_stages();
  candidate.stages.erase(candidate.stages.begin() + 1);  // no canary
  candidate.stages[1].for_seconds = 3600;                // half: 2h → 1h
  candidate.analysis.pass = 80;
  candidate.analysis.metrics[0].critical = false;
  candidate.analysis.metrics.erase(candidate.analysis.metrics.begin() + 1);
  candidate.analysis.metrics.push_back({"accuracy", false, true});
  EXPECT_EQ(texts(diff_rollout_rules(deployed, candidate)),
            (std::vector<std::string>{
                "stage canary: 5% traffic, 2h → none",
                "stage half: for 2h → 1h",
                "analysis: pass 90 → 80",
                "metric error_rate: critical true → false",
                "metric latency_ms: lower_is_better true, critical false → none",
                "metric accuracy: none → lower_is_better false, critical true",
            }));
}

TEST(RolloutInForce, ListsStagesOnlyTheCandidateHasAndAReorder) {
  auto deployed = four_stages();
  auto candidate = four_stages();
  std::swap(candidate.stages[1].name, candidate.stages[2].name);
  candidate.stages.insert(candidate.stages.begin() + 3, {"most", 90.0, std::nullopt, 60});
  candidate.stages[0].mirror_percent = std::nullopt;
  candidate.stages[0].traffic_percent = 0.0;
  const auto t = texts(diff_rollout_rules(deployed, candidate));
  EXPECT_EQ(t, (std::vector<std::string>{
                   "stage shadow: traffic none → 0%, mirror 100% → none",
                   "stage canary: traffic 5% → 50%",
                   "stage half: traffic 50% → 5%",
                   "stage most: none → 90% traffic, 1m",
                   "stages: order shadow, canary, half, full → shadow, half, canary, full",
               }));
}

TEST(RolloutInForce, WithoutAStableEntryTheCandidatesAloneAndSaysSo) {
  auto candidate = four_stages();
  auto rules = rollout_rules_in_force(candidate, nullptr, "production");
  EXPECT_EQ(rules.kind, RulesInForceKind::candidate);
  EXPECT_EQ(rules.note,
            "the stable commit's .mlgate.yml has no `rollouts:` entry for production: the "
            "candidate's own entry applies");
  const auto run = rollout_in_force(candidate, nullptr);
  EXPECT_EQ(run.stages.size(), 4u);
  const std::string json = rules_in_force_json(rules);
  EXPECT_NE(json.find("\"in_force\":\"candidate\""), std::string::npos) << json;
}

TEST(RolloutInForce, TheStableStagesRunWithTheShorterInterval) {
  auto deployed = four_stages();
  auto candidate = four_stages();
  candidate.stages.erase(candidate.stages.begin() + 1);
  candidate.analysis.every_seconds = 60;
  candidate.analysis.pass = 80;
  auto run = rollout_in_force(candidate, &deployed);
  ASSERT_EQ(run.stages.size(), 4u);
  EXPECT_EQ(run.stages[1].name, "canary");
  EXPECT_EQ(run.analysis.every_seconds, 60);
  EXPECT_EQ(run.analysis.pass, 80);  // the candidate's analysis; the stable one is judged apart
  candidate.analysis.every_seconds = 1200;
  EXPECT_EQ(rollout_in_force(candidate, &deployed).analysis.every_seconds, 600);
}

TEST(RolloutInForce, StrictnessOrder) {
  EXPECT_LT(decision_strictness(StageDecision::promote),
            decision_strictness(StageDecision::keep_going));
  EXPECT_LT(decision_strictness(StageDecision::keep_going),
            decision_strictness(StageDecision::no_data));
  EXPECT_LT(decision_strictness(StageDecision::no_data), decision_strictness(StageDecision::pause));
  EXPECT_LT(decision_strictness(StageDecision::pause),
            decision_strictness(StageDecision::rollback));
}

StageJudgement verdict(StageDecision d, std::optional<double> score, std::string reason) {
  StageJudgement j;
  j.decision = d;
  j.score = score;
  j.reason = std::move(reason);
  return j;
}

TEST(RolloutInForce, TheStricterVerdictWinsEitherWay) {
  auto a = combine_judgements(verdict(StageDecision::rollback, 0, "critical metric failed"),
                              verdict(StageDecision::promote, 100, "score 100 reaches pass 90"));
  EXPECT_EQ(a.decision, StageDecision::rollback);
  EXPECT_EQ(a.score, 0);
  EXPECT_EQ(a.decided_by, RuleSet::deployed);
  EXPECT_EQ(a.reason,
            "critical metric failed (the stable commit's analysis; the candidate's says promote, "
            "score 100)");
  auto b = combine_judgements(verdict(StageDecision::promote, 100, "ok"),
                              verdict(StageDecision::pause, 80, "marginal"));
  EXPECT_EQ(b.decision, StageDecision::pause);
  EXPECT_EQ(b.decided_by, RuleSet::candidate);
  auto c = combine_judgements(verdict(StageDecision::no_data, std::nullopt, "thin"),
                              verdict(StageDecision::keep_going, 100, "runs on"));
  EXPECT_EQ(c.decision, StageDecision::no_data);
  EXPECT_FALSE(c.score);
}

TEST(RolloutInForce, AtEqualDecisionsTheLowerScoreDecides) {
  auto a = combine_judgements(verdict(StageDecision::promote, 95, "deployed"),
                              verdict(StageDecision::promote, 100, "candidate"));
  EXPECT_EQ(a.score, 95);
  EXPECT_EQ(a.decided_by, RuleSet::deployed);
  auto b = combine_judgements(verdict(StageDecision::promote, 100, "same"),
                              verdict(StageDecision::promote, 100, "same"));
  EXPECT_EQ(b.decided_by, RuleSet::both);
  EXPECT_EQ(b.reason, "same");
}

TEST(RolloutInForce, MetricsJudgedAlikeAreListedOnce) {
  auto d = verdict(StageDecision::rollback, 0, "x");
  auto c = verdict(StageDecision::promote, 100, "y");
  d.metrics = {{"error_rate", MetricVerdict::high, true}, {"latency_ms", MetricVerdict::pass}};
  c.metrics = {{"latency_ms", MetricVerdict::pass}, {"accuracy", MetricVerdict::pass}};
  auto j = combine_judgements(d, c);
  ASSERT_EQ(j.metrics.size(), 3u);
  EXPECT_EQ(j.metrics[0].judgement.name, "latency_ms");
  EXPECT_EQ(j.metrics[0].rule_set, RuleSet::both);
  EXPECT_EQ(j.metrics[1].judgement.name, "accuracy");
  EXPECT_EQ(j.metrics[1].rule_set, RuleSet::candidate);
  EXPECT_EQ(j.metrics[2].judgement.name, "error_rate");
  EXPECT_EQ(j.metrics[2].rule_set, RuleSet::deployed);
  ASSERT_TRUE(j.deployed);
  EXPECT_EQ(j.deployed->decision, StageDecision::rollback);
}

std::vector<RolloutSample> worse_error_rate() {
  std::vector<RolloutSample> out;
  for (int i = 0; i < 40; ++i) {
    out.push_back({"c" + std::to_string(i), true, {{"error_rate", 1.0 + i % 3}}});
    out.push_back({"s" + std::to_string(i), false, {{"error_rate", 0.0 + (i % 3) * 0.01}}});
  }
  return out;
}

// The stable analysis keeps a critical metric the candidate dropped: its verdict rolls back.
TEST(RolloutInForce, AMetricTheCandidateDroppedStillJudges) {
  auto deployed = four_stages();
  deployed.analysis.metrics = {{"error_rate", true, true}};
  auto candidate = four_stages();
  candidate.analysis.metrics = {{"latency_ms", true}};
  const auto run = rollout_in_force(candidate, &deployed);
  const auto own = judge_in_force(run, nullptr, run.stages[1], worse_error_rate(), 10);
  EXPECT_EQ(own.decision, StageDecision::no_data);  // the candidate's own analysis sees nothing
  const auto both = judge_in_force(run, &deployed, run.stages[1], worse_error_rate(), 10);
  EXPECT_EQ(both.decision, StageDecision::rollback);
  EXPECT_EQ(both.decided_by, RuleSet::deployed);
}

// A candidate that adds a critical metric is judged by it at once.
TEST(RolloutInForce, AMetricTheCandidateAddsJudgesAtOnce) {
  auto deployed = four_stages();
  deployed.analysis.metrics = {{"latency_ms", true}};
  auto candidate = four_stages();
  candidate.analysis.metrics = {{"latency_ms", true}, {"error_rate", true, true}};
  auto samples = worse_error_rate();
  for (auto& s : samples) s.metrics["latency_ms"] = 10;
  const auto run = rollout_in_force(candidate, &deployed);
  const auto j = judge_in_force(run, &deployed, run.stages[1], samples, 10);
  EXPECT_EQ(j.decision, StageDecision::rollback);
  EXPECT_EQ(j.decided_by, RuleSet::candidate);
}

}  // namespace
}  // namespace mlgate::core
