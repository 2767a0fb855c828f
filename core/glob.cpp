#include "core/glob.h"

#include <cstddef>
#include <optional>

namespace mlgate::core {
namespace {

// Matches the class starting at pattern[p] == '[' against c. Returns the index just past the
// class and whether c matched, or nullopt when the class is not terminated.
struct ClassMatch {
  std::size_t end;
  bool matched;
};

std::optional<ClassMatch> match_class(std::string_view pattern, std::size_t p, char c) {
  std::size_t i = p + 1;
  bool negate = false;
  if (i < pattern.size() && (pattern[i] == '!' || pattern[i] == '^')) {
    negate = true;
    ++i;
  }
  bool matched = false;
  bool first = true;
  while (i < pattern.size()) {
    char lo = pattern[i];
    if (lo == ']' && !first) return ClassMatch{i + 1, matched != negate};
    first = false;
    if (lo == '\\' && i + 1 < pattern.size()) lo = pattern[++i];
    ++i;
    char hi = lo;
    if (i + 1 < pattern.size() && pattern[i] == '-' && pattern[i + 1] != ']') {
      hi = pattern[i + 1];
      i += 2;
      if (hi == '\\' && i < pattern.size()) hi = pattern[i++];
    }
    auto uc = static_cast<unsigned char>(c);
    if (static_cast<unsigned char>(lo) <= uc && uc <= static_cast<unsigned char>(hi)) {
      matched = true;
    }
  }
  return std::nullopt;
}

}  // namespace

bool glob_match(std::string_view pattern, std::string_view text) {
  std::size_t p = 0;
  std::size_t t = 0;
  // Where to resume after the most recent '*': the pattern index after it and the text index it
  // currently swallows up to. Because '*' matches every character, one backtrack point suffices.
  std::optional<std::size_t> star_p;
  std::size_t star_t = 0;
  while (t < text.size()) {
    if (p < pattern.size()) {
      char pc = pattern[p];
      if (pc == '*') {
        while (p < pattern.size() && pattern[p] == '*') ++p;
        star_p = p;
        star_t = t;
        continue;
      }
      if (pc == '?') {
        ++p;
        ++t;
        continue;
      }
      if (pc == '[') {
        if (auto cls = match_class(pattern, p, text[t])) {
          if (cls->matched) {
            p = cls->end;
            ++t;
            continue;
          }
        } else if (text[t] == '[') {  // unterminated: a literal '['
          ++p;
          ++t;
          continue;
        }
      } else {
        if (pc == '\\' && p + 1 < pattern.size()) pc = pattern[p + 1];
        if (pc == text[t]) {
          p += (pattern[p] == '\\' && p + 1 < pattern.size()) ? 2u : 1u;
          ++t;
          continue;
        }
      }
    }
    if (!star_p) return false;
    p = *star_p;
    t = ++star_t;
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace mlgate::core
