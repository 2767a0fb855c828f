// Which scheduled time is due (core/schedule.h) and which tiers a schedule or trigger runs
// (core/tier_selection.h).
#include "core/schedule.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "core/config.h"
#include "core/tier_selection.h"

namespace mlgate::core {
namespace {

using namespace std::chrono;

sys_seconds at(int y, unsigned mo, unsigned d, int h = 0, int mi = 0, int s = 0) {
  return sys_days{year{y} / mo / d} + hours{h} + minutes{mi} + seconds{s};
}

CronExpr cron(std::string_view text) {
  auto parsed = parse_cron(text);
  EXPECT_TRUE(parsed) << text << ": " << parsed.error;
  return parsed.expr.value_or(CronExpr{});
}

ScheduleCursor known(const CronExpr& e, sys_seconds since,
                     std::optional<sys_seconds> last = std::nullopt) {
  return {e.text, since, last};
}

TEST(DueSchedule, FirstSightingFiresOnlyWhenTheCurrentMinuteMatches) {
  const auto nightly = cron("0 2 * * *");
  // Seen at 12:00: the 02:00 run of this morning was before the schedule was known.
  auto d = due_schedule(nightly, std::nullopt, at(2024, 5, 1, 12, 0));
  EXPECT_FALSE(d.fire);
  EXPECT_TRUE(d.restart_cursor);
  // Seen during the 02:00 minute itself: that minute counts.
  d = due_schedule(nightly, std::nullopt, at(2024, 5, 1, 2, 0, 40));
  ASSERT_TRUE(d.fire);
  EXPECT_EQ(*d.fire, at(2024, 5, 1, 2, 0));
  EXPECT_TRUE(d.restart_cursor);
}

TEST(DueSchedule, FiresAtTheMinuteNotBefore) {
  const auto nightly = cron("0 2 * * *");
  const auto cursor = known(nightly, at(2024, 4, 30, 12, 0));
  EXPECT_FALSE(due_schedule(nightly, cursor, at(2024, 5, 1, 1, 59, 59)).fire);
  auto d = due_schedule(nightly, cursor, at(2024, 5, 1, 2, 0, 0));
  ASSERT_TRUE(d.fire);
  EXPECT_EQ(*d.fire, at(2024, 5, 1, 2, 0));
  EXPECT_FALSE(d.restart_cursor);
}

TEST(DueSchedule, AFiredMinuteNeverFiresAgain) {
  const auto nightly = cron("0 2 * * *");
  const auto cursor = known(nightly, at(2024, 4, 30, 12, 0), at(2024, 5, 1, 2, 0));
  EXPECT_FALSE(due_schedule(nightly, cursor, at(2024, 5, 1, 2, 0, 30)).fire);
  EXPECT_FALSE(due_schedule(nightly, cursor, at(2024, 5, 1, 23, 59)).fire);
  auto next = due_schedule(nightly, cursor, at(2024, 5, 2, 2, 0));
  ASSERT_TRUE(next.fire);
  EXPECT_EQ(*next.fire, at(2024, 5, 2, 2, 0));
}

TEST(DueSchedule, DowntimeFiresOnlyTheLatestMissedTimeOnce) {
  const auto nightly = cron("0 2 * * *");
  // Last fired May 1st; down until May 4th 09:00: the runs of the 2nd, 3rd and 4th were missed.
  const auto cursor = known(nightly, at(2024, 4, 1), at(2024, 5, 1, 2, 0));
  auto d = due_schedule(nightly, cursor, at(2024, 5, 4, 9, 0));
  ASSERT_TRUE(d.fire);
  EXPECT_EQ(*d.fire, at(2024, 5, 4, 2, 0));
  // Once that is recorded, nothing else of the missed ones fires.
  const auto after = known(nightly, at(2024, 4, 1), *d.fire);
  EXPECT_FALSE(due_schedule(nightly, after, at(2024, 5, 4, 9, 1)).fire);
}

TEST(DueSchedule, AChangedExpressionRestartsTheCursor) {
  const auto monthly = cron("0 3 1 * *");
  const auto daily = cron("0 3 * * *");
  // Known and fired as monthly; changed to daily on the 15th at 12:00. Today's 03:00 was before the
  // daily expression was known: no fire until tomorrow 03:00.
  const auto cursor = known(monthly, at(2024, 1, 1), at(2024, 5, 1, 3, 0));
  auto d = due_schedule(daily, cursor, at(2024, 5, 15, 12, 0));
  EXPECT_TRUE(d.restart_cursor);
  EXPECT_FALSE(d.fire);
  const ScheduleCursor restarted{daily.text, at(2024, 5, 15, 12, 0), at(2024, 5, 1, 3, 0)};
  EXPECT_FALSE(due_schedule(daily, restarted, at(2024, 5, 16, 2, 59)).fire);
  auto next = due_schedule(daily, restarted, at(2024, 5, 16, 3, 0));
  ASSERT_TRUE(next.fire);
  EXPECT_EQ(*next.fire, at(2024, 5, 16, 3, 0));
}

TEST(DueSchedule, EveryMinuteScheduleAndImpossibleDates) {
  const auto every = cron("* * * * *");
  const auto cursor = known(every, at(2024, 5, 1, 10, 0), at(2024, 5, 1, 10, 4));
  auto d = due_schedule(every, cursor, at(2024, 5, 1, 10, 5, 59));
  ASSERT_TRUE(d.fire);
  EXPECT_EQ(*d.fire, at(2024, 5, 1, 10, 5));
  const auto never = cron("0 0 30 2 *");
  EXPECT_FALSE(due_schedule(never, known(never, at(2000, 1, 1)), at(2024, 3, 1)).fire);
}

Config parse(const std::string& yaml) {
  auto r = parse_config(yaml);
  EXPECT_TRUE(r.ok()) << format_errors(r.errors);
  return r.config.value_or(Config{});
}

const char* kConfig = R"(version: 1
image: busybox
tiers:
  functionality:
    run: echo f
  validation:
    needs: [functionality]
    run: echo v
  training:
    on: [schedule]
    schedule: "0 2 * * *"
    needs: [validation]
    run: echo t
)";

TEST(TierSelection, AddsWhatTheTiersNeedTransitivelyInConfigOrder) {
  const auto config = parse(kConfig);
  auto s = tiers_with_needs(config, {"training"});
  EXPECT_TRUE(s.unknown.empty());
  EXPECT_EQ(s.tiers, (std::vector<std::string>{"functionality", "validation", "training"}));
  s = tiers_with_needs(config, {"functionality"});
  EXPECT_EQ(s.tiers, (std::vector<std::string>{"functionality"}));
  s = tiers_with_needs(config, {"validation", "functionality"});
  EXPECT_EQ(s.tiers, (std::vector<std::string>{"functionality", "validation"}));
}

TEST(TierSelection, ReportsTiersTheConfigDoesNotDeclare) {
  const auto config = parse(R"(version: 1
image: busybox
tiers:
  functionality:
    run: echo f
)");
  auto s = tiers_with_needs(config, {"training"});
  EXPECT_EQ(s.unknown, (std::vector<std::string>{"training"}));
  EXPECT_TRUE(s.tiers.empty());
  s = tiers_with_needs(config, {"nightly"});
  EXPECT_EQ(s.unknown, (std::vector<std::string>{"nightly"}));
}

}  // namespace
}  // namespace mlgate::core
