#include "core/rubric.h"

#include <cmath>

namespace mlgate::core {
namespace {

using S = RubricSection;

constexpr std::array<RubricItem, 28> kItems{{
    {"data-1", S::data, 1, "Feature expectations are captured in a schema."},
    {"data-2", S::data, 2, "All features are beneficial."},
    {"data-3", S::data, 3, "No feature's cost is too much."},
    {"data-4", S::data, 4, "Features adhere to meta-level requirements."},
    {"data-5", S::data, 5, "The data pipeline has appropriate privacy controls."},
    {"data-6", S::data, 6, "New features can be added quickly."},
    {"data-7", S::data, 7, "All input feature code is tested."},
    {"model-1", S::model, 1, "Model specs are reviewed and submitted."},
    {"model-2", S::model, 2, "Offline and online metrics correlate."},
    {"model-3", S::model, 3, "All hyperparameters have been tuned."},
    {"model-4", S::model, 4, "The impact of model staleness is known."},
    {"model-5", S::model, 5, "A simpler model is not better."},
    {"model-6", S::model, 6, "Model quality is sufficient on important data slices."},
    {"model-7", S::model, 7, "The model is tested for considerations of inclusion."},
    {"infra-1", S::infra, 1, "Training is reproducible."},
    {"infra-2", S::infra, 2, "Model specs are unit tested."},
    {"infra-3", S::infra, 3, "The ML pipeline is integration tested."},
    {"infra-4", S::infra, 4, "Model quality is validated before serving."},
    {"infra-5", S::infra, 5, "The model is debuggable."},
    {"infra-6", S::infra, 6, "Models are canaried before serving."},
    {"infra-7", S::infra, 7, "Serving models can be rolled back."},
    {"monitor-1", S::monitor, 1, "Dependency changes result in notification."},
    {"monitor-2", S::monitor, 2, "Data invariants hold for inputs."},
    {"monitor-3", S::monitor, 3, "Training and serving are not skewed."},
    {"monitor-4", S::monitor, 4, "Models are not too stale."},
    {"monitor-5", S::monitor, 5, "Models are numerically stable."},
    {"monitor-6", S::monitor, 6, "Computing performance has not regressed."},
    {"monitor-7", S::monitor, 7, "Prediction quality has not regressed."},
}};

}  // namespace

std::span<const RubricItem> rubric_items() {
  return kItems;
}

std::string_view section_id(RubricSection section) {
  switch (section) {
    case S::data:
      return "data";
    case S::model:
      return "model";
    case S::infra:
      return "infra";
    case S::monitor:
      return "monitor";
  }
  return "unknown";
}

std::string_view section_title(RubricSection section) {
  switch (section) {
    case S::data:
      return "Tests for Features and Data";
    case S::model:
      return "Tests for Model Development";
    case S::infra:
      return "Tests for ML Infrastructure";
    case S::monitor:
      return "Monitoring Tests for ML";
  }
  return "unknown";
}

const RubricItem* find_item(std::string_view id) {
  for (const RubricItem& item : kItems) {
    if (item.id == id) return &item;
  }
  return nullptr;
}

bool is_rubric_id(std::string_view id) {
  return find_item(id) != nullptr;
}

std::string_view score_band(double final_score) {
  if (std::isnan(final_score) || final_score <= 0.0) {
    return "More of a research project than a productionized system.";
  }
  if (final_score <= 1.0) {
    return "Not totally untested, but it is worth considering the possibility of serious holes in "
           "reliability.";
  }
  if (final_score <= 2.0) {
    return "There's been first pass at basic productionization, but additional investment may be "
           "needed.";
  }
  if (final_score <= 3.0) {
    return "Reasonably tested, but it's possible that more of those tests and procedures may be "
           "automated.";
  }
  if (final_score <= 5.0) {
    return "Strong levels of automated testing and monitoring, appropriate for mission-critical "
           "systems.";
  }
  return "Exceptional levels of automated testing and monitoring.";
}

}  // namespace mlgate::core
