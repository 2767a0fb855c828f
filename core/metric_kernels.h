// The arithmetic of the example metrics (core/example_metrics.h), on plain arrays prepared once,
// evaluated under per-example integer multiplicities (weights) in one O(n) pass each: what a
// bootstrap resample needs. With integer weights every kernel gives what it gives on the multiset
// in which example i appears weights[i] times (counts are exact integers; sums of doubles agree to
// rounding). Internal to core/example_metrics.cpp; pure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace mlgate::core::metric_kernels {

using Weights = std::span<const std::uint32_t>;

// Binary: per example, all ones when the truth (the prediction) is the positive label, else 0
// (masks, so that the sums are ANDs and adds, without branches).
struct Confusion {
  std::uint64_t tp = 0, fp = 0, fn = 0, tn = 0;
  std::uint64_t n() const { return tp + fp + fn + tn; }
};
struct BinaryOutcomes {
  std::vector<std::uint32_t> truth_mask;
  std::vector<std::uint32_t> predicted_mask;
};
Confusion confusion(const BinaryOutcomes& o, Weights w);

// Examples sorted by score, highest first (ties in any order: they form one threshold).
struct RankedExamples {
  std::vector<std::uint32_t> order;     // example index at each rank
  std::vector<std::uint8_t> positive;   // 1 when the example at that rank is positive
  std::vector<std::uint8_t> group_end;  // 1 when the next rank has another score (or none)
};
RankedExamples rank_by_score(const std::vector<double>& scores,
                             const std::vector<std::uint8_t>& positive);

// Area under the ROC curve over the distinct thresholds (the trapezoidal rule, as sklearn's
// roc_curve + auc), with the counts of positives and negatives under the weights.
struct RocResult {
  double auc = 0.0;
  std::uint64_t positives = 0, negatives = 0;
};
RocResult roc_auc(const RankedExamples& r, Weights w);

// sklearn's average_precision_score: sum over thresholds of (R_k - R_{k-1}) * P_k. positives is
// the weighted count of positives (0: the value is 0).
struct ApResult {
  double ap = 0.0;
  std::uint64_t positives = 0;
};
ApResult average_precision(const RankedExamples& r, Weights w);

// sum(w * loss) / sum(w), and sum(w).
struct Mean {
  double mean = 0.0;
  std::uint64_t weight = 0;
};
Mean weighted_mean(std::span<const double> loss, Weights w);

// sklearn's r2_score(force_finite=True) of truth and predictions under the weights; weight is
// sum(w) (the multiset's size: fewer than 2 is undefined).
struct R2Result {
  double r2 = 0.0;
  std::uint64_t weight = 0;
};
R2Result r2_score(std::span<const double> truth, std::span<const double> squared_residual,
                  Weights w);

// Multi-class counts per class (classes 0..k-1): true, predicted and correct.
struct ClassCounts {
  std::vector<std::uint64_t> true_count, predicted, correct;
  std::uint64_t n = 0;
};
ClassCounts class_counts(std::span<const std::uint32_t> truth,
                         std::span<const std::uint32_t> predicted, std::size_t classes, Weights w);

// sklearn's precision_recall_fscore_support averages over the classes present (true or
// predicted), with 0 for a class whose precision or recall divides by zero.
struct Averages {
  double precision = 0.0, recall = 0.0, f1 = 0.0;
};
Averages macro_averages(const ClassCounts& c);
Averages weighted_averages(const ClassCounts& c);  // weights: each class's true count

// sklearn 1.2.1's log_loss term of one example: the probabilities (of the classes in label
// order) clipped to [eps, 1 - eps] with eps the float64 machine epsilon, divided by their sum,
// and -log of the truth's. A binary score p is the row (1 - p, p) after clipping p.
double log_loss_term(std::span<const double> probabilities, std::size_t truth);
double binary_log_loss_term(double p, bool positive);

}  // namespace mlgate::core::metric_kernels
