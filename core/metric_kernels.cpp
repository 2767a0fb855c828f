#include "core/metric_kernels.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace mlgate::core::metric_kernels {

Confusion confusion(const BinaryOutcomes& o, Weights w) {
  std::uint64_t all = 0, truth = 0, predicted = 0, both = 0;
  for (std::size_t i = 0; i < w.size(); ++i) {
    const std::uint32_t wi = w[i], t = o.truth_mask[i], p = o.predicted_mask[i];
    all += wi;
    truth += wi & t;
    predicted += wi & p;
    both += wi & t & p;
  }
  Confusion out;
  out.tp = both;
  out.fn = truth - both;
  out.fp = predicted - both;
  out.tn = all - truth - out.fp;
  return out;
}

RankedExamples rank_by_score(const std::vector<double>& scores,
                             const std::vector<std::uint8_t>& positive) {
  RankedExamples r;
  const std::size_t n = scores.size();
  r.order.resize(n);
  std::iota(r.order.begin(), r.order.end(), 0u);
  std::stable_sort(r.order.begin(), r.order.end(),
                   [&](std::uint32_t a, std::uint32_t b) { return scores[a] > scores[b]; });
  r.positive.resize(n);
  r.group_end.resize(n);
  for (std::size_t k = 0; k < n; ++k) {
    r.positive[k] = positive[r.order[k]];
    r.group_end[k] = k + 1 == n || scores[r.order[k + 1]] != scores[r.order[k]] ? 1 : 0;
  }
  return r;
}

RocResult roc_auc(const RankedExamples& r, Weights w) {
  // Twice the area in count units: each threshold adds a trapezoid of width dfp and heights
  // tp_before and tp_before + dtp. Integers, so exact; one division at the end.
  std::uint64_t tp = 0, fp = 0, tp_prev = 0, fp_prev = 0, area2 = 0;
  const std::size_t n = r.order.size();
  for (std::size_t k = 0; k < n; ++k) {
    const std::uint64_t wk = w[r.order[k]];
    const std::uint64_t pos = r.positive[k];
    tp += wk * pos;
    fp += wk * (1 - pos);
    if (r.group_end[k]) {
      area2 += (fp - fp_prev) * (tp + tp_prev);
      tp_prev = tp;
      fp_prev = fp;
    }
  }
  RocResult out{0.0, tp, fp};
  if (tp == 0 || fp == 0) {
    out.auc = std::numeric_limits<double>::quiet_NaN();
  } else {
    out.auc =
        static_cast<double>(area2) / (2.0 * static_cast<double>(tp) * static_cast<double>(fp));
  }
  return out;
}

ApResult average_precision(const RankedExamples& r, Weights w) {
  // sum_k (tp_k - tp_{k-1}) / P * tp_k / (tp_k + fp_k); the 1/P is applied once at the end.
  // A threshold whose examples all have weight 0 adds nothing (dtp = 0, and tp + fp >= 1 is
  // used as the divisor only to keep 0 / 0 out).
  std::uint64_t tp = 0, fp = 0, tp_prev = 0;
  double sum = 0.0;
  const std::size_t n = r.order.size();
  for (std::size_t k = 0; k < n; ++k) {
    const std::uint64_t wk = w[r.order[k]];
    const std::uint64_t pos = r.positive[k];
    tp += wk * pos;
    fp += wk * (1 - pos);
    if (r.group_end[k]) {
      const double seen = static_cast<double>(std::max<std::uint64_t>(tp + fp, 1));
      sum += static_cast<double>(tp - tp_prev) * (static_cast<double>(tp) / seen);
      tp_prev = tp;
    }
  }
  ApResult out{0.0, tp};
  if (tp > 0) out.ap = sum / static_cast<double>(tp);
  return out;
}

namespace {

// sum(w[i] * x[i]) in four running sums (a single one waits on the adder's latency at every
// element), and sum(w).
double weighted_sum(std::span<const double> x, Weights w, std::uint64_t& weight) {
  double s[4] = {0, 0, 0, 0};
  std::uint64_t total = 0;
  const std::size_t n = x.size(), blocks = n / 4 * 4;
  for (std::size_t i = 0; i < blocks; i += 4) {
    for (std::size_t j = 0; j < 4; ++j) s[j] += static_cast<double>(w[i + j]) * x[i + j];
    total += std::uint64_t{w[i]} + w[i + 1] + w[i + 2] + w[i + 3];
  }
  for (std::size_t i = blocks; i < n; ++i) {
    s[i - blocks] += static_cast<double>(w[i]) * x[i];
    total += w[i];
  }
  weight = total;
  return (s[0] + s[1]) + (s[2] + s[3]);
}

}  // namespace

