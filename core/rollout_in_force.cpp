#include "core/rollout_in_force.h"

#include <algorithm>
#include <utility>

#include "core/duration.h"
#include "core/number_text.h"

namespace mlgate::core {
namespace {

const std::string kNone = "none";

std::string percent(const std::optional<double>& v) {
  return v ? number_text(*v) + "%" : kNone;
}

std::string duration(const std::optional<std::int64_t>& v) {
  return v ? format_duration(*v) : kNone;
}

std::string yes_no(bool v) {
  return v ? "true" : "false";
}

// A metric's settings as one text: "lower_is_better true, critical true".
std::string metric_settings(const RolloutMetric& m) {
  std::string out =
      "lower_is_better " + yes_no(m.lower_is_better) + ", critical " + yes_no(m.critical);
  if (m.allowed_increase != 1.0) out += ", allowed_increase " + number_text(m.allowed_increase);
  if (m.allowed_decrease != 1.0) out += ", allowed_decrease " + number_text(m.allowed_decrease);
  return out;
}

void change(std::vector<RuleChange>& out, const std::string& key, std::string deployed,
            std::string candidate) {
  if (deployed != candidate) out.push_back({key, std::move(deployed), std::move(candidate)});
}

template <typename T>
const T* by_name(const std::vector<T>& items, const std::string& name) {
  auto it = std::find_if(items.begin(), items.end(), [&](const T& t) { return t.name == name; });
  return it == items.end() ? nullptr : &*it;
}

void add(std::vector<RuleDifference>& out, std::string rule, std::vector<RuleChange> changes) {
  if (!changes.empty()) out.push_back({std::move(rule), std::move(changes)});
}

std::vector<RuleChange> stage_changes(const RolloutStage* d, const RolloutStage* c) {
  std::vector<RuleChange> out;
  if (!d || !c) {
    out.push_back({"", d ? stage_settings_text(*d) : kNone, c ? stage_settings_text(*c) : kNone});
    return out;
  }
  change(out, "traffic", percent(d->traffic_percent), percent(c->traffic_percent));
  change(out, "mirror", percent(d->mirror_percent), percent(c->mirror_percent));
  change(out, "for", duration(d->for_seconds), duration(c->for_seconds));
  return out;
}

std::vector<RuleChange> metric_changes(const RolloutMetric* d, const RolloutMetric* c) {
  std::vector<RuleChange> out;
  if (!d || !c) {
    out.push_back({"", d ? metric_settings(*d) : kNone, c ? metric_settings(*c) : kNone});
    return out;
  }
  change(out, "lower_is_better", yes_no(d->lower_is_better), yes_no(c->lower_is_better));
  change(out, "critical", yes_no(d->critical), yes_no(c->critical));
  change(out, "allowed_increase", number_text(d->allowed_increase),
         number_text(c->allowed_increase));
  change(out, "allowed_decrease", number_text(d->allowed_decrease),
         number_text(c->allowed_decrease));
  return out;
}

// The names both lists hold, in the list's order, joined.
template <typename T>
std::string shared_names(const std::vector<T>& items, const std::vector<T>& other) {
  std::string out;
  for (const T& t : items) {
    if (!by_name(other, t.name)) continue;
    out += (out.empty() ? "" : ", ") + t.name;
  }
  return out;
}

void diff_stages(const RolloutConfig& d, const RolloutConfig& c, std::vector<RuleDifference>& out) {
  for (const RolloutStage& s : d.stages)
    add(out, "stage " + s.name, stage_changes(&s, by_name(c.stages, s.name)));
  for (const RolloutStage& s : c.stages)
    if (!by_name(d.stages, s.name)) add(out, "stage " + s.name, stage_changes(nullptr, &s));
  std::vector<RuleChange> order;
  change(order, "order", shared_names(d.stages, c.stages), shared_names(c.stages, d.stages));
  add(out, "stages", std::move(order));
}

void diff_analysis(const RolloutAnalysis& d, const RolloutAnalysis& c,
                   std::vector<RuleDifference>& out) {
  std::vector<RuleChange> keys;
  change(keys, "every", format_duration(d.every_seconds), format_duration(c.every_seconds));
  change(keys, "pass", number_text(d.pass), number_text(c.pass));
  change(keys, "marginal", number_text(d.marginal), number_text(c.marginal));
  add(out, "analysis", std::move(keys));
  for (const RolloutMetric& m : d.metrics)
    add(out, "metric " + m.name, metric_changes(&m, by_name(c.metrics, m.name)));
  for (const RolloutMetric& m : c.metrics)
    if (!by_name(d.metrics, m.name)) add(out, "metric " + m.name, metric_changes(nullptr, &m));
}

// "rollback", or "no score" for a verdict without one.
std::string score_text(const std::optional<double>& s) {
  return s ? "score " + number_text(*s) : "no score";
}

// Whether `a` decides over `b`: a stricter decision, or at equal decisions a lower score.
bool decides_over(const StageJudgement& a, const StageJudgement& b) {
  const int sa = decision_strictness(a.decision);
  const int sb = decision_strictness(b.decision);
  if (sa != sb) return sa > sb;
  if (!a.score || !b.score) return !a.score && b.score;
  return *a.score < *b.score;
}

bool same_metric(const MetricJudgement& a, const MetricJudgement& b) {
  return a.name == b.name && a.verdict == b.verdict && a.critical == b.critical &&
         a.reason == b.reason;
}

// The metrics of both verdicts: one judged alike once (both), the others per analysis, a stable
// one just before the candidate's of the same name, the stable ones only it judges at the end.
std::vector<RuledMetric> merge_metrics(const std::vector<MetricJudgement>& deployed,
                                       const std::vector<MetricJudgement>& candidate) {
  std::vector<bool> used(deployed.size(), false);
  std::vector<RuledMetric> out;
  for (const MetricJudgement& c : candidate) {
    auto alike = std::find_if(deployed.begin(), deployed.end(), [&](const MetricJudgement& d) {
      return !used[static_cast<std::size_t>(&d - deployed.data())] && same_metric(c, d);
    });
    if (alike != deployed.end()) {
      used[static_cast<std::size_t>(alike - deployed.begin())] = true;
      out.push_back({c, RuleSet::both});
      continue;
    }
    for (std::size_t i = 0; i < deployed.size(); ++i) {
      if (used[i] || deployed[i].name != c.name) continue;
      used[i] = true;
      out.push_back({deployed[i], RuleSet::deployed});
    }
    out.push_back({c, RuleSet::candidate});
  }
  for (std::size_t i = 0; i < deployed.size(); ++i)
    if (!used[i]) out.push_back({deployed[i], RuleSet::deployed});
  return out;
}

}  // namespace

std::vector<RuleDifference> diff_rollout_rules(const RolloutConfig& deployed,
                                               const RolloutConfig& candidate) {
  std::vector<RuleDifference> out;
  diff_stages(deployed, candidate, out);
  diff_analysis(deployed.analysis, candidate.analysis, out);
  return out;
}

RulesInForce rollout_rules_in_force(const RolloutConfig& candidate, const RolloutConfig* deployed,
                                    const std::string& environment) {
  RulesInForce out;
  if (!deployed) {
    out.kind = RulesInForceKind::candidate;
    out.note = "the stable commit's .mlgate.yml has no `rollouts:` entry for " + environment +
               ": the candidate's own entry applies";
    return out;
  }
  out.kind = RulesInForceKind::deployed_and_candidate;
  out.differences = diff_rollout_rules(*deployed, candidate);
  if (!out.differences.empty())
    out.note =
        "the candidate's `rollouts:` entry differs from the stable commit's: the stable "
        "commit's stages apply, and both analyses judge each stage";
  return out;
}

RolloutConfig rollout_in_force(const RolloutConfig& candidate, const RolloutConfig* deployed) {
  RolloutConfig out = candidate;
  if (!deployed) return out;
  out.stages = deployed->stages;
  out.analysis.every_seconds =
      std::min(candidate.analysis.every_seconds, deployed->analysis.every_seconds);
  return out;
}

int decision_strictness(StageDecision d) {
  switch (d) {
    case StageDecision::promote:
      return 0;
    case StageDecision::keep_going:
      return 1;
    case StageDecision::no_data:
      return 2;
    case StageDecision::pause:
      return 3;
    case StageDecision::rollback:
      return 4;
  }
  return 4;
}

InForceJudgement combine_judgements(StageJudgement deployed, StageJudgement candidate) {
  InForceJudgement out;
  const bool stable_decides = decides_over(deployed, candidate);
  const StageJudgement& by = stable_decides ? deployed : candidate;
  const StageJudgement& other = stable_decides ? candidate : deployed;
  out.decision = by.decision;
  out.score = by.score;
  out.reason = by.reason;
  const bool agree = by.decision == other.decision && by.score == other.score;
  out.decided_by = agree ? RuleSet::both : stable_decides ? RuleSet::deployed : RuleSet::candidate;
  if (!agree)
    out.reason += std::string(stable_decides ? " (the stable commit's analysis"
                                             : " (the candidate's analysis") +
                  "; the " + (stable_decides ? "candidate's" : "stable commit's") + " says " +
                  std::string(to_string(other.decision)) + ", " + score_text(other.score) + ")";
  out.metrics = merge_metrics(deployed.metrics, candidate.metrics);
  out.shadow = candidate.shadow;
  out.deployed = std::move(deployed);
  out.candidate = std::move(candidate);
  return out;
}

InForceJudgement single_judgement(StageJudgement candidate) {
  InForceJudgement out;
  out.decision = candidate.decision;
  out.score = candidate.score;
  out.reason = candidate.reason;
  out.decided_by = RuleSet::candidate;
  for (const MetricJudgement& m : candidate.metrics) out.metrics.push_back({m, RuleSet::candidate});
  out.shadow = candidate.shadow;
  out.candidate = std::move(candidate);
  return out;
}

InForceJudgement judge_in_force(const RolloutConfig& config, const RolloutConfig* deployed,
                                const RolloutStage& stage,
                                const std::vector<RolloutSample>& samples,
                                std::int64_t elapsed_seconds) {
  StageJudgement own =
      judge_stage(config, stage, stage_input(config, stage, samples, elapsed_seconds));
  if (!deployed) return single_judgement(std::move(own));
  RolloutConfig theirs = config;  // the stages in force, the stable commit's analysis
  theirs.analysis = deployed->analysis;
  StageJudgement stable =
      judge_stage(theirs, stage, stage_input(theirs, stage, samples, elapsed_seconds));
  return combine_judgements(std::move(stable), std::move(own));
}

}  // namespace mlgate::core
