// parse_config: .mlgate.yml text -> Config, collecting every error with its position.
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <exception>
#include <functional>
#include <limits>
#include <optional>
#include <set>
#include <span>
#include <sstream>
#include <system_error>
#include <utility>

#include "core/config.h"
#include "core/duration.h"
#include "core/example_metrics.h"
#include "core/label_text.h"
#include "core/number_text.h"
#include "core/rubric.h"
#include "core/utf8.h"

namespace mlgate::core {
namespace {

constexpr std::size_t kMaxErrors = 100;

struct Pos {
  int line = 1;
  int column = 1;
};

// Where `text` stops being UTF-8 (the line and the column, in characters, of the first byte that
// does not start a well-formed sequence); nullopt when it is UTF-8 throughout. A file that starts
// with a UTF-16 or UTF-32 byte-order mark is YAML in that encoding, which yaml-cpp decodes itself.
std::optional<std::pair<Pos, unsigned char>> first_invalid_utf8(std::string_view text) {
  if (text.starts_with("\xFF\xFE") || text.starts_with("\xFE\xFF") ||
      text.starts_with(std::string_view("\0\0\xFE\xFF", 4)))
    return std::nullopt;
  Pos at;
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t n = utf8_sequence(text, i);
    if (n == 0) return std::make_pair(at, static_cast<unsigned char>(text[i]));
    if (text[i] == '\n') {
      ++at.line;
      at.column = 1;
    } else {
      ++at.column;
    }
    i += n;
  }
  return std::nullopt;
}

Pos pos_of(const YAML::Mark& mark, Pos fallback) {
  if (mark.is_null() || mark.line < 0 || mark.column < 0) return fallback;
  return Pos{mark.line + 1, mark.column + 1};
}

// Text of user input inside a message: bounded and without control characters.
std::string show(std::string_view text) {
  std::string out;
  constexpr std::size_t kMax = 60;
  for (char c : text.substr(0, kMax)) {
    auto u = static_cast<unsigned char>(c);
    out += (u < 0x20 || u == 0x7f) ? '?' : c;
  }
  if (text.size() > kMax) out += "...";
  return "'" + out + "'";
}

std::string join(std::span<const std::string_view> names) {
  std::string out;
  for (std::string_view n : names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

std::string join_strings(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : ", ") + s;
  return out.empty() ? "none" : out;
}

std::string normalized(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 64)) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out += c == '-' ? '_' : c;
  }
  return out;
}

// Optimal string alignment distance (Levenshtein plus adjacent transpositions).
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

// The candidate closest to `word` when it is close enough to be a likely typo.
std::optional<std::string_view> nearest(std::string_view word,
                                        std::span<const std::string_view> candidates) {
  if (word.size() > 64) return std::nullopt;
  std::string w = normalized(word);
  std::optional<std::string_view> best;
  std::size_t best_distance = std::numeric_limits<std::size_t>::max();
  for (std::string_view c : candidates) {
    std::size_t d = edit_distance(w, normalized(c));
    std::size_t longer = std::max(w.size(), c.size());
    std::size_t allowed = longer <= 4 ? 1 : longer <= 9 ? 2 : 3;
    if (d <= allowed && d < best_distance) {
      best = c;
      best_distance = d;
    }
  }
  return best;
}

std::string did_you_mean(std::string_view word, std::span<const std::string_view> candidates) {
  if (auto n = nearest(word, candidates)) return " (did you mean '" + std::string(*n) + "'?)";
  return "";
}

std::vector<std::string_view> rubric_ids() {
  std::vector<std::string_view> ids;
  for (const RubricItem& item : rubric_items()) ids.push_back(item.id);
  return ids;
}

bool is_string_tag(const YAML::Node& node) {
  return node.Tag() == "!" || node.Tag() == "tag:yaml.org,2002:str";
}

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
      return "nothing";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return is_string_tag(node) ? "the quoted string " + show(node.Scalar()) : show(node.Scalar());
    case YAML::NodeType::Undefined:
      return "nothing";
  }
  return "something else";
}

std::optional<double> to_double(std::string_view text) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  if (text.empty() || text.size() > 64) return std::nullopt;
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

std::optional<std::int64_t> to_int(std::string_view text) {
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  if (text.empty()) return std::nullopt;
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::string format_number(double v) {
  std::array<char, 64> buf{};
  auto [end, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  if (ec != std::errc{}) return "?";
  return std::string(buf.data(), end);
}

// "4g", "512m", "1024k", "4Gi", "2GB", "1.5g", plain bytes. Units are binary (like Docker).
std::optional<std::int64_t> parse_memory(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) {
    ++i;
  }
  auto number = to_double(text.substr(0, i));
  if (!number || *number < 0) return std::nullopt;
  std::string unit = normalized(text.substr(i));
  double scale = 1;
  static const std::array<std::pair<std::string_view, double>, 5> kScales{{
      {"k", 1024.0},
      {"m", 1024.0 * 1024},
      {"g", 1024.0 * 1024 * 1024},
      {"t", 1024.0 * 1024 * 1024 * 1024},
      {"p", 1024.0 * 1024 * 1024 * 1024 * 1024},
  }};
  if (!unit.empty() && unit != "b") {
    bool found = false;
    for (const auto& [prefix, s] : kScales) {
      if (unit == prefix || unit == std::string(prefix) + "b" ||
          unit == std::string(prefix) + "i" || unit == std::string(prefix) + "ib") {
        scale = s;
        found = true;
      }
    }
    if (!found) return std::nullopt;
  }
  double bytes = std::floor(*number * scale);
  if (bytes >= 9.0e18) return std::nullopt;
  return static_cast<std::int64_t>(bytes);
}

bool valid_env_name(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name.front()))) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

bool has_control_or_space(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u <= 0x20 || u == 0x7f;
  });
}

bool has_control(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return (u < 0x20 && c != '\n' && c != '\t' && c != '\r') || u == 0x7f;
  });
}

std::string what_tier(std::string_view name) {
  return "tier '" + std::string(name) + "'";
}
std::string what_gate(std::string_view name) {
  return "gate " + show(name);
}

struct Item {
  std::string text;
  Pos pos;
};

struct Entry {
  std::string key;
  YAML::Node value;
  Pos key_pos;
  Pos value_pos;  // the key's position when the value is missing (null)
};

constexpr std::array<std::string_view, 1> kRubricGateKeys{"min_score"};
constexpr std::array<std::string_view, 2> kNetworks{"none", "bridge"};

class Parser;

// One allowed key of a mapping and the Parser member that reads its value into `Fields`, what is
// known so far about the mapping being read. A mapping's table of handlers is also its list of
// allowed keys, in the order the unknown-key error lists them.
template <typename Fields>
struct KeyHandler {
  std::string_view key;
  void (Parser::*read)(const Entry&, Fields&);
};

template <typename Fields, std::size_t N>
constexpr std::array<std::string_view, N> keys_of(const std::array<KeyHandler<Fields>, N>& table) {
  std::array<std::string_view, N> keys{};
  for (std::size_t i = 0; i < N; ++i) keys[i] = table[i].key;
  return keys;
}

struct TopFields {
  const Entry* tiers = nullptr;
  const Entry* gates = nullptr;
  const Entry* rubric = nullptr;
  const Entry* monitors = nullptr;
  const Entry* rollouts = nullptr;
  bool has_version = false;
};

struct TierFields {
  TierConfig& tier;
  const std::string& where;
  std::vector<std::pair<std::string, Pos>>& needs;
  Pos on_pos;
  bool has_run = false;
  bool has_image = false;
  const Entry* schedule = nullptr;
  const Entry* branches = nullptr;
};

struct ResourceFields {
  Resources& out;
  const std::string& where;
};

struct GateFields {
  GateConfig& gate;
  const std::string& where;
};

// The statistical keys a check has set (for the checks made once all its keys are read).
struct StatsEntries {
  const Entry* metric = nullptr;  // `name` of a metric check, `metric` of a slice or fairness one
  const Entry* from = nullptr;
  const Entry* confidence = nullptr;
  const Entry* when_inconclusive = nullptr;
  const Entry* positive_label = nullptr;
};

struct MetricFields {
  MetricCheck& check;
  const std::string& where;
  Pos max_pos;
  bool has_name = false;
  const Entry* drop = nullptr;
  const Entry* increase = nullptr;
  const Entry* spread = nullptr;
  const Entry* lower_is_better = nullptr;
  StatsEntries stats;
};

struct SliceFields {
  SliceCheck& check;
  const std::string& where;
  Pos max_pos;
  bool has_metric = false;
  bool has_by = false;
  StatsEntries stats;
};

struct FairnessFields {
  FairnessCheck& check;
  const std::string& where;
  bool has_metric = false;
  bool has_by = false;
  StatsEntries stats;
};

struct StatisticsFields {
  GateStatistics& out;
  const std::string& where;
};

// A `when_inconclusive` of a check, which needs a confidence: its own or the gate's (known once
// the whole gate is read).
struct PendingWhen {
  Pos pos;
  std::string where;
  bool has_confidence = false;
  bool from_predictions = false;
};

struct MonitorFields {
  MonitorConfig& monitor;
  const std::string& where;
  std::size_t errors_before = 0;
  const Entry* every = nullptr;
};

struct DriftRuleFields {
  DriftRule& rule;
  const std::string& where;
  const Entry* test = nullptr;
  const Entry* threshold = nullptr;
  const Entry* max = nullptr;
  bool has_feature = false;
};

struct QualityFields {
  QualityRule& check;
  const std::string& where;
  Pos max_pos;
  bool has_metric = false;
};

// `missing:` and `staleness:` of a monitor.
struct MonitorSectionFields {
  MonitorConfig& monitor;
  const std::string& where;
};

// Every metric `from: predictions` can compute, in the order the error lists them.
std::vector<std::string_view> example_metric_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (MetricTask t : {MetricTask::binary, MetricTask::multiclass, MetricTask::regression})
      for (ExampleMetric m : metrics_of(t))
        if (std::find(out.begin(), out.end(), to_string(m)) == out.end())
          out.push_back(to_string(m));
    return out;
  }();
  return {names.begin(), names.end()};
}

struct PredictionFields {
  PredictionsCheck& check;
  const std::string& where;
};

// The rubric's sections write straight into the config.
struct RubricFields {};

// No leading '/', no '\\', no control characters, no ".." part, 1 to 1024 bytes.
bool is_relative_path_inside(const std::string& path) {
  bool bad = path.empty() || path.front() == '/' || path.find('\\') != std::string::npos ||
             has_control(path) || path.size() > 1024;
  std::size_t start = 0;
  while (!bad && start <= path.size()) {
    std::size_t slash = path.find('/', start);
    std::string part = path.substr(start, slash == std::string::npos ? slash : slash - start);
    if (part == "..") bad = true;
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return !bad;
}

// Records where each document starts; nothing else. Used to count documents, because
// YAML::LoadAll loops forever (allocating) on some inputs such as "," in yaml-cpp 0.7.
class DocumentStarts : public YAML::EventHandler {
 public:
  std::optional<YAML::Mark> start;

  void OnDocumentStart(const YAML::Mark& mark) override { start = mark; }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

// DocumentStarts that also adds up what the document's aliases expand to, from the parser's
// events, without building (or expanding) a tree. A node counts one byte plus its scalar's bytes, a
// collection one byte plus its children; each anchored node's expanded size is kept once, and an
// alias adds the size of the node it names. An alias of a node that is still open (inside itself)
// expands without end. Once the total passes the budget, that alias and every later one are kept
// in `cut` (positions of their '*').
class AliasExpansion : public DocumentStarts {
 public:
  explicit AliasExpansion(std::size_t budget) : budget_(budget) {}

  std::size_t total = 0;
  std::vector<YAML::Mark> cut;
  bool cycle = false;  // the alias that crossed the budget names a node that contains it

  void OnNull(const YAML::Mark&, YAML::anchor_t anchor) override { leaf(anchor, 1); }
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t anchor,
                const std::string& value) override {
    leaf(anchor, add(1, value.size()));
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    auto known = sizes_.find(anchor);
    const std::size_t size = known == sizes_.end() ? kEndless : known->second;
    total = add(total, size);
    if (total > budget_) {
      if (cut.empty()) cycle = known == sizes_.end();
      cut.push_back(mark);
    }
    leaf(YAML::NullAnchor, size);
  }
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open_.push_back(Open{anchor, 1});
  }
  void OnSequenceEnd() override { close(); }
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    open_.push_back(Open{anchor, 1});
  }
  void OnMapEnd() override { close(); }

 private:
  static constexpr std::size_t kEndless = std::numeric_limits<std::size_t>::max() / 2;
  struct Open {
    YAML::anchor_t anchor;
    std::size_t size;
  };

  static std::size_t add(std::size_t a, std::size_t b) { return std::min(a + b, kEndless); }
  void leaf(YAML::anchor_t anchor, std::size_t size) {
    if (anchor != YAML::NullAnchor) sizes_[anchor] = size;
    if (!open_.empty()) open_.back().size = add(open_.back().size, size);
  }
  void close() {
    if (open_.empty()) return;
    Open done = open_.back();
    open_.pop_back();
    leaf(done.anchor, done.size);
  }

  std::size_t budget_;
  std::map<YAML::anchor_t, std::size_t> sizes_;
  std::vector<Open> open_;
};

// `text` with each alias at `marks` replaced by an empty mapping ("{}" and spaces, so that every
// other position stays where it was); false when a mark does not point at an alias in `text`.
bool replace_aliases(std::string& text, const std::vector<YAML::Mark>& marks) {
  for (const YAML::Mark& mark : marks) {
    if (mark.pos < 0) return false;
    const auto at = static_cast<std::size_t>(mark.pos);
    if (at >= text.size() || text[at] != '*') return false;
    std::size_t end = at + 1;
    while (end < text.size() &&
           std::string_view(" \t\r\n,[]{}").find(text[end]) == std::string_view::npos) {
      ++end;
    }
    if (end - at < 2) return false;
    text.replace(at, end - at, "{}" + std::string(end - at - 2, ' '));
  }
  return true;
}

class Parser {
 public:
  explicit Parser(const ConfigLimits& limits) : limits_(limits) {}

  ConfigParseResult run(std::string_view yaml);

 private:
  // YAML::Load of `text`; when its aliases expand past kMaxConfigAliasBytes, reports the alias that
  // crossed the limit and loads `text` with that alias and every later one replaced by an empty
  // mapping (an undefined node when that fails).
  YAML::Node load_within_budget(const std::string& text, const AliasExpansion& expansion);

