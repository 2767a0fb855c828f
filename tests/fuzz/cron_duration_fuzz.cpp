// libFuzzer target: the small parsers of .mlgate.yml values, core/cron.h parse_cron and
// core/duration.h parse_duration, on the same bytes. Checks their headers' promises: exactly one
// of value and message; a duration is > 0 and survives format_duration; a cron expression sets
// only bits inside its fields' ranges, and, when it can fire, next_after gives a later matching
// minute and last_at_or_before an earlier one.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/cron.h"
#include "core/duration.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  const mlgate::core::DurationParse d = mlgate::core::parse_duration(text);
  FUZZ_CHECK(d.seconds.has_value() == d.error.empty());
  if (d.seconds) {
    FUZZ_CHECK(*d.seconds > 0);
    const auto back = mlgate::core::parse_duration(mlgate::core::format_duration(*d.seconds));
    FUZZ_CHECK(back.seconds && *back.seconds == *d.seconds);
  }

  const mlgate::core::CronParse c = mlgate::core::parse_cron(text);
  FUZZ_CHECK(c.expr.has_value() == c.error.empty());
  if (c.expr) {
    const mlgate::core::CronExpr& e = *c.expr;
    FUZZ_CHECK(!e.days_of_month.test(0) && !e.months.test(0));
    FUZZ_CHECK(e.minutes.any() && e.hours.any() && e.days_of_month.any() && e.months.any() &&
               e.days_of_week.any());
    // A fixed instant: 2024-02-29 12:34:56 UTC.
    const std::chrono::sys_seconds t{std::chrono::seconds{1709210096}};
    const auto next = mlgate::core::next_after(e, t);
    const auto last = mlgate::core::last_at_or_before(e, t);
    FUZZ_CHECK(next.has_value() == mlgate::core::can_fire(e));
    FUZZ_CHECK(last.has_value() == mlgate::core::can_fire(e));
    if (next) {
      FUZZ_CHECK(*next > t && mlgate::core::cron_matches(e, *next));
      FUZZ_CHECK(next->time_since_epoch().count() % 60 == 0);
    }
    if (last) FUZZ_CHECK(*last <= t && mlgate::core::cron_matches(e, *last));
  }
  return 0;
}
