// LogLimit: the cap is exact, the marker comes once and after the cap, later output is dropped
// but counted.
#include "runners/log_limit.h"

#include <gtest/gtest.h>

#include <string>

namespace mlgate::runners {
namespace {

const std::string kMarker4MiB =
    "\n[mlgate: log truncated at 4.0 MiB; the job keeps running, its remaining output is not "
    "kept]\n";

TEST(LogLimit, DefaultCapIs4MiBAndSaysSo) {
  LogLimit limit;
  EXPECT_EQ(limit.max_bytes(), 4u * 1024 * 1024);
  EXPECT_EQ(limit.truncation_marker(), kMarker4MiB);
}

TEST(LogLimit, UnderTheCapEverythingIsKept) {
  LogLimit limit(100);
  EXPECT_EQ(limit.take("hello "), "hello ");
  EXPECT_EQ(limit.take("world\n"), "world\n");
  EXPECT_EQ(limit.take(""), "");
  EXPECT_FALSE(limit.truncated());
  EXPECT_EQ(limit.seen_bytes(), 12u);
  EXPECT_EQ(limit.kept_bytes(), 12u);
}

TEST(LogLimit, ExactlyTheCapIsNotTruncated) {
  LogLimit limit(10);
  EXPECT_EQ(limit.take("0123456789"), "0123456789");
  EXPECT_FALSE(limit.truncated());
  // The next byte crosses it: nothing of it is kept, the marker comes.
  EXPECT_EQ(limit.take("x"), limit.truncation_marker());
  EXPECT_TRUE(limit.truncated());
  EXPECT_EQ(limit.kept_bytes(), 10u);
}

TEST(LogLimit, ChunkCrossingTheCapIsCutThereAndMarkedOnce) {
  LogLimit limit(10);
  EXPECT_EQ(limit.take("012345"), "012345");
  EXPECT_EQ(limit.take("6789abcdef"), "6789" + limit.truncation_marker());
  EXPECT_TRUE(limit.truncated());
  EXPECT_EQ(limit.take("more"), "");
  EXPECT_EQ(limit.take(std::string(100000, 'y')), "");
  EXPECT_EQ(limit.kept_bytes(), 10u);
  EXPECT_EQ(limit.seen_bytes(), 6u + 10u + 4u + 100000u);
}

TEST(LogLimit, KeptOutputPlusMarkerAcrossManyChunks) {
  LogLimit limit(4 * 1024 * 1024);
  std::string kept;
  std::string chunk(65536, 'a');
  chunk.back() = '\n';
  for (int i = 0; i < 100; ++i) kept += limit.take(chunk);  // 6.25 MiB offered
  EXPECT_EQ(limit.seen_bytes(), 100u * 65536u);
  ASSERT_TRUE(limit.truncated());
  EXPECT_EQ(kept.size(), 4u * 1024 * 1024 + kMarker4MiB.size());
  EXPECT_TRUE(kept.ends_with(kMarker4MiB));
  EXPECT_EQ(kept.find("[mlgate: log truncated"), kept.size() - kMarker4MiB.size() + 1);
}

TEST(LogLimit, ZeroCapKeepsOnlyTheMarker) {
  LogLimit limit(0);
  EXPECT_EQ(limit.take("abc"), limit.truncation_marker());
  EXPECT_EQ(limit.take("def"), "");
  EXPECT_EQ(limit.seen_bytes(), 6u);
}

TEST(LogLimit, CutDoesNotSplitAUtf8Character) {
  LogLimit limit(5);
  // "ab" + "€" (3 bytes: E2 82 AC) + "c": the cap falls after the euro sign's second byte.
  std::string s =
      "ab\xE2\x82\xAC"
      "c";
  EXPECT_EQ(limit.take("a"), "a");
  std::string kept = limit.take(s);  // room 4: "ab" + 2 bytes of the euro sign → cut before it
  EXPECT_EQ(kept, "ab" + limit.truncation_marker());
  EXPECT_EQ(limit.kept_bytes(), 3u);
}

TEST(LogLimit, BinaryOutputIsCutAtTheCap) {
  LogLimit limit(3);
  std::string s = "\x80\x80\x80\x80\x80";  // not UTF-8: nothing to respect, cut exactly
  EXPECT_EQ(limit.take(s), "\x80\x80\x80" + limit.truncation_marker());
}

TEST(HumanBytes, Units) {
  EXPECT_EQ(human_bytes(0), "0 bytes");
  EXPECT_EQ(human_bytes(1), "1 byte");
  EXPECT_EQ(human_bytes(1023), "1023 bytes");
  EXPECT_EQ(human_bytes(1024), "1.0 KiB");
  EXPECT_EQ(human_bytes(1536), "1.5 KiB");
  EXPECT_EQ(human_bytes(4 * 1024 * 1024), "4.0 MiB");
  EXPECT_EQ(human_bytes(std::size_t{3} << 30), "3.0 GiB");
}

}  // namespace
}  // namespace mlgate::runners
