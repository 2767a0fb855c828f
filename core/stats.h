// Distributions and intervals the gate's statistics use (docs/gate.md "Statistics"): the normal
// and Student-t quantiles, the Wilson score interval and the exact McNemar test. Pure functions of
// their arguments, the same on every platform (no <random>, no threads).
#pragma once

#include <cstdint>

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

// P(X <= k) for X ~ Binomial(m, 1/2).
double binomial_half_cdf(std::uint64_t k, std::uint64_t m);

// The exact McNemar test (McNemar 1947) of paired outcomes: b pairs where only the first is
// right, c where only the second is. Two-sided exact binomial test of b against
// Binomial(b + c, 1/2): min(1, 2 * P(X <= min(b, c))). b + c = 0 gives 1.
double mcnemar_exact_p(std::uint64_t b, std::uint64_t c);

}  // namespace mlgate::core
