#include "core/gate.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <unordered_map>
#include <utility>

#include "core/gate_checks.h"
#include "core/gate_evidence.h"
#include "core/gate_result_value.h"
#include "core/metric_merge.h"
#include "core/model_card.h"
#include "core/monitor_evidence.h"
#include "core/number_text.h"
#include "core/rubric.h"
#include "core/rubric_globs.h"
#include "core/utf8.h"

namespace mlgate::core {
namespace gate_detail {

// Tolerance for quantities the engine computes (differences, ratios): 0.93 - 0.92 is
// 0.010000000000000009 in binary floating point, and must still count as a drop of 0.01.
double tol(double a, double b) {
  return 1e-9 * std::max(std::fabs(a), std::fabs(b));
}

std::string plural(std::size_t n, std::string_view one, std::string_view many) {
  return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += sep;
    out += parts[i];
  }
  return out;
}

// "min 0.8", "max 50", "min 0.8, max 1"; empty when neither.
std::string bounds_text(const std::optional<double>& min, const std::optional<double>& max) {
  std::vector<std::string> parts;
  if (min) parts.push_back("min " + number_text(*min));
  if (max) parts.push_back("max " + number_text(*max));
  return join(parts, ", ");
}

// Failures of `v` against inclusive bounds, each naming its threshold; empty when within.
std::vector<std::string> bound_failures(double v, const std::optional<double>& min,
                                        const std::optional<double>& max) {
  std::vector<std::string> out;
  if (min && v < *min) {
    auto [a, b] = number_texts(v, *min);
    out.push_back(a + " < min " + b);
  }
  if (max && v > *max) {
    auto [a, b] = number_texts(v, *max);
    out.push_back(a + " > max " + b);
  }
  return out;
}

std::string within_text(double v, const std::optional<double>& min,
                        const std::optional<double>& max) {
  if (min && max)
    return number_text(v) + " within [" + number_text(*min) + ", " + number_text(*max) + "]";
  if (min) {
    auto [a, b] = number_texts(v, *min);
    return a + " >= min " + b;
  }
  if (max) {
    auto [a, b] = number_texts(v, *max);
    return a + " <= max " + b;
  }
  return number_text(v);
}

std::string non_finite_text(double v) {
  return std::isnan(v) ? "is NaN" : (v > 0 ? "is infinite" : "is -infinite");
}

// ---------------------------------------------------------------------------------------------
// Result lookups

using MetricIndex = std::unordered_map<std::string_view, const Metric*>;

MetricIndex global_metrics(const std::vector<Metric>& metrics) {
  MetricIndex out;
  for (const Metric* m : merge_metrics(metrics).globals) out[m->name] = m;
  return out;
}

const Metric* find(const MetricIndex& index, std::string_view name) {
  auto it = index.find(name);
  return it == index.end() ? nullptr : it->second;
}

// The slice values of `key` that report `metric`, in order of first appearance; a repeated slice
// value keeps its place and takes the last reported number.
std::vector<const Metric*> slice_entries(const std::vector<Metric>& metrics,
                                         std::string_view metric, std::string_view key) {
  std::vector<const Metric*> out;
  if (key.empty()) return out;
  for (const Metric* m : merge_metrics(metrics).slices)
    if (m->slice_key == key && m->name == metric) out.push_back(m);
  return out;
}

const Metric* find_slice(const std::vector<const Metric*>& entries, std::string_view value) {
  for (const Metric* m : entries) {
    if (m->slice_value == value) return m;
  }
  return nullptr;
}

std::string n_text(const Metric& m) {
  return m.n ? "n=" + std::to_string(*m.n) : "n not reported";
}

bool under_min_n(const Metric& m, std::int64_t min_n) {
  return m.n && *m.n < min_n;
}

CheckResult missing_result(CheckKind kind, std::string name, std::string threshold,
                           std::string reason, bool optional, int line) {
  CheckResult r{.kind = kind,
                .name = std::move(name),
                .status = CheckStatus::missing,
                .threshold = std::move(threshold),
                .reason = std::move(reason),
                .optional = optional,
                .line = line};
  if (optional) r.reason += " (optional: does not fail)";
  return r;
}

// ---------------------------------------------------------------------------------------------
// Tiers

void check_tiers(const GateInput& in, std::vector<CheckResult>& out) {
  for (const std::string& tier : in.gate.require) {
    CheckResult r{.kind = CheckKind::tier,
                  .name = tier,
                  .threshold = std::string(to_string(JobState::passed)),
                  .line = in.gate.line};
    if (!in.tiers) {
      r.status = CheckStatus::skipped;
      r.reason = "not known offline";
      out.push_back(std::move(r));
      continue;
    }
    const TierState* latest = nullptr;
    for (const TierState& t : *in.tiers) {
      if (t.tier == tier) latest = &t;  // the last entry is the latest attempt
    }
    if (!latest) {
      r.status = CheckStatus::pending;
      r.reason = "has not run for this commit yet";
    } else if (latest->state == JobState::passed) {
      r.status = CheckStatus::pass;
      r.reason = to_string(latest->state);
      if (latest->repeats > 1) r.reason += " (all " + std::to_string(latest->repeats) + " repeats)";
    } else {
      const bool running = !is_finished(latest->state);
      // failed, timed_out, cancelled, error, skipped
      r.status = running ? CheckStatus::pending : CheckStatus::fail;
      r.reason = (running ? "is " : "") + std::string(to_string(latest->state));
      if (latest->repeats > 1)
        r.reason += " (repeat " + std::to_string(latest->repeat + 1) + " of " +
                    std::to_string(latest->repeats) + ")";
    }
    out.push_back(std::move(r));
  }
}

// The latest attempt of each of the candidate's tiers that has not finished, in tier order
// (offline: none).
std::vector<TierState> unfinished_tiers(const GateInput& in) {
  std::vector<TierState> out;
  if (!in.tiers) return out;
  const auto& tiers = *in.tiers;
  for (std::size_t i = 0; i < tiers.size(); ++i) {
    const bool latest =
        std::none_of(tiers.begin() + static_cast<std::ptrdiff_t>(i) + 1, tiers.end(),
                     [&](const TierState& t) { return t.tier == tiers[i].tier; });
    if (latest && !is_finished(tiers[i].state)) out.push_back(tiers[i]);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Metrics

std::string change_threshold_text(const MetricCheck& c) {
  std::vector<std::string> parts;
  if (c.max_drop) parts.push_back("max_drop " + threshold_text(*c.max_drop));
  if (c.max_increase) parts.push_back("max_increase " + threshold_text(*c.max_increase));
  return join(parts, ", ");
}

// One change threshold against a finite value and baseline. Returns the failure text, or nullopt
// with `ok` filled in when within.
std::optional<std::string> change_failure(std::string_view key, const Threshold& t, double delta,
                                          double v, double b, std::string& ok) {
  const bool drop = key == "max_drop";
  const std::string word = drop ? "drop" : "increase";
  const double allowed = t.percent ? t.value * std::fabs(b) : t.value;
  std::string limit = std::string(key) + " " + threshold_text(t);
  if (t.percent) {
    limit += b == 0 ? " of baseline 0, so none allowed" : " (" + number_text(allowed) + ")";
  }
  std::string shown = delta > 0 ? number_text(delta) : "0";
  if (t.percent && delta > 0 && b != 0) shown += " (" + percent_text(delta / std::fabs(b)) + ")";
  if (delta > allowed + tol(v, b)) {
    return word + " " + shown + " > " + limit;
  }
  ok = word + " " + shown + " <= " + limit;
  return std::nullopt;
}

void check_metric(const MetricCheck& c, const MetricIndex& cand, const MetricIndex* base,
                  std::vector<CheckResult>& out) {
  const bool has_bounds = c.min || c.max;
  const bool has_change = c.max_drop || c.max_increase;
  std::vector<std::string> all;
  if (has_bounds) all.push_back(bounds_text(c.min, c.max));
  if (has_change) all.push_back(change_threshold_text(c));
  if (c.max_spread) all.push_back("max_spread " + number_text(*c.max_spread));
  const std::string all_text = join(all, ", ");

  const Metric* m = find(cand, c.name);
  if (!m) {
    out.push_back(
        missing_result(CheckKind::metric, c.name, all_text, "not reported", c.optional, c.line));
    return;
  }
  const double v = m->value;
  const Metric* bm = base ? find(*base, c.name) : nullptr;
  std::optional<double> bv = bm ? std::optional<double>(bm->value) : std::nullopt;
  CheckResult proto{.kind = CheckKind::metric,
                    .name = c.name,
                    .value = v,
                    .baseline = bv,
                    .optional = c.optional,
                    .line = c.line};
  if (!std::isfinite(v)) {
    CheckResult r = proto;
    r.status = CheckStatus::fail;
    r.threshold = all_text;
    r.reason = non_finite_text(v);
    out.push_back(std::move(r));
    return;
  }
  if (has_bounds) {
    CheckResult r = proto;
    r.threshold = bounds_text(c.min, c.max);
    std::vector<std::string> failures = bound_failures(v, c.min, c.max);
    r.status = failures.empty() ? CheckStatus::pass : CheckStatus::fail;
    r.reason = failures.empty() ? within_text(v, c.min, c.max) : join(failures, "; ");
    out.push_back(std::move(r));
  }
  if (has_change) {
    CheckResult r = proto;
    r.threshold = change_threshold_text(c);
    if (!base) {
      r.status = CheckStatus::skipped;
      r.reason = "no deployed baseline: change not checked";
    } else if (!bm) {
      r.status = CheckStatus::skipped;
      r.reason = "the deployed baseline did not report " + c.name + ": change not checked";
    } else if (!std::isfinite(bm->value)) {
      r.status = CheckStatus::skipped;
      r.reason =
          "the deployed baseline's value " + non_finite_text(bm->value) + ": change not checked";
    } else {
      const double b = bm->value;
      std::vector<std::string> failures, oks;
      auto one = [&](std::string_view key, const Threshold& t, double delta) {
        std::string ok;
        if (auto f = change_failure(key, t, delta, v, b, ok)) {
          failures.push_back(std::move(*f));
        } else {
          oks.push_back(std::move(ok));
        }
      };
      if (c.max_drop) one("max_drop", *c.max_drop, b - v);
      if (c.max_increase) one("max_increase", *c.max_increase, v - b);
      auto [vs, bs] = number_texts(v, b);
      r.status = failures.empty() ? CheckStatus::pass : CheckStatus::fail;
      r.reason = vs + " vs baseline " + bs + ": " + join(failures.empty() ? oks : failures, "; ");
    }
    out.push_back(std::move(r));
  }
}

// ---------------------------------------------------------------------------------------------
// Slices

// One slice against min/max.
CheckResult slice_bound_result(const SliceCheck& c, const Metric& m,
                               const std::vector<const Metric*>& base_entries,
                               const std::string& min_n_text) {
  CheckResult r{.kind = CheckKind::slice,
                .name = c.metric + "[" + c.by + "=" + m.slice_value + "]",
                .value = m.value,
                .threshold = bounds_text(c.min, c.max),
                .optional = c.optional,
                .line = c.line};
  if (const Metric* bm = find_slice(base_entries, m.slice_value)) r.baseline = bm->value;
  if (under_min_n(m, c.min_n)) {
    r.status = CheckStatus::skipped;
    r.reason = n_text(m) + min_n_text;
  } else if (!std::isfinite(m.value)) {
    r.status = CheckStatus::fail;
    r.reason = non_finite_text(m.value) + " (" + n_text(m) + ")";
  } else {
    std::vector<std::string> failures = bound_failures(m.value, c.min, c.max);
    r.status = failures.empty() ? CheckStatus::pass : CheckStatus::fail;
    r.reason = (failures.empty() ? within_text(m.value, c.min, c.max) : join(failures, "; ")) +
               " (" + n_text(m) + ")";
  }
  return r;
}

// The baseline's gap over the same slice values, when it reports them all.
std::optional<double> baseline_gap(const std::vector<const Metric*>& judged,
                                   const std::vector<const Metric*>& base_entries) {
  if (base_entries.empty()) return std::nullopt;
  std::optional<double> bmin, bmax;
  for (const Metric* m : judged) {
    const Metric* bm = find_slice(base_entries, m->slice_value);
    if (!bm || !std::isfinite(bm->value)) return std::nullopt;
    bmin = bmin ? std::min(*bmin, bm->value) : bm->value;
    bmax = bmax ? std::max(*bmax, bm->value) : bm->value;
  }
  return *bmax - *bmin;
}

// The best judged slice minus the worst against max_gap; `small` names the slices under min_n.
CheckResult slice_gap_result(const SliceCheck& c, const std::vector<const Metric*>& judged,
                             const std::vector<std::string>& small,
                             const std::vector<const Metric*>& base_entries) {
  CheckResult r{.kind = CheckKind::slice,
                .name = c.metric + "[" + c.by + "]" + " gap",
                .threshold = "max_gap " + number_text(*c.max_gap),
                .optional = c.optional,
                .line = c.line};
  const std::string small_note = small.empty() ? ""
                                               : " (" + plural(small.size(), "slice", "slices") +
                                                     " under min_n " + std::to_string(c.min_n) +
                                                     " not judged: " + join(small, ", ") + ")";
  auto bad = std::find_if(judged.begin(), judged.end(),
                          [](const Metric* m) { return !std::isfinite(m->value); });
  if (bad != judged.end()) {
    r.status = CheckStatus::fail;
    r.value = std::nan("");
    r.reason = "slice " + (*bad)->slice_value + " " + non_finite_text((*bad)->value);
    return r;
  }
  if (judged.size() < 2) {
    r.status = CheckStatus::skipped;
    r.reason = "fewer than 2 slices to compare" + small_note;
    return r;
  }
  auto [lo, hi] =
      std::minmax_element(judged.begin(), judged.end(),
                          [](const Metric* a, const Metric* b) { return a->value < b->value; });
  const double gap = (*hi)->value - (*lo)->value;
  r.value = gap;
  if (auto b = baseline_gap(judged, base_entries)) r.baseline = *b;
  const bool fails = gap > *c.max_gap + tol((*hi)->value, (*lo)->value);
  r.status = fails ? CheckStatus::fail : CheckStatus::pass;
  r.reason = number_text(gap) + " (" + (*hi)->slice_value + " " + number_text((*hi)->value) +
             " - " + (*lo)->slice_value + " " + number_text((*lo)->value) + ") " +
             (fails ? ">" : "<=") + " max_gap " + number_text(*c.max_gap) + small_note;
  return r;
}

std::string slice_threshold_text(const SliceCheck& c) {
  std::vector<std::string> all;
  if (c.min || c.max) all.push_back(bounds_text(c.min, c.max));
  if (c.max_gap) all.push_back("max_gap " + number_text(*c.max_gap));
  if (c.max_spread) all.push_back("max_spread " + number_text(*c.max_spread));
  return join(all, ", ");
}

void check_slice(const SliceCheck& c, const JobResults& cand, const JobResults* base,
                 std::vector<CheckResult>& out) {
  std::vector<const Metric*> entries = slice_entries(cand.metrics, c.metric, c.by);
  if (entries.empty()) {
    out.push_back(
        missing_result(CheckKind::slice, c.metric + "[" + c.by + "]", slice_threshold_text(c),
                       "no slice of " + c.by + " reports " + c.metric, c.optional, c.line));
    return;
  }
  std::vector<const Metric*> base_entries;
  if (base) base_entries = slice_entries(base->metrics, c.metric, c.by);
  check_slice_entries(c, entries, base_entries, out);
}

void check_slice_entries(const SliceCheck& c, const std::vector<const Metric*>& entries,
                         const std::vector<const Metric*>& base_entries,
                         std::vector<CheckResult>& out) {
  const std::string min_n_text = " < min_n " + std::to_string(c.min_n) + ": not judged";

  std::vector<const Metric*> judged;
  std::vector<std::string> small;
  for (const Metric* m : entries) {
    if (under_min_n(*m, c.min_n)) {
      small.push_back(m->slice_value);
    } else {
      judged.push_back(m);
    }
    if (c.min || c.max) out.push_back(slice_bound_result(c, *m, base_entries, min_n_text));
  }
  if (c.max_gap) out.push_back(slice_gap_result(c, judged, small, base_entries));
}

// ---------------------------------------------------------------------------------------------
// Fairness

// The reference group: for "majority", the largest reported n (ties: the byte-wise smallest group
// name), else the named group. Sets `why` when there is none.
const Metric* reference_group(const FairnessCheck& c, const std::vector<const Metric*>& groups,
                              std::string& why) {
  if (c.reference != kReferenceMajority) {
    const Metric* m = find_slice(groups, c.reference);
    if (!m) why = "reference group " + c.reference + " is not reported";
    return m;
  }
  const Metric* best = nullptr;
  for (const Metric* m : groups) {
    if (!m->n) continue;
    if (!best || *m->n > *best->n || (*m->n == *best->n && m->slice_value < best->slice_value)) {
      best = m;
    }
  }
  if (!best) why = "no group of " + c.by + " reports n, so the majority group is not known";
  return best;
}

// What the fairness check says about the whole attribute when the reference group cannot be
// judged (under min_n, not finite or negative) or is the only group; nothing when the groups can
// be compared with it.
std::optional<CheckResult> reference_verdict(const FairnessCheck& c, const Metric& ref,
                                             std::size_t group_count, CheckResult whole) {
  whole.value = ref.value;
  if (under_min_n(ref, c.min_n)) {
    whole.status = CheckStatus::skipped;
    whole.reason = "reference group " + ref.slice_value + " has " + n_text(ref) + " < min_n " +
                   std::to_string(c.min_n) + ": not judged";
    return whole;
  }
  if (!std::isfinite(ref.value) || ref.value < 0) {
    whole.status = CheckStatus::fail;
    whole.reason = "reference group " + ref.slice_value + "'s " + c.metric + " " +
                   (std::isfinite(ref.value)
                        ? "is negative (" + number_text(ref.value) + "): ratios are not meaningful"
                        : non_finite_text(ref.value));
    return whole;
  }
  if (group_count == 1) {
    whole.status = CheckStatus::skipped;
    whole.reason = "only the reference group " + ref.slice_value + " is reported";
    return whole;
  }
  return std::nullopt;
}

// Group `g`'s metric divided by the reference group's, against [lo, hi].
void judge_ratio(const FairnessCheck& c, const Metric& g, const Metric& ref, CheckResult& r) {
  const std::string g_desc = g.slice_value + " (" + n_text(g) + ")";
  const std::string ref_desc = ref.slice_value + " (reference, " + n_text(ref) + ")";
  const double r0 = ref.value;
  if (r0 == 0) {
    if (g.value == 0) {
      r.status = CheckStatus::pass;
      r.value = 1.0;
      r.reason = c.metric + " is 0 for both " + g_desc + " and " + ref_desc + ": ratio taken as 1";
    } else {
      r.status = CheckStatus::fail;
      r.reason = c.metric + " " + number_text(g.value) + " for " + g_desc + " against 0 for " +
                 ref_desc + ": the ratio is infinite";
    }
    return;
  }
  const double ratio = g.value / r0;
  r.value = ratio;
  const double t = 1e-9 * std::max(1.0, ratio);
  const bool low = ratio<c.lo - t, high = ratio> c.hi + t;
  r.status = low || high ? CheckStatus::fail : CheckStatus::pass;
  r.reason = c.metric + " " + number_text(g.value) + " for " + g_desc + " / " + number_text(r0) +
             " for " + ref_desc + " = " + number_text(ratio) +
             (low    ? " < " + number_text(c.lo)
              : high ? " > " + number_text(c.hi)
                     : " within [" + number_text(c.lo) + ", " + number_text(c.hi) + "]");
}

// One group compared with the reference group.
CheckResult fairness_group_result(const FairnessCheck& c, const Metric& g, const Metric& ref,
                                  const std::vector<const Metric*>& base_groups,
                                  const Metric* base_ref, const std::string& thr) {
  CheckResult r{
      .kind = CheckKind::fairness,
      .name = c.metric + "[" + c.by + "=" + g.slice_value + " vs " + ref.slice_value + "]",
      .threshold = thr,
      .optional = c.optional,
      .line = c.line};
  if (const Metric* bg = find_slice(base_groups, g.slice_value);
      bg && base_ref && std::isfinite(bg->value) && std::isfinite(base_ref->value) &&
      base_ref->value > 0 && bg->value >= 0) {
    r.baseline = bg->value / base_ref->value;
  }
  if (under_min_n(g, c.min_n)) {
    r.status = CheckStatus::skipped;
    r.reason = g.slice_value + " has " + n_text(g) + " < min_n " + std::to_string(c.min_n) +
               ": not judged";
  } else if (!std::isfinite(g.value)) {
    r.status = CheckStatus::fail;
    r.value = g.value;
    r.reason = g.slice_value + "'s " + c.metric + " " + non_finite_text(g.value);
  } else if (g.value < 0) {
    r.status = CheckStatus::fail;
    r.reason = g.slice_value + "'s " + c.metric + " is negative (" + number_text(g.value) +
               "): ratios are not meaningful";
  } else {
    judge_ratio(c, g, ref, r);
  }
  return r;
}

std::string disparity_text(const FairnessCheck& c) {
  return "disparity [" + number_text(c.lo) + ", " + number_text(c.hi) + "]";
}

void check_fairness(const FairnessCheck& c, const JobResults& cand, const JobResults* base,
                    std::vector<CheckResult>& out) {
  std::vector<const Metric*> groups = slice_entries(cand.metrics, c.metric, c.by);
  if (groups.empty()) {
    out.push_back(missing_result(CheckKind::fairness, c.metric + "[" + c.by + "]",
                                 disparity_text(c), "no group of " + c.by + " reports " + c.metric,
                                 c.optional, c.line));
    return;
  }
  std::vector<const Metric*> base_groups;
  if (base) base_groups = slice_entries(base->metrics, c.metric, c.by);
  check_fairness_groups(c, groups, base_groups, out);
}

void check_fairness_groups(const FairnessCheck& c, const std::vector<const Metric*>& groups,
                           const std::vector<const Metric*>& base_groups,
                           std::vector<CheckResult>& out) {
  const std::string key_name = c.metric + "[" + c.by + "]";
  const std::string thr = disparity_text(c);
  CheckResult whole{.kind = CheckKind::fairness,
                    .name = key_name,
                    .threshold = thr,
                    .optional = c.optional,
                    .line = c.line};
  std::string why;
  const Metric* ref = reference_group(c, groups, why);
  if (!ref) {
    out.push_back(missing_result(CheckKind::fairness, key_name, thr, why, c.optional, c.line));
    return;
  }
  if (auto verdict = reference_verdict(c, *ref, groups.size(), std::move(whole))) {
    out.push_back(std::move(*verdict));
    return;
  }
  const Metric* base_ref = find_slice(base_groups, ref->slice_value);
  for (const Metric* g : groups) {
    if (g == ref) continue;
    out.push_back(fairness_group_result(c, *g, *ref, base_groups, base_ref, thr));
  }
}

// ---------------------------------------------------------------------------------------------
// Predictions

// Ids and labels are the job's text: long ones are cut so that a reason stays one short line.
std::string clip(std::string_view text) {
  constexpr std::size_t kMax = 40;
  if (text.size() <= kMax) return std::string(text);
  std::size_t cut = kMax;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return std::string(text.substr(0, cut)) + "...";
}

std::string label_text(std::string_view label) {
  return label.empty() ? "(no label)" : clip(label);
}

// The baseline's predictions by id (the last of a repeated id wins), each marked once a candidate
// prediction has been compared with it.
struct BaselineEntry {
  const Prediction* prediction;
  bool compared;
};
using PredictionIndex = std::unordered_map<std::string_view, BaselineEntry>;

PredictionIndex index_predictions(const std::vector<Prediction>& preds) {
  PredictionIndex out;
  out.reserve(preds.size());
  for (const Prediction& p : preds) out[p.id] = BaselineEntry{&p, false};
  return out;
}

// The candidate's predictions compared with the baseline's, id by id.
struct PredictionComparison {
  std::size_t common = 0, flips = 0, scored = 0;
  std::size_t baseline_ids = 0;  // distinct ids in the baseline's predictions
  const Prediction* first_flip = nullptr;
  const Prediction* first_flip_base = nullptr;
  std::vector<PredictionPair> flipped;  // every id whose label changed
  const Prediction* worst = nullptr;    // candidate side of the largest score change
  const Prediction* worst_base = nullptr;
  double max_delta = 0;
  const Prediction* non_finite = nullptr;
  const Prediction* non_finite_base = nullptr;
};

// One common id, taken in the order of the candidate's predictions from the last to the first:
// "first" and "largest" keep the earliest candidate position on ties.
void compare_pair(PredictionComparison& cmp, const Prediction& p, const Prediction& b) {
  ++cmp.common;
  if (p.label != b.label) {
    ++cmp.flips;
    cmp.first_flip = &p;
    cmp.first_flip_base = &b;
    cmp.flipped.push_back({&p, &b});
  }
  if (p.score && b.score) {
    ++cmp.scored;
    if (!std::isfinite(*p.score) || !std::isfinite(*b.score)) {
      cmp.non_finite = &p;
      cmp.non_finite_base = &b;
      return;
    }
    const double d = std::fabs(*p.score - *b.score);
    if (!cmp.worst || d >= cmp.max_delta) {
      cmp.max_delta = d;
      cmp.worst = &p;
      cmp.worst_base = &b;
    }
  }
}

// Backwards, so that of a repeated candidate id the last one is compared and the earlier ones are
// skipped.
PredictionComparison compare_by_index(const std::vector<Prediction>& candidate,
                                      const std::vector<Prediction>& baseline) {
  PredictionIndex base_index = index_predictions(baseline);
  PredictionComparison cmp;
  cmp.baseline_ids = base_index.size();
  for (auto it = candidate.rbegin(); it != candidate.rend(); ++it) {
    auto bi = base_index.find(it->id);
    if (bi == base_index.end() || bi->second.compared) continue;
    bi->second.compared = true;
    compare_pair(cmp, *it, *bi->second.prediction);
  }
  return cmp;
}

bool strictly_by_id(const std::vector<Prediction>& preds) {
  return std::adjacent_find(preds.begin(), preds.end(), [](const auto& a, const auto& b) {
           return !(a.id < b.id);
         }) == preds.end();
}

// Both sides in strictly increasing id order (as the store reads them back: docs/results.md): the
// same pairs in the same order as compare_by_index, by walking both from their ends, with no index.
PredictionComparison compare_sorted(const std::vector<Prediction>& candidate,
                                    const std::vector<Prediction>& baseline) {
  PredictionComparison cmp;
  cmp.baseline_ids = baseline.size();
  auto c = candidate.rbegin();
  auto b = baseline.rbegin();
  while (c != candidate.rend() && b != baseline.rend()) {
    if (b->id < c->id) {
      ++c;
    } else if (c->id < b->id) {
      ++b;
    } else {
      compare_pair(cmp, *c++, *b++);
    }
  }
  return cmp;
}

PredictionComparison compare_predictions(const std::vector<Prediction>& candidate,
                                         const std::vector<Prediction>& baseline) {
  return strictly_by_id(candidate) && strictly_by_id(baseline)
             ? compare_sorted(candidate, baseline)
             : compare_by_index(candidate, baseline);
}

CheckResult flip_rate_result(const PredictionsCheck& c, const PredictionComparison& cmp) {
  const double rate = static_cast<double>(cmp.flips) / static_cast<double>(cmp.common);
  CheckResult r{.kind = CheckKind::predictions,
                .name = "flip_rate",
                .value = rate,
                .threshold = "max_flip_rate " + percent_text(*c.max_flip_rate),
                .optional = c.optional,
                .line = c.line};
  const bool fails = rate > *c.max_flip_rate + 1e-12;
  r.status = fails ? CheckStatus::fail : CheckStatus::pass;
  r.reason = std::to_string(cmp.flips) + " of " + std::to_string(cmp.common) +
             " common ids changed label (" + percent_text(rate) + ") " + (fails ? ">" : "<=") +
             " max_flip_rate " + percent_text(*c.max_flip_rate);
  if (cmp.first_flip) {
    r.reason += ", e.g. id " + clip(cmp.first_flip->id) + ": " +
                label_text(cmp.first_flip_base->label) + " -> " + label_text(cmp.first_flip->label);
  }
  r.examples = flipped_examples(cmp.flipped);
  return r;
}

CheckResult score_delta_result(const PredictionsCheck& c, const PredictionComparison& cmp) {
  CheckResult r{.kind = CheckKind::predictions,
                .name = "score_delta",
                .threshold = "max_score_delta " + number_text(*c.max_score_delta),
                .optional = c.optional,
                .line = c.line};
  if (cmp.non_finite) {
    const Prediction& p = *cmp.non_finite;
    r.status = CheckStatus::fail;
    r.value = std::nan("");
    const double bad = std::isfinite(*p.score) ? *cmp.non_finite_base->score : *p.score;
    r.reason = "id " + clip(p.id) + ": " +
               (std::isfinite(*p.score) ? "baseline score " : "score ") + non_finite_text(bad);
  } else if (cmp.scored == 0) {
    r = missing_result(CheckKind::predictions, "score_delta", r.threshold,
                       "no common id has a score in both", c.optional, c.line);
  } else {
    const Prediction& worst = *cmp.worst;
    const Prediction& worst_base = *cmp.worst_base;
    r.value = cmp.max_delta;
    const bool fails = cmp.max_delta > *c.max_score_delta + tol(*worst.score, *worst_base.score);
    r.status = fails ? CheckStatus::fail : CheckStatus::pass;
    r.reason = "largest score change " + number_text(cmp.max_delta) + " (id " + clip(worst.id) +
               ": " + number_text(*worst_base.score) + " -> " + number_text(*worst.score) + ") " +
               (fails ? ">" : "<=") + " max_score_delta " + number_text(*c.max_score_delta) +
               " over " + plural(cmp.scored, "scored id", "scored ids");
  }
  return r;
}

void check_predictions(const PredictionsCheck& c, const JobResults& cand, const JobResults* base,
                       std::vector<CheckResult>& out) {
  std::vector<std::string> all;
  if (c.max_flip_rate) all.push_back("max_flip_rate " + percent_text(*c.max_flip_rate));
  if (c.max_score_delta) all.push_back("max_score_delta " + number_text(*c.max_score_delta));
  CheckResult whole{.kind = CheckKind::predictions,
                    .name = "predictions",
                    .threshold = join(all, ", "),
                    .optional = c.optional,
                    .line = c.line};
  if (cand.predictions.empty()) {
    out.push_back(missing_result(CheckKind::predictions, "predictions", whole.threshold,
                                 "not reported (no predictions.jsonl)", c.optional, c.line));
    return;
  }
  if (!base) {
    whole.status = CheckStatus::skipped;
    whole.reason = "no deployed baseline: predictions not compared";
    out.push_back(std::move(whole));
    return;
  }
  if (base->predictions.empty()) {
    whole.status = CheckStatus::skipped;
    whole.reason = "the deployed baseline reported no predictions: not compared";
    out.push_back(std::move(whole));
    return;
  }
  const PredictionComparison cmp = compare_predictions(cand.predictions, base->predictions);
  const std::size_t base_count = cmp.baseline_ids;
  if (cmp.common * 2 < base_count) {
    out.push_back(missing_result(
        CheckKind::predictions, "predictions", whole.threshold,
        "only " + std::to_string(cmp.common) + " of the baseline's " + std::to_string(base_count) +
            " ids are in the candidate's predictions (at least half are needed)",
        c.optional, c.line));
    return;
  }
  if (c.max_flip_rate) out.push_back(flip_rate_result(c, cmp));
  if (c.max_score_delta) out.push_back(score_delta_result(c, cmp));
}

// ---------------------------------------------------------------------------------------------
// Rubric

std::string test_display_id(const TestCase& t) {
  return t.classname.empty() ? t.name : t.classname + "::" + t.name;
}

}  // namespace gate_detail

namespace {

using namespace gate_detail;

// The interval checks' verdicts, at each check's level, or with `correction: bonferroni` at
// 1 - (1 - level) / k for the k interval checks of this evaluation.
void run_interval_jobs(const GateConfig& gate, std::vector<IntervalJob>& jobs,
                       std::vector<CheckResult>& checks) {
  const bool bonferroni = gate.statistics && gate.statistics->correction == Correction::bonferroni;
  for (IntervalJob& job : jobs) {
    const double level =
        bonferroni ? bonferroni_level(job.confidence, jobs.size()) : job.confidence;
    job.run(level, checks[job.index]);
  }
}

// The metric, slice and fairness checks, each from metrics.json or computed from predictions.
void check_values(const GateInput& in, std::vector<CheckResult>& out) {
  const JobResults& cand = in.candidate;
  const JobResults* base = in.baseline;
  std::optional<ComputedInput> computed;
  auto from_predictions = [&](const CheckStatistics& s) -> ComputedInput* {
    if (s.from != MetricSource::predictions) return nullptr;
    if (!computed) computed.emplace(in);
    return &*computed;
  };
  std::vector<IntervalJob> jobs;
  if (!in.gate.metrics.empty()) {
    const MetricIndex cand_index = global_metrics(cand.metrics);
    std::optional<MetricIndex> base_index;
    if (base) base_index = global_metrics(base->metrics);
    for (const MetricCheck& c : in.gate.metrics) {
      if (ComputedInput* ci = from_predictions(c.stats)) {
        if (cand.repeat_predictions.size() >= 2) {
          check_metric_computed_repeats(c, *ci, out, jobs);
        } else {
          const std::size_t first = out.size();
          check_metric_computed(c, *ci, out, jobs);
          // One run: max_spread has no repeats to measure, and says so (missing).
          if (c.max_spread) check_metric_repeats(c, in, first, out, jobs);
        }
      } else {
        const std::size_t first = out.size();
        check_metric(c, cand_index, base_index ? &*base_index : nullptr, out);
        check_metric_repeats(c, in, first, out, jobs);
      }
    }
  }
  const bool repeated = cand.repeat_predictions.size() >= 2;
  for (const SliceCheck& c : in.gate.slices) {
    const std::size_t first = out.size();
    if (ComputedInput* ci = from_predictions(c.stats)) {
      if (repeated)
        check_slice_computed_repeats(c, *ci, out, jobs);
      else
        check_slice_computed(c, *ci, out, jobs);
    } else {
      check_slice(c, cand, base, out);
      if (out.size() != first + 1 || out[first].status != CheckStatus::missing)
        check_slice_repeats(c, cand, 0, first, out, jobs);
    }
  }
  for (const FairnessCheck& c : in.gate.fairness) {
    if (ComputedInput* ci = from_predictions(c.stats)) {
      if (repeated)
        check_fairness_computed_repeats(c, *ci, out, jobs);
      else
        check_fairness_computed(c, *ci, out, jobs);
    } else {
      check_fairness(c, cand, base, out);
    }
  }
  run_interval_jobs(in.gate, jobs, out);
}

CheckResult check_rubric(const RubricGate& g, const RubricScore& s) {
  CheckResult r{.kind = CheckKind::rubric,
                .name = "ml_test_score",
                .value = s.score,
                .threshold = "min_score " + number_text(g.min_score),
                .line = g.line};
  std::vector<std::string> parts;
  std::string weakest;
  double weakest_score = 0;
  for (RubricSection sec : kRubricSections) {
    const std::string id(section_id(sec));
    const double v = s.sections.at(id);
    parts.push_back(id + " " + number_text(v));
    if (weakest.empty() || v < weakest_score) {
      weakest = id;
      weakest_score = v;
    }
  }
  const bool ok = s.score >= g.min_score;
  r.status = ok ? CheckStatus::pass : CheckStatus::fail;
  r.reason = number_text(s.score) + (ok ? " >= " : " < ") + "min_score " +
             number_text(g.min_score) + " (" + join(parts, ", ") + ")";
  if (!ok) r.reason += "; weakest section: " + weakest;
  return r;
}

}  // namespace

std::string_view to_string(Decision d) {
  switch (d) {
    case Decision::allow:
      return "allow";
    case Decision::deny:
      return "deny";
    case Decision::pending:
      return "pending";
  }
  return "deny";
}

std::string_view to_string(CheckKind k) {
  switch (k) {
    case CheckKind::tier:
      return "tier";
    case CheckKind::metric:
      return "metric";
    case CheckKind::slice:
      return "slice";
    case CheckKind::fairness:
      return "fairness";
    case CheckKind::predictions:
      return "predictions";
    case CheckKind::rubric:
      return "rubric";
    case CheckKind::rules:
      return "rules";
    case CheckKind::provenance:
      return "provenance";
  }
  return "unknown";
}

std::string_view to_string(RuleSet r) {
  switch (r) {
    case RuleSet::candidate:
      return "candidate";
    case RuleSet::deployed:
      return "deployed";
    case RuleSet::both:
      return "both";
  }
  return "unknown";
}

std::string_view rule_set_mark(RuleSet r) {
  switch (r) {
    case RuleSet::candidate:
      return " (candidate's rule)";
    case RuleSet::deployed:
      return " (deployed rule)";
    case RuleSet::both:
      return "";
  }
  return "";
}

std::string_view to_string(RulesInForceKind k) {
  switch (k) {
    case RulesInForceKind::candidate:
      return "candidate";
    case RulesInForceKind::deployed_and_candidate:
      return "deployed_and_candidate";
  }
  return "unknown";
}

std::string_view to_string(CheckStatus s) {
  switch (s) {
    case CheckStatus::pass:
      return "pass";
    case CheckStatus::fail:
      return "fail";
    case CheckStatus::missing:
      return "missing";
    case CheckStatus::skipped:
      return "skipped";
    case CheckStatus::pending:
      return "pending";
    case CheckStatus::inconclusive:
      return "inconclusive";
  }
  return "fail";
}

bool blocks(const CheckResult& check) {
  if (check.status == CheckStatus::inconclusive)
    return !check.evidence || check.evidence->when_inconclusive != WhenInconclusive::pass;
  return check.status == CheckStatus::fail ||
         (check.status == CheckStatus::missing && !check.optional);
}

std::vector<std::string> rubric_test_ids(const TestCase& test) {
  std::vector<std::string> ids;
  if (test.classname.empty()) {
    ids.push_back(test.name);
    return ids;
  }
  ids.push_back(test.classname + "::" + test.name);
  std::vector<std::string_view> parts;
  std::string_view rest = test.classname;
  while (true) {
    std::size_t dot = rest.find('.');
    parts.push_back(rest.substr(0, dot));
    if (dot == std::string_view::npos) break;
    rest.remove_prefix(dot + 1);
  }
  for (std::size_t k = 1; k <= parts.size(); ++k) {
    std::string id;
    for (std::size_t i = 0; i < k; ++i) {
      if (i > 0) id += '/';
      id += parts[i];
    }
    id += ".py";
    for (std::size_t i = k; i < parts.size(); ++i) {
      id += "::";
      id += parts[i];
    }
    id += "::";
    id += test.name;
    ids.push_back(std::move(id));
  }
  return ids;
}

namespace {

// Rubric points from evidence files: 0.5 when the item's `manual` file exists, or for model-1 when
// the commit has a model card (docs/model-cards.md); what was found goes into `evidence`.
double manual_evidence(const RubricMapping& mapping, const std::string& id,
                       const PathExists& path_exists, std::vector<std::string>& evidence) {
  double manual = 0;
  if (auto m = mapping.manual.find(id); m != mapping.manual.end()) {
    if (!path_exists) {
      evidence.push_back("no repository tree to look for " + m->second);
    } else if (path_exists(m->second)) {
      manual = 0.5;
      evidence.push_back(m->second + " exists");
    } else {
      evidence.push_back(m->second + " not found");
    }
  }
  if (id == "model-1" && manual == 0 && path_exists && path_exists(kModelCardPath)) {
    manual = 0.5;
    evidence.push_back(std::string(kModelCardPath) + " exists (a model card)");
  }
  return manual;
}

}  // namespace

RubricScore score_rubric(const RubricMapping& mapping, const std::vector<TestCase>& tests,
                         const PathExists& path_exists) {
  RubricScore out;
  std::vector<std::vector<std::string>> ids;  // per test, built only when globs are configured
  if (!mapping.automated.empty()) {
    ids.reserve(tests.size());
    for (const TestCase& t : tests) ids.push_back(rubric_test_ids(t));
  }
  for (RubricSection sec : kRubricSections) out.sections[std::string(section_id(sec))] = 0;

  for (const RubricItem& item : rubric_items()) {
    RubricItemScore s{.id = std::string(item.id)};
    std::vector<CompiledGlob> globs;  // this item's, prepared once for all its tests' ids
    if (auto patterns = mapping.automated.find(s.id); patterns != mapping.automated.end())
      for (const std::string& p : patterns->second) globs.emplace_back(p);
    std::size_t mapped = 0, passed = 0;
    const TestCase* first_bad = nullptr;
    const TestCase* first_ok = nullptr;
    for (std::size_t i = 0; i < tests.size(); ++i) {
      const TestCase& t = tests[i];
      const bool is_mapped = std::find(t.mltest.begin(), t.mltest.end(), s.id) != t.mltest.end() ||
                             (!globs.empty() && any_matches(globs, ids[i]));
      if (!is_mapped) continue;
      ++mapped;
      if (t.status == TestStatus::passed) {
        ++passed;
        if (!first_ok) first_ok = &t;
      } else if (!first_bad) {
        first_bad = &t;
      }
    }
    std::vector<std::string> evidence;
    double automated = 0;
    if (mapped == 0) {
      evidence.push_back("no mapped test");
    } else if (passed == mapped) {
      automated = 1;
      evidence.push_back(mapped == 1 ? test_display_id(*first_ok) + " passed"
                                     : plural(mapped, "mapped test", "mapped tests") + " passed (" +
                                           test_display_id(*first_ok) + ", ...)");
    } else {
      evidence.push_back(test_display_id(*first_bad) + " " + to_string(first_bad->status) + " (" +
                         std::to_string(mapped - passed) + " of " +
                         plural(mapped, "mapped test", "mapped tests") + " did not pass)");
    }
    const double manual = manual_evidence(mapping, s.id, path_exists, evidence);
    s.points = std::max(automated, manual);
    s.evidence = join(evidence, "; ");
    out.sections[std::string(section_id(item.section))] += s.points;
    out.items.push_back(std::move(s));
  }
  bool first = true;
  for (RubricSection sec : kRubricSections) {
    const double v = out.sections[std::string(section_id(sec))];
    out.score = first ? v : std::min(out.score, v);
    first = false;
  }
  out.band = std::string(score_band(out.score));
  return out;
}

std::string gate_summary(const GateResult& g, bool has_baseline) {
  const bool compared = g.rules.kind == RulesInForceKind::deployed_and_candidate;
  std::string out(to_string(g.decision));
  out += ": ";
  if (g.decision == Decision::deny) {
    std::vector<std::string> failed;
    std::size_t inconclusive = 0;
    for (const CheckResult& c : g.checks) {
      if (!blocks(c)) continue;
      inconclusive += c.status == CheckStatus::inconclusive;
      // "slice recall[age_group=<30] 0.71 < min 0.8"; the name is left out where it only repeats
      // the kind ("predictions not reported ...").
      std::string kind(to_string(c.kind));
      std::string line = kind + " " + (c.name == kind ? "" : c.name + " ") + c.reason;
      if (compared) line += rule_set_mark(c.rule_set);
      failed.push_back(std::move(line));
    }
    // "2 checks failed: ...", "1 check failed, 1 inconclusive: ...", "1 check inconclusive: ..."
    const std::size_t hard = failed.size() - inconclusive;
    if (inconclusive == 0)
      out += plural(hard, "check", "checks") + " failed";
    else if (hard == 0)
      out += plural(inconclusive, "check", "checks") + " inconclusive";
    else
      out += plural(hard, "check", "checks") + " failed, " + std::to_string(inconclusive) +
             " inconclusive";
    out += ": " + join(failed, "; ");
  } else if (g.decision == Decision::pending) {
    std::vector<std::string> waiting;
    for (const CheckResult& c : g.checks) {
      if (c.status == CheckStatus::pending) waiting.push_back(c.name + " " + c.reason);
    }
    // Then the unfinished tiers no tier check names (tiers the gate does not require).
    for (const TierState& t : g.unfinished) {
      const bool named = std::any_of(g.checks.begin(), g.checks.end(), [&](const CheckResult& c) {
        return c.kind == CheckKind::tier && c.name == t.tier;
      });
      if (!named) waiting.push_back(t.tier + " is " + std::string(to_string(t.state)));
    }
    out += "waiting for tier " + join(waiting, ", ");
  } else {
    std::size_t passed = 0, skipped = 0, missing = 0, inconclusive = 0;
    for (const CheckResult& c : g.checks) {
      passed += c.status == CheckStatus::pass;
      skipped += c.status == CheckStatus::skipped;
      missing += c.status == CheckStatus::missing;
      inconclusive += c.status == CheckStatus::inconclusive;
    }
    if (g.checks.empty()) {
      out += "no checks";
    } else {
      out += plural(passed, "check", "checks") + " passed";
      if (inconclusive)
        out += ", " + std::to_string(inconclusive) + " inconclusive (counted as pass)";
      if (skipped) out += ", " + std::to_string(skipped) + " skipped";
      if (missing) out += ", " + std::to_string(missing) + " optional missing";
    }
  }
  if (!has_baseline) out += " (no deployed baseline: only absolute thresholds apply)";
  return out;
}

GateResult evaluate_gate(const GateInput& in) {
  GateResult g;
  const JobResults& cand = in.candidate;
  const JobResults* base = in.baseline;

  check_tiers(in, g.checks);
  check_values(in, g.checks);
  if (in.gate.predictions) check_predictions(*in.gate.predictions, cand, base, g.checks);

  g.rubric = score_rubric(in.rubric, cand.tests, in.path_exists);
  credit_reproducibility(g.rubric, g.checks);
  if (in.monitored)
    credit_monitored_production(g.rubric, in.monitored->environment, in.monitored->configured,
                                in.monitored->evaluated);
  if (in.gate.rubric) g.checks.push_back(check_rubric(*in.gate.rubric, g.rubric));

  const bool pending = std::any_of(g.checks.begin(), g.checks.end(), [](const CheckResult& c) {
    return c.status == CheckStatus::pending;
  });
  g.unfinished = unfinished_tiers(in);
  // While a tier of the candidate has not finished (a required one, or any other: a metric may
  // come from a tier the gate does not require), what it has not reported yet (a missing metric,
  // the rubric's tests) may still come: only a value that already fails, or a failed tier, denies.
  // An inconclusive interval that blocks is as final as a failing value.
  const bool waiting = pending || !g.unfinished.empty();
  const bool deny = std::any_of(g.checks.begin(), g.checks.end(), [&](const CheckResult& c) {
    if (!blocks(c)) return false;
    return !waiting || ((c.status == CheckStatus::fail || c.status == CheckStatus::inconclusive) &&
                        c.kind != CheckKind::rubric);
  });
  // Waiting only for tiers the gate does not require holds the decision only while something
  // blocks (what they may still report); with nothing blocking it allows.
  const bool held =
      pending || (waiting && std::any_of(g.checks.begin(), g.checks.end(),
                                         [](const CheckResult& c) { return blocks(c); }));
  g.decision = deny ? Decision::deny : held ? Decision::pending : Decision::allow;
  g.summary = gate_summary(g, in.baseline != nullptr);
  return g;
}

namespace {

// A text as the answer's JSON holds it after being written with invalid UTF-8 replaced (U+FFFD)
// and read back: the text itself when it is well formed.
template <typename Json>
Json text_value(const std::string& s) {
  if (well_formed_utf8(s)) return Json(s);
  return Json::parse(Json(s).dump(-1, ' ', false, Json::error_handler_t::replace));
}

template <typename Json>
Json number_value(const std::optional<double>& v) {
  if (!v || !std::isfinite(*v)) return nullptr;
  return *v;
}

template <typename Json>
Json interval_value(const std::optional<Interval>& i) {
  if (!i) return nullptr;
  return Json::array({number_value<Json>(i->lower), number_value<Json>(i->upper)});
}

template <typename Json>
Json examples_value(const std::vector<FlippedExample>& examples) {
  auto out = Json::array();
  for (const FlippedExample& e : examples)
    out.push_back({{"id", text_value<Json>(e.id)},
                   {"baseline", text_value<Json>(e.baseline)},
                   {"candidate", text_value<Json>(e.candidate)},
                   {"truth", e.truth ? text_value<Json>(*e.truth) : Json()}});
  return out;
}

template <typename Json>
void add_evidence(Json& check, const CheckEvidence& e) {
  check["confidence"] = number_value<Json>(e.confidence);
  check["interval"] = interval_value<Json>(e.interval);
  check["delta_interval"] = interval_value<Json>(e.delta_interval);
  check["n"] = e.n ? Json(*e.n) : Json();
  check["n_of"] = e.n_of.empty() ? Json() : text_value<Json>(e.n_of);
  check["method"] = text_value<Json>(e.method);
  check["p_value"] = number_value<Json>(e.p_value);
  check["inconclusive"] =
      e.when_inconclusive ? Json(std::string(to_string(*e.when_inconclusive))) : Json();
}

template <typename Json>
Json check_value(const CheckResult& c) {
  Json check{
      {"kind", std::string(to_string(c.kind))},     {"name", text_value<Json>(c.name)},
      {"status", std::string(to_string(c.status))}, {"value", number_value<Json>(c.value)},
      {"baseline", number_value<Json>(c.baseline)}, {"threshold", text_value<Json>(c.threshold)},
      {"reason", text_value<Json>(c.reason)}};
  if (c.evidence) add_evidence(check, *c.evidence);
  if (!c.repeats.empty()) {
    Json values = Json::array();
    for (double v : c.repeats) values.push_back(number_value<Json>(v));
    const auto [lo, hi] = std::minmax_element(c.repeats.begin(), c.repeats.end());
    check["repeats"] = Json{{"n", c.repeats.size()},
                            {"values", std::move(values)},
                            {"min", number_value<Json>(*lo)},
                            {"max", number_value<Json>(*hi)},
                            {"spread", number_value<Json>(*hi - *lo)}};
  }
  if (c.kind == CheckKind::predictions && c.name == "flip_rate")
    check["examples"] = examples_value<Json>(c.examples);
  return check;
}

template <typename Json>
Json result_value(const GateResult& result) {
  Json checks = Json::array();
  for (const CheckResult& c : result.checks) checks.push_back(check_value<Json>(c));
  Json sections = Json::object();
  for (RubricSection sec : kRubricSections) {
    const std::string id(section_id(sec));
    auto it = result.rubric.sections.find(id);
    sections[id] = it == result.rubric.sections.end() ? 0.0 : it->second;
  }
  Json items = Json::array();
  for (const RubricItemScore& i : result.rubric.items) {
    items.push_back(Json{{"id", text_value<Json>(i.id)},
                         {"points", i.points},
                         {"evidence", text_value<Json>(i.evidence)}});
  }
  return Json{{"decision", std::string(to_string(result.decision))},
              {"checks", std::move(checks)},
              {"rubric", Json{{"score", number_value<Json>(result.rubric.score)},
                              {"sections", std::move(sections)},
                              {"band", text_value<Json>(result.rubric.band)},
                              {"items", std::move(items)}}}};
}

}  // namespace

std::string gate_result_json(const GateResult& result, int indent) {
  return result_value<nlohmann::ordered_json>(result).dump(
      indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

nlohmann::json gate_result_value(const GateResult& result) {
  return result_value<nlohmann::json>(result);
}

}  // namespace mlgate::core
