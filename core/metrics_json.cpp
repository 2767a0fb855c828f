#include "core/metrics_json.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <system_error>
#include <utility>

namespace mlgate::core {
namespace json_detail {
namespace {

bool is_ws(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// The characters that end a bare word (number or literal).
bool is_delimiter(char c) {
  return is_ws(c) || c == ',' || c == ':' || c == '[' || c == ']' || c == '{' || c == '}' ||
         c == '"';
}

std::size_t skip_bom(std::string_view text) {
  return text.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0;
}

// End of the string token starting at text[i] == '"' (one past the closing quote, or the end of
// the text when it is unterminated).
std::size_t string_end(std::string_view text, std::size_t i) {
  std::size_t j = i + 1;
  while (j < text.size() && text[j] != '"') j += text[j] == '\\' ? 2 : 1;
  return std::min(j + 1, text.size());
}

std::size_t word_end(std::string_view text, std::size_t i) {
  while (i < text.size() && !is_delimiter(text[i])) ++i;
  return i;
}

// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
bool is_json_number(std::string_view w) {
  std::size_t i = 0;
  auto digit = [&](std::size_t k) { return k < w.size() && w[k] >= '0' && w[k] <= '9'; };
  if (i < w.size() && w[i] == '-') ++i;
  if (!digit(i)) return false;
  if (w[i] == '0') {
    ++i;
  } else {
    while (digit(i)) ++i;
  }
  if (i < w.size() && w[i] == '.') {
    ++i;
    if (!digit(i)) return false;
    while (digit(i)) ++i;
  }
  if (i < w.size() && (w[i] == 'e' || w[i] == 'E')) {
    ++i;
    if (i < w.size() && (w[i] == '+' || w[i] == '-')) ++i;
    if (!digit(i)) return false;
    while (digit(i)) ++i;
  }
  return i == w.size();
}

// For a valid JSON number that a double cannot hold: true when it is too large (reads as inf),
// false when it is too small (reads as 0, which nlohmann handles itself).
bool overflows(std::string_view w) {
  double ignored = 0;
  const auto [ptr, ec] = std::from_chars(w.data(), w.data() + w.size(), ignored);
  if (ec != std::errc::result_out_of_range || ptr != w.data() + w.size()) return false;
  std::size_t i = w[0] == '-' ? 1 : 0;
  const std::size_t int_begin = i;
  while (i < w.size() && w[i] >= '0' && w[i] <= '9') ++i;
  const std::string_view int_part = w.substr(int_begin, i - int_begin);
  std::string_view frac_part;
  if (i < w.size() && w[i] == '.') {
    const std::size_t b = ++i;
    while (i < w.size() && w[i] >= '0' && w[i] <= '9') ++i;
    frac_part = w.substr(b, i - b);
  }
  long long exponent = 0;
  if (i < w.size() && (w[i] == 'e' || w[i] == 'E')) {
    ++i;
    bool negative = false;
    if (w[i] == '+' || w[i] == '-') negative = w[i++] == '-';
    for (; i < w.size(); ++i) exponent = std::min(exponent * 10 + (w[i] - '0'), 1'000'000'000LL);
    if (negative) exponent = -exponent;
  }
  // Decimal order of magnitude of the leading non-zero digit.
  long long lead = 0;
  const auto nz = int_part.find_first_not_of('0');
  if (nz != std::string_view::npos) {
    lead = static_cast<long long>(int_part.size() - nz) - 1;
  } else {
    const auto fz = frac_part.find_first_not_of('0');
    if (fz == std::string_view::npos) return false;  // zero
    lead = -static_cast<long long>(fz) - 1;
  }
  return lead + exponent > 0;
}

// Pass 1: bounds the nesting depth and rewrites the tokens nlohmann rejects but we accept (NaN,
// Infinity, -Infinity and overflowing numbers, in value position) into valid numbers of the same
// length, so byte offsets stay the same. Returns the rewritten copy (empty optional when nothing
// needed rewriting) or an error.
std::variant<std::optional<std::string>, Error> prescan(std::string_view text, int max_depth,
                                                        std::vector<char>& stack) {
  std::optional<std::string> rewritten;
  stack.clear();  // '{' or '['
  bool expect_value = true;
  std::size_t i = skip_bom(text);
  const std::size_t n = text.size();
  while (i < n) {
    const char c = text[i];
    if (is_ws(c)) {
      ++i;
    } else if (c == '{' || c == '[') {
      if (stack.size() >= static_cast<std::size_t>(max_depth)) {
        return Error{i, "JSON nested deeper than " + std::to_string(max_depth) + " levels"};
      }
      stack.push_back(c);
      expect_value = c == '[';
      ++i;
    } else if (c == '}' || c == ']') {
      if (!stack.empty()) stack.pop_back();
      expect_value = false;
      ++i;
    } else if (c == ':') {
      expect_value = true;
      ++i;
    } else if (c == ',') {
      expect_value = !stack.empty() && stack.back() == '[';
      ++i;
    } else if (c == '"') {
      i = string_end(text, i);
      expect_value = false;
    } else {
      const std::size_t j = word_end(text, i);
      const std::string_view w = text.substr(i, j - i);
      if (expect_value) {
        std::string_view replacement;
        std::string filler;
        if (w == "NaN") {
          replacement = "0.0";
        } else if (w == "Infinity") {
          replacement = "0.000000";
        } else if (w == "-Infinity") {
          replacement = "-0.000000";
        } else if (w.size() >= 3 && is_json_number(w) && overflows(w)) {
          filler = "0e" + std::string(w.size() - 2, '0');
          replacement = filler;
        }
        if (!replacement.empty()) {
          if (!rewritten) rewritten.emplace(text);
          rewritten->replace(i, w.size(), replacement);
        }
      }
      expect_value = false;
      i = j;
    }
  }
  return rewritten;
}

// Pass 2 runs in step with nlohmann's SAX callbacks over the same text: each callback consumes
// one token, which gives the byte offset of every key and value.
class TokenCursor {
 public:
  explicit TokenCursor(std::string_view text) : text_(text), pos_(skip_bom(text)) {}

  // Offset of the next token (skipping whitespace, ',' and ':'); moves past it.
  std::pair<std::size_t, std::size_t> next() {
    while (pos_ < text_.size() &&
           (is_ws(text_[pos_]) || text_[pos_] == ',' || text_[pos_] == ':')) {
      ++pos_;
    }
    const std::size_t start = pos_;
    if (pos_ >= text_.size()) return {start, start};
    const char c = text_[pos_];
    if (c == '{' || c == '}' || c == '[' || c == ']') {
      ++pos_;
    } else if (c == '"') {
      pos_ = string_end(text_, pos_);
    } else {
      pos_ = word_end(text_, pos_);
    }
    return {start, pos_};
  }

 private:
  std::string_view text_;
  std::size_t pos_;
};

std::string nlohmann_message(const std::string& what) {
  // "[json.exception.parse_error.101] parse error at line 1, column 5: syntax error ..."
  std::string_view m = what;
  if (const auto col = m.find("column "); col != std::string_view::npos) {
    if (const auto colon = m.find(": ", col); colon != std::string_view::npos) {
      return std::string(m.substr(colon + 2));
    }
  }
  if (!m.empty() && m[0] == '[') {
    if (const auto close = m.find("] "); close != std::string_view::npos) m = m.substr(close + 2);
  }
  return std::string(m);
}

// The keys of one object, in one buffer (no allocation per key). The first kChecked keys are
// checked for repeats as they come; beyond that (big objects), first_repeat() checks all of them
// once the object is complete, by sorting, so hostile objects with many keys stay O(n log n).
class KeySet {
 public:
  static constexpr std::size_t kChecked = 16;

  void clear() {
    arena_.clear();
    refs_.clear();
  }

  // False when the key is a repeat (only detected here among the first kChecked keys).
  bool insert(std::string_view key, std::size_t offset) {
    if (refs_.size() < kChecked) {
      for (const Ref& r : refs_) {
        if (key_at(r) == key) return false;
      }
    }
    refs_.push_back(Ref{arena_.size(), key.size(), offset});
    arena_.append(key);
    return true;
  }

  // The index (in document order) of the first key that repeats an earlier one, for objects with
  // more than kChecked keys.
  std::optional<std::size_t> first_repeat() const {
    if (refs_.size() <= kChecked) return std::nullopt;
    std::vector<std::uint32_t> order(refs_.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<std::uint32_t>(i);
    std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
      const int c = key_at(refs_[a]).compare(key_at(refs_[b]));
      return c != 0 ? c < 0 : a < b;
    });
    std::optional<std::size_t> best;
    for (std::size_t i = 1; i < order.size(); ++i) {
      if (key_at(refs_[order[i]]) == key_at(refs_[order[i - 1]]) && (!best || order[i] < *best)) {
        best = order[i];
      }
    }
    return best;
  }

  std::string_view key(std::size_t i) const { return key_at(refs_[i]); }
  std::size_t offset(std::size_t i) const { return refs_[i].offset; }

 private:
  struct Ref {
    std::size_t begin;
    std::size_t size;
    std::size_t offset;
  };
  std::string_view key_at(const Ref& r) const {
    return std::string_view(arena_).substr(r.begin, r.size);
  }

  std::string arena_;
  std::vector<Ref> refs_;
};

// One open object or array. Frames are reused from one document to the next (their buffers keep
// their capacity), so parsing many small documents allocates little.
struct Frame {
  Node* node = nullptr;  // the container when it is stored
  bool is_object = false;
  std::size_t next_index = 0;
  std::string component;  // this container's name in paths: "key" or "[3]"
  bool component_is_index = false;
  KeySet keys;
  std::string pending_key;
  std::size_t pending_key_offset = 0;

  void reset() {
    node = nullptr;
    is_object = false;
    next_index = 0;
    component.clear();
    component_is_index = false;
    keys.clear();
    pending_key.clear();
    pending_key_offset = 0;
  }
};

class Handler : public nlohmann::json_sax<nlohmann::json> {
 public:
  Handler(std::string_view original, std::string_view parsed, int max_depth, int store_depth,
          std::vector<Frame>& frames)
      : original_(original),
        parsed_(parsed),
        cursor_(parsed),
        max_depth_(max_depth),
        store_depth_(store_depth),
        frames_(frames) {}

  bool null() override {
    return add_scalar(Node::Kind::null, [](Node&) {});
  }
  bool boolean(bool val) override {
    return add_scalar(Node::Kind::boolean, [&](Node& n) { n.boolean = val; });
  }
  bool number_integer(number_integer_t val) override {
    return add_scalar(Node::Kind::integer, [&](Node& n) { n.integer = val; });
  }
  bool number_unsigned(number_unsigned_t val) override {
    if (val <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return number_integer(static_cast<std::int64_t>(val));
    }
    return add_scalar(Node::Kind::unsigned_integer, [&](Node& n) { n.unsigned_integer = val; });
  }
  bool number_float(number_float_t val, const string_t& /*lexeme*/) override {
    const auto [start, end] = cursor_.next();
    double v = val;
    if (parsed_.data() != original_.data() &&
        parsed_.substr(start, end - start) != original_.substr(start, end - start)) {
      // A token pass 1 rewrote: read it from the original text.
      const std::string_view w = original_.substr(start, end - start);
      if (w == "NaN") {
        v = std::numeric_limits<double>::quiet_NaN();
      } else {
        v = (!w.empty() && w[0] == '-') ? -std::numeric_limits<double>::infinity()
                                        : std::numeric_limits<double>::infinity();
      }
    }
    return add_value(Node::Kind::floating, start, [&](Node& n) { n.floating = v; });
  }
  bool string(string_t& val) override {
    const auto [start, end] = cursor_.next();
    if (val.find('\0') != std::string::npos) return fail(start, nul_message());
    return add_value(Node::Kind::string, start, [&](Node& n) { n.string = std::move(val); });
  }
  bool binary(binary_t& /*val*/) override { return true; }

  bool start_object(std::size_t /*elements*/) override {
    return start_container(Node::Kind::object);
  }
  bool key(string_t& val) override {
    const auto [start, end] = cursor_.next();
    Frame& f = frames_[depth_ - 1];
    if (val.find('\0') != std::string::npos) return fail(start, nul_message());
    if (!f.keys.insert(val, start)) return fail(start, duplicate_message(val));
    f.pending_key = std::move(val);
    f.pending_key_offset = start;
    return true;
  }
  bool end_object() override { return end_container(); }
  bool start_array(std::size_t /*elements*/) override { return start_container(Node::Kind::array); }
  bool end_array() override { return end_container(); }

  bool parse_error(std::size_t position, const std::string& last_token,
                   const nlohmann::detail::exception& ex) override {
    if (error_) return false;
    std::string message = nlohmann_message(ex.what());
    // "last read: '0.0'" would show a token pass 1 rewrote: show what the file says.
    if (parsed_.data() != original_.data() && last_token.size() <= position &&
        position <= parsed_.size()) {
      const std::size_t begin = position - last_token.size();
      const std::string_view original_token = original_.substr(begin, last_token.size());
      const std::string quoted = "last read: '" + last_token + "'";
      if (parsed_.substr(begin, last_token.size()) == last_token && original_token != last_token) {
        if (const auto at = message.find(quoted); at != std::string::npos) {
          message.replace(at, quoted.size(), "last read: '" + std::string(original_token) + "'");
        }
      }
    }
    const std::size_t offset = position > 0 ? position - 1 : 0;
    error_ = Error{std::min(offset, original_.size()), "invalid JSON: " + message};
    return false;
  }

  std::optional<Error>& error() { return error_; }
  Node& root() { return root_; }

 private:
  static std::string nul_message() {
    return "strings must not contain the NUL character (\\u0000)";
  }

  bool fail(std::size_t offset, std::string message) {
    if (!error_) error_ = Error{offset, std::move(message)};
    return false;
  }

  std::string duplicate_message(std::string_view key) const {
    const std::string where = path();
    return "duplicate key \"" + std::string(key) + "\"" +
           (where.empty() ? " at the top level" : " in " + where);
  }

  std::string path() const {
    std::string out;
    for (std::size_t i = 1; i < depth_; ++i) {
      if (!out.empty() && !frames_[i].component_is_index) out += '.';
      out += frames_[i].component;
    }
    return out;
  }

  template <class Fill>
  bool add_scalar(Node::Kind kind, Fill fill) {
    const auto [start, end] = cursor_.next();
    return add_value(kind, start, fill);
  }

  // Counts array items; stores a value when it is an object member within store_depth, and points
  // last_added_ at it (else null).
  template <class Fill>
  bool add_value(Node::Kind kind, std::size_t offset, Fill fill) {
    last_added_ = nullptr;
    if (depth_ == 0) {
      root_.kind = kind;
      root_.offset = offset;
      fill(root_);
      last_added_ = &root_;
      return true;
    }
    Frame& f = frames_[depth_ - 1];
    if (!f.is_object) ++f.next_index;
    if (f.is_object && f.node != nullptr && static_cast<int>(depth_) <= store_depth_) {
      if (f.node->members.empty()) f.node->members.reserve(4);
      Node& n = f.node->members.emplace_back();
      n.kind = kind;
      n.offset = offset;
      n.key = std::move(f.pending_key);
      n.key_offset = f.pending_key_offset;
      fill(n);
      last_added_ = &n;
    }
    return true;
  }

  bool start_container(Node::Kind kind) {
    const auto [start, end] = cursor_.next();
    if (static_cast<int>(depth_) >= max_depth_) {
      return fail(start, "JSON nested deeper than " + std::to_string(max_depth_) + " levels");
    }
    if (depth_ == frames_.size()) frames_.emplace_back();
    Frame& frame = frames_[depth_];
    frame.reset();
    if (depth_ > 0) {
      Frame& parent = frames_[depth_ - 1];
      if (parent.is_object) {
        frame.component = parent.pending_key;
      } else {
        frame.component = "[" + std::to_string(parent.next_index) + "]";
        frame.component_is_index = true;
      }
    }
    add_value(kind, start, [](Node&) {});
    frame.node = kind == Node::Kind::object ? last_added_ : nullptr;
    frame.is_object = kind == Node::Kind::object;
    ++depth_;
    return true;
  }

  bool end_container() {
    cursor_.next();
    const Frame& closing = frames_[depth_ - 1];
    if (const auto repeat = closing.keys.first_repeat()) {
      return fail(closing.keys.offset(*repeat), duplicate_message(closing.keys.key(*repeat)));
    }
    --depth_;
    return true;
  }

  std::string_view original_;
  std::string_view parsed_;
  TokenCursor cursor_;
  int max_depth_;
  int store_depth_;
  std::vector<Frame>& frames_;  // frames_[0, depth_) are open
  std::size_t depth_ = 0;
  Node root_;
  Node* last_added_ = nullptr;
  std::optional<Error> error_;
};

}  // namespace

double Node::number() const {
  switch (kind) {
    case Kind::integer:
      return static_cast<double>(integer);
    case Kind::unsigned_integer:
      return static_cast<double>(unsigned_integer);
    case Kind::floating:
      return floating;
    default:
      return 0.0;
  }
}

const Node* Node::find(std::string_view member_key) const {
  for (const Node& m : members) {
    if (m.key == member_key) return &m;
  }
  return nullptr;
}

Node* Node::find(std::string_view member_key) {
  for (Node& m : members) {
    if (m.key == member_key) return &m;
  }
  return nullptr;
}

std::string Node::type_name() const {
  switch (kind) {
    case Kind::null:
      return "null";
    case Kind::boolean:
      return boolean ? "true" : "false";
    case Kind::integer:
    case Kind::unsigned_integer:
    case Kind::floating:
      return "a number";
    case Kind::string:
      return "a string";
    case Kind::array:
      return "an array";
    case Kind::object:
      return "an object";
  }
  return "a value";
}

std::string format_number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

std::string Node::scalar_text() const {
  switch (kind) {
    case Kind::null:
      return "null";
    case Kind::boolean:
      return boolean ? "true" : "false";
    case Kind::integer:
      return std::to_string(integer);
    case Kind::unsigned_integer:
      return std::to_string(unsigned_integer);
    case Kind::floating:
      if (!std::isfinite(floating)) return format_number(floating);
      return nlohmann::json(floating).dump();
    case Kind::string:
      return nlohmann::json(string).dump();
    case Kind::array:
      return "[]";
    case Kind::object:
      return "{}";
  }
  return "null";
}

struct Parser::State {
  std::vector<Frame> frames;
  std::vector<char> prescan_stack;
};

Parser::Parser(int max_depth, int store_depth)
    : max_depth_(max_depth), store_depth_(store_depth), state_(std::make_unique<State>()) {}
Parser::~Parser() = default;
Parser::Parser(Parser&&) noexcept = default;
Parser& Parser::operator=(Parser&&) noexcept = default;

std::variant<Node, Error> Parser::parse(std::string_view text) {
  // nlohmann reads a NUL byte as the end of the input; JSON never has one outside strings, and a
  // raw one inside a string is invalid too.
  if (const auto nul = text.find('\0'); nul != std::string_view::npos) {
    return Error{nul, "invalid JSON: NUL byte"};
  }
  auto pre = prescan(text, max_depth_, state_->prescan_stack);
  if (auto* e = std::get_if<Error>(&pre)) return std::move(*e);
  const auto& rewritten = std::get<0>(pre);
  const std::string_view parsed = rewritten ? std::string_view(*rewritten) : text;
  Handler handler(text, parsed, max_depth_, store_depth_, state_->frames);
  const bool ok = nlohmann::json::sax_parse(parsed.begin(), parsed.end(), &handler,
                                            nlohmann::json::input_format_t::json, true, false);
  if (auto& e = handler.error()) return std::move(*e);
  if (!ok) return Error{text.size(), "invalid JSON"};
  return std::move(handler.root());
}

std::variant<Node, Error> parse(std::string_view text, int max_depth, int store_depth) {
  return Parser(max_depth, store_depth).parse(text);
}

}  // namespace json_detail

namespace {

using json_detail::Node;

bool blank(std::string_view text) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  return text.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

class MetricsReader {
 public:
  MetricsReader(std::string_view text, const MetricsJsonOptions& options)
      : text_(text), options_(options) {}

