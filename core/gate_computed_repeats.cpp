// The gate's checks `from: predictions` on a tier run with `repeat: N` (docs/gate.md "Repeats"):
// the metric is computed on each repeat's own predictions (JobResults::repeat_predictions), and
// the values per repeat are then judged exactly as a metrics.json metric reported by each repeat
// (core/gate_repeats.cpp): the mean, its Student-t interval with a confidence, Welch's for a change
// against a baseline with repeats, max_spread. The per-example intervals (Wilson, bootstrap) are
// not used then: the seed variance the repeats show is the noise that matters.
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "core/gate_checks.h"
#include "core/repeats.h"

namespace mlgate::core::gate_detail {
namespace {

// The results a check reads: the candidate's (or a baseline's) metric per repeat, made one as
// merge_repeats makes metrics.json repeats one; or why it cannot be computed.
std::variant<JobResults, std::string> computed_results(
    const std::string& metric, const std::string& by, const CheckStatistics& s,
    const ComputedInput& in, const std::vector<std::vector<Prediction>>& views) {
  std::vector<JobResults> runs;
  for (std::size_t i = 0; i < views.size(); ++i) {
    auto computed = metrics_from_predictions(metric, by, s, in, views[i]);
    if (auto* problem = std::get_if<std::string>(&computed)) {
      if (views.size() == 1) return *problem;
      return "repeat #" + std::to_string(i + 1) + " of " + std::to_string(views.size()) + ": " +
             *problem;
    }
    runs.push_back(JobResults{.metrics = std::get<std::vector<Metric>>(std::move(computed))});
  }
  return merge_repeats(std::move(runs));
}

// What a check judges: the candidate's results and the baseline's, kept in `in` until the
// interval jobs ran; `problem` when the candidate's cannot be computed, `base_problem` when the
// baseline's cannot.
struct Judged {
  const JobResults* candidate = nullptr;
  const JobResults* baseline = nullptr;
  std::string problem, base_problem;
};

Judged judged_results(const std::string& metric, const std::string& by, const CheckStatistics& s,
                      ComputedInput& in) {
  Judged out;
  auto cand = computed_results(metric, by, s, in, in.input.candidate.repeat_predictions);
  if (auto* problem = std::get_if<std::string>(&cand)) {
    out.problem = *problem;
    return out;
  }
  out.candidate = &in.kept.emplace_back(std::get<JobResults>(std::move(cand)));
  if (!in.input.baseline) return out;
  const JobResults& b = *in.input.baseline;
  auto base = computed_results(metric, by, s, in,
                               b.repeat_predictions.size() >= 2
                                   ? b.repeat_predictions
                                   : std::vector<std::vector<Prediction>>{b.predictions});
  if (auto* problem = std::get_if<std::string>(&base)) {
    out.base_problem = "the deployed baseline's " + metric + " cannot be computed (" + *problem +
                       "): change not checked";
    out.baseline = &in.kept.emplace_back();
  } else {
    out.baseline = &in.kept.emplace_back(std::get<JobResults>(std::move(base)));
  }
  return out;
}

GateInput input_of(const ComputedInput& in, const Judged& j) {
  return GateInput{.gate = in.input.gate,
                   .rubric = in.input.rubric,
                   .candidate = *j.candidate,
                   .baseline = j.baseline,
                   .tiers = in.input.tiers};
}

// The baseline's problem replaces the generic "did not report" of a skipped change.
void explain_baseline(const Judged& j, std::size_t first, std::vector<CheckResult>& out) {
  if (j.base_problem.empty()) return;
  for (std::size_t i = first; i < out.size(); ++i)
    if (out[i].status == CheckStatus::skipped &&
        out[i].reason.find("baseline") != std::string::npos)
      out[i].reason = j.base_problem;
}

std::vector<const Metric*> slice_entries_of(const JobResults& r, const std::string& metric,
                                            const std::string& by) {
  std::vector<const Metric*> out;
  for (const Metric& m : r.metrics)
    if (m.name == metric && m.slice_key == by) out.push_back(&m);
  return out;
}

int repeat_count(const ComputedInput& in) {
  return static_cast<int>(in.input.candidate.repeat_predictions.size());
}

}  // namespace

void check_metric_computed_repeats(const MetricCheck& c, ComputedInput& in,
                                   std::vector<CheckResult>& out, std::vector<IntervalJob>& jobs) {
  MetricCheck rc = c;
  rc.stats = resolved_statistics(c.stats, in);
  const Judged j = judged_results(c.name, "", rc.stats, in);
  const std::size_t first = out.size();
  if (!j.problem.empty()) {
    MetricIndex none;
    check_metric(rc, none, nullptr, out);  // "not reported", with every threshold named
    out[first].reason = j.problem;
    return;
  }
  MetricIndex cand, base;
  for (const Metric& m : j.candidate->metrics) cand[m.name] = &m;
  if (j.baseline)
    for (const Metric& m : j.baseline->metrics) base[m.name] = &m;
  check_metric(rc, cand, j.baseline ? &base : nullptr, out);
  if (out.size() == first + 1 && out[first].status == CheckStatus::missing)
    out[first].reason = "not defined on the examples with a truth of any repeat";
  explain_baseline(j, first, out);
  check_metric_repeats(rc, input_of(in, j), first, out, jobs);
}

namespace {

// A slice or fairness check's groups, the candidate's and the baseline's, once both are computed;
// nullopt after the missing result that replaces them was added to `out`.
struct Groups {
  const JobResults* results = nullptr;  // the candidate's, merged over its repeats
  std::vector<const Metric*> candidate, baseline;
};

template <class GroupCheck>
std::optional<Groups> computed_groups(const GroupCheck& rc, CheckKind kind,
                                      const std::string& threshold, ComputedInput& in,
                                      std::vector<CheckResult>& out) {
  const Judged j = judged_results(rc.metric, rc.by, rc.stats, in);
  std::string problem = j.problem;
  Groups g{.results = j.candidate};
  if (problem.empty()) {
    g.candidate = slice_entries_of(*j.candidate, rc.metric, rc.by);
    if (g.candidate.empty())
      problem = rc.metric + " is not defined for any group of " + rc.by + " in any repeat";
  }
  if (!problem.empty()) {
    out.push_back(missing_result(kind, rc.metric + "[" + rc.by + "]", threshold, problem,
                                 rc.optional, rc.line));
    return std::nullopt;
  }
  if (j.baseline) g.baseline = slice_entries_of(*j.baseline, rc.metric, rc.by);
  return g;
}

}  // namespace

void check_slice_computed_repeats(const SliceCheck& c, ComputedInput& in,
                                  std::vector<CheckResult>& out, std::vector<IntervalJob>& jobs) {
  SliceCheck rc = c;
  rc.stats = resolved_statistics(c.stats, in);
  const auto g = computed_groups(rc, CheckKind::slice, slice_threshold_text(c), in, out);
  if (!g) return;
  const std::size_t first = out.size();
  check_slice_entries(rc, g->candidate, g->baseline, out);
  check_slice_repeats(rc, *g->results, repeat_count(in), first, out, jobs);
}

void check_fairness_computed_repeats(const FairnessCheck& c, ComputedInput& in,
                                     std::vector<CheckResult>& out,
                                     std::vector<IntervalJob>& jobs) {
  FairnessCheck rc = c;
  rc.stats = resolved_statistics(c.stats, in);
  const auto g = computed_groups(rc, CheckKind::fairness, disparity_text(c), in, out);
  if (!g) return;
  const std::size_t first = out.size();
  check_fairness_groups(rc, g->candidate, g->baseline, out);
  check_fairness_repeats(rc, *g->results, repeat_count(in), first, out, jobs);
}

}  // namespace mlgate::core::gate_detail
