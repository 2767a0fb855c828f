// The metric changes of a gate decision drawn for the pipeline page (docs/pages.md): a forest plot
// (one row per checked metric: a point at the change against the baseline, a line for its
// interval, a vertical zero line and each threshold marked) and the slice values as bars with their
// `min` marked. Pure: rows in, markup out. Every text that reaches the markup is XML-escaped here
// (metric and slice names come from results uploaded by jobs), so the caller may insert the result
// into an HTML page unescaped. The SVGs scale to their container (viewBox, width 100%).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace mlgate::core {

// A threshold in the units of the axis it is drawn on, with its text ("max_drop 1%").
struct PlotMark {
  double at = 0;
  std::string label;
};

// One checked metric: candidate minus baseline, its interval (both bounds or neither) and where
// its thresholds lie on the same axis. status: pass | fail | inconclusive; anything else is drawn
// neutral.
struct ForestRow {
  std::string label;
  double delta = 0;  // not finite: the row is left out
  std::optional<double> lower;
  std::optional<double> upper;
  std::vector<PlotMark> thresholds;
  std::string status;
};

// One slice's value with its `min` (when checked) and the check's status ("" when unchecked).
struct SliceBar {
  std::string label;
  std::string metric;  // bars of one metric share a scale
  double value = 0;    // not finite: the bar is left out
  std::optional<double> min;
  std::string status;
};

struct PlotOptions {
  int width = 640;        // the viewBox; the plot scales to its container (width 100%)
  int label_width = 190;  // the left column holding the row labels
  int row_height = 22;
  std::size_t max_rows = 30;  // rows past this are counted in a last line ("and 3 more")
};

// The forest plot: zero at one x for every row, each row on its own scale symmetric about zero
// spanning its delta, bounds and thresholds (metrics of different units side by side), its delta
// printed at the right. Each row is a <g
// class="row STATUS"> with a <title> giving its numbers in words; the point is a circle (pass), a
// square (fail), a diamond (inconclusive) or a circle of class "other"; the interval a line of
// class "interval"; each threshold a dashed line of class "threshold". With no finite row the plot
// says "no metric change to draw".
std::string forest_svg(const std::vector<ForestRow>& rows, const PlotOptions& options = {});

// The slice bars: bars from zero (or the smallest value, when a value is negative) to the value,
// one scale per metric, coloured by status, a tick of class "min" at each bar's min, the value
// printed at the right. Empty: "no slice value to draw".
std::string slice_bars_svg(const std::vector<SliceBar>& bars, const PlotOptions& options = {});

}  // namespace mlgate::core
