#include "core/gate_evidence.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/bootstrap.h"
#include "core/seeded_rng.h"

namespace mlgate::core {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double tol(double a, double b) {
  return 1e-9 * std::max(std::fabs(a), std::fabs(b));
}

void take_bootstrap(Evidence& e, const BootstrapInterval& b) {
  e.estimate = b.estimate;
  e.interval = Interval{b.lower, b.upper};
  e.resamples = b.resamples;
  e.undefined = b.undefined;
}

}  // namespace

bool Evidence::defined() const {
  return !std::isnan(interval.lower) && !std::isnan(interval.upper);
}

std::string_view proportion_unit(ExampleMetric m) {
  switch (m) {
    case ExampleMetric::accuracy:
    case ExampleMetric::error_rate:
    case ExampleMetric::positive_rate:
      return "examples";
    case ExampleMetric::precision:
      return "predicted positives";
    case ExampleMetric::recall:
    case ExampleMetric::tpr:
    case ExampleMetric::fnr:
      return "positives";
    case ExampleMetric::fpr:
    case ExampleMetric::tnr:
      return "negatives";
    default:
      return "";
  }
}

Evidence value_interval(const PreparedMetric& metric, double level, std::uint64_t seed,
                        int resamples) {
  Evidence e;
  if (auto ratio = metric.ratio()) {
    e.estimate = metric.evaluate().value;
    e.interval = wilson_interval(ratio->numerator, ratio->denominator, level);
    e.n = static_cast<std::int64_t>(ratio->denominator);
    e.n_of = std::string(proportion_unit(metric.metric()));
    e.method = "wilson";
    return e;
  }
  const BootstrapOptions options{.resamples = resamples, .confidence = level, .seed = seed};
  take_bootstrap(
      e, bootstrap_interval(
             metric.size(),
             [&](std::span<const std::uint32_t> w) { return metric.evaluate(w).statistic(); },
             options));
  e.n = static_cast<std::int64_t>(metric.size());
  e.n_of = "examples";
  e.method = "bootstrap";
  return e;
}

Evidence change_interval(const PreparedMetric& candidate, const PreparedMetric& baseline,
                         double level, std::uint64_t seed, int resamples,
                         std::optional<std::pair<std::uint64_t, std::uint64_t>> discordant) {
  Evidence e;
  const BootstrapOptions options{.resamples = resamples, .confidence = level, .seed = seed};
  take_bootstrap(
      e, paired_bootstrap_difference(
             candidate.size(),
             [&](std::span<const std::uint32_t> w) { return candidate.evaluate(w).statistic(); },
             [&](std::span<const std::uint32_t> w) { return baseline.evaluate(w).statistic(); },
             options));
  e.method = "paired bootstrap";
  if (auto ratio = candidate.ratio()) {
    e.n = static_cast<std::int64_t>(ratio->denominator);
    e.n_of = std::string(proportion_unit(candidate.metric()));
  } else {
    e.n = static_cast<std::int64_t>(candidate.size());
    e.n_of = "examples";
  }
  if (discordant) e.p_value = mcnemar_exact_p(discordant->first, discordant->second);
  return e;
}

std::pair<std::uint64_t, std::uint64_t> discordant_pairs(const PairedRows& pairs, MetricTask task,
                                                         std::string_view positive_label) {
  auto right = [&](const Prediction& p) {
    if (task == MetricTask::binary)
      return (p.label == positive_label) == (*p.truth == positive_label);
    return p.label == *p.truth;
  };
  std::uint64_t only_candidate = 0, only_baseline = 0;
  for (std::size_t i = 0; i < pairs.candidate.size(); ++i) {
    const bool c = right(*pairs.candidate[i]);
    const bool b = right(*pairs.baseline[i]);
    only_candidate += c && !b;
    only_baseline += b && !c;
  }
  return {only_candidate, only_baseline};
}

Evidence stratified_interval(const std::vector<std::size_t>& sizes,
                             const GroupsStatistic& statistic, double level, std::uint64_t seed,
                             int resamples) {
  Evidence e;
  std::size_t n = 0;
  for (std::size_t s : sizes) n += s;
  e.n = static_cast<std::int64_t>(n);
  e.n_of = "examples";
  e.method = "stratified bootstrap";
  std::vector<std::uint32_t> weights(n, 1u);
  e.estimate = statistic(weights);
  SeededRng rng(seed);
  std::vector<double> values;
  values.reserve(static_cast<std::size_t>(resamples));
  for (int b = 0; b < resamples; ++b) {
    std::size_t offset = 0;
    for (std::size_t s : sizes) {
      draw_resample(rng, std::span<std::uint32_t>(weights).subspan(offset, s));
      offset += s;
    }
    const double v = statistic(weights);
    if (std::isnan(v)) {
      ++e.undefined;
    } else {
      values.push_back(v);
    }
  }
  e.resamples = resamples;
  e.interval = Interval{kNaN, kNaN};
  if (values.empty()) return e;
  std::sort(values.begin(), values.end());
  const double alpha = 1.0 - level;
  e.interval =
      Interval{linear_quantile(values, alpha / 2.0), linear_quantile(values, 1.0 - alpha / 2.0)};
  return e;
}

Verdict bounds_verdict(const Interval& i, std::optional<double> min, std::optional<double> max) {
  if (std::isnan(i.lower) || std::isnan(i.upper)) return Verdict::inconclusive;
  if (min && i.upper < *min - tol(i.upper, *min)) return Verdict::fail;
  if (max && i.lower > *max + tol(i.lower, *max)) return Verdict::fail;
  const bool low_ok = !min || i.lower >= *min - tol(i.lower, *min);
  const bool high_ok = !max || i.upper <= *max + tol(i.upper, *max);
  return low_ok && high_ok ? Verdict::pass : Verdict::inconclusive;
}

Verdict change_verdict(const Interval& delta, bool higher_is_better, double allowed) {
  if (std::isnan(delta.lower) || std::isnan(delta.upper)) return Verdict::inconclusive;
  // A drop is a negative change of a higher-is-better metric: bounds of [-allowed, +inf).
  if (higher_is_better) return bounds_verdict(delta, -allowed, std::nullopt);
  return bounds_verdict(delta, std::nullopt, allowed);
}

double bonferroni_level(double level, std::size_t k) {
  if (k <= 1) return level;
  return 1.0 - (1.0 - level) / static_cast<double>(k);
}

}  // namespace mlgate::core