  void error(Pos pos, std::string message) {
    if (errors_.size() >= kMaxErrors) {
      truncated_ = true;
      return;
    }
    errors_.push_back(ConfigError{pos.line, pos.column, std::move(message)});
  }

  Pos pos(const YAML::Node& node, Pos fallback) const { return pos_of(node.Mark(), fallback); }

  // The entries of a mapping, in file order. Reports non-mapping values, non-string and duplicate
  // keys, and (when `allowed` is given) unknown keys, which are then left out. YAML merge keys
  // (`<<: *defaults`, or a list of aliases) bring in the keys of the mappings they name that the
  // mapping does not set itself, the first mapping of a list winning. With `extensions`, keys
  // starting with "x-" are left out without an error (a place for anchors, as in Compose files).
  std::optional<std::vector<Entry>> entries(
      const YAML::Node& node, Pos at, const std::string& where,
      std::optional<std::span<const std::string_view>> allowed, bool extensions = false);
  // The key/value pairs of `node` with its merge keys expanded (explicit keys first, then merged
  // ones); false after reporting a malformed merge.
  bool expand_merges(const YAML::Node& node, Pos at, const std::string& where,
                     std::vector<std::pair<YAML::Node, YAML::Node>>& out, int depth,
                     size_t& budget);

  std::optional<std::string> string_value(const Entry& e, const std::string& where);
  std::optional<std::vector<Item>> string_items(const Entry& e, const std::string& where);
  std::optional<std::vector<std::string>> string_list(const Entry& e, const std::string& where);
  std::optional<double> number_value(const Entry& e, const std::string& where);
  std::optional<std::int64_t> int_value(const Entry& e, const std::string& where);
  // number_value / int_value that also refuse a negative value ("'<key>' in <where> must not be
  // negative").
  std::optional<double> non_negative_number(const Entry& e, const std::string& where);
  std::optional<std::int64_t> non_negative_int(const Entry& e, const std::string& where);
  std::optional<bool> bool_value(const Entry& e, const std::string& where);
  std::optional<Threshold> threshold_value(const Entry& e, const std::string& where);
  std::optional<double> fraction_value(const Entry& e, const std::string& where);

  // Calls the table's handler for each entry, in file order; `entries` has left out unknown keys.
  template <typename Fields, std::size_t N>
  void dispatch(const std::vector<Entry>& fields, const std::array<KeyHandler<Fields>, N>& table,
                Fields& out);

  void parse_top(const YAML::Node& root);
  void top_version(const Entry& e, TopFields& f);
  void top_image(const Entry& e, TopFields& f);
  void top_tiers(const Entry& e, TopFields& f) { f.tiers = &e; }
  void top_gates(const Entry& e, TopFields& f) { f.gates = &e; }
  void top_rubric(const Entry& e, TopFields& f) { f.rubric = &e; }
  void top_monitors(const Entry& e, TopFields& f) { f.monitors = &e; }
  void top_rollouts(const Entry& e, TopFields& f) { f.rollouts = &e; }

  void parse_tiers(const Entry& tiers_entry);
  std::optional<TierConfig> parse_tier(const Entry& e,
                                       std::vector<std::pair<std::string, Pos>>& needs);
  TierConfig tier_defaults(const Entry& tier_entry) const;
  void check_tier(const Entry& tier_entry, TierFields& f);
  void tier_image(const Entry& e, TierFields& f);
  void tier_on(const Entry& e, TierFields& f);
  void tier_branches(const Entry& e, TierFields& f);
  void tier_needs(const Entry& e, TierFields& f);
  void tier_timeout(const Entry& e, TierFields& f);
  void tier_resources(const Entry& e, TierFields& f) {
    parse_resources(e, f.where, f.tier.resources);
  }
  void tier_network(const Entry& e, TierFields& f);
  void tier_run(const Entry& e, TierFields& f);
  void tier_schedule(const Entry& e, TierFields& f);
  void tier_env(const Entry& e, TierFields& f);
  void tier_cancel_superseded(const Entry& e, TierFields& f);
  void tier_repeat(const Entry& e, TierFields& f);

  void parse_resources(const Entry& e, const std::string& where, Resources& out);
  void resource_cpus(const Entry& e, ResourceFields& f);
  void resource_memory(const Entry& e, ResourceFields& f);
  void resource_count(const Entry& e, ResourceFields& f);  // gpus and pids

  void check_needs(const std::map<std::string, Pos>& tier_pos,
                   const std::map<std::string, std::vector<std::pair<std::string, Pos>>>& needs);

  void parse_gates(const Entry& gates_entry);
  std::optional<GateConfig> parse_gate(const Entry& e);
  void gate_require(const Entry& e, GateFields& f);
  void gate_metrics(const Entry& e, GateFields& f) {
    parse_check_list(e, f.where, f.gate.metrics, &Parser::parse_metric);
  }
  void gate_slices(const Entry& e, GateFields& f) {
    parse_check_list(e, f.where, f.gate.slices, &Parser::parse_slice);
  }
  void gate_fairness(const Entry& e, GateFields& f) {
    parse_check_list(e, f.where, f.gate.fairness, &Parser::parse_fairness);
  }
  void gate_predictions(const Entry& e, GateFields& f) {
    f.gate.predictions = parse_predictions(e, f.where);
  }
  void gate_rubric(const Entry& e, GateFields& f) { f.gate.rubric = parse_rubric_gate(e, f.where); }
  void gate_statistics(const Entry& e, GateFields& f) {
    f.gate.statistics = parse_statistics(e, f.where);
  }
  // Once a gate is read: its statistics settings apply to something, and every when_inconclusive
  // has a confidence.
  void check_gate_statistics(const GateConfig& gate, const Entry& gate_entry);

  std::optional<GateStatistics> parse_statistics(const Entry& e, const std::string& gate_where);
  void statistics_confidence(const Entry& e, StatisticsFields& f);
  void statistics_when_inconclusive(const Entry& e, StatisticsFields& f);
  void statistics_correction(const Entry& e, StatisticsFields& f);
  void statistics_resamples(const Entry& e, StatisticsFields& f);
  void statistics_positive_label(const Entry& e, StatisticsFields& f);
  std::optional<double> confidence_value(const Entry& e, const std::string& where);
  std::optional<WhenInconclusive> when_inconclusive_value(const Entry& e, const std::string& where);
  // A label as predictions.jsonl's label text: 1, true, "spam" (a plain word or a quoted scalar
  // is a string label).
  std::optional<std::string> label_value(const Entry& e, const std::string& where);

  std::optional<MetricCheck> parse_metric(const YAML::Node& node, Pos at, const std::string& where);
  void check_metric(Pos at, const MetricFields& f);
  void metric_name(const Entry& e, MetricFields& f);
  void metric_max_drop(const Entry& e, MetricFields& f);
  void metric_max_increase(const Entry& e, MetricFields& f);
  void metric_max_spread(const Entry& e, MetricFields& f);
  void metric_lower_is_better(const Entry& e, MetricFields& f);

  std::optional<SliceCheck> parse_slice(const YAML::Node& node, Pos at, const std::string& where);
  void slice_metric(const Entry& e, SliceFields& f);
  void slice_by(const Entry& e, SliceFields& f);
  void slice_max_gap(const Entry& e, SliceFields& f);
  void slice_max_spread(const Entry& e, SliceFields& f);
  void require_repeated_tier(const Entry& e, const std::string& where);

  std::optional<FairnessCheck> parse_fairness(const YAML::Node& node, Pos at,
                                              const std::string& where);
  void fairness_metric(const Entry& e, FairnessFields& f);
  void fairness_by(const Entry& e, FairnessFields& f);
  void fairness_reference(const Entry& e, FairnessFields& f);
  void fairness_disparity(const Entry& e, FairnessFields& f);

  std::optional<PredictionsCheck> parse_predictions(const Entry& e, const std::string& where);
  void prediction_max_flip_rate(const Entry& e, PredictionFields& f);
  void prediction_max_score_delta(const Entry& e, PredictionFields& f);

  // Keys several kinds of check share.
  template <typename Fields>
  void check_from(const Entry& e, Fields& f);
  template <typename Fields>
  void check_confidence(const Entry& e, Fields& f);
  template <typename Fields>
  void check_when_inconclusive(const Entry& e, Fields& f);
  template <typename Fields>
  void check_positive_label(const Entry& e, Fields& f);
  // Once a check's keys are read: its statistical settings fit together (`kind` names the check
  // in messages: "metric check 'recall'").
  void check_statistics(const StatsEntries& s, const CheckStatistics& stats,
                        const std::string& where, const std::string& kind);
  template <typename Fields>
  void check_min(const Entry& e, Fields& f);
  template <typename Fields>
  void check_max(const Entry& e, Fields& f);
  template <typename Fields>
  void check_min_n(const Entry& e, Fields& f);
  template <typename Fields>
  void check_optional(const Entry& e, Fields& f);
  // A string that must not be empty; an empty one is reported and still returned.
  std::optional<std::string> nonempty_string(const Entry& e, const std::string& where);

  void parse_monitors(const Entry& e);
  std::optional<MonitorConfig> parse_monitor(const Entry& e);
  void check_monitor(const Entry& monitor_entry, const MonitorFields& f);
  std::optional<std::int64_t> duration_value(const Entry& e, const std::string& where);
  void monitor_window(const Entry& e, MonitorFields& f);
  void monitor_every(const Entry& e, MonitorFields& f);
  void monitor_drift(const Entry& e, MonitorFields& f) {
    parse_check_list(e, f.where, f.monitor.drift, &Parser::parse_drift_rule);
  }
  void monitor_prediction_drift(const Entry& e, MonitorFields& f);
  void monitor_missing(const Entry& e, MonitorFields& f);
  void monitor_quality(const Entry& e, MonitorFields& f) {
    parse_check_list(e, f.where, f.monitor.quality, &Parser::parse_quality);
  }
  void monitor_staleness(const Entry& e, MonitorFields& f);
  void monitor_on_alert(const Entry& e, MonitorFields& f);
  void monitor_retrain_every(const Entry& e, MonitorFields& f);
  void monitor_share(const Entry& e, MonitorFields& f);
  std::optional<DriftRule> parse_drift_rule(const YAML::Node& node, Pos at,
                                            const std::string& where);
  std::optional<DriftRule> drift_rule_fields(const YAML::Node& node, Pos at,
                                             const std::string& where, bool with_feature);
  void check_drift_rule(const DriftRuleFields& f);
  void drift_feature(const Entry& e, DriftRuleFields& f);
  void drift_test(const Entry& e, DriftRuleFields& f);
  void drift_threshold(const Entry& e, DriftRuleFields& f) { f.threshold = &e; }
  void drift_max(const Entry& e, DriftRuleFields& f) { f.max = &e; }
  std::optional<QualityRule> parse_quality(const YAML::Node& node, Pos at,
                                           const std::string& where);
  void quality_metric(const Entry& e, QualityFields& f);
  void quality_confidence(const Entry& e, QualityFields& f) {
    f.check.confidence = confidence_value(e, f.where);
  }
  void missing_max_share(const Entry& e, MonitorSectionFields& f);
  void staleness_max_age(const Entry& e, MonitorSectionFields& f);

  std::optional<RubricGate> parse_rubric_gate(const Entry& e, const std::string& where);
  void parse_rubric(const Entry& e);
  void rubric_automated(const Entry& section, RubricFields&) {
    for_each_rubric_item(section, &Parser::automated_item);
  }
  void rubric_manual(const Entry& section, RubricFields&) {
    for_each_rubric_item(section, &Parser::manual_item);
  }
  // Calls `read` with each item of a rubric section whose id is known, and the section's name.
  void for_each_rubric_item(const Entry& section,
                            void (Parser::*read)(const Entry&, const std::string&));
  void automated_item(const Entry& e, const std::string& where);
  void manual_item(const Entry& e, const std::string& where);
  bool check_rubric_id(const Entry& e, const std::string& where);
  bool check_image(const std::string& image, Pos at, const std::string& where);
  // The operator's allowed images (ConfigLimits::jobs), when the limits hold any: "image 'x'
  // <what> is not allowed on this server (allowed: ...)".
  void check_image_allowed(const std::string& image, Pos at, const std::string& what);
  // "'<key>' <value> in <where> is over this server's ceiling of <ceiling> (serve <flag>)".
  void over_ceiling(const Entry& e, const ResourceFields& f, const std::string& ceiling,
                    const char* flag);

  // `rollouts:` (docs/rollouts.md), read by the functions at the end of this file.
  void parse_rollouts(const Entry& rollouts_entry);
  std::optional<RolloutConfig> parse_rollout(const Entry& e);
  void rollout_stages(const Entry& e, const std::string& where, RolloutConfig& out);
  std::optional<RolloutStage> parse_stage(const YAML::Node& node, Pos at, const std::string& where);
  void check_stages(const RolloutConfig& r, const std::string& where);
  void rollout_analysis(const Entry& e, const std::string& where, RolloutConfig& out);
  void analysis_key(const Entry& e, const std::string& where, RolloutAnalysis& out);
  std::optional<RolloutMetric> parse_rollout_metric(const YAML::Node& node, Pos at,
                                                    const std::string& where);
  std::optional<double> percent_value(const Entry& e, const std::string& where);

  template <typename Check, typename Fn>
  void parse_check_list(const Entry& e, const std::string& where, std::vector<Check>& out, Fn fn);

  const ConfigLimits& limits_;
  std::vector<ConfigError> errors_;
  bool truncated_ = false;
  Config config_;
  std::set<std::string> declared_tiers_;
  std::vector<PendingWhen> pending_when_;  // of the gate being read
  bool expansion_error_ = false;           // errors_.front() is the alias that crossed the limit
  bool top_image_given_ = false;  // a bad top-level image is reported once, not once per tier
  Pos top_image_pos_;
  bool top_image_refused_ = false;  // the top-level image is over the ceilings (reported once)
};

bool is_merge_key(const YAML::Node& key) {
  return key.IsScalar() && key.Scalar() == "<<" && key.Tag() != "!";  // "<<" quoted is a key
}

