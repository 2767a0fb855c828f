// The two-sample Kolmogorov-Smirnov test of core/drift_tests.h, as scipy.stats.ks_2samp (SciPy
// 1.10, two-sided, method 'auto').
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <numeric>
#include <stdexcept>
#include <vector>

#include "core/drift_tests.h"

namespace mlgate::core {
namespace {

// Pr(D_{n,n} >= h / n): SciPy's _compute_prob_outside_square (a Horner-like alternating sum).
double prob_outside_square(std::int64_t n, std::int64_t h) {
  double p = 0.0;
  for (std::int64_t k = n / h; k >= 0; --k) {
    double p1 = 1.0;
    for (std::int64_t j = 0; j < h; ++j) {
      p1 = static_cast<double>(n - k * h - j) * p1 / static_cast<double>(n + k * h + j + 1);
    }
    p = p1 * (1.0 - p);
  }
  return 2.0 * p;
}

// The share of lattice paths from (0, 0) to (m, n) that leave |x/m - y/n| < h / lcm(m, n):
// SciPy's _compute_outer_prob_inside_method (Hodges 1958; Viehmann 2021's recursion for 1 - p).
double outer_prob_inside(std::int64_t m, std::int64_t n, std::int64_t g, std::int64_t h) {
  if (m < n) std::swap(m, n);
  const std::int64_t mg = m / g, ng = n / g;
  const auto fdiv = [](double a, double b) { return a / b; };
  std::int64_t minj = 0;
  std::int64_t maxj =
      std::min(static_cast<std::int64_t>(std::ceil(fdiv(h, static_cast<double>(mg)))), n + 1);
  std::int64_t curlen = maxj - minj;
  const std::int64_t len = std::min(2 * maxj + 2, n + 1);
  std::vector<double> a(static_cast<std::size_t>(len), 1.0);
  std::fill(a.begin() + minj, a.begin() + maxj, 0.0);
  for (std::int64_t i = 1; i <= m; ++i) {
    const std::int64_t lastminj = minj, lastlen = curlen;
    minj = std::max(
        static_cast<std::int64_t>(std::floor(fdiv(static_cast<double>(ng * i - h), mg))) + 1,
        std::int64_t{0});
    minj = std::min(minj, n);
    maxj = std::min(static_cast<std::int64_t>(std::ceil(fdiv(static_cast<double>(ng * i + h), mg))),
                    n + 1);
    if (maxj <= minj) return 1.0;
    double val = minj == 0 ? 0.0 : 1.0;
    for (std::int64_t jj = 0; jj < maxj - minj; ++jj) {
      const std::int64_t j = jj + minj;
      val = (a[static_cast<std::size_t>(jj + minj - lastminj)] * static_cast<double>(i) +
             val * static_cast<double>(j)) /
            static_cast<double>(i + j);
      a[static_cast<std::size_t>(jj)] = val;
    }
    curlen = maxj - minj;
    if (lastlen > curlen) {
      std::fill(a.begin() + curlen, a.begin() + std::min(len, curlen + (lastlen - curlen)), 1.0);
    }
  }
  return a[static_cast<std::size_t>(maxj - minj - 1)];
}

// The limiting Kolmogorov distribution's survival function P(K > z) (Kolmogorov 1933).
double kolmogorov_sf(double z) {
  if (z <= 0.0) return 1.0;
  double sum = 0.0;
  if (z < 1.0) {
    // 1 - sqrt(2 pi) / z * sum exp(-(2k - 1)^2 pi^2 / (8 z^2)): fast for small z.
    for (int k = 1; k < 100; ++k) {
      const double t = (2.0 * k - 1.0) * std::numbers::pi / z;
      sum += std::exp(-t * t / 8.0);
    }
    return 1.0 - std::sqrt(2.0 * std::numbers::pi) / z * sum;
  }
  for (int k = 1; k < 100; ++k) {
    sum += (k % 2 == 1 ? 2.0 : -2.0) * std::exp(-2.0 * k * k * z * z);
  }
  return std::clamp(sum, 0.0, 1.0);
}

// sup |F_a - F_b| over the pooled values, the empirical CDFs taken at each value (inclusive).
double ks_statistic(const std::vector<double>& a, const std::vector<double>& b) {
  const auto n1 = static_cast<double>(a.size()), n2 = static_cast<double>(b.size());
  std::size_t i = 0, j = 0;
  double max_diff = 0.0, min_diff = 0.0;
  while (i < a.size() || j < b.size()) {
    const double v = j == b.size() || (i < a.size() && a[i] <= b[j]) ? a[i] : b[j];
    while (i < a.size() && a[i] <= v) ++i;
    while (j < b.size() && b[j] <= v) ++j;
    const double diff = static_cast<double>(i) / n1 - static_cast<double>(j) / n2;
    max_diff = std::max(max_diff, diff);
    min_diff = std::min(min_diff, diff);
  }
  return std::max(max_diff, -min_diff);
}

}  // namespace

TestStatistic ks_two_sample(std::span<const double> a, std::span<const double> b) {
  if (a.empty() || b.empty()) throw std::invalid_argument("ks_two_sample: an empty sample");
  std::vector<double> x(a.begin(), a.end()), y(b.begin(), b.end());
  std::sort(x.begin(), x.end());
  std::sort(y.begin(), y.end());
  const double d = ks_statistic(x, y);
  const auto n1 = static_cast<std::int64_t>(x.size()), n2 = static_cast<std::int64_t>(y.size());
  if (std::max(n1, n2) <= 10000) {
    const std::int64_t g = std::gcd(n1, n2);
    const std::int64_t lcm = (n1 / g) * n2;
    const auto h = static_cast<std::int64_t>(std::nearbyint(d * static_cast<double>(lcm)));
    const double exact_d = static_cast<double>(h) / static_cast<double>(lcm);
    if (h == 0) return {exact_d, 1.0};
    const double p = n1 == n2 ? prob_outside_square(n1, h) : outer_prob_inside(n1, n2, g, h);
    if (p >= 0.0 && p <= 1.0) return {exact_d, p};
  }
  const double m = static_cast<double>(std::max(n1, n2)), n = static_cast<double>(std::min(n1, n2));
  return {d, std::clamp(kolmogorov_sf(std::sqrt(m * n / (m + n)) * d), 0.0, 1.0)};
}

}  // namespace mlgate::core
