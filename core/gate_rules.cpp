#include "core/gate_rules.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "core/number_text.h"

namespace mlgate::core {
namespace {

// ---------------------------------------------------------------------------------------------
// Rules as comparable settings

// One setting of a rule: a number (a fraction shown as a percentage when `percent`), a text, or a
// flag (true / false). Unset: neither number nor text. A text is compared as it is and shown as
// `shown` when that is set (the required tiers compare as a set and show in the config's order).
struct Setting {
  std::string key;
  std::optional<double> number;
  bool percent = false;
  std::optional<std::string> text;
  bool flag = false;  // text is "true" / "false"; the rule's description names it only when true
  std::optional<std::string> shown;
};

struct Rule {
  std::string label;
  std::vector<Setting> settings;
};

Setting number(std::string key, std::optional<double> v, bool percent = false) {
  return Setting{.key = std::move(key), .number = v, .percent = percent};
}

Setting threshold(std::string key, const std::optional<Threshold>& t) {
  return t ? number(std::move(key), t->value, t->percent) : Setting{.key = std::move(key)};
}

Setting text(std::string key, std::optional<std::string> v) {
  return Setting{.key = std::move(key), .text = std::move(v)};
}

Setting flag(std::string key, bool v) {
  return Setting{.key = std::move(key), .text = v ? "true" : "false", .flag = true};
}

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) out += (i ? std::string(sep) : "") + parts[i];
  return out;
}

bool is_set(const Setting& s) {
  return s.number.has_value() || s.text.has_value();
}

bool same(const Setting& a, const Setting& b) {
  if (a.number || b.number) return a.number == b.number && a.percent == b.percent;
  return a.text == b.text;
}

std::string value_text(const Setting& s) {
  if (s.number) return s.percent ? percent_text(*s.number) : number_text(*s.number);
  return s.shown ? *s.shown : s.text.value_or("none");
}

// Both sides of a setting that differs, never printed the same: numbers of one kind with enough
// digits, a shown text that hides the difference replaced by the compared one.
std::pair<std::string, std::string> value_texts(const Setting& a, const Setting& b) {
  if (a.number && b.number && a.percent == b.percent) {
    const double scale = a.percent ? 100 : 1;
    auto [x, y] = number_texts(*a.number * scale, *b.number * scale);
    const std::string unit = a.percent ? "%" : "";
    return {x + unit, y + unit};
  }
  std::pair<std::string, std::string> out{value_text(a), value_text(b)};
  if (out.first == out.second) out = {a.text.value_or("none"), b.text.value_or("none")};
  return out;
}

// "min 0.8, max_drop 1%, optional": what a rule that only one side has sets.
std::string rule_text(const Rule& r) {
  std::vector<std::string> parts;
  for (const Setting& s : r.settings) {
    if (!is_set(s) || (s.flag && s.text != "true")) continue;
    parts.push_back(s.flag ? s.key : (s.key.empty() ? "" : s.key + " ") + value_text(s));
  }
  return parts.empty() ? "set" : join(parts, ", ");
}

// Labels as the checks name rules, " #2" from a name's second occurrence on.
void number_repeats(std::vector<Rule>& rules) {
  std::map<std::string, int> seen;
  for (Rule& r : rules) {
    const int n = ++seen[r.label];
    if (n > 1) r.label += " #" + std::to_string(n);
  }
}

// Compared as a set (the order of `require` means nothing), shown in the config's order.
std::vector<Rule> require_rules(const GateConfig& g) {
  std::vector<std::string> sorted = g.require;
  std::sort(sorted.begin(), sorted.end());
  Setting tiers = text("", join(sorted, ", "));
  tiers.shown = g.require.empty() ? "none" : join(g.require, ", ");
  return {{"require", {tiers}}};
}

// A check's statistical settings, after its own: from, confidence, when_inconclusive,
// positive_label.
void add_statistics(std::vector<Setting>& settings, const CheckStatistics& s) {
  // Unset when metrics (the default), so that a rule's description names it only otherwise.
  Setting from =
      text("from", s.from == MetricSource::predictions ? std::optional<std::string>("predictions")
                                                       : std::nullopt);
  from.shown = std::string(to_string(s.from));
  settings.push_back(std::move(from));
  settings.push_back(number("confidence", s.confidence));
  settings.push_back(text(
      "when_inconclusive",
      s.when_inconclusive ? std::optional<std::string>(std::string(to_string(*s.when_inconclusive)))
                          : std::nullopt));
  settings.push_back(text("positive_label", s.positive_label));
}

