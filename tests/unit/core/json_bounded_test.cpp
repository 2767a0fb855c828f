#include "core/json_bounded.h"

#include <gtest/gtest.h>

#include <string>

namespace mlgate::core {
namespace {

TEST(JsonBounded, ParsesADocumentWithinTheDepth) {
  auto j = parse_json_bounded(R"({"a": [[1, {"b": "[[[["}]]})", 4);
  EXPECT_EQ(j["a"][0][1]["b"], "[[[[");
}

TEST(JsonBounded, RefusesOneLevelTooDeepWithItsOffset) {
  EXPECT_NO_THROW(parse_json_bounded("[[[]]]", 3));
  try {
    parse_json_bounded("[[[[]]]]", 3);
    FAIL() << "no error";
  } catch (const JsonInputError& e) {
    EXPECT_EQ(e.byte(), 3u);
    EXPECT_STREQ(e.what(), "JSON nested deeper than 3 levels at byte 3");
  }
}

TEST(JsonBounded, BracketsInsideStringsAndEscapedQuotesDoNotCount) {
  EXPECT_EQ(json_too_deep_at(R"(["\"[[[[", {"k": "{{{{"}])", 2), std::nullopt);
  EXPECT_EQ(json_too_deep_at(R"(["\\", [[]]])", 2), 8u);
}

TEST(JsonBounded, AMillionOpeningBracketsAreRefusedAtTheLimit) {
  const std::string deep(std::size_t{1} << 20, '[');
  try {
    parse_json_bounded(deep);
    FAIL() << "no error";
  } catch (const JsonInputError& e) {
    EXPECT_EQ(e.byte(), static_cast<std::size_t>(kMaxJsonDepth));
  }
}

TEST(JsonBounded, MalformedJsonNamesTheByte) {
  try {
    parse_json_bounded(R"({"a": 1,})");
    FAIL() << "no error";
  } catch (const JsonInputError& e) {
    EXPECT_EQ(e.byte(), 8u);
    EXPECT_EQ(std::string(e.what()).rfind("malformed JSON at byte 8", 0), 0u) << e.what();
  }
}

// A number past every numeric type is nlohmann's out_of_range, not a parse_error: it is refused
// as the same JsonInputError (found by fuzzing the webhook peek, which caught only that type).
TEST(JsonBounded, ANumberOutOfRangeIsAnInputErrorToo) {
  EXPECT_THROW(parse_json_bounded(R"({"n": 71456e973})"), JsonInputError);
  EXPECT_THROW(parse_json_bounded("[1e999]"), JsonInputError);
}

// The NUL character anywhere in a string or a member name (what PostgreSQL cannot store).
TEST(JsonBounded, HoldsNulFindsItInStringsAndNamesAtAnyDepth) {
  EXPECT_FALSE(holds_nul(parse_json_bounded(R"({"a":["b",{"c":"d"}],"n":1,"x":null})")));
  EXPECT_TRUE(holds_nul(parse_json_bounded(R"("a\u0000")")));
  EXPECT_TRUE(holds_nul(parse_json_bounded(R"({"a":[1,{"c":"\u0000d"}]})")));
  EXPECT_TRUE(holds_nul(parse_json_bounded(R"({"a\u0000":1})")));
  EXPECT_FALSE(holds_nul(parse_json_bounded(R"({"a":"\\u0000"})")));  // a backslash, then text
}

}  // namespace
}  // namespace mlgate::core
