// Durations as written in .mlgate.yml ("90s", "5m", "1h30m", "2d"), in whole seconds. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mlgate::core {

// Either seconds (> 0) or an error message; exactly one is set.
struct DurationParse {
  std::optional<std::int64_t> seconds;
  std::string error;

  explicit operator bool() const { return seconds.has_value(); }
};

// Parses one or more <integer><unit> parts, units d, h, m, s (lower case), largest unit first and
// each unit at most once: "90s", "5m", "1h30m", "2d", "1d12h". No sign, no spaces, no fractions, no
// bare numbers. The total must be positive and fit in int64 seconds.
DurationParse parse_duration(std::string_view text);

// The canonical text of a duration: hours as the largest unit, zero parts left out:
// 90 -> "1m30s", 5400 -> "1h30m", 86400 -> "24h", 0 -> "0s", -90 -> "-1m30s".
// parse_duration(format_duration(s)) == s for every s > 0.
std::string format_duration(std::int64_t seconds);

}  // namespace mlgate::core
