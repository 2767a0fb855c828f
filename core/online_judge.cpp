// The online judge's verdicts (core/online_judge.h): a metric's classification after Kayenta's
// MannWhitneyClassifier, the stage's score after its WeightedSumScorer (one group), the decision,
// and the shadow comparison. The statistics are in online_judge_stats.cpp.
#include "core/online_judge.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "core/number_text.h"
#include "core/stats.h"

namespace mlgate::core {

std::string_view to_string(MetricVerdict v) {
  switch (v) {
    case MetricVerdict::pass:
      return "pass";
    case MetricVerdict::high:
      return "high";
    case MetricVerdict::low:
      return "low";
    case MetricVerdict::no_data:
      return "no_data";
  }
  return "no_data";
}

std::string_view to_string(StageDecision d) {
  switch (d) {
    case StageDecision::promote:
      return "promote";
    case StageDecision::rollback:
      return "rollback";
    case StageDecision::pause:
      return "pause";
    case StageDecision::keep_going:
      return "continue";
    case StageDecision::no_data:
      return "no_data";
  }
  return "no_data";
}

namespace {

// Values this large have sums and differences that overflow (the Hodges–Lehmann median of two
// differences near 1e308 is infinite, and an infinite tolerance passes anything).
constexpr double kLargestUnscaled = 1e150;

// The statistics of two cleaned samples that differ; the verdict by the rule's direction. Samples
// with a value beyond kLargestUnscaled are judged scaled down by a power of two (exact; the rank
// test, the verdict and the ratio of the means do not depend on the scale), and the shift and its
// interval are reported scaled back.
void compare_samples(const RolloutMetric& rule, std::vector<double> c, std::vector<double> s,
                     double confidence, MetricJudgement& j) {
  double largest = 0;
  for (const auto* side : {&c, &s})
    for (double v : *side) largest = std::max(largest, std::fabs(v));
  double scale = 1;
  if (largest > kLargestUnscaled) {
    const int exponent = std::ilogb(largest);
    for (auto* side : {&c, &s})
      for (double& v : *side) v = std::ldexp(v, -exponent);
    scale = std::ldexp(1.0, exponent);
  }
  j.p_value = mann_whitney_u(c, s).p_value;
  j.shift = hodges_lehmann_shift(c, s);
  j.interval = shift_confidence_interval(c, s, confidence);
  const double mean_c = sample_mean(c);
  const double mean_s = sample_mean(s);
  if (mean_c != 0 && mean_s != 0) j.mean_ratio = mean_c / mean_s;
  // A shift counts only beyond a tolerance of its own size, and only when the effect (the ratio
  // of the means, when it is defined) is as large as the rule asks.
  const double tolerance = kJudgeTolerance * std::fabs(*j.shift);
  const bool high = rule.lower_is_better && j.interval->lower > tolerance &&
                    (!j.mean_ratio || *j.mean_ratio >= rule.allowed_increase);
  const bool low = !rule.lower_is_better && j.interval->upper < -tolerance &&
                   (!j.mean_ratio || *j.mean_ratio <= rule.allowed_decrease);
  j.verdict = high ? MetricVerdict::high : (low ? MetricVerdict::low : MetricVerdict::pass);
  if (scale != 1) {
    *j.shift *= scale;
    j.interval->lower *= scale;
    j.interval->upper *= scale;
  }
  const std::string interval =
      "[" + number_text(j.interval->lower) + ", " + number_text(j.interval->upper) + "]";
  if (j.verdict == MetricVerdict::pass) {
    j.reason = "no shift beyond the tolerance: interval " + interval;
  } else {
    j.reason = std::string(high ? "higher" : "lower") + " than stable: shift " +
               number_text(*j.shift) + ", interval " + interval;
  }
  j.critical = rule.critical && j.verdict != MetricVerdict::pass;
}

}  // namespace

MetricJudgement judge_metric(const RolloutMetric& rule, const MetricSamples& samples,
                             double confidence) {
  MetricJudgement j;
  j.name = rule.name;
  const std::vector<double> c = clean_observations(samples.candidate, kOutlierFactor);
  const std::vector<double> s = clean_observations(samples.stable, kOutlierFactor);
  j.candidate_n = c.size();
  j.stable_n = s.size();
  if (c.empty() || s.empty()) {
    j.verdict = MetricVerdict::no_data;
    j.reason = c.empty() ? "no candidate observations" : "no stable observations";
    return j;
  }
  std::vector<double> sc = c;
  std::vector<double> ss = s;
  std::sort(sc.begin(), sc.end());
  std::sort(ss.begin(), ss.end());
  if (sc == ss ||
      (sc.front() == sc.back() && ss.front() == ss.back() && sc.front() == ss.front())) {
    j.verdict = MetricVerdict::pass;
    j.reason = "the candidate's and stable's values are the same";
    return j;
  }
  compare_samples(rule, c, s, confidence, j);
  return j;
}

ShadowComparison compare_shadow(const std::vector<ShadowAnswer>& candidate,
                                const std::vector<ShadowAnswer>& stable) {
  std::map<std::string_view, const ShadowAnswer*> by_id;
  for (const ShadowAnswer& a : stable) by_id.emplace(a.id, &a);
  std::set<std::string_view> seen;
  ShadowComparison out;
  std::size_t flips = 0;
  double score_sum = 0;
  for (const ShadowAnswer& a : candidate) {
    auto it = by_id.find(a.id);
    if (it == by_id.end() || !seen.insert(a.id).second) continue;
    ++out.paired;
    if (a.label != it->second->label) ++flips;
    if (a.score && it->second->score) {
      ++out.scored;
      score_sum += *a.score - *it->second->score;
    }
  }
  if (out.paired > 0) out.flip_rate = static_cast<double>(flips) / static_cast<double>(out.paired);
  if (out.scored > 0) out.score_change = score_sum / static_cast<double>(out.scored);
  return out;
}

namespace {

// Kayenta's score: the share of metrics with data that pass, x100; 0 after a critical failure;
// none when half the metrics or more (or a critical one) have no data.
void score_stage(StageJudgement& out) {
  std::size_t pass = 0;
  std::size_t no_data = 0;
  bool critical_no_data = false;
  const MetricJudgement* critical = nullptr;
  for (const MetricJudgement& m : out.metrics) {
    if (m.verdict == MetricVerdict::pass) ++pass;
    if (m.verdict == MetricVerdict::no_data) {
      ++no_data;
      critical_no_data = critical_no_data || m.critical;
    }
    if (m.critical && m.verdict != MetricVerdict::no_data && critical == nullptr) critical = &m;
  }
  if (critical_no_data || out.metrics.empty() || 2 * no_data >= out.metrics.size()) {
    out.reason = critical_no_data ? "a critical metric has no data"
                                  : "half the metrics or more have no data";
    return;
  }
  if (critical != nullptr) {
    out.score = 0;
    out.reason = "critical metric '" + critical->name + "' failed: " + critical->reason;
    return;
  }
  out.score = 100.0 * static_cast<double>(pass) / static_cast<double>(out.metrics.size() - no_data);
}

void decide(const RolloutConfig& rollout, const RolloutStage& stage, std::int64_t elapsed,
            StageJudgement& out) {
  const std::string score = out.score ? number_text(*out.score) : "";
  if (!out.score) {
    out.decision = StageDecision::no_data;
  } else if (*out.score < rollout.analysis.marginal) {
    out.decision = StageDecision::rollback;
    if (out.reason.empty())
      out.reason =
          "score " + score + " is under marginal " + number_text(rollout.analysis.marginal);
  } else if (stage.for_seconds && elapsed < *stage.for_seconds) {
    out.decision = StageDecision::keep_going;
    out.reason = "score " + score + "; the stage runs " +
                 std::to_string(*stage.for_seconds - elapsed) + "s more";
  } else if (*out.score >= rollout.analysis.pass) {
    out.decision = StageDecision::promote;
    out.reason = "score " + score + " reaches pass " + number_text(rollout.analysis.pass);
  } else {
    out.decision = StageDecision::pause;
    out.reason = "score " + score + " is marginal (between " +
                 number_text(rollout.analysis.marginal) + " and " +
                 number_text(rollout.analysis.pass) + ")";
  }
}

}  // namespace

StageJudgement judge_stage(const RolloutConfig& rollout, const RolloutStage& stage,
                           const StageInput& input) {
  StageJudgement out;
  for (const RolloutMetric& rule : rollout.analysis.metrics) {
    const auto it = std::find_if(input.samples.begin(), input.samples.end(),
                                 [&](const MetricSamples& s) { return s.name == rule.name; });
    MetricJudgement j = judge_metric(rule, it == input.samples.end() ? MetricSamples{} : *it);
    if (j.verdict == MetricVerdict::no_data) j.critical = rule.critical;
    out.metrics.push_back(std::move(j));
  }
  score_stage(out);
  decide(rollout, stage, input.elapsed_seconds, out);
  if (stage.mirror() && input.shadow_candidate && input.shadow_stable)
    out.shadow = compare_shadow(*input.shadow_candidate, *input.shadow_stable);
  return out;
}

}  // namespace mlgate::core
