// The online judge's statistics (core/online_judge.h): the Mann–Whitney U test, the
// Hodges–Lehmann shift and its interval, and the cleaning of observations. Searches over doubles
// bisect their ordered bit patterns, so each ends on an exact double in at most 64 steps.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include "core/online_judge.h"
#include "core/stats.h"

namespace mlgate::core {
namespace {

constexpr std::int64_t kMinKey = std::numeric_limits<std::int64_t>::min();

// A key that orders doubles as their values (-0.0 and 0.0 share 0).
std::int64_t key_of(double d) {
  const auto i = std::bit_cast<std::int64_t>(d);
  return i < 0 ? kMinKey - i : i;
}

double from_key(std::int64_t k) {
  return std::bit_cast<double>(k < 0 ? kMinKey - k : k);
}

// The smallest double in [lo, hi] for which `holds` is true, `holds` being false then true along
// the doubles; hi when it holds nowhere below.
template <typename Pred>
double first_double(double lo, double hi, Pred holds) {
  std::int64_t a = key_of(lo);
  std::int64_t b = key_of(hi);
  while (a < b) {
    const auto span = static_cast<std::uint64_t>(b) - static_cast<std::uint64_t>(a);
    const std::int64_t mid = a + static_cast<std::int64_t>(span / 2);
    if (holds(from_key(mid))) {
      b = mid;
    } else {
      a = mid + 1;
    }
  }
  return from_key(a);
}

struct Ranks {
  double x_rank_sum = 0;
  double tie_term = 0;  // sum over groups of equal values of t^3 - t
};

// Average ranks of x - shift and y together.
Ranks rank(std::span<const double> x, std::span<const double> y, double shift) {
  std::vector<std::pair<double, bool>> all;
  all.reserve(x.size() + y.size());
  for (double v : x) all.emplace_back(v - shift, true);
  for (double v : y) all.emplace_back(v, false);
  std::sort(all.begin(), all.end());
  Ranks r;
  for (std::size_t i = 0; i < all.size();) {
    std::size_t j = i;
    std::size_t from_x = 0;
    while (j < all.size() && all[j].first == all[i].first) from_x += all[j++].second ? 1 : 0;
    const double t = static_cast<double>(j - i);
    const double average = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2;
    r.x_rank_sum += average * static_cast<double>(from_x);
    r.tie_term += t * t * t - t;
    i = j;
  }
  return r;
}

double u_sigma(double n1, double n2, double tie_term) {
  const double n = n1 + n2;
  return std::sqrt(n1 * n2 / 12 * ((n + 1) - tie_term / (n * (n - 1))));
}

// Kayenta's wilcoxonDiff: the continuity-corrected statistic of x - mu against y, minus `quantile`.
double shifted_statistic(std::span<const double> x, std::span<const double> y, double mu,
                         double quantile) {
  const auto n1 = static_cast<double>(x.size());
  const auto n2 = static_cast<double>(y.size());
  const Ranks r = rank(x, y, mu);
  const double dz = r.x_rank_sum - n1 * (n1 + 1) / 2 - n1 * n2 / 2;
  const double sigma = u_sigma(n1, n2, r.tie_term);
  const double sign = dz > 0 ? 1.0 : (dz < 0 ? -1.0 : 0.0);
  const double statistic = sigma > 0 ? (dz - 0.5 * sign) / sigma : 0.0;
  return statistic - quantile;
}

// How many x_i - y_j are <= t (x and y sorted ascending).
std::uint64_t pairs_at_most(const std::vector<double>& x, const std::vector<double>& y, double t) {
  std::uint64_t count = 0;
  std::size_t first = 0;  // the first j with x_i - y_j <= t; it only moves right as x_i grows
  for (double xi : x) {
    while (first < y.size() && !(xi - y[first] <= t)) ++first;
    count += y.size() - first;
  }
  return count;
}

// R-7 (linear between order statistics) percentile p in [0, 100] of sorted values.
double percentile(const std::vector<double>& sorted, double p) {
  const double h = static_cast<double>(sorted.size() - 1) * p / 100;
  const auto lo = static_cast<std::size_t>(std::floor(h));
  if (lo + 1 >= sorted.size()) return sorted.back();
  return sorted[lo] + (h - static_cast<double>(lo)) * (sorted[lo + 1] - sorted[lo]);
}

}  // namespace

MannWhitneyTest mann_whitney_u(std::span<const double> x, std::span<const double> y) {
  const auto n1 = static_cast<double>(x.size());
  const auto n2 = static_cast<double>(y.size());
  const Ranks r = rank(x, y, 0.0);
  MannWhitneyTest t;
  t.u = r.x_rank_sum - n1 * (n1 + 1) / 2;
  const double sigma = u_sigma(n1, n2, r.tie_term);
  if (!(sigma > 0)) return t;
  t.z = (std::max(t.u, n1 * n2 - t.u) - n1 * n2 / 2 - 0.5) / sigma;
  t.p_value = std::clamp(2 * normal_cdf(-t.z), 0.0, 1.0);
  return t;
}

double hodges_lehmann_shift(std::span<const double> x_in, std::span<const double> y_in) {
  std::vector<double> x(x_in.begin(), x_in.end());
  std::vector<double> y(y_in.begin(), y_in.end());
  std::sort(x.begin(), x.end());
  std::sort(y.begin(), y.end());
  const std::uint64_t n = static_cast<std::uint64_t>(x.size()) * y.size();
  const auto kth = [&](std::uint64_t k) {  // 1-based
    return first_double(x.front() - y.back(), x.back() - y.front(),
                        [&](double t) { return pairs_at_most(x, y, t) >= k; });
  };
  if (n % 2 == 1) return kth(n / 2 + 1);
  return (kth(n / 2) + kth(n / 2 + 1)) / 2;
}

ShiftInterval shift_confidence_interval(std::span<const double> x, std::span<const double> y,
                                        double confidence) {
  const double mu_min =
      *std::min_element(x.begin(), x.end()) - *std::max_element(y.begin(), y.end());
  const double mu_max =
      *std::max_element(x.begin(), x.end()) - *std::min_element(y.begin(), y.end());
  const double z = normal_quantile(1 - (1 - confidence) / 2);
  const auto root = [&](double quantile) {
    if (shifted_statistic(x, y, mu_min, quantile) <= 0) return mu_min;
    if (shifted_statistic(x, y, mu_max, quantile) >= 0) return mu_max;
    return first_double(mu_min, mu_max,
                        [&](double mu) { return shifted_statistic(x, y, mu, quantile) <= 0; });
  };
  return ShiftInterval{root(z), root(-z)};
}

std::vector<double> clean_observations(std::span<const double> values, double factor) {
  std::vector<double> finite;
  for (double v : values)
    if (std::isfinite(v)) finite.push_back(v);
  if (finite.empty()) return finite;
  std::vector<double> sorted = finite;
  std::sort(sorted.begin(), sorted.end());
  const double q1 = percentile(sorted, 25);
  const double q3 = percentile(sorted, 75);
  const double lower = std::min(percentile(sorted, 1), q1 - factor * (q3 - q1));
  const double upper = std::max(percentile(sorted, 99), q3 + factor * (q3 - q1));
  std::erase_if(finite, [&](double v) { return v < lower || v > upper; });
  return finite;
}

}  // namespace mlgate::core
