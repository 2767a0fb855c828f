#include "core/forest_svg.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "core/trend_svg.h"

namespace mlgate::core {
namespace {

constexpr double kTop = 8;    // room above the first row
constexpr double kAxis = 16;  // room below the last row for the axis' numbers
constexpr std::size_t kLabelChars = 30;
constexpr double kValueWidth = 64;  // the right column holding each row's number

std::string coord(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

// A label as drawn: at most kLabelChars bytes (cut at a UTF-8 boundary) and an ellipsis; the
// whole label stays in the row's <title>.
std::string short_label(const std::string& label) {
  if (label.size() <= kLabelChars) return xml_escape(label);
  std::size_t cut = kLabelChars;
  while (cut > 0 && (static_cast<unsigned char>(label[cut]) & 0xC0) == 0x80) --cut;
  return xml_escape(label.substr(0, cut)) + "\u2026";
}

// The x axis: values in [lo, hi] onto [left, right], with 5% room on each side.
struct Axis {
  double lo = 0;
  double hi = 0;
  double left = 0;
  double right = 0;

  void include(double v) {
    if (!std::isfinite(v)) return;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  void pad() {
    if (hi == lo) {
      lo -= 1;
      hi += 1;
    }
    const double room = (hi - lo) * 0.05;
    lo -= room;
    hi += room;
  }
  double x(double v) const { return left + (right - left) * (v - lo) / (hi - lo); }
};

std::string svg_open(const char* cls, double w, double h, const std::string& label) {
  return std::string("<svg class=\"") + cls +
         "\" xmlns=\"http://www.w3.org/2000/svg\" width=\"100%\" viewBox=\"0 0 " + coord(w) + " " +
         coord(h) + "\" role=\"img\" aria-label=\"" + label + "\"><title>" + label + "</title>";
}

std::string empty_svg(const char* cls, const PlotOptions& o, const char* text) {
  const double w = o.width;
  return svg_open(cls, w, 40, text) + "<text class=\"empty\" x=\"" + coord(w / 2) +
         "\" y=\"24\" text-anchor=\"middle\">" + text + "</text></svg>";
}

std::string vline(const char* cls, double x, double y0, double y1) {
  return std::string("<line class=\"") + cls + "\" x1=\"" + coord(x) + "\" y1=\"" + coord(y0) +
         "\" x2=\"" + coord(x) + "\" y2=\"" + coord(y1) + "\"/>";
}

// The number at a row's right end.
std::string value_text(const PlotOptions& o, double y, double v) {
  return "<text class=\"num\" x=\"" + coord(o.width - 4.0) + "\" y=\"" + coord(y + 4) +
         "\" text-anchor=\"end\">" + xml_escape(format_number(v)) + "</text>";
}

std::string status_class(const std::string& status) {
  if (status == "pass" || status == "fail" || status == "inconclusive") return status;
  return "other";
}

// The point's shape by status: circle, square, diamond.
std::string point_shape(const std::string& cls, double x, double y) {
  if (cls == "fail")
    return "<rect class=\"point\" x=\"" + coord(x - 4) + "\" y=\"" + coord(y - 4) +
           "\" width=\"8\" height=\"8\" data-x=\"" + coord(x) + "\"/>";
  if (cls == "inconclusive")
    return "<polygon class=\"point\" points=\"" + coord(x) + "," + coord(y - 5) + " " +
           coord(x + 5) + "," + coord(y) + " " + coord(x) + "," + coord(y + 5) + " " +
           coord(x - 5) + "," + coord(y) + "\" data-x=\"" + coord(x) + "\"/>";
  return "<circle class=\"point\" cx=\"" + coord(x) + "\" cy=\"" + coord(y) +
         "\" r=\"4\" data-x=\"" + coord(x) + "\"/>";
}

// A row's own scale, symmetric about zero so that zero is at one x in every row: metrics of
// different units (a rate, milliseconds) stay readable side by side.
Axis row_axis(const ForestRow& r, const PlotOptions& o) {
  Axis a{.left = static_cast<double>(o.label_width), .right = o.width - kValueWidth};
  a.include(r.delta);
  if (r.lower) a.include(*r.lower);
  if (r.upper) a.include(*r.upper);
  for (const auto& m : r.thresholds) a.include(m.at);
  const double s = std::max(-a.lo, a.hi);
  a.lo = -s;
  a.hi = s;
  a.pad();
  return a;
}

// "accuracy: change -0.042, interval [-0.06, -0.021], max_drop 1% at -0.0093, fail".
std::string row_title(const ForestRow& r) {
  std::string t = r.label + ": change " + format_number(r.delta);
  if (r.lower && r.upper)
    t += ", interval [" + format_number(*r.lower) + ", " + format_number(*r.upper) + "]";
  for (const auto& m : r.thresholds) t += ", " + m.label + " at " + format_number(m.at);
  if (!r.status.empty()) t += ", " + r.status;
  return xml_escape(t);
}

std::string forest_row(const ForestRow& r, const PlotOptions& o, double y) {
  const Axis a = row_axis(r, o);
  const double h = o.row_height;
  const std::string cls = status_class(r.status);
  std::string out = "<g class=\"row " + cls + "\"><title>" + row_title(r) + "</title>";
  out += "<text class=\"label\" x=\"4\" y=\"" + coord(y + 4) + "\">" + short_label(r.label) +
         "</text>";
  for (const auto& m : r.thresholds)
    if (std::isfinite(m.at)) out += vline("threshold", a.x(m.at), y - h / 2 + 2, y + h / 2 - 2);
  if (r.lower && r.upper && std::isfinite(*r.lower) && std::isfinite(*r.upper))
    out += "<line class=\"interval\" x1=\"" + coord(a.x(*r.lower)) + "\" y1=\"" + coord(y) +
           "\" x2=\"" + coord(a.x(*r.upper)) + "\" y2=\"" + coord(y) + "\"/>";
  out += point_shape(cls, a.x(r.delta), y);
  return out + value_text(o, y, r.delta) + "</g>";
}

std::string more_line(std::size_t more, double x, double y) {
  return "<text class=\"more\" x=\"" + coord(x) + "\" y=\"" + coord(y) + "\">and " +
         std::to_string(more) + " more (the tables below)</text>";
}

}  // namespace

std::string forest_svg(const std::vector<ForestRow>& rows, const PlotOptions& o) {
  std::vector<const ForestRow*> kept;
  for (const auto& r : rows)
    if (std::isfinite(r.delta)) kept.push_back(&r);
  if (kept.empty()) return empty_svg("forest", o, "no metric change to draw");
  const std::size_t shown = std::min(kept.size(), o.max_rows);
  const std::size_t more = kept.size() - shown;
  const double rh = o.row_height;
  const double rows_h = rh * static_cast<double>(shown + (more ? 1 : 0));
  const double h = kTop + rows_h + kAxis;
  std::string out = svg_open(
      "forest", o.width, h,
      "change against the baseline of " + std::to_string(kept.size()) + " checked metrics");
  const double zero = (o.label_width + o.width - kValueWidth) / 2;
  out += vline("zero", zero, kTop / 2, kTop + rows_h);
  out += "<text class=\"axis\" x=\"" + coord(zero) + "\" y=\"" + coord(h - 4) +
         "\" text-anchor=\"middle\">0 (each row on its own scale)</text>";
  for (std::size_t i = 0; i < shown; ++i)
    out += forest_row(*kept[i], o, kTop + rh * (static_cast<double>(i) + 0.5));
  if (more) out += more_line(more, 4, kTop + rh * (static_cast<double>(shown) + 0.5) + 4);
  return out + "</svg>";
}

namespace {

std::string bar_row(const SliceBar& b, const Axis& a, const PlotOptions& o, double y) {
  const double h = o.row_height;
  const std::string cls = b.status.empty() ? "unchecked" : status_class(b.status);
  std::string title = b.label + ": " + format_number(b.value);
  if (b.min) title += ", min " + format_number(*b.min);
  if (!b.status.empty()) title += ", " + b.status;
  std::string out = "<g class=\"bar " + cls + "\"><title>" + xml_escape(title) + "</title>";
  out += "<text class=\"label\" x=\"4\" y=\"" + coord(y + 4) + "\">" + short_label(b.label) +
         "</text>";
  const double base = a.x(std::max(a.lo, 0.0));
  const double end = a.x(b.value);
  out += "<rect class=\"value\" x=\"" + coord(std::min(base, end)) + "\" y=\"" + coord(y - h / 3) +
         "\" width=\"" + coord(std::fabs(end - base)) + "\" height=\"" + coord(h * 2 / 3) + "\"/>";
  if (b.min && std::isfinite(*b.min))
    out += vline("min", a.x(*b.min), y - h / 2 + 1, y + h / 2 - 1);
  return out + value_text(o, y, b.value) + "</g>";
}

}  // namespace

std::string slice_bars_svg(const std::vector<SliceBar>& bars, const PlotOptions& o) {
  std::vector<const SliceBar*> kept;
  for (const auto& b : bars)
    if (std::isfinite(b.value)) kept.push_back(&b);
  if (kept.empty()) return empty_svg("slice-bars", o, "no slice value to draw");
  const std::size_t shown = std::min(kept.size(), o.max_rows);
  const std::size_t more = kept.size() - shown;
  // One scale per metric: its bars compare, another metric's units do not squash them.
  std::map<std::string, Axis> axes;
  for (std::size_t i = 0; i < shown; ++i) {
    auto [it, fresh] = axes.try_emplace(kept[i]->metric);
    if (fresh)
      it->second = {.left = static_cast<double>(o.label_width), .right = o.width - kValueWidth};
    it->second.include(kept[i]->value);
    if (kept[i]->min) it->second.include(*kept[i]->min);
  }
  for (auto& [_, a] : axes) a.pad();
  const double rh = o.row_height;
  const double rows_h = rh * static_cast<double>(shown + (more ? 1 : 0));
  const double h = kTop + rows_h + kAxis;
  std::string out =
      svg_open("slice-bars", o.width, h, "values of " + std::to_string(kept.size()) + " slices");
  for (std::size_t i = 0; i < shown; ++i)
    out +=
        bar_row(*kept[i], axes.at(kept[i]->metric), o, kTop + rh * (static_cast<double>(i) + 0.5));
  if (more) out += more_line(more, 4, kTop + rh * (static_cast<double>(shown) + 0.5) + 4);
  return out + "</svg>";
}

}  // namespace mlgate::core
