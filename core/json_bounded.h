// JSON from outside the process (webhook, API and runner bodies) parsed with a nesting bound, so a
// document of a million `[` is refused in one pass over its bytes instead of being built.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace mlgate::core {

inline constexpr int kMaxJsonDepth = 64;

// A document that is not JSON or nests deeper than allowed; byte is the 0-based offset where
// reading stopped.
class JsonInputError : public std::runtime_error {
 public:
  JsonInputError(std::size_t byte, const std::string& message)
      : std::runtime_error(message), byte_(byte) {}
  std::size_t byte() const { return byte_; }

 private:
  std::size_t byte_;
};

// The byte offset of the first `[` or `{` (outside strings) that opens level max_depth + 1, if any.
std::optional<std::size_t> json_too_deep_at(std::string_view text, int max_depth);

// Parses `text`, refusing a document nested deeper than max_depth arrays and objects before
// anything is built. `keep` is nlohmann's parser callback (values it refuses are dropped as they
// are read). Throws JsonInputError ("JSON nested deeper than 64 levels at byte 64", "malformed
// JSON at byte 12: ...").
nlohmann::json parse_json_bounded(std::string_view text, int max_depth = kMaxJsonDepth,
                                  const nlohmann::json::parser_callback_t& keep = nullptr);

// Whether a string or member name of `j` holds the NUL character (`\u0000`). PostgreSQL takes no
// NUL in text or jsonb, and libpq's parameters end at one: such a value would be cut short where it
// is stored (a webhook secret to its first bytes) or refused with a 500. Bodies from outside are
// refused with it instead.
bool holds_nul(const nlohmann::json& j);

}  // namespace mlgate::core
