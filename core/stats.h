// Distributions and intervals the gate's statistics use (docs/gate.md "Statistics"): the normal
// and Student-t quantiles, the Wilson score interval and the exact McNemar test. Pure functions of
// their arguments, the same on every platform (no <random>, no threads).
#pragma once

#include <cstdint>
#include <span>

namespace mlgate::core {

// Standard normal CDF, 0.5 * erfc(-x / sqrt(2)).
double normal_cdf(double x);
// Its inverse: Acklam's rational approximation with one Halley step on erfc (relative error
// below 1e-15 in the body, 1e-13 in the far tails). p = 0 -> -inf, p = 1 -> +inf, outside
// [0, 1] or NaN -> NaN.
double normal_quantile(double p);

// The regularized incomplete beta function I_x(a, b) for a, b > 0, x in [0, 1] (a continued
// fraction, Lentz's method).
double incomplete_beta(double a, double b, double x);

// Student's t with df > 0 degrees of freedom (df = +inf is the normal): the CDF, and its inverse,
// accurate to 1e-9 relative or better for every p in (0, 1) and df >= 1. df = 1 and 2 are in
// closed form; df >= 1e5 uses the Cornish-Fisher expansion (Abramowitz & Stegun 26.7.5); other df
// solve CDF(t) = p by Newton's method on the incomplete beta, kept inside a bracket.
double student_t_cdf(double t, double df);
double student_t_quantile(double p, double df);

struct Interval {
  double lower = 0.0;
  double upper = 0.0;
};

// The Wilson score interval (Wilson 1927) for k successes in n trials at a two-sided confidence
// level (0.95): with z = normal_quantile(1 - (1 - confidence) / 2) and p = k / n,
//   (p + z^2 / 2n -/+ z sqrt(p (1 - p) / n + z^2 / 4n^2)) / (1 + z^2 / n).
// n = 0 gives [0, 1] (the formula's limit: no information). Requires 0 <= k <= n and
// 0 < confidence < 1 (else std::invalid_argument). Doubles so that weighted counts fit.
Interval wilson_interval(double k, double n, double confidence);

// The sample mean and the sample standard deviation (divisor n - 1; 0 for one value). NaN for no
// values; a NaN or infinite value makes both NaN or infinite.
double sample_mean(std::span<const double> values);
double sample_sd(std::span<const double> values);

// The Student-t interval of a mean (Student 1908, "The probable error of a mean", Biometrika 6):
//   mean -/+ t_{1 - (1 - confidence) / 2, n - 1} * s / sqrt(n),
// s the sample standard deviation. Requires n >= 2 and 0 < confidence < 1 (else
// std::invalid_argument). Values that are all equal give the point [mean, mean].
Interval student_t_mean_interval(std::span<const double> values, double confidence);

// Welch's interval of a difference of means with unequal variances (Welch 1947, "The
// generalization of 'Student's' problem when several different population variances are
// involved", Biometrika 34; the degrees of freedom of Satterthwaite 1946):
//   (mean_a - mean_b) -/+ t_{1 - (1 - confidence) / 2, df} * se,  se^2 = s_a^2 / n_a + s_b^2 / n_b,
//   df = se^4 / ((s_a^2 / n_a)^2 / (n_a - 1) + (s_b^2 / n_b)^2 / (n_b - 1)).
// Requires n_a, n_b >= 2 and 0 < confidence < 1 (else std::invalid_argument); se = 0 gives the
// point difference.
Interval welch_difference_interval(std::span<const double> a, std::span<const double> b,
                                   double confidence);

// The regularized upper incomplete gamma function Q(a, x) = Gamma(a, x) / Gamma(a) for a > 0,
// x >= 0 (the series for x < a + 1, else Lentz's continued fraction; Numerical Recipes 6.2).
// NaN outside its domain; x = +inf gives 0.
double regularized_gamma_q(double a, double x);

// P(X >= x) for X ~ chi-square with df > 0 degrees of freedom: Q(df / 2, x / 2).
double chi_square_sf(double x, double df);

// P(X <= k) for X ~ Binomial(m, 1/2).
double binomial_half_cdf(std::uint64_t k, std::uint64_t m);

// The exact McNemar test (McNemar 1947) of paired outcomes: b pairs where only the first is
// right, c where only the second is. Two-sided exact binomial test of b against
// Binomial(b + c, 1/2): min(1, 2 * P(X <= min(b, c))). b + c = 0 gives 1.
double mcnemar_exact_p(std::uint64_t b, std::uint64_t c);

}  // namespace mlgate::core
