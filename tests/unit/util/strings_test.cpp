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