  Parsed<std::vector<Metric>> read(const Node& root) {
    if (root.kind != Node::Kind::object) {
      return error(root.offset, "expected a JSON object at the top level, got " + root.type_name());
    }
    const bool nested = root.find("metrics") != nullptr || root.find("slices") != nullptr;
    std::vector<Metric> globals;
    std::vector<Metric> sliced;
    for (const Node& m : root.members) {
      if (m.key == "meta") continue;
      if (!nested) {
        if (auto e = add_metric(m, m.key, {}, {}, std::nullopt, globals)) return std::move(*e);
      } else if (m.key == "metrics") {
        if (auto e = expect_object(m, "metrics")) return std::move(*e);
        for (const Node& g : m.members) {
          if (auto e = add_metric(g, "metrics." + g.key, {}, {}, std::nullopt, globals)) {
            return std::move(*e);
          }
        }
      } else if (m.key == "slices") {
        if (auto e = read_slices(m, sliced)) return std::move(*e);
      } else {
        return error(m.key_offset, "unknown top-level key \"" + m.key +
                                       "\" (expected \"metrics\", \"slices\" or \"meta\")");
      }
    }
    globals.insert(globals.end(), std::make_move_iterator(sliced.begin()),
                   std::make_move_iterator(sliced.end()));
    return globals;
  }

