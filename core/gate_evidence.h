// The statistics of one interval check of the gate (docs/gate.md "Evidence"): a metric computed
// from predictions with its interval (Wilson for proportions, else the percentile bootstrap), the
// paired interval of a change against the baseline (with the exact McNemar p-value for accuracy
// and error_rate), stratified intervals for gaps and ratios between slice groups, and the verdict
// of an interval against a threshold: pass, fail or inconclusive. Built on core/example_metrics.h,
// core/stats.h and core/bootstrap.h. Pure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/example_metrics.h"
#include "core/example_rows.h"
#include "core/stats.h"

namespace mlgate::core {

enum class Verdict : std::uint8_t { pass, fail, inconclusive };

// An interval with what it rests on.
struct Evidence {
  double estimate = 0.0;  // the statistic on the data as it is
  Interval interval;      // NaN bounds when no resample defined the statistic
  std::int64_t n = 0;     // the examples it rests on: a proportion's denominator, else the rows
  std::string n_of;       // what n counts: "positives", "negatives", "examples", "predicted ..."
  std::string method;     // "wilson", "bootstrap", "paired bootstrap", "stratified bootstrap"
  int resamples = 0;      // bootstrap: drawn
  int undefined = 0;      // bootstrap: of those, statistic undefined (left out)
  std::optional<double> p_value;  // the exact McNemar test of a change in accuracy or error_rate

  bool defined() const;  // both bounds are numbers
};

// What the denominator of a proportion metric counts ("positives" for recall); "" for the others.
std::string_view proportion_unit(ExampleMetric m);

// The interval of one metric on its examples at `level`: Wilson on the metric's own numerator and
// denominator for a proportion (accuracy, error_rate, precision, recall, tpr, fpr, tnr, fnr,
// positive_rate), the percentile bootstrap over the examples for the others.
Evidence value_interval(const PreparedMetric& metric, double level, std::uint64_t seed,
                        int resamples);

// Candidate minus baseline on the same examples (both prepared on core::pair_by_id's aligned
// rows), the paired percentile bootstrap. `discordant` (only the candidate right, only the
// baseline right) adds the exact McNemar p-value.
Evidence change_interval(const PreparedMetric& candidate, const PreparedMetric& baseline,
                         double level, std::uint64_t seed, int resamples,
                         std::optional<std::pair<std::uint64_t, std::uint64_t>> discordant);

// For McNemar: on the aligned pairs, how many examples only the candidate gets right and how many
// only the baseline does. Binary: right when (label = positive) equals (truth = positive);
// multiclass: label = truth.
std::pair<std::uint64_t, std::uint64_t> discordant_pairs(const PairedRows& pairs, MetricTask task,
                                                         std::string_view positive_label);

// A statistic over several groups of examples, each resampled within itself (stratified): the
// weights of group g are weights.subspan(offset of g, sizes[g]). The percentile interval of the
// statistic; n = the sum of the sizes.
using GroupsStatistic = std::function<double(std::span<const std::uint32_t> weights)>;
Evidence stratified_interval(const std::vector<std::size_t>& sizes,
                             const GroupsStatistic& statistic, double level, std::uint64_t seed,
                             int resamples);

// The verdicts (tolerance 1e-9 of the magnitudes, as the point checks):
//   bounds: pass when the interval lies within [min, max], fail when it lies wholly outside (its
//     upper bound under min, or its lower bound over max), else inconclusive;
//   a change of a higher-is-better metric (candidate - baseline) with max_drop `allowed`: pass
//     when lower >= -allowed, fail when upper < -allowed; of a lower-is-better one with
//     max_increase `allowed`: pass when upper <= allowed, fail when lower > allowed.
// An undefined interval is inconclusive.
Verdict bounds_verdict(const Interval& i, std::optional<double> min, std::optional<double> max);
Verdict change_verdict(const Interval& delta, bool higher_is_better, double allowed);

// The level after a Bonferroni correction over k interval checks: 1 - (1 - level) / k.
double bonferroni_level(double level, std::size_t k);

}  // namespace mlgate::core
