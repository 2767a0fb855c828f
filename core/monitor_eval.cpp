#include "core/monitor_eval.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <stdexcept>
#include <variant>

#include "core/drift_tests.h"
#include "core/duration.h"
#include "core/example_metrics.h"
#include "core/gate_evidence.h"
#include "core/number_text.h"

namespace mlgate::core {
namespace {

constexpr std::string_view kPredictionPrefix = "prediction.";

bool is_prediction(const std::string& feature) {
  return feature.starts_with(kPredictionPrefix);
}

const FeatureProfile* find_feature(const DatasetProfile* p, const std::string& name) {
  if (p == nullptr) return nullptr;
  const auto it = p->features.find(name);
  return it == p->features.end() ? nullptr : &it->second;
}

MonitorFinding no_data(FindingKind kind, const std::string& feature, std::string reason) {
  MonitorFinding f;
  f.kind = kind;
  f.feature = feature;
  f.state = MonitorState::no_data;
  f.reason = std::move(reason);
  return f;
}

// The features a rule set covers: every feature named by a rule, and under "*" every other input
// feature of the reference or the window.
struct Coverage {
  std::vector<std::pair<std::string, const DriftRule*>> named;
  std::vector<std::string> star;
  const DriftRule* star_rule = nullptr;
};

Coverage coverage(const MonitorConfig& config, const MonitorInputs& in) {
  Coverage c;
  std::set<std::string> named;
  for (const DriftRule& rule : config.drift) {
    if (rule.feature == kEveryFeature) {
      c.star_rule = &rule;
    } else {
      c.named.emplace_back(rule.feature, &rule);
      named.insert(rule.feature);
    }
  }
  if (c.star_rule == nullptr) return c;
  std::set<std::string> all;
  for (const DatasetProfile* p : {in.reference, in.current}) {
    if (p == nullptr) continue;
    for (const auto& [name, f] : p->features) {
      if (!is_prediction(name) && !named.contains(name)) all.insert(name);
    }
  }
  c.star.assign(all.begin(), all.end());
  return c;
}

// One drift test of a feature between `base` (the reference, or the previous windows) and the
// window, by the rule's test or Evidently's default choice.
MonitorFinding drift_finding(FindingKind kind, const std::string& feature, const DriftRule& rule,
                             const DatasetProfile* base, const DatasetProfile& current,
                             bool alerts_alone) {
  const char* base_name = kind == FindingKind::drift ? "the previous windows" : "the reference";
  if (base == nullptr || base->rows == 0) {
    return no_data(kind, feature, std::string("no profile of ") + base_name);
  }
  const FeatureProfile* b = find_feature(base, feature);
  const FeatureProfile* c = find_feature(&current, feature);
  if (b == nullptr || b->count == 0)
    return no_data(kind, feature, std::string("no values in ") + base_name);
  if (c == nullptr || c->count == 0) return no_data(kind, feature, "no values in this window");
  const DriftTest test = rule.test.value_or(default_drift_test(*b, *c));
  const auto result = run_drift_test(test, *b, *c, rule.test ? rule.threshold : std::nullopt);
  if (!result) {
    return no_data(kind, feature, "test '" + to_string(test) + "' does not apply to its values");
  }
  MonitorFinding f;
  f.kind = kind;
  f.feature = feature;
  f.test = to_string(test);
  f.statistic = result->statistic;
  f.p_value = result->p_value;
  if (!result->p_value) f.distance = result->statistic;
  f.threshold = result->threshold;
  f.n = result->current_n;
  f.reference_n = result->reference_n;
  f.drifted = result->drifted;
  f.state = result->drifted && alerts_alone ? MonitorState::alerting : MonitorState::ok;
  const std::string what = result->p_value ? "p " + number_text(*result->p_value)
                                           : f.test + " " + number_text(result->statistic);
  f.reason = what + (result->drifted ? " drifts from " : " within ") + base_name + " (threshold " +
             number_text(result->threshold) + ")";
  if (result->drifted && !alerts_alone) f.reason += "; counted in the share of \"*\"";
  return f;
}

// The share of the "*" features that drift, as one finding.
MonitorFinding share_finding(FindingKind kind, const std::vector<MonitorFinding>& star,
                             double share) {
  std::uint64_t tested = 0, drifted = 0;
  for (const MonitorFinding& f : star) {
    if (f.state == MonitorState::no_data) continue;
    ++tested;
    drifted += f.drifted ? 1 : 0;
  }
  if (tested == 0) return no_data(kind, std::string(kEveryFeature), "no feature could be tested");
  MonitorFinding f;
  f.kind = kind;
  f.feature = std::string(kEveryFeature);
  f.test = "share";
  f.statistic = static_cast<double>(drifted) / static_cast<double>(tested);
  f.threshold = share;
  f.n = tested;
  f.drifted = f.statistic >= share;
  f.state = f.drifted ? MonitorState::alerting : MonitorState::ok;
  f.reason = std::to_string(drifted) + " of " + std::to_string(tested) + " features drift (" +
             percent_text(f.statistic) + (f.drifted ? " >= " : " < ") + percent_text(share) + ")";
  return f;
}

// Skew (against the reference) or drift (against the previous windows) of every covered feature.
void feature_drift(FindingKind kind, const Coverage& cov, const MonitorInputs& in,
                   MonitorEvaluation& out) {
  const DatasetProfile* base = kind == FindingKind::skew ? in.reference : in.previous;
  for (const auto& [feature, rule] : cov.named) {
    out.findings.push_back(drift_finding(kind, feature, *rule, base, *in.current, true));
  }
  if (cov.star_rule == nullptr) return;
  std::vector<MonitorFinding> star;
  for (const std::string& feature : cov.star) {
    star.push_back(drift_finding(kind, feature, *cov.star_rule, base, *in.current, false));
  }
  MonitorFinding share = share_finding(kind, star, in.config->share);
  if (kind == FindingKind::skew && share.state != MonitorState::no_data) {
    out.dataset_drift_share = share.statistic;
    out.dataset_drift = share.drifted;
  }
  out.findings.insert(out.findings.end(), star.begin(), star.end());
  out.findings.push_back(std::move(share));
}

void prediction_drift(const MonitorInputs& in, MonitorEvaluation& out) {
  const DriftRule& rule = *in.config->prediction_drift;
  std::set<std::string> outputs;
  for (const DatasetProfile* p : {in.reference, in.current}) {
    if (p == nullptr) continue;
    for (const auto& [name, f] : p->features) {
      if (is_prediction(name)) outputs.insert(name);
    }
  }
  if (outputs.empty()) {
    out.findings.push_back(no_data(FindingKind::prediction_drift, "prediction", "no predictions"));
  }
  for (const std::string& name : outputs) {
    out.findings.push_back(
        drift_finding(FindingKind::prediction_drift, name, rule, in.reference, *in.current, true));
  }
}

// The share of the window's rows without a value, per input feature of the reference or the
// window (a feature the window never saw is missing in all its rows).
void monitor_missing(const MonitorInputs& in, MonitorEvaluation& out) {
  const double max_share = *in.config->missing_max_share;
  const DatasetProfile& current = *in.current;
  if (current.rows == 0) {
    out.findings.push_back(no_data(FindingKind::missing, "", "no rows in this window"));
    return;
  }
  std::set<std::string> features;
  for (const DatasetProfile* p : {in.reference, in.current}) {
    if (p == nullptr) continue;
    for (const auto& [name, f] : p->features) {
      if (!is_prediction(name)) features.insert(name);
    }
  }
  for (const std::string& name : features) {
    const FeatureProfile* f = find_feature(&current, name);
    MonitorFinding m;
    m.kind = FindingKind::missing;
    m.feature = name;
    m.test = "missing_share";
    m.statistic = static_cast<double>(f != nullptr ? f->missing : current.rows) /
                  static_cast<double>(current.rows);
    m.threshold = max_share;
    m.n = current.rows;
    m.drifted = m.statistic > max_share;
    m.state = m.drifted ? MonitorState::alerting : MonitorState::ok;
    m.reason = percent_text(m.statistic) + " of the rows miss it (" +
               (m.drifted ? "over " : "at most ") + percent_text(max_share) + ")";
    out.findings.push_back(std::move(m));
  }
}

// The metric's value, or with confidence its Wilson interval, judged against min and max: beyond
// when the value (or the whole interval) is.
void judge_quality(const QualityRule& rule, const PreparedMetric& metric, MonitorFinding& f) {
  const MetricValue v = metric.evaluate();
  f.statistic = v.value;
  double low = v.value, high = v.value;
  if (rule.confidence) {
    const Evidence e = value_interval(metric, *rule.confidence, 0, kDefaultResamples);
    f.interval = e.interval;
    low = e.interval.lower;
    high = e.interval.upper;
  }
  const bool below = rule.min && high < *rule.min;
  const bool above = rule.max && low > *rule.max;
  f.threshold = below || !rule.max ? rule.min.value_or(0.0) : *rule.max;
  f.drifted = below || above;
  f.state = f.drifted ? MonitorState::alerting : MonitorState::ok;
  std::string text = rule.metric + " " + number_text(v.value);
  if (f.interval) {
    text += " [" + number_text(low) + ", " + number_text(high) + "]";
  }
  if (below) {
    f.reason = text + " below min " + number_text(*rule.min);
  } else if (above) {
    f.reason = text + " above max " + number_text(*rule.max);
  } else {
    f.reason = text + " within its limits";
  }
}

void monitor_quality(const MonitorInputs& in, MonitorEvaluation& out) {
  const MetricOptions options{MetricTask::binary, in.positive_label.empty()
                                                      ? default_positive_label(in.quality_rows)
                                                      : in.positive_label};
  for (const QualityRule& rule : in.config->quality) {
    const auto n = static_cast<std::int64_t>(in.quality_rows.size());
    if (n < rule.min_n) {
      out.findings.push_back(no_data(FindingKind::quality, "",
                                     std::to_string(n) +
                                         " predictions with their truth, fewer "
                                         "than min_n " +
                                         std::to_string(rule.min_n)));
      out.findings.back().test = rule.metric;
      continue;
    }
    const auto metric = example_metric_from_string(rule.metric);
    auto prepared = PreparedMetric::prepare(*metric, in.quality_rows, options);
    if (const auto* problem = std::get_if<std::string>(&prepared)) {
      out.findings.push_back(no_data(FindingKind::quality, "", *problem));
      out.findings.back().test = rule.metric;
      continue;
    }
    MonitorFinding f;
    f.kind = FindingKind::quality;
    f.test = rule.metric;
    f.n = static_cast<std::uint64_t>(n);
    judge_quality(rule, std::get<PreparedMetric>(prepared), f);
    if (std::isnan(f.statistic)) {
      f = no_data(FindingKind::quality, "", rule.metric + " is not defined on these examples");
      f.test = rule.metric;
    }
    out.findings.push_back(std::move(f));
  }
}

void monitor_staleness(const MonitorInputs& in, MonitorEvaluation& out) {
  const std::int64_t max_age = *in.config->staleness_max_age_seconds;
  if (!in.trained_at) {
    out.findings.push_back(
        no_data(FindingKind::staleness, "", "the deployed commit's training time is unknown"));
    return;
  }
  MonitorFinding f;
  f.kind = FindingKind::staleness;
  f.test = "age";
  const std::int64_t age = in.now - *in.trained_at;
  f.statistic = static_cast<double>(age);
  f.threshold = static_cast<double>(max_age);
  f.drifted = age > max_age;
  f.state = f.drifted ? MonitorState::alerting : MonitorState::ok;
  f.reason = "trained " + format_duration(age) + " ago (" + (f.drifted ? "over " : "at most ") +
             format_duration(max_age) + ")";
  out.findings.push_back(std::move(f));
}

}  // namespace

std::string to_string(FindingKind k) {
  switch (k) {
    case FindingKind::skew:
      return "skew";
    case FindingKind::drift:
      return "drift";
    case FindingKind::prediction_drift:
      return "prediction_drift";
    case FindingKind::missing:
      return "missing";
    case FindingKind::quality:
      return "quality";
    case FindingKind::staleness:
      return "staleness";
  }
  return "skew";
}

MonitorEvaluation evaluate_monitor(const MonitorInputs& in) {
  if (in.config == nullptr || in.current == nullptr) {
    throw std::invalid_argument("evaluate_monitor: a config and the window's profile are required");
  }
  const MonitorConfig& config = *in.config;
  MonitorEvaluation out;
  const bool empty = in.current->rows == 0;
  if (!config.drift.empty()) {
    const Coverage cov = coverage(config, in);
    feature_drift(FindingKind::skew, cov, in, out);
    feature_drift(FindingKind::drift, cov, in, out);
  }
  if (config.prediction_drift) prediction_drift(in, out);
  if (config.missing_max_share) monitor_missing(in, out);
  if (!config.quality.empty()) monitor_quality(in, out);
  if (config.staleness_max_age_seconds) monitor_staleness(in, out);
  const bool alerting = std::any_of(out.findings.begin(), out.findings.end(), [](const auto& f) {
    return f.state == MonitorState::alerting;
  });
  out.state = alerting ? MonitorState::alerting : empty ? MonitorState::no_data : MonitorState::ok;
  const auto has = [&](MonitorAction a) {
    return std::find(config.on_alert.begin(), config.on_alert.end(), a) != config.on_alert.end();
  };
  out.notify = alerting && has(MonitorAction::notify);
  out.retrain =
      alerting && has(MonitorAction::retrain) &&
      (!in.last_retrain_at || in.now - *in.last_retrain_at >= config.retrain_every_seconds);
  return out;
}

}  // namespace mlgate::core
