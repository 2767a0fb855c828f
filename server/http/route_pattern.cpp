#include "server/http/route_pattern.h"

#include <algorithm>
#include <cctype>
#include <stdexcept>

namespace mlgate::server {

namespace {

constexpr std::size_t kUnbounded = std::string_view::npos;

bool in(const std::bitset<256>& chars, char c) {
  return chars[static_cast<unsigned char>(c)];
}

}  // namespace

// Reads a pattern left to right into literals and captures; refuses the rest.
class RoutePattern::Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  void parse(RoutePattern& out) {
    std::string literal;
    while (at_ < text_.size()) {
      const char c = text_[at_];
      if (c == '(') {
        if (!literal.empty()) out.elements_.push_back({.literal = std::move(literal)});
        literal.clear();
        out.elements_.push_back(capture(out.group_count_++));
      } else if (c == '\\') {
        literal += escaped();
      } else if (c == '.') {
        if (!literal.empty()) out.elements_.push_back({.literal = std::move(literal)});
        literal.clear();
        out.elements_.push_back(any_character());
        ++at_;
      } else if (std::string_view("^$.|?*+)[]{}").find(c) != std::string_view::npos) {
        fail("a special character outside a capture");
      } else {
        literal += c;
        ++at_;
      }
    }
    if (!literal.empty()) {
      out.tail_ = literal;
      out.elements_.push_back({.literal = std::move(literal)});
    }
    if (out.group_count_ > kMaxGroups) fail("more than four captures");
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw std::invalid_argument("route pattern " + std::string(text_) + ": " + what + " at " +
                                std::to_string(at_) + " (server/http/route_pattern.h)");
  }
  bool next_is(std::string_view s) const { return text_.substr(at_).starts_with(s); }
  void expect(std::string_view s) {
    if (!next_is(s)) fail("expected " + std::string(s));
    at_ += s.size();
  }

  // \ and a punctuation character: that character.
  char escaped() {
    if (at_ + 1 >= text_.size()) fail("a trailing backslash");
    const char c = text_[at_ + 1];
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || u >= 0x80) fail("an escape other than punctuation");
    at_ += 2;
    return c;
  }

  // ( class repeat [| class repeat]... ) or ( class+ (?:/ class+)+ ), the same class throughout.
  Element capture(std::size_t group) {
    expect("(");
    Element e{.chars = char_class(), .group = group};
    e.repeats.push_back(repeat());
    while (next_is("|")) {
      ++at_;
      if (char_class() != e.chars) fail("alternatives of different classes");
      e.repeats.push_back(repeat());
    }
    if (next_is("(?:/")) {
      at_ += 4;
      const bool one_or_more =
          e.repeats.size() == 1 && e.repeats[0].min == 1 && e.repeats[0].max == kUnbounded;
      if (!one_or_more || char_class() != e.chars || e.chars['/']) fail("unsupported runs");
      expect("+)+");
      e.joined_runs = true;
    }
    expect(")");
    return e;
  }

  // '.': one character but \n and \r (ECMAScript's line terminators that fit in a char).
  static Element any_character() {
    Element e{.repeats = {{1, 1}}, .group = kMaxGroups};
    e.chars.set();
    e.chars.reset('\n');
    e.chars.reset('\r');
    return e;
  }

  // [...] (ranges, single characters, \d, escaped punctuation; not negated) or \d.
  std::bitset<256> char_class() {
    std::bitset<256> chars;
    if (next_is("\\d")) {
      at_ += 2;
      return digits();
    }
    expect("[");
    if (next_is("^")) fail("a negated class");
    while (at_ < text_.size() && text_[at_] != ']') {
      if (next_is("\\d")) {
        at_ += 2;
        chars |= digits();
        continue;
      }
      const char first = text_[at_] == '\\' ? escaped() : text_[at_++];
      if (at_ + 1 < text_.size() && text_[at_] == '-' && text_[at_ + 1] != ']') {
        ++at_;
        const char last = text_[at_] == '\\' ? escaped() : text_[at_++];
        if (static_cast<unsigned char>(last) < static_cast<unsigned char>(first))
          fail("a reversed range");
        for (unsigned c = static_cast<unsigned char>(first); c <= static_cast<unsigned char>(last);
             ++c)
          chars.set(c);
      } else {
        chars.set(static_cast<unsigned char>(first));
      }
    }
    expect("]");
    if (chars.none()) fail("an empty class");
    return chars;
  }

  static std::bitset<256> digits() {
    std::bitset<256> chars;
    for (char c = '0'; c <= '9'; ++c) chars.set(static_cast<unsigned char>(c));
    return chars;
  }

  // + or {n} or {m,n}, greedy.
  Repeat repeat() {
    Repeat r;
    if (next_is("+")) {
      ++at_;
      r = {1, kUnbounded};
    } else {
      expect("{");
      r.min = r.max = number();
      if (next_is(",")) {
        ++at_;
        r.max = number();
      }
      expect("}");
      if (r.max < r.min || r.max == 0) fail("an empty repetition");
    }
    if (next_is("?") || next_is("+") || next_is("*")) fail("a lazy or doubled repetition");
    return r;
  }

  std::size_t number() {
    std::size_t n = 0;
    const std::size_t from = at_;
    while (at_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[at_])) &&
           at_ - from < 6)
      n = n * 10 + static_cast<std::size_t>(text_[at_++] - '0');
    if (at_ == from) fail("expected a number");
    return n;
  }

  std::string_view text_;
  std::size_t at_ = 0;
};

