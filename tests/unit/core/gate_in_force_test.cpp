// The rules in force (docs/gate.md, "The rules in force"): the candidate judged by its own rules
// and by the deployed commit's, allowed only when both allow; tightening applies at once,
// loosening only once deployed.
#include "core/gate_in_force.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/config.h"

namespace mlgate::core {
namespace {

GateRules rules(const std::string& gate) {
  const std::string yaml =
      "version: 1\nimage: python:3.12\ntiers:\n  functionality:\n    run: pytest\n"
      "  validation:\n    run: python eval.py\ngates:\n  production:\n" +
      gate;
  auto parsed = parse_config(yaml);
  EXPECT_TRUE(parsed.ok()) << format_errors(parsed.errors) << yaml;
  if (!parsed.ok()) return {};
  return GateRules{*find_gate(*parsed.config, "production"), parsed.config->rubric};
}

GateRules min_accuracy(const std::string& min) {
  return rules("    metrics:\n      - {name: accuracy, min: " + min + "}\n");
}

struct Case {
  GateRules candidate_rules;
  JobResults candidate;
  std::optional<JobResults> baseline;
  std::vector<TierState> tiers;
  bool with_tiers = false;

  explicit Case(GateRules own, double accuracy) : candidate_rules(std::move(own)) {
    candidate.metrics.push_back(Metric{.name = "accuracy", .value = accuracy});
  }
  GateInput input() const {
    return GateInput{.gate = candidate_rules.gate,
                     .rubric = candidate_rules.rubric,
                     .candidate = candidate,
                     .baseline = baseline ? &*baseline : nullptr,
                     .tiers = with_tiers ? &tiers : nullptr};
  }
  GateResult against(const GateRules& deployed) const {
    return evaluate_in_force(input(), DeployedRules{DeployedRulesState::known, &deployed, ""});
  }
};

const CheckResult* find(const GateResult& r, const std::string& threshold) {
  for (const auto& c : r.checks)
    if (c.threshold == threshold) return &c;
  return nullptr;
}

std::vector<std::string> texts(const GateResult& r) {
  std::vector<std::string> out;
  for (const auto& d : r.rules.differences) out.push_back(difference_text(d));
  return out;
}

TEST(RulesInForce, LoosenedTheDeployedRuleStillFailsItAndTheDifferenceIsShown) {
  Case c(min_accuracy("0.85"), 0.88);
  c.baseline = JobResults{};
  const auto deployed = min_accuracy("0.93");
  auto r = c.against(deployed);
  EXPECT_EQ(r.decision, Decision::deny);
  EXPECT_EQ(r.rules.kind, RulesInForceKind::deployed_and_candidate);
  EXPECT_EQ(texts(r), std::vector<std::string>{"accuracy: min 0.93 → 0.85"});
  const CheckResult* old_rule = find(r, "min 0.93");
  const CheckResult* new_rule = find(r, "min 0.85");
  ASSERT_TRUE(old_rule && new_rule) << r.summary;
  EXPECT_EQ(old_rule->rule_set, RuleSet::deployed);
  EXPECT_EQ(old_rule->status, CheckStatus::fail);
  EXPECT_EQ(new_rule->rule_set, RuleSet::candidate);
  EXPECT_EQ(new_rule->status, CheckStatus::pass);
  EXPECT_LT(old_rule - r.checks.data(), new_rule - r.checks.data());  // deployed first
  EXPECT_EQ(r.summary, "deny: 1 check failed: metric accuracy 0.88 < min 0.93 (deployed rule)");
  // Judged by its own rules alone, it would have passed: that is what the deployed rules prevent.
  EXPECT_EQ(evaluate_gate(c.input()).decision, Decision::allow);
}

TEST(RulesInForce, TightenedTheCandidatesStricterRuleFailsIt) {
  Case c(min_accuracy("0.9"), 0.88);
  c.baseline = JobResults{};
  auto r = c.against(min_accuracy("0.85"));
  EXPECT_EQ(r.decision, Decision::deny);
  EXPECT_EQ(texts(r), std::vector<std::string>{"accuracy: min 0.85 → 0.9"});
  ASSERT_TRUE(find(r, "min 0.9"));
  EXPECT_EQ(find(r, "min 0.9")->rule_set, RuleSet::candidate);
  EXPECT_EQ(find(r, "min 0.9")->status, CheckStatus::fail);
  EXPECT_EQ(find(r, "min 0.85")->status, CheckStatus::pass);
  EXPECT_EQ(r.summary, "deny: 1 check failed: metric accuracy 0.88 < min 0.9 (candidate's rule)");
}

TEST(RulesInForce, UnchangedRulesGiveEachCheckOnceWithNoDifference) {
  Case c(min_accuracy("0.85"), 0.88);
  c.baseline = JobResults{};
  auto r = c.against(min_accuracy("0.85"));
  const auto alone = evaluate_gate(c.input());
  EXPECT_EQ(r.decision, Decision::allow);
  EXPECT_EQ(r.rules.kind, RulesInForceKind::deployed_and_candidate);
  EXPECT_TRUE(r.rules.differences.empty());
  EXPECT_TRUE(r.rules.note.empty());
  ASSERT_EQ(r.checks.size(), alone.checks.size());
  for (const auto& check : r.checks) EXPECT_EQ(check.rule_set, RuleSet::both) << check.name;
  EXPECT_EQ(r.summary, alone.summary);
}

TEST(RulesInForce, WithNoDeploymentOnlyTheCandidatesRulesApplyAndTheDecisionSaysSo) {
  Case c(min_accuracy("0.85"), 0.88);
  auto r = evaluate_in_force(c.input(), DeployedRules{});
  EXPECT_EQ(r.decision, Decision::allow);
  EXPECT_EQ(r.rules.kind, RulesInForceKind::candidate);
  EXPECT_EQ(r.rules.note, "no deployment to production yet: the candidate's own rules apply");
  EXPECT_TRUE(r.rules.differences.empty());
  EXPECT_EQ(r.summary, evaluate_gate(c.input()).summary);
  for (const auto& check : r.checks) EXPECT_EQ(check.rule_set, RuleSet::candidate);
}

TEST(RulesInForce, OnceTheLooserCommitIsDeployedTheLooserRulesApplyToTheNext) {
  Case next(min_accuracy("0.85"), 0.87);
  next.baseline = JobResults{};
  EXPECT_EQ(next.against(min_accuracy("0.93")).decision, Decision::deny);  // before
  auto r = next.against(min_accuracy("0.85"));                             // after
  EXPECT_EQ(r.decision, Decision::allow);
  EXPECT_TRUE(r.rules.differences.empty());
}

TEST(RulesInForce, ARuleTheCandidateDroppedStillApplies) {
  Case c(min_accuracy("0.85"), 0.88);
  c.baseline = JobResults{};
  const auto deployed = rules(
      "    require: [validation]\n"
      "    metrics:\n      - {name: accuracy, min: 0.85}\n      - {name: f1, min: 0.8}\n");
  auto r = c.against(deployed);
  EXPECT_EQ(r.decision, Decision::deny);  // f1 is not reported; offline the tier is skipped
  ASSERT_FALSE(r.checks.empty());
  bool f1_missing = false;
  for (const auto& check : r.checks)
    f1_missing |= check.name == "f1" && check.status == CheckStatus::missing &&
                  check.rule_set == RuleSet::deployed;
  EXPECT_TRUE(f1_missing) << r.summary;
  EXPECT_EQ(texts(r),
            (std::vector<std::string>{"require: validation → none", "f1: min 0.8 → none"}));
}

TEST(RulesInForce, TheDecisionIsTheStricterOfTheTwo) {
  // The deployed rules require a tier that is still running: pending although the candidate's
  // own rules allow.
  Case c(min_accuracy("0.85"), 0.88);
  c.baseline = JobResults{};
  c.with_tiers = true;
  c.tiers = {{"functionality", JobState::passed}, {"validation", JobState::running}};
  auto pending = c.against(
      rules("    require: [validation]\n    metrics:\n      - {name: accuracy, min: 0.85}\n"));
  EXPECT_EQ(evaluate_gate(c.input()).decision, Decision::allow);
  EXPECT_EQ(pending.decision, Decision::pending);
  // A failing deployed rule denies while the candidate's rules are pending.
  Case d(rules("    require: [validation]\n    metrics:\n      - {name: accuracy, min: 0.85}\n"),
         0.88);
  d.baseline = JobResults{};
  d.with_tiers = true;
  d.tiers = c.tiers;
  EXPECT_EQ(evaluate_gate(d.input()).decision, Decision::pending);
  EXPECT_EQ(d.against(min_accuracy("0.93")).decision, Decision::deny);
}

TEST(RulesInForce, UnreadableDeployedRulesDenyAndSayWhy) {
  Case c(min_accuracy("0.85"), 0.88);
  c.baseline = JobResults{};
  auto r = evaluate_in_force(
      c.input(), DeployedRules{DeployedRulesState::unreadable, nullptr, "no .mlgate.yml at 1a2b"});
  EXPECT_EQ(r.decision, Decision::deny);
  ASSERT_FALSE(r.checks.empty());
  const auto& last = r.checks.back();
  EXPECT_EQ(last.kind, CheckKind::rules);
  EXPECT_EQ(last.status, CheckStatus::fail);
  EXPECT_EQ(last.rule_set, RuleSet::deployed);
  EXPECT_NE(last.reason.find("no .mlgate.yml at 1a2b"), std::string::npos);
  EXPECT_NE(r.rules.note.find("cannot be read"), std::string::npos);
  // Known but without rules fails closed the same way.
  auto none = evaluate_in_force(c.input(), DeployedRules{DeployedRulesState::known, nullptr, ""});
  EXPECT_EQ(none.decision, Decision::deny);
}

TEST(RulesInForce, JsonListsTheDifferencesStructuredAndAsText) {
  Case c(min_accuracy("0.85"), 0.88);
  c.baseline = JobResults{};
  auto j = nlohmann::json::parse(rules_in_force_json(c.against(min_accuracy("0.93")).rules));
  EXPECT_EQ(j["in_force"], "deployed_and_candidate");
  ASSERT_EQ(j["differences"].size(), 1u);
  EXPECT_EQ(j["differences"][0]["rule"], "accuracy");
  EXPECT_EQ(j["differences"][0]["text"], "accuracy: min 0.93 → 0.85");
  EXPECT_EQ(j["differences"][0]["changes"][0],
            (nlohmann::json{{"key", "min"}, {"deployed", "0.93"}, {"candidate", "0.85"}}));
  auto first = nlohmann::json::parse(
      rules_in_force_json(evaluate_in_force(c.input(), DeployedRules{}).rules));
  EXPECT_EQ(first["in_force"], "candidate");
  EXPECT_EQ(first["note"], "no deployment to production yet: the candidate's own rules apply");
  EXPECT_TRUE(first["differences"].empty());
}

}  // namespace
}  // namespace mlgate::core
