// Internal to the gate engine (core/gate.cpp, core/gate_computed.cpp): the point checks of each
// kind over values already looked up, which checks computed from predictions reuse with the values
// they computed, and the deferred work of interval checks. Not an API: core/gate.h is.
#pragma once

#include <cstddef>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "core/config.h"
#include "core/example_metrics.h"
#include "core/example_rows.h"
#include "core/gate.h"
#include "core/gate_evidence.h"

namespace mlgate::core::gate_detail {

using MetricIndex = std::unordered_map<std::string_view, const Metric*>;

double tol(double a, double b);
std::string join(const std::vector<std::string>& parts, std::string_view sep);
std::string bounds_text(const std::optional<double>& min, const std::optional<double>& max);
std::string change_threshold_text(const MetricCheck& c);
std::string slice_threshold_text(const SliceCheck& c);
std::string disparity_text(const FairnessCheck& c);
CheckResult missing_result(CheckKind kind, std::string name, std::string threshold,
                           std::string reason, bool optional, int line);

// A metric check on the candidate's global metrics (`cand`) and the baseline's (nullptr: nothing
// deployed).
void check_metric(const MetricCheck& c, const MetricIndex& cand, const MetricIndex* base,
                  std::vector<CheckResult>& out);
// A slice check on the slice entries of its metric and key (non-empty), the baseline's alike.
void check_slice_entries(const SliceCheck& c, const std::vector<const Metric*>& entries,
                         const std::vector<const Metric*>& base_entries,
                         std::vector<CheckResult>& out);
// A fairness check on the groups of its metric and key (non-empty), the baseline's alike.
void check_fairness_groups(const FairnessCheck& c, const std::vector<const Metric*>& groups,
                           const std::vector<const Metric*>& base_groups,
                           std::vector<CheckResult>& out);

// Texts of interval verdicts: a bound with 4 significant digits (more when it would print like
// `than`), the same with its sign, "[lower, upper]", and what an interval rests on ("95% Wilson,
// n=85 positives", "99% (95% with Bonferroni) Student t, n=3 repeats").
std::string bound_text(double v, std::optional<double> than = std::nullopt);
std::string signed_text(double v, std::optional<double> than = std::nullopt);
std::string interval_text(const Interval& i, std::optional<double> than = std::nullopt,
                          bool sign = false);
std::string method_text(const Evidence& e, double level, double confidence);
// What an interval against bounds says: "0.894 in [0.81, 0.945] straddles min 0.85".
std::string bounds_verdict_text(double value, const Evidence& e, Verdict v,
                                std::optional<double> min, std::optional<double> max);

// An interval check's verdict, computed once every check of the gate is known (a Bonferroni
// correction depends on how many there are): run(level, result) sets the result's status, reason
// and evidence at that level.
struct IntervalJob {
  std::size_t index = 0;    // of the result in the evaluation's checks
  double confidence = 0.0;  // the check's own level
  std::function<void(double level, CheckResult& result)> run;
};

// What checks computed from predictions share in one evaluation.
struct ComputedInput {
  const GateInput& input;
  ExampleRows candidate_rows;       // with a truth
  ExampleRows baseline_rows;        // with a truth; empty without a baseline
  std::optional<MetricTask> task;   // inferred from the candidate's rows; nullopt without rows
  std::optional<PairedRows> pairs;  // the ids both have, made when first needed
  // The values computed per repeat (core/gate_computed_repeats.cpp), kept until the interval
  // jobs that read them have run.
  std::deque<JobResults> kept;

