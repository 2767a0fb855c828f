#include "core/gate_in_force.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

namespace mlgate::core {
namespace {

bool same_number(const std::optional<double>& a, const std::optional<double>& b) {
  if (!a || !b) return a.has_value() == b.has_value();
  return *a == *b || (std::isnan(*a) && std::isnan(*b));
}

bool same_interval(const std::optional<Interval>& a, const std::optional<Interval>& b) {
  if (!a || !b) return a.has_value() == b.has_value();
  return same_number(a->lower, b->lower) && same_number(a->upper, b->upper);
}

// Two checks' evidence alike: the same intervals, examples, method, p-value and consequence.
bool same_evidence(const std::optional<CheckEvidence>& a, const std::optional<CheckEvidence>& b) {
  if (!a || !b) return a.has_value() == b.has_value();
  return same_number(a->confidence, b->confidence) && same_interval(a->interval, b->interval) &&
         same_interval(a->delta_interval, b->delta_interval) && a->n == b->n &&
         a->n_of == b->n_of && a->method == b->method && same_number(a->p_value, b->p_value) &&
         a->when_inconclusive == b->when_inconclusive;
}

// The same rule gave the same result: everything but the source line and the rule set.
bool same_result(const CheckResult& a, const CheckResult& b) {
  return a.kind == b.kind && a.name == b.name && a.status == b.status &&
         a.threshold == b.threshold && a.reason == b.reason && a.optional == b.optional &&
         same_number(a.value, b.value) && same_number(a.baseline, b.baseline) &&
         same_evidence(a.evidence, b.evidence);
}

int strictness(Decision d) {
  return d == Decision::deny ? 2 : d == Decision::pending ? 1 : 0;
}

// The checks of both evaluations in kind order; a check both give alike once (both), the others
// with their rule set, a deployed one just before the candidate's check of the same name.
std::vector<CheckResult> merge_checks(std::vector<CheckResult> own,
                                      std::vector<CheckResult> theirs) {
  std::vector<bool> used(theirs.size(), false);
  for (CheckResult& c : own) {
    c.rule_set = RuleSet::candidate;
    for (std::size_t i = 0; i < theirs.size(); ++i) {
      if (used[i] || !same_result(c, theirs[i])) continue;
      used[i] = true;
      c.rule_set = RuleSet::both;
      break;
    }
  }
  std::vector<CheckResult> out;
  auto take_theirs = [&](auto&& wanted) {
    for (std::size_t i = 0; i < theirs.size(); ++i) {
      if (used[i] || !wanted(theirs[i])) continue;
      used[i] = true;
      theirs[i].rule_set = RuleSet::deployed;
      out.push_back(std::move(theirs[i]));
    }
  };
  for (CheckResult& c : own) {
    if (c.rule_set == RuleSet::candidate)
      take_theirs([&](const CheckResult& t) { return t.kind == c.kind && t.name == c.name; });
    out.push_back(std::move(c));
  }
  take_theirs([](const CheckResult&) { return true; });
  std::stable_sort(out.begin(), out.end(), [](const CheckResult& a, const CheckResult& b) {
    return static_cast<int>(a.kind) < static_cast<int>(b.kind);
  });
  return out;
}

// What stands for the deployed rules when they cannot be read: one failing check.
GateResult unreadable_rules(const DeployedRules& deployed) {
  GateResult r;
  r.decision = Decision::deny;
  r.checks.push_back(CheckResult{
      .kind = CheckKind::rules,
      .name = "deployed",
      .status = CheckStatus::fail,
      .threshold = "the deployed commit's rules",
      .reason = "cannot be read (" + deployed.problem +
                "): a deployment forced with a reason makes the candidate's rules the rules in "
                "force",
      .rule_set = RuleSet::deployed});
  return r;
}

}  // namespace

GateResult evaluate_in_force(const GateInput& input, const DeployedRules& deployed) {
  GateResult own = evaluate_gate(input);
  if (deployed.state == DeployedRulesState::nothing_deployed) {
    own.rules.kind = RulesInForceKind::candidate;
    own.rules.note =
        "no deployment to " + input.gate.name + " yet: the candidate's own rules apply";
    return own;
  }
  GateResult theirs;
  GateResult out;
  out.rules.kind = RulesInForceKind::deployed_and_candidate;
  if (deployed.state == DeployedRulesState::known && deployed.rules) {
    GateInput other{deployed.rules->gate, deployed.rules->rubric, input.candidate, input.baseline,
                    input.tiers,          input.path_exists};
    other.candidate_sha = input.candidate_sha;  // the same seeds: alike rules, alike intervals
    other.baseline_sha = input.baseline_sha;
    other.monitored = input.monitored;
    theirs = deployed.same_as_candidate ? own : evaluate_gate(other);
    out.rules.differences = diff_gate_rules(*deployed.rules, GateRules{input.gate, input.rubric});
    if (!out.rules.differences.empty())
      out.rules.note = "the candidate's rules differ from the deployed commit's: both apply";
  } else {  // unreadable (or known without rules, which fails closed the same way)
    theirs = unreadable_rules(deployed);
    out.rules.note = "the deployed commit's rules cannot be read: " + deployed.problem;
  }
  out.decision =
      strictness(theirs.decision) > strictness(own.decision) ? theirs.decision : own.decision;
  out.checks = merge_checks(std::move(own.checks), std::move(theirs.checks));
  out.rubric = std::move(own.rubric);
  out.unfinished = std::move(own.unfinished);  // both were judged on the same tiers
  out.summary = gate_summary(out, input.baseline != nullptr);
  return out;
}

std::string rules_in_force_json(const RulesInForce& rules) {
  using Json = nlohmann::ordered_json;
  Json differences = Json::array();
  for (const RuleDifference& d : rules.differences) {
    Json changes = Json::array();
    for (const RuleChange& c : d.changes)
      changes.push_back({{"key", c.key}, {"deployed", c.deployed}, {"candidate", c.candidate}});
    differences.push_back({{"rule", d.rule}, {"changes", changes}, {"text", difference_text(d)}});
  }
  const Json out{{"in_force", std::string(to_string(rules.kind))},
                 {"note", rules.note.empty() ? Json() : Json(rules.note)},
                 {"differences", differences}};
  return out.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace mlgate::core
