// A route's pattern (server/http/router.h), matched without std::regex: the routes are written
// as ECMAScript regular expressions, but only with literal text and typed captures, and the table
// of ~100 std::regex objects cost ~0.7 MiB at rest (counted repetitions such as \d{1,18} copy
// their matcher once per count). A pattern is parsed once into literals and captures; the
// matcher answers what std::regex_match would, with the same groups: greedy, first alternative
// first, backtracking in ECMAScript's order. The forms a capture may take:
//   ([A-Za-z0-9_.-]{1,100})  (\d{1,18})  (\d+)  ([0-9a-f]{40}|[0-9a-f]{64})   one class, repeated
//   ([A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)+)    two or more runs of one class joined by '/'
// Outside captures: literal text (\. for a dot) and '.', any character but \n and \r. Anything
// else is refused when the route is registered (std::invalid_argument): never another meaning.
#pragma once

#include <array>
#include <bitset>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mlgate::server {

class RoutePattern {
 public:
  static constexpr std::size_t kMaxGroups = 4;
  struct Span {
    std::size_t begin = 0, length = 0;
  };
  using Groups = std::array<Span, kMaxGroups>;

  // Throws std::invalid_argument for what is not of the forms above.
  explicit RoutePattern(std::string_view pattern);

  // True when the whole of `path` matches; then groups[i] is where capture i+1 matched.
  bool match(std::string_view path, Groups& groups) const;
  std::size_t group_count() const { return group_count_; }

 private:
  struct Repeat {  // the class repeated min..max times (max: npos for +)
    std::size_t min = 0, max = 0;
  };
  struct Element {
    std::string literal;          // a literal when not empty
    std::bitset<256> chars;       // a capture's class
    std::vector<Repeat> repeats;  // its alternatives, in order
    bool joined_runs = false;     // runs of the class joined by '/' (two or more)
    std::size_t group = 0;        // a capture's index in Groups; kMaxGroups: '.', not a group
  };
  class Parser;
  bool match_from(std::size_t element, std::string_view path, std::size_t at, Groups& groups) const;
  bool match_capture(std::size_t element, std::string_view path, std::size_t at,
                     Groups& groups) const;
  bool match_runs(std::size_t element, std::string_view path, std::size_t at, Groups& groups) const;

  std::vector<Element> elements_;
  std::size_t group_count_ = 0;
  std::string tail_;  // the literal the pattern ends with (a quick refusal)
};

}  // namespace mlgate::server
