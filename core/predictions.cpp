#include "core/predictions.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <optional>
#include <utility>
#include <variant>

#include "core/label_text.h"
#include "core/metrics_json.h"

namespace mlgate::core {
namespace {

using json_detail::Node;

struct Where {
  int line = 0;
  int column = 0;
};

// A label's text: its compact JSON, except that a finite whole number written as a decimal (1.0,
// 1e2, what numpy's float64 labels print as) reads as that integer, so 1 and 1.0 are one label.
std::string label_text(const Node& label) {
  if (label.kind == Node::Kind::floating)
    if (auto whole = whole_number(label.floating)) return std::to_string(*whole);
  return label.scalar_text();
}

int to_int(std::size_t v) {
  return v > static_cast<std::size_t>(INT32_MAX) ? INT32_MAX : static_cast<int>(v);
}

// The earliest (in file order) line whose id was already seen, as an error; nullopt when all ids
// are distinct. Sorts indices by (hash, id, index): equal ids end up next to each other with the
// first occurrence first, and the string comparisons only run between equal hashes.
std::optional<ParseError> find_duplicate(const std::vector<Prediction>& rows,
                                         const std::vector<Where>& where, const std::string& file) {
  struct Entry {
    std::size_t hash;
    std::uint32_t index;
  };
  std::vector<Entry> entries(rows.size());
  const std::hash<std::string> hasher;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    entries[i] = Entry{hasher(rows[i].id), static_cast<std::uint32_t>(i)};
  }
  std::sort(entries.begin(), entries.end(), [&](const Entry& a, const Entry& b) {
    if (a.hash != b.hash) return a.hash < b.hash;
    const int c = rows[a.index].id.compare(rows[b.index].id);
    return c != 0 ? c < 0 : a.index < b.index;
  });
  std::optional<std::pair<std::uint32_t, std::uint32_t>> best;  // (second, first) occurrence
  std::size_t group_start = 0;
  for (std::size_t i = 1; i < entries.size(); ++i) {
    const Entry& a = entries[group_start];
    const Entry& b = entries[i];
    if (a.hash != b.hash || rows[a.index].id != rows[b.index].id) {
      group_start = i;
      continue;
    }
    if (i == group_start + 1 && (!best || b.index < best->first)) best = {b.index, a.index};
  }
  if (!best) return std::nullopt;
  const Where& w = where[best->first];
  return ParseError{file, w.line, w.column,
                    "duplicate id \"" + rows[best->first].id + "\" (first on line " +
                        std::to_string(where[best->second].line) + ")"};
}

// Where the JSON value starting at text[begin] (a '{', in text that is valid JSON) ends, and how
// many members the object has. Strings are skipped with their escapes.
struct ObjectExtent {
  std::size_t end = 0;  // one past the closing '}'
  std::size_t members = 0;
};

ObjectExtent object_extent(std::string_view text, std::size_t begin) {
  ObjectExtent out;
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = begin; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (--depth == 0) {
        out.end = i + 1;
        return out;
      }
    } else if (c == ':' && depth == 1) {
      ++out.members;
    }
  }
  out.end = text.size();
  return out;
}

