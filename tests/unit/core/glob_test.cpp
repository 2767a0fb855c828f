#include "core/glob.h"

#include <gtest/gtest.h>

#include <string>

namespace mlgate::core {
namespace {

TEST(Glob, LiteralsMatchWholeString) {
  EXPECT_TRUE(glob_match("main", "main"));
  EXPECT_FALSE(glob_match("main", "main2"));
  EXPECT_FALSE(glob_match("main", "xmain"));
  EXPECT_FALSE(glob_match("Main", "main"));
  EXPECT_TRUE(glob_match("", ""));
  EXPECT_FALSE(glob_match("", "a"));
}

TEST(Glob, StarMatchesAnyRunIncludingSlash) {
  EXPECT_TRUE(glob_match("*", ""));
  EXPECT_TRUE(glob_match("*", "anything/at/all"));
  EXPECT_TRUE(glob_match("release/*", "release/1.2"));
  EXPECT_TRUE(glob_match("release/*", "release/1.2/hotfix"));
  EXPECT_FALSE(glob_match("release/*", "releases/1.2"));
  EXPECT_TRUE(glob_match("tests/data/test_schema.py::*", "tests/data/test_schema.py::test_cols"));
  EXPECT_FALSE(glob_match("tests/data/test_schema.py::*", "tests/data/test_other.py::test_cols"));
  EXPECT_TRUE(glob_match("*slice*", "tests/model/test_slices.py::test_age_slice[<30]"));
  EXPECT_FALSE(glob_match("*slice*", "tests/model/test_acc.py::test_acc"));
  EXPECT_TRUE(glob_match("a*b*c", "aXXbYYc"));
  EXPECT_TRUE(glob_match("a*b*c", "abbbc"));
  EXPECT_FALSE(glob_match("a*b*c", "abcx"));
}

TEST(Glob, DoubleStarIsAStar) {
  EXPECT_TRUE(glob_match("release/**", "release/1.2/hotfix"));
  EXPECT_TRUE(glob_match("**/main", "team/x/main"));
  EXPECT_TRUE(glob_match("**", "a/b/c"));
}

TEST(Glob, QuestionMarkIsOneCharacter) {
  EXPECT_TRUE(glob_match("v?", "v1"));
  EXPECT_FALSE(glob_match("v?", "v"));
  EXPECT_FALSE(glob_match("v?", "v10"));
  EXPECT_TRUE(glob_match("a?c", "a/c"));
}

TEST(Glob, Classes) {
  EXPECT_TRUE(glob_match("v[123]", "v2"));
  EXPECT_FALSE(glob_match("v[123]", "v4"));
  EXPECT_TRUE(glob_match("v[0-9].x", "v7.x"));
  EXPECT_FALSE(glob_match("v[0-9].x", "va.x"));
  EXPECT_TRUE(glob_match("v[!0-9]", "va"));
  EXPECT_FALSE(glob_match("v[!0-9]", "v5"));
  EXPECT_TRUE(glob_match("v[^0-9]", "va"));
  EXPECT_TRUE(glob_match("[]]", "]"));
  EXPECT_TRUE(glob_match("[a-]", "-"));
  EXPECT_TRUE(glob_match("feat-[a-c]*", "feat-b/thing"));
}

TEST(Glob, UnterminatedClassIsLiteral) {
  EXPECT_TRUE(glob_match("a[b", "a[b"));
  EXPECT_FALSE(glob_match("a[b", "ab"));
}

TEST(Glob, BackslashEscapes) {
  EXPECT_TRUE(glob_match("a\\*", "a*"));
  EXPECT_FALSE(glob_match("a\\*", "ab"));
  EXPECT_TRUE(glob_match("\\[x]", "[x]"));
  EXPECT_TRUE(glob_match("a\\", "a\\"));
}

TEST(Glob, PathologicalPatternsAreFast) {
  std::string text(20000, 'a');
  std::string pattern;
  for (int i = 0; i < 200; ++i) pattern += "*a";
  pattern += "b";
  EXPECT_FALSE(glob_match(pattern, text));
  EXPECT_TRUE(glob_match(pattern.substr(0, pattern.size() - 1), text));
}

}  // namespace
}  // namespace mlgate::core