RoutePattern::RoutePattern(std::string_view pattern) {
  Parser(pattern).parse(*this);
}

bool RoutePattern::match(std::string_view path, Groups& groups) const {
  if (!path.ends_with(tail_)) return false;
  return match_from(0, path, 0, groups);
}

bool RoutePattern::match_from(std::size_t element, std::string_view path, std::size_t at,
                              Groups& groups) const {
  if (element == elements_.size()) return at == path.size();
  const Element& e = elements_[element];
  if (!e.literal.empty()) {
    return path.substr(at).starts_with(e.literal) &&
           match_from(element + 1, path, at + e.literal.size(), groups);
  }
  return e.joined_runs ? match_runs(element, path, at, groups)
                       : match_capture(element, path, at, groups);
}

// One class repeated: each alternative in order, each from its longest to its shortest.
bool RoutePattern::match_capture(std::size_t element, std::string_view path, std::size_t at,
                                 Groups& groups) const {
  const Element& e = elements_[element];
  std::size_t longest = 0;
  for (const Repeat& r : e.repeats) longest = std::max(longest, r.max);
  std::size_t run = 0;
  while (at + run < path.size() && run < longest && in(e.chars, path[at + run])) ++run;
  for (const Repeat& r : e.repeats) {
    if (run < r.min) continue;
    for (std::size_t length = std::min(run, r.max);; --length) {
      if (e.group < kMaxGroups) groups[e.group] = {at, length};
      if (match_from(element + 1, path, at + length, groups)) return true;
      if (length == r.min) break;
    }
  }
  return false;
}

// class+(?:/class+)+ where the class has no '/': it may end anywhere inside its second run or a
// later one; ECMAScript's greedy backtracking tries those ends from the last one back.
bool RoutePattern::match_runs(std::size_t element, std::string_view path, std::size_t at,
                              Groups& groups) const {
  const Element& e = elements_[element];
  auto run_end = [&](std::size_t from) {
    while (from < path.size() && in(e.chars, path[from])) ++from;
    return from;
  };
  auto run_follows = [&](std::size_t slash) {
    return slash + 1 < path.size() && path[slash] == '/' && in(e.chars, path[slash + 1]);
  };
  std::size_t end = run_end(at);
  if (end == at || !run_follows(end)) return false;
  const std::size_t second = end + 1;
  end = run_end(second);
  while (run_follows(end)) end = run_end(end + 1);
  for (std::size_t stop = end; stop > second; --stop) {
    if (path[stop - 1] == '/') continue;
    groups[e.group] = {at, stop - at};
    if (match_from(element + 1, path, stop, groups)) return true;
  }
  return false;
}

}  // namespace mlgate::server
