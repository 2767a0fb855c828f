#include "core/trend_svg.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace mlgate::core {
namespace {

// Coordinates with two decimals: short, and stable across platforms.
std::string coord(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

}  // namespace

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string format_number(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "Infinity" : "-Infinity";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", value);
  return buf;
}

std::string trend_svg(std::string_view metric, const std::vector<TrendPoint>& points,
                      const TrendOptions& options) {
  const double w = options.width;
  const double h = options.height;
  const double pad = options.padding;
  const std::string name = xml_escape(metric);

  struct Kept {
    std::size_t index;  // position in the input: x follows commit order, gaps included
    const TrendPoint* point;
  };
  std::vector<Kept> kept;
  for (std::size_t i = 0; i < points.size(); ++i)
    if (std::isfinite(points[i].value)) kept.push_back({i, &points[i]});

  std::string out = "<svg class=\"trend\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " +
                    coord(w) + " " + coord(h) + "\" role=\"img\" aria-label=\"" + name +
                    " across " + std::to_string(kept.size()) + " commits\"><title>" + name +
                    "</title>";
  out += "<rect class=\"frame\" x=\"0.5\" y=\"0.5\" width=\"" + coord(w - 1) + "\" height=\"" +
         coord(h - 1) + "\" fill=\"none\"/>";
  if (kept.empty()) {
    out += "<text class=\"empty\" x=\"" + coord(w / 2) + "\" y=\"" + coord(h / 2) +
           "\" text-anchor=\"middle\">no data</text></svg>";
    return out;
  }

  double lo = kept.front().point->value;
  double hi = lo;
  for (const auto& k : kept) {
    lo = std::min(lo, k.point->value);
    hi = std::max(hi, k.point->value);
  }
  const std::size_t slots = points.size();
  auto x_of = [&](std::size_t index) {
    if (slots <= 1) return w / 2;
    return pad + (w - 2 * pad) * static_cast<double>(index) / static_cast<double>(slots - 1);
  };
  auto y_of = [&](double v) {
    if (hi == lo) return h / 2;
    return (h - pad) - (h - 2 * pad) * (v - lo) / (hi - lo);
  };

  out += "<text class=\"axis\" x=\"2\" y=\"" + coord(pad - 3) + "\">" +
         xml_escape(format_number(hi)) + "</text>";
  out += "<text class=\"axis\" x=\"2\" y=\"" + coord(h - 3) + "\">" +
         xml_escape(format_number(lo)) + "</text>";
  if (kept.size() > 1) {
    out += "<polyline class=\"line\" fill=\"none\" points=\"";
    for (std::size_t i = 0; i < kept.size(); ++i) {
      if (i) out += ' ';
      out += coord(x_of(kept[i].index)) + "," + coord(y_of(kept[i].point->value));
    }
    out += "\"/>";
  }
  for (const auto& k : kept) {
    const auto& p = *k.point;
    const std::string x = coord(x_of(k.index));
    const std::string y = coord(y_of(p.value));
    std::string title = xml_escape(p.label) + ": " + xml_escape(format_number(p.value));
    if (!p.mark.empty()) {
      title += " (" + xml_escape(p.mark) + ")";
      out += "<circle class=\"mark\" cx=\"" + x + "\" cy=\"" + y + "\" r=\"6\" fill=\"none\"/>";
    }
    out += "<circle class=\"point" + std::string(p.mark.empty() ? "" : " marked") + "\" cx=\"" + x +
           "\" cy=\"" + y + "\" r=\"3\"><title>" + title + "</title></circle>";
  }
  out += "</svg>";
  return out;
}

}  // namespace mlgate::core
