// 5-field cron expressions (minute hour day-of-month month day-of-week), evaluated in UTC. Pure:
// the current time is always passed in.
#pragma once

#include <bitset>
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mlgate::core {

struct CronExpr {
  std::bitset<60> minutes;        // 0..59
  std::bitset<24> hours;          // 0..23
  std::bitset<32> days_of_month;  // bits 1..31 (bit 0 unused)
  std::bitset<13> months;         // bits 1..12 (bit 0 unused)
  std::bitset<7> days_of_week;    // 0 = Sunday .. 6 = Saturday; 7 is folded into 0
  // Vixie cron: a day field whose text starts with '*' ("*", "*/2") is "unrestricted". When both
  // day fields are restricted, a day matches if EITHER matches; otherwise both must match.
  bool dom_star = true;
  bool dow_star = true;
  std::string text;  // the expression as written, trimmed

  friend bool operator==(const CronExpr&, const CronExpr&) = default;
};

// Either an expression or an error message; exactly one is set.
struct CronParse {
  std::optional<CronExpr> expr;
  std::string error;

  explicit operator bool() const { return expr.has_value(); }
};

// Accepts, per field: "*", numbers, lists "1,5,9", ranges "1-10", steps "*/15", "1-10/2" and
// "5/15" (= 5 to the field's maximum, every 15); month names jan..dec and weekday names sun..sat
// (case-insensitive, also inside ranges); 0 and 7 are both Sunday. Also the macros @yearly,
// @annually, @monthly, @weekly, @daily, @midnight, @hourly. Rejects @reboot, '?', 'L', 'W', '#',
// 6-field (seconds) expressions, reversed ranges and zero steps, with a message.
CronParse parse_cron(std::string_view text);

// True when the minute that contains t matches.
bool cron_matches(const CronExpr& expr, std::chrono::sys_seconds t);

// False when no date can ever match, e.g. "0 0 30 2 *" or "0 0 31 4,6,9,11 *".
bool can_fire(const CronExpr& expr);

// The first matching minute strictly after t; nullopt when the expression can never fire (or t is
// outside the years -30000..30000). A possible expression always fires within 400 years (one full
// Gregorian cycle), which bounds the search.
std::optional<std::chrono::sys_seconds> next_after(const CronExpr& expr,
                                                   std::chrono::sys_seconds t);

// The last matching minute at or before t (the start of t's own minute counts).
std::optional<std::chrono::sys_seconds> last_at_or_before(const CronExpr& expr,
                                                          std::chrono::sys_seconds t);

// Every fire time f with from < f <= to, ascending. When more than max_count fire, only the latest
// max_count are returned, so back() is always the most recent missed run (a scheduler that was
// down fires that one once).
std::vector<std::chrono::sys_seconds> fires_between(const CronExpr& expr,
                                                    std::chrono::sys_seconds from,
                                                    std::chrono::sys_seconds to,
                                                    std::size_t max_count = 1000);

}  // namespace mlgate::core
