// The gate's metric checks on a tier run with `repeat: N` (docs/gate.md "Repeats"): the value is
// the mean of the repeats; the result names the repeats and their spread; with a confidence the
// mean is judged by its Student-t interval (a change: Welch's interval when the baseline has
// repeats too); `max_spread` bounds max - min over the repeats.
#include <algorithm>
#include <cmath>

#include "core/gate_checks.h"
#include "core/number_text.h"
#include "core/rubric.h"

namespace mlgate::core::gate_detail {
namespace {

const std::vector<double>* repeat_values_of(const JobResults& results, const std::string& name) {
  auto it = results.repeat_values.find(name);
  return it == results.repeat_values.end() ? nullptr : &it->second;
}

double spread_of(const std::vector<double>& values) {
  const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
  return *hi - *lo;
}

// A result on the repeats' mean: the values, the point evidence, the reason naming them.
void annotate(CheckResult& r, const std::vector<double>& values) {
  r.repeats = values;
  CheckEvidence& e = r.evidence.emplace();
  e.method = "mean of repeats";
  e.n = static_cast<std::int64_t>(values.size());
  e.n_of = "repeats";
  r.reason += " (mean of " + repeats_text(values) + ")";
}

WhenInconclusive when_of(const MetricCheck& c, const GateInput& in) {
  if (c.stats.when_inconclusive) return *c.stats.when_inconclusive;
  return in.gate.statistics ? in.gate.statistics->when_inconclusive : WhenInconclusive::fail;
}

// Sets a result's status, reason and evidence from an interval's verdict (as for the checks from
// predictions), keeping its repeats.
void judge(CheckResult& r, Verdict v, const Evidence& e, bool delta, double level,
           double confidence, WhenInconclusive when, const std::string& text) {
  r.status = v == Verdict::pass   ? CheckStatus::pass
             : v == Verdict::fail ? CheckStatus::fail
                                  : CheckStatus::inconclusive;
  r.reason = text + " (" + method_text(e, level, confidence) + "; " + repeats_text(r.repeats) + ")";
  if (v == Verdict::inconclusive)
    r.reason += ": inconclusive (when_inconclusive: " + std::string(to_string(when)) + ")";
  CheckEvidence& ev = r.evidence.emplace();
  ev.confidence = level;
  (delta ? ev.delta_interval : ev.interval) = e.interval;
  ev.n = e.n;
  ev.n_of = e.n_of;
  ev.method = e.method;
  ev.when_inconclusive = when;
}

Evidence repeats_evidence(const std::vector<double>& values, const std::string& method) {
  Evidence e;
  e.n = static_cast<std::int64_t>(values.size());
  e.n_of = "repeats";
  e.method = method;
  return e;
}

// The mean against min/max by its Student-t interval.
void judge_bounds(std::optional<double> min, std::optional<double> max, double level,
                  double confidence, WhenInconclusive when, CheckResult& r) {
  Evidence e = repeats_evidence(r.repeats, "student_t");
  e.estimate = sample_mean(r.repeats);
  e.interval = student_t_mean_interval(r.repeats, level);
  const Verdict v = bounds_verdict(e.interval, min, max);
  judge(r, v, e, false, level, confidence, when, bounds_verdict_text(e.estimate, e, v, min, max));
}

// The change against the baseline: Welch's interval over both sets of repeats, or, when the
// baseline ran once, the mean's Student-t interval minus the baseline's value.
void judge_change(const MetricCheck& c, const std::vector<double>* base_values, double level,
                  double confidence, WhenInconclusive when, CheckResult& r) {
  const double b = *r.baseline;
  const bool welch = base_values != nullptr && base_values->size() >= 2;
  Evidence e = repeats_evidence(r.repeats, welch ? "welch_t" : "student_t");
  e.estimate = sample_mean(r.repeats) - b;
  if (welch) {
    e.interval = welch_difference_interval(r.repeats, *base_values, level);
  } else {
    const Interval mean = student_t_mean_interval(r.repeats, level);
    e.interval = Interval{mean.lower - b, mean.upper - b};
  }
  const Threshold& t = c.max_drop ? *c.max_drop : *c.max_increase;
  const double allowed = t.percent ? t.value * std::fabs(b) : t.value;
  const bool higher = !c.lower_is_better;
  const Verdict v = change_verdict(e.interval, higher, allowed);
  const double limit = higher ? -allowed : allowed;
  std::string key = std::string(c.max_drop ? "max_drop " : "max_increase ") + threshold_text(t);
  if (t.percent) key += " of " + number_text(b);
  const std::string cmp = v == Verdict::inconclusive ? " straddles "
                          : v == Verdict::pass       ? (higher ? " >= " : " <= ")
                                                     : (higher ? " < " : " > ");
  std::string text =
      number_text(*r.value) + " vs baseline " + number_text(b) +
      (welch ? " (mean of " + std::to_string(base_values->size()) + " repeats)" : "") +
      ": change " + signed_text(e.estimate) + " in " + interval_text(e.interval, limit, true) +
      cmp + signed_text(limit) + " (" + key + ")";
  judge(r, v, e, true, level, confidence, when, text);
}

// What max_spread says of one metric's (or one slice's) values over the repeats.
CheckResult spread_result(CheckKind kind, const std::string& name, double max_spread, bool optional,
                          int line, const std::vector<double>* values) {
  CheckResult r{.kind = kind,
                .name = name,
                .threshold = "max_spread " + number_text(max_spread),
                .optional = optional,
                .line = line};
  if (values == nullptr || values->size() < 2) {
    r.status = CheckStatus::missing;
    r.reason = std::string(values == nullptr ? "reported by one run only"
                                             : "reported by one repeat only") +
               ": max_spread needs the tier that reports it to run with 'repeat: N'";
    return r;
  }
  const double spread = spread_of(*values);
  r.value = spread;
  r.repeats = *values;
  CheckEvidence& e = r.evidence.emplace();
  e.method = "spread of repeats";
  e.n = static_cast<std::int64_t>(values->size());
  e.n_of = "repeats";
  const bool ok = std::isfinite(spread) && spread <= max_spread + tol(spread, max_spread);
  r.status = ok ? CheckStatus::pass : CheckStatus::fail;
  const auto [lo, hi] = std::minmax_element(values->begin(), values->end());
  std::string values_text;
  for (double v : *values) values_text += (values_text.empty() ? "" : ", ") + number_text(v);
  r.reason = "spread " + number_text(spread) + (ok ? " <= " : " > ") + "max_spread " +
             number_text(max_spread) + " (max " + number_text(*hi) + " - min " + number_text(*lo) +
             " over " + std::to_string(values->size()) + " repeats: " + values_text + ")";
  return r;
}

const std::vector<double>* slice_values_of(const JobResults& results, const SliceCheck& c,
                                           const std::string& group) {
  auto it = results.slice_repeat_values.find({c.metric, c.by, group});
  return it == results.slice_repeat_values.end() ? nullptr : &it->second;
}

// The slice values of the check reported in `cand` (each once: the results are a merge).
std::vector<const Metric*> slice_metrics(const SliceCheck& c, const JobResults& cand) {
  std::vector<const Metric*> out;
  for (const Metric& m : cand.metrics)
    if (m.name == c.metric && m.slice_key == c.by) out.push_back(&m);
  return out;
}

// Per repeat, the best judged group minus the worst; empty unless every judged group has a
// value in each of the `repeats` repeats.
std::vector<double> gaps_per_repeat(const SliceCheck& c, const JobResults& cand, int repeats) {
  std::vector<const std::vector<double>*> groups;
  for (const Metric* m : slice_metrics(c, cand)) {
    if (m->n && *m->n < c.min_n) continue;
    const std::vector<double>* values = slice_values_of(cand, c, m->slice_value);
    if (values == nullptr || values->size() != static_cast<std::size_t>(repeats)) return {};
    groups.push_back(values);
  }
  if (groups.size() < 2 || repeats < 2) return {};
  std::vector<double> gaps;
  for (int k = 0; k < repeats; ++k) {
    double lo = (*groups[0])[k], hi = lo;
    for (const auto* g : groups) {
      lo = std::min(lo, (*g)[k]);
      hi = std::max(hi, (*g)[k]);
    }
    gaps.push_back(hi - lo);
  }
  return gaps;
}

IntervalJob gap_job(std::size_t index, const SliceCheck& c, std::vector<double> gaps) {
  const double confidence = *c.stats.confidence;
  const WhenInconclusive when = c.stats.when_inconclusive.value_or(WhenInconclusive::fail);
  return IntervalJob{index, confidence,
                     [gaps = std::move(gaps), max_gap = *c.max_gap, confidence, when](
                         double level, CheckResult& r) {
                       r.repeats = gaps;
                       Evidence e = repeats_evidence(gaps, "student_t");
                       e.estimate = sample_mean(gaps);
                       e.interval = student_t_mean_interval(gaps, level);
                       const Verdict v = bounds_verdict(e.interval, std::nullopt, max_gap);
                       std::string text = "mean gap " + bounds_verdict_text(e.estimate, e, v,
                                                                            std::nullopt, max_gap);
                       const auto at = text.find(" max ");
                       if (at != std::string::npos) text.replace(at, 5, " max_gap ");
                       judge(r, v, e, false, level, confidence, when, text);
                     }};
}

// max_spread of each slice; one missing result when no slice was reported by repeats.
void slice_spreads(const SliceCheck& c, const JobResults& cand, std::vector<CheckResult>& out) {
  const std::string key = c.metric + "[" + c.by + "]";
  const std::vector<const Metric*> entries = slice_metrics(c, cand);
  const bool any = std::any_of(entries.begin(), entries.end(), [&](const Metric* m) {
    return slice_values_of(cand, c, m->slice_value) != nullptr;
  });
  if (!any)
    return out.push_back(
        spread_result(CheckKind::slice, key, *c.max_spread, c.optional, c.line, nullptr));
  for (const Metric* m : entries)
    out.push_back(spread_result(CheckKind::slice,
                                c.metric + "[" + c.by + "=" + m->slice_value + "]", *c.max_spread,
                                c.optional, c.line, slice_values_of(cand, c, m->slice_value)));
}

}  // namespace

void credit_reproducibility(RubricScore& score, const std::vector<CheckResult>& checks) {
  const auto spread = std::find_if(checks.begin(), checks.end(), [](const CheckResult& c) {
    return c.status == CheckStatus::pass && c.threshold.rfind("max_spread ", 0) == 0;
  });
  if (spread == checks.end()) return;
  for (RubricItemScore& item : score.items) {
    if (item.id != "infra-1" || item.points >= 1) continue;
    const double gained = 1 - item.points;
    item.points = 1;
    item.evidence = std::string(to_string(spread->kind)) + " " + spread->name + " " +
                    spread->reason + "; " + item.evidence;
    score.sections["infra"] += gained;
  }
  bool first = true;
  for (const auto& [id, v] : score.sections) {
    score.score = first ? v : std::min(score.score, v);
    first = false;
  }
  score.band = std::string(score_band(score.score));
}

std::string repeats_text(const std::vector<double>& values) {
  std::string out = std::to_string(values.size()) + " repeats: ";
  for (std::size_t i = 0; i < values.size(); ++i)
    out += (i == 0 ? "" : ", ") + number_text(values[i]);
  return out + "; spread " + number_text(spread_of(values));
}

void check_metric_repeats(const MetricCheck& c, const GateInput& in, std::size_t first,
                          std::vector<CheckResult>& out, std::vector<IntervalJob>& jobs) {
  // Not reported (check_metric said so), or not a number (it failed already).
  if (out.size() == first + 1 && out[first].status == CheckStatus::missing) return;
  for (std::size_t i = first; i < out.size(); ++i)
    if (out[i].value && !std::isfinite(*out[i].value)) return;
  const std::vector<double>* values = repeat_values_of(in.candidate, c.name);
  const std::vector<double>* base_values =
      in.baseline ? repeat_values_of(*in.baseline, c.name) : nullptr;
  if (values != nullptr && values->size() >= 2) {
    const std::string change_text = change_threshold_text(c);
    const WhenInconclusive when = when_of(c, in);
    for (std::size_t i = first; i < out.size(); ++i) {
      CheckResult& r = out[i];
      annotate(r, *values);
      if (!c.stats.confidence || (r.status != CheckStatus::pass && r.status != CheckStatus::fail))
        continue;
      const double confidence = *c.stats.confidence;
      const bool is_change = (c.max_drop || c.max_increase) && r.threshold == change_text;
      jobs.push_back(IntervalJob{
          i, confidence,
          [c, base_values, confidence, when, is_change](double level, CheckResult& res) {
            if (is_change)
              judge_change(c, base_values, level, confidence, when, res);
            else
              judge_bounds(c.min, c.max, level, confidence, when, res);
          }});
    }
  }
  if (c.max_spread)
    out.push_back(
        spread_result(CheckKind::metric, c.name, *c.max_spread, c.optional, c.line, values));
}

void check_slice_repeats(const SliceCheck& c, const JobResults& cand, int repeats,
                         std::size_t first, std::vector<CheckResult>& out,
                         std::vector<IntervalJob>& jobs) {
  const std::string gap_name = c.metric + "[" + c.by + "] gap";
  const std::string prefix = c.metric + "[" + c.by + "=";
  const WhenInconclusive when = c.stats.when_inconclusive.value_or(WhenInconclusive::fail);
  for (std::size_t i = first; i < out.size(); ++i) {
    CheckResult& r = out[i];
    const bool judged = r.status == CheckStatus::pass || r.status == CheckStatus::fail;
    if (r.name == gap_name) {
      if (!c.stats.confidence || !judged) continue;
      std::vector<double> gaps = gaps_per_repeat(c, cand, repeats);
      if (!gaps.empty()) jobs.push_back(gap_job(i, c, std::move(gaps)));
      continue;
    }
    if (!r.name.starts_with(prefix) || !r.name.ends_with("]")) continue;
    const std::vector<double>* values =
        slice_values_of(cand, c, r.name.substr(prefix.size(), r.name.size() - prefix.size() - 1));
    if (values == nullptr || values->size() < 2 || (r.value && !std::isfinite(*r.value))) continue;
    annotate(r, *values);
    if (!c.stats.confidence || !judged) continue;
    jobs.push_back(IntervalJob{i, *c.stats.confidence,
                               [min = c.min, max = c.max, confidence = *c.stats.confidence, when](
                                   double level, CheckResult& res) {
                                 judge_bounds(min, max, level, confidence, when, res);
                               }});
  }
  if (c.max_spread) slice_spreads(c, cand, out);
}

void check_fairness_repeats(const FairnessCheck& c, const JobResults& cand, int repeats,
                            std::size_t first, std::vector<CheckResult>& out,
                            std::vector<IntervalJob>& jobs) {
  const std::string prefix = c.metric + "[" + c.by + "=";
  const WhenInconclusive when = c.stats.when_inconclusive.value_or(WhenInconclusive::fail);
  auto values_of = [&](const std::string& group) -> const std::vector<double>* {
    auto it = cand.slice_repeat_values.find({c.metric, c.by, group});
    return it == cand.slice_repeat_values.end() ||
                   it->second.size() != static_cast<std::size_t>(repeats)
               ? nullptr
               : &it->second;
  };
  for (std::size_t i = first; i < out.size(); ++i) {
    CheckResult& r = out[i];
    const auto vs = r.name.rfind(" vs ");
    if (!r.name.starts_with(prefix) || vs == std::string::npos || !r.value ||
        !std::isfinite(*r.value) || repeats < 2)
      continue;
    const auto* g = values_of(r.name.substr(prefix.size(), vs - prefix.size()));
    const auto* ref = values_of(r.name.substr(vs + 4, r.name.size() - vs - 5));
    if (g == nullptr || ref == nullptr) continue;
    std::vector<double> ratios;
    for (int k = 0; k < repeats; ++k) ratios.push_back((*g)[k] / (*ref)[k]);
    if (!std::all_of(ratios.begin(), ratios.end(), [](double x) { return std::isfinite(x); }))
      continue;
    annotate(r, ratios);
    r.reason.replace(r.reason.rfind(" (mean of "), 10, " (ratio to the reference in ");
    if (!c.stats.confidence || (r.status != CheckStatus::pass && r.status != CheckStatus::fail))
      continue;
    jobs.push_back(IntervalJob{i, *c.stats.confidence,
                               [lo = c.lo, hi = c.hi, confidence = *c.stats.confidence, when](
                                   double level, CheckResult& res) {
                                 judge_bounds(lo, hi, level, confidence, when, res);
                               }});
  }
}

}  // namespace mlgate::core::gate_detail
