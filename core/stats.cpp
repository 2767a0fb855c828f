#include "core/stats.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <stdexcept>
#include <string>

namespace mlgate::core {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// Acklam's approximation of the normal quantile for p in (0, 0.5] (relative error 1.15e-9).
double acklam_lower(double p) {
  static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                                 -2.759285104469687e+02, 1.383577518672690e+02,
                                 -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                                 -1.556989798598866e+02, 6.680131188771972e+01,
                                 -1.328068155288572e+01};
  static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                                 -2.400758277161838e+00, -2.549732539343734e+00,
                                 4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                                 2.445134137142996e+00, 3.754408661907416e+00};
  if (p < 0.02425) {
    const double q = std::sqrt(-2.0 * std::log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
           ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
  }
  const double q = p - 0.5;
  const double r = q * q;
  return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
         (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0);
}

// Lentz's continued fraction for I_x(a, b) (Numerical Recipes' betacf), valid for
// x < (a + 1) / (a + b + 2).
double beta_fraction(double a, double b, double x) {
  constexpr double tiny = 1e-300;
  constexpr double eps = 1e-16;
  const double qab = a + b, qap = a + 1.0, qam = a - 1.0;
  double c = 1.0;
  double d = 1.0 - qab * x / qap;
  if (std::fabs(d) < tiny) d = tiny;
  d = 1.0 / d;
  double h = d;
  for (int m = 1; m <= 100000; ++m) {
    const double m2 = 2.0 * m;
    double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
    d = 1.0 + aa * d;
    d = std::fabs(d) < tiny ? tiny : d;
    c = 1.0 + aa / c;
    c = std::fabs(c) < tiny ? tiny : c;
    d = 1.0 / d;
    h *= d * c;
    aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
    d = 1.0 + aa * d;
    d = std::fabs(d) < tiny ? tiny : d;
    c = 1.0 + aa / c;
    c = std::fabs(c) < tiny ? tiny : c;
    d = 1.0 / d;
    const double del = d * c;
    h *= del;
    if (std::fabs(del - 1.0) < eps) break;
  }
  return h;
}

// lgamma(a + b) - lgamma(a) for a >= 20, b > 0, without the cancellation of two large lgammas:
// Stirling's series, (a + b - 1/2) log(a + b) - (a - 1/2) log a - b plus the difference of the
// series' tails 1/12x - 1/360x^3 + 1/1260x^5 - 1/1680x^7.
double lgamma_difference(double a, double b) {
  const auto tail = [](double x) {
    const double r = 1.0 / x, r2 = r * r;
    return r * (1.0 / 12 - r2 * (1.0 / 360 - r2 * (1.0 / 1260 - r2 / 1680)));
  };
  return (a - 0.5) * std::log1p(b / a) + b * std::log(a + b) - b + (tail(a + b) - tail(a));
}

// log B(a, b) = lgamma(a) + lgamma(b) - lgamma(a + b), precise also when one of a, b is large.
double log_beta(double a, double b) {
  const double big = std::max(a, b), small = std::min(a, b);
  if (big < 20.0) return std::lgamma(a) + std::lgamma(b) - std::lgamma(a + b);
  return std::lgamma(small) - lgamma_difference(big, small);
}

// I_x(a, b) with y = 1 - x and the logarithms of x and y given separately, so that x close to 1
// and a large a keep their precision.
struct BetaPoint {
  double x, y, log_x, log_y;
};

double incomplete_beta_at(double a, double b, const BetaPoint& p) {
  if (p.x <= 0.0) return 0.0;
  if (p.y <= 0.0) return 1.0;
  const double front = std::exp(a * p.log_x + b * p.log_y - log_beta(a, b));
  if (p.x < (a + 1.0) / (a + b + 2.0)) return front * beta_fraction(a, b, p.x) / a;
  return 1.0 - front * beta_fraction(b, a, p.y) / b;
}

