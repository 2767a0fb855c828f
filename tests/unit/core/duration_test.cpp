#include "core/duration.h"

#include <gtest/gtest.h>

#include <limits>

namespace mlgate::core {
namespace {

std::int64_t seconds(std::string_view text) {
  auto d = parse_duration(text);
  EXPECT_TRUE(d) << text << ": " << d.error;
  return d.seconds.value_or(-1);
}

std::string error_of(std::string_view text) {
  auto d = parse_duration(text);
  EXPECT_FALSE(d) << text;
  EXPECT_FALSE(d.error.empty()) << text;
  return d.error;
}

TEST(Duration, ParsesSingleUnits) {
  EXPECT_EQ(seconds("90s"), 90);
  EXPECT_EQ(seconds("5m"), 300);
  EXPECT_EQ(seconds("1h"), 3600);
  EXPECT_EQ(seconds("24h"), 86400);
  EXPECT_EQ(seconds("2d"), 172800);
}

TEST(Duration, ParsesCombinations) {
  EXPECT_EQ(seconds("1h30m"), 5400);
  EXPECT_EQ(seconds("1d12h"), 129600);
  EXPECT_EQ(seconds("1h0m30s"), 3630);
  EXPECT_EQ(seconds("2d3h4m5s"), 2 * 86400 + 3 * 3600 + 4 * 60 + 5);
  EXPECT_EQ(seconds("0h30m"), 1800);
}

TEST(Duration, RejectsEmptyNegativeZero) {
  EXPECT_NE(error_of("").find("empty"), std::string::npos);
  EXPECT_NE(error_of("-5m").find("negative"), std::string::npos);
  EXPECT_NE(error_of("0s").find("zero"), std::string::npos);
  EXPECT_NE(error_of("0h0m").find("zero"), std::string::npos);
}

TEST(Duration, RejectsUnknownUnitsAndBareNumbers) {
  EXPECT_NE(error_of("5w").find("unknown unit 'w'"), std::string::npos);
  EXPECT_NE(error_of("5M").find("unknown unit 'M'"), std::string::npos);
  EXPECT_NE(error_of("300").find("no unit"), std::string::npos);
  EXPECT_NE(error_of("1h30").find("no unit"), std::string::npos);
  error_of("1.5h");
  error_of(" 5m");
  error_of("5m ");
  error_of("5 m");
  error_of("+5m");
  error_of("m");
  error_of("5mm");
}

TEST(Duration, RejectsOutOfOrderAndRepeatedUnits) {
  EXPECT_NE(error_of("30m1h").find("largest to smallest"), std::string::npos);
  EXPECT_NE(error_of("1m1m").find("largest to smallest"), std::string::npos);
}

TEST(Duration, RejectsOverflow) {
  EXPECT_NE(error_of("99999999999999999999s").find("too large"), std::string::npos);
  EXPECT_NE(error_of("9223372036854775807m").find("too large"), std::string::npos);
  EXPECT_NE(error_of("106751991167300d1d").find("largest"), std::string::npos);
  EXPECT_NE(error_of("106751991167300d23h").find("too large"), std::string::npos);
  EXPECT_EQ(seconds("9223372036854775807s"), std::numeric_limits<std::int64_t>::max());
}

TEST(Duration, MessagesDoNotEchoControlCharacters) {
  std::string e = error_of(std::string("5\x01", 2));
  EXPECT_EQ(e.find('\x01'), std::string::npos);
}

TEST(Duration, Formats) {
  EXPECT_EQ(format_duration(0), "0s");
  EXPECT_EQ(format_duration(45), "45s");
  EXPECT_EQ(format_duration(90), "1m30s");
  EXPECT_EQ(format_duration(300), "5m");
  EXPECT_EQ(format_duration(3600), "1h");
  EXPECT_EQ(format_duration(5400), "1h30m");
  EXPECT_EQ(format_duration(3601), "1h1s");
  EXPECT_EQ(format_duration(86400), "24h");
  EXPECT_EQ(format_duration(172800), "48h");
  EXPECT_EQ(format_duration(-90), "-1m30s");
  EXPECT_EQ(format_duration(std::numeric_limits<std::int64_t>::min()).front(), '-');
}

TEST(Duration, FormatRoundTrips) {
  for (std::int64_t s :
       std::initializer_list<std::int64_t>{1, 59, 60, 61, 3599, 3600, 86399, 86400, 123456789,
                                           std::numeric_limits<std::int64_t>::max()}) {
    auto d = parse_duration(format_duration(s));
    ASSERT_TRUE(d) << s << " " << d.error;
    EXPECT_EQ(*d.seconds, s);
  }
}

}  // namespace
}  // namespace mlgate::core
