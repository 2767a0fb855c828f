#include "core/cron.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

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

std::string cron_error(std::string_view text) {
  auto parsed = parse_cron(text);
  EXPECT_FALSE(parsed) << text;
  EXPECT_FALSE(parsed.error.empty());
  return parsed.error;
}

std::optional<sys_seconds> next(std::string_view text, sys_seconds t) {
  return next_after(cron(text), t);
}

TEST(Cron, ParsesFieldsIntoBits) {
  CronExpr e = cron("0,30 2-4 */10 jan-mar,Dec mon-FRI");
  EXPECT_EQ(e.minutes.count(), 2u);
  EXPECT_TRUE(e.minutes.test(0) && e.minutes.test(30));
  EXPECT_EQ(e.hours.count(), 3u);
  EXPECT_TRUE(e.hours.test(2) && e.hours.test(4));
  EXPECT_TRUE(e.days_of_month.test(1) && e.days_of_month.test(11) && e.days_of_month.test(21) &&
              e.days_of_month.test(31));
  EXPECT_EQ(e.days_of_month.count(), 4u);
  EXPECT_TRUE(e.months.test(1) && e.months.test(3) && e.months.test(12));
  EXPECT_EQ(e.months.count(), 4u);
  EXPECT_EQ(e.days_of_week.count(), 5u);
  EXPECT_FALSE(e.days_of_week.test(0));
  EXPECT_TRUE(e.dom_star);
  EXPECT_FALSE(e.dow_star);
}

TEST(Cron, StepsAndRanges) {
  CronExpr e = cron("*/15 1-10/2 * * *");
  EXPECT_EQ(e.minutes.count(), 4u);
  EXPECT_TRUE(e.minutes.test(45));
  EXPECT_EQ(e.hours.count(), 5u);
  EXPECT_TRUE(e.hours.test(1) && e.hours.test(9) && !e.hours.test(10));
  CronExpr from = cron("5/20 * * * *");  // from 5 to the maximum, every 20
  EXPECT_EQ(from.minutes.count(), 3u);
  EXPECT_TRUE(from.minutes.test(5) && from.minutes.test(25) && from.minutes.test(45));
}

TEST(Cron, SundayIsZeroAndSeven) {
  EXPECT_EQ(cron("0 0 * * 0").days_of_week, cron("0 0 * * 7").days_of_week);
  EXPECT_EQ(cron("0 0 * * sun").days_of_week, cron("0 0 * * 7").days_of_week);
  CronExpr e = cron("0 0 * * 5-7");
  EXPECT_TRUE(e.days_of_week.test(5) && e.days_of_week.test(6) && e.days_of_week.test(0));
  EXPECT_EQ(e.days_of_week.count(), 3u);
  EXPECT_EQ(cron("0 0 * * 0-7").days_of_week.count(), 7u);
}

TEST(Cron, Macros) {
  auto same = [](std::string_view macro, std::string_view five) {
    CronExpr a = cron(macro);
    CronExpr b = cron(five);
    EXPECT_EQ(a.minutes, b.minutes) << macro;
    EXPECT_EQ(a.hours, b.hours) << macro;
    EXPECT_EQ(a.days_of_month, b.days_of_month) << macro;
    EXPECT_EQ(a.months, b.months) << macro;
    EXPECT_EQ(a.days_of_week, b.days_of_week) << macro;
    EXPECT_EQ(a.dom_star, b.dom_star) << macro;
    EXPECT_EQ(a.dow_star, b.dow_star) << macro;
    EXPECT_EQ(a.text, macro);
  };
  same("@yearly", "0 0 1 1 *");
  same("@annually", "0 0 1 1 *");
  same("@monthly", "0 0 1 * *");
  same("@weekly", "0 0 * * 0");
  same("@daily", "0 0 * * *");
  same("@midnight", "0 0 * * *");
  same("@hourly", "0 * * * *");
  same("@DAILY", "0 0 * * *");
  EXPECT_NE(cron_error("@reboot").find("not supported"), std::string::npos);
  EXPECT_NE(cron_error("@often").find("unknown cron macro"), std::string::npos);
}