bool Parser::expand_merges(const YAML::Node& node, Pos at, const std::string& where,
                           std::vector<std::pair<YAML::Node, YAML::Node>>& out, int depth,
                           size_t& budget) {
  std::vector<std::pair<YAML::Node, YAML::Node>> merged;
  for (const auto& pair : node) {
    YAML::Node key = pair.first;
    YAML::Node value = pair.second;
    const Pos key_pos = pos(key, pos(node, at));
    // Aliases share nodes, so merges of merges could expand exponentially ("billion laughs").
    if (budget == 0) {
      error(key_pos, "merge keys ('<<') in " + where + " expand to too many keys");
      return false;
    }
    --budget;
    if (!is_merge_key(key)) {
      out.emplace_back(key, value);
      continue;
    }
    if (depth > 16) {
      error(key_pos, "merge keys ('<<') in " + where + " nest too deep");
      return false;
    }
    std::vector<YAML::Node> sources;
    if (value.IsMap()) {
      sources.push_back(value);
    } else if (value.IsSequence()) {
      for (const auto& item : value) sources.push_back(item);
    }
    if (sources.empty() || std::any_of(sources.begin(), sources.end(),
                                       [](const YAML::Node& n) { return !n.IsMap(); })) {
      error(key_pos, "the merge key '<<' in " + where +
                         " must name a mapping (<<: *anchor) or a list of them, not " +
                         describe(value));
      return false;
    }
    for (const auto& source : sources) {
      if (!expand_merges(source, key_pos, where, merged, depth + 1, budget)) return false;
    }
  }
  // Merged keys come after the mapping's own, so that its own win (see entries()).
  for (auto& m : merged) out.push_back(std::move(m));
  return true;
}

std::optional<std::vector<Entry>> Parser::entries(
    const YAML::Node& node, Pos at, const std::string& where,
    std::optional<std::span<const std::string_view>> allowed, bool extensions) {
  if (!node.IsMap()) {
    error(pos(node, at), where + " must be a mapping (key: value), not " + describe(node));
    return std::nullopt;
  }
  std::vector<std::pair<YAML::Node, YAML::Node>> pairs;
  size_t budget = 10000;
  if (!expand_merges(node, at, where, pairs, 0, budget)) return std::nullopt;
  std::vector<Entry> out;
  std::map<std::string, Pos> seen;
  size_t own_count = 0;  // the mapping's own keys come first in `pairs`, then the merged ones
  for (const auto& pair : node) own_count += is_merge_key(pair.first) ? 0 : 1;
  size_t index = 0;
  for (const auto& pair : pairs) {
    // Copies: yaml-cpp's iterator proxies are temporaries, references into them would dangle.
    YAML::Node key = pair.first;
    const bool merged = index++ >= own_count;
    Pos key_pos = pos(key, pos(node, at));
    if (!key.IsScalar()) {
      error(key_pos, "keys in " + where + " must be plain strings, not " + describe(key));
      continue;
    }
    std::string name = key.Scalar();
    if (extensions && name.rfind("x-", 0) == 0) continue;
    if (merged && seen.count(name)) continue;  // set by the mapping itself, or merged before
    if (auto [first, inserted] = seen.emplace(name, key_pos); !inserted) {
      error(key_pos, "duplicate key " + show(name) + " in " + where + " (first at line " +
                         std::to_string(first->second.line) + ")");
      continue;
    }
    if (allowed) {
      bool known = std::find(allowed->begin(), allowed->end(), name) != allowed->end();
      if (!known) {
        std::string hint = did_you_mean(name, *allowed);
        error(key_pos, "unknown key " + show(name) + " in " + where +
                           (hint.empty() ? "; allowed keys: " + join(*allowed) : hint));
        continue;
      }
    }
    YAML::Node value = pair.second;
    Pos value_pos = value.IsNull() ? key_pos : pos(value, key_pos);
    out.push_back(Entry{std::move(name), value, key_pos, value_pos});
  }
  return out;
}

std::optional<std::string> Parser::string_value(const Entry& e, const std::string& where) {
  if (!e.value.IsScalar()) {
    error(e.value_pos,
          "'" + e.key + "' in " + where + " must be a string, not " + describe(e.value));
    return std::nullopt;
  }
  return e.value.Scalar();
}

