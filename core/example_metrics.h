// Metrics computed from the examples of predictions.jsonl that carry their truth (docs/gate.md
// "Statistics"), defined as scikit-learn 1.2.1 defines them, ties and zero divisions included.
//
// A PreparedMetric does the per-example work once (checks, sort orders, loss terms); evaluate()
// then takes per-example integer multiplicities (a bootstrap resample: core/bootstrap.h) and costs
// one O(n) pass. With integer weights the value is the metric of the multiset in which example i
// appears weights[i] times. Pure: no I/O.
//
//   binary      accuracy, error_rate, precision, recall (= tpr), fpr, tnr, fnr, f1, positive_rate
//               from label vs truth, each compared with the positive label (every other label is
//               negative); roc_auc, pr_auc (= average_precision_score), log_loss and brier from
//               score, the probability of the positive label.
//   multiclass  accuracy, error_rate, macro_/weighted_ precision, recall and f1 from label vs
//               truth; log_loss from scores (the same labels on every example).
//   regression  mae, rmse, r2 (force_finite) from value vs truth (a number).
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/results.h"

namespace mlgate::core {

enum class ExampleMetric : std::uint8_t {
  accuracy,
  error_rate,
  precision,
  recall,
  tpr,
  fpr,
  tnr,
  fnr,
  f1,
  positive_rate,
  roc_auc,
  pr_auc,
  log_loss,
  brier,
  macro_precision,
  macro_recall,
  macro_f1,
  weighted_precision,
  weighted_recall,
  weighted_f1,
  mae,
  rmse,
  r2,
};

enum class MetricTask : std::uint8_t { binary, multiclass, regression };

// Spellings: the enumerators' names ("roc_auc", "macro_f1", ...).
std::string to_string(ExampleMetric m);
std::optional<ExampleMetric> example_metric_from_string(std::string_view s);
std::string to_string(MetricTask t);
std::optional<MetricTask> metric_task_from_string(std::string_view s);

// The metrics of a task (binary: accuracy ... brier; multiclass: accuracy, error_rate, the macro_
// and weighted_ ones, log_loss; regression: mae, rmse, r2).
bool metric_applies(ExampleMetric m, MetricTask t);
std::vector<ExampleMetric> metrics_of(MetricTask t);
// Higher is better for all but error_rate, fpr, fnr, log_loss, brier, mae and rmse.
bool higher_is_better(ExampleMetric m);

// regression when a row has a value; multiclass when a row has scores or the truths take more
// than two values; else binary.
MetricTask infer_task(std::span<const Prediction* const> rows);
// "true" when a truth or label of rows is true or false, else "1" (the label text of 1, 1.0).
std::string default_positive_label(std::span<const Prediction* const> rows);

struct MetricOptions {
  MetricTask task = MetricTask::binary;
  std::string positive_label;  // binary, as label text (`1`, `"spam"`); empty: the default above
};

struct MetricValue {
  // sklearn's value: 0 where it divides by zero (precision without predicted positives, ...),
  // NaN where it is undefined (roc_auc with one class, r2 with fewer than 2 examples).
  double value = std::numeric_limits<double>::quiet_NaN();
  bool defined = false;  // false in both of those cases
  // What a bootstrap resample counts: the value, or NaN when not defined.
  double statistic() const { return defined ? value : std::numeric_limits<double>::quiet_NaN(); }
};

// A proportion metric as successes over trials (for a Wilson interval, core/stats.h).
struct Ratio {
  double numerator = 0.0;
  double denominator = 0.0;
};

using MetricWeights = std::span<const std::uint32_t>;

class PreparedMetric {
 public:
  // rows: the examples, each with a truth, in the order weights will use. Fails (the message
  // names the first example that lacks what the metric needs) when a row has no truth, the metric
  // is not one of the task's, or a value it reads is missing or out of range.
  static std::variant<PreparedMetric, std::string> prepare(ExampleMetric metric,
                                                           std::span<const Prediction* const> rows,
                                                           const MetricOptions& options = {});

  ExampleMetric metric() const;
  std::size_t size() const;                           // number of examples
  MetricValue evaluate() const;                       // every weight 1
  MetricValue evaluate(MetricWeights weights) const;  // weights.size() == size()
  // accuracy (correct / n), error_rate (wrong / n), precision (tp / predicted positives),
  // recall and tpr (tp / positives), fnr (fn / positives), fpr (fp / negatives), tnr
  // (tn / negatives), positive_rate (predicted positives / n); nullopt for the others.
  std::optional<Ratio> ratio() const;
  std::optional<Ratio> ratio(MetricWeights weights) const;

  struct Data;  // defined in core/example_metrics.cpp

 private:
  explicit PreparedMetric(std::shared_ptr<const Data> data) : data_(std::move(data)) {}
  std::shared_ptr<const Data> data_;
};

}  // namespace mlgate::core
