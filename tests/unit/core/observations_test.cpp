// Serving observations' lines (core/observations.h, docs/observations.md) where the server would
// otherwise store what it cannot keep: a string with the NUL character, which PostgreSQL's text
// and jsonb refuse (a 500, or a value cut short), and a timestamp from the far future, whose window
// compaction and retention never reach.
#include "core/observations.h"

#include <gtest/gtest.h>

#include <string>

namespace mlgate::core {
namespace {

constexpr double kNow = 1767225600;  // 2026-01-01T00:00:00Z

ObservationLimits limits() {
  ObservationLimits l;
  l.max_ts = kNow + kObservationMaxAheadSeconds;
  return l;
}

TEST(ObservationLines, AStringWithTheNulCharacterIsRefusedOnItsLine) {
  for (const char* bad :
       {R"({"id":"a\u0000b","ts":1767225600,"features":{}})",
        R"({"id":"a","ts":1767225600,"features":{"x\u0000":1}})",
        R"({"id":"a","ts":1767225600,"features":{},"truth":"\u0000"})",
        R"({"id":"a","ts":1767225600,"features":{},"prediction":{"label":["\u0000"]}})"}) {
    SCOPED_TRACE(bad);
    const std::string body =
        std::string(R"({"id":"ok","ts":1767225600,"features":{}})") + "\n" + bad;
    auto parsed = parse_observation_lines(body, limits());
    ASSERT_TRUE(parsed.error);
    EXPECT_EQ(parsed.error->line, 2u);
    EXPECT_NE(parsed.error->message.find("NUL"), std::string::npos) << parsed.error->message;
    EXPECT_TRUE(parsed.rows.empty());
  }
  auto truth = parse_truth_lines(R"({"id":"a","truth":"x\u0000"})", limits());
  ASSERT_TRUE(truth.error);
  EXPECT_NE(truth.error->message.find("NUL"), std::string::npos) << truth.error->message;
  // An escaped backslash followed by u0000 is six ordinary characters.
  EXPECT_FALSE(
      parse_observation_lines(R"({"id":"a\\u0000","ts":1767225600,"features":{}})", limits())
          .error);
}

TEST(ObservationLines, ATimestampMoreThanADayAheadIsRefused) {
  const auto line = [](double ts) {
    return R"({"id":"a","ts":)" + std::to_string(static_cast<long long>(ts)) + R"(,"features":{}})";
  };
  EXPECT_FALSE(parse_observation_lines(line(kNow + 3600), limits()).error);
  EXPECT_FALSE(parse_observation_lines(line(kNow + kObservationMaxAheadSeconds), limits()).error);
  auto ahead = parse_observation_lines(line(kNow + kObservationMaxAheadSeconds + 1), limits());
  ASSERT_TRUE(ahead.error);
  EXPECT_NE(ahead.error->message.find("ts: more than a day ahead"), std::string::npos)
      << ahead.error->message;
  auto text =
      parse_observation_lines(R"({"id":"a","ts":"2999-01-01T00:00:00Z","features":{}})", limits());
  ASSERT_TRUE(text.error);
  EXPECT_NE(text.error->message.find("ts: more than a day ahead"), std::string::npos)
      << text.error->message;
  // Without a clock (max_ts 0) any valid time is taken, as before.
  EXPECT_FALSE(parse_observation_lines(line(kNow + 10 * 365 * 86400.0), ObservationLimits{}).error);
}

}  // namespace
}  // namespace mlgate::core
