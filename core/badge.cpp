#include "core/badge.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <cstdint>

namespace mlgate::core {
namespace {

// Verdana at 11 px: the advance width of each printable ASCII character (' ' to '~'), the table
// shields.io measures with (Verdana's advance widths in font units / 2048 * 11).
constexpr std::array<double, 95> kVerdana11 = {3.87, 4.33, 5.05, 9.00, 6.99, 11.84, 7.99, 2.95,
                                               4.99, 4.99, 6.99, 9.00, 4.00, 4.99,  // ' '-'-'
                                               4.00, 4.99, 6.99, 6.99, 6.99, 6.99,  6.99, 6.99,
                                               6.99, 6.99, 6.99, 6.99, 4.99, 4.99,  // '.'-';'
                                               9.00, 9.00, 9.00, 6.00, 11.0, 7.52,  7.55, 7.68,
                                               8.47, 6.95, 6.33, 8.52, 8.27, 4.63,  // '<'-'I'
                                               5.00, 7.62, 6.13, 9.27, 8.23, 8.66,  6.63, 8.66,
                                               7.65, 7.52, 6.78, 8.05, 7.52, 10.88,  // 'J'-'W'
                                               7.54, 6.77, 7.54, 4.99, 4.99, 4.99,  9.00, 6.99,
                                               6.99, 6.61, 6.85, 5.73, 6.85, 6.55,  // 'X'-'e'
                                               3.87, 6.85, 6.96, 3.02, 3.79, 6.51,  3.02, 10.7,
                                               6.96, 6.68, 6.85, 6.85, 4.69, 5.73,  // 'f'-'s'
                                               4.33, 6.96, 6.51, 9.00, 6.51, 6.51,  5.77, 6.98,
                                               4.99, 6.98, 9.00};  // 't'-'~'
constexpr double kWideChar = 10.7;                                 // 'm'
constexpr int kPadding = 5;                                        // each side of a text

// Calls fn(code point, its bytes) for each UTF-8 character of `text`; a malformed sequence, an
// overlong form, a surrogate or a code point above U+10FFFF comes out one byte at a time as code
// point 0xFFFFFFFF.
template <typename F>
void for_each_code_point(std::string_view text, F&& fn) {
  constexpr std::uint32_t kBad = 0xFFFFFFFF;
  std::size_t i = 0;
  while (i < text.size()) {
    const auto b = static_cast<unsigned char>(text[i]);
    std::size_t len = b < 0x80           ? 1
                      : (b >> 5) == 0x6  ? 2
                      : (b >> 4) == 0xE  ? 3
                      : (b >> 3) == 0x1E ? 4
                                         : 0;
    if (len == 0 || i + len > text.size()) {
      fn(kBad, text.substr(i, 1));
      ++i;
      continue;
    }
    std::uint32_t cp = len == 1 ? b : len == 2 ? (b & 0x1F) : len == 3 ? (b & 0x0F) : (b & 0x07);
    bool ok = true;
    for (std::size_t k = 1; k < len; ++k) {
      const auto c = static_cast<unsigned char>(text[i + k]);
      if ((c >> 6) != 0x2) {
        ok = false;
        break;
      }
      cp = (cp << 6) | (c & 0x3F);
    }
    static constexpr std::uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (!ok || cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      fn(kBad, text.substr(i, 1));
      ++i;
      continue;
    }
    fn(cp, text.substr(i, len));
    i += len;
  }
}

// XML 1.0's Char production: tab, newline, carriage return, U+0020-U+D7FF, U+E000-U+FFFD,
// U+10000-U+10FFFF.
bool xml_char(std::uint32_t cp) {
  return cp == 0x9 || cp == 0xA || cp == 0xD || (cp >= 0x20 && cp <= 0xD7FF) ||
         (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
}

// Escaped for element text and attribute values; what XML cannot carry becomes '?'. Tab,
// newline and carriage return become spaces too: a badge is one line.
std::string badge_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for_each_code_point(text, [&](std::uint32_t cp, std::string_view bytes) {
    if (cp == 0x9 || cp == 0xA || cp == 0xD) {
      out += ' ';
    } else if (!xml_char(cp)) {
      out += '?';
    } else if (cp == '&') {
      out += "&amp;";
    } else if (cp == '<') {
      out += "&lt;";
    } else if (cp == '>') {
      out += "&gt;";
    } else if (cp == '"') {
      out += "&quot;";
    } else if (cp == '\'') {
      out += "&apos;";
    } else {
      out += bytes;
    }
  });
  return out;
}

bool valid_color(const std::string& color) {
  if (color.size() != 4 && color.size() != 7) return false;
  if (color[0] != '#') return false;
  return std::all_of(color.begin() + 1, color.end(),
                     [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; });
}

}  // namespace

double badge_text_width(std::string_view text) {
  double width = 0;
  for_each_code_point(text, [&](std::uint32_t cp, std::string_view) {
    width += (cp >= 0x20 && cp <= 0x7E) ? kVerdana11[cp - 0x20] : kWideChar;
  });
  return width;
}

std::string render_badge_svg(const Badge& badge) {
  const std::string label = badge_text(badge.label);
  const std::string message = badge_text(badge.message);
  const std::string color = valid_color(badge.color) ? badge.color : "#9f9f9f";
  // Widths in whole pixels, as shields draws them; text positions in tenths (scale(.1)).
  const long label_text = std::lround(badge_text_width(badge.label));
  const long message_text = std::lround(badge_text_width(badge.message));
  const long left = label_text + 2 * kPadding;
  const long right = message_text + 2 * kPadding;
  const long width = left + right;
  const std::string title = label + ": " + message;
  auto text = [](long x10, long length10, const std::string& t) {
    return "<text aria-hidden=\"true\" x=\"" + std::to_string(x10) +
           "\" y=\"150\" fill=\"#010101\" fill-opacity=\".3\" transform=\"scale(.1)\" "
           "textLength=\"" +
           std::to_string(length10) + "\">" + t + "</text><text x=\"" + std::to_string(x10) +
           "\" y=\"140\" transform=\"scale(.1)\" fill=\"#fff\" textLength=\"" +
           std::to_string(length10) + "\">" + t + "</text>";
  };
  std::string svg;
  svg += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(width) +
         "\" height=\"20\" role=\"img\" aria-label=\"" + title + "\">";
  svg += "<title>" + title + "</title>";
  svg +=
      "<linearGradient id=\"s\" x2=\"0\" y2=\"100%\"><stop offset=\"0\" stop-color=\"#bbb\" "
      "stop-opacity=\".1\"/><stop offset=\"1\" stop-opacity=\".1\"/></linearGradient>";
  svg += "<clipPath id=\"r\"><rect width=\"" + std::to_string(width) +
         "\" height=\"20\" rx=\"3\" fill=\"#fff\"/></clipPath>";
  svg += "<g clip-path=\"url(#r)\"><rect width=\"" + std::to_string(left) +
         "\" height=\"20\" fill=\"#555\"/><rect x=\"" + std::to_string(left) + "\" width=\"" +
         std::to_string(right) + "\" height=\"20\" fill=\"" + color + "\"/><rect width=\"" +
         std::to_string(width) + "\" height=\"20\" fill=\"url(#s)\"/></g>";
  svg +=
      "<g fill=\"#fff\" text-anchor=\"middle\" font-family=\"Verdana,Geneva,DejaVu "
      "Sans,sans-serif\" text-rendering=\"geometricPrecision\" font-size=\"110\">";
  svg += text(left * 5, label_text * 10, label);
  svg += text(left * 10 + right * 5, message_text * 10, message);
  svg += "</g></svg>";
  return svg;
}

Badge pipeline_badge(std::optional<PipelineState> state) {
  if (!state) return {"mlgate", "unknown", "#9f9f9f"};
  const auto badge = [&](const char* color) {
    return Badge{"mlgate", std::string(to_string(*state)), color};
  };
  switch (*state) {
    case PipelineState::passed:
      return badge("#4c1");
    case PipelineState::failed:
    case PipelineState::error:
      return badge("#e05d44");
    case PipelineState::running:
      return badge("#007ec6");
    case PipelineState::pending:
    case PipelineState::awaiting_approval:
      return badge("#dfb317");
    case PipelineState::cancelled:
      return badge("#9f9f9f");
  }
  return {"mlgate", "unknown", "#9f9f9f"};
}

Badge gate_badge(std::string_view environment, std::string_view decision) {
  const std::string label = "gate: " + std::string(environment);
  if (decision == "allow") return {label, "allow", "#4c1"};
  if (decision == "deny") return {label, "deny", "#e05d44"};
  if (decision == "pending") return {label, "pending", "#dfb317"};
  return {label, "unknown", "#9f9f9f"};
}

}  // namespace mlgate::core
