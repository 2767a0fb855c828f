// The gate's checks `from: predictions` (docs/gate.md "Evidence"): the metric computed from the
// examples with a truth, for the candidate and its baseline alike, judged like a reported metric
// (the point checks of core/gate.cpp) or, with a confidence, by its interval: pass, fail or
// inconclusive.
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <variant>

#include "core/gate_checks.h"
#include "core/gate_evidence.h"
#include "core/number_text.h"
#include "core/seeded_rng.h"

namespace mlgate::core::gate_detail {

ComputedInput::ComputedInput(const GateInput& in) : input(in) {
  candidate_rows = rows_with_truth(in.candidate.predictions);
  if (in.baseline) baseline_rows = rows_with_truth(in.baseline->predictions);
  if (!candidate_rows.empty()) task = infer_task(candidate_rows);
}

const PairedRows& ComputedInput::paired() {
  if (!pairs)
    pairs = input.baseline ? pair_by_id(input.candidate.predictions, input.baseline->predictions)
                           : PairedRows{};
  return *pairs;
}

namespace {

// What a check from predictions is judged by: its own settings, else the gate's statistics.
struct Settings {
  std::optional<double> confidence;
  WhenInconclusive when = WhenInconclusive::fail;
  int resamples = kDefaultResamples;
  MetricOptions options;  // the task (the candidate's) and the positive label, for both sides
};

Settings settings_of(const CheckStatistics& s, const ComputedInput& in) {
  const std::optional<GateStatistics>& g = in.input.gate.statistics;
  Settings out;
  out.confidence = s.confidence ? s.confidence : g ? g->confidence : std::nullopt;
  out.when = s.when_inconclusive.value_or(g ? g->when_inconclusive : WhenInconclusive::fail);
  out.resamples = g ? g->resamples : kDefaultResamples;
  out.options.task = in.task.value_or(MetricTask::binary);
  if (s.positive_label)
    out.options.positive_label = *s.positive_label;
  else if (g && g->positive_label)
    out.options.positive_label = *g->positive_label;
  else if (!in.candidate_rows.empty())
    out.options.positive_label = default_positive_label(in.candidate_rows);
  return out;
}

// Why the metric cannot be computed for the candidate at all; nullopt when it can be tried.
std::optional<std::string> not_computable(const std::optional<ExampleMetric>& m,
                                          std::string_view name, const ComputedInput& in) {
  if (!m) return "is not a metric mlgate computes";
  if (in.input.candidate.predictions.empty()) return "not computed: no predictions.jsonl";
  if (in.candidate_rows.empty())
    return "not computed: no line of predictions.jsonl has a truth (" +
           std::to_string(in.input.candidate.predictions.size()) + " lines)";
  if (!metric_applies(*m, *in.task)) {
    std::string known;
    for (ExampleMetric k : metrics_of(*in.task))
      known += (known.empty() ? "" : ", ") + to_string(k);
    return "not computed: " + std::string(name) + " is not a metric of " + to_string(*in.task) +
           " predictions (those are " + known + ")";
  }
  return std::nullopt;
}

using Prepared = std::variant<PreparedMetric, std::string>;

Prepared prepare_on(ExampleMetric m, const ExampleRows& rows, const Settings& st) {
  return PreparedMetric::prepare(m, rows, st.options);
}

std::uint64_t one_sample_seed(const ComputedInput& in, const std::string& check) {
  const std::vector<std::string> parts{std::string(in.input.candidate_sha), check};
  return seed_from(parts);
}

std::uint64_t paired_seed(const ComputedInput& in, const std::string& check) {
  const std::vector<std::string> parts{std::string(in.input.candidate_sha),
                                       std::string(in.input.baseline_sha), check};
  return seed_from(parts);
}

}  // namespace

std::string bound_text(double v, std::optional<double> than) {
  std::string s = number_text(v, 4);
  if (than && v != *than && s == number_text(*than, 4)) s = number_texts(v, *than).first;
  return s;
}

std::string signed_text(double v, std::optional<double> than) {
  return (v > 0 ? "+" : "") + bound_text(v, than);
}

std::string interval_text(const Interval& i, std::optional<double> than, bool sign) {
  auto one = [&](double v) { return sign ? signed_text(v, than) : bound_text(v, than); };
  return "[" + one(i.lower) + ", " + one(i.upper) + "]";
}

// What an interval against bounds says: "0.894 in [0.81, 0.945] straddles min 0.85".
std::string bounds_verdict_text(double value, const Evidence& e, Verdict v,
                                std::optional<double> min, std::optional<double> max) {
  std::string out = number_text(value);
  if (!e.defined()) return out + ": no resample defines it";
  const Interval& i = e.interval;
  out += " in " + interval_text(i, min ? min : max);
  if (v == Verdict::fail) {
    if (min && i.upper < *min) return out + " < min " + number_text(*min);
    return out + " > max " + number_text(*max);
  }
  if (v == Verdict::pass) {
    if (min && max) return out + " within [" + number_text(*min) + ", " + number_text(*max) + "]";
    return out + (min ? " >= min " + number_text(*min) : " <= max " + number_text(*max));
  }
  if (min && i.lower < *min) return out + " straddles min " + number_text(*min);
  return out + " straddles max " + number_text(*max);
}

namespace {

// How a reason names a method: "Wilson", "Student t", "Welch t", else the method itself.
std::string method_name(const std::string& method) {
  if (method == "wilson") return "Wilson";
  if (method == "student_t") return "Student t";
  if (method == "welch_t") return "Welch t";
  return method;
}

}  // namespace

// "95% Wilson, n=85 positives", "99.2857% (95% with Bonferroni) paired bootstrap, n=228 examples,
// 3 of 2000 resamples undefined; McNemar p=0.0625".
std::string method_text(const Evidence& e, double level, double confidence) {
  std::string out = percent_text(level);
  if (level != confidence) out += " (" + percent_text(confidence) + " with Bonferroni)";
  out += " " + method_name(e.method) + ", n=" + std::to_string(e.n) + " " + e.n_of;
  if (e.undefined > 0)
    out += ", " + std::to_string(e.undefined) + " of " + std::to_string(e.resamples) +
           " resamples undefined";
  if (e.p_value) out += "; McNemar p=" + number_text(*e.p_value, 4);
  return out;
}

namespace {

// Sets a result's status, reason and evidence from an interval's verdict. `text` says what was
// compared ("0.894 in [0.81, 0.945] straddles min 0.85").
void judge(CheckResult& r, Verdict v, const Evidence& e, bool delta, double level,
           double confidence, const Settings& st, const std::string& text) {
  r.status = v == Verdict::pass   ? CheckStatus::pass
             : v == Verdict::fail ? CheckStatus::fail
                                  : CheckStatus::inconclusive;
  r.reason = text + " (" + method_text(e, level, confidence) + ")";
  if (v == Verdict::inconclusive)
    r.reason += ": inconclusive (when_inconclusive: " + std::string(to_string(st.when)) + ")";
  CheckEvidence& ev = r.evidence.emplace();
  ev.confidence = level;
  (delta ? ev.delta_interval : ev.interval) = e.interval;
  ev.n = e.n;
  ev.n_of = e.n_of;
  ev.method = e.method;
  ev.p_value = e.p_value;
  ev.when_inconclusive = st.when;
}

// The evidence of a point result: what the value rests on.
CheckEvidence point_evidence(const PreparedMetric& m) {
  CheckEvidence e;
  e.method = "point";
  if (auto ratio = m.ratio()) {
    e.n = static_cast<std::int64_t>(ratio->denominator);
    e.n_of = std::string(proportion_unit(m.metric()));
  } else {
    e.n = static_cast<std::int64_t>(m.size());
    e.n_of = "examples";
  }
  return e;
}

// The job of a result judged by the interval of one group's (or the whole set's) metric.
IntervalJob value_job(std::size_t index, PreparedMetric prepared, const Settings& st,
                      const ComputedInput& in, std::optional<double> min,
                      std::optional<double> max) {
  return IntervalJob{
      index, *st.confidence,
      [prepared = std::move(prepared), st, in = &in, min, max](double level, CheckResult& r) {
        const Evidence e =
            value_interval(prepared, level, one_sample_seed(*in, r.name), st.resamples);
        const Verdict v = bounds_verdict(e.interval, min, max);
        judge(r, v, e, false, level, *st.confidence, st,
              bounds_verdict_text(prepared.evaluate().value, e, v, min, max));
      }};
}

// ---------------------------------------------------------------------------------------------
// Metric checks

// The change of a metric check against its baseline, over the ids both have.
void judge_change(const MetricCheck& c, ExampleMetric m, const Settings& st, ComputedInput& in,
                  double level, CheckResult& r) {
  const PairedRows& pairs = in.paired();
  if (pairs.candidate.empty()) {
    r.status = CheckStatus::skipped;
    r.reason = "no example id has the same truth in both predictions: change not checked";
    return;
  }
  Prepared cand = prepare_on(m, pairs.candidate, st);
  Prepared base = prepare_on(m, pairs.baseline, st);
  for (const Prepared* p : {&cand, &base}) {
    if (const auto* problem = std::get_if<std::string>(p)) {
      r.status = CheckStatus::missing;
      r.reason = "the change cannot be computed: " + *problem;
      return;
    }
  }
  std::optional<std::pair<std::uint64_t, std::uint64_t>> discordant;
  if (m == ExampleMetric::accuracy || m == ExampleMetric::error_rate)
    discordant = discordant_pairs(pairs, st.options.task, st.options.positive_label);
  const Evidence e = change_interval(std::get<PreparedMetric>(cand), std::get<PreparedMetric>(base),
                                     level, paired_seed(in, r.name), st.resamples, discordant);
  const Threshold& t = c.max_drop ? *c.max_drop : *c.max_increase;
  const double b = *r.baseline;
  const double allowed = t.percent ? t.value * std::fabs(b) : t.value;
  const bool higher = !c.lower_is_better;
  const Verdict v = change_verdict(e.interval, higher, allowed);
  const double limit = higher ? -allowed : allowed;
  std::string key = std::string(c.max_drop ? "max_drop " : "max_increase ") + threshold_text(t);
  if (t.percent) key += " of " + number_text(b);
  std::string text = number_text(*r.value) + " vs baseline " + number_text(b) + ": change " +
                     signed_text(e.estimate);
  if (!e.defined()) {
    text += ", no resample defines it (" + key + ")";
  } else {
    const std::string cmp = v == Verdict::inconclusive ? " straddles "
                            : v == Verdict::pass       ? (higher ? " >= " : " <= ")
                                                       : (higher ? " < " : " > ");
    text += " in " + interval_text(e.interval, limit, true) + cmp + signed_text(limit) + " (" +
            key + ")";
  }
  judge(r, v, e, true, level, *st.confidence, st, text);
}

}  // namespace

void check_metric_computed(const MetricCheck& c, ComputedInput& in, std::vector<CheckResult>& out,
                           std::vector<IntervalJob>& jobs) {
  const auto m = example_metric_from_string(c.name);
  const Settings st = settings_of(c.stats, in);
  std::vector<std::string> all;
  if (c.min || c.max) all.push_back(bounds_text(c.min, c.max));
  if (c.max_drop || c.max_increase) all.push_back(change_threshold_text(c));
  auto missing = [&](const std::string& why) {
    out.push_back(
        missing_result(CheckKind::metric, c.name, join(all, ", "), why, c.optional, c.line));
  };
  if (auto why = not_computable(m, c.name, in)) return missing(*why);
  Prepared cand = prepare_on(*m, in.candidate_rows, st);
  if (const auto* problem = std::get_if<std::string>(&cand))
    return missing("not computed: " + *problem);
  const PreparedMetric& prepared = std::get<PreparedMetric>(cand);
  const MetricValue cv = prepared.evaluate();
  if (!cv.defined)
    return missing("not defined on the candidate's " + std::to_string(prepared.size()) +
                   " examples with a truth (e.g. no positive truth for recall)");

  // The baseline, computed the same way; why it has no value.
  std::string base_problem;
  Metric cm{.name = c.name, .value = cv.value}, bm{.name = c.name};
  MetricIndex cand_index{{cm.name, &cm}}, base_index;
  if (in.input.baseline) {
    Prepared base = prepare_on(*m, in.baseline_rows, st);
    if (in.baseline_rows.empty()) {
      base_problem = "the deployed baseline's predictions have no truth";
    } else if (const auto* problem = std::get_if<std::string>(&base)) {
      base_problem = "the deployed baseline's " + c.name + " cannot be computed (" + *problem + ")";
    } else if (const MetricValue bv = std::get<PreparedMetric>(base).evaluate(); !bv.defined) {
      base_problem = "the deployed baseline's " + c.name + " is not defined";
    } else {
      bm.value = bv.value;
      base_index[bm.name] = &bm;
    }
  }
  const std::size_t first = out.size();
  check_metric(c, cand_index, in.input.baseline ? &base_index : nullptr, out);
  const std::string change_text = change_threshold_text(c);
  for (std::size_t i = first; i < out.size(); ++i) {
    CheckResult& r = out[i];
    r.evidence = point_evidence(prepared);
    const bool is_change = (c.max_drop || c.max_increase) && r.threshold == change_text;
    if (r.status == CheckStatus::skipped && !base_problem.empty())
      r.reason = base_problem + ": change not checked";
    if (!st.confidence || (r.status != CheckStatus::pass && r.status != CheckStatus::fail))
      continue;
    if (!is_change) {
      jobs.push_back(value_job(i, prepared, st, in, c.min, c.max));
      continue;
    }
    jobs.push_back(
        IntervalJob{i, *st.confidence, [c, m = *m, st, in = &in](double level, CheckResult& r) {
                      judge_change(c, m, st, *in, level, r);
                    }});
  }
}

// ---------------------------------------------------------------------------------------------
// Slice and fairness checks

namespace {

// One group of a slice feature with its metric computed: the rows, the prepared metric and the
// value as a reported slice metric would carry it (n = the group's examples).
struct ComputedGroup {
  const SliceGroup* group = nullptr;
  std::optional<PreparedMetric> prepared;
  Metric metric;
  bool defined = false;
};

// The groups of `by` with the metric computed on each; a problem when one cannot be computed.
std::variant<std::vector<ComputedGroup>, std::string> compute_groups(
    ExampleMetric m, const std::vector<SliceGroup>& groups, const std::string& name,
    const std::string& by, const Settings& st) {
  std::vector<ComputedGroup> out;
  out.reserve(groups.size());
  for (const SliceGroup& g : groups) {
    ComputedGroup cg{.group = &g};
    Prepared p = prepare_on(m, g.rows, st);
    if (auto* problem = std::get_if<std::string>(&p))
      return "not computed for " + by + "=" + g.value + ": " + *problem;
    cg.prepared = std::get<PreparedMetric>(std::move(p));
    const MetricValue v = cg.prepared->evaluate();
    cg.defined = v.defined;
    cg.metric = Metric{.name = name,
                       .slice_key = by,
                       .slice_value = g.value,
                       .n = static_cast<std::int64_t>(g.rows.size()),
                       .value = v.value};
    out.push_back(std::move(cg));
  }
  return out;
}

// The baseline's groups that define the metric (for display: the baseline column).
std::vector<ComputedGroup> baseline_groups(ExampleMetric m, const std::vector<SliceGroup>& groups,
                                           const std::string& name, const std::string& by,
                                           const Settings& st) {
  auto computed = compute_groups(m, groups, name, by, st);
  if (std::holds_alternative<std::string>(computed)) return {};
  auto all = std::get<std::vector<ComputedGroup>>(std::move(computed));
  std::erase_if(all, [](const ComputedGroup& g) { return !g.defined; });
  return all;
}

std::vector<const Metric*> defined_metrics(const std::vector<ComputedGroup>& groups) {
  std::vector<const Metric*> out;
  for (const ComputedGroup& g : groups)
    if (g.defined) out.push_back(&g.metric);
  return out;
}

const ComputedGroup* find_group(const std::vector<ComputedGroup>& groups, std::string_view value) {
  for (const ComputedGroup& g : groups)
    if (g.group->value == value) return &g;
  return nullptr;
}

// Everything a slice or fairness check from predictions starts from; `problem` when it cannot.
struct GroupsInput {
  std::vector<SliceGroup> groups, base_slice_groups;
  std::vector<ComputedGroup> computed, base;
  std::string problem;
};

GroupsInput groups_input(const std::string& metric, const std::string& by, const Settings& st,
                         const ComputedInput& in) {
  GroupsInput out;
  const auto m = example_metric_from_string(metric);
  if (auto why = not_computable(m, metric, in)) {
    out.problem = *why;
    return out;
  }
  out.groups = group_by_slice(in.candidate_rows, by);
  if (out.groups.empty()) {
    out.problem = "no example with a truth has slices." + by;
    return out;
  }
  auto computed = compute_groups(*m, out.groups, metric, by, st);
  if (auto* problem = std::get_if<std::string>(&computed)) {
    out.problem = *problem;
    return out;
  }
  out.computed = std::get<std::vector<ComputedGroup>>(std::move(computed));
  out.base_slice_groups = group_by_slice(in.baseline_rows, by);
  out.base = baseline_groups(*m, out.base_slice_groups, metric, by, st);
  return out;
}

// A group whose metric is not defined (recall of a group without positives) is not judged.
CheckResult undefined_group(CheckKind kind, std::string name, std::string threshold,
                            const ComputedGroup& g, const std::string& metric, bool optional,
                            int line) {
  return CheckResult{.kind = kind,
                     .name = std::move(name),
                     .status = CheckStatus::skipped,
                     .threshold = std::move(threshold),
                     .reason = metric + " is not defined for " + g.group->value +
                               " (n=" + std::to_string(g.group->rows.size()) + "): not judged",
                     .optional = optional,
                     .line = line};
}

// The gap job: the best judged group minus the worst, resampled within each of the two.
IntervalJob gap_job(std::size_t index, const SliceCheck& c, const std::vector<ComputedGroup>& all,
                    const Settings& st, const ComputedInput& in) {
  std::vector<const ComputedGroup*> judged;
  for (const ComputedGroup& g : all)
    if (g.defined && static_cast<std::int64_t>(g.group->rows.size()) >= c.min_n)
      judged.push_back(&g);
  auto [lo, hi] = std::minmax_element(judged.begin(), judged.end(),
                                      [](const ComputedGroup* a, const ComputedGroup* b) {
                                        return a->metric.value < b->metric.value;
                                      });
  const PreparedMetric high = *(*hi)->prepared, low = *(*lo)->prepared;
  const std::string names = (*hi)->group->value + " - " + (*lo)->group->value;
  return IntervalJob{
      index, *st.confidence,
      [high, low, names, max_gap = *c.max_gap, st, in = &in](double level, CheckResult& r) {
        const std::size_t nh = high.size();
        const Evidence e = stratified_interval(
            {nh, low.size()},
            [&](std::span<const std::uint32_t> w) {
              return high.evaluate(w.subspan(0, nh)).statistic() -
                     low.evaluate(w.subspan(nh)).statistic();
            },
            level, one_sample_seed(*in, r.name), st.resamples);
        const Verdict v = bounds_verdict(e.interval, std::nullopt, max_gap);
        std::string text = bounds_verdict_text(e.estimate, e, v, std::nullopt, max_gap);
        const auto at = text.find(" max ");
        if (at != std::string::npos) text.replace(at, 5, " max_gap ");
        judge(r, v, e, false, level, *st.confidence, st, text + " (" + names + ")");
      }};
}

}  // namespace

CheckStatistics resolved_statistics(const CheckStatistics& s, const ComputedInput& in) {
  const Settings st = settings_of(s, in);
  CheckStatistics out = s;
  out.confidence = st.confidence;
  out.when_inconclusive = st.when;
  return out;
}

std::variant<std::vector<Metric>, std::string> metrics_from_predictions(
    const std::string& metric, const std::string& by, const CheckStatistics& s,
    const ComputedInput& in, const std::vector<Prediction>& predictions) {
  const auto m = example_metric_from_string(metric);
  if (auto why = not_computable(m, metric, in)) return *why;
  const Settings st = settings_of(s, in);
  if (predictions.empty()) return std::string("not computed: no predictions.jsonl");
  const ExampleRows rows = rows_with_truth(predictions);
  if (rows.empty())
    return "not computed: no line of predictions.jsonl has a truth (" +
           std::to_string(predictions.size()) + " lines)";
  std::vector<Metric> out;
  if (by.empty()) {
    Prepared p = prepare_on(*m, rows, st);
    if (const auto* problem = std::get_if<std::string>(&p)) return "not computed: " + *problem;
    const MetricValue v = std::get<PreparedMetric>(p).evaluate();
    if (v.defined) out.push_back(Metric{.name = metric, .value = v.value});
    return out;
  }
  const std::vector<SliceGroup> groups = group_by_slice(rows, by);
  if (groups.empty()) return "no example with a truth has slices." + by;
  auto computed = compute_groups(*m, groups, metric, by, st);
  if (auto* problem = std::get_if<std::string>(&computed)) return *problem;
  for (ComputedGroup& g : std::get<std::vector<ComputedGroup>>(computed))
    if (g.defined) out.push_back(std::move(g.metric));
  return out;
}

void check_slice_computed(const SliceCheck& c, ComputedInput& in, std::vector<CheckResult>& out,
                          std::vector<IntervalJob>& jobs) {
  const std::string key_name = c.metric + "[" + c.by + "]";
  const Settings st = settings_of(c.stats, in);
  const GroupsInput g = groups_input(c.metric, c.by, st, in);
  if (!g.problem.empty())
    return out.push_back(missing_result(CheckKind::slice, key_name, slice_threshold_text(c),
                                        g.problem, c.optional, c.line));
  const std::size_t first = out.size();
  const std::vector<const Metric*> entries = defined_metrics(g.computed);
  if (!entries.empty()) check_slice_entries(c, entries, defined_metrics(g.base), out);
  for (const ComputedGroup& cg : g.computed)
    if (!cg.defined)
      out.push_back(undefined_group(CheckKind::slice,
                                    c.metric + "[" + c.by + "=" + cg.group->value + "]",
                                    bounds_text(c.min, c.max), cg, c.metric, c.optional, c.line));
  // The results name their group: "recall[size_band=small]" (prefix "recall[size_band=").
  const std::string prefix = c.metric + "[" + c.by + "=";
  for (std::size_t i = first; i < out.size(); ++i) {
    CheckResult& r = out[i];
    const bool gap = r.name == key_name + " gap";
    const ComputedGroup* cg = nullptr;
    if (!gap && r.name.starts_with(prefix) && r.name.ends_with("]"))
      cg = find_group(g.computed, r.name.substr(prefix.size(), r.name.size() - prefix.size() - 1));
    if (cg) r.evidence = point_evidence(*cg->prepared);
    if (!st.confidence || (r.status != CheckStatus::pass && r.status != CheckStatus::fail))
      continue;
    if (gap)
      jobs.push_back(gap_job(i, c, g.computed, st, in));
    else if (cg && cg->defined)
      jobs.push_back(value_job(i, *cg->prepared, st, in, c.min, c.max));
  }
}

namespace {

// The reference group of a fairness check among all groups (defined or not), as the point check
// chooses it: the named group, or the largest (ties: the byte-wise smallest name).
const ComputedGroup* reference_of(const FairnessCheck& c, const std::vector<ComputedGroup>& all) {
  if (c.reference != kReferenceMajority) return find_group(all, c.reference);
  const ComputedGroup* best = nullptr;
  for (const ComputedGroup& g : all)
    if (!best || *g.metric.n > *best->metric.n ||
        (*g.metric.n == *best->metric.n && g.group->value < best->group->value))
      best = &g;
  return best;
}

// The ratio job: a group's metric over the reference group's, resampled within each.
IntervalJob ratio_job(std::size_t index, const FairnessCheck& c, const ComputedGroup& group,
                      const ComputedGroup& ref, const Settings& st, const ComputedInput& in) {
  const PreparedMetric g = *group.prepared, r0 = *ref.prepared;
  const std::string names = group.group->value + " / " + ref.group->value;
  return IntervalJob{
      index, *st.confidence,
      [g, r0, names, lo = c.lo, hi = c.hi, st, in = &in](double level, CheckResult& r) {
        const std::size_t ng = g.size();
        const Evidence e = stratified_interval(
            {ng, r0.size()},
            [&](std::span<const std::uint32_t> w) {
              const double a = g.evaluate(w.subspan(0, ng)).statistic();
              const double b = r0.evaluate(w.subspan(ng)).statistic();
              if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<double>::quiet_NaN();
              if (b == 0) return a == 0 ? 1.0 : std::numeric_limits<double>::max();
              return a / b;
            },
            level, one_sample_seed(*in, r.name), st.resamples);
        const Verdict v = bounds_verdict(e.interval, lo, hi);
        std::string text = "ratio " + bounds_verdict_text(e.estimate, e, v, lo, hi);
        for (const char* word : {" min ", " max "}) {
          const auto at = text.find(word);
          if (at != std::string::npos) text.replace(at, 5, " ");
        }
        judge(r, v, e, false, level, *st.confidence, st, text + " (" + names + ")");
      }};
}

}  // namespace

void check_fairness_computed(const FairnessCheck& c, ComputedInput& in,
                             std::vector<CheckResult>& out, std::vector<IntervalJob>& jobs) {
  const std::string key_name = c.metric + "[" + c.by + "]";
  const Settings st = settings_of(c.stats, in);
  const GroupsInput g = groups_input(c.metric, c.by, st, in);
  auto missing = [&](const std::string& why) {
    out.push_back(
        missing_result(CheckKind::fairness, key_name, disparity_text(c), why, c.optional, c.line));
  };
  if (!g.problem.empty()) return missing(g.problem);
  const ComputedGroup* ref = reference_of(c, g.computed);
  if (!ref) return missing("reference group " + c.reference + " has no example with a truth");
  if (!ref->defined)
    return missing("the reference group " + ref->group->value + "'s " + c.metric +
                   " is not defined (n=" + std::to_string(ref->group->rows.size()) + ")");
  const std::size_t first = out.size();
  check_fairness_groups(c, defined_metrics(g.computed), defined_metrics(g.base), out);
  const std::string vs = " vs " + ref->group->value + "]";
  for (const ComputedGroup& cg : g.computed)
    if (!cg.defined)
      out.push_back(undefined_group(CheckKind::fairness,
                                    c.metric + "[" + c.by + "=" + cg.group->value + vs,
                                    disparity_text(c), cg, c.metric, c.optional, c.line));
  for (std::size_t i = first; i < out.size(); ++i) {
    CheckResult& r = out[i];
    const ComputedGroup* cg = nullptr;
    if (r.name.ends_with(vs) && r.name.size() >= key_name.size() + vs.size())
      cg = find_group(g.computed,
                      r.name.substr(key_name.size(), r.name.size() - key_name.size() - vs.size()));
    if (cg) r.evidence = point_evidence(*cg->prepared);
    if (!st.confidence || !cg || !cg->defined || !r.value || !std::isfinite(*r.value)) continue;
    if (r.status == CheckStatus::pass || r.status == CheckStatus::fail)
      jobs.push_back(ratio_job(i, c, *cg, *ref, st, in));
  }
}

}  // namespace mlgate::core::gate_detail
