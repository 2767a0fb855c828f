// The error every result parser (core/junit.h, core/metrics_json.h, core/predictions.h) returns,
// and Parsed<T>: either the parsed value or that error. Header-only, pure.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "core/utf8.h"

namespace mlgate::core {

// Where and why a file could not be read. line and column are 1-based; 0 means "not known" (e.g.
// a size cap is exceeded before anything is parsed). The column counts characters (UTF-8 code
// points) from the start of the line, so it matches what an editor shows.
struct ParseError {
  std::string file;  // e.g. "metrics.json", as the caller named it
  int line = 0;
  int column = 0;
  std::string message;

  // "metrics.json:3:17: expected a number for slices.age_group.<30.recall, got a string";
  // the parts that are unknown are left out: "metrics.json:3: …", "metrics.json: …", "3:17: …".
  std::string to_string() const {
    std::string out = file;
    if (line > 0) {
      if (!out.empty()) out += ':';
      out += std::to_string(line);
      if (column > 0) out += ':' + std::to_string(column);
    }
    if (!out.empty()) out += ": ";
    out += message;
    // A message may quote the file ("last read: …"), and the file may not be UTF-8.
    return escape_invalid_utf8(out);
  }

  bool operator==(const ParseError&) const = default;
};

// A results file refused for its size before it is read (docs/results.md): "file is 17000000
// bytes, over the cap of 16777216 bytes".
inline std::string file_over_cap_message(std::size_t size, std::size_t cap) {
  return "file is " + std::to_string(size) + " bytes, over the cap of " + std::to_string(cap) +
         " bytes";
}

// Either a value or a ParseError. value() requires ok() (it throws std::bad_variant_access
// otherwise), error() requires !ok().
template <class T>
class Parsed {
 public:
  Parsed(T value) : v_(std::in_place_index<0>, std::move(value)) {}           // NOLINT
  Parsed(ParseError error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const ParseError& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, ParseError> v_;
};

// 1-based line and column of a byte offset in text. Lines end at '\n' (a "\r\n" pair counts once);
// the column counts UTF-8 code points (bytes that are not continuation bytes). An offset past the
// end is clamped to the end.
struct TextPosition {
  int line = 1;
  int column = 1;
};

inline TextPosition position_at(std::string_view text, std::size_t offset) {
  if (offset > text.size()) offset = text.size();
  TextPosition pos;
  for (std::size_t i = 0; i < offset; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\n') {
      ++pos.line;
      pos.column = 1;
    } else if ((c & 0xC0) != 0x80) {
      ++pos.column;
    }
  }
  return pos;
}

// A ParseError pointing at a byte offset of text.
inline ParseError error_at(std::string file, std::string_view text, std::size_t offset,
                           std::string message) {
  const TextPosition pos = position_at(text, offset);
  return ParseError{std::move(file), pos.line, pos.column, std::move(message)};
}

// A ParseError with no position (size caps, empty input).
inline ParseError error_without_position(std::string file, std::string message) {
  return ParseError{std::move(file), 0, 0, std::move(message)};
}

}  // namespace mlgate::core