std::optional<std::vector<Item>> Parser::string_items(const Entry& e, const std::string& where) {
  if (e.value.IsScalar()) return std::vector<Item>{Item{e.value.Scalar(), e.value_pos}};
  if (!e.value.IsSequence()) {
    error(e.value_pos, "'" + e.key + "' in " + where +
                           " must be a string or a list of strings, not " + describe(e.value));
    return std::nullopt;
  }
  std::vector<Item> out;
  bool ok = true;
  for (const YAML::Node& item : e.value) {
    Pos at = pos(item, e.value_pos);
    if (!item.IsScalar()) {
      error(at, "'" + e.key + "' in " + where + " must list strings; found " + describe(item));
      ok = false;
      continue;
    }
    out.push_back(Item{item.Scalar(), at});
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<std::vector<std::string>> Parser::string_list(const Entry& e,
                                                            const std::string& where) {
  auto items = string_items(e, where);
  if (!items) return std::nullopt;
  std::vector<std::string> out;
  for (Item& item : *items) out.push_back(std::move(item.text));
  return out;
}

std::optional<double> Parser::number_value(const Entry& e, const std::string& where) {
  if (e.value.IsScalar() && !is_string_tag(e.value)) {
    if (auto v = to_double(e.value.Scalar())) return v;
  }
  error(e.value_pos,
        "'" + e.key + "' in " + where + " must be a finite number, not " + describe(e.value));
  return std::nullopt;
}

std::optional<std::int64_t> Parser::int_value(const Entry& e, const std::string& where) {
  if (e.value.IsScalar() && !is_string_tag(e.value)) {
    if (auto v = to_int(e.value.Scalar())) return v;
  }
  error(e.value_pos,
        "'" + e.key + "' in " + where + " must be a whole number, not " + describe(e.value));
  return std::nullopt;
}

std::optional<double> Parser::non_negative_number(const Entry& e, const std::string& where) {
  auto v = number_value(e, where);
  if (v && *v < 0) {
    error(e.value_pos, "'" + e.key + "' in " + where + " must not be negative");
    return std::nullopt;
  }
  return v;
}

std::optional<std::int64_t> Parser::non_negative_int(const Entry& e, const std::string& where) {
  auto v = int_value(e, where);
  if (v && *v < 0) {
    error(e.value_pos, "'" + e.key + "' in " + where + " must not be negative");
    return std::nullopt;
  }
  return v;
}

std::optional<bool> Parser::bool_value(const Entry& e, const std::string& where) {
  if (e.value.IsScalar() && !is_string_tag(e.value)) {
    const std::string& s = e.value.Scalar();
    if (s == "true" || s == "True" || s == "TRUE") return true;
    if (s == "false" || s == "False" || s == "FALSE") return false;
  }
  error(e.value_pos,
        "'" + e.key + "' in " + where + " must be true or false, not " + describe(e.value));
  return std::nullopt;
}

// 0.01, "0.01" or "10%" (a percentage of the baseline). Never negative.
std::optional<Threshold> Parser::threshold_value(const Entry& e, const std::string& where) {
  std::string prefix = "'" + e.key + "' in " + where;
  if (!e.value.IsScalar()) {
    error(e.value_pos,
          prefix + " must be a number or a percentage like 10%, not " + describe(e.value));
    return std::nullopt;
  }
  std::string_view text = e.value.Scalar();
  Threshold t;
  if (!text.empty() && text.back() == '%') {
    t.percent = true;
    text.remove_suffix(1);
  }
  auto v = to_double(text);
  if (!v) {
    error(e.value_pos,
          prefix + " must be a number or a percentage like 10%, not " + show(e.value.Scalar()));
    return std::nullopt;
  }
  if (*v < 0) {
    error(e.value_pos, prefix + " must not be negative (it bounds the size of the change)");
    return std::nullopt;
  }
  t.value = t.percent ? *v / 100.0 : *v;
  return t;
}

// A rate: a fraction 0..1 (0.02) or a percentage 0%..100% ("2%").
std::optional<double> Parser::fraction_value(const Entry& e, const std::string& where) {
  std::string prefix = "'" + e.key + "' in " + where;
  if (!e.value.IsScalar()) {
    error(e.value_pos, prefix + " must be a fraction like 0.02 or a percentage like 2%, not " +
                           describe(e.value));
    return std::nullopt;
  }
  std::string_view text = e.value.Scalar();
  bool percent = !text.empty() && text.back() == '%';
  if (percent) text.remove_suffix(1);
  auto v = to_double(text);
  if (!v) {
    error(e.value_pos, prefix + " must be a fraction like 0.02 or a percentage like 2%, not " +
                           show(e.value.Scalar()));
    return std::nullopt;
  }
  if (*v < 0) {
    error(e.value_pos, prefix + " must not be negative");
    return std::nullopt;
  }
  if (percent) {
    if (*v > 100) {
      error(e.value_pos, prefix + " is over 100%");
      return std::nullopt;
    }
    return *v / 100.0;
  }
  if (*v > 1) {
    error(e.value_pos, prefix + " is a fraction between 0 and 1 and " + format_number(*v) +
                           " is over 1; write " + format_number(*v) + "% for a percentage");
    return std::nullopt;
  }
  return *v;
}

bool Parser::check_image(const std::string& image, Pos at, const std::string& where) {
  if (image.empty()) {
    error(at, "'image' in " + where + " is empty");
    return false;
  }
  if (image.size() > 255 || has_control_or_space(image) || image.front() == '-') {
    error(at, "'image' in " + where + " is not a valid image reference: " + show(image));
    return false;
  }
  return true;
}

void Parser::check_image_allowed(const std::string& image, Pos at, const std::string& what) {
  if (!limits_.jobs || limits_.jobs->image_allowed(image)) return;
  error(at, "image " + show(image) + " " + what + " is not allowed on this server (allowed: " +
                join_strings(limits_.jobs->images) + "; serve --allowed-images)");
}

YAML::Node Parser::load_within_budget(const std::string& text, const AliasExpansion& expansion) {
  if (expansion.cut.empty()) return YAML::Load(text);
  const YAML::Mark& crossed = expansion.cut.front();
  error(pos_of(crossed, Pos{}),
        expansion.cycle
            ? "this alias names a node that contains it, so it expands without end"
            : "aliases and merge keys ('<<') expand to more than " +
                  std::to_string(kMaxConfigAliasBytes) +
                  " bytes (kMaxConfigAliasBytes, the limit of what aliases may add to a config); "
                  "this alias crosses it, and the file is checked only up to it");
  expansion_error_ = true;
  std::string cut = text;
  if (!replace_aliases(cut, expansion.cut)) return YAML::Node(YAML::NodeType::Undefined);
  try {
    return YAML::Load(cut);
  } catch (const std::exception&) {
    return YAML::Node(YAML::NodeType::Undefined);
  }
}

ConfigParseResult Parser::run(std::string_view yaml) {
  if (yaml.size() > kMaxConfigBytes) {
    error(Pos{}, "the file is " + std::to_string(yaml.size()) + " bytes; the limit is " +
                     std::to_string(kMaxConfigBytes) + " bytes");
    return ConfigParseResult{std::nullopt, errors_};
  }
  if (const auto bad = first_invalid_utf8(yaml)) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    error(bad->first, std::string("not UTF-8 text: byte 0x") + kHex[bad->second >> 4] +
                          kHex[bad->second & 0xF] +
                          " does not start a valid UTF-8 sequence (save the file as UTF-8)");
    return ConfigParseResult{std::nullopt, errors_};
  }
  const std::string text(yaml);
  YAML::Node root;
  try {
    // First pass, events only: syntax errors, and whether a second document follows. Stops after
    // the second document, and treats a "document" that does not advance the input as an error.
    std::istringstream in(text);
    YAML::Parser parser(in);
    AliasExpansion first(kMaxConfigAliasBytes);
    if (parser.HandleNextDocument(first)) {
      DocumentStarts second;
      if (parser.HandleNextDocument(second) && second.start) {
        auto at = static_cast<std::size_t>(std::max(0, second.start->pos));
        std::string_view rest = std::string_view(text).substr(std::min(at, text.size()));
        if (rest.substr(0, 3) != "---") {
          // Not a "---" document: content yaml-cpp could not place (e.g. a stray ',' or text
          // after a closing bracket). It may not even advance the input.
          error(pos_of(*second.start, Pos{}),
                "YAML syntax error: unexpected " + show(rest.substr(0, 1)));
        } else {
          error(pos_of(*second.start, Pos{}),
                "the file holds more than one YAML document (---); .mlgate.yml must hold exactly "
                "one");
        }
      }
    }
    if (errors_.empty()) root = load_within_budget(text, first);
  } catch (const YAML::DeepRecursion& e) {
    error(pos_of(e.mark, Pos{}),
          "YAML nesting is too deep (over " + std::to_string(e.depth() - 1) + " levels)");
  } catch (const YAML::Exception& e) {
    std::string message = e.msg.empty() ? std::string(e.what()) : e.msg;
    error(pos_of(e.mark, Pos{}), "YAML syntax error: " + message);
  } catch (const std::exception& e) {
    error(Pos{}, std::string("YAML could not be read: ") + e.what());
  }
  if (errors_.empty() || (expansion_error_ && root.IsDefined())) {
    if (!root.IsDefined() || root.IsNull()) {
      error(Pos{}, "the config is empty; it needs at least 'version: 1' and 'tiers'");
    } else {
      try {
        parse_top(root);
      } catch (const std::exception& e) {
        error(Pos{}, std::string("the config could not be read: ") + e.what());
      }
    }
  }
  if (expansion_error_) {
    // Past the alias that crossed the limit, aliases were read as empty mappings: errors from
    // there on may be theirs.
    const ConfigError crossed = errors_.front();
    std::erase_if(errors_, [&](const ConfigError& e) {
      return e.line > crossed.line || (e.line == crossed.line && e.column >= crossed.column);
    });
    truncated_ = truncated_ && errors_.size() + 1 >= kMaxErrors;
    errors_.push_back(crossed);
  }
  std::stable_sort(errors_.begin(), errors_.end(), [](const ConfigError& a, const ConfigError& b) {
    return a.line != b.line ? a.line < b.line : a.column < b.column;
  });
  if (truncated_) {
    errors_.push_back(ConfigError{errors_.back().line, errors_.back().column,
                                  "too many errors; stopped after " + std::to_string(kMaxErrors)});
  }
  if (!errors_.empty()) return ConfigParseResult{std::nullopt, std::move(errors_)};
  return ConfigParseResult{std::move(config_), {}};
}

template <typename Fields, std::size_t N>
void Parser::dispatch(const std::vector<Entry>& fields,
                      const std::array<KeyHandler<Fields>, N>& table, Fields& out) {
  for (const Entry& e : fields) {
    for (const KeyHandler<Fields>& handler : table) {
      if (handler.key == e.key) {
        (this->*handler.read)(e, out);
        break;
      }
    }
  }
}

void Parser::parse_top(const YAML::Node& root) {
  static constexpr std::array<KeyHandler<TopFields>, 7> kKeys{{
      {"version", &Parser::top_version},
      {"image", &Parser::top_image},
      {"tiers", &Parser::top_tiers},
      {"gates", &Parser::top_gates},
      {"rubric", &Parser::top_rubric},
      {"monitors", &Parser::top_monitors},
      {"rollouts", &Parser::top_rollouts},
  }};
  if (!root.IsMap()) {
    error(pos(root, Pos{}),
          "the config must be a mapping (key: value) with 'version: 1' and "
          "'tiers', not " +
              describe(root));
    return;
  }
  auto top = entries(root, Pos{}, "the top level", keys_of(kKeys), /*extensions=*/true);
  if (!top) return;
  TopFields f;
  dispatch(*top, kKeys, f);
  if (!f.has_version) error(pos(root, Pos{}), "missing 'version: 1' at the top level");
  if (f.tiers != nullptr) {
    parse_tiers(*f.tiers);
  } else {
    error(pos(root, Pos{}), "missing 'tiers': declare at least one of " + join(kTierNames));
  }
  if (f.gates != nullptr) parse_gates(*f.gates);
  if (f.rubric != nullptr) parse_rubric(*f.rubric);
  if (f.monitors != nullptr) parse_monitors(*f.monitors);
  if (f.rollouts != nullptr) parse_rollouts(*f.rollouts);
}

void Parser::top_version(const Entry& e, TopFields& f) {
  f.has_version = true;
  if (e.value.IsScalar() && !is_string_tag(e.value) && to_int(e.value.Scalar()) == 1) {
    config_.version = 1;
  } else {
    error(e.value_pos,
          "unsupported version " + describe(e.value) + "; this mlgate reads 'version: 1'");
  }
}

void Parser::top_image(const Entry& e, TopFields&) {
  top_image_given_ = true;
  top_image_pos_ = e.value_pos;
  if (auto s = string_value(e, "the top level")) {
    if (check_image(*s, e.value_pos, "the top level")) config_.image = *s;
  }
}

void Parser::parse_tiers(const Entry& tiers_entry) {
  auto list = entries(tiers_entry.value, tiers_entry.value_pos, "'tiers'", std::nullopt);
  if (!list) return;
  if (list->empty()) {
    error(tiers_entry.value_pos, "'tiers' is empty; declare at least one of " + join(kTierNames));
    return;
  }
  std::map<std::string, Pos> tier_pos;
  std::map<std::string, std::vector<std::pair<std::string, Pos>>> needs;
  std::vector<TierConfig> parsed;
  for (const Entry& e : *list) {
    if (std::find(std::begin(kTierNames), std::end(kTierNames), e.key) == std::end(kTierNames)) {
      error(e.key_pos, "unknown tier " + show(e.key) + did_you_mean(e.key, kTierNames) +
                           "; the tiers are " + join(kTierNames));
      continue;
    }
    declared_tiers_.insert(e.key);
    tier_pos[e.key] = e.key_pos;
  }
  for (const Entry& e : *list) {
    if (declared_tiers_.count(e.key) == 0) continue;
    if (auto tier = parse_tier(e, needs[e.key])) parsed.push_back(std::move(*tier));
  }
  check_needs(tier_pos, needs);
  for (std::string_view name : kTierNames) {
    for (TierConfig& t : parsed) {
      if (t.name == name) config_.tiers.push_back(std::move(t));
    }
  }
}

std::optional<TierConfig> Parser::parse_tier(const Entry& tier_entry,
                                             std::vector<std::pair<std::string, Pos>>& needs) {
  static constexpr std::array<KeyHandler<TierFields>, 12> kKeys{{
      {"image", &Parser::tier_image},
      {"on", &Parser::tier_on},
      {"branches", &Parser::tier_branches},
      {"needs", &Parser::tier_needs},
      {"timeout", &Parser::tier_timeout},
      {"resources", &Parser::tier_resources},
      {"network", &Parser::tier_network},
      {"run", &Parser::tier_run},
      {"schedule", &Parser::tier_schedule},
      {"env", &Parser::tier_env},
      {"cancel_superseded", &Parser::tier_cancel_superseded},
      {"repeat", &Parser::tier_repeat},
  }};
  const std::string where = what_tier(tier_entry.key);
  TierConfig tier = tier_defaults(tier_entry);
  if (tier_entry.value.IsNull()) {
    error(tier_entry.key_pos, where + " is empty; it needs at least 'run'");
    return std::nullopt;
  }
  auto fields = entries(tier_entry.value, tier_entry.value_pos, where, keys_of(kKeys));
  if (!fields) return std::nullopt;
  std::size_t errors_before = errors_.size();
  TierFields f{tier, where, needs, tier_entry.key_pos};
  dispatch(*fields, kKeys, f);
  check_tier(tier_entry, f);
  if (errors_.size() != errors_before) return std::nullopt;
  return tier;
}

TierConfig Parser::tier_defaults(const Entry& tier_entry) const {
  TierConfig tier;
  tier.name = tier_entry.key;
  tier.line = tier_entry.key_pos.line;
  tier.timeout_seconds = limits_.ceiling_for(tier.name);
  tier.cancel_superseded = tier.name == kTierFunctionality;
  if (tier.name == kTierTraining) {
    tier.on = {"schedule"};
  } else {
    tier.on = {"push", "pull_request"};
  }
  return tier;
}

// What a tier needs once all its keys are read: a command, an image, a schedule when it runs on
// one, and events that 'branches' can filter.
void Parser::check_tier(const Entry& tier_entry, TierFields& f) {
  const std::string& where = f.where;
  TierConfig& tier = f.tier;
  if (!f.has_run) error(tier_entry.key_pos, where + " has no 'run' command");
  if (!f.has_image) {
    if (config_.image.empty() && !top_image_given_) {
      error(tier_entry.key_pos,
            where + " has no image: set 'image' on the tier or at the top level");
    }
    tier.image = config_.image;
    if (!tier.image.empty() && !top_image_refused_) {
      const std::size_t before = errors_.size();
      check_image_allowed(tier.image, top_image_pos_, "(the top level's, used by " + where + ")");
      top_image_refused_ = errors_.size() != before;
    }
  }
  const bool on_schedule = std::find(tier.on.begin(), tier.on.end(), "schedule") != tier.on.end();
  if (on_schedule && f.schedule == nullptr) {
    error(f.on_pos, where + " runs on schedule but has no 'schedule' (a 5-field cron, UTC)");
  }
  if (!on_schedule && f.schedule != nullptr) {
    error(f.schedule->key_pos, where + " has a 'schedule' but 'on' does not include schedule");
  }
  if (f.branches != nullptr) {
    bool filterable = std::any_of(tier.on.begin(), tier.on.end(), [](const std::string& ev) {
      return ev == "push" || ev == "pull_request";
    });
    if (!filterable) {
      error(f.branches->key_pos, "'branches' only filters push and pull_request events, and " +
                                     where + " runs on neither");
    }
  }
}

void Parser::tier_image(const Entry& e, TierFields& f) {
  if (auto s = string_value(e, f.where)) {
    if (check_image(*s, e.value_pos, f.where)) {
      f.tier.image = *s;
      f.has_image = true;
      check_image_allowed(*s, e.value_pos, "of " + f.where);
    }
  }
}

void Parser::tier_on(const Entry& e, TierFields& f) {
  f.on_pos = e.value_pos;
  auto events = string_items(e, f.where);
  if (!events) return;
  f.tier.on.clear();
  for (const auto& [ev, at] : *events) {
    if (std::find(std::begin(kEventNames), std::end(kEventNames), ev) == std::end(kEventNames)) {
      error(at, "unknown event " + show(ev) + " in 'on' of " + f.where +
                    did_you_mean(ev, kEventNames) + "; events are " + join(kEventNames));
    } else if (std::find(f.tier.on.begin(), f.tier.on.end(), ev) != f.tier.on.end()) {
      error(at, "event '" + ev + "' is listed twice in 'on' of " + f.where);
    } else {
      f.tier.on.push_back(ev);
    }
  }
}

void Parser::tier_branches(const Entry& e, TierFields& f) {
  f.branches = &e;
  if (auto list = string_list(e, f.where)) {
    for (const std::string& b : *list) {
      if (b.empty() || b.size() > 255 || has_control(b)) {
        error(e.value_pos, "bad branch pattern " + show(b) + " in " + f.where);
      } else {
        f.tier.branches.push_back(b);
      }
    }
  }
}

void Parser::tier_needs(const Entry& e, TierFields& f) {
  if (auto items = string_items(e, f.where)) {
    for (const Item& item : *items) {
      f.tier.needs.push_back(item.text);
      f.needs.emplace_back(item.text, item.pos);
    }
  }
}

void Parser::tier_timeout(const Entry& e, TierFields& f) {
  if (!e.value.IsScalar()) {
    error(e.value_pos,
          "'timeout' in " + f.where + " must be a duration like 30m, not " + describe(e.value));
    return;
  }
  auto d = parse_duration(e.value.Scalar());
  if (!d) {
    error(e.value_pos, "bad 'timeout' in " + f.where + ": " + d.error);
    return;
  }
  std::int64_t ceiling = limits_.ceiling_for(f.tier.name);
  if (*d.seconds > ceiling) {
    error(e.value_pos, "'timeout' " + format_duration(*d.seconds) + " of " + f.where +
                           " is over the ceiling of " + format_duration(ceiling) +
                           " for this tier (serve --max-timeout-" + f.tier.name +
                           "); timeouts can only be lowered");
    return;
  }
  f.tier.timeout_seconds = *d.seconds;
}

void Parser::tier_network(const Entry& e, TierFields& f) {
  if (auto s = string_value(e, f.where)) {
    if (std::find(kNetworks.begin(), kNetworks.end(), *s) == kNetworks.end()) {
      error(e.value_pos, "'network' in " + f.where + " must be none or bridge, not " + show(*s));
    } else if (limits_.jobs && !limits_.jobs->network_allowed(*s)) {
      error(e.value_pos, "'network' " + *s + " of " + f.where +
                             " is not allowed on this server (allowed: " +
                             join_strings(limits_.jobs->networks) + "; serve --allowed-networks)");
    } else {
      f.tier.network = *s;
    }
  }
}

void Parser::tier_run(const Entry& e, TierFields& f) {
  f.has_run = true;
  if (auto s = string_value(e, f.where)) {
    bool blank = std::all_of(s->begin(), s->end(),
                             [](char c) { return std::isspace(static_cast<unsigned char>(c)); });
    if (blank) {
      error(e.value_pos, "'run' in " + f.where + " is empty");
    } else if (s->find('\0') != std::string::npos) {
      error(e.value_pos, "'run' in " + f.where + " contains a NUL byte");
    } else {
      f.tier.run = *s;
    }
  }
}

void Parser::tier_schedule(const Entry& e, TierFields& f) {
  f.schedule = &e;
  if (auto s = string_value(e, f.where)) {
    auto cron = parse_cron(*s);
    if (!cron) {
      error(e.value_pos, "bad 'schedule' in " + f.where + ": " + cron.error);
    } else if (!can_fire(*cron.expr)) {
      error(e.value_pos,
            "'schedule' " + show(*s) + " of " + f.where + " never fires: no such date exists");
    } else {
      f.tier.schedule = *s;
      f.tier.cron = std::move(cron.expr);
    }
  }
}

void Parser::tier_env(const Entry& e, TierFields& f) {
  const std::string& where = f.where;
  auto vars = entries(e.value, e.value_pos, "'env' of " + where, std::nullopt);
  if (!vars) return;
  for (const Entry& v : *vars) {
    if (!valid_env_name(v.key)) {
      error(v.key_pos, "bad environment variable name " + show(v.key) + " in " + where +
                           " (letters, digits and _, not starting with a digit)");
    } else if (v.key.rfind("MLGATE_", 0) == 0) {
      error(v.key_pos, "environment variable " + show(v.key) + " in " + where +
                           " is reserved: mlgate sets MLGATE_* itself");
    } else if (!v.value.IsScalar()) {
      error(v.value_pos, "environment variable " + show(v.key) + " in " + where +
                             " must have a string value, not " + describe(v.value) +
                             (v.value.IsNull() ? " (write \"\" for an empty value)" : ""));
    } else if (v.value.Scalar().find('\0') != std::string::npos) {
      error(v.value_pos, "environment variable " + show(v.key) + " contains a NUL byte");
    } else {
      f.tier.env[v.key] = v.value.Scalar();
    }
  }
}

void Parser::tier_cancel_superseded(const Entry& e, TierFields& f) {
  if (auto b = bool_value(e, f.where)) f.tier.cancel_superseded = *b;
}

void Parser::tier_repeat(const Entry& e, TierFields& f) {
  auto n = int_value(e, f.where);
  if (!n) return;
  if (*n < 1 || *n > kMaxRepeat) {
    error(e.value_pos, "'repeat' in " + f.where + " must be from 1 to " +
                           std::to_string(kMaxRepeat) + " (the runs of the tier), not " +
                           std::to_string(*n));
    return;
  }
  f.tier.repeat = static_cast<int>(*n);
}

void Parser::parse_resources(const Entry& res, const std::string& tier_where, Resources& out) {
  static constexpr std::array<KeyHandler<ResourceFields>, 4> kKeys{{
      {"cpus", &Parser::resource_cpus},
      {"memory", &Parser::resource_memory},
      {"gpus", &Parser::resource_count},
      {"pids", &Parser::resource_count},
  }};
  const std::string where = "'resources' of " + tier_where;
  auto fields = entries(res.value, res.value_pos, where, keys_of(kKeys));
  if (!fields) return;
  ResourceFields f{out, where};
  dispatch(*fields, kKeys, f);
}

void Parser::over_ceiling(const Entry& e, const ResourceFields& f, const std::string& ceiling,
                          const char* flag) {
  error(e.value_pos, "'" + e.key + "' " + show(e.value.Scalar()) + " in " + f.where +
                         " is over this server's ceiling of " + ceiling + " (serve " + flag + ")");
}

void Parser::resource_cpus(const Entry& e, ResourceFields& f) {
  if (auto v = number_value(e, f.where)) {
    if (*v <= 0) {
      error(e.value_pos, "'cpus' in " + f.where + " must be positive");
    } else if (limits_.jobs && *v > limits_.jobs->cpus) {
      over_ceiling(e, f, format_number(limits_.jobs->cpus) + " CPUs", "--max-job-cpus");
    } else {
      f.out.cpus = *v;
    }
  }
}

void Parser::resource_memory(const Entry& e, ResourceFields& f) {
  std::optional<std::int64_t> bytes;
  if (e.value.IsScalar()) bytes = parse_memory(e.value.Scalar());
  if (!bytes) {
    error(e.value_pos, "'memory' in " + f.where +
                           " must be a size like 512m, 4g or 4Gi (or bytes), not " +
                           describe(e.value));
  } else if (*bytes < 6 * 1024 * 1024) {
    error(e.value_pos, "'memory' in " + f.where + " is below Docker's minimum of 6m");
  } else if (limits_.jobs && *bytes > limits_.jobs->memory_bytes) {
    over_ceiling(e, f, format_memory_size(limits_.jobs->memory_bytes), "--max-job-memory");
  } else {
    f.out.memory_bytes = *bytes;
  }
}

void Parser::resource_count(const Entry& e, ResourceFields& f) {
  auto v = int_value(e, f.where);
  if (!v) return;
  const bool gpus = e.key == "gpus";
  const std::int64_t low = gpus ? 0 : 1;
  const std::int64_t high = gpus ? 1024 : std::numeric_limits<int>::max();
  const std::optional<std::int64_t> ceiling =
      limits_.jobs ? std::optional<std::int64_t>(gpus ? limits_.jobs->gpus : limits_.jobs->pids)
                   : std::nullopt;
  if (*v < low || *v > high) {
    error(e.value_pos, "'" + e.key + "' in " + f.where + " must be between " + std::to_string(low) +
                           " and " + std::to_string(high));
  } else if (ceiling && *v > *ceiling) {
    over_ceiling(e, f, std::to_string(*ceiling) + (gpus ? " GPUs" : " processes"),
                 gpus ? "--max-job-gpus" : "--max-job-pids");
  } else if (gpus) {
    f.out.gpus = static_cast<int>(*v);
  } else {
    f.out.pids = static_cast<int>(*v);
  }
}

void Parser::check_needs(
    const std::map<std::string, Pos>& tier_pos,
    const std::map<std::string, std::vector<std::pair<std::string, Pos>>>& needs) {
  std::map<std::string, std::vector<std::string>> graph;
  for (const auto& [tier, list] : needs) {
    std::set<std::string> seen;
    for (const auto& [need, at] : list) {
      const std::string where = what_tier(tier);
      if (std::find(std::begin(kTierNames), std::end(kTierNames), need) == std::end(kTierNames)) {
        error(at, where + " needs unknown tier " + show(need) + did_you_mean(need, kTierNames));
      } else if (tier_pos.count(need) == 0) {
        error(at, where + " needs tier '" + need + "', which is not declared under 'tiers'");
      } else if (need == tier) {
        error(at, where + " needs itself");
      } else if (!seen.insert(need).second) {
        error(at, "tier '" + need + "' is listed twice in 'needs' of " + where);
      } else {
        graph[tier].push_back(need);
      }
    }
  }
  // Three nodes at most: a cycle is a path that returns to its start.
  std::set<std::string> reported;
  for (std::string_view start : kTierNames) {
    std::string s(start);
    if (reported.count(s) != 0) continue;
    std::vector<std::string> path{s};
    std::function<bool(const std::string&)> dfs = [&](const std::string& node) -> bool {
      for (const std::string& next : graph[node]) {
        if (next == s) {
          path.push_back(next);
          return true;
        }
        if (std::find(path.begin(), path.end(), next) != path.end()) continue;
        path.push_back(next);
        if (dfs(next)) return true;
        path.pop_back();
      }
      return false;
    };
    if (dfs(s)) {
      std::string chain;
      for (const std::string& p : path) {
        if (!chain.empty()) chain += " -> ";
        chain += p;
        reported.insert(p);
      }
      error(tier_pos.at(s), "'needs' form a cycle: " + chain);
    }
  }
}

void Parser::parse_gates(const Entry& gates_entry) {
  if (gates_entry.value.IsNull()) return;
  auto list = entries(gates_entry.value, gates_entry.value_pos, "'gates'", std::nullopt);
  if (!list) return;
  for (const Entry& e : *list) {
    // The name is the environment in the gate API's URLs, the deployments and the commit status
    // contexts (mlgate/gate/<name>): the characters the API accepts, and unique ignoring case
    // (GitHub's environment names are).
    if (!is_environment_name(e.key)) {
      error(e.key_pos, "bad gate (environment) name " + show(e.key) +
                           ": use 1 to 100 letters, digits, '_', '.' or '-'");
      continue;
    }
    bool duplicate = false;
    for (const auto& g : config_.gates) {
      if (equal_ignoring_case(g.name, e.key)) {
        error(e.key_pos, "gate " + show(e.key) + " differs from gate " + show(g.name) +
                             " only by case (environment names are not case-sensitive)");
        duplicate = true;
      }
    }
    if (duplicate) continue;
    if (auto gate = parse_gate(e)) config_.gates.push_back(std::move(*gate));
  }
}

template <typename Check, typename Fn>
void Parser::parse_check_list(const Entry& e, const std::string& where, std::vector<Check>& out,
                              Fn fn) {
  if (!e.value.IsSequence()) {
    error(e.value_pos,
          "'" + e.key + "' in " + where + " must be a list of checks, not " + describe(e.value));
    return;
  }
  std::size_t i = 0;
  for (const YAML::Node& item : e.value) {
    std::string item_where = e.key + "[" + std::to_string(i++) + "] of " + where;
    if (auto check = (this->*fn)(item, pos(item, e.value_pos), item_where)) {
      out.push_back(std::move(*check));
    }
  }
}

std::optional<GateConfig> Parser::parse_gate(const Entry& gate_entry) {
  static constexpr std::array<KeyHandler<GateFields>, 7> kKeys{{
      {"require", &Parser::gate_require},
      {"metrics", &Parser::gate_metrics},
      {"slices", &Parser::gate_slices},
      {"fairness", &Parser::gate_fairness},
      {"predictions", &Parser::gate_predictions},
      {"rubric", &Parser::gate_rubric},
      {"statistics", &Parser::gate_statistics},
  }};
  const std::string where = what_gate(gate_entry.key);
  GateConfig gate;
  gate.name = gate_entry.key;
  gate.line = gate_entry.key_pos.line;
  if (gate_entry.value.IsNull()) {
    error(gate_entry.key_pos, where + " has no checks");
    return std::nullopt;
  }
  auto fields = entries(gate_entry.value, gate_entry.value_pos, where, keys_of(kKeys));
  if (!fields) return std::nullopt;
  std::size_t errors_before = errors_.size();
  GateFields f{gate, where};
  pending_when_.clear();
  dispatch(*fields, kKeys, f);
  check_gate_statistics(gate, gate_entry);
  if (errors_.size() != errors_before) return std::nullopt;
  if (gate.require.empty() && gate.metrics.empty() && gate.slices.empty() &&
      gate.fairness.empty() && !gate.predictions && !gate.rubric) {
    error(!fields->empty() ? gate_entry.value_pos : gate_entry.key_pos,
          where +
              " has no checks: give it 'require' or at least one of metrics, slices, "
              "fairness, predictions, rubric");
    return std::nullopt;
  }
  return gate;
}

void Parser::gate_require(const Entry& e, GateFields& f) {
  auto items = string_items(e, f.where);
  if (!items) return;
  std::vector<std::string>& require = f.gate.require;
  for (const auto& [t, at] : *items) {
    if (std::find(std::begin(kTierNames), std::end(kTierNames), t) == std::end(kTierNames)) {
      error(at, f.where + " requires unknown tier " + show(t) + did_you_mean(t, kTierNames));
    } else if (declared_tiers_.count(t) == 0) {
      error(at, f.where + " requires tier '" + t + "', which is not declared under 'tiers'");
    } else if (std::find(require.begin(), require.end(), t) != require.end()) {
      error(at, "tier '" + t + "' is listed twice in 'require' of " + f.where);
    } else {
      require.push_back(t);
    }
  }
}

template <typename Fields>
void Parser::check_min(const Entry& e, Fields& f) {
  f.check.min = number_value(e, f.where);
}

template <typename Fields>
void Parser::check_max(const Entry& e, Fields& f) {
  f.check.max = number_value(e, f.where);
  f.max_pos = e.value_pos;
}

template <typename Fields>
void Parser::check_min_n(const Entry& e, Fields& f) {
  if (auto v = non_negative_int(e, f.where)) f.check.min_n = *v;
}

template <typename Fields>
void Parser::check_optional(const Entry& e, Fields& f) {
  if (auto b = bool_value(e, f.where)) f.check.optional = *b;
}

std::optional<std::string> Parser::nonempty_string(const Entry& e, const std::string& where) {
  auto s = string_value(e, where);
  if (s && s->empty()) error(e.value_pos, "'" + e.key + "' in " + where + " is empty");
  return s;
}

std::optional<MetricCheck> Parser::parse_metric(const YAML::Node& node, Pos at,
                                                const std::string& where) {
  static constexpr std::array<KeyHandler<MetricFields>, 12> kKeys{{
      {"name", &Parser::metric_name},
      {"max_spread", &Parser::metric_max_spread},
      {"min", &Parser::check_min<MetricFields>},
      {"max", &Parser::check_max<MetricFields>},
      {"max_drop", &Parser::metric_max_drop},
      {"max_increase", &Parser::metric_max_increase},
      {"lower_is_better", &Parser::metric_lower_is_better},
      {"optional", &Parser::check_optional<MetricFields>},
      {"from", &Parser::check_from<MetricFields>},
      {"confidence", &Parser::check_confidence<MetricFields>},
      {"when_inconclusive", &Parser::check_when_inconclusive<MetricFields>},
      {"positive_label", &Parser::check_positive_label<MetricFields>},
  }};
  auto fields = entries(node, at, where, keys_of(kKeys));
  if (!fields) return std::nullopt;
  std::size_t errors_before = errors_.size();
  MetricCheck check;
  check.line = at.line;
  check.column = at.column;
  MetricFields f{check, where, at};
  dispatch(*fields, kKeys, f);
  if (!f.has_name) error(at, where + " has no 'name' (the metric to check)");
  if (errors_.size() != errors_before) return std::nullopt;
  check_statistics(f.stats, check.stats, where, "metric check " + show(check.name));
  check_metric(at, f);
  if (errors_.size() != errors_before) return std::nullopt;
  return check;
}

// A metric check's thresholds must exist, be satisfiable and point the way the metric improves.
void Parser::check_metric(Pos at, const MetricFields& f) {
  const MetricCheck& check = f.check;
  const std::string& where = f.where;
  if (!check.min && !check.max && !check.max_drop && !check.max_increase && !check.max_spread) {
    error(at, "metric check " + show(check.name) + " (" + where +
                  ") has no threshold: give it min, max, max_drop, max_increase or max_spread");
  }
  if (check.min && check.max && *check.min > *check.max) {
    error(f.max_pos, "metric check " + show(check.name) + " can never pass: min " +
                         format_number(*check.min) + " is above max " + format_number(*check.max));
  }
  if (f.drop != nullptr && check.lower_is_better) {
    error(f.drop->key_pos, "'max_drop' in " + where +
                               " bounds a drop, which is an improvement when lower_is_better is "
                               "true; use 'max_increase'");
  }
  if (f.increase != nullptr && !check.lower_is_better) {
    error(f.increase->key_pos,
          "'max_increase' in " + where +
              " bounds an increase, which is an improvement unless "
              "'lower_is_better: true'; use 'max_drop' or set lower_is_better");
  }
  // A metric computed from predictions has a known direction: the config must agree with it.
  const auto metric = example_metric_from_string(check.name);
  if (check.stats.from == MetricSource::predictions && metric &&
      higher_is_better(*metric) == check.lower_is_better) {
    const Pos p = f.lower_is_better ? f.lower_is_better->value_pos : at;
    error(p, "metric check " + show(check.name) + " (" + where + "): " + check.name + " is " +
                 (check.lower_is_better ? "higher" : "lower") + "-is-better; " +
                 (check.lower_is_better ? "remove 'lower_is_better: true'"
                                        : "set 'lower_is_better: true'"));
  }
}

void Parser::metric_name(const Entry& e, MetricFields& f) {
  f.has_name = true;
  f.stats.metric = &e;
  if (auto s = string_value(e, f.where)) {
    if (s->empty()) {
      error(e.value_pos, "'name' in " + f.where + " is empty");
    } else {
      f.check.name = *s;
    }
  }
}

void Parser::metric_max_drop(const Entry& e, MetricFields& f) {
  f.drop = &e;
  f.check.max_drop = threshold_value(e, f.where);
}

void Parser::metric_max_increase(const Entry& e, MetricFields& f) {
  f.increase = &e;
  f.check.max_increase = threshold_value(e, f.where);
}

void Parser::metric_max_spread(const Entry& e, MetricFields& f) {
  f.spread = &e;
  f.check.max_spread = non_negative_number(e, f.where);
  require_repeated_tier(e, f.where);
}

// `max_spread` bounds a metric's spread over the repeats of one tier: without a tier run with
// `repeat: N` every value is reported once, and the check could only ever be missing.
void Parser::require_repeated_tier(const Entry& e, const std::string& where) {
  if (std::any_of(config_.tiers.begin(), config_.tiers.end(),
                  [](const TierConfig& t) { return t.repeat >= 2; }))
    return;
  error(e.key_pos, "'max_spread' in " + where +
                       " can never pass: it bounds the spread of a metric over the repeats of a "
                       "tier, and no tier runs with 'repeat: N' (N >= 2)");
}

void Parser::metric_lower_is_better(const Entry& e, MetricFields& f) {
  f.lower_is_better = &e;
  if (auto b = bool_value(e, f.where)) f.check.lower_is_better = *b;
}

std::optional<SliceCheck> Parser::parse_slice(const YAML::Node& node, Pos at,
                                              const std::string& where) {
  static constexpr std::array<KeyHandler<SliceFields>, 12> kKeys{{
      {"metric", &Parser::slice_metric},
      {"by", &Parser::slice_by},
      {"min", &Parser::check_min<SliceFields>},
      {"max", &Parser::check_max<SliceFields>},
      {"max_gap", &Parser::slice_max_gap},
      {"max_spread", &Parser::slice_max_spread},
      {"min_n", &Parser::check_min_n<SliceFields>},
      {"optional", &Parser::check_optional<SliceFields>},
      {"from", &Parser::check_from<SliceFields>},
      {"confidence", &Parser::check_confidence<SliceFields>},
      {"when_inconclusive", &Parser::check_when_inconclusive<SliceFields>},
      {"positive_label", &Parser::check_positive_label<SliceFields>},
  }};
  auto fields = entries(node, at, where, keys_of(kKeys));
  if (!fields) return std::nullopt;
  std::size_t errors_before = errors_.size();
  SliceCheck check;
  check.line = at.line;
  check.column = at.column;
  SliceFields f{check, where, at};
  dispatch(*fields, kKeys, f);
  if (!f.has_metric) error(at, where + " has no 'metric'");
  if (!f.has_by) error(at, where + " has no 'by' (the slicing attribute, e.g. age_group)");
  if (errors_.size() != errors_before) return std::nullopt;
  check_statistics(f.stats, check.stats, where, "slice check " + show(check.metric));
  if (!check.min && !check.max && !check.max_gap && !check.max_spread) {
    error(at, "slice check " + show(check.metric) + " by " + show(check.by) +
                  " has no threshold: give it min, max, max_gap or max_spread");
  }
  if (check.min && check.max && *check.min > *check.max) {
    error(f.max_pos, "slice check " + show(check.metric) + " can never pass: min " +
                         format_number(*check.min) + " is above max " + format_number(*check.max));
  }
  if (errors_.size() != errors_before) return std::nullopt;
  return check;
}

void Parser::slice_metric(const Entry& e, SliceFields& f) {
  f.has_metric = true;
  f.stats.metric = &e;
  if (auto s = nonempty_string(e, f.where)) f.check.metric = *s;
}

void Parser::slice_by(const Entry& e, SliceFields& f) {
  f.has_by = true;
  if (auto s = nonempty_string(e, f.where)) f.check.by = *s;
}

void Parser::slice_max_gap(const Entry& e, SliceFields& f) {
  if (auto v = non_negative_number(e, f.where)) f.check.max_gap = *v;
}

void Parser::slice_max_spread(const Entry& e, SliceFields& f) {
  if (auto v = non_negative_number(e, f.where)) f.check.max_spread = *v;
  require_repeated_tier(e, f.where);
}

std::optional<FairnessCheck> Parser::parse_fairness(const YAML::Node& node, Pos at,
                                                    const std::string& where) {
  static constexpr std::array<KeyHandler<FairnessFields>, 10> kKeys{{
      {"metric", &Parser::fairness_metric},
      {"by", &Parser::fairness_by},
      {"reference", &Parser::fairness_reference},
      {"disparity", &Parser::fairness_disparity},
      {"min_n", &Parser::check_min_n<FairnessFields>},
      {"optional", &Parser::check_optional<FairnessFields>},
      {"from", &Parser::check_from<FairnessFields>},
      {"confidence", &Parser::check_confidence<FairnessFields>},
      {"when_inconclusive", &Parser::check_when_inconclusive<FairnessFields>},
      {"positive_label", &Parser::check_positive_label<FairnessFields>},
  }};
  auto fields = entries(node, at, where, keys_of(kKeys));
  if (!fields) return std::nullopt;
  std::size_t errors_before = errors_.size();
  FairnessCheck check;
  check.line = at.line;
  check.column = at.column;
  FairnessFields f{check, where};
  dispatch(*fields, kKeys, f);
  if (!f.has_metric) error(at, where + " has no 'metric'");
  if (!f.has_by) error(at, where + " has no 'by' (the group attribute, e.g. sex)");
  if (errors_.size() != errors_before) return std::nullopt;
  check_statistics(f.stats, check.stats, where, "fairness check " + show(check.metric));
  if (errors_.size() != errors_before) return std::nullopt;
  return check;
}

void Parser::fairness_metric(const Entry& e, FairnessFields& f) {
  f.has_metric = true;
  f.stats.metric = &e;
  if (auto s = nonempty_string(e, f.where)) f.check.metric = *s;
}

void Parser::fairness_by(const Entry& e, FairnessFields& f) {
  f.has_by = true;
  if (auto s = nonempty_string(e, f.where)) f.check.by = *s;
}

void Parser::fairness_reference(const Entry& e, FairnessFields& f) {
  if (auto s = nonempty_string(e, f.where)) f.check.reference = *s;
}

void Parser::fairness_disparity(const Entry& e, FairnessFields& f) {
  const std::string& where = f.where;
  if (!e.value.IsSequence() || e.value.size() != 2) {
    error(e.value_pos, "'disparity' in " + where +
                           " must be a list of two ratios [lo, hi], e.g. [0.8, 1.25], not " +
                           describe(e.value));
    return;
  }
  std::array<std::optional<double>, 2> bounds;
  for (std::size_t i = 0; i < 2; ++i) {
    YAML::Node item = e.value[i];
    Entry bound{"disparity[" + std::to_string(i) + "]", item, e.value_pos, pos(item, e.value_pos)};
    bounds[i] = number_value(bound, where);
  }
  if (!bounds[0] || !bounds[1]) return;
  if (*bounds[0] <= 0) {
    error(e.value_pos, "'disparity' in " + where + ": the lower ratio " +
                           format_number(*bounds[0]) + " must be above 0");
  } else if (*bounds[0] > *bounds[1]) {
    error(e.value_pos, "'disparity' in " + where + " can never pass: " + format_number(*bounds[0]) +
                           " is above " + format_number(*bounds[1]));
  } else {
    f.check.lo = *bounds[0];
    f.check.hi = *bounds[1];
  }
}

void Parser::parse_monitors(const Entry& monitors_entry) {
  if (monitors_entry.value.IsNull()) return;
  auto list = entries(monitors_entry.value, monitors_entry.value_pos, "'monitors'", std::nullopt);
  if (!list) return;
  for (const Entry& e : *list) {
    if (!is_environment_name(e.key)) {
      error(e.key_pos, "bad monitor (environment) name " + show(e.key) +
                           ": use 1 to 100 letters, digits, '_', '.' or '-'");
      continue;
    }
    bool duplicate = false;
    for (const auto& m : config_.monitors) {
      if (equal_ignoring_case(m.environment, e.key)) {
        error(e.key_pos, "monitor " + show(e.key) + " differs from monitor " + show(m.environment) +
                             " only by case (environment names are not case-sensitive)");
        duplicate = true;
      }
    }
    if (duplicate) continue;
    if (auto monitor = parse_monitor(e)) config_.monitors.push_back(std::move(*monitor));
  }
}

std::optional<MonitorConfig> Parser::parse_monitor(const Entry& monitor_entry) {
  static constexpr std::array<KeyHandler<MonitorFields>, 10> kKeys{{
      {"window", &Parser::monitor_window},
      {"every", &Parser::monitor_every},
      {"drift", &Parser::monitor_drift},
      {"prediction_drift", &Parser::monitor_prediction_drift},
      {"missing", &Parser::monitor_missing},
      {"quality", &Parser::monitor_quality},
      {"staleness", &Parser::monitor_staleness},
      {"on_alert", &Parser::monitor_on_alert},
      {"retrain_every", &Parser::monitor_retrain_every},
      {"share", &Parser::monitor_share},
  }};
  const std::string where = "monitor " + show(monitor_entry.key);
  MonitorConfig monitor;
  monitor.environment = monitor_entry.key;
  monitor.line = monitor_entry.key_pos.line;
  monitor.column = monitor_entry.key_pos.column;
  if (monitor_entry.value.IsNull()) {
    error(monitor_entry.key_pos, where + " checks nothing");
    return std::nullopt;
  }
  auto fields = entries(monitor_entry.value, monitor_entry.value_pos, where, keys_of(kKeys));
  if (!fields) return std::nullopt;
  const std::size_t errors_before = errors_.size();
  MonitorFields f{monitor, where, errors_before};
  dispatch(*fields, kKeys, f);
  check_monitor(monitor_entry, f);
  if (errors_.size() != errors_before) return std::nullopt;
  return monitor;
}

// Once a monitor is read: `every` fits in the window, it checks something, one rule per feature.
void Parser::check_monitor(const Entry& monitor_entry, const MonitorFields& f) {
  MonitorConfig& m = f.monitor;
  if (f.every == nullptr) {
    m.every_seconds = std::min(m.every_seconds, m.window_seconds);
  } else if (m.every_seconds > m.window_seconds) {
    error(f.every->value_pos, "'every' " + format_duration(m.every_seconds) + " of " + f.where +
                                  " is longer than its 'window' " +
                                  format_duration(m.window_seconds) +
                                  ": observations between two windows would never be judged");
  }
  const bool nothing = m.drift.empty() && !m.prediction_drift && !m.missing_max_share &&
                       m.quality.empty() && !m.staleness_max_age_seconds;
  // A monitor whose only checks were refused has had its error.
  if (nothing && errors_.size() == f.errors_before) {
    error(monitor_entry.key_pos, f.where +
                                     " checks nothing: give it at least one of drift, "
                                     "prediction_drift, missing, quality, staleness");
  }
  for (std::size_t i = 0; i < m.drift.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (m.drift[i].feature != m.drift[j].feature) continue;
      error(Pos{m.drift[i].line, m.drift[i].column},
            "feature " + show(m.drift[i].feature) + " has a second drift rule in " + f.where +
                " (the first at line " + std::to_string(m.drift[j].line) + ")");
      break;
    }
  }
}

