#include "core/rubric.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <string>

namespace mlgate::core {
namespace {

TEST(Rubric, HasTwentyEightItemsSevenPerSection) {
  auto items = rubric_items();
  ASSERT_EQ(items.size(), 28u);
  std::set<std::string_view> ids;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const RubricItem& item = items[i];
    EXPECT_EQ(item.section, kRubricSections[i / 7]);
    EXPECT_EQ(item.number, static_cast<int>(i % 7) + 1);
    EXPECT_EQ(std::string(item.id),
              std::string(section_id(item.section)) + "-" + std::to_string(item.number));
    EXPECT_FALSE(item.title.empty());
    EXPECT_EQ(item.title.back(), '.');
    ids.insert(item.id);
  }
  EXPECT_EQ(ids.size(), 28u);
}

TEST(Rubric, TitlesFromThePaper) {
  EXPECT_EQ(find_item("data-1")->title, "Feature expectations are captured in a schema.");
  EXPECT_EQ(find_item("data-5")->title, "The data pipeline has appropriate privacy controls.");
  EXPECT_EQ(find_item("model-1")->title, "Model specs are reviewed and submitted.");
  EXPECT_EQ(find_item("model-6")->title, "Model quality is sufficient on important data slices.");
  EXPECT_EQ(find_item("infra-1")->title, "Training is reproducible.");
  EXPECT_EQ(find_item("infra-7")->title, "Serving models can be rolled back.");
  EXPECT_EQ(find_item("monitor-1")->title, "Dependency changes result in notification.");
  EXPECT_EQ(find_item("monitor-7")->title, "Prediction quality has not regressed.");
}

TEST(Rubric, SectionTitles) {
  EXPECT_EQ(section_title(RubricSection::data), "Tests for Features and Data");
  EXPECT_EQ(section_title(RubricSection::model), "Tests for Model Development");
  EXPECT_EQ(section_title(RubricSection::infra), "Tests for ML Infrastructure");
  EXPECT_EQ(section_title(RubricSection::monitor), "Monitoring Tests for ML");
  EXPECT_EQ(section_id(RubricSection::monitor), "monitor");
}

TEST(Rubric, IdsAreExact) {
  EXPECT_TRUE(is_rubric_id("data-1"));
  EXPECT_TRUE(is_rubric_id("monitor-7"));
  EXPECT_FALSE(is_rubric_id("data-0"));
  EXPECT_FALSE(is_rubric_id("data-8"));
  EXPECT_FALSE(is_rubric_id("Data-1"));
  EXPECT_FALSE(is_rubric_id("data1"));
  EXPECT_FALSE(is_rubric_id("data-1 "));
  EXPECT_FALSE(is_rubric_id("monitoring-1"));
  EXPECT_FALSE(is_rubric_id(""));
  EXPECT_EQ(find_item("nope"), nullptr);
  ASSERT_NE(find_item("infra-3"), nullptr);
  EXPECT_EQ(find_item("infra-3")->section, RubricSection::infra);
  EXPECT_EQ(find_item("infra-3")->number, 3);
}

TEST(Rubric, ScoreBandsFollowThePaper) {
  const auto research = "More of a research project than a productionized system.";
  EXPECT_EQ(score_band(0.0), research);
  EXPECT_EQ(score_band(-1.0), research);
  EXPECT_EQ(score_band(std::nan("")), research);
  EXPECT_EQ(score_band(0.5), score_band(1.0));
  EXPECT_NE(score_band(0.5).find("Not totally untested"), std::string_view::npos);
  EXPECT_NE(score_band(1.5).find("first pass at basic productionization"), std::string_view::npos);
  EXPECT_EQ(score_band(1.5), score_band(2.0));
  EXPECT_NE(score_band(2.5).find("Reasonably tested"), std::string_view::npos);
  EXPECT_EQ(score_band(2.5), score_band(3.0));
  EXPECT_NE(score_band(3.5).find("mission-critical"), std::string_view::npos);
  EXPECT_EQ(score_band(3.5), score_band(5.0));
  EXPECT_EQ(score_band(5.5), "Exceptional levels of automated testing and monitoring.");
  EXPECT_EQ(score_band(7.0), score_band(5.5));
  EXPECT_NE(score_band(1.0), score_band(1.0001));
  EXPECT_NE(score_band(5.0), score_band(5.0001));
}

}  // namespace
}  // namespace mlgate::core