// P(T > t) for t >= 0: I_{df/(df+t^2)}(df/2, 1/2) / 2, computed without 1 - x.
double t_upper_tail(double t, double df) {
  const double t2 = t * t;
  const double x = df / (df + t2);
  const double y = t2 / (df + t2);
  const BetaPoint at{x, y, -std::log1p(t2 / df), std::log(y)};
  if (x < (df / 2.0 + 1.0) / (df / 2.0 + 2.5)) return 0.5 * incomplete_beta_at(df / 2, 0.5, at);
  // Near t = 0: 1/2 - I_y(1/2, df/2) / 2, with I_y small and precise.
  return 0.5 - 0.5 * incomplete_beta_at(0.5, df / 2, BetaPoint{y, x, at.log_y, at.log_x});
}

double t_density(double t, double df) {
  return std::exp(std::lgamma((df + 1.0) / 2.0) - std::lgamma(df / 2.0) -
                  0.5 * std::log(df * std::numbers::pi) -
                  (df + 1.0) / 2.0 * std::log1p(t * t / df));
}

// The t with P(T > t) = q, for q in (0, 1/2], df > 0: Newton's method inside a bracket.
double t_upper_quantile(double q, double df) {
  double lo = 0.0, hi = 1.0;
  while (t_upper_tail(hi, df) > q && hi < 1e300) {
    lo = hi;
    hi *= 2.0;
  }
  double t = std::clamp(-normal_quantile(q), lo, hi);
  for (int i = 0; i < 300; ++i) {
    const double f = t_upper_tail(t, df) - q;  // decreasing in t
    if (f == 0.0) return t;
    (f > 0.0 ? lo : hi) = t;
    double next = t + f / t_density(t, df);
    if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
    if (std::fabs(next - t) <= 1e-15 * std::fabs(t) || hi - lo <= 1e-15 * hi) return next;
    t = next;
  }
  return t;
}

// Abramowitz & Stegun 26.7.5: t = z + g1/df + g2/df^2 + g3/df^3 + g4/df^4, z the normal quantile.
double t_quantile_expansion(double p, double df) {
  const double z = normal_quantile(p);
  const double z2 = z * z;
  const double g1 = (z2 + 1.0) * z / 4.0;
  const double g2 = ((5.0 * z2 + 16.0) * z2 + 3.0) * z / 96.0;
  const double g3 = (((3.0 * z2 + 19.0) * z2 + 17.0) * z2 - 15.0) * z / 384.0;
  const double g4 =
      ((((79.0 * z2 + 776.0) * z2 + 1482.0) * z2 - 1920.0) * z2 - 945.0) * z / 92160.0;
  return z + (g1 + (g2 + (g3 + g4 / df) / df) / df) / df;
}

}  // namespace

double normal_cdf(double x) {
  return 0.5 * std::erfc(-x / std::numbers::sqrt2);
}

double normal_quantile(double p) {
  if (std::isnan(p) || p < 0.0 || p > 1.0) return kNaN;
  if (p == 0.0) return -kInf;
  if (p == 1.0) return kInf;
  // Upper half by symmetry: 1 - p is exact for p >= 1/2, and the lower tail keeps its relative
  // precision.
  if (p > 0.5) return -normal_quantile(1.0 - p);
  double x = acklam_lower(p);
  // One Halley step on e = Phi(x) - p.
  const double e = 0.5 * std::erfc(-x / std::numbers::sqrt2) - p;
  const double u = e * std::sqrt(2.0 * std::numbers::pi) * std::exp(x * x / 2.0);
  if (std::isfinite(u)) x = x - u / (1.0 + x * u / 2.0);  // exp overflows below p ~ 1e-300
  return x;
}

double incomplete_beta(double a, double b, double x) {
  if (!(a > 0.0) || !(b > 0.0) || !(x >= 0.0) || !(x <= 1.0)) return kNaN;
  const double y = 1.0 - x;
  return incomplete_beta_at(a, b, BetaPoint{x, y, std::log(x), std::log1p(-x)});
}