std::optional<std::int64_t> Parser::duration_value(const Entry& e, const std::string& where) {
  if (!e.value.IsScalar()) {
    error(e.value_pos, "'" + e.key + "' in " + where + " must be a duration like 1h or 30d, not " +
                           describe(e.value));
    return std::nullopt;
  }
  auto d = parse_duration(e.value.Scalar());
  if (!d) {
    error(e.value_pos, "bad '" + e.key + "' in " + where + ": " + d.error);
    return std::nullopt;
  }
  return d.seconds;
}

void Parser::monitor_window(const Entry& e, MonitorFields& f) {
  if (auto v = duration_value(e, f.where)) f.monitor.window_seconds = *v;
}

void Parser::monitor_every(const Entry& e, MonitorFields& f) {
  f.every = &e;
  if (auto v = duration_value(e, f.where)) f.monitor.every_seconds = *v;
}

void Parser::monitor_retrain_every(const Entry& e, MonitorFields& f) {
  if (auto v = duration_value(e, f.where)) f.monitor.retrain_every_seconds = *v;
}

void Parser::monitor_share(const Entry& e, MonitorFields& f) {
  auto v = fraction_value(e, f.where);
  if (!v) return;
  if (*v == 0) {
    error(e.value_pos, "'share' in " + f.where +
                           " must be above 0 (the share of drifting "
                           "features that makes the data set drift)");
    return;
  }
  f.monitor.share = *v;
}