  explicit ComputedInput(const GateInput& in);
  const PairedRows& paired();
};

// The checks `from: predictions`: the point results the metrics.json checks give for the values
// computed here, each with evidence; for an interval check, a job per judged result.
void check_metric_computed(const MetricCheck& c, ComputedInput& in, std::vector<CheckResult>& out,
                           std::vector<IntervalJob>& jobs);
void check_slice_computed(const SliceCheck& c, ComputedInput& in, std::vector<CheckResult>& out,
                          std::vector<IntervalJob>& jobs);
void check_fairness_computed(const FairnessCheck& c, ComputedInput& in,
                             std::vector<CheckResult>& out, std::vector<IntervalJob>& jobs);

// A check's statistics with its confidence and when_inconclusive resolved: its own, else the
// gate's `statistics:`.
CheckStatistics resolved_statistics(const CheckStatistics& s, const ComputedInput& in);
// The metric of a check `from: predictions` computed on one set of predictions (one repeat's),
// with the task and positive label of the candidate as a whole (`in`), as metrics.json would
// report it: the global metric (`by` empty), or one per group of slices.<by> (n = the group's
// examples). A value that is not defined on the rows (or the group) is left out. A problem
// ("not computed: ...") when the metric cannot be computed on them at all.
std::variant<std::vector<Metric>, std::string> metrics_from_predictions(
    const std::string& metric, const std::string& by, const CheckStatistics& s,
    const ComputedInput& in, const std::vector<Prediction>& predictions);
// The checks `from: predictions` when the candidate's predictions come from a tier run with
// `repeat: N` (JobResults::repeat_predictions, docs/gate.md "Repeats"): the metric computed on
// each repeat's predictions, then judged as metrics.json repeats are (the mean; with a confidence
// the Student-t interval over the repeats, a change Welch's when the baseline has repeats too;
// max_spread), per group for slice and fairness checks.
void check_metric_computed_repeats(const MetricCheck& c, ComputedInput& in,
                                   std::vector<CheckResult>& out, std::vector<IntervalJob>& jobs);
void check_slice_computed_repeats(const SliceCheck& c, ComputedInput& in,
                                  std::vector<CheckResult>& out, std::vector<IntervalJob>& jobs);
void check_fairness_computed_repeats(const FairnessCheck& c, ComputedInput& in,
                                     std::vector<CheckResult>& out, std::vector<IntervalJob>& jobs);
// A slice check on a tier's repeats, after its point results on the means were pushed at
// out[first..]: each group's result names the repeats (slice_repeat_values of `cand`); with a
// confidence (resolved), a job judges each group's mean by its Student-t interval, and the gap by
// the interval of the per-repeat gaps when every judged group has a value in each of `repeats`
// repeats (0: not known, the gap stays a point check); `max_spread` adds a result per group.
void check_slice_repeats(const SliceCheck& c, const JobResults& cand, int repeats,
                         std::size_t first, std::vector<CheckResult>& out,
                         std::vector<IntervalJob>& jobs);
// A fairness check on a tier's repeats (its point results on the groups' means at out[first..]):
// each group's result names its ratio to the reference in each of `repeats` repeats; with a
// confidence (resolved), a job judges the mean of those ratios by its Student-t interval.
void check_fairness_repeats(const FairnessCheck& c, const JobResults& cand, int repeats,
                            std::size_t first, std::vector<CheckResult>& out,
                            std::vector<IntervalJob>& jobs);

// A metric check from metrics.json whose tier ran with repeats (docs/gate.md "Repeats"), after
// check_metric pushed its point results at out[first..] for the repeats' mean: each names the
// repeats and their spread; with a confidence, a job judges it by the Student-t interval of the
// mean (a change: Welch's interval against the baseline's repeats, else the mean's interval minus
// the baseline); `max_spread` adds its own result.
void check_metric_repeats(const MetricCheck& c, const GateInput& in, std::size_t first,
                          std::vector<CheckResult>& out, std::vector<IntervalJob>& jobs);
// The rubric's infra-1 ("Training is reproducible") earns its point from a passing max_spread
// check among `checks` (a metric's spread over a tier's repeats), when its tests and evidence file
// did not give it; the sections, score and band follow.
void credit_reproducibility(RubricScore& score, const std::vector<CheckResult>& checks);
// "3 repeats: 0.91, 0.93, 0.92; spread 0.02".
std::string repeats_text(const std::vector<double>& values);

}  // namespace mlgate::core::gate_detail
