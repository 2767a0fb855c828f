// metrics.json -> Metric rows (the contract is docs/results.md).
//
//   nested: {"metrics": {"accuracy": 0.93},
//            "slices": {"age_group": {"<30": {"recall": 0.85, "n": 412}}},
//            "meta": {...anything, ignored...}}
//   flat:   {"accuracy": 0.93, "f1": 0.91}
//
// Python's json.dump literals NaN, Infinity and -Infinity are read as the double values (the gate
// fails them); numbers too large for a double (1e400) read as +/-inf. Pure: takes the text, no I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/parse_error.h"
#include "core/results.h"

namespace mlgate::core {

struct MetricsJsonOptions {
  std::string file_name = "metrics.json";  // used in ParseError::file
  std::size_t max_bytes = std::size_t{4} << 20;
  int max_depth = 64;  // deepest nesting of arrays/objects accepted anywhere (also inside "meta")
};

// Rows in this order: the global metrics (empty slice_key/slice_value, no n) in document order,
// then per slice key, per slice value, one row per numeric member other than "n", in document
// order, each carrying the group's n (nullopt when the group has no "n").
Parsed<std::vector<Metric>> parse_metrics_json(std::string_view text,
                                               const MetricsJsonOptions& options = {});

// ---------------------------------------------------------------------------------------------
// Internals shared with core/predictions.cpp: a JSON reader on top of nlohmann's SAX parser that
// keeps the byte offset of every value and key, accepts NaN/Infinity/-Infinity outside strings,
// reads overflowing numbers as +/-inf, rejects duplicate keys and NUL characters in strings, and
// bounds nesting depth before nlohmann sees the text. Not part of the result contract.
namespace json_detail {

struct Node {
  enum class Kind : std::uint8_t {
    null,
    boolean,
    integer,           // fits std::int64_t
    unsigned_integer,  // > INT64_MAX, fits std::uint64_t
    floating,          // has a fraction or exponent, or does not fit 64 bits; may be NaN/inf
    string,
    array,
    object
  };
  Kind kind = Kind::null;
  bool boolean = false;
  std::int64_t integer = 0;
  std::uint64_t unsigned_integer = 0;
  double floating = 0.0;
  std::string string;      // decoded value of a string
  std::size_t offset = 0;  // byte offset of the value's first character
  std::string key;         // member name when this is a member of an object
  std::size_t key_offset = 0;
  std::vector<Node> members;  // object members in document order, down to store_depth; arrays
                              // keep no items (nothing in the result files reads array items)

  bool is_number() const {
    return kind == Kind::integer || kind == Kind::unsigned_integer || kind == Kind::floating;
  }
  double number() const;                                // requires is_number()
  const Node* find(std::string_view member_key) const;  // first member with that key, or null
  Node* find(std::string_view member_key);
  std::string type_name() const;    // "a string", "an object", "a number", "null", ...
  std::string scalar_text() const;  // compact JSON text of a scalar: 1, 0.5, "x", true, null, NaN
};

struct Error {
  std::size_t offset = 0;
  std::string message;
};

// Parses one JSON document. Values deeper than store_depth (root = 0) are checked (syntax,
// duplicate keys, NUL, depth) but not stored. Objects and arrays nested deeper than max_depth
// are an error.
std::variant<Node, Error> parse(std::string_view text, int max_depth, int store_depth);

// The same, for many documents in a row (one a line in predictions.jsonl): keeps its buffers.
class Parser {
 public:
  Parser(int max_depth, int store_depth);
  ~Parser();
  Parser(Parser&&) noexcept;
  Parser& operator=(Parser&&) noexcept;
  std::variant<Node, Error> parse(std::string_view text);

 private:
  struct State;
  int max_depth_;
  int store_depth_;
  std::unique_ptr<State> state_;
};

// Shortest text that reads back as the same double; NaN, Infinity, -Infinity for the others.
std::string format_number(double v);

}  // namespace json_detail
}  // namespace mlgate::core
