#include "core/example_metrics.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <set>
#include <stdexcept>
#include <utility>

#include "core/metric_kernels.h"

namespace mlgate::core {

namespace mk = metric_kernels;

namespace {

constexpr std::array<std::pair<ExampleMetric, std::string_view>, 23> kNames{{
    {ExampleMetric::accuracy, "accuracy"},
    {ExampleMetric::error_rate, "error_rate"},
    {ExampleMetric::precision, "precision"},
    {ExampleMetric::recall, "recall"},
    {ExampleMetric::tpr, "tpr"},
    {ExampleMetric::fpr, "fpr"},
    {ExampleMetric::tnr, "tnr"},
    {ExampleMetric::fnr, "fnr"},
    {ExampleMetric::f1, "f1"},
    {ExampleMetric::positive_rate, "positive_rate"},
    {ExampleMetric::roc_auc, "roc_auc"},
    {ExampleMetric::pr_auc, "pr_auc"},
    {ExampleMetric::log_loss, "log_loss"},
    {ExampleMetric::brier, "brier"},
    {ExampleMetric::macro_precision, "macro_precision"},
    {ExampleMetric::macro_recall, "macro_recall"},
    {ExampleMetric::macro_f1, "macro_f1"},
    {ExampleMetric::weighted_precision, "weighted_precision"},
    {ExampleMetric::weighted_recall, "weighted_recall"},
    {ExampleMetric::weighted_f1, "weighted_f1"},
    {ExampleMetric::mae, "mae"},
    {ExampleMetric::rmse, "rmse"},
    {ExampleMetric::r2, "r2"},
}};

// How a metric is computed.
enum class Kernel : std::uint8_t { confusion, roc, ap, mean, root_mean, r2, classes };

Kernel kernel_of(ExampleMetric m, MetricTask task) {
  switch (m) {
    case ExampleMetric::roc_auc:
      return Kernel::roc;
    case ExampleMetric::pr_auc:
      return Kernel::ap;
    case ExampleMetric::log_loss:
    case ExampleMetric::brier:
    case ExampleMetric::mae:
      return Kernel::mean;
    case ExampleMetric::rmse:
      return Kernel::root_mean;
    case ExampleMetric::r2:
      return Kernel::r2;
    case ExampleMetric::accuracy:
    case ExampleMetric::error_rate:
      return task == MetricTask::multiclass ? Kernel::classes : Kernel::confusion;
    case ExampleMetric::macro_precision:
    case ExampleMetric::macro_recall:
    case ExampleMetric::macro_f1:
    case ExampleMetric::weighted_precision:
    case ExampleMetric::weighted_recall:
    case ExampleMetric::weighted_f1:
      return Kernel::classes;
    default:
      return Kernel::confusion;
  }
}

}  // namespace

std::string to_string(ExampleMetric m) {
  for (const auto& [metric, name] : kNames) {
    if (metric == m) return std::string(name);
  }
  return "unknown";
}

std::optional<ExampleMetric> example_metric_from_string(std::string_view s) {
  for (const auto& [metric, name] : kNames) {
    if (name == s) return metric;
  }
  return std::nullopt;
}

std::string to_string(MetricTask t) {
  switch (t) {
    case MetricTask::binary:
      return "binary";
    case MetricTask::multiclass:
      return "multiclass";
    case MetricTask::regression:
      return "regression";
  }
  return "unknown";
}

std::optional<MetricTask> metric_task_from_string(std::string_view s) {
  for (MetricTask t : {MetricTask::binary, MetricTask::multiclass, MetricTask::regression}) {
    if (to_string(t) == s) return t;
  }
  return std::nullopt;
}

bool metric_applies(ExampleMetric m, MetricTask t) {
  const auto i = static_cast<int>(m);
  switch (t) {
    case MetricTask::binary:
      return i <= static_cast<int>(ExampleMetric::brier);
    case MetricTask::multiclass:
      return m == ExampleMetric::accuracy || m == ExampleMetric::error_rate ||
             m == ExampleMetric::log_loss ||
             (i >= static_cast<int>(ExampleMetric::macro_precision) &&
              i <= static_cast<int>(ExampleMetric::weighted_f1));
    case MetricTask::regression:
      return i >= static_cast<int>(ExampleMetric::mae);
  }
  return false;
}

std::vector<ExampleMetric> metrics_of(MetricTask t) {
  std::vector<ExampleMetric> out;
  for (const auto& [metric, name] : kNames) {
    if (metric_applies(metric, t)) out.push_back(metric);
  }
  return out;
}

bool higher_is_better(ExampleMetric m) {
  switch (m) {
    case ExampleMetric::error_rate:
    case ExampleMetric::fpr:
    case ExampleMetric::fnr:
    case ExampleMetric::log_loss:
    case ExampleMetric::brier:
    case ExampleMetric::mae:
    case ExampleMetric::rmse:
      return false;
    default:
      return true;
  }
}

MetricTask infer_task(std::span<const Prediction* const> rows) {
  std::set<std::string_view> truths;
  bool scores = false;
  for (const Prediction* p : rows) {
    if (p->value) return MetricTask::regression;
    scores = scores || !p->scores.empty();
    if (p->truth && truths.size() <= 2) truths.insert(*p->truth);
  }
  return scores || truths.size() > 2 ? MetricTask::multiclass : MetricTask::binary;
}

std::string default_positive_label(std::span<const Prediction* const> rows) {
  const auto boolean = [](const std::string& s) { return s == "true" || s == "false"; };
  for (const Prediction* p : rows) {
    if ((p->truth && boolean(*p->truth)) || boolean(p->label)) return "true";
  }
  return "1";
}

// ---------------------------------------------------------------------------------------------

struct PreparedMetric::Data {
  ExampleMetric metric = ExampleMetric::accuracy;
  Kernel kernel = Kernel::confusion;
  std::size_t n = 0;
  mk::BinaryOutcomes outcomes;                 // confusion
  mk::RankedExamples ranked;                   // roc, ap
  std::vector<double> loss;                    // mean, root_mean; r2: squared residuals
  std::vector<double> truth;                   // r2
  std::vector<std::uint32_t> truth_class;      // classes
  std::vector<std::uint32_t> predicted_class;  // classes
  std::size_t classes = 0;
};

namespace {

using Data = PreparedMetric::Data;
using Rows = std::span<const Prediction* const>;
using Error = std::optional<std::string>;

std::string quoted(const std::string& id) {
  return "example \"" + id + "\"";
}

std::string text_of(double v) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

Error need_labels(Rows rows, ExampleMetric m) {
  for (const Prediction* p : rows) {
    if (p->label.empty()) {
      return quoted(p->id) + " has no label (" + to_string(m) +
             " needs one on every example with a truth)";
    }
  }
  return std::nullopt;
}

// Every row's score: finite, and a probability in [0, 1] when probability is set.
Error need_scores(Rows rows, ExampleMetric m, bool probability, std::vector<double>& out) {
  for (const Prediction* p : rows) {
    if (!p->score) {
      return quoted(p->id) + " has no score (" + to_string(m) +
             " needs one on every example with a truth)";
    }
    const double s = *p->score;
    if (!std::isfinite(s) || (probability && (s < 0.0 || s > 1.0))) {
      return quoted(p->id) + " has the score " + text_of(s) + " (" + to_string(m) + " needs " +
             (probability ? "a probability from 0 to 1)" : "a finite number)");
    }
    out.push_back(s);
  }
  return std::nullopt;
}

Error prepare_binary(Data& d, Rows rows, const std::string& positive) {
  std::vector<std::uint8_t> truth;
  for (const Prediction* p : rows) truth.push_back(*p->truth == positive ? 1 : 0);
  switch (d.kernel) {
    case Kernel::confusion: {
      if (auto e = need_labels(rows, d.metric)) return e;
      for (std::size_t i = 0; i < rows.size(); ++i) {
        d.outcomes.truth_mask.push_back(truth[i] ? ~0u : 0u);
        d.outcomes.predicted_mask.push_back(rows[i]->label == positive ? ~0u : 0u);
      }
      return std::nullopt;
    }
    case Kernel::roc:
    case Kernel::ap: {
      std::vector<double> scores;
      if (auto e = need_scores(rows, d.metric, false, scores)) return e;
      d.ranked = mk::rank_by_score(scores, truth);
      return std::nullopt;
    }
    default: {  // log_loss, brier
      std::vector<double> scores;
      if (auto e = need_scores(rows, d.metric, true, scores)) return e;
      for (std::size_t i = 0; i < rows.size(); ++i) {
        const double y = truth[i];
        d.loss.push_back(d.metric == ExampleMetric::brier
                             ? (y - scores[i]) * (y - scores[i])
                             : mk::binary_log_loss_term(scores[i], truth[i] == 1));
      }
      return std::nullopt;
    }
  }
}

// Class indices over the sorted union of truths and labels.
Error prepare_classes(Data& d, Rows rows) {
  if (auto e = need_labels(rows, d.metric)) return e;
  std::vector<std::string_view> names;
  for (const Prediction* p : rows) {
    names.push_back(*p->truth);
    names.push_back(p->label);
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  const auto index = [&](std::string_view s) {
    return static_cast<std::uint32_t>(std::lower_bound(names.begin(), names.end(), s) -
                                      names.begin());
  };
  for (const Prediction* p : rows) {
    d.truth_class.push_back(index(*p->truth));
    d.predicted_class.push_back(index(p->label));
  }
  d.classes = names.size();
  return std::nullopt;
}

Error prepare_multiclass_log_loss(Data& d, Rows rows) {
  const auto& first = rows.front()->scores;
  if (!first.empty() && first.size() < 2) {
    return quoted(rows.front()->id) + " has scores for one label (log_loss needs at least two)";
  }
  std::vector<double> probabilities;
  for (const Prediction* p : rows) {
    if (p->scores.empty()) {
      return quoted(p->id) + " has no scores (log_loss needs them on every example with a truth)";
    }
    if (p->scores.size() != first.size() ||
        !std::equal(first.begin(), first.end(), p->scores.begin(),
                    [](const auto& a, const auto& b) { return a.first == b.first; })) {
      return quoted(p->id) + "'s scores name other labels than " + quoted(rows.front()->id) +
             "'s (log_loss needs the same labels on every example)";
    }
    probabilities.clear();
    std::size_t truth = first.size();
    for (std::size_t k = 0; k < first.size(); ++k) {
      const double s = p->scores[k].second;
      if (!std::isfinite(s) || s < 0.0 || s > 1.0) {
        return quoted(p->id) + " has the score " + text_of(s) + " for " + p->scores[k].first +
               " (log_loss needs probabilities from 0 to 1)";
      }
      probabilities.push_back(s);
      if (p->scores[k].first == *p->truth) truth = k;
    }
    if (truth == first.size()) {
      return quoted(p->id) + "'s truth " + *p->truth + " is not among the labels of its scores";
    }
    d.loss.push_back(mk::log_loss_term(probabilities, truth));
  }
  return std::nullopt;
}

// A truth that is a number: the label text of a JSON number.
std::optional<double> number_of(const std::string& text) {
  double v = 0.0;
  const auto r = std::from_chars(text.data(), text.data() + text.size(), v);
  if (r.ec != std::errc() || r.ptr != text.data() + text.size()) return std::nullopt;
  return v;
}

Error prepare_regression(Data& d, Rows rows) {
  for (const Prediction* p : rows) {
    const auto truth = number_of(*p->truth);
    if (!truth || !std::isfinite(*truth)) {
      return quoted(p->id) + " has the truth " + *p->truth + " (" + to_string(d.metric) +
             " needs a finite number)";
    }
    if (!p->value || !std::isfinite(*p->value)) {
      return quoted(p->id) + (p->value ? " has the value " + text_of(*p->value) : " has no value") +
             " (" + to_string(d.metric) + " needs a finite number on every example with a truth)";
    }
    const double residual = *truth - *p->value;
    d.loss.push_back(d.metric == ExampleMetric::mae ? std::fabs(residual) : residual * residual);
    d.truth.push_back(*truth);
  }
  return std::nullopt;
}

Error prepare_data(Data& d, Rows rows, const MetricOptions& options) {
  switch (options.task) {
    case MetricTask::binary:
      return prepare_binary(
          d, rows,
          options.positive_label.empty() ? default_positive_label(rows) : options.positive_label);
    case MetricTask::multiclass:
      return d.kernel == Kernel::classes ? prepare_classes(d, rows)
                                         : prepare_multiclass_log_loss(d, rows);
    case MetricTask::regression:
      return prepare_regression(d, rows);
  }
  return std::nullopt;
}

}  // namespace

std::variant<PreparedMetric, std::string> PreparedMetric::prepare(ExampleMetric metric, Rows rows,
                                                                  const MetricOptions& options) {
  if (!metric_applies(metric, options.task)) {
    return to_string(metric) + " is not a " + to_string(options.task) + " metric";
  }
  if (rows.empty()) return to_string(metric) + ": no examples with a truth";
  for (const Prediction* p : rows) {
    if (!p->truth) return quoted(p->id) + " has no truth";
  }
  auto d = std::make_shared<Data>();
  d->metric = metric;
  d->kernel = kernel_of(metric, options.task);
  d->n = rows.size();
  if (auto e = prepare_data(*d, rows, options)) return std::move(*e);
  return PreparedMetric(std::move(d));
}

namespace {

MetricValue proportion(std::uint64_t a, std::uint64_t b) {
  if (b == 0) return MetricValue{0.0, false};
  return MetricValue{static_cast<double>(a) / static_cast<double>(b), true};
}

using Counts = std::pair<std::uint64_t, std::uint64_t>;  // numerator, denominator

std::optional<Counts> confusion_ratio(ExampleMetric m, const mk::Confusion& c) {
  switch (m) {
    case ExampleMetric::accuracy:
      return Counts{c.tp + c.tn, c.n()};
    case ExampleMetric::error_rate:
      return Counts{c.fp + c.fn, c.n()};
    case ExampleMetric::precision:
      return Counts{c.tp, c.tp + c.fp};
    case ExampleMetric::recall:
    case ExampleMetric::tpr:
      return Counts{c.tp, c.tp + c.fn};
    case ExampleMetric::fnr:
      return Counts{c.fn, c.tp + c.fn};
    case ExampleMetric::fpr:
      return Counts{c.fp, c.fp + c.tn};
    case ExampleMetric::tnr:
      return Counts{c.tn, c.fp + c.tn};
    case ExampleMetric::positive_rate:
      return Counts{c.tp + c.fp, c.n()};
    default:
      return std::nullopt;
  }
}

std::optional<Counts> classes_ratio(ExampleMetric m, const mk::ClassCounts& c) {
  std::uint64_t correct = 0;
  for (std::uint64_t k : c.correct) correct += k;
  if (m == ExampleMetric::accuracy) return Counts{correct, c.n};
  if (m == ExampleMetric::error_rate) return Counts{c.n - correct, c.n};
  return std::nullopt;
}

// sklearn's f1_score: 2PR / (P + R) with P and R 0 where they divide by zero, 0 when P + R = 0.
// Not defined (both ill-defined) without true and predicted positives.
MetricValue f1_value(const mk::Confusion& c) {
  const double p = proportion(c.tp, c.tp + c.fp).value;
  const double r = proportion(c.tp, c.tp + c.fn).value;
  const double denom = p + r;
  return MetricValue{2.0 * p * r / (denom == 0.0 ? 1.0 : denom), c.tp + c.fp + c.fn > 0};
}

MetricValue classes_value(ExampleMetric m, const mk::ClassCounts& c) {
  if (auto r = classes_ratio(m, c)) return proportion(r->first, r->second);
  const bool weighted = m == ExampleMetric::weighted_precision ||
                        m == ExampleMetric::weighted_recall || m == ExampleMetric::weighted_f1;
  const mk::Averages a = weighted ? mk::weighted_averages(c) : mk::macro_averages(c);
  double v = a.f1;
  if (m == ExampleMetric::macro_precision || m == ExampleMetric::weighted_precision) {
    v = a.precision;
  } else if (m == ExampleMetric::macro_recall || m == ExampleMetric::weighted_recall) {
    v = a.recall;
  }
  return MetricValue{v, c.n > 0};
}

void check_size(const Data& d, MetricWeights w) {
  if (w.size() != d.n) {
    throw std::invalid_argument(to_string(d.metric) + ": " + std::to_string(w.size()) +
                                " weights for " + std::to_string(d.n) + " examples");
  }
}

mk::ClassCounts counts_of(const Data& d, MetricWeights w) {
  return mk::class_counts(d.truth_class, d.predicted_class, d.classes, w);
}

}  // namespace

MetricValue PreparedMetric::evaluate(MetricWeights w) const {
  const Data& d = *data_;
  check_size(d, w);
  switch (d.kernel) {
    case Kernel::confusion: {
      const mk::Confusion c = mk::confusion(d.outcomes, w);
      if (d.metric == ExampleMetric::f1) return f1_value(c);
      const Counts r = *confusion_ratio(d.metric, c);
      return proportion(r.first, r.second);
    }
    case Kernel::roc: {
      const mk::RocResult r = mk::roc_auc(d.ranked, w);
      return MetricValue{r.auc, r.positives > 0 && r.negatives > 0};
    }
    case Kernel::ap: {
      const mk::ApResult r = mk::average_precision(d.ranked, w);
      return MetricValue{r.ap, r.positives > 0};
    }
    case Kernel::mean:
    case Kernel::root_mean: {
      const mk::Mean m = mk::weighted_mean(d.loss, w);
      return MetricValue{d.kernel == Kernel::root_mean ? std::sqrt(m.mean) : m.mean, m.weight > 0};
    }
    case Kernel::r2: {
      const mk::R2Result r = mk::r2_score(d.truth, d.loss, w);
      return MetricValue{r.r2, r.weight >= 2};
    }
    case Kernel::classes:
      return classes_value(d.metric, counts_of(d, w));
  }
  return MetricValue{};
}

std::optional<Ratio> PreparedMetric::ratio(MetricWeights w) const {
  const Data& d = *data_;
  check_size(d, w);
  std::optional<Counts> r;
  if (d.kernel == Kernel::confusion) {
    r = confusion_ratio(d.metric, mk::confusion(d.outcomes, w));
  } else if (d.kernel == Kernel::classes) {
    r = classes_ratio(d.metric, counts_of(d, w));
  }
  if (!r) return std::nullopt;
  return Ratio{static_cast<double>(r->first), static_cast<double>(r->second)};
}

ExampleMetric PreparedMetric::metric() const {
  return data_->metric;
}
std::size_t PreparedMetric::size() const {
  return data_->n;
}

MetricValue PreparedMetric::evaluate() const {
  const std::vector<std::uint32_t> ones(data_->n, 1);
  return evaluate(ones);
}

std::optional<Ratio> PreparedMetric::ratio() const {
  const std::vector<std::uint32_t> ones(data_->n, 1);
  return ratio(ones);
}

}  // namespace mlgate::core
