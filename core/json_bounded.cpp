#include "core/json_bounded.h"

namespace mlgate::core {

std::optional<std::size_t> json_too_deep_at(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return i;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return std::nullopt;
}

bool holds_nul(const nlohmann::json& j) {
  if (j.is_string()) return j.get_ref<const std::string&>().find('\0') != std::string::npos;
  if (j.is_object()) {
    for (const auto& [key, value] : j.items())
      if (key.find('\0') != std::string::npos || holds_nul(value)) return true;
  }
  if (j.is_array()) {
    for (const auto& value : j)
      if (holds_nul(value)) return true;
  }
  return false;
}

nlohmann::json parse_json_bounded(std::string_view text, int max_depth,
                                  const nlohmann::json::parser_callback_t& keep) {
  if (auto at = json_too_deep_at(text, max_depth)) {
    throw JsonInputError(*at, "JSON nested deeper than " + std::to_string(max_depth) +
                                  " levels at byte " + std::to_string(*at));
  }
  try {
    return nlohmann::json::parse(text.begin(), text.end(), keep);
  } catch (const nlohmann::json::parse_error& e) {
    const std::size_t byte = e.byte > 0 ? e.byte - 1 : 0;
    throw JsonInputError(byte, "malformed JSON at byte " + std::to_string(byte));
  } catch (const nlohmann::json::exception& e) {
    // Not a syntax error but a value nlohmann cannot hold (a number past every numeric type,
    // 406): the document is refused the same way, whatever a caller catches.
    throw JsonInputError(0, "JSON with a value out of range (" + std::string(e.what()) + ")");
  }
}

}  // namespace mlgate::core