 private:
  ParseError error(std::size_t offset, std::string message) const {
    return error_at(options_.file_name, text_, offset, std::move(message));
  }

  std::optional<ParseError> expect_object(const Node& n, const std::string& path) const {
    if (n.kind == Node::Kind::object) return std::nullopt;
    return error(n.offset, "expected an object for " + path + ", got " + n.type_name());
  }

  std::optional<ParseError> add_metric(const Node& n, const std::string& path,
                                       const std::string& slice_key, const std::string& slice_value,
                                       std::optional<std::int64_t> size,
                                       std::vector<Metric>& out) const {
    if (n.key.empty()) return error(n.key_offset, "empty metric name at " + path);
    if (!n.is_number()) {
      return error(n.offset, "expected a number for " + path + ", got " + n.type_name());
    }
    out.push_back(Metric{n.key, slice_key, slice_value, size, n.number()});
    return std::nullopt;
  }

  std::optional<ParseError> read_slices(const Node& slices, std::vector<Metric>& out) const {
    if (auto e = expect_object(slices, "slices")) return e;
    for (const Node& group : slices.members) {
      const std::string group_path = "slices." + group.key;
      if (group.key.empty()) return error(group.key_offset, "empty slice key in slices");
      if (auto e = expect_object(group, group_path)) return e;
      for (const Node& value : group.members) {
        const std::string value_path = group_path + "." + value.key;
        if (auto e = expect_object(value, value_path)) return e;
        std::optional<std::int64_t> size;
        if (const Node* n = value.find("n")) {
          auto parsed = read_n(*n, value_path + ".n");
          if (auto* e = std::get_if<ParseError>(&parsed)) return std::move(*e);
          size = std::get<std::int64_t>(parsed);
        }
        for (const Node& metric : value.members) {
          if (metric.key == "n") continue;
          if (auto e = add_metric(metric, value_path + "." + metric.key, group.key, value.key, size,
                                  out)) {
            return e;
          }
        }
      }
    }
    return std::nullopt;
  }

