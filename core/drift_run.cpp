// The choice of drift test and its run between two profiles of a feature (core/drift_tests.h).
#include <algorithm>
#include <cmath>
#include <set>

#include "core/drift_tests.h"

namespace mlgate::core {
namespace {

bool is_categorical(const FeatureProfile& reference, const FeatureProfile& current) {
  return reference.kind == FeatureKind::categorical || current.kind == FeatureKind::categorical;
}

// The values a categorical test counts: a categorical feature's counts, a numeric one's sample by
// its numbers' text (the sample only: the values it did not keep are not one category).
CategoryCounts test_counts(const FeatureProfile& f) {
  if (f.kind == FeatureKind::categorical) return f.counts;
  CategoryCounts out;
  for (const double x : f.sample) ++out[profile_number_text(x)];
  return out;
}

std::uint64_t total(const CategoryCounts& counts) {
  std::uint64_t n = 0;
  for (const auto& [name, c] : counts) n += c;
  return n;
}

std::size_t distinct_values(const FeatureProfile& reference, const FeatureProfile& current) {
  if (is_categorical(reference, current)) {
    std::set<std::string> names;
    for (const auto& [name, n] : test_counts(reference)) names.insert(name);
    for (const auto& [name, n] : test_counts(current)) names.insert(name);
    return names.size();
  }
  std::set<double> values(reference.sample.begin(), reference.sample.end());
  values.insert(current.sample.begin(), current.sample.end());
  return values.size();
}

// numpy.std of the reference (population): two passes over the sample when it holds every value,
// else from the sums.
double reference_sd(const FeatureProfile& f) {
  if (f.sample.size() != f.count) return std::sqrt(f.variance());
  double mean = 0.0;
  for (const double x : f.sample) mean += x;
  mean /= static_cast<double>(f.sample.size());
  double ss = 0.0;
  for (const double x : f.sample) ss += (x - mean) * (x - mean);
  return std::sqrt(ss / static_cast<double>(f.sample.size()));
}

DriftResult counted_test(DriftTest test, const FeatureProfile& reference,
                         const FeatureProfile& current) {
  const CategoryCounts r = test_counts(reference), c = test_counts(current);
  const TestStatistic t =
      test == DriftTest::chi2 ? chi_square_test(r, c) : two_proportion_z_test(r, c);
  DriftResult out;
  out.statistic = t.statistic;
  out.p_value = t.p_value;
  out.reference_n = total(r);
  out.current_n = total(c);
  return out;
}

DriftResult distance_test(DriftTest test, const FeatureProfile& reference,
                          const FeatureProfile& current) {
  const bool fill = test == DriftTest::psi;
  const BinnedShares shares =
      is_categorical(reference, current)
          ? bin_categories(test_counts(reference), test_counts(current), fill)
          : bin_numeric(reference.sample, current.sample, fill);
  DriftResult out;
  out.statistic = test == DriftTest::psi
                      ? population_stability_index(shares.reference, shares.current)
                      : jensen_shannon_distance(shares.reference, shares.current);
  const bool counted = is_categorical(reference, current);
  out.reference_n = counted ? total(test_counts(reference)) : reference.sample.size();
  out.current_n = counted ? total(test_counts(current)) : current.sample.size();
  return out;
}

std::optional<DriftResult> numeric_test(DriftTest test, const FeatureProfile& reference,
                                        const FeatureProfile& current) {
  if (is_categorical(reference, current)) return std::nullopt;
  DriftResult out;
  if (test == DriftTest::ks) {
    const TestStatistic t = ks_two_sample(reference.sample, current.sample);
    out.statistic = t.statistic;
    out.p_value = t.p_value;
  } else {
    out.statistic = wasserstein_distance(reference.sample, current.sample) /
                    std::max(reference_sd(reference), 0.001);
  }
  out.reference_n = reference.sample.size();
  out.current_n = current.sample.size();
  return out;
}

}  // namespace

DriftTest default_drift_test(const FeatureProfile& reference, const FeatureProfile& current) {
  const std::size_t n_values = distinct_values(reference, current);
  const bool numeric = !is_categorical(reference, current);
  if (reference.count <= 1000) {
    if (numeric && n_values > 5) return DriftTest::ks;
    return n_values > 2 ? DriftTest::chi2 : DriftTest::z;
  }
  return numeric && n_values > 5 ? DriftTest::wasserstein : DriftTest::jensenshannon;
}

std::optional<DriftResult> run_drift_test(DriftTest test, const FeatureProfile& reference,
                                          const FeatureProfile& current,
                                          std::optional<double> threshold) {
  if (reference.count == 0 || current.count == 0) return std::nullopt;
  std::optional<DriftResult> out;
  if (test == DriftTest::ks || test == DriftTest::wasserstein) {
    out = numeric_test(test, reference, current);
  } else if (test == DriftTest::chi2 || test == DriftTest::z) {
    out = counted_test(test, reference, current);
  } else {
    out = distance_test(test, reference, current);
  }
  if (!out) return std::nullopt;
  out->test = test;
  out->threshold = threshold.value_or(default_drift_threshold(test));
  out->score = out->p_value.value_or(out->statistic);
  if (test == DriftTest::ks) {
    out->drifted = out->score <= out->threshold;
  } else if (gives_p_value(test)) {
    out->drifted = out->score < out->threshold;
  } else {
    out->drifted = out->score >= out->threshold;
  }
  return out;
}

}  // namespace mlgate::core
