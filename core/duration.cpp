#include "core/duration.h"

#include <array>
#include <limits>

namespace mlgate::core {
namespace {

struct Unit {
  char symbol;
  std::int64_t seconds;
};

constexpr std::array<Unit, 4> kUnits{{{'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}}};

DurationParse fail(std::string message) {
  return DurationParse{std::nullopt, std::move(message)};
}

std::string quoted(std::string_view text) {
  std::string out = "'";
  for (char c : text.substr(0, 64)) {
    auto u = static_cast<unsigned char>(c);
    out += (u < 0x20 || u == 0x7f) ? '?' : c;
  }
  if (text.size() > 64) out += "...";
  return out + "'";
}

constexpr const char* kHint = " (write e.g. 90s, 5m, 1h30m, 24h or 2d)";

}  // namespace

DurationParse parse_duration(std::string_view text) {
  if (text.empty()) return fail(std::string("empty duration") + kHint);
  if (text.front() == '-') return fail("duration " + quoted(text) + " is negative");
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  std::int64_t total = 0;
  std::size_t next_unit = 0;  // index into kUnits of the largest unit still allowed
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] < '0' || text[i] > '9') {
      return fail("bad duration " + quoted(text) + ": expected a number at position " +
                  std::to_string(i + 1) + kHint);
    }
    std::int64_t number = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      int digit = text[i] - '0';
      if (number > (kMax - digit) / 10) return fail("duration " + quoted(text) + " is too large");
      number = number * 10 + digit;
      ++i;
    }
    if (i == text.size()) {
      return fail("duration " + quoted(text) + " has no unit" + kHint);
    }
    char symbol = text[i];
    std::size_t u = 0;
    while (u < kUnits.size() && kUnits[u].symbol != symbol) ++u;
    if (u == kUnits.size()) {
      return fail("unknown unit " + quoted(text.substr(i, 1)) + " in duration " + quoted(text) +
                  "; units are d, h, m, s");
    }
    if (u < next_unit) {
      return fail("bad duration " + quoted(text) +
                  ": units must go from largest to smallest, each at most once" + kHint);
    }
    next_unit = u + 1;
    ++i;
    if (number > kMax / kUnits[u].seconds) {
      return fail("duration " + quoted(text) + " is too large");
    }
    std::int64_t part = number * kUnits[u].seconds;
    if (total > kMax - part) return fail("duration " + quoted(text) + " is too large");
    total += part;
  }
  if (total == 0) return fail("duration " + quoted(text) + " is zero; it must be positive");
  return DurationParse{total, {}};
}

std::string format_duration(std::int64_t seconds) {
  if (seconds == 0) return "0s";
  std::string out;
  // Work in unsigned so that the most negative value has a magnitude too.
  std::uint64_t rest = static_cast<std::uint64_t>(seconds);
  if (seconds < 0) {
    out = "-";
    rest = ~rest + 1;
  }
  constexpr std::array<Unit, 3> kFormatUnits{{{'h', 3600}, {'m', 60}, {'s', 1}}};
  for (const Unit& unit : kFormatUnits) {
    auto size = static_cast<std::uint64_t>(unit.seconds);
    std::uint64_t count = rest / size;
    rest %= size;
    if (count > 0) out += std::to_string(count) + unit.symbol;
  }
  return out;
}

}  // namespace mlgate::core
