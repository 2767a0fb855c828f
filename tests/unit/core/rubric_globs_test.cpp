// The rubric's compiled globs give glob_match's answer on every pattern and text, the tricky ones
// included: stars at either end or both, runs of stars, pieces that overlap or repeat, empty
// pieces, and the patterns left to glob_match ('?', classes, escapes).
#include "core/rubric_globs.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/glob.h"

namespace mlgate::core {
namespace {

const std::vector<std::string> kPatterns = {
    "",
    "*",
    "**",
    "***",
    "a",
    "abc",
    "a*",
    "*a",
    "*a*",
    "a*a",
    "a*b*c",
    "a**b",
    "*aa*",
    "*aba*",
    "ab*ab",
    "*ab*ab*",
    "aa*aa",
    "tests/data/test_schema.py::*",
    "tests/infra/test_repro*.py::*",
    "tests/infra/test_pipeline.py::TestPipeline::*",
    "*feature_importance*",
    "*slice*",
    "*::test_*[*]",
    "tests/*/test_?.py::*",
    "v[0-9]*",
    "v[!0-9]*",
    "[]]*",
    "a[*",
    "\\*lit*",
    "a\\*b",
    "*.py::test_x",
};

const std::vector<std::string> kTexts = {
    "",
    "a",
    "aa",
    "aaa",
    "ab",
    "abab",
    "ababab",
    "aba",
    "abc",
    "aXXbYYc",
    "abcx",
    "ab ab",
    "tests/data/test_schema.py::test_cols",
    "tests/data/test_schema.py::",
    "tests/data/test_schema.py",
    "tests/infra/test_repro.py::test_seed",
    "tests/infra/test_reproducible.py::TestX::test_seed",
    "tests/infra/test_pipeline.py::TestPipeline::test_end_to_end",
    "tests/infra/test_pipeline.py::TestOther::test_end_to_end",
    "tests.model.test_importance.TestX::test_feature_importance_stable",
    "tests/model/test_slices.py::test_age_slice[<30]",
    "tests/model/test_acc.py::test_acc",
    "tests/a/test_b.py::t",
    "v1.2",
    "vx",
    "]x",
    "a[",
    "*literal",
    "a*b",
    "axb",
    "x.py::test_x",
};

TEST(RubricGlobs, SameAnswersAsGlobMatch) {
  for (const auto& p : kPatterns) {
    const CompiledGlob compiled(p);
    for (const auto& t : kTexts)
      EXPECT_EQ(compiled.matches(t), glob_match(p, t))
          << "pattern '" << p << "', text '" << t << "'";
  }
}

// Every pattern against every text made of its own characters, up to length 6: the overlaps a
// hand-picked list misses.
TEST(RubricGlobs, SameAnswersOnEveryShortTextOfTwoLetters) {
  std::vector<std::string> texts{""};
  for (std::size_t len = 1; len <= 6; ++len) {
    const std::size_t before = texts.size();
    for (std::size_t i = 0; i < before; ++i)
      if (texts[i].size() == len - 1)
        for (char c : {'a', 'b'}) texts.push_back(texts[i] + c);
  }
  for (const auto& p : kPatterns) {
    const CompiledGlob compiled(p);
    for (const auto& t : texts)
      EXPECT_EQ(compiled.matches(t), glob_match(p, t))
          << "pattern '" << p << "', text '" << t << "'";
  }
}

TEST(RubricGlobs, AnyMatchesAnyGlobOnAnyId) {
  const std::vector<CompiledGlob> globs{CompiledGlob("*slice*"), CompiledGlob("x/*")};
  EXPECT_TRUE(any_matches(globs, {"a::b", "x/y.py::t"}));
  EXPECT_TRUE(any_matches(globs, {"tests/test_slices.py::t"}));
  EXPECT_FALSE(any_matches(globs, {"a::b", "y/x.py::t"}));
  EXPECT_FALSE(any_matches({}, {"a"}));
}

}  // namespace
}  // namespace mlgate::core
