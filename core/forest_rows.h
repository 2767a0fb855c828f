// What the pipeline page draws (core/forest_svg.h), read from a stored gate decision and the
// compared metrics: one forest row per checked global metric that has a baseline, one bar per
// slice. Pure view logic, next to core/pipeline_view.h.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/forest_svg.h"
#include "core/pipeline_view.h"

namespace mlgate::core {

// The limits a check's threshold text names ("min 0.9, max_drop 1%, max_increase 0.5"), as
// changes from `baseline`: max_drop X at -X (X% of |baseline| when a percentage), max_increase X at
// +X, min and max at their value minus the baseline. Other parts (max_spread, max_gap) are not
// drawn.
std::vector<PlotMark> change_marks(std::string_view threshold, double baseline);

// `min X` of a threshold text, if it names one.
std::optional<double> threshold_min(std::string_view threshold);

// The decision whose checks the page draws: the first for `environment`, else the first.
const StoredDecision* plotted_decision(const std::vector<StoredDecision>& decisions,
                                       const std::string& environment);

// A row per metric check with a value and a baseline: the change, its interval (the change's
// when the check has one; else the value's, moved by the baseline), its limits and status. Two
// checks of one metric are told apart by their threshold's first word.
std::vector<ForestRow> forest_rows(const std::vector<StoredCheck>& checks);

// A bar per slice of the comparison ("recall age_group=<30"), with the check's min and status.
std::vector<SliceBar> slice_bars(const std::vector<MetricComparison>& slices);

}  // namespace mlgate::core