std::vector<Rule> metric_rules(const GateConfig& g) {
  std::vector<Rule> out;
  for (const MetricCheck& c : g.metrics) {
    Rule r{c.name,
           {number("min", c.min), number("max", c.max), threshold("max_drop", c.max_drop),
            threshold("max_increase", c.max_increase), number("max_spread", c.max_spread),
            flag("lower_is_better", c.lower_is_better), flag("optional", c.optional)}};
    add_statistics(r.settings, c.stats);
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<Rule> slice_rules(const GateConfig& g) {
  std::vector<Rule> out;
  for (const SliceCheck& c : g.slices) {
    Rule r{c.metric + "[" + c.by + "]",
           {number("min", c.min), number("max", c.max), number("max_gap", c.max_gap),
            number("max_spread", c.max_spread), number("min_n", static_cast<double>(c.min_n)),
            flag("optional", c.optional)}};
    add_statistics(r.settings, c.stats);
    out.push_back(std::move(r));
  }
  return out;
}

// The disparity bounds compare exactly and show short unless that would hide a difference.
Setting disparity(double lo, double hi) {
  Setting s = text("disparity", "[" + number_text(lo, 17) + ", " + number_text(hi, 17) + "]");
  s.shown = "[" + number_text(lo) + ", " + number_text(hi) + "]";
  return s;
}

std::vector<Rule> fairness_rules(const GateConfig& g) {
  std::vector<Rule> out;
  for (const FairnessCheck& c : g.fairness) {
    Rule r{c.metric + "[" + c.by + "]",
           {text("reference", c.reference), disparity(c.lo, c.hi),
            number("min_n", static_cast<double>(c.min_n)), flag("optional", c.optional)}};
    add_statistics(r.settings, c.stats);
    out.push_back(std::move(r));
  }
  return out;
}

// The gate's statistics: one rule, "statistics", when either side sets them.
std::vector<Rule> statistics_rules(const GateConfig& g) {
  if (!g.statistics) return {};
  const GateStatistics& s = *g.statistics;
  return {{"statistics",
           {number("confidence", s.confidence),
            text("when_inconclusive", std::string(to_string(s.when_inconclusive))),
            text("correction", std::string(to_string(s.correction))),
            number("resamples", static_cast<double>(s.resamples)),
            text("positive_label", s.positive_label)}}};
}

std::vector<Rule> prediction_rules(const GateConfig& g) {
  if (!g.predictions) return {};
  const PredictionsCheck& p = *g.predictions;
  return {{"predictions",
           {number("max_flip_rate", p.max_flip_rate, true),
            number("max_score_delta", p.max_score_delta), flag("optional", p.optional)}}};
}

std::vector<Rule> rubric_rules(const GateConfig& g) {
  if (!g.rubric) return {};
  return {{"rubric", {number("min_score", g.rubric->min_score)}}};
}

std::vector<Rule> mapping_rules(const RubricMapping& m) {
  std::map<std::string, Rule> by_id;
  for (const auto& [id, globs] : m.automated)
    by_id[id] = {"rubric " + id, {text("automated", join(globs, ", ")), text("manual", {})}};
  for (const auto& [id, path] : m.manual) {
    auto [it, fresh] = by_id.try_emplace(id, Rule{"rubric " + id, {text("automated", {})}});
    if (fresh)
      it->second.settings.push_back(text("manual", path));
    else
      it->second.settings[1].text = path;
  }
  std::vector<Rule> out;
  for (auto& [id, r] : by_id) out.push_back(std::move(r));
  return out;
}

void diff_rules(std::vector<Rule> deployed, std::vector<Rule> candidate,
                std::vector<RuleDifference>& out) {
  number_repeats(deployed);
  number_repeats(candidate);
  auto find = [](const std::vector<Rule>& rules, const std::string& label) -> const Rule* {
    for (const Rule& r : rules)
      if (r.label == label) return &r;
    return nullptr;
  };
  for (const Rule& d : deployed) {
    const Rule* c = find(candidate, d.label);
    if (!c) {
      out.push_back({d.label, {{"", rule_text(d), "none"}}});
      continue;
    }
    RuleDifference diff{d.label, {}};
    for (std::size_t i = 0; i < d.settings.size() && i < c->settings.size(); ++i) {
      const Setting& a = d.settings[i];
      const Setting& b = c->settings[i];
      if (same(a, b)) continue;
      auto [x, y] = value_texts(a, b);
      diff.changes.push_back({a.key, x, y});
    }
    if (!diff.changes.empty()) out.push_back(std::move(diff));
  }
  for (const Rule& c : candidate)
    if (!find(deployed, c.label)) out.push_back({c.label, {{"", "none", rule_text(c)}}});
}

}  // namespace

std::vector<RuleDifference> diff_gate_rules(const GateRules& deployed, const GateRules& candidate) {
  std::vector<RuleDifference> out;
  const GateConfig& d = deployed.gate;
  const GateConfig& c = candidate.gate;
  diff_rules(require_rules(d), require_rules(c), out);
  diff_rules(metric_rules(d), metric_rules(c), out);
  diff_rules(slice_rules(d), slice_rules(c), out);
  diff_rules(fairness_rules(d), fairness_rules(c), out);
  diff_rules(prediction_rules(d), prediction_rules(c), out);
  diff_rules(statistics_rules(d), statistics_rules(c), out);
  diff_rules(rubric_rules(d), rubric_rules(c), out);
  diff_rules(mapping_rules(deployed.rubric), mapping_rules(candidate.rubric), out);
  return out;
}

std::string difference_text(const RuleDifference& difference) {
  std::vector<std::string> parts;
  for (const RuleChange& c : difference.changes)
    parts.push_back((c.key.empty() ? "" : c.key + " ") + c.deployed + " → " + c.candidate);
  return difference.rule + ": " + join(parts, ", ");
}

// ---------------------------------------------------------------------------------------------
// JSON

namespace {

using Json = nlohmann::ordered_json;

Json opt(const std::optional<double>& v) {
  return v ? Json(*v) : Json();
}

Json opt(const std::optional<Threshold>& t) {
  return t ? Json{{"value", t->value}, {"percent", t->percent}} : Json();
}

Json opt(const std::optional<std::string>& v) {
  return v ? Json(*v) : Json();
}

Json stats_json(const CheckStatistics& s) {
  return {{"from", std::string(to_string(s.from))},
          {"confidence", opt(s.confidence)},
          {"when_inconclusive",
           s.when_inconclusive ? Json(std::string(to_string(*s.when_inconclusive))) : Json()},
          {"positive_label", opt(s.positive_label)}};
}

Json statistics_json(const std::optional<GateStatistics>& g) {
  if (!g) return Json();
  return {{"confidence", opt(g->confidence)},
          {"when_inconclusive", std::string(to_string(g->when_inconclusive))},
          {"correction", std::string(to_string(g->correction))},
          {"resamples", g->resamples},
          {"positive_label", opt(g->positive_label)},
          {"line", g->line},
          {"column", g->column}};
}

Json gate_json(const GateConfig& g) {
  Json metrics = Json::array(), slices = Json::array(), fairness = Json::array();
  for (const MetricCheck& c : g.metrics)
    metrics.push_back({{"name", c.name},
                       {"min", opt(c.min)},
                       {"max", opt(c.max)},
                       {"max_drop", opt(c.max_drop)},
                       {"max_increase", opt(c.max_increase)},
                       {"max_spread", opt(c.max_spread)},
                       {"lower_is_better", c.lower_is_better},
                       {"optional", c.optional},
                       {"line", c.line},
                       {"column", c.column},
                       {"stats", stats_json(c.stats)}});
  for (const SliceCheck& c : g.slices)
    slices.push_back({{"metric", c.metric},
                      {"by", c.by},
                      {"min", opt(c.min)},
                      {"max", opt(c.max)},
                      {"max_gap", opt(c.max_gap)},
                      {"max_spread", opt(c.max_spread)},
                      {"min_n", c.min_n},
                      {"optional", c.optional},
                      {"line", c.line},
                      {"column", c.column},
                      {"stats", stats_json(c.stats)}});
  for (const FairnessCheck& c : g.fairness)
    fairness.push_back({{"metric", c.metric},
                        {"by", c.by},
                        {"reference", c.reference},
                        {"lo", c.lo},
                        {"hi", c.hi},
                        {"min_n", c.min_n},
                        {"optional", c.optional},
                        {"line", c.line},
                        {"column", c.column},
                        {"stats", stats_json(c.stats)}});
  Json predictions;
  if (g.predictions)
    predictions = {{"max_flip_rate", opt(g.predictions->max_flip_rate)},
                   {"max_score_delta", opt(g.predictions->max_score_delta)},
                   {"optional", g.predictions->optional},
                   {"line", g.predictions->line},
                   {"column", g.predictions->column}};
  Json rubric;
  if (g.rubric)
    rubric = {
        {"min_score", g.rubric->min_score}, {"line", g.rubric->line}, {"column", g.rubric->column}};
  return {
      {"name", g.name},   {"require", g.require}, {"metrics", metrics},
      {"slices", slices}, {"fairness", fairness}, {"predictions", predictions},
      {"rubric", rubric}, {"line", g.line},       {"statistics", statistics_json(g.statistics)}};
}

std::optional<double> opt_number(const Json& j, const char* key) {
  const Json& v = j.at(key);
  if (v.is_null()) return std::nullopt;
  return v.get<double>();
}

std::optional<Threshold> opt_threshold(const Json& j, const char* key) {
  const Json& v = j.at(key);
  if (v.is_null()) return std::nullopt;
  return Threshold{v.at("value").get<double>(), v.at("percent").get<bool>()};
}

// Rules stored before a setting existed lack its key: it reads as its default.
const Json& member(const Json& j, const char* key) {
  static const Json null_value;
  auto it = j.find(key);
  return it == j.end() ? null_value : *it;
}

std::optional<double> opt_number_of(const Json& v) {
  return v.is_null() ? std::nullopt : std::optional<double>(v.get<double>());
}

std::optional<std::string> opt_text_of(const Json& v) {
  return v.is_null() ? std::nullopt : std::optional<std::string>(v.get<std::string>());
}

WhenInconclusive when_of(const Json& v) {
  const std::string s = v.get<std::string>();
  if (s != "fail" && s != "pass") throw std::invalid_argument("when_inconclusive " + s);
  return s == "pass" ? WhenInconclusive::pass : WhenInconclusive::fail;
}

CheckStatistics stats_of(const Json& j) {
  const Json& s = member(j, "stats");
  CheckStatistics out;
  if (s.is_null()) return out;
  const std::string from = s.at("from").get<std::string>();
  if (from != "metrics" && from != "predictions") throw std::invalid_argument("from " + from);
  out.from = from == "predictions" ? MetricSource::predictions : MetricSource::metrics;
  out.confidence = opt_number_of(s.at("confidence"));
  if (out.confidence && !(*out.confidence > 0 && *out.confidence < 1))
    throw std::invalid_argument("confidence");
  if (const Json& w = s.at("when_inconclusive"); !w.is_null()) out.when_inconclusive = when_of(w);
  out.positive_label = opt_text_of(s.at("positive_label"));
  return out;
}

std::optional<GateStatistics> statistics_of(const Json& j) {
  const Json& s = member(j, "statistics");
  if (s.is_null()) return std::nullopt;
  GateStatistics out;
  out.confidence = opt_number_of(s.at("confidence"));
  if (out.confidence && !(*out.confidence > 0 && *out.confidence < 1))
    throw std::invalid_argument("confidence");
  out.when_inconclusive = when_of(s.at("when_inconclusive"));
  const std::string correction = s.at("correction").get<std::string>();
  if (correction != "none" && correction != "bonferroni")
    throw std::invalid_argument("correction " + correction);
  out.correction = correction == "bonferroni" ? Correction::bonferroni : Correction::none;
  out.resamples = s.at("resamples").get<int>();
  if (out.resamples < kMinResamples || out.resamples > kMaxResamples)
    throw std::invalid_argument("resamples " + std::to_string(out.resamples));
  out.positive_label = opt_text_of(s.at("positive_label"));
  out.line = s.at("line").get<int>();
  out.column = s.at("column").get<int>();
  return out;
}

MetricCheck metric_of(const Json& j) {
  return {.name = j.at("name").get<std::string>(),
          .min = opt_number(j, "min"),
          .max = opt_number(j, "max"),
          .max_drop = opt_threshold(j, "max_drop"),
          .max_increase = opt_threshold(j, "max_increase"),
          // Absent in the rules deployments recorded before repeats existed.
          .max_spread = j.contains("max_spread") ? opt_number(j, "max_spread") : std::nullopt,
          .lower_is_better = j.at("lower_is_better").get<bool>(),
          .optional = j.at("optional").get<bool>(),
          .line = j.at("line").get<int>(),
          .column = j.at("column").get<int>(),
          .stats = stats_of(j)};
}

SliceCheck slice_of(const Json& j) {
  return {.metric = j.at("metric").get<std::string>(),
          .by = j.at("by").get<std::string>(),
          .min = opt_number(j, "min"),
          .max = opt_number(j, "max"),
          .max_gap = opt_number(j, "max_gap"),
          // Absent in the rules deployments recorded before slices had it.
          .max_spread = j.contains("max_spread") ? opt_number(j, "max_spread") : std::nullopt,
          .min_n = j.at("min_n").get<std::int64_t>(),
          .optional = j.at("optional").get<bool>(),
          .line = j.at("line").get<int>(),
          .column = j.at("column").get<int>(),
          .stats = stats_of(j)};
}

FairnessCheck fairness_of(const Json& j) {
  return {.metric = j.at("metric").get<std::string>(),
          .by = j.at("by").get<std::string>(),
          .reference = j.at("reference").get<std::string>(),
          .lo = j.at("lo").get<double>(),
          .hi = j.at("hi").get<double>(),
          .min_n = j.at("min_n").get<std::int64_t>(),
          .optional = j.at("optional").get<bool>(),
          .line = j.at("line").get<int>(),
          .column = j.at("column").get<int>(),
          .stats = stats_of(j)};
}

GateConfig gate_of(const Json& j) {
  GateConfig g;
  g.name = j.at("name").get<std::string>();
  g.require = j.at("require").get<std::vector<std::string>>();
  for (const Json& m : j.at("metrics")) g.metrics.push_back(metric_of(m));
  for (const Json& s : j.at("slices")) g.slices.push_back(slice_of(s));
  for (const Json& f : j.at("fairness")) g.fairness.push_back(fairness_of(f));
  if (const Json& p = j.at("predictions"); !p.is_null())
    g.predictions = PredictionsCheck{.max_flip_rate = opt_number(p, "max_flip_rate"),
                                     .max_score_delta = opt_number(p, "max_score_delta"),
                                     .optional = p.at("optional").get<bool>(),
                                     .line = p.at("line").get<int>(),
                                     .column = p.at("column").get<int>()};
  if (const Json& r = j.at("rubric"); !r.is_null())
    g.rubric = RubricGate{.min_score = r.at("min_score").get<double>(),
                          .line = r.at("line").get<int>(),
                          .column = r.at("column").get<int>()};
  g.line = j.at("line").get<int>();
  g.statistics = statistics_of(j);
  return g;
}

}  // namespace

std::string gate_rules_json(const GateRules& rules) {
  const Json out{
      {"gate", gate_json(rules.gate)},
      {"rubric", {{"automated", rules.rubric.automated}, {"manual", rules.rubric.manual}}}};
  return out.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::optional<GateRules> parse_gate_rules_json(std::string_view text) {
  const Json j = Json::parse(text, nullptr, false);
  if (!j.is_object()) return std::nullopt;
  try {
    GateRules out;
    out.gate = gate_of(j.at("gate"));
    const Json& rubric = j.at("rubric");
    out.rubric.automated =
        rubric.at("automated").get<std::map<std::string, std::vector<std::string>>>();
    out.rubric.manual = rubric.at("manual").get<std::map<std::string, std::string>>();
    return out;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;  // not rules this file wrote
  } catch (const std::invalid_argument&) {
    return std::nullopt;  // a setting this file never writes
  }
}

}  // namespace mlgate::core
