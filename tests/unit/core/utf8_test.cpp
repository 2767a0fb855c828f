// core/utf8.h's cut: text cut to a byte limit ends between characters, so PostgreSQL (UTF8) takes
// it (a runner's finish message of 4,096 bytes cut inside a character was refused with a 500).
#include "core/utf8.h"

#include <gtest/gtest.h>

#include <string>

namespace mlgate::core {
namespace {

TEST(Utf8Prefix, CutsBetweenCharacters) {
  EXPECT_EQ(utf8_prefix("abc", 10), "abc");
  EXPECT_EQ(utf8_prefix("abc", 2), "ab");
  const std::string e_acute = "\xC3\xA9";        // 2 bytes
  const std::string euro = "\xE2\x82\xAC";       // 3 bytes
  const std::string emoji = "\xF0\x9F\x98\x80";  // 4 bytes
  EXPECT_EQ(utf8_prefix("a" + e_acute, 2), "a");
  EXPECT_EQ(utf8_prefix("a" + e_acute, 3), "a" + e_acute);
  EXPECT_EQ(utf8_prefix(euro + euro, 5), euro);
  EXPECT_EQ(utf8_prefix(emoji, 3), "");
  std::string long_text;
  while (long_text.size() < 5000) long_text += euro;
  const auto cut = utf8_prefix(long_text, 4096);
  EXPECT_LE(cut.size(), 4096u);
  EXPECT_GE(cut.size(), 4094u);
  EXPECT_EQ(escape_invalid_utf8(std::string(cut)), std::string(cut));  // still well-formed
}

}  // namespace
}  // namespace mlgate::core