void Parser::monitor_on_alert(const Entry& e, MonitorFields& f) {
  auto items = string_items(e, f.where);
  if (!items) return;
  static constexpr std::array<std::string_view, 2> kActions{"notify", "retrain"};
  std::vector<MonitorAction> actions;
  for (const auto& [text, at] : *items) {
    const auto known = std::find(kActions.begin(), kActions.end(), text);
    if (known == kActions.end()) {
      error(at, "unknown action " + show(text) + " in 'on_alert' of " + f.where +
                    did_you_mean(text, kActions) + "; actions: " + join(kActions));
      continue;
    }
    const auto action = known == kActions.begin() ? MonitorAction::notify : MonitorAction::retrain;
    if (std::find(actions.begin(), actions.end(), action) != actions.end()) {
      error(at, "action " + show(text) + " is listed twice in 'on_alert' of " + f.where);
      continue;
    }
    actions.push_back(action);
  }
  f.monitor.on_alert = std::move(actions);
}

void Parser::monitor_prediction_drift(const Entry& e, MonitorFields& f) {
  const std::string where = "'prediction_drift' of " + f.where;
  if (e.value.IsNull()) {
    f.monitor.prediction_drift =
        DriftRule{"", std::nullopt, std::nullopt, e.key_pos.line, e.key_pos.column};
    return;
  }
  f.monitor.prediction_drift = drift_rule_fields(e.value, e.key_pos, where, false);
}

std::optional<DriftRule> Parser::parse_drift_rule(const YAML::Node& node, Pos at,
                                                  const std::string& where) {
  return drift_rule_fields(node, at, where, true);
}

std::optional<DriftRule> Parser::drift_rule_fields(const YAML::Node& node, Pos at,
                                                   const std::string& where, bool with_feature) {
  static constexpr std::array<KeyHandler<DriftRuleFields>, 4> kKeys{{
      {"feature", &Parser::drift_feature},
      {"test", &Parser::drift_test},
      {"threshold", &Parser::drift_threshold},
      {"max", &Parser::drift_max},
  }};
  static constexpr std::array<std::string_view, 3> kPredictionKeys{"test", "threshold", "max"};
  auto fields = with_feature ? entries(node, at, where, keys_of(kKeys))
                             : entries(node, at, where, kPredictionKeys);
  if (!fields) return std::nullopt;
  const std::size_t errors_before = errors_.size();
  DriftRule rule;
  rule.line = at.line;
  rule.column = at.column;
  DriftRuleFields f{rule, where};
  dispatch(*fields, kKeys, f);
  if (with_feature && !f.has_feature) {
    error(at, where + " needs 'feature': a feature's name, or \"*\" for every feature");
  }
  check_drift_rule(f);
  if (errors_.size() != errors_before) return std::nullopt;
  return rule;
}

void Parser::drift_feature(const Entry& e, DriftRuleFields& f) {
  f.has_feature = true;
  if (auto s = nonempty_string(e, f.where)) f.rule.feature = *s;
}

void Parser::drift_test(const Entry& e, DriftRuleFields& f) {
  f.test = &e;
  auto s = string_value(e, f.where);
  if (!s) return;
  if (auto t = drift_test_from_string(*s)) {
    f.rule.test = *t;
    return;
  }
  static constexpr std::array<std::string_view, 6> kTests{"ks",          "chi2",          "z",
                                                          "wasserstein", "jensenshannon", "psi"};
  error(e.value_pos, "unknown drift test " + show(*s) + " in " + f.where +
                         did_you_mean(*s, kTests) + "; tests: " + join(kTests));
}

// Once a rule is read: a limit fits its test (a p-value in (0, 1), a distance above 0; `max` only
// for a distance).
void Parser::check_drift_rule(const DriftRuleFields& f) {
  if (f.threshold != nullptr && f.max != nullptr) {
    error(f.max->key_pos, "give 'threshold' or 'max' in " + f.where + ", not both");
    return;
  }
  const Entry* limit = f.threshold != nullptr ? f.threshold : f.max;
  if (limit == nullptr || (f.test != nullptr && !f.rule.test)) return;
  if (!f.rule.test) {
    error(limit->key_pos, "'" + limit->key + "' in " + f.where +
                              " needs a 'test': the default test is a p-value test or a "
                              "distance depending on the data");
    return;
  }
  const DriftTest test = *f.rule.test;
  if (limit == f.max && gives_p_value(test)) {
    error(limit->key_pos, "'max' in " + f.where + " bounds a distance, and test '" +
                              to_string(test) +
                              "' gives a p-value: use 'threshold' (drift when p falls below it)");
    return;
  }
  auto v = number_value(*limit, f.where);
  if (!v) return;
  if (gives_p_value(test) && !(*v > 0 && *v < 1)) {
    error(limit->value_pos, "'" + limit->key + "' in " + f.where + " is a p-value for test '" +
                                to_string(test) + "', between 0 and 1, not " + format_number(*v));
  } else if (!gives_p_value(test) && !(*v > 0)) {
    error(limit->value_pos, "'" + limit->key + "' in " + f.where + " is a distance for test '" +
                                to_string(test) + "' and must be above 0, not " +
                                format_number(*v));
  } else {
    f.rule.threshold = *v;
  }
}