double student_t_cdf(double t, double df) {
  if (std::isnan(t) || !(df > 0.0)) return kNaN;
  if (std::isinf(df)) return normal_cdf(t);
  if (std::isinf(t)) return t > 0 ? 1.0 : 0.0;
  const double upper = t_upper_tail(std::fabs(t), df);
  return t >= 0.0 ? 1.0 - upper : upper;
}

double student_t_quantile(double p, double df) {
  if (std::isnan(p) || p < 0.0 || p > 1.0 || !(df > 0.0)) return kNaN;
  if (p == 0.0) return -kInf;
  if (p == 1.0) return kInf;
  if (p == 0.5) return 0.0;
  if (p > 0.5) return -student_t_quantile(1.0 - p, df);
  // p < 1/2 from here: the lower tail, t < 0.
  if (std::isinf(df)) return normal_quantile(p);
  if (df == 1.0) return -1.0 / std::tan(std::numbers::pi * p);  // Cauchy
  if (df == 2.0) return (2.0 * p - 1.0) / std::sqrt(2.0 * p * (1.0 - p));
  if (df >= 1e5) return t_quantile_expansion(p, df);
  return -t_upper_quantile(p, df);
}

Interval wilson_interval(double k, double n, double confidence) {
  if (!(confidence > 0.0 && confidence < 1.0)) {
    throw std::invalid_argument("wilson_interval: confidence must be between 0 and 1");
  }
  if (!(k >= 0.0 && n >= k)) {
    throw std::invalid_argument("wilson_interval: needs 0 <= successes <= trials");
  }
  if (n == 0.0) return Interval{0.0, 1.0};
  const double z = normal_quantile(1.0 - (1.0 - confidence) / 2.0);
  const double z2 = z * z;
  const double p = k / n;
  const double denom = 1.0 + z2 / n;
  const double center = (p + z2 / (2.0 * n)) / denom;
  const double half = z * std::sqrt(p * (1.0 - p) / n + z2 / (4.0 * n * n)) / denom;
  return Interval{std::max(0.0, center - half), std::min(1.0, center + half)};
}

double sample_mean(std::span<const double> values) {
  if (values.empty()) return kNaN;
  double sum = 0.0;
  for (double v : values) sum += v;
  return sum / static_cast<double>(values.size());
}

double sample_sd(std::span<const double> values) {
  if (values.empty()) return kNaN;
  const double mean = sample_mean(values);
  if (!std::isfinite(mean)) return mean;
  if (values.size() == 1) return 0.0;
  double squares = 0.0;
  for (double v : values) squares += (v - mean) * (v - mean);
  return std::sqrt(squares / static_cast<double>(values.size() - 1));
}

namespace {

void check_t_arguments(std::size_t n, double confidence, const char* what) {
  if (!(confidence > 0.0 && confidence < 1.0))
    throw std::invalid_argument(std::string(what) + ": confidence must be between 0 and 1");
  if (n < 2) throw std::invalid_argument(std::string(what) + ": needs at least two values");
}

}  // namespace

Interval student_t_mean_interval(std::span<const double> values, double confidence) {
  check_t_arguments(values.size(), confidence, "student_t_mean_interval");
  const double n = static_cast<double>(values.size());
  const double mean = sample_mean(values);
  const double se = sample_sd(values) / std::sqrt(n);
  if (se == 0.0) return Interval{mean, mean};
  const double t = student_t_quantile(1.0 - (1.0 - confidence) / 2.0, n - 1.0);
  return Interval{mean - t * se, mean + t * se};
}

Interval welch_difference_interval(std::span<const double> a, std::span<const double> b,
                                   double confidence) {
  check_t_arguments(std::min(a.size(), b.size()), confidence, "welch_difference_interval");
  const double na = static_cast<double>(a.size()), nb = static_cast<double>(b.size());
  const double va = sample_sd(a) * sample_sd(a) / na, vb = sample_sd(b) * sample_sd(b) / nb;
  const double diff = sample_mean(a) - sample_mean(b);
  const double se2 = va + vb;
  if (se2 == 0.0) return Interval{diff, diff};
  const double df = se2 * se2 / (va * va / (na - 1.0) + vb * vb / (nb - 1.0));
  const double half = student_t_quantile(1.0 - (1.0 - confidence) / 2.0, df) * std::sqrt(se2);
  return Interval{diff - half, diff + half};
}