  std::variant<std::int64_t, ParseError> read_n(const Node& n, const std::string& path) const {
    const auto bad = [&](const std::string& got) {
      return error(n.offset, "expected a whole number >= 0 for " + path + ", got " + got);
    };
    switch (n.kind) {
      case Node::Kind::integer:
        if (n.integer < 0) return bad(std::to_string(n.integer));
        return n.integer;
      case Node::Kind::unsigned_integer:
        return bad(std::to_string(n.unsigned_integer));
      case Node::Kind::floating: {
        const double v = n.floating;
        // 412.0 is accepted; the bound keeps the value exact.
        if (std::isfinite(v) && v >= 0 && v <= 9007199254740992.0 && std::floor(v) == v) {
          return static_cast<std::int64_t>(v);
        }
        return bad(json_detail::format_number(v));
      }
      default:
        return bad(n.type_name());
    }
  }

  std::string_view text_;
  const MetricsJsonOptions& options_;
};

}  // namespace

Parsed<std::vector<Metric>> parse_metrics_json(std::string_view text,
                                               const MetricsJsonOptions& options) {
  if (text.size() > options.max_bytes) {
    return error_without_position(options.file_name,
                                  file_over_cap_message(text.size(), options.max_bytes));
  }
  if (blank(text)) return error_without_position(options.file_name, "file is empty");
  // Root (0) -> "slices" (1) -> slice key (2) -> slice value (3) -> metric (4).
  auto tree = json_detail::parse(text, options.max_depth, 4);
  if (auto* e = std::get_if<json_detail::Error>(&tree)) {
    return error_at(options.file_name, text, e->offset, std::move(e->message));
  }
  return MetricsReader(text, options).read(std::get<Node>(tree));
}

}  // namespace mlgate::core