std::optional<QualityRule> Parser::parse_quality(const YAML::Node& node, Pos at,
                                                 const std::string& where) {
  static constexpr std::array<KeyHandler<QualityFields>, 5> kKeys{{
      {"metric", &Parser::quality_metric},
      {"min", &Parser::check_min<QualityFields>},
      {"max", &Parser::check_max<QualityFields>},
      {"min_n", &Parser::check_min_n<QualityFields>},
      {"confidence", &Parser::quality_confidence},
  }};
  auto fields = entries(node, at, where, keys_of(kKeys));
  if (!fields) return std::nullopt;
  const std::size_t errors_before = errors_.size();
  QualityRule check;
  check.line = at.line;
  check.column = at.column;
  QualityFields f{check, where};
  dispatch(*fields, kKeys, f);
  if (!f.has_metric) error(at, where + " needs 'metric'");
  if (!check.min && !check.max) {
    error(at, where + " has no threshold: give it min or max");
  } else if (check.min && check.max && *check.min > *check.max) {
    error(f.max_pos, "'max' " + format_number(*check.max) + " in " + where +
                         " is below its 'min' " + format_number(*check.min));
  }
  static constexpr std::array<std::string_view, 9> kProportions{
      "accuracy", "error_rate", "precision", "recall", "tpr", "fpr", "tnr", "fnr", "positive_rate"};
  if (check.confidence && !check.metric.empty() &&
      std::find(kProportions.begin(), kProportions.end(), check.metric) == kProportions.end()) {
    error(at, "'confidence' in " + where +
                  " needs a proportion metric (its Wilson interval): " + join(kProportions));
  }
  if (errors_.size() != errors_before) return std::nullopt;
  return check;
}

void Parser::quality_metric(const Entry& e, QualityFields& f) {
  f.has_metric = true;
  auto s = string_value(e, f.where);
  if (!s) return;
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (ExampleMetric m : metrics_of(MetricTask::binary)) out.push_back(to_string(m));
    return out;
  }();
  const std::vector<std::string_view> known(names.begin(), names.end());
  const auto m = example_metric_from_string(*s);
  if (!m || !metric_applies(*m, MetricTask::binary)) {
    error(e.value_pos, "unknown metric " + show(*s) + " in " + f.where + did_you_mean(*s, known) +
                           "; monitors compute the binary metrics " + join(known));
    return;
  }
  f.check.metric = *s;
}

void Parser::missing_max_share(const Entry& e, MonitorSectionFields& f) {
  f.monitor.missing_max_share = fraction_value(e, f.where);
}

void Parser::staleness_max_age(const Entry& e, MonitorSectionFields& f) {
  f.monitor.staleness_max_age_seconds = duration_value(e, f.where);
}

void Parser::monitor_missing(const Entry& e, MonitorFields& f) {
  static constexpr std::array<KeyHandler<MonitorSectionFields>, 1> kKeys{{
      {"max_share", &Parser::missing_max_share},
  }};
  const std::string where = "'missing' of " + f.where;
  auto fields = entries(e.value, e.value_pos, where, keys_of(kKeys));
  if (!fields) return;
  MonitorSectionFields section{f.monitor, where};
  dispatch(*fields, kKeys, section);
  if (fields->empty()) error(e.value_pos, where + " needs 'max_share'");
}

void Parser::monitor_staleness(const Entry& e, MonitorFields& f) {
  static constexpr std::array<KeyHandler<MonitorSectionFields>, 1> kKeys{{
      {"max_age", &Parser::staleness_max_age},
  }};
  const std::string where = "'staleness' of " + f.where;
  auto fields = entries(e.value, e.value_pos, where, keys_of(kKeys));
  if (!fields) return;
  MonitorSectionFields section{f.monitor, where};
  dispatch(*fields, kKeys, section);
  if (fields->empty()) error(e.value_pos, where + " needs 'max_age'");
}

std::optional<PredictionsCheck> Parser::parse_predictions(const Entry& pe,
                                                          const std::string& gate_where) {
  static constexpr std::array<KeyHandler<PredictionFields>, 3> kKeys{{
      {"max_flip_rate", &Parser::prediction_max_flip_rate},
      {"max_score_delta", &Parser::prediction_max_score_delta},
      {"optional", &Parser::check_optional<PredictionFields>},
  }};
  const std::string where = "'predictions' of " + gate_where;
  auto fields = entries(pe.value, pe.value_pos, where, keys_of(kKeys));
  if (!fields) return std::nullopt;
  std::size_t errors_before = errors_.size();
  PredictionsCheck check;
  check.line = pe.key_pos.line;
  check.column = pe.key_pos.column;
  PredictionFields f{check, where};
  dispatch(*fields, kKeys, f);
  if (errors_.size() != errors_before) return std::nullopt;
  if (!check.max_flip_rate && !check.max_score_delta) {
    error(pe.key_pos, where + " has no threshold: give it max_flip_rate or max_score_delta");
    return std::nullopt;
  }
  return check;
}

void Parser::prediction_max_flip_rate(const Entry& e, PredictionFields& f) {
  f.check.max_flip_rate = fraction_value(e, f.where);
}

void Parser::prediction_max_score_delta(const Entry& e, PredictionFields& f) {
  if (auto v = non_negative_number(e, f.where)) f.check.max_score_delta = *v;
}

// ---------------------------------------------------------------------------------------------
// Statistics: `from`, `confidence`, `when_inconclusive`, `positive_label` on a check, and the
// gate's `statistics:` (docs/config.md, docs/gate.md "Evidence").

std::optional<double> Parser::confidence_value(const Entry& e, const std::string& where) {
  auto v = number_value(e, where);
  if (!v) return std::nullopt;
  if (!(*v > 0 && *v < 1)) {
    error(e.value_pos, "'" + e.key + "' in " + where +
                           " is a two-sided confidence level between 0 and 1 (0.95 for 95%), not " +
                           format_number(*v));
    return std::nullopt;
  }
  return v;
}

std::optional<WhenInconclusive> Parser::when_inconclusive_value(const Entry& e,
                                                                const std::string& where) {
  auto s = string_value(e, where);
  if (!s) return std::nullopt;
  if (*s == "fail") return WhenInconclusive::fail;
  if (*s == "pass") return WhenInconclusive::pass;
  static constexpr std::array<std::string_view, 2> kWhen{"fail", "pass"};
  error(e.value_pos, "'" + e.key + "' in " + where + " must be fail or pass, not " + show(*s) +
                         did_you_mean(*s, kWhen));
  return std::nullopt;
}

std::optional<std::string> Parser::label_value(const Entry& e, const std::string& where) {
  if (!e.value.IsScalar() || e.value.Scalar().empty()) {
    error(e.value_pos, "'" + e.key + "' in " + where +
                           " must be a label as predictions.jsonl writes it (1, true, spam), not " +
                           describe(e.value));
    return std::nullopt;
  }
  const std::string& text = e.value.Scalar();
  if (!is_string_tag(e.value)) {
    if (text == "true" || text == "True" || text == "TRUE") return "true";
    if (text == "false" || text == "False" || text == "FALSE") return "false";
    if (auto i = to_int(text)) return std::to_string(*i);
    if (auto d = to_double(text)) {
      // A whole number written as a decimal is that integer, as predictions.jsonl reads labels.
      if (auto whole = whole_number(*d)) return std::to_string(*whole);
      return format_number(*d);
    }
  }
  std::string quoted = "\"";  // a JSON string, as predictions.jsonl keeps a string label
  for (char c : text) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return quoted + "\"";
}

template <typename Fields>
void Parser::check_from(const Entry& e, Fields& f) {
  f.stats.from = &e;
  auto s = string_value(e, f.where);
  if (!s) return;
  static constexpr std::array<std::string_view, 2> kSources{"metrics", "predictions"};
  if (*s == "predictions") {
    f.check.stats.from = MetricSource::predictions;
  } else if (*s == "metrics") {
    f.check.stats.from = MetricSource::metrics;
  } else {
    error(e.value_pos, "'from' in " + f.where +
                           " must be metrics (metrics.json, the default) or predictions (computed "
                           "from predictions.jsonl), not " +
                           show(*s) + did_you_mean(*s, kSources));
  }
}

template <typename Fields>
void Parser::check_confidence(const Entry& e, Fields& f) {
  f.stats.confidence = &e;
  f.check.stats.confidence = confidence_value(e, f.where);
}

template <typename Fields>
void Parser::check_when_inconclusive(const Entry& e, Fields& f) {
  f.stats.when_inconclusive = &e;
  f.check.stats.when_inconclusive = when_inconclusive_value(e, f.where);
}

template <typename Fields>
void Parser::check_positive_label(const Entry& e, Fields& f) {
  f.stats.positive_label = &e;
  f.check.stats.positive_label = label_value(e, f.where);
}

void Parser::check_statistics(const StatsEntries& s, const CheckStatistics& stats,
                              const std::string& where, const std::string& kind) {
  const bool computed = stats.from == MetricSource::predictions;
  if (computed && s.metric != nullptr) {
    const std::string& name = s.metric->value.Scalar();
    if (!example_metric_from_string(name)) {
      const auto known = example_metric_names();
      error(s.metric->value_pos, "unknown metric " + show(name) + " with 'from: predictions' in " +
                                     where + did_you_mean(name, known) + "; mlgate computes " +
                                     join(known));
    }
  }
  // A metric check from metrics.json has an interval when its tier runs with repeats: the
  // Student-t interval of the repeats' mean (docs/gate.md "Repeats").
  const bool repeated = kind.rfind("metric check", 0) == 0 &&
                        std::any_of(config_.tiers.begin(), config_.tiers.end(),
                                    [](const TierConfig& t) { return t.repeat >= 2; });
  if (s.confidence != nullptr && !computed && !repeated) {
    error(s.confidence->key_pos,
          "'confidence' in " + where + " needs 'from: predictions': " + kind +
              " reads one number from metrics.json, which has no interval; with 'from: "
              "predictions' mlgate computes the metric and its interval from predictions.jsonl "
              "(or give its tier 'repeat: N' for the interval of the repeats' mean)");
  }
  if (s.positive_label != nullptr && !computed) {
    error(s.positive_label->key_pos,
          "'positive_label' in " + where +
              " needs 'from: predictions' (it says which label the computed metric counts as "
              "positive)");
  }
  if (s.when_inconclusive != nullptr)
    pending_when_.push_back(
        {s.when_inconclusive->key_pos, where, stats.confidence.has_value(), computed});
}

void Parser::check_gate_statistics(const GateConfig& gate, const Entry& gate_entry) {
  const bool gate_confidence = gate.statistics && gate.statistics->confidence;
  for (const PendingWhen& w : pending_when_) {
    if (w.has_confidence || (gate_confidence && w.from_predictions)) continue;
    error(w.pos, "'when_inconclusive' in " + w.where +
                     " has nothing to decide: only a check with a confidence (its own, or the "
                     "gate's statistics.confidence with 'from: predictions') can be inconclusive");
  }
  pending_when_.clear();
  if (!gate.statistics) return;
  auto computed = [](const auto& checks) {
    return std::any_of(checks.begin(), checks.end(),
                       [](const auto& c) { return c.stats.from == MetricSource::predictions; });
  };
  if (!computed(gate.metrics) && !computed(gate.slices) && !computed(gate.fairness)) {
    error(Pos{gate.statistics->line, gate.statistics->column},
          "'statistics' of " + what_gate(gate_entry.key) +
              " applies to checks 'from: predictions', and the gate has none");
  }
}

std::optional<GateStatistics> Parser::parse_statistics(const Entry& se,
                                                       const std::string& gate_where) {
  static constexpr std::array<KeyHandler<StatisticsFields>, 5> kKeys{{
      {"confidence", &Parser::statistics_confidence},
      {"when_inconclusive", &Parser::statistics_when_inconclusive},
      {"correction", &Parser::statistics_correction},
      {"resamples", &Parser::statistics_resamples},
      {"positive_label", &Parser::statistics_positive_label},
  }};
  const std::string where = "'statistics' of " + gate_where;
  auto fields = entries(se.value, se.value_pos, where, keys_of(kKeys));
  if (!fields) return std::nullopt;
  GateStatistics out;
  out.line = se.key_pos.line;
  out.column = se.key_pos.column;
  StatisticsFields f{out, where};
  dispatch(*fields, kKeys, f);
  return out;
}

void Parser::statistics_confidence(const Entry& e, StatisticsFields& f) {
  f.out.confidence = confidence_value(e, f.where);
}

void Parser::statistics_when_inconclusive(const Entry& e, StatisticsFields& f) {
  if (auto w = when_inconclusive_value(e, f.where)) f.out.when_inconclusive = *w;
}

void Parser::statistics_correction(const Entry& e, StatisticsFields& f) {
  auto s = string_value(e, f.where);
  if (!s) return;
  if (*s == "none") {
    f.out.correction = Correction::none;
  } else if (*s == "bonferroni") {
    f.out.correction = Correction::bonferroni;
  } else {
    static constexpr std::array<std::string_view, 2> kCorrections{"none", "bonferroni"};
    error(e.value_pos, "'correction' in " + f.where + " must be none or bonferroni, not " +
                           show(*s) + did_you_mean(*s, kCorrections));
  }
}

void Parser::statistics_resamples(const Entry& e, StatisticsFields& f) {
  auto v = int_value(e, f.where);
  if (!v) return;
  if (*v < kMinResamples || *v > kMaxResamples) {
    error(e.value_pos, "'resamples' in " + f.where + " must be between " +
                           std::to_string(kMinResamples) + " and " + std::to_string(kMaxResamples) +
                           ", not " + std::to_string(*v));
    return;
  }
  f.out.resamples = static_cast<int>(*v);
}

void Parser::statistics_positive_label(const Entry& e, StatisticsFields& f) {
  f.out.positive_label = label_value(e, f.where);
}

