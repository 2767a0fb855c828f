// The drift tests' statistics and distances (core/drift_tests.h); the KS test is in
// core/ks_test.cpp, the choice of test and its run on profiles in core/drift_run.cpp.
#include "core/drift_tests.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "core/stats.h"

namespace mlgate::core {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

std::uint64_t total(const CategoryCounts& counts) {
  std::uint64_t n = 0;
  for (const auto& [name, c] : counts) n += c;
  return n;
}

// Every category of either side, with its count on each (0 where it is absent).
std::map<std::string, std::pair<double, double>> union_counts(const CategoryCounts& reference,
                                                              const CategoryCounts& current) {
  std::map<std::string, std::pair<double, double>> out;
  for (const auto& [name, n] : reference) out[name].first = static_cast<double>(n);
  for (const auto& [name, n] : current) out[name].second = static_cast<double>(n);
  return out;
}

// Evidently's feel_zeroes: empty bins get the side's smallest share / 10^6 when that share is
// <= 0.0001, else 0.0001.
void fill_zero_shares(std::vector<double>& shares) {
  double smallest = kInf;
  for (const double s : shares) {
    if (s != 0.0) smallest = std::min(smallest, s);
  }
  if (smallest == kInf) return;
  const double fill = smallest <= 0.0001 ? smallest / 1e6 : 0.0001;
  for (double& s : shares) {
    if (s == 0.0) s = fill;
  }
}

// numpy.histogram_bin_edges(values, "sturges") (numpy 1.24): linspace(min, max, bins + 1),
// bins = ceil((max - min) / ((max - min) / (log2(n) + 1))), a constant widened by 0.5 each way.
std::vector<double> sturges_edges(std::span<const double> values) {
  const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
  double first = *lo, last = *hi;
  const double width = (*hi - *lo) / (std::log2(static_cast<double>(values.size())) + 1.0);
  if (first == last) {
    first -= 0.5;
    last += 0.5;
  }
  const std::size_t bins =
      width != 0.0 ? static_cast<std::size_t>(std::ceil((last - first) / width)) : 1;
  std::vector<double> edges(bins + 1);
  const double step = (last - first) / static_cast<double>(bins);
  for (std::size_t i = 0; i < bins; ++i) edges[i] = static_cast<double>(i) * step + first;
  edges[bins] = last;
  return edges;
}

// numpy.histogram(values, edges) / n: [e_k, e_k+1) and the last bin closed.
std::vector<double> histogram_shares(std::span<const double> values,
                                     const std::vector<double>& edges) {
  std::vector<double> counts(edges.size() - 1, 0.0);
  for (const double x : values) {
    if (x < edges.front() || x > edges.back()) continue;
    auto it = std::upper_bound(edges.begin(), edges.end(), x);
    std::size_t bin = static_cast<std::size_t>(it - edges.begin()) - 1;
    if (bin == counts.size()) --bin;  // x equal to the last edge
    counts[bin] += 1.0;
  }
  for (double& c : counts) c /= static_cast<double>(values.size());
  return counts;
}

// x ln(x / y) with SciPy's rel_entr conventions.
double rel_entr(double x, double y) {
  if (x > 0.0 && y > 0.0) return x * std::log(x / y);
  if (x == 0.0 && y >= 0.0) return 0.0;
  return kInf;
}

}  // namespace

std::string to_string(DriftTest t) {
  switch (t) {
    case DriftTest::ks:
      return "ks";
    case DriftTest::chi2:
      return "chi2";
    case DriftTest::z:
      return "z";
    case DriftTest::wasserstein:
      return "wasserstein";
    case DriftTest::jensenshannon:
      return "jensenshannon";
    case DriftTest::psi:
      return "psi";
  }
  return "ks";
}

std::optional<DriftTest> drift_test_from_string(std::string_view s) {
  for (const DriftTest t : {DriftTest::ks, DriftTest::chi2, DriftTest::z, DriftTest::wasserstein,
                            DriftTest::jensenshannon, DriftTest::psi}) {
    if (s == to_string(t)) return t;
  }
  if (s == "chisquare") return DriftTest::chi2;
  return std::nullopt;
}

bool gives_p_value(DriftTest t) {
  return t == DriftTest::ks || t == DriftTest::chi2 || t == DriftTest::z;
}

double default_drift_threshold(DriftTest t) {
  return gives_p_value(t) ? 0.05 : 0.1;
}

