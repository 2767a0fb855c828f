#include "util/strings.h"

#include <gtest/gtest.h>

namespace mlgate::util {
namespace {

TEST(Strings, LowerIsAsciiOnly) {
  EXPECT_EQ(lower("Acme/Model-REPO"), "acme/model-repo");
  EXPECT_EQ(lower(""), "");
  EXPECT_EQ(lower("\xC3\x84"), "\xC3\x84");  // UTF-8 bytes are left alone
}

TEST(Strings, TrimDefaultsToWhitespace) {
  EXPECT_EQ(trim("  a b \t\r\n"), "a b");
  EXPECT_EQ(trim(" \t\r\n"), "");
  EXPECT_EQ(trim(""), "");
  EXPECT_EQ(trim("x"), "x");
}

TEST(Strings, ParseInt64TakesDecimalDigitsAndNothingElse) {
  EXPECT_EQ(parse_int64("0"), 0);
  EXPECT_EQ(parse_int64("-12"), -12);
  EXPECT_EQ(parse_int64("9223372036854775807"), INT64_MAX);
  for (const char* bad : {"", "1e3", "12abc", " 7", "7 ", "+1", "9223372036854775808", "0x10"})
    EXPECT_FALSE(parse_int64(bad)) << bad;
}

TEST(Strings, TrimTakesTheCharacters) {
  EXPECT_EQ(trim(" \ttoken\t ", " \t"), "token");
  EXPECT_EQ(trim(" token\r\n", " \t"), "token\r\n");
}

TEST(Strings, ShortShaIsTwelveCharacters) {
  EXPECT_EQ(short_sha("0123456789abcdef0123456789abcdef01234567"), "0123456789ab");
  EXPECT_EQ(short_sha("abc"), "abc");
  EXPECT_EQ(short_sha(""), "");
}

}  // namespace
}  // namespace mlgate::util