std::optional<RubricGate> Parser::parse_rubric_gate(const Entry& re,
                                                    const std::string& gate_where) {
  const std::string where = "'rubric' of " + gate_where;
  auto fields = entries(re.value, re.value_pos, where, kRubricGateKeys);
  if (!fields) return std::nullopt;
  for (const Entry& e : *fields) {
    auto v = number_value(e, where);
    if (!v) return std::nullopt;
    if (*v < 0 || *v > kRubricItemsPerSection) {
      error(e.value_pos, "'min_score' in " + where +
                             " must be between 0 and 7 (the score is the "
                             "lowest of the four section sums), not " +
                             format_number(*v));
      return std::nullopt;
    }
    return RubricGate{*v, re.key_pos.line, re.key_pos.column};
  }
  error(re.key_pos, where + " has no 'min_score'");
  return std::nullopt;
}

bool Parser::check_rubric_id(const Entry& e, const std::string& where) {
  if (is_rubric_id(e.key)) return true;
  auto ids = rubric_ids();
  error(e.key_pos, "unknown rubric id " + show(e.key) + " in " + where + did_you_mean(e.key, ids) +
                       "; ids are data-1..7, model-1..7, infra-1..7, monitor-1..7");
  return false;
}

void Parser::parse_rubric(const Entry& re) {
  static constexpr std::array<KeyHandler<RubricFields>, 2> kKeys{{
      {"automated", &Parser::rubric_automated},
      {"manual", &Parser::rubric_manual},
  }};
  if (re.value.IsNull()) return;
  auto fields = entries(re.value, re.value_pos, "'rubric'", keys_of(kKeys));
  if (!fields) return;
  RubricFields f;
  dispatch(*fields, kKeys, f);
}

void Parser::for_each_rubric_item(const Entry& section,
                                  void (Parser::*read)(const Entry&, const std::string&)) {
  const std::string where = "'rubric." + section.key + "'";
  if (section.value.IsNull()) return;
  auto items = entries(section.value, section.value_pos, where, std::nullopt);
  if (!items) return;
  for (const Entry& e : *items) {
    if (check_rubric_id(e, where)) (this->*read)(e, where);
  }
}

void Parser::automated_item(const Entry& e, const std::string& where) {
  const std::string item_where = where + " for " + e.key;
  auto patterns = string_list(e, item_where);
  if (!patterns) return;
  if (patterns->empty()) {
    error(e.value_pos, "'" + e.key + "' in " + where + " lists no test patterns");
    return;
  }
  bool ok = true;
  for (const std::string& p : *patterns) {
    if (p.empty() || has_control(p)) {
      error(e.value_pos, "bad test pattern " + show(p) + " in " + item_where);
      ok = false;
    }
  }
  if (ok) config_.rubric.automated[e.key] = *patterns;
}

void Parser::manual_item(const Entry& e, const std::string& where) {
  const std::string item_where = where + " for " + e.key;
  auto path = string_value(e, where);
  if (!path) return;
  if (!is_relative_path_inside(*path)) {
    error(e.value_pos, "evidence path " + show(*path) + " in " + item_where +
                           " must be a relative path inside the repository (no leading /, "
                           "no ..)");
    return;
  }
  config_.rubric.manual[e.key] = *path;
}

// --- rollouts: (docs/rollouts.md) ---

void Parser::parse_rollouts(const Entry& rollouts_entry) {
  if (rollouts_entry.value.IsNull()) return;
  auto list = entries(rollouts_entry.value, rollouts_entry.value_pos, "'rollouts'", std::nullopt);
  if (!list) return;
  for (const Entry& e : *list) {
    if (!is_environment_name(e.key)) {
      error(e.key_pos, "bad rollout environment name " + show(e.key) +
                           ": use 1 to 100 letters, digits, '_', '.' or '-'");
      continue;
    }
    const auto same = std::find_if(
        config_.rollouts.begin(), config_.rollouts.end(),
        [&](const RolloutConfig& r) { return equal_ignoring_case(r.environment, e.key); });
    if (same != config_.rollouts.end()) {
      error(e.key_pos, "rollout " + show(e.key) + " differs from rollout " +
                           show(same->environment) +
                           " only by case (environment names are not case-sensitive)");
      continue;
    }
    if (auto rollout = parse_rollout(e)) config_.rollouts.push_back(std::move(*rollout));
  }
}

std::optional<RolloutConfig> Parser::parse_rollout(const Entry& rollout_entry) {
  static constexpr std::array<std::string_view, 2> kKeys{"stages", "analysis"};
  const std::string where = "rollout " + show(rollout_entry.key);
  RolloutConfig r;
  r.environment = rollout_entry.key;
  r.line = rollout_entry.key_pos.line;
  auto fields = entries(rollout_entry.value, rollout_entry.value_pos, where, kKeys);
  if (!fields) return std::nullopt;
  const std::size_t errors_before = errors_.size();
  const Entry* stages = nullptr;
  const Entry* analysis = nullptr;
  for (const Entry& e : *fields) {
    if (e.key == "stages") stages = &e;
    if (e.key == "analysis") analysis = &e;
  }
  if (stages == nullptr) error(rollout_entry.key_pos, where + " has no 'stages'");
  if (analysis == nullptr) error(rollout_entry.key_pos, where + " has no 'analysis'");
  if (stages != nullptr) rollout_stages(*stages, where, r);
  if (analysis != nullptr) rollout_analysis(*analysis, where, r);
  if (errors_.size() != errors_before) return std::nullopt;
  check_stages(r, where);
  if (errors_.size() != errors_before) return std::nullopt;
  return r;
}

void Parser::rollout_stages(const Entry& e, const std::string& where, RolloutConfig& out) {
  if (!e.value.IsSequence() || e.value.size() == 0) {
    error(e.value_pos,
          "'stages' in " + where + " must be a non-empty list of stages, not " + describe(e.value));
    return;
  }
  std::size_t i = 0;
  for (const YAML::Node& item : e.value) {
    const std::string item_where = "stages[" + std::to_string(i++) + "] of " + where;
    if (auto stage = parse_stage(item, pos(item, e.value_pos), item_where)) {
      if (stage->name.empty()) stage->name = "stage" + std::to_string(i);
      out.stages.push_back(std::move(*stage));
    }
  }
}

std::optional<RolloutStage> Parser::parse_stage(const YAML::Node& node, Pos at,
                                                const std::string& where) {
  static constexpr std::array<std::string_view, 4> kKeys{"name", "traffic", "mirror", "for"};
  const std::size_t errors_before = errors_.size();  // an unknown key explains a missing one
  auto fields = entries(node, at, where, kKeys);
  if (!fields) return std::nullopt;
  RolloutStage s;
  s.line = at.line;
  s.column = at.column;
  for (const Entry& e : *fields) {
    if (e.key == "name") {
      auto name = nonempty_string(e, where);
      if (name && !is_environment_name(*name))
        error(e.value_pos, "bad stage name " + show(*name) + " in " + where +
                               ": use 1 to 100 letters, digits, '_', '.' or '-'");
      if (name) s.name = *name;
    } else if (e.key == "traffic") {
      s.traffic_percent = percent_value(e, where);
    } else if (e.key == "mirror") {
      s.mirror_percent = percent_value(e, where);
    } else {
      s.for_seconds = duration_value(e, where);
    }
  }
  const bool traffic = std::any_of(fields->begin(), fields->end(),
                                   [](const Entry& e) { return e.key == "traffic"; });
  const bool mirror =
      std::any_of(fields->begin(), fields->end(), [](const Entry& e) { return e.key == "mirror"; });
  if (traffic && mirror)
    error(at, where +
                  " sets both 'traffic' and 'mirror': a stage either serves a share of the "
                  "traffic or mirrors it");
  if (!traffic && !mirror && errors_.size() == errors_before)
    error(at, where + " needs 'traffic' (e.g. 5%) or 'mirror' (e.g. 100%)");
  if (errors_.size() != errors_before) return std::nullopt;
  return s;
}

void Parser::check_stages(const RolloutConfig& r, const std::string& where) {
  std::set<std::string> names;
  double traffic = 0;
  for (std::size_t i = 0; i < r.stages.size(); ++i) {
    const RolloutStage& s = r.stages[i];
    const Pos at{s.line, s.column};
    const bool last = i + 1 == r.stages.size();
    const std::string what = "stage " + show(s.name) + " of " + where;
    if (!names.insert(s.name).second) error(at, "duplicate " + what);
    if (!last && !s.for_seconds)
      error(at, what +
                    " needs 'for' (how long it runs before it is judged); only the last "
                    "stage runs without one");
    if (last && s.for_seconds)
      error(at, what + " is the last stage and runs until the next rollout: it takes no 'for'");
    if (s.for_seconds && *s.for_seconds < r.analysis.every_seconds)
      error(at, what + " runs " + format_duration(*s.for_seconds) +
                    ", less than the analysis interval 'every' " +
                    format_duration(r.analysis.every_seconds));
    if (s.traffic_percent && *s.traffic_percent < traffic)
      error(at, what + " lowers the candidate's traffic to " + number_text(*s.traffic_percent) +
                    "% from " + number_text(traffic) + "%; stages only raise it");
    if (s.mirror() && traffic > 0)
      error(at, what +
                    " mirrors traffic after a stage that served the candidate; mirror stages "
                    "come first");
    if (s.traffic_percent) traffic = std::max(traffic, *s.traffic_percent);
    if (last && s.traffic_percent != 100.0)
      error(at, what + " is the last stage: it must serve 'traffic: 100%'");
  }
}

void Parser::rollout_analysis(const Entry& e, const std::string& where, RolloutConfig& out) {
  static constexpr std::array<std::string_view, 4> kKeys{"every", "metrics", "pass", "marginal"};
  const std::string analysis_where = "'analysis' of " + where;
  auto fields = entries(e.value, e.value_pos, analysis_where, kKeys);
  if (!fields) return;
  for (const Entry& f : *fields) analysis_key(f, analysis_where, out.analysis);
  const bool has_metrics = std::any_of(fields->begin(), fields->end(),
                                       [](const Entry& f) { return f.key == "metrics"; });
  if (!has_metrics) {
    error(e.key_pos, analysis_where + " has no 'metrics' to judge the candidate by");
  }
  if (out.analysis.marginal > out.analysis.pass)
    error(e.value_pos, "'marginal' " + number_text(out.analysis.marginal) + " in " +
                           analysis_where + " is over 'pass' " + number_text(out.analysis.pass) +
                           " (0 <= marginal <= pass <= 100)");
}

void Parser::analysis_key(const Entry& e, const std::string& where, RolloutAnalysis& out) {
  if (e.key == "every") {
    if (auto d = duration_value(e, where)) out.every_seconds = *d;
  } else if (e.key == "pass" || e.key == "marginal") {
    auto v = number_value(e, where);
    if (v && (*v < 0 || *v > 100)) {
      error(e.value_pos,
            "'" + e.key + "' in " + where + " is a score from 0 to 100, not " + number_text(*v));
    } else if (v) {
      (e.key == "pass" ? out.pass : out.marginal) = *v;
    }
  } else if (!e.value.IsSequence() || e.value.size() == 0) {
    error(e.value_pos, "'metrics' in " + where + " must be a non-empty list of metrics, not " +
                           describe(e.value));
  } else {
    std::size_t i = 0;
    for (const YAML::Node& item : e.value) {
      const std::string item_where = "metrics[" + std::to_string(i++) + "] of " + where;
      auto m = parse_rollout_metric(item, pos(item, e.value_pos), item_where);
      if (!m) continue;
      const bool duplicate = std::any_of(out.metrics.begin(), out.metrics.end(),
                                         [&](const RolloutMetric& o) { return o.name == m->name; });
      if (duplicate) {
        error(Pos{m->line, m->column}, "duplicate metric " + show(m->name) + " in " + where);
        continue;
      }
      out.metrics.push_back(std::move(*m));
    }
  }
}

std::optional<RolloutMetric> Parser::parse_rollout_metric(const YAML::Node& node, Pos at,
                                                          const std::string& where) {
  static constexpr std::array<std::string_view, 5> kKeys{"name", "lower_is_better", "critical",
                                                         "allowed_increase", "allowed_decrease"};
  const std::size_t errors_before = errors_.size();
  auto fields = entries(node, at, where, kKeys);
  if (!fields) return std::nullopt;
  RolloutMetric m;
  m.line = at.line;
  m.column = at.column;
  for (const Entry& e : *fields) {
    if (e.key == "name") {
      if (auto name = nonempty_string(e, where)) m.name = *name;
    } else if (e.key == "lower_is_better" || e.key == "critical") {
      if (auto b = bool_value(e, where))
        (e.key == "critical" ? m.critical : m.lower_is_better) = *b;
    } else if (auto v = number_value(e, where)) {
      const bool increase = e.key == "allowed_increase";
      if (increase ? *v < 1 : (*v <= 0 || *v > 1)) {
        error(e.value_pos,
              "'" + e.key + "' in " + where + " is a ratio of the means " +
                  (increase ? "of at least 1 (1.1: 10% higher)" : "in (0, 1] (0.9: 10% lower)") +
                  ", not " + number_text(*v));
      } else {
        (increase ? m.allowed_increase : m.allowed_decrease) = *v;
      }
    }
  }
  if (m.name.empty() && errors_.size() == errors_before)
    error(at, where + " has no 'name' (the metric to judge)");
  if (errors_.size() != errors_before) return std::nullopt;
  return m;
}

// "5%", "100%": a share of traffic, 0% to 100%.
std::optional<double> Parser::percent_value(const Entry& e, const std::string& where) {
  const std::string prefix = "'" + e.key + "' in " + where;
  std::optional<double> v;
  if (e.value.IsScalar() && !e.value.Scalar().empty() && e.value.Scalar().back() == '%')
    v = to_double(std::string_view(e.value.Scalar()).substr(0, e.value.Scalar().size() - 1));
  if (!v) {
    error(e.value_pos, prefix + " must be a percentage like 5%, not " + describe(e.value));
    return std::nullopt;
  }
  if (*v < 0 || *v > 100) {
    error(e.value_pos, prefix + " must be between 0% and 100%, not " + e.value.Scalar());
    return std::nullopt;
  }
  return v;
}

}  // namespace

std::optional<std::int64_t> parse_memory_size(std::string_view text) {
  return parse_memory(text);
}

ConfigParseResult parse_config(std::string_view yaml, const ConfigLimits& limits) {
  try {
    return Parser(limits).run(yaml);
  } catch (const std::exception& e) {
    return ConfigParseResult{std::nullopt,
                             {ConfigError{1, 1, std::string("internal error: ") + e.what()}}};
  }
}

}  // namespace mlgate::core
