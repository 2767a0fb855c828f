// Status badges (GET /badge/...; docs/badges.md): shields.io's "flat" style as SVG, a grey label
// on the left and a coloured message on the right, 20 px high, widths from a Verdana 11 px
// character-width table. Pure: text in, markup out.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/states.h"

namespace mlgate::core {

struct Badge {
  std::string label;    // left, on grey
  std::string message;  // right, on `color`
  std::string color;    // "#rgb" or "#rrggbb"; anything else is drawn light grey
};

// The SVG document (UTF-8, no XML declaration, image/svg+xml). Label and message are XML-escaped;
// characters XML 1.0 cannot carry (control characters, malformed UTF-8) become '?'.
std::string render_badge_svg(const Badge& badge);

// The width in pixels of `text` in Verdana 11 px as shields.io measures it: ASCII from the table,
// any other character as wide as 'm' (so that text never overflows its box).
double badge_text_width(std::string_view text);

// The badge of a branch's latest pipeline: label "mlgate", message the pipeline state (pending,
// running, passed, failed, cancelled, error) or "unknown" (no pipeline yet).
Badge pipeline_badge(std::optional<PipelineState> state);

// The badge of a gate decision for `environment`: label "gate: <environment>", message allow,
// deny, pending, or "unknown" for anything else (no decision stored).
Badge gate_badge(std::string_view environment, std::string_view decision);

}  // namespace mlgate::core
