// The examples whose label a candidate's predictions changed, as the gate's flip_rate check shows
// them (docs/gate.md "Predictions"): a few, chosen by id so that the same predictions always show
// the same examples, each with both labels and the true label when the job reported one. Pure.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "core/results.h"

namespace mlgate::core {

// How many flipped examples a flip_rate check carries, and how long each of their texts may be
// (bytes, cut on a UTF-8 boundary).
inline constexpr std::size_t kFlippedExamplesMax = 5;
inline constexpr std::size_t kFlippedTextMax = 200;

struct FlippedExample {
  std::string id;
  std::string baseline;              // the deployed commit's label ("" when it had none)
  std::string candidate;             // the candidate's label ("" when it has none)
  std::optional<std::string> truth;  // the candidate's truth, else the baseline's; none unknown
};

// One id's predictions as the gate compared them: the candidate's and the baseline's.
struct PredictionPair {
  const Prediction* candidate = nullptr;
  const Prediction* baseline = nullptr;
};

// Of `pairs` (one per id), those whose labels differ, the `limit` with the smallest ids in byte
// order, in that order. The result does not depend on the pairs' order.
std::vector<FlippedExample> flipped_examples(std::vector<PredictionPair> pairs,
                                             std::size_t limit = kFlippedExamplesMax);

}  // namespace mlgate::core
