// The 28 items of the ML Test Score (Breck, Cai, Nielsen, Salib, Sculley: "The ML Test Score: A
// Rubric for ML Production Readiness and Technical Debt Reduction", IEEE Big Data 2017). Pure data.
#pragma once

#include <array>
#include <span>
#include <string_view>

namespace mlgate::core {

enum class RubricSection { data, model, infra, monitor };

inline constexpr std::array<RubricSection, 4> kRubricSections{
    RubricSection::data, RubricSection::model, RubricSection::infra, RubricSection::monitor};

struct RubricItem {
  std::string_view id;  // "data-1" ... "monitor-7"
  RubricSection section;
  int number;              // 1..7 within the section
  std::string_view title;  // the paper's short title, e.g. "Training is reproducible."
};

inline constexpr int kRubricItemsPerSection = 7;

// All 28 items, section by section (data, model, infra, monitor), numbers ascending.
std::span<const RubricItem> rubric_items();

// "data", "model", "infra", "monitor": the prefix of the item ids.
std::string_view section_id(RubricSection section);
// The paper's titles: "Tests for Features and Data", "Tests for Model Development",
// "Tests for ML Infrastructure", "Monitoring Tests for ML".
std::string_view section_title(RubricSection section);

// Exact, case-sensitive ids: "data-1" is one, "Data-1" and "data-8" are not.
bool is_rubric_id(std::string_view id);
const RubricItem* find_item(std::string_view id);

// The paper's interpretation of a final ML Test Score (the minimum of the four section sums):
// <= 0, (0,1], (1,2], (2,3], (3,5], > 5. A NaN score is treated as 0.
std::string_view score_band(double final_score);

}  // namespace mlgate::core
