// The rubric's `automated` globs (core/glob.h) prepared once per rubric score instead of being
// interpreted again for every test id. A pattern of literal characters and '*' only (the usual
// kind: "tests/data/test_schema.py::*", "*slice*") is kept as its literal pieces between the stars
// and matched as a prefix, a suffix and the pieces between found left to right; any other pattern
// ('?', '[', '\') is matched by glob_match. Either way the answers are glob_match's. Pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mlgate::core {

class CompiledGlob {
 public:
  explicit CompiledGlob(std::string pattern);

  // glob_match(pattern, text).
  bool matches(std::string_view text) const;

 private:
  std::string pattern_;
  bool general_ = false;             // has '?', '[' or '\': glob_match
  bool starred_ = false;             // has at least one '*'
  std::vector<std::string> pieces_;  // literal-and-star pattern: the text between runs of '*'
};

// Whether any of `globs` matches any of `ids`.
bool any_matches(const std::vector<CompiledGlob>& globs, const std::vector<std::string>& ids);

}  // namespace mlgate::core