// True when the whole of text is a JSON number (RFC 8259 grammar) or NaN/Infinity/-Infinity.
bool is_json_number(std::string_view t) {
  if (t == "NaN" || t == "Infinity" || t == "-Infinity") return true;
  std::size_t i = 0;
  const auto digits = [&] {
    const std::size_t from = i;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
    return i > from;
  };
  if (i < t.size() && t[i] == '-') ++i;
  if (i < t.size() && t[i] == '0') {
    ++i;
  } else if (!digits()) {
    return false;
  }
  if (i < t.size() && t[i] == '.' && (++i, !digits())) return false;
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    if (i < t.size() && (t[i] == '+' || t[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == t.size();
}

// The label a member name of "scores" stands for. JSON member names are strings, so Python's
// json.dump writes the class 1 as "1", True as "true" and None as "null": a name that is a JSON
// number, true, false or null is that label (normalised as label_text does: "1.0" is 1); any other
// name is the string label with that text.
std::string score_label(const std::string& key) {
  if (key == "true" || key == "false" || key == "null") return key;
  if (is_json_number(key)) {
    auto tree = json_detail::parse(key, 1, 0);
    if (auto* n = std::get_if<Node>(&tree)) return label_text(*n);
  }
  Node s;
  s.kind = Node::Kind::string;
  s.string = key;
  return s.scalar_text();
}

class LineReader {
 public:
  LineReader(std::string_view line, int line_no, const PredictionsOptions& options)
      : line_(line), line_no_(line_no), options_(options) {}

  std::variant<Prediction, ParseError> read(json_detail::Parser& parser, Where& id_where) const {
    auto tree = parser.parse(line_);
    if (auto* e = std::get_if<json_detail::Error>(&tree)) {
      return error(e->offset, std::move(e->message));
    }
    Node& root = std::get<Node>(tree);
    if (root.kind != Node::Kind::object) {
      return error(root.offset, "expected a JSON object, got " + root.type_name());
    }
    Prediction p;
    Node* id = root.find("id");
    if (id == nullptr) return error(root.offset, "missing \"id\"");
    if (auto e = read_id(*id, p)) return std::move(*e);
    const Node* label = root.find("label");
    if (label != nullptr) {
      if (auto e = expect_scalar(*label, "label")) return std::move(*e);
      p.label = label_text(*label);
    }
    if (auto e = read_number(root.find("score"), "score", p.score)) return std::move(*e);
    if (auto e = read_number(root.find("value"), "value", p.value)) return std::move(*e);
    if (auto e = read_truth(root.find("truth"), p)) return std::move(*e);
    if (auto e = read_slices(root.find("slices"), p)) return std::move(*e);
    if (auto e = read_scores(root.find("scores"), p)) return std::move(*e);
    if (label == nullptr && !p.score && !p.value) {
      return error(root.offset, "a prediction needs a \"label\", a \"score\" or a \"value\"");
    }
    id_where = Where{line_no_, position_at(line_, id->offset).column};
    return p;
  }

 private:
  std::optional<ParseError> read_id(Node& id, Prediction& p) const {
    switch (id.kind) {
      case Node::Kind::string:
        if (id.string.empty()) return error(id.offset, "\"id\" must not be empty");
        p.id = std::move(id.string);
        return std::nullopt;
      case Node::Kind::integer:
      case Node::Kind::unsigned_integer:
        p.id = id.scalar_text();
        return std::nullopt;
      default:
        return error(id.offset,
                     "\"id\" must be a string or an integer, got " +
                         (id.kind == Node::Kind::floating ? id.scalar_text() : id.type_name()));
    }
  }

  std::optional<ParseError> expect_scalar(const Node& n, const std::string& what) const {
    if (n.kind != Node::Kind::array && n.kind != Node::Kind::object) return std::nullopt;
    return error(n.offset, "\"" + what +
                               "\" must be a JSON scalar (string, number, boolean or null), got " +
                               n.type_name());
  }

  // A number member; null or absent -> nullopt.
  std::optional<ParseError> read_number(const Node* n, const char* what,
                                        std::optional<double>& out) const {
    if (n == nullptr || n->kind == Node::Kind::null) return std::nullopt;
    if (!n->is_number()) {
      return error(n->offset,
                   std::string("\"") + what + "\" must be a number, got " + n->type_name());
    }
    out = n->number();
    return std::nullopt;
  }

  // "truth": a scalar kept as label text; null or absent -> no truth.
  std::optional<ParseError> read_truth(const Node* truth, Prediction& p) const {
    if (truth == nullptr || truth->kind == Node::Kind::null) return std::nullopt;
    if (auto e = expect_scalar(*truth, "truth")) return e;
    p.truth = label_text(*truth);
    return std::nullopt;
  }

  // The members of an object member (e.g. "slices"), parsed from its own text with a member cap
  // checked before anything is stored. Offsets in the result are offsets in the line. null -> an
  // object without members.
  std::variant<Node, ParseError> members_of(const Node& n, const char* what,
                                            std::size_t cap) const {
    if (n.kind == Node::Kind::null) return Node{};
    if (n.kind != Node::Kind::object) {
      return error(n.offset,
                   std::string("\"") + what + "\" must be an object, got " + n.type_name());
    }
    const ObjectExtent extent = object_extent(line_, n.offset);
    if (extent.members > cap) {
      return error(n.offset, std::string("\"") + what + "\" has " + std::to_string(extent.members) +
                                 " members, over the cap of " + std::to_string(cap));
    }
    auto tree =
        json_detail::parse(line_.substr(n.offset, extent.end - n.offset), options_.max_depth, 1);
    if (auto* e = std::get_if<json_detail::Error>(&tree)) {
      return error(n.offset + e->offset, std::move(e->message));
    }
    Node object = std::move(std::get<Node>(tree));
    for (Node& m : object.members) {
      m.offset += n.offset;
      m.key_offset += n.offset;
    }
    return object;
  }

  std::optional<ParseError> read_slices(const Node* slices, Prediction& p) const {
    if (slices == nullptr) return std::nullopt;
    auto object = members_of(*slices, "slices", options_.max_slices);
    if (auto* e = std::get_if<ParseError>(&object)) return std::move(*e);
    for (Node& m : std::get<Node>(object).members) {
      if (m.key.empty()) return error(m.key_offset, "empty slice key in \"slices\"");
      switch (m.kind) {
        case Node::Kind::null:
          continue;  // no value for this feature: the example is in none of its groups
        case Node::Kind::string:
          p.slices.emplace_back(std::move(m.key), std::move(m.string));
          continue;
        case Node::Kind::array:
        case Node::Kind::object:
          return error(
              m.offset,
              "\"slices." + m.key + "\" must be a string, number or boolean, got " + m.type_name());
        default:
          p.slices.emplace_back(std::move(m.key), label_text(m));
      }
    }
    std::sort(p.slices.begin(), p.slices.end());
    return std::nullopt;
  }

  std::optional<ParseError> read_scores(const Node* scores, Prediction& p) const {
    if (scores == nullptr) return std::nullopt;
    auto object = members_of(*scores, "scores", options_.max_scores);
    if (auto* e = std::get_if<ParseError>(&object)) return std::move(*e);
    std::vector<std::pair<std::string, const Node*>> named;  // label -> member
    for (const Node& m : std::get<Node>(object).members) {
      if (!m.is_number()) {
        return error(m.offset, "\"scores." + m.key + "\" must be a number, got " + m.type_name());
      }
      named.emplace_back(score_label(m.key), &m);
    }
    std::stable_sort(named.begin(), named.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (std::size_t i = 1; i < named.size(); ++i) {
      if (named[i].first != named[i - 1].first) continue;
      // stable_sort kept document order among equal labels: named[i] is the later member.
      return error(named[i].second->key_offset, "\"scores\" names the label " + named[i].first +
                                                    " twice (\"" + named[i - 1].second->key +
                                                    "\" and \"" + named[i].second->key + "\")");
    }
    for (const auto& [label, m] : named) p.scores.emplace_back(label, m->number());
    return std::nullopt;
  }

  ParseError error(std::size_t offset, std::string message) const {
    return ParseError{options_.file_name, line_no_, position_at(line_, offset).column,
                      std::move(message)};
  }

  std::string_view line_;
  int line_no_;
  const PredictionsOptions& options_;
};

}  // namespace

Parsed<std::vector<Prediction>> parse_predictions_jsonl(std::string_view text,
                                                        const PredictionsOptions& options) {
  if (text.size() > options.max_bytes) {
    return error_without_position(options.file_name,
                                  file_over_cap_message(text.size(), options.max_bytes));
  }
  std::vector<Prediction> rows;
  std::vector<Where> where;
  const std::size_t expected = std::min<std::size_t>(
      static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1, options.max_lines);
  rows.reserve(expected);
  where.reserve(expected);
  // An error on some line loses to a duplicate id on an earlier line.
  const auto fail = [&](ParseError e) -> Parsed<std::vector<Prediction>> {
    if (auto dup = find_duplicate(rows, where, options.file_name)) return std::move(*dup);
    return e;
  };
  json_detail::Parser parser(options.max_depth, 1);
  std::size_t line_no = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++line_no;
    if (line_no == 1 && line.substr(0, 3) == "\xEF\xBB\xBF") {
      line.remove_prefix(3);
    }
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    if (rows.size() >= options.max_lines) {
      return fail(
          ParseError{options.file_name, to_int(line_no), 1,
                     "more than " + std::to_string(options.max_lines) + " predictions (the cap)"});
    }
    if (line.size() > options.max_line_bytes) {
      return fail(ParseError{options.file_name, to_int(line_no), 1,
                             "line is " + std::to_string(line.size()) + " bytes, over the cap of " +
                                 std::to_string(options.max_line_bytes) +
                                 " bytes for one prediction"});
    }
    Where w;
    auto row = LineReader(line, to_int(line_no), options).read(parser, w);
    if (auto* e = std::get_if<ParseError>(&row)) return fail(std::move(*e));
    rows.push_back(std::move(std::get<Prediction>(row)));
    where.push_back(w);
  }
  if (auto dup = find_duplicate(rows, where, options.file_name)) return std::move(*dup);
  if (rows.empty())
    return error_without_position(options.file_name, "file is empty (no predictions)");
  return rows;
}

}  // namespace mlgate::core
