#include "core/predictions.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <optional>
#include <utility>
#include <variant>

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
  if (label.kind == Node::Kind::floating && std::isfinite(label.floating) &&
      std::trunc(label.floating) == label.floating &&
      std::fabs(label.floating) < 9.007199254740992e15) {
    return std::to_string(static_cast<std::int64_t>(label.floating));
  }
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
    switch (id->kind) {
      case Node::Kind::string:
        if (id->string.empty()) return error(id->offset, "\"id\" must not be empty");
        p.id = std::move(id->string);
        break;
      case Node::Kind::integer:
      case Node::Kind::unsigned_integer:
        p.id = id->scalar_text();
        break;
      default:
        return error(id->offset,
                     "\"id\" must be a string or an integer, got " +
                         (id->kind == Node::Kind::floating ? id->scalar_text() : id->type_name()));
    }
    const Node* label = root.find("label");
    if (label != nullptr) {
      if (label->kind == Node::Kind::array || label->kind == Node::Kind::object) {
        return error(label->offset,
                     "\"label\" must be a JSON scalar (string, number, boolean or null), got " +
                         label->type_name());
      }
      p.label = label_text(*label);
    }
    const Node* score = root.find("score");
    if (score != nullptr && score->kind != Node::Kind::null) {
      if (!score->is_number()) {
        return error(score->offset, "\"score\" must be a number, got " + score->type_name());
      }
      p.score = score->number();
    }
    if (label == nullptr && !p.score) {
      return error(root.offset, "a prediction needs a \"label\" or a \"score\"");
    }
    id_where = Where{line_no_, position_at(line_, id->offset).column};
    return p;
  }

 private:
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
    return error_without_position(
        options.file_name, "file is " + std::to_string(text.size()) + " bytes, over the cap of " +
                               std::to_string(options.max_bytes) + " bytes");
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
