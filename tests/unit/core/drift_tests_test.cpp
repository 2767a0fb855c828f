// core/drift_tests.h: the statistics against values SciPy 1.10 gives for the same inputs (the
// broad check against SciPy itself is tests/integration/core/drift_parity_test.cpp), Evidently's
// threshold comparisons and binning, and its choice of test.
#include "core/drift_tests.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/stats.h"

namespace mlgate::core {
namespace {

FeatureProfile numeric(const std::vector<double>& values) {
  ProfileBuilder b(1);
  for (const double x : values) b.add_row({{"x", x}}, nullptr);
  return std::move(b).finish().features.at("x");
}

FeatureProfile categorical(const CategoryCounts& counts) {
  FeatureProfile f;
  f.kind = FeatureKind::categorical;
  f.counts = counts;
  for (const auto& [name, n] : counts) f.count += n;
  return f;
}

std::vector<double> range(double from, double to, double step = 1) {
  std::vector<double> out;
  for (double x = from; x < to; x += step) out.push_back(x);
  return out;
}

TEST(DriftTests, NamesAndDefaults) {
  for (const DriftTest t : {DriftTest::ks, DriftTest::chi2, DriftTest::z, DriftTest::wasserstein,
                            DriftTest::jensenshannon, DriftTest::psi}) {
    EXPECT_EQ(drift_test_from_string(to_string(t)), t);
  }
  EXPECT_EQ(drift_test_from_string("chisquare"), DriftTest::chi2);
  EXPECT_FALSE(drift_test_from_string("kolmogorov"));
  EXPECT_EQ(default_drift_threshold(DriftTest::ks), 0.05);
  EXPECT_EQ(default_drift_threshold(DriftTest::psi), 0.1);
}

TEST(DriftTests, KolmogorovSmirnovMatchesScipy) {
  // scipy.stats.ks_2samp: unequal sizes (the inside method), equal sizes (outside the square).
  const TestStatistic a = ks_two_sample(range(1, 11), range(4, 16));
  EXPECT_NEAR(a.statistic, 0.4166666666666667, 1e-15);
  EXPECT_NEAR(a.p_value, 0.23373839782508513, 1e-12);
  const TestStatistic b = ks_two_sample(range(1, 11), range(4, 14));
  EXPECT_NEAR(b.statistic, 0.3, 1e-15);
  EXPECT_NEAR(b.p_value, 0.7869297884777761, 1e-12);
  const TestStatistic c = ks_two_sample(range(0, 100), range(20.5, 100.5));
  EXPECT_NEAR(c.statistic, 0.21, 1e-15);
  EXPECT_NEAR(c.p_value, 0.034290969396822274, 1e-12);
  EXPECT_EQ(ks_two_sample(range(0, 5), range(0, 5)).p_value, 1.0);
  EXPECT_THROW(ks_two_sample({}, range(0, 5)), std::invalid_argument);
}

TEST(DriftTests, ChiSquareAsEvidentlyScalesTheReference) {
  // f_exp = reference * 100 / 50 = [40, 40, 20] against f_obs [30, 50, 20].
  const TestStatistic t =
      chi_square_test({{"a", 20}, {"b", 20}, {"c", 10}}, {{"a", 30}, {"b", 50}, {"c", 20}});
  EXPECT_NEAR(t.statistic, 5.0, 1e-12);
  EXPECT_NEAR(t.p_value, 0.0820849986238988, 1e-12);
  // A category the reference never saw: infinite statistic, p = 0.
  const TestStatistic fresh = chi_square_test({{"a", 5}, {"b", 5}}, {{"a", 5}, {"z", 1}});
  EXPECT_TRUE(std::isinf(fresh.statistic));
  EXPECT_EQ(fresh.p_value, 0.0);
  EXPECT_EQ(chi_square_test({{"a", 5}}, {{"a", 9}}).p_value, 1.0);
}

TEST(DriftTests, ChiSquareSurvivalMatchesScipy) {
  EXPECT_NEAR(chi_square_sf(3.5, 2), 0.1737739434504451, 1e-15);
  EXPECT_NEAR(chi_square_sf(150, 99), 0.0007204453957169282, 1e-15);
  EXPECT_NEAR(chi_square_sf(0.01, 7), 0.999999999243059, 1e-15);
  EXPECT_NEAR(chi_square_sf(1e-5, 1), 0.9974768716831944, 1e-14);
  EXPECT_EQ(chi_square_sf(0, 3), 1.0);
  EXPECT_TRUE(std::isnan(chi_square_sf(1, 0)));
}

TEST(DriftTests, TwoProportionZTest) {
  // p_ref = 40/100, p_cur = 60/100, pooled 0.5: z = -0.2 / sqrt(0.25 * 0.02) = -2.828...
  const TestStatistic t =
      two_proportion_z_test({{"no", 60}, {"yes", 40}}, {{"no", 40}, {"yes", 60}});
  EXPECT_NEAR(t.statistic, -0.2 / std::sqrt(0.25 * 0.02), 1e-12);
  EXPECT_NEAR(t.p_value, 2 * (1 - normal_cdf(0.2 / std::sqrt(0.005))), 1e-15);
  EXPECT_EQ(two_proportion_z_test({{"x", 3}}, {{"x", 9}}).p_value, 1.0);
}

TEST(DriftTests, WassersteinAndJensenShannonMatchScipy) {
  EXPECT_NEAR(wasserstein_distance(std::vector<double>{0, 1, 3}, std::vector<double>{5, 6, 8}), 5.0,
              1e-15);
  EXPECT_NEAR(wasserstein_distance(std::vector<double>{0, 1, 3, 3.5}, std::vector<double>{0.5, 6}),
              1.625, 1e-15);
  EXPECT_NEAR(jensen_shannon_distance(std::vector<double>{0.5, 0.5, 0},
                                      std::vector<double>{0.25, 0.25, 0.5}),
              0.46450140402245893, 1e-15);
}

TEST(DriftTests, BinningIsSturgesOverBothAndFillsZerosForPsi) {
  // 30 + 2 values: log2(32) + 1 = 6 bins of width 29/6; the current side only in the last bin.
  const BinnedShares b = bin_numeric(range(0, 30), std::vector<double>{29, 29}, false);
  ASSERT_EQ(b.reference.size(), 6u);
  EXPECT_NEAR(b.reference[0], 5.0 / 30, 1e-15);  // 0..4 below 4.8333
  EXPECT_NEAR(b.reference[5], 5.0 / 30, 1e-15);  // 25..29, the last bin closed
  EXPECT_EQ(b.current, (std::vector<double>{0, 0, 0, 0, 0, 1}));
  const BinnedShares filled = bin_numeric(range(0, 30), std::vector<double>{29, 29}, true);
  EXPECT_EQ(filled.current[0], 0.0001);
  // Few distinct reference values: one bin per value of either side.
  const BinnedShares few = bin_numeric(std::vector<double>{1, 1, 2}, std::vector<double>{3}, true);
  ASSERT_EQ(few.reference.size(), 3u);
  EXPECT_EQ(few.reference[2], 0.0001);  // "3", absent from the reference: filled
  EXPECT_EQ(few.current[0], 0.0001);
  // A share <= 0.0001 fills with share / 10^6.
  const BinnedShares tiny = bin_categories({{"a", 1}, {"b", 99999}}, {{"c", 1}}, true);
  EXPECT_NEAR(tiny.reference[2], 1e-5 / 1e6, 1e-20);
}

TEST(DriftTests, PsiOfIdenticalSharesIsZeroAndGrowsWithShift) {
  const std::vector<double> r{0.25, 0.25, 0.5}, c{0.5, 0.25, 0.25};
  EXPECT_EQ(population_stability_index(r, r), 0.0);
  EXPECT_NEAR(population_stability_index(r, c), 2 * 0.25 * std::log(2.0), 1e-15);
}

TEST(DriftTests, DefaultTestFollowsEvidently) {
  const FeatureProfile small_many = numeric(range(0, 100));
  const FeatureProfile small_few = numeric({1, 2, 3, 1, 2, 3});
  const FeatureProfile small_binary = numeric({0, 1, 1, 0});
  const FeatureProfile large_many = numeric(range(0, 2000));
  FeatureProfile large_few = numeric(std::vector<double>(1500, 1.0));
  EXPECT_EQ(default_drift_test(small_many, small_many), DriftTest::ks);
  EXPECT_EQ(default_drift_test(small_few, small_few), DriftTest::chi2);
  EXPECT_EQ(default_drift_test(small_binary, small_binary), DriftTest::z);
  // Distinct values are counted over both sides.
  EXPECT_EQ(default_drift_test(small_binary, small_few), DriftTest::chi2);
  EXPECT_EQ(default_drift_test(large_many, small_many), DriftTest::wasserstein);
  EXPECT_EQ(default_drift_test(large_few, small_few), DriftTest::jensenshannon);
  const FeatureProfile cat_small = categorical({{"a", 10}, {"b", 5}, {"c", 1}});
  const FeatureProfile cat_binary = categorical({{"a", 10}, {"b", 5}});
  const FeatureProfile cat_large = categorical({{"a", 1000}, {"b", 500}});
  EXPECT_EQ(default_drift_test(cat_small, cat_small), DriftTest::chi2);
  EXPECT_EQ(default_drift_test(cat_binary, cat_binary), DriftTest::z);
  EXPECT_EQ(default_drift_test(cat_large, cat_binary), DriftTest::jensenshannon);
  EXPECT_EQ(default_drift_test(small_many, cat_small), DriftTest::chi2);  // mixed: categorical
}

TEST(DriftTests, ThresholdComparisonsAsEvidently) {
  // KS drifts at p <= threshold: threshold set to the p-value itself drifts.
  const FeatureProfile a = numeric(range(1, 11)), b = numeric(range(4, 16));
  const auto ks = run_drift_test(DriftTest::ks, a, b, 0.23373839782508513);
  ASSERT_TRUE(ks);
  EXPECT_TRUE(ks->drifted);
  EXPECT_EQ(ks->score, *ks->p_value);
  EXPECT_EQ(ks->reference_n, 10u);
  EXPECT_EQ(ks->current_n, 12u);
  // chi2 drifts at p < threshold: the p-value itself does not.
  const FeatureProfile r = categorical({{"a", 20}, {"b", 20}, {"c", 10}});
  const FeatureProfile c = categorical({{"a", 30}, {"b", 50}, {"c", 20}});
  const auto chi = run_drift_test(DriftTest::chi2, r, c, 0.0820849986238988);
  ASSERT_TRUE(chi);
  EXPECT_FALSE(chi->drifted);
  EXPECT_TRUE(run_drift_test(DriftTest::chi2, r, c, 0.09)->drifted);
  // Distances drift at >= threshold.
  const auto psi = run_drift_test(DriftTest::psi, r, c);
  ASSERT_TRUE(psi);
  EXPECT_FALSE(psi->p_value);
  EXPECT_EQ(psi->threshold, 0.1);
  EXPECT_TRUE(run_drift_test(DriftTest::psi, r, c, psi->score)->drifted);
  EXPECT_FALSE(run_drift_test(DriftTest::psi, r, c, std::nextafter(psi->score, 1.0))->drifted);
}

TEST(DriftTests, WassersteinIsNormalisedByTheReferenceSd) {
  const FeatureProfile a = numeric({0, 2}), b = numeric({2, 4});
  // Distance 2, population sd of {0, 2} = 1.
  const auto w = run_drift_test(DriftTest::wasserstein, a, b);
  ASSERT_TRUE(w);
  EXPECT_NEAR(w->statistic, 2.0, 1e-15);
  EXPECT_TRUE(w->drifted);
  // A constant reference: the sd floor 0.001.
  const auto constant =
      run_drift_test(DriftTest::wasserstein, numeric({1, 1}), numeric({1, 1.001}));
  EXPECT_NEAR(constant->statistic, 0.0005 / 0.001, 1e-9);
}

TEST(DriftTests, NoValuesOrWrongKindGiveNoResult) {
  const FeatureProfile empty;
  const FeatureProfile x = numeric({1, 2, 3});
  const FeatureProfile c = categorical({{"a", 1}});
  EXPECT_FALSE(run_drift_test(DriftTest::ks, empty, x));
  EXPECT_FALSE(run_drift_test(DriftTest::ks, x, c));
  EXPECT_FALSE(run_drift_test(DriftTest::wasserstein, c, c));
  EXPECT_TRUE(run_drift_test(DriftTest::jensenshannon, c, c));
}

}  // namespace
}  // namespace mlgate::core