double binomial_half_cdf(std::uint64_t k, std::uint64_t m) {
  if (k >= m) return 1.0;
  if (2 * k >= m) return 1.0 - binomial_half_cdf(m - k - 1, m);
  // k < m / 2: the terms C(m, i) / 2^m grow with i up to k.
  const double md = static_cast<double>(m);
  double sum = 0.0;
  if (m <= 1000) {
    // From 2^-m (exact, no underflow) upwards: term(i + 1) = term(i) * (m - i) / (i + 1).
    double term = std::ldexp(1.0, -static_cast<int>(m));
    for (std::uint64_t i = 0; i <= k; ++i) {
      sum += term;
      term *= (md - static_cast<double>(i)) / static_cast<double>(i + 1);
    }
    return sum;
  }
  // From the largest term (in logs, so that it does not underflow) downwards:
  // term(i - 1) = term(i) * i / (m - i + 1), until the terms no longer count.
  const double kd = static_cast<double>(k);
  double term = std::exp(std::lgamma(md + 1.0) - std::lgamma(kd + 1.0) -
                         std::lgamma(md - kd + 1.0) - md * std::numbers::ln2);
  for (std::uint64_t i = k + 1; i-- > 0;) {
    sum += term;
    if (term < sum * 1e-18 || i == 0) break;
    term *= static_cast<double>(i) / (md - static_cast<double>(i) + 1.0);
  }
  return sum;
}

double mcnemar_exact_p(std::uint64_t b, std::uint64_t c) {
  const std::uint64_t m = b + c;
  if (m == 0) return 1.0;
  return std::min(1.0, 2.0 * binomial_half_cdf(std::min(b, c), m));
}

namespace {

// Gamma(a, x) / Gamma(a) front factor: exp(-x + a ln x - ln Gamma(a)).
double gamma_front(double a, double x) {
  return std::exp(-x + a * std::log(x) - std::lgamma(a));
}

// P(a, x) by its series, for x < a + 1.
double gamma_p_series(double a, double x) {
  double term = 1.0 / a, sum = term, ap = a;
  for (int i = 0; i < 100000; ++i) {
    ap += 1.0;
    term *= x / ap;
    sum += term;
    if (std::fabs(term) < std::fabs(sum) * 1e-17) break;
  }
  return sum * gamma_front(a, x);
}

// Q(a, x) by its continued fraction (modified Lentz), for x >= a + 1.
double gamma_q_fraction(double a, double x) {
  constexpr double tiny = 1e-300;
  double b = x + 1.0 - a, c = 1.0 / tiny, d = 1.0 / b, h = d;
  for (int i = 1; i < 100000; ++i) {
    const double an = -i * (i - a);
    b += 2.0;
    d = an * d + b;
    if (std::fabs(d) < tiny) d = tiny;
    c = b + an / c;
    if (std::fabs(c) < tiny) c = tiny;
    d = 1.0 / d;
    const double delta = d * c;
    h *= delta;
    if (std::fabs(delta - 1.0) < 1e-17) break;
  }
  return gamma_front(a, x) * h;
}

}  // namespace

double regularized_gamma_q(double a, double x) {
  if (!(a > 0.0) || !(x >= 0.0)) return kNaN;
  if (x == 0.0) return 1.0;
  if (std::isinf(x)) return 0.0;
  if (x < a + 1.0) return 1.0 - gamma_p_series(a, x);
  return gamma_q_fraction(a, x);
}

double chi_square_sf(double x, double df) {
  if (!(df > 0.0) || std::isnan(x)) return kNaN;
  if (x <= 0.0) return 1.0;
  return regularized_gamma_q(df / 2.0, x / 2.0);
}

}  // namespace mlgate::core