Mean weighted_mean(std::span<const double> loss, Weights w) {
  Mean out;
  const double sum = weighted_sum(loss, w, out.weight);
  out.mean = out.weight == 0 ? std::numeric_limits<double>::quiet_NaN()
                             : sum / static_cast<double>(out.weight);
  return out;
}

R2Result r2_score(std::span<const double> truth, std::span<const double> squared_residual,
                  Weights w) {
  R2Result out;
  const double sum_y = weighted_sum(truth, w, out.weight);
  std::uint64_t unused = 0;
  const double residual = weighted_sum(squared_residual, w, unused);
  if (out.weight < 2) {
    out.r2 = std::numeric_limits<double>::quiet_NaN();
    return out;
  }
  const double mean = sum_y / static_cast<double>(out.weight);
  double total[4] = {0, 0, 0, 0};
  for (std::size_t i = 0; i < truth.size(); ++i) {
    const double d = truth[i] - mean;
    total[i % 4] += static_cast<double>(w[i]) * d * d;
  }
  const double total_sum = (total[0] + total[1]) + (total[2] + total[3]);
  // force_finite: a perfect fit is 1, an imperfect fit of a constant truth 0.
  if (residual == 0.0) {
    out.r2 = 1.0;
  } else if (total_sum == 0.0) {
    out.r2 = 0.0;
  } else {
    out.r2 = 1.0 - residual / total_sum;
  }
  return out;
}

ClassCounts class_counts(std::span<const std::uint32_t> truth,
                         std::span<const std::uint32_t> predicted, std::size_t classes, Weights w) {
  ClassCounts c;
  c.true_count.assign(classes, 0);
  c.predicted.assign(classes, 0);
  c.correct.assign(classes, 0);
  for (std::size_t i = 0; i < truth.size(); ++i) {
    const std::uint64_t wi = w[i];
    c.n += wi;
    c.true_count[truth[i]] += wi;
    c.predicted[predicted[i]] += wi;
    c.correct[truth[i]] += truth[i] == predicted[i] ? wi : 0;
  }
  return c;
}

namespace {

double divide_or_zero(std::uint64_t a, std::uint64_t b) {
  return b == 0 ? 0.0 : static_cast<double>(a) / static_cast<double>(b);
}

// Per class precision, recall and F1 (sklearn's _prf_divide with zero_division 0), summed with
// the class weight given by weight_of; returns the sums and the total weight.
template <class WeightOf>
Averages weighted_sums(const ClassCounts& c, WeightOf weight_of, double& total) {
  Averages sums;
  total = 0.0;
  for (std::size_t k = 0; k < c.true_count.size(); ++k) {
    if (c.true_count[k] + c.predicted[k] == 0) continue;  // not present under these weights
    const double p = divide_or_zero(c.correct[k], c.predicted[k]);
    const double r = divide_or_zero(c.correct[k], c.true_count[k]);
    const double denom = p + r;
    const double f = 2.0 * p * r / (denom == 0.0 ? 1.0 : denom);
    const double weight = weight_of(k);
    sums.precision += weight * p;
    sums.recall += weight * r;
    sums.f1 += weight * f;
    total += weight;
  }
  return sums;
}

Averages divided(Averages sums, double total) {
  if (total == 0.0) return Averages{};
  return Averages{sums.precision / total, sums.recall / total, sums.f1 / total};
}

}  // namespace

Averages macro_averages(const ClassCounts& c) {
  double total = 0.0;
  const Averages sums = weighted_sums(
      c, [](std::size_t) { return 1.0; }, total);
  return divided(sums, total);
}

Averages weighted_averages(const ClassCounts& c) {
  double total = 0.0;
  const Averages sums = weighted_sums(
      c, [&](std::size_t k) { return static_cast<double>(c.true_count[k]); }, total);
  return divided(sums, total);
}

namespace {
constexpr double kEps = std::numeric_limits<double>::epsilon();
double clip(double p) {
  return std::clamp(p, kEps, 1.0 - kEps);
}
}  // namespace

double log_loss_term(std::span<const double> probabilities, std::size_t truth) {
  double sum = 0.0;
  for (double p : probabilities) sum += clip(p);
  return -std::log(clip(probabilities[truth]) / sum);
}

double binary_log_loss_term(double p, bool positive) {
  const double p1 = clip(p);
  const double p0 = 1.0 - p1;
  const double sum = p0 + p1;
  return -std::log((positive ? p1 : p0) / sum);
}

}  // namespace mlgate::core::metric_kernels
