// core/bootstrap.h: numpy's quantile, resamples as multiplicities, determinism from the seed, NaN
// resamples counted and left out, the paired difference, and the coverage of the percentile
// interval on a known distribution.
#include "core/bootstrap.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/example_metrics.h"
#include "core/example_rows.h"
#include "core/seeded_rng.h"

namespace mlgate::core {
namespace {

using Weights = std::span<const std::uint32_t>;

// The weighted mean.
BootstrapStatistic mean_of(const std::vector<double>& x) {
  return [&x](Weights w) {
    double s = 0, n = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
      s += w[i] * x[i];
      n += w[i];
    }
    return s / n;
  };
}

TEST(LinearQuantile, MatchesNumpy) {
  // numpy.quantile([1, 2, 3, 4], [0, 0.25, 0.5, 0.975, 1]) -> [1, 1.75, 2.5, 3.925, 4]
  const std::vector<double> x = {1, 2, 3, 4};
  EXPECT_DOUBLE_EQ(linear_quantile(x, 0.0), 1.0);
  EXPECT_DOUBLE_EQ(linear_quantile(x, 0.25), 1.75);
  EXPECT_DOUBLE_EQ(linear_quantile(x, 0.5), 2.5);
  EXPECT_DOUBLE_EQ(linear_quantile(x, 0.975), 3.925);
  EXPECT_DOUBLE_EQ(linear_quantile(x, 1.0), 4.0);
  EXPECT_DOUBLE_EQ(linear_quantile(std::vector<double>{7}, 0.3), 7.0);
}

TEST(Bootstrap, ResampleIsNDrawsWithReplacement) {
  SeededRng rng(1);
  std::vector<std::uint32_t> w(1000, 5);
  draw_resample(rng, w);
  EXPECT_EQ(std::accumulate(w.begin(), w.end(), 0u), 1000u);
  // About 1 - 1/e of the examples are drawn at least once.
  const auto drawn = std::count_if(w.begin(), w.end(), [](std::uint32_t k) { return k > 0; });
  EXPECT_NEAR(static_cast<double>(drawn) / 1000, 1 - std::exp(-1.0), 0.05);
}

TEST(Bootstrap, SameSeedSameIntervalOtherCheckOtherSeed) {
  std::vector<double> x(300);
  SeededRng data(5);
  for (double& v : x) v = data.uniform();  // continuous: two seeds' quantiles do not tie
  const std::vector<std::string> check_a = {"c0ffee", "beef", "gate.accuracy"};
  const std::vector<std::string> check_b = {"c0ffee", "beef", "gate.recall"};
  const BootstrapOptions a{.resamples = 500, .confidence = 0.95, .seed = seed_from(check_a)};
  BootstrapOptions b = a;
  b.seed = seed_from(check_b);
  const BootstrapInterval i1 = bootstrap_interval(x.size(), mean_of(x), a);
  const BootstrapInterval i2 = bootstrap_interval(x.size(), mean_of(x), a);
  const BootstrapInterval i3 = bootstrap_interval(x.size(), mean_of(x), b);
  EXPECT_EQ(i1.lower, i2.lower);
  EXPECT_EQ(i1.upper, i2.upper);
  EXPECT_NE(a.seed, b.seed);
  EXPECT_TRUE(i1.lower != i3.lower || i1.upper != i3.upper);
  EXPECT_EQ(i1.resamples, 500);
  EXPECT_EQ(i1.undefined, 0);
  EXPECT_DOUBLE_EQ(i1.estimate, std::accumulate(x.begin(), x.end(), 0.0) / 300);
  EXPECT_LT(i1.lower, i1.estimate);
  EXPECT_GT(i1.upper, i1.estimate);
}

TEST(Bootstrap, PercentileCoverageOnABernoulliMean) {
  // 300 experiments of n = 200 draws of Bernoulli(0.3): the 90% percentile interval should hold
  // 0.3 about 90% of the time (the percentile bootstrap runs a little short at this n).
  int covered = 0;
  const int experiments = 300;
  for (int e = 0; e < experiments; ++e) {
    SeededRng data(1000 + e);
    std::vector<double> x(200);
    for (double& v : x) v = data.uniform() < 0.3 ? 1.0 : 0.0;
    const BootstrapOptions o{
        .resamples = 400, .confidence = 0.90, .seed = static_cast<std::uint64_t>(e)};
    const BootstrapInterval i = bootstrap_interval(x.size(), mean_of(x), o);
    covered += i.lower <= 0.3 && 0.3 <= i.upper ? 1 : 0;
  }
  const double coverage = static_cast<double>(covered) / experiments;
  EXPECT_GT(coverage, 0.84);
  EXPECT_LT(coverage, 0.95);
}

TEST(Bootstrap, NanResamplesAreCountedAndLeftOut) {
  // Undefined whenever example 0 is drawn: that happens with probability 1 - (1 - 1/n)^n.
  const std::size_t n = 50;
  const BootstrapStatistic stat = [](Weights w) {
    return w[0] > 0 ? std::numeric_limits<double>::quiet_NaN() : 1.0 * w[1];
  };
  const BootstrapOptions o{.resamples = 2000, .confidence = 0.95, .seed = 99};
  const BootstrapInterval i = bootstrap_interval(n, stat, o);
  // Replay the same resamples to count them.
  SeededRng rng(99);
  std::vector<std::uint32_t> w(n);
  int expected = 0;
  for (int b = 0; b < 2000; ++b) {
    draw_resample(rng, w);
    expected += w[0] > 0 ? 1 : 0;
  }
  EXPECT_EQ(i.undefined, expected);
  EXPECT_NEAR(expected / 2000.0, 1 - std::pow(1 - 1.0 / n, n), 0.03);
  EXPECT_TRUE(std::isnan(i.estimate));  // every weight 1: example 0 is in
  EXPECT_GE(i.lower, 0.0);              // from the defined resamples
  const BootstrapInterval none = bootstrap_interval(
      n, [](Weights) { return std::nan(""); }, o);
  EXPECT_EQ(none.undefined, 2000);
  EXPECT_TRUE(std::isnan(none.lower));
  EXPECT_TRUE(std::isnan(none.upper));
}

TEST(Bootstrap, PairedDifferenceOfMetrics) {
  // Candidate right where the baseline is, and on 30 more of 400: the difference of accuracy is
  // 30/400 and its paired interval excludes 0; a candidate equal to the baseline gives [0, 0].
  std::vector<Prediction> cand(400), base(400);
  SeededRng rng(3);
  for (int i = 0; i < 400; ++i) {
    const std::string y = rng.below(2) ? "1" : "0";
    const std::string other = y == "1" ? "0" : "1";
    cand[i].id = base[i].id = std::to_string(i);
    cand[i].truth = base[i].truth = y;
    base[i].label = i < 100 ? other : y;
    cand[i].label = i < 70 ? other : y;
  }
  const PairedRows pairs = pair_by_id(cand, base);
  const auto prep = [](const ExampleRows& rows) {
    return std::get<PreparedMetric>(PreparedMetric::prepare(ExampleMetric::accuracy, rows));
  };
  const PreparedMetric c = prep(pairs.candidate), b = prep(pairs.baseline);
  const auto stat = [](const PreparedMetric& m) -> BootstrapStatistic {
    return [&m](Weights w) { return m.evaluate(w).statistic(); };
  };
  const BootstrapInterval d = paired_bootstrap_difference(400, stat(c), stat(b), {});
  EXPECT_NEAR(d.estimate, 30.0 / 400, 1e-15);
  EXPECT_EQ(d.resamples, 2000);
  EXPECT_GT(d.lower, 0.0);
  EXPECT_LT(d.upper, 0.15);
  const BootstrapInterval same = paired_bootstrap_difference(400, stat(b), stat(b), {});
  EXPECT_EQ(same.lower, 0.0);
  EXPECT_EQ(same.upper, 0.0);
}

TEST(Bootstrap, OptionsAreChecked) {
  const std::vector<double> x = {1, 0};
  EXPECT_THROW(bootstrap_interval(2, mean_of(x), {.resamples = 0}), std::invalid_argument);
  EXPECT_THROW(bootstrap_interval(2, mean_of(x), {.resamples = 10, .confidence = 1.0}),
               std::invalid_argument);
  const BootstrapInterval empty = bootstrap_interval(0, mean_of(x), {});
  EXPECT_EQ(empty.resamples, 0);
  EXPECT_TRUE(std::isnan(empty.lower));
}

}  // namespace
}  // namespace mlgate::core
