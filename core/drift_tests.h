// Drift tests between a reference and a current data set (docs/monitoring.md), defined as
// Evidently's stattests define them (the statistic, the binning, the epsilon for empty bins and
// whether the threshold is met with < or <=), on SciPy 1.10's functions: ks_2samp, chisquare,
// wasserstein_distance, spatial.distance.jensenshannon. Pure and deterministic.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/drift_test_names.h"
#include "core/feature_profile.h"

namespace mlgate::core {

using CategoryCounts = std::map<std::string, std::uint64_t>;

struct TestStatistic {
  double statistic = 0.0;
  double p_value = 1.0;
};

// scipy.stats.ks_2samp(a, b) (two-sided, method 'auto'): D = sup |F_a - F_b|, and its p-value by
// the exact distribution when max(n_a, n_b) <= 10,000 (Hodges 1958 and Viehmann 2021's
// recursion, as SciPy), else by the limiting Kolmogorov distribution of sqrt(n_a n_b /
// (n_a + n_b)) D (where SciPy uses kstwo). Requires both non-empty (else std::invalid_argument).
TestStatistic ks_two_sample(std::span<const double> a, std::span<const double> b);

// Evidently's chisquare stattest: over the union of categories, f_exp = reference count * n_cur /
// n_ref, f_obs = current count; scipy.stats.chisquare(f_obs, f_exp) (Pearson 1900): the
// statistic and its chi-square p-value with k - 1 degrees of freedom. A category absent from the
// reference gives an infinite statistic and p = 0; fewer than 2 categories give p = 1.
TestStatistic chi_square_test(const CategoryCounts& reference, const CategoryCounts& current);

// Evidently's z stattest: the categories sorted, the first one coded 0 and the others 1, the
// two-proportion z statistic (p_ref - p_cur) / sqrt(P (1 - P) (1/n_ref + 1/n_cur)) and its
// two-sided p-value 2 (1 - Phi(|z|)); 1 when both sides hold the same single category.
TestStatistic two_proportion_z_test(const CategoryCounts& reference, const CategoryCounts& current);

// scipy.stats.wasserstein_distance(a, b): the integral of |F_a - F_b| (Kantorovich 1939,
// Vaserstein 1969). Requires both non-empty.
double wasserstein_distance(std::span<const double> a, std::span<const double> b);

// Evidently's get_binned_data: shares per bin of both sides. Numeric with more than 20 distinct
// reference values: numpy.histogram_bin_edges of both together, "sturges"; else one bin per value
// of either side. With fill_zeroes (PSI), an empty bin gets the side's smallest share / 10^6 when
// that share is <= 0.0001, else 0.0001.
struct BinnedShares {
  std::vector<double> reference;
  std::vector<double> current;
};
BinnedShares bin_numeric(std::span<const double> reference, std::span<const double> current,
                         bool fill_zeroes);
BinnedShares bin_categories(const CategoryCounts& reference, const CategoryCounts& current,
                            bool fill_zeroes);

// scipy.spatial.distance.jensenshannon(p, q) with the natural logarithm (Lin 1991): both
// normalised to sum 1, sqrt((KL(p || m) + KL(q || m)) / 2), m = (p + q) / 2.
double jensen_shannon_distance(std::span<const double> p, std::span<const double> q);

// The population stability index (Siddiqi 2006, as Evidently): sum (r - c) ln(r / c) over the
// zero-filled shares.
double population_stability_index(std::span<const double> reference,
                                  std::span<const double> current);

// One test between two profiles of a feature. The numeric tests read the samples (every value
// while count <= kProfileSampleSize, else a uniform sample of them); the categorical ones the
// counts (a numeric feature's as category_counts). score is what the threshold is compared with:
// the p-value (drift when p <= threshold for ks, < for chi2 and z) or the distance (drift when
// >= threshold).
struct DriftResult {
  DriftTest test = DriftTest::ks;
  double statistic = 0.0;  // D, chi-square, z, or the distance
  std::optional<double> p_value;
  double score = 0.0;
  double threshold = 0.0;
  bool drifted = false;
  std::uint64_t reference_n = 0;  // values the test used
  std::uint64_t current_n = 0;
};

// Evidently's choice (its _get_default_stattest), with n_values the distinct values of both sides
// and n_ref the reference's values (count): n_ref <= 1000: numeric with n_values > 5 -> ks; else
// chi2 when n_values > 2, z otherwise. n_ref > 1000: numeric with n_values > 5 -> wasserstein;
// else jensenshannon. A feature numeric on one side and categorical on the other is categorical.
DriftTest default_drift_test(const FeatureProfile& reference, const FeatureProfile& current);

// Runs `test` (threshold: its default when not given). Either side without values: std::nullopt.
// The numeric tests (ks, wasserstein) on a categorical feature: std::nullopt.
std::optional<DriftResult> run_drift_test(DriftTest test, const FeatureProfile& reference,
                                          const FeatureProfile& current,
                                          std::optional<double> threshold = std::nullopt);

}  // namespace mlgate::core