TestStatistic chi_square_test(const CategoryCounts& reference, const CategoryCounts& current) {
  const auto cells = union_counts(reference, current);
  const double n_ref = static_cast<double>(total(reference));
  const double k_norm = static_cast<double>(total(current)) / n_ref;
  if (cells.size() < 2) return {0.0, 1.0};
  double statistic = 0.0;
  for (const auto& [name, c] : cells) {
    const double expected = c.first * k_norm;
    const double diff = c.second - expected;
    statistic += expected == 0.0 ? kInf : diff * diff / expected;
  }
  return {statistic, chi_square_sf(statistic, static_cast<double>(cells.size() - 1))};
}

TestStatistic two_proportion_z_test(const CategoryCounts& reference,
                                    const CategoryCounts& current) {
  const auto cells = union_counts(reference, current);
  if (cells.size() == 1) return {0.0, 1.0};
  if (cells.empty()) throw std::invalid_argument("two_proportion_z_test: no values");
  // The first category (sorted) is 0, every other 1: the shares of "1" on each side.
  const double n1 = static_cast<double>(total(reference));
  const double n2 = static_cast<double>(total(current));
  const double p1 = (n1 - cells.begin()->second.first) / n1;
  const double p2 = (n2 - cells.begin()->second.second) / n2;
  const double pooled = (p1 * n1 + p2 * n2) / (n1 + n2);
  const double z = (p1 - p2) / std::sqrt(pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2));
  return {z, 2.0 * (1.0 - normal_cdf(std::fabs(z)))};
}

double wasserstein_distance(std::span<const double> a, std::span<const double> b) {
  if (a.empty() || b.empty()) throw std::invalid_argument("wasserstein_distance: an empty sample");
  std::vector<double> x(a.begin(), a.end()), y(b.begin(), b.end()), all;
  std::sort(x.begin(), x.end());
  std::sort(y.begin(), y.end());
  std::merge(x.begin(), x.end(), y.begin(), y.end(), std::back_inserter(all));
  const auto n1 = static_cast<double>(x.size()), n2 = static_cast<double>(y.size());
  double sum = 0.0;
  std::size_t i = 0, j = 0;
  for (std::size_t k = 0; k + 1 < all.size(); ++k) {
    while (i < x.size() && x[i] <= all[k]) ++i;
    while (j < y.size() && y[j] <= all[k]) ++j;
    sum += std::fabs(static_cast<double>(i) / n1 - static_cast<double>(j) / n2) *
           (all[k + 1] - all[k]);
  }
  return sum;
}

BinnedShares bin_numeric(std::span<const double> reference, std::span<const double> current,
                         bool fill_zeroes) {
  std::vector<double> distinct(reference.begin(), reference.end());
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  BinnedShares out;
  if (distinct.size() > 20) {
    std::vector<double> both(reference.begin(), reference.end());
    both.insert(both.end(), current.begin(), current.end());
    const std::vector<double> edges = sturges_edges(both);
    out = {histogram_shares(reference, edges), histogram_shares(current, edges)};
  } else {
    CategoryCounts r, c;
    for (const double x : reference) ++r[profile_number_text(x)];
    for (const double x : current) ++c[profile_number_text(x)];
    return bin_categories(r, c, fill_zeroes);
  }
  if (fill_zeroes) {
    fill_zero_shares(out.reference);
    fill_zero_shares(out.current);
  }
  return out;
}

BinnedShares bin_categories(const CategoryCounts& reference, const CategoryCounts& current,
                            bool fill_zeroes) {
  const double n_ref = static_cast<double>(total(reference));
  const double n_cur = static_cast<double>(total(current));
  BinnedShares out;
  for (const auto& [name, c] : union_counts(reference, current)) {
    out.reference.push_back(c.first / n_ref);
    out.current.push_back(c.second / n_cur);
  }
  if (fill_zeroes) {
    fill_zero_shares(out.reference);
    fill_zero_shares(out.current);
  }
  return out;
}

double jensen_shannon_distance(std::span<const double> p, std::span<const double> q) {
  double sum_p = 0.0, sum_q = 0.0;
  for (const double x : p) sum_p += x;
  for (const double x : q) sum_q += x;
  double left = 0.0, right = 0.0;
  for (std::size_t i = 0; i < p.size() && i < q.size(); ++i) {
    const double pi = p[i] / sum_p, qi = q[i] / sum_q;
    const double m = (pi + qi) / 2.0;
    left += rel_entr(pi, m);
    right += rel_entr(qi, m);
  }
  return std::sqrt((left + right) / 2.0);
}

double population_stability_index(std::span<const double> reference,
                                  std::span<const double> current) {
  double psi = 0.0;
  for (std::size_t i = 0; i < reference.size() && i < current.size(); ++i) {
    psi += (reference[i] - current[i]) * std::log(reference[i] / current[i]);
  }
  return psi;
}

}  // namespace mlgate::core
