#include "util/hash.h"

#include <gtest/gtest.h>

#include "util/hex.h"

namespace mlgate::util {
namespace {

TEST(Hex, EncodesLowerCase) {
  const unsigned char bytes[] = {0x00, 0x0f, 0xa5, 0xff};
  EXPECT_EQ(to_hex(bytes, sizeof bytes), "000fa5ff");
  EXPECT_EQ(to_hex(std::string_view("AB")), "4142");
  EXPECT_EQ(to_hex(std::string_view()), "");
}

TEST(Hex, U64IsSixteenDigits) {
  EXPECT_EQ(hex_u64(0), "0000000000000000");
  EXPECT_EQ(hex_u64(42), "000000000000002a");
  EXPECT_EQ(hex_u64(0xfedcba9876543210ull), "fedcba9876543210");
}

TEST(Hex, DigitValues) {
  EXPECT_EQ(hex_digit_value('0'), 0);
  EXPECT_EQ(hex_digit_value('9'), 9);
  EXPECT_EQ(hex_digit_value('a'), 10);
  EXPECT_EQ(hex_digit_value('F'), 15);
  EXPECT_EQ(hex_digit_value('g'), -1);
  EXPECT_EQ(hex_digit_value(' '), -1);
}

TEST(Hash, Sha256KnownAnswers) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const auto raw = sha256("abc");
  ASSERT_TRUE(raw);
  EXPECT_EQ(to_hex(raw->data(), raw->size()), sha256_hex("abc"));
}

TEST(Hash, HmacSha256KnownAnswer) {
  // RFC 4231 test case 2.
  EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(hmac_sha256_hex("", "").size(), 64u);
  EXPECT_NE(hmac_sha256_hex("key", ""), hmac_sha256_hex("key2", ""));
}

}  // namespace
}  // namespace mlgate::util
