// A metric's trend across the last commits of a branch, as a small inline SVG line plot for the
// repository page (docs/pages.md). Pure: values in, markup out. Every text that reaches the
// markup (metric name, labels, marks) is XML-escaped here, so the caller may insert the result
// into an HTML page unescaped.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mlgate::core {

struct TrendPoint {
  std::string label;  // what the point stands for, e.g. a short commit id ("3f2a9c1d")
  double value = 0;   // NaN or infinite: the point is left out of the plot
  std::string mark;   // non-empty: the point is highlighted with this text ("deployed: production")
};

struct TrendOptions {
  int width = 320;  // the viewBox; the plot scales to its container (width 100%)
  int height = 120;
  int padding = 14;  // room for the min/max labels and the marker rings
};

// A line through the finite points in the given order (oldest first), scaled so that the smallest
// value sits at the bottom and the largest at the top (all-equal values: a flat line in the
// middle; one point: a dot in the middle). Each point is a circle with a <title> "label: value";
// marked points get a ring, the class "mark" and their mark text in the title. The y range (min
// and max) is written at the left. With no finite point at all, the plot says "no data".
std::string trend_svg(std::string_view metric, const std::vector<TrendPoint>& points,
                      const TrendOptions& options = {});

// &, <, >, " and ' as entities; usable in element text and attribute values.
std::string xml_escape(std::string_view text);

// A number as the pages print it: up to 4 significant digits after trimming ("0.9312", "12",
// "1.5e+06"); "NaN", "Infinity", "-Infinity" for non-finite values.
std::string format_number(double value);

}  // namespace mlgate::core
