#include "core/pipeline_view.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <tuple>

#include "core/json_fields.h"
#include "core/metric_merge.h"
#include "core/trend_svg.h"

namespace mlgate::core {
namespace {

using nlohmann::json;

// "[0.885, 0.981]" from [0.8851627, 0.9814735]; "" when not a pair of numbers.
std::string interval_of(const json& c, const char* key) {
  auto it = c.find(key);
  if (it == c.end() || !it->is_array() || it->size() != 2) return "";
  auto bound = [](const json& v) { return v.is_number() ? format_number(v.get<double>()) : "?"; };
  return "[" + bound((*it)[0]) + ", " + bound((*it)[1]) + "]";
}

// [lower, upper] when both are numbers.
std::optional<std::pair<double, double>> bounds_of(const json& c, const char* key) {
  auto it = c.find(key);
  if (it == c.end() || !it->is_array() || it->size() != 2 || !(*it)[0].is_number() ||
      !(*it)[1].is_number())
    return std::nullopt;
  return std::pair((*it)[0].get<double>(), (*it)[1].get<double>());
}

// The interval and the evidence of a check computed from predictions.
void read_evidence(StoredCheck& out, const json& c) {
  const std::string method = json_string(c, "method");
  if (method.empty()) return;
  out.value_bounds = bounds_of(c, "interval");
  out.change_bounds = bounds_of(c, "delta_interval");
  const std::string delta = interval_of(c, "delta_interval");
  out.interval = delta.empty() ? interval_of(c, "interval") : "change " + delta;
  std::string evidence = method;
  if (auto level = json_number(c, "confidence"))
    evidence = format_number(*level * 100) + "% " + (method == "wilson" ? "Wilson" : method);
  auto n = c.find("n");
  if (n != c.end() && n->is_number_integer())
    evidence += ", n=" + std::to_string(n->get<std::int64_t>()) +
                (json_string(c, "n_of").empty() ? "" : " " + json_string(c, "n_of"));
  if (auto p = json_number(c, "p_value")) evidence += "; McNemar p=" + format_number(*p);
  if (c.value("status", "") == "inconclusive" && c.contains("inconclusive"))
    evidence += "; inconclusive counts as " + json_string(c, "inconclusive");
  out.evidence = std::move(evidence);
}

// The flip_rate check's "examples"; entries that are not objects are skipped.
std::vector<FlippedExample> read_examples(const json& c) {
  std::vector<FlippedExample> out;
  const auto& examples = json_field(c, "examples");
  if (!examples.is_array()) return out;
  for (const auto& e : examples) {
    if (!e.is_object()) continue;
    const auto& truth = json_field(e, "truth");
    out.push_back(
        {.id = json_string(e, "id"),
         .baseline = json_string(e, "baseline"),
         .candidate = json_string(e, "candidate"),
         .truth = truth.is_string() ? std::optional(truth.get<std::string>()) : std::nullopt});
  }
  return out;
}

StoredCheck read_check(const json& c) {
  StoredCheck out;
  if (!c.is_object()) return out;
  out.kind = json_string(c, "kind");
  out.name = json_string(c, "name");
  out.status = json_string(c, "status");
  out.value = json_number(c, "value");
  out.baseline = json_number(c, "baseline");
  out.threshold = json_string(c, "threshold");
  out.reason = json_string(c, "reason");
  auto blocks = c.find("blocks");
  out.blocks = blocks != c.end() && blocks->is_boolean() && blocks->get<bool>();
  out.rule_set = json_string(c, "rule_set");
  read_evidence(out, c);
  out.examples = read_examples(c);
  return out;
}

// The rules in force a decision recorded: its note and the differences' lines.
void read_rules(StoredDecision& d, const json& rules) {
  d.rules_note = json_string(rules, "note");
  if (auto diffs = rules.find("differences"); diffs != rules.end() && diffs->is_array())
    for (const auto& diff : *diffs)
      if (diff.is_object()) d.rule_differences.push_back(json_string(diff, "text"));
}

StoredRubric read_rubric(const json& r) {
  StoredRubric out;
  out.score = json_number(r, "score");
  out.band = json_string(r, "band");
  if (auto s = r.find("sections"); s != r.end() && s->is_object())
    for (auto it = s->begin(); it != s->end(); ++it)
      out.sections[it.key()] = it->is_number() ? std::optional(it->get<double>()) : std::nullopt;
  if (auto items = r.find("items"); items != r.end() && items->is_array())
    for (const auto& it : *items) {
      if (!it.is_object()) continue;
      out.items[json_string(it, "id")] = {json_number(it, "points").value_or(0),
                                          json_string(it, "evidence")};
    }
  return out;
}

std::string format_optional(std::optional<double> v) {
  return v ? format_number(*v) : "-";
}

}  // namespace

void read_decision_json(StoredDecision& d, const std::string& checks_json,
                        const std::string& inputs_json) {
  const json checks = json::parse(checks_json, nullptr, false);
  d.checks.clear();
  if (checks.is_array())
    for (const auto& c : checks) d.checks.push_back(read_check(c));
  const json inputs = json::parse(inputs_json, nullptr, false);
  d.summary.clear();
  d.rubric.reset();
  d.rules_note.clear();
  d.rule_differences.clear();
  if (!inputs.is_object()) return;
  d.summary = json_string(inputs, "summary");
  if (auto r = inputs.find("rubric"); r != inputs.end() && r->is_object())
    d.rubric = read_rubric(*r);
  if (auto r = inputs.find("rules"); r != inputs.end() && r->is_object()) read_rules(d, *r);
}

std::vector<const StoredCheck*> blocking_first(const std::vector<StoredCheck>& checks) {
  std::vector<const StoredCheck*> out;
  for (const auto& c : checks)
    if (c.blocks) out.push_back(&c);
  for (const auto& c : checks)
    if (!c.blocks) out.push_back(&c);
  return out;
}

const StoredDecision* rubric_decision(const std::vector<StoredDecision>& decisions) {
  const StoredDecision* latest = nullptr;
  for (const auto& d : decisions)
    if (d.rubric && (!latest || d.id > latest->id)) latest = &d;
  return latest;
}

std::string baseline_environment(const std::string& wanted,
                                 const std::vector<StoredDecision>& decisions,
                                 const std::vector<std::string>& deployed_newest_first) {
  if (!wanted.empty()) return wanted;
  std::vector<const StoredDecision*> newest_first;
  for (const auto& d : decisions) newest_first.push_back(&d);
  std::sort(newest_first.begin(), newest_first.end(),
            [](const auto* a, const auto* b) { return a->id > b->id; });
  const auto& deployed = deployed_newest_first;
  for (const auto* d : newest_first)
    if (std::find(deployed.begin(), deployed.end(), d->environment) != deployed.end())
      return d->environment;
  if (!deployed.empty()) return deployed.front();
  if (!newest_first.empty()) return newest_first.front()->environment;
  return "";
}

const JobResults* baseline_of(const std::optional<std::string>& deployed_sha,
                              const JobResults& deployed_results) {
  return deployed_sha ? &deployed_results : nullptr;
}

CheckIndex::CheckIndex(const std::vector<StoredDecision>& decisions,
                       const std::string& environment) {
  for (int pass = 0; pass < 2; ++pass)
    for (const auto& d : decisions)
      if ((pass == 0) == (d.environment == environment))
        for (const auto& c : d.checks) checks_.emplace(c.kind + ":" + c.name, &c);
}

const StoredCheck* CheckIndex::find(const std::string& kind, const std::string& name) const {
  auto it = checks_.find(kind + ":" + name);
  return it == checks_.end() ? nullptr : it->second;
}

std::optional<bool> higher_is_better(std::string_view t) {
  if (t.find("max_increase") != std::string_view::npos) return false;
  if (t.find("max_drop") != std::string_view::npos) return true;
  const bool has_min = t.rfind("min ", 0) == 0 || t.find(", min ") != std::string_view::npos;
  const bool has_max = t.rfind("max ", 0) == 0 || t.find(", max ") != std::string_view::npos;
  if (has_min && !has_max) return true;
  if (has_max && !has_min) return false;
  return std::nullopt;
}

Comparison compare(double value, std::optional<double> baseline,
                   std::optional<bool> higher_better) {
  Comparison out{format_number(value), format_optional(baseline), "-", "neutral"};
  if (!baseline || !std::isfinite(*baseline) || !std::isfinite(value)) return out;
  const double delta = value - *baseline;
  out.delta = (delta > 0 ? "+" : "") + format_number(delta);
  if (*baseline != 0) {
    char pct[32];
    std::snprintf(pct, sizeof pct, " (%+.1f%%)", 100.0 * delta / std::fabs(*baseline));
    out.delta += pct;
  }
  if (delta != 0 && higher_better) out.delta_class = (delta > 0) == *higher_better ? "good" : "bad";
  return out;
}

MetricComparisons compare_metrics(const JobResults& candidate, const JobResults* baseline,
                                  const CheckIndex& checks) {
  std::map<std::string, double> base_globals;
  std::map<std::string, double> base_slices;
  if (baseline)
    for (const auto& m : baseline->metrics)
      (m.slice_key.empty() ? base_globals[m.name] : base_slices[slice_label(m)]) = m.value;
  auto base_of = [](const std::map<std::string, double>& m, const std::string& k) {
    auto it = m.find(k);
    return it == m.end() ? std::optional<double>() : std::optional<double>(it->second);
  };
  auto row = [&](const Metric& m, const char* kind, const std::string& key,
                 const std::map<std::string, double>& base) {
    const StoredCheck* check = checks.find(kind, key);
    // A slice check's direction is the metric's: min -> higher is better.
    const auto direction = check ? higher_is_better(check->threshold) : std::nullopt;
    return MetricComparison{&m, check, compare(m.value, base_of(base, key), direction)};
  };
  const MergedMetrics merged = merge_metrics(candidate.metrics);
  MetricComparisons out;
  for (const Metric* m : merged.globals)
    out.globals.push_back(row(*m, "metric", m->name, base_globals));
  std::vector<const Metric*> slices = merged.slices;
  std::sort(slices.begin(), slices.end(), [](const Metric* a, const Metric* b) {
    return std::tie(a->slice_key, a->name, a->slice_value) <
           std::tie(b->slice_key, b->name, b->slice_value);
  });
  for (const Metric* m : slices)
    out.slices.push_back(row(*m, "slice", slice_label(*m), base_slices));
  return out;
}

std::vector<FairnessRow> fairness_rows(const std::vector<StoredDecision>& decisions) {
  std::vector<FairnessRow> out;
  for (const auto& d : decisions)
    for (const auto& c : d.checks)
      if (c.kind == "fairness") out.push_back({d.environment, &c});
  return out;
}

std::string flip_text(const JobResults& candidate, const JobResults* baseline) {
  if (!baseline) return "No baseline to compare predictions with.";
  std::map<std::string, std::string> base;
  for (const auto& p : baseline->predictions) base[p.id] = p.label;
  std::map<std::string, std::string> cand;
  for (const auto& p : candidate.predictions) cand[p.id] = p.label;
  if (cand.empty() || base.empty()) return "No predictions.jsonl on both sides to compare.";
  long common = 0;
  long flips = 0;
  for (const auto& [id, label] : cand) {
    auto it = base.find(id);
    if (it == base.end()) continue;
    ++common;
    flips += it->second != label;
  }
  if (!common) return "No example id in common with the baseline's predictions.";
  char buf[160];
  std::snprintf(buf, sizeof buf, "Flip rate %.2f%%: %ld of %ld common examples changed label.",
                100.0 * static_cast<double>(flips) / static_cast<double>(common), flips, common);
  return buf;
}

std::string flip_check_text(const StoredCheck& check) {
  char buf[64] = "-";
  if (check.value) std::snprintf(buf, sizeof buf, "%.2f%%", 100.0 * *check.value);
  return std::string("Flip rate ") + buf + " (" + check.status + ", " + check.threshold +
         "): " + check.reason;
}

}  // namespace mlgate::core
