// core/feature_profile.h: what a profile counts, the bounds hostile rows meet, the reservoir and
// its merge (deterministic, proportional), quantiles, and the JSON round trip and its refusals.
#include "core/feature_profile.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <string>

namespace mlgate::core {
namespace {

using nlohmann::json;

DatasetProfile build(const std::vector<json>& rows, std::uint64_t seed = 7) {
  ProfileBuilder b(seed);
  for (const json& row : rows) {
    const json* prediction = row.contains("prediction") ? &row["prediction"] : nullptr;
    b.add_row(row.value("features", json::object()), prediction);
  }
  return std::move(b).finish();
}

DatasetProfile numbers(double from, double to, std::uint64_t seed = 7) {
  ProfileBuilder b(seed);
  for (double x = from; x < to; x += 1) b.add_row({{"x", x}}, nullptr);
  return std::move(b).finish();
}

TEST(FeatureProfile, CountsValuesMissingAndPredictions) {
  const DatasetProfile p = build({
      {{"features", {{"age", 30}, {"city", "Oslo"}, {"vip", true}}},
       {"prediction", {{"label", 1}, {"score", 0.9}}}},
      {{"features", {{"age", nullptr}, {"city", "Rome"}}}},
      {{"features", {{"age", 50.5}, {"city", "Oslo"}, {"vip", false}}},
       {"prediction", {{"label", 0}, {"score", 0.2}}}},
  });
  EXPECT_EQ(p.rows, 3u);
  const FeatureProfile& age = p.features.at("age");
  EXPECT_EQ(age.kind, FeatureKind::numeric);
  EXPECT_EQ(age.count, 2u);
  EXPECT_EQ(age.missing, 1u);
  EXPECT_DOUBLE_EQ(age.sum, 80.5);
  EXPECT_DOUBLE_EQ(age.sum_sq, 900 + 50.5 * 50.5);
  EXPECT_DOUBLE_EQ(age.min, 30);
  EXPECT_DOUBLE_EQ(age.max, 50.5);
  EXPECT_EQ(age.sample, (std::vector<double>{30, 50.5}));
  EXPECT_DOUBLE_EQ(age.mean(), 40.25);
  EXPECT_DOUBLE_EQ(age.variance(), 10.25 * 10.25);
  const FeatureProfile& city = p.features.at("city");
  EXPECT_EQ(city.kind, FeatureKind::categorical);
  EXPECT_EQ(city.counts, (std::map<std::string, std::uint64_t>{{"Oslo", 2}, {"Rome", 1}}));
  const FeatureProfile& vip = p.features.at("vip");
  EXPECT_EQ(vip.counts, (std::map<std::string, std::uint64_t>{{"false", 1}, {"true", 1}}));
  EXPECT_EQ(vip.missing, 1u);  // absent from the second row
  EXPECT_EQ(p.features.at("prediction.label").count, 2u);
  EXPECT_EQ(p.features.at("prediction.label").missing, 1u);
  EXPECT_DOUBLE_EQ(p.features.at("prediction.score").sum, 1.1);
}

TEST(FeatureProfile, NonFiniteHugeAndNestedValuesCountAsMissing) {
  ProfileBuilder b(1);
  b.add_row({{"x", std::numeric_limits<double>::quiet_NaN()}}, nullptr);
  b.add_row({{"x", std::numeric_limits<double>::infinity()}}, nullptr);
  b.add_row({{"x", 1e300}}, nullptr);
  b.add_row({{"x", json::array({1, 2})}}, nullptr);
  b.add_row({{"x", {{"a", 1}}}}, nullptr);
  b.add_row({{"x", 2}}, nullptr);
  const DatasetProfile p = std::move(b).finish();
  const FeatureProfile& x = p.features.at("x");
  EXPECT_EQ(x.kind, FeatureKind::numeric);
  EXPECT_EQ(x.count, 1u);
  EXPECT_EQ(x.missing, 5u);
  EXPECT_DOUBLE_EQ(x.sum_sq, 4);
}

TEST(FeatureProfile, NumbersThenAStringBecomeCategorical) {
  ProfileBuilder b(1);
  for (int i = 0; i < 1005; ++i) b.add_row({{"zip", i % 3}}, nullptr);
  b.add_row({{"zip", "A1"}}, nullptr);
  b.add_row({{"zip", 2.5}}, nullptr);
  const FeatureProfile f = std::move(b).finish().features.at("zip");
  EXPECT_EQ(f.kind, FeatureKind::categorical);
  EXPECT_TRUE(f.sample.empty());
  EXPECT_EQ(f.count, 1007u);
  // The sample's 1000 numbers by their text, the 5 it did not keep as "(number)".
  EXPECT_EQ(f.counts.at(kProfileNumberCategory), 5u);
  EXPECT_EQ(f.counts.at("0") + f.counts.at("1") + f.counts.at("2"), 1000u);
  EXPECT_EQ(f.counts.at("A1"), 1u);
  EXPECT_EQ(f.counts.at("2.5"), 1u);
}

TEST(FeatureProfile, HostileNamesAndManyCategoriesStayBounded) {
  ProfileBuilder b(1);
  const std::string huge(100000, 'a');
  b.add_row({{"s", huge}}, nullptr);
  // A two-byte character straddling the cut is dropped whole.
  b.add_row({{"s", std::string(255, 'b') + "\xC3\xA9" + "tail"}}, nullptr);
  for (int i = 0; i < 1000; ++i) b.add_row({{"s", "v" + std::to_string(i)}}, nullptr);
  b.add_row({{huge, 1}}, nullptr);
  const DatasetProfile p = std::move(b).finish();
  const FeatureProfile& s = p.features.at("s");
  EXPECT_TRUE(s.counts.contains(std::string(kProfileMaxCategoryBytes, 'a')));
  EXPECT_TRUE(s.counts.contains(std::string(255, 'b')));
  EXPECT_EQ(s.counts.size(), kProfileMaxCategories + 1);
  EXPECT_EQ(s.counts.at(kProfileOther), 1002u - kProfileMaxCategories);
  for (const auto& [name, n] : s.counts) EXPECT_LE(name.size(), kProfileMaxCategoryBytes);
  EXPECT_FALSE(p.features.contains(huge));
  EXPECT_EQ(p.ignored_values, 1u);
}

TEST(FeatureProfile, FeaturesBeyondTheCapAreIgnoredAndCounted) {
  json row = json::object();
  for (std::size_t i = 0; i < kProfileMaxFeatures + 20; ++i) row["f" + std::to_string(i)] = 1;
  ProfileBuilder b(1);
  b.add_row(row, nullptr);
  b.add_row(row, nullptr);
  const DatasetProfile p = std::move(b).finish();
  EXPECT_EQ(p.features.size(), kProfileMaxFeatures);
  EXPECT_EQ(p.ignored_values, 40u);
}

TEST(FeatureProfile, ReservoirIsBoundedDeterministicAndUniform) {
  const DatasetProfile a = numbers(0, 100000, 3), b = numbers(0, 100000, 3);
  const DatasetProfile c = numbers(0, 100000, 4);
  const FeatureProfile& x = a.features.at("x");
  EXPECT_EQ(x.sample.size(), kProfileSampleSize);
  EXPECT_EQ(x.sample, b.features.at("x").sample);
  EXPECT_NE(x.sample, c.features.at("x").sample);
  // A uniform sample of 0..99999: its median near 50000 (sd of the sample median ~ 1600).
  const double median = profile_quantiles(x, {0.5})[0];
  EXPECT_NEAR(median, 50000, 6000);
  EXPECT_DOUBLE_EQ(x.min, 0);
  EXPECT_DOUBLE_EQ(x.max, 99999);
}

TEST(FeatureProfile, QuantilesInterpolateLikeNumpy) {
  const DatasetProfile p = build({{{"features", {{"x", 4}}}},
                                  {{"features", {{"x", 1}}}},
                                  {{"features", {{"x", 3}}}},
                                  {{"features", {{"x", 2}}}}});
  // numpy.quantile([1, 2, 3, 4], [0, 0.25, 0.5, 0.9, 1]) = [1, 1.75, 2.5, 3.7, 4]
  const auto q = profile_quantiles(p.features.at("x"), {0, 0.25, 0.5, 0.9, 1, 1.5});
  EXPECT_DOUBLE_EQ(q[0], 1);
  EXPECT_DOUBLE_EQ(q[1], 1.75);
  EXPECT_DOUBLE_EQ(q[2], 2.5);
  EXPECT_DOUBLE_EQ(q[3], 3.7);
  EXPECT_DOUBLE_EQ(q[4], 4);
  EXPECT_TRUE(std::isnan(q[5]));
  EXPECT_TRUE(std::isnan(profile_quantiles(FeatureProfile{}, {0.5})[0]));
}

TEST(FeatureProfile, MergeAddsCountsAndMissingForOneSidedFeatures) {
  const DatasetProfile a =
      build({{{"features", {{"x", 1}, {"c", "u"}}}}, {{"features", {{"x", 3}, {"c", "v"}}}}});
  const DatasetProfile b = build({{{"features", {{"x", -2}, {"c", "u"}, {"only_b", 1}}}}});
  const DatasetProfile m = merge_profiles(a, b, 11);
  EXPECT_EQ(m.rows, 3u);
  const FeatureProfile& x = m.features.at("x");
  EXPECT_EQ(x.count, 3u);
  EXPECT_DOUBLE_EQ(x.sum, 2);
  EXPECT_DOUBLE_EQ(x.min, -2);
  EXPECT_DOUBLE_EQ(x.max, 3);
  EXPECT_EQ(x.sample, (std::vector<double>{1, 3, -2}));
  EXPECT_EQ(m.features.at("c").counts, (std::map<std::string, std::uint64_t>{{"u", 2}, {"v", 1}}));
  EXPECT_EQ(m.features.at("only_b").count, 1u);
  EXPECT_EQ(m.features.at("only_b").missing, 2u);
}

TEST(FeatureProfile, MergedReservoirIsProportionalToCounts) {
  // 90,000 values below 0 and 10,000 at or above 1,000,000: the merged sample keeps ~10% of the
  // second (binomial sd ~ 9.5 of 100).
  const DatasetProfile a = numbers(-90000, 0), b = numbers(1000000, 1010000);
  const DatasetProfile m = merge_profiles(a, b, 5);
  const FeatureProfile& x = m.features.at("x");
  EXPECT_EQ(x.sample.size(), kProfileSampleSize);
  std::size_t high = 0;
  for (const double v : x.sample) high += v >= 1000000 ? 1 : 0;
  EXPECT_NEAR(static_cast<double>(high), 100, 40);
  EXPECT_EQ(merge_profiles(a, b, 5), m);
  EXPECT_NE(merge_profiles(a, b, 6).features.at("x").sample, x.sample);
}

TEST(FeatureProfile, MergeOfNumericAndCategoricalIsCategorical) {
  const DatasetProfile a = build({{{"features", {{"k", 1}}}}, {{"features", {{"k", 2}}}}});
  const DatasetProfile b = build({{{"features", {{"k", "x"}}}}});
  const FeatureProfile k = merge_profiles(a, b, 1).features.at("k");
  EXPECT_EQ(k.kind, FeatureKind::categorical);
  EXPECT_EQ(k.counts, (std::map<std::string, std::uint64_t>{{"1", 1}, {"2", 1}, {"x", 1}}));
}

TEST(FeatureProfile, MergeCapsCategoriesKeepingTheMostFrequent) {
  ProfileBuilder ba(1), bb(1);
  for (int i = 0; i < 150; ++i) {
    ba.add_row({{"c", "a" + std::to_string(i)}}, nullptr);
    for (int r = 0; r < 2; ++r) bb.add_row({{"c", "b" + std::to_string(i)}}, nullptr);
  }
  const FeatureProfile c =
      merge_profiles(std::move(ba).finish(), std::move(bb).finish(), 1).features.at("c");
  EXPECT_EQ(c.counts.size(), kProfileMaxCategories + 1);
  EXPECT_EQ(c.counts.at("b149"), 2u);  // every b (2 each) kept, 50 of the a's
  EXPECT_EQ(c.counts.at(kProfileOther), 100u);
  EXPECT_EQ(c.count, 450u);
}

TEST(FeatureProfile, CategoryCountsOfANumericFeature) {
  EXPECT_EQ(profile_number_text(3), "3");
  EXPECT_EQ(profile_number_text(0.1), "0.1");
  EXPECT_EQ(profile_number_text(1e20), "1e+20");
  const DatasetProfile small = build({{{"features", {{"x", 1}}}}, {{"features", {{"x", 1.5}}}}});
  EXPECT_EQ(category_counts(small.features.at("x")),
            (std::map<std::string, std::uint64_t>{{"1", 1}, {"1.5", 1}}));
  ProfileBuilder b(1);
  for (int i = 0; i < 1200; ++i) b.add_row({{"x", i % 3}}, nullptr);
  const auto big = category_counts(std::move(b).finish().features.at("x"));
  EXPECT_EQ(big.at(kProfileNumberCategory), 200u);  // the values the sample did not keep
  EXPECT_EQ(big.at("0") + big.at("1") + big.at("2"), 1000u);
  const FeatureProfile cat = build({{{"features", {{"c", "u"}}}}}).features.at("c");
  EXPECT_EQ(category_counts(cat), cat.counts);
}

TEST(FeatureProfile, JsonRoundTrip) {
  const DatasetProfile p = merge_profiles(
      numbers(0, 2000), build({{{"features", {{"c", "u"}}}, {"prediction", {{"label", "y"}}}}}), 2);
  const json j = profile_to_json(p);
  EXPECT_EQ(j["features"]["x"]["kind"], "numeric");
  EXPECT_EQ(j["features"]["c"]["counts"]["u"], 1);
  EXPECT_EQ(profile_from_json(j), p);
  EXPECT_EQ(profile_from_json(json::parse(j.dump())), p);
}

TEST(FeatureProfile, JsonRefusesBadShapes) {
  const json good = profile_to_json(build({{{"features", {{"x", 1}, {"c", "u"}}}}}));
  const auto refused = [&](const std::function<void(json&)>& change) {
    json j = good;
    change(j);
    EXPECT_THROW(profile_from_json(j), std::invalid_argument) << j.dump();
  };
  EXPECT_NO_THROW(profile_from_json(good));
  refused([](json& j) { j = json::array(); });
  refused([](json& j) { j["rows"] = -1; });
  refused([](json& j) { j.erase("features"); });
  refused([](json& j) { j["features"]["x"]["kind"] = "text"; });
  refused([](json& j) { j["features"]["x"]["missing"] = 1; });
  refused([](json& j) { j["features"]["x"]["sum"] = "1"; });
  refused([](json& j) { j["features"]["x"]["sample"] = json::array({1, 2}); });
  refused([](json& j) { j["features"]["x"]["sample"] = json::array({nullptr}); });
  refused([](json& j) { j["features"]["c"]["counts"]["u"] = 2; });
  refused([](json& j) { j["features"]["c"]["counts"]["w"] = 18446744073709551615ULL; });
  refused([](json& j) { j["features"]["c"]["counts"] = json::array(); });
  refused([](json& j) { j["features"][std::string(300, 'n')] = j["features"]["x"]; });
}

}  // namespace
}  // namespace mlgate::core