TEST(Cron, RejectsMalformedExpressions) {
  EXPECT_NE(cron_error("").find("empty"), std::string::npos);
  EXPECT_NE(cron_error("* * * *").find("expected 5 fields"), std::string::npos);
  EXPECT_NE(cron_error("0 * * * * *").find("seconds"), std::string::npos);
  EXPECT_NE(cron_error("60 * * * *").find("out of range"), std::string::npos);
  EXPECT_NE(cron_error("* 24 * * *").find("out of range"), std::string::npos);
  EXPECT_NE(cron_error("* * 0 * *").find("out of range"), std::string::npos);
  EXPECT_NE(cron_error("* * 32 * *").find("out of range"), std::string::npos);
  EXPECT_NE(cron_error("* * * 13 *").find("out of range"), std::string::npos);
  EXPECT_NE(cron_error("* * * * 8").find("out of range"), std::string::npos);
  EXPECT_NE(cron_error("*/0 * * * *").find("step"), std::string::npos);
  EXPECT_NE(cron_error("10-5 * * * *").find("reversed"), std::string::npos);
  EXPECT_NE(cron_error("1,,2 * * * *").find("empty list element"), std::string::npos);
  EXPECT_NE(cron_error("1, * * * *").find("empty list element"), std::string::npos);
  EXPECT_NE(cron_error("* * * foo *").find("unknown name"), std::string::npos);
  EXPECT_NE(cron_error("mon * * * *").find("bad value"), std::string::npos);
  EXPECT_NE(cron_error("* * * * jan").find("unknown name"), std::string::npos);
  cron_error("* * ? * *");
  cron_error("* * L * *");
  cron_error("* * * * 1#2");
  cron_error("-1 * * * *");
  cron_error("1-2-3 * * * *");
  cron_error("*/x * * * *");
  cron_error("99999999999999999999 * * * *");
  cron_error(std::string(300, '*'));
}

TEST(Cron, TrimsAndAcceptsTabs) {
  EXPECT_EQ(cron("  0\t2 * * *  ").text, "0\t2 * * *");
}

TEST(Cron, NextAfterIsStrictlyAfter) {
  EXPECT_EQ(next("0 2 * * *", at(2024, 5, 1, 2, 0)), at(2024, 5, 2, 2, 0));
  EXPECT_EQ(next("0 2 * * *", at(2024, 5, 1, 1, 59, 59)), at(2024, 5, 1, 2, 0));
  EXPECT_EQ(next("0 2 * * *", at(2024, 5, 1, 2, 0, 30)), at(2024, 5, 2, 2, 0));
  EXPECT_EQ(next("* * * * *", at(2024, 5, 1, 2, 0, 30)), at(2024, 5, 1, 2, 1));
  EXPECT_EQ(next("*/15 * * * *", at(2024, 5, 1, 2, 14)), at(2024, 5, 1, 2, 15));
  EXPECT_EQ(next("*/15 * * * *", at(2024, 5, 1, 2, 45)), at(2024, 5, 1, 3, 0));
}

TEST(Cron, NextAfterCrossesMonthAndYearEnds) {
  EXPECT_EQ(next("0 0 * * *", at(2024, 1, 31, 12)), at(2024, 2, 1));
  EXPECT_EQ(next("30 23 31 * *", at(2024, 1, 31, 23, 30)), at(2024, 3, 31, 23, 30));
  EXPECT_EQ(next("0 0 1 * *", at(2023, 12, 15)), at(2024, 1, 1));
  EXPECT_EQ(next("59 23 31 12 *", at(2023, 12, 31, 23, 59)), at(2024, 12, 31, 23, 59));
  EXPECT_EQ(next("@yearly", at(2024, 12, 31, 23, 59, 59)), at(2025, 1, 1));
  EXPECT_EQ(next("0 0 * * *", at(2024, 2, 28, 1)), at(2024, 2, 29));
  EXPECT_EQ(next("0 0 * * *", at(2023, 2, 28, 1)), at(2023, 3, 1));
}

TEST(Cron, LeapDayAndImpossibleDates) {
  EXPECT_EQ(next("0 0 29 2 *", at(2024, 3, 1)), at(2028, 2, 29));
  EXPECT_EQ(next("0 0 29 2 *", at(2096, 3, 1)), at(2104, 2, 29));  // 2100 is not a leap year
  EXPECT_EQ(next("0 0 30 2 *", at(2024, 1, 1)), std::nullopt);
  EXPECT_EQ(next("0 0 31 4,6,9,11 *", at(2024, 1, 1)), std::nullopt);
  EXPECT_FALSE(can_fire(cron("0 0 30 2 *")));
  EXPECT_FALSE(can_fire(cron("0 0 31 2,4 *")));
  EXPECT_TRUE(can_fire(cron("0 0 29 2 *")));
  EXPECT_TRUE(can_fire(cron("0 0 31 2,3 *")));
  // With the day of week also restricted, the OR rule makes Feb 30 reachable on any Monday.
  EXPECT_TRUE(can_fire(cron("0 0 30 2 mon")));
  EXPECT_EQ(next("0 0 30 2 mon", at(2024, 1, 1)), at(2024, 2, 5));
}

TEST(Cron, DomAndDowOrWhenBothRestricted) {
  // Vixie: the 13th of the month OR any Friday.
  CronExpr e = cron("0 0 13 * 5");
  EXPECT_FALSE(e.dom_star);
  EXPECT_FALSE(e.dow_star);
  EXPECT_EQ(next_after(e, at(2024, 9, 1)), at(2024, 9, 6));      // Friday the 6th
  EXPECT_EQ(next_after(e, at(2024, 9, 12)), at(2024, 9, 13));    // Friday the 13th
  EXPECT_EQ(next_after(e, at(2024, 10, 12)), at(2024, 10, 13));  // a Sunday, matched by the 13
  EXPECT_EQ(next_after(e, at(2024, 10, 13)), at(2024, 10, 18));  // next Friday
}

