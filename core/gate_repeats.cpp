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
void judge_bounds(const MetricCheck& c, double level, double confidence, WhenInconclusive when,
                  CheckResult& r) {
  Evidence e = repeats_evidence(r.repeats, "student_t");
  e.estimate = sample_mean(r.repeats);
  e.interval = student_t_mean_interval(r.repeats, level);
  const Verdict v = bounds_verdict(e.interval, c.min, c.max);
  judge(r, v, e, false, level, confidence, when,
        bounds_verdict_text(e.estimate, e, v, c.min, c.max));
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

CheckResult spread_result(const MetricCheck& c, const std::vector<double>* values) {
  CheckResult r{.kind = CheckKind::metric,
                .name = c.name,
                .threshold = "max_spread " + number_text(*c.max_spread),
                .optional = c.optional,
                .line = c.line};
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
  const bool ok = std::isfinite(spread) && spread <= *c.max_spread + tol(spread, *c.max_spread);
  r.status = ok ? CheckStatus::pass : CheckStatus::fail;
  const auto [lo, hi] = std::minmax_element(values->begin(), values->end());
  std::string values_text;
  for (double v : *values) values_text += (values_text.empty() ? "" : ", ") + number_text(v);
  r.reason = "spread " + number_text(spread) + (ok ? " <= " : " > ") + "max_spread " +
             number_text(*c.max_spread) + " (max " + number_text(*hi) + " - min " +
             number_text(*lo) + " over " + std::to_string(values->size()) +
             " repeats: " + values_text + ")";
  return r;
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
    item.evidence = "metric " + spread->name + " " + spread->reason + "; " + item.evidence;
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
              judge_bounds(c, level, confidence, when, res);
          }});
    }
  }
  if (c.max_spread) out.push_back(spread_result(c, values));
}

}  // namespace mlgate::core::gate_detail
