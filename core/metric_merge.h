// How reported metrics are merged before anything compares them (docs/gate.md, "What the gate
// reads"): a pipeline's results are every judged job's results concatenated in tier order, and a
// number reported more than once counts with its LAST value while keeping the place of its first
// appearance. The gate engine and the pipeline page both read metrics through this merge. Pure.
#pragma once

#include <string>
#include <vector>

#include "core/results.h"

namespace mlgate::core {

struct MergedMetrics {
  // One per name, in order of first appearance, each the last reported value. Point into the
  // merged vector.
  std::vector<const Metric*> globals;
  // One per (name, slice_key, slice_value), same rule.
  std::vector<const Metric*> slices;
};
MergedMetrics merge_metrics(const std::vector<Metric>& metrics);

// A slice metric's name as the gate's slice checks spell it: "recall[age_group=<30]".
std::string slice_label(const Metric& m);

}  // namespace mlgate::core
