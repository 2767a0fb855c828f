// Glob patterns for rubric.automated test ids and tier `branches` filters. Pure.
#pragma once

#include <string_view>

namespace mlgate::core {

// Whole-string match of `text` against `pattern`:
//   *      any run of characters, including '/' (so "tests/*" matches "tests/data/test_x.py::t")
//   **     the same as * (accepted so that branch filters like "release/**" read naturally)
//   ?      exactly one character (one byte)
//   [abc]  one character of the set; ranges [a-z]; [!abc] or [^abc] negate; a ']' right after
//          '[' (or '[!') is a member. A '[' without a closing ']' matches a literal '['.
//   \x     the character x literally (e.g. \* or \[)
// Everything else matches itself, case-sensitively. Runs in O(|pattern| * |text|) at worst.
bool glob_match(std::string_view pattern, std::string_view text);

}  // namespace mlgate::core
