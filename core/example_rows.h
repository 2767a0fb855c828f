// Which examples of predictions.jsonl an example metric (core/example_metrics.h) reads: those with
// a truth, those of one slice group, and the pairs a candidate and its baseline share. Pure.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/results.h"

namespace mlgate::core {

using ExampleRows = std::vector<const Prediction*>;

// The rows that carry a truth, in their order.
ExampleRows rows_with_truth(const std::vector<Prediction>& predictions);

// One group of a slice feature: the rows whose slices.<key> is value.
struct SliceGroup {
  std::string value;
  ExampleRows rows;  // in the order of the input
};

// The groups of slices.<key>, by value in byte order. A row without that key is in no group.
std::vector<SliceGroup> group_by_slice(std::span<const Prediction* const> rows,
                                       std::string_view key);

// The examples a candidate and its baseline both have, with a truth on both sides and the same
// truth, aligned: candidate[i] and baseline[i] have the same id. In id order.
struct PairedRows {
  ExampleRows candidate;
  ExampleRows baseline;
  std::size_t candidate_only = 0;  // ids with a truth only in the candidate's file
  std::size_t baseline_only = 0;   // ... only in the baseline's
  std::size_t truth_differs = 0;   // ids in both whose truths differ (left out)
};
PairedRows pair_by_id(const std::vector<Prediction>& candidate,
                      const std::vector<Prediction>& baseline);

}  // namespace mlgate::core