TEST(Cron, DomAndDowAndWhenOneIsStar) {
  // The day-of-month field starts with '*', so both fields must match (Vixie's DOM_STAR rule).
  CronExpr e = cron("0 0 */2 * 1");
  EXPECT_TRUE(e.dom_star);
  EXPECT_FALSE(e.dow_star);
  // Mondays in Sept 2024: 2, 9, 16, 23, 30; odd days of month: 9, 23.
  EXPECT_EQ(next_after(e, at(2024, 9, 1)), at(2024, 9, 9));
  EXPECT_EQ(next_after(e, at(2024, 9, 9)), at(2024, 9, 23));
  // Only the weekday restricted: every Monday.
  EXPECT_EQ(next("0 0 * * mon", at(2024, 9, 3)), at(2024, 9, 9));
  // Only the day of month restricted: the 1st, whatever the weekday.
  EXPECT_EQ(next("0 0 1 * *", at(2024, 9, 3)), at(2024, 10, 1));
}

TEST(Cron, UtcHasNoDstGaps) {
  // 2024-03-31 is the EU DST switch and 2024-03-10 the US one: UTC still has 02:30 on both days.
  EXPECT_EQ(next("30 2 * * *", at(2024, 3, 31)), at(2024, 3, 31, 2, 30));
  EXPECT_EQ(next("30 2 * * *", at(2024, 3, 10)), at(2024, 3, 10, 2, 30));
  auto fires = fires_between(cron("0 * * * *"), at(2024, 10, 27), at(2024, 10, 28));
  EXPECT_EQ(fires.size(), 24u);
}

TEST(Cron, Matches) {
  CronExpr e = cron("0 2 * * *");
  EXPECT_TRUE(cron_matches(e, at(2024, 5, 1, 2, 0, 59)));
  EXPECT_FALSE(cron_matches(e, at(2024, 5, 1, 2, 1)));
}

TEST(Cron, LastAtOrBefore) {
  CronExpr e = cron("0 2 * * *");
  EXPECT_EQ(last_at_or_before(e, at(2024, 5, 1, 2, 0, 30)), at(2024, 5, 1, 2, 0));
  EXPECT_EQ(last_at_or_before(e, at(2024, 5, 1, 1, 59)), at(2024, 4, 30, 2, 0));
  EXPECT_EQ(last_at_or_before(e, at(2024, 1, 1)), at(2023, 12, 31, 2, 0));
  EXPECT_EQ(last_at_or_before(cron("0 0 29 2 *"), at(2024, 2, 28)), at(2020, 2, 29));
  EXPECT_EQ(last_at_or_before(cron("0 0 30 2 *"), at(2024, 2, 28)), std::nullopt);
}

TEST(Cron, FiresBetweenIsHalfOpenAndAscending) {
  CronExpr e = cron("0 2 * * *");
  auto fires = fires_between(e, at(2024, 5, 1, 2, 0), at(2024, 5, 4, 2, 0));
  ASSERT_EQ(fires.size(), 3u);
  EXPECT_EQ(fires[0], at(2024, 5, 2, 2, 0));
  EXPECT_EQ(fires[2], at(2024, 5, 4, 2, 0));
  EXPECT_TRUE(fires_between(e, at(2024, 5, 1, 2, 1), at(2024, 5, 2, 1, 59)).empty());
  EXPECT_TRUE(fires_between(e, at(2024, 5, 4), at(2024, 5, 1)).empty());
}

TEST(Cron, FiresBetweenKeepsTheLatestWhenBounded) {
  // A server down for a year: a nightly job is due ~366 times; callers fire the last one once.
  CronExpr e = cron("0 2 * * *");
  auto fires = fires_between(e, at(2023, 5, 1), at(2024, 5, 1, 12), 10);
  ASSERT_EQ(fires.size(), 10u);
  EXPECT_EQ(fires.back(), at(2024, 5, 1, 2, 0));
  EXPECT_EQ(fires.front(), at(2024, 4, 22, 2, 0));
  EXPECT_TRUE(fires_between(e, at(2023, 5, 1), at(2024, 5, 1), 0).empty());
  auto every_minute = fires_between(cron("* * * * *"), at(2000, 1, 1), at(2024, 1, 1));
  EXPECT_EQ(every_minute.size(), 1000u);
  EXPECT_EQ(every_minute.back(), at(2024, 1, 1));
}

TEST(Cron, ExtremeTimesDoNotCrash) {
  CronExpr e = cron("* * * * *");
  EXPECT_EQ(next_after(e, sys_seconds::max()), std::nullopt);
  EXPECT_EQ(next_after(e, sys_seconds::min()), std::nullopt);
  EXPECT_EQ(last_at_or_before(e, sys_seconds::max()), std::nullopt);
  EXPECT_TRUE(fires_between(e, sys_seconds::min(), sys_seconds::max()).empty());
  EXPECT_EQ(fires_between(e, sys_seconds::min(), at(2024, 1, 1), 5).size(), 5u);
}

}  // namespace
}  // namespace mlgate::core
