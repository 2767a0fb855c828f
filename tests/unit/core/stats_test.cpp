// core/stats.h against published values: the normal and t quantiles of the tables, Newcombe's
// (1998) worked examples of the Wilson interval, and exact binomial sums for McNemar. The
// comparison with SciPy over a grid is tests/integration/core/sklearn_parity_test.cpp.
#include "core/stats.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>

namespace mlgate::core {
namespace {

TEST(NormalQuantile, KnownValues) {
  EXPECT_NEAR(normal_quantile(0.975), 1.959963984540054, 1e-15);
  EXPECT_NEAR(normal_quantile(0.995), 2.5758293035489004, 1e-15);
  EXPECT_NEAR(normal_quantile(0.5), 0.0, 1e-16);
  EXPECT_NEAR(normal_quantile(1e-20), -9.262340089798409, 1e-13);
  EXPECT_EQ(normal_quantile(0.0), -std::numeric_limits<double>::infinity());
  EXPECT_EQ(normal_quantile(1.0), std::numeric_limits<double>::infinity());
  EXPECT_TRUE(std::isnan(normal_quantile(1.5)));
  EXPECT_TRUE(std::isnan(normal_quantile(std::numeric_limits<double>::quiet_NaN())));
}

TEST(NormalQuantile, InvertsTheCdf) {
  for (double p = 1e-12; p < 1.0; p = p < 0.01 ? p * 7 : p + 0.0137) {
    const double x = normal_quantile(p);
    EXPECT_NEAR(normal_cdf(x), p, 1e-14 * std::max(p, 1e-3)) << p;
    // 1 - p rounds away digits of a small p: symmetry is checked where it does not.
    if (p >= 0.01) {
      EXPECT_NEAR(normal_quantile(1.0 - p), -x, 1e-13 * std::max(1.0, std::fabs(x)));
    }
  }
}

TEST(StudentTQuantile, TableValues) {
  EXPECT_NEAR(student_t_quantile(0.975, 1), 12.7062047361747, 1e-9);
  EXPECT_NEAR(student_t_quantile(0.975, 9), 2.2621571627982, 1e-9);
  EXPECT_NEAR(student_t_quantile(0.975, 2), 4.302652729749464, 1e-12);
  EXPECT_NEAR(student_t_quantile(0.995, 4), 4.604094871415897, 1e-9);
  EXPECT_NEAR(student_t_quantile(0.95, 30), 1.697260886593957, 1e-9);
  EXPECT_NEAR(student_t_quantile(0.025, 9), -2.2621571627982, 1e-9);
  EXPECT_EQ(student_t_quantile(0.975, std::numeric_limits<double>::infinity()),
            normal_quantile(0.975));
  EXPECT_EQ(student_t_quantile(0.5, 7), 0.0);
  EXPECT_TRUE(std::isnan(student_t_quantile(0.9, 0)));
  EXPECT_TRUE(std::isnan(student_t_quantile(-0.1, 3)));
}

TEST(StudentTQuantile, InvertsTheCdfForEveryDf) {
  // Up to 1e5 the quantile is the root of the CDF; above, the expansion (next test).
  for (double df : {1.0, 1.5, 2.0, 3.0, 7.0, 29.0, 120.0, 5000.0, 99999.0}) {
    for (double p : {1e-9, 1e-4, 0.01, 0.025, 0.2, 0.4999, 0.6, 0.9, 0.975, 0.999, 0.9999999}) {
      const double t = student_t_quantile(p, df);
      const double back = student_t_cdf(t, df);
      // The CDF's slope bounds how well p can be matched: compare in p, relative to the tail.
      EXPECT_NEAR(back, p, 1e-11 * std::min(p, 1 - p) + 1e-15) << "df " << df << " p " << p;
      if (p >= 0.01) {
        EXPECT_NEAR(student_t_quantile(1 - p, df), -t, 1e-12 * std::max(1.0, std::fabs(t)));
      }
    }
  }
}

TEST(StudentTQuantile, LargeDfApproachesTheNormal) {
  // The expansion (df >= 1e5) and the root finder (below) agree at the switch; the difference
  // the change of df itself makes there is about 2e-13.
  EXPECT_NEAR(student_t_quantile(0.975, 99999.999), student_t_quantile(0.975, 1e5), 1e-11);
  EXPECT_NEAR(student_t_quantile(1e-6, 99999.999), student_t_quantile(1e-6, 1e5), 1e-10);
  EXPECT_NEAR(student_t_quantile(0.975, 1e12), normal_quantile(0.975), 1e-11);
  EXPECT_GT(student_t_quantile(0.975, 1e6), normal_quantile(0.975));
  EXPECT_LT(student_t_quantile(0.975, 1e6), student_t_quantile(0.975, 1e5));
}

TEST(IncompleteBeta, KnownValues) {
  EXPECT_NEAR(incomplete_beta(1, 1, 0.3), 0.3, 1e-15);
  EXPECT_NEAR(incomplete_beta(2, 3, 0.4), 0.5248, 1e-14);  // 1 - sum binomial terms
  EXPECT_EQ(incomplete_beta(2, 3, 0), 0.0);
  EXPECT_EQ(incomplete_beta(2, 3, 1), 1.0);
  EXPECT_TRUE(std::isnan(incomplete_beta(0, 3, 0.5)));
}

TEST(Wilson, NewcombeWorkedExamples) {
  // Newcombe (1998), Table II, method 3 (score interval without continuity correction).
  struct Case {
    double k, n, lower, upper;
  };
  for (const Case c :
       {Case{81, 263, 0.2553, 0.3662}, Case{15, 148, 0.0624, 0.1605}, Case{0, 20, 0.0, 0.1611},
        Case{1, 29, 0.0061, 0.1718}, Case{29, 29, 0.8830, 1.0}}) {
    const Interval w = wilson_interval(c.k, c.n, 0.95);
    EXPECT_NEAR(w.lower, c.lower, 5e-5) << c.k << "/" << c.n;
    EXPECT_NEAR(w.upper, c.upper, 5e-5) << c.k << "/" << c.n;
  }
  const Interval w = wilson_interval(81, 263, 0.95);
  EXPECT_NEAR(w.lower, 0.25528851994, 1e-10);
  EXPECT_NEAR(w.upper, 0.36620957697, 1e-10);
}

TEST(Wilson, EdgesAndErrors) {
  EXPECT_EQ(wilson_interval(0, 20, 0.95).lower, 0.0);
  EXPECT_EQ(wilson_interval(20, 20, 0.95).upper, 1.0);
  const Interval none = wilson_interval(0, 0, 0.95);
  EXPECT_EQ(none.lower, 0.0);
  EXPECT_EQ(none.upper, 1.0);
  // Wider at a higher confidence, narrower with more trials.
  EXPECT_LT(wilson_interval(50, 100, 0.99).lower, wilson_interval(50, 100, 0.95).lower);
  EXPECT_GT(wilson_interval(500, 1000, 0.95).lower, wilson_interval(50, 100, 0.95).lower);
  EXPECT_THROW(wilson_interval(5, 4, 0.95), std::invalid_argument);
  EXPECT_THROW(wilson_interval(-1, 4, 0.95), std::invalid_argument);
  EXPECT_THROW(wilson_interval(1, 4, 1.0), std::invalid_argument);
  EXPECT_THROW(wilson_interval(1, 4, 0.0), std::invalid_argument);
}

TEST(McNemar, ExactBinomial) {
  EXPECT_NEAR(mcnemar_exact_p(1, 9), 0.021484375, 1e-17);  // 2 * (1 + 10) / 1024
  EXPECT_NEAR(mcnemar_exact_p(9, 1), 0.021484375, 1e-17);
  EXPECT_NEAR(mcnemar_exact_p(0, 10), 2.0 / 1024, 1e-18);
  EXPECT_EQ(mcnemar_exact_p(5, 5), 1.0);
  EXPECT_EQ(mcnemar_exact_p(4, 5), 1.0);
  EXPECT_EQ(mcnemar_exact_p(0, 0), 1.0);
  EXPECT_EQ(mcnemar_exact_p(0, 1), 1.0);
  // scipy.stats.binomtest(100, 260).pvalue
  EXPECT_NEAR(mcnemar_exact_p(100, 160), 0.00023894190306813958, 1e-15);
  // Far tails do not underflow to 0 until the true value does.
  EXPECT_GT(mcnemar_exact_p(0, 1000), 0.0);
  EXPECT_NEAR(std::log2(mcnemar_exact_p(0, 1000)), -999.0, 1e-9);
}

TEST(McNemar, BinomialCdfSums) {
  EXPECT_NEAR(binomial_half_cdf(3, 10), (1.0 + 10 + 45 + 120) / 1024, 1e-16);
  EXPECT_NEAR(binomial_half_cdf(6, 10), 1 - (1.0 + 10 + 45 + 120) / 1024, 1e-15);
  EXPECT_EQ(binomial_half_cdf(10, 10), 1.0);
  EXPECT_NEAR(binomial_half_cdf(0, 1), 0.5, 1e-16);
}

}  // namespace
}  // namespace mlgate::core
