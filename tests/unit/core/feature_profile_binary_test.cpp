// core/feature_profile_binary.h: the bytes the observation intake stores round-trip exactly (the
// same profile as the JSON round trip gives), and bytes that are cut, padded or inconsistent are
// refused with a message rather than read.
#include "core/feature_profile_binary.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

namespace mlgate::core {
namespace {

using nlohmann::json;

DatasetProfile mixed() {
  ProfileBuilder b(11);
  for (int i = 0; i < 1500; ++i)
    b.add_row({{"x", i * 0.37 - 100},
               {"city", i % 3 == 0 ? "Oslo" : "Rome"},
               {"vip", i % 2 == 0},
               {"gone", nullptr}},
              nullptr);
  json prediction = {{"label", "yes"}, {"score", 0.25}};
  b.add_row({{"x", 1e-300}}, &prediction);
  return std::move(b).finish();
}

TEST(FeatureProfileBinary, RoundTripsExactlyLikeJson) {
  const DatasetProfile p = mixed();
  ASSERT_EQ(p.features.at("x").sample.size(), kProfileSampleSize);
  const DatasetProfile back = profile_from_binary(profile_to_binary(p));
  EXPECT_EQ(back, p);
  EXPECT_EQ(back, profile_from_json(profile_to_json(p)));
  EXPECT_EQ(profile_from_binary(profile_to_binary(DatasetProfile{})), DatasetProfile{});
}

TEST(FeatureProfileBinary, RefusesCutPaddedOrForeignBytes) {
  const std::string bytes = profile_to_binary(mixed());
  for (std::size_t cut :
       {std::size_t{0}, std::size_t{3}, std::size_t{20}, bytes.size() / 2, bytes.size() - 1})
    EXPECT_THROW(profile_from_binary(bytes.substr(0, cut)), std::invalid_argument) << cut;
  EXPECT_THROW(profile_from_binary(bytes + "x"), std::invalid_argument);
  EXPECT_THROW(profile_from_binary("{\"rows\": 0}"), std::invalid_argument);
}

TEST(FeatureProfileBinary, RefusesInconsistentProfiles) {
  auto refuses = [](DatasetProfile p, const std::string& why) {
    try {
      profile_from_binary(profile_to_binary(p));
      ADD_FAILURE() << "accepted: " << why;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(why), std::string::npos) << e.what();
    }
  };
  DatasetProfile p = mixed();
  p.features.at("x").missing += 1;
  refuses(p, "count + missing != rows");
  p = mixed();
  p.features.at("x").sample.pop_back();
  refuses(p, "the sample holds");
  p = mixed();
  p.features.at("x").sum = std::numeric_limits<double>::infinity();
  refuses(p, "not finite");
  p = mixed();
  p.features.at("city").counts["Oslo"] += 1;
  refuses(p, "exceed count");
  p = mixed();
  p.features.at("city").counts["Rome"] -= 1;
  refuses(p, "do not add up");
  p = mixed();
  FeatureProfile empty;
  empty.missing = p.rows;
  p.features[std::string(kProfileMaxCategoryBytes + 1, 'n')] = empty;
  refuses(p, "too long");
}

}  // namespace
}  // namespace mlgate::core
