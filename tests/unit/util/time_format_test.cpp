#include "util/time_format.h"

#include <gtest/gtest.h>

namespace mlgate::util {
namespace {

using namespace std::chrono;

TEST(TimeFormat, Seconds) {
  const sys_seconds t = sys_days{year{2026} / 3 / 1} + hours{12} + minutes{4} + seconds{5};
  EXPECT_EQ(iso8601(t), "2026-03-01T12:04:05Z");
  EXPECT_EQ(iso8601(sys_seconds{}), "1970-01-01T00:00:00Z");
}

TEST(TimeFormat, MillisecondsAreTruncated) {
  const system_clock::time_point t =
      sys_days{year{2024} / 12 / 31} + hours{23} + minutes{59} + seconds{59} + microseconds{789999};
  EXPECT_EQ(iso8601_millis(t), "2024-12-31T23:59:59.789Z");
}

TEST(TimeFormat, NowHasTheShape) {
  const std::string now = now_iso8601();
  ASSERT_EQ(now.size(), 20u) << now;
  EXPECT_EQ(now[10], 'T');
  EXPECT_EQ(now.back(), 'Z');
}

}  // namespace
}  // namespace mlgate::util
