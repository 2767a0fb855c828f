// Example metrics (core/example_metrics.h): values from scikit-learn 1.2.1's documentation and by
// hand, ties and zero divisions, the errors of prepare(), and the property the bootstrap relies on:
// evaluating under integer weights equals evaluating the multiset. The full comparison with
// scikit-learn itself is tests/integration/core/sklearn_parity_test.cpp.
#include "core/example_metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <deque>
#include <string>
#include <vector>

#include "core/example_rows.h"
#include "core/seeded_rng.h"

namespace mlgate::core {
namespace {

// Rows live in a deque so that pointers to them stay valid.
struct Examples {
  std::deque<Prediction> store;
  ExampleRows rows;

  Prediction& add(std::string truth, std::string label = "", std::optional<double> score = {}) {
    Prediction& p = store.emplace_back();
    p.id = "e" + std::to_string(store.size());
    p.truth = std::move(truth);
    p.label = std::move(label);
    p.score = score;
    rows.push_back(&p);
    return p;
  }
  Prediction& add_value(double truth, double value) {
    Prediction& p = add(std::to_string(truth));
    p.value = value;
    return p;
  }
};

PreparedMetric prepared(ExampleMetric m, const ExampleRows& rows, MetricOptions o = {}) {
  auto r = PreparedMetric::prepare(m, rows, o);
  if (auto* e = std::get_if<std::string>(&r)) {
    ADD_FAILURE() << to_string(m) << ": " << *e;
    throw std::runtime_error(*e);
  }
  return std::get<PreparedMetric>(std::move(r));
}

MetricValue value(ExampleMetric m, const ExampleRows& rows, MetricOptions o = {}) {
  return prepared(m, rows, o).evaluate();
}

std::string prepare_error(ExampleMetric m, const ExampleRows& rows, MetricOptions o = {}) {
  auto r = PreparedMetric::prepare(m, rows, o);
  return std::holds_alternative<std::string>(r) ? std::get<std::string>(r) : "(prepared)";
}

constexpr MetricOptions kMulti{MetricTask::multiclass, ""};
constexpr MetricOptions kRegression{MetricTask::regression, ""};

TEST(ExampleMetricNames, RoundTripAndTasks) {
  for (MetricTask t : {MetricTask::binary, MetricTask::multiclass, MetricTask::regression}) {
    EXPECT_EQ(metric_task_from_string(to_string(t)), t);
    for (ExampleMetric m : metrics_of(t)) {
      EXPECT_EQ(example_metric_from_string(to_string(m)), m);
      EXPECT_TRUE(metric_applies(m, t));
    }
  }
  EXPECT_EQ(metrics_of(MetricTask::binary).size(), 14u);
  EXPECT_EQ(metrics_of(MetricTask::multiclass).size(), 9u);
  EXPECT_EQ(metrics_of(MetricTask::regression).size(), 3u);
  EXPECT_EQ(example_metric_from_string("auc"), std::nullopt);
  EXPECT_FALSE(metric_applies(ExampleMetric::precision, MetricTask::multiclass));
  EXPECT_FALSE(metric_applies(ExampleMetric::macro_f1, MetricTask::binary));
  EXPECT_TRUE(higher_is_better(ExampleMetric::roc_auc));
  EXPECT_FALSE(higher_is_better(ExampleMetric::log_loss));
  EXPECT_FALSE(higher_is_better(ExampleMetric::fpr));
}

TEST(ExampleMetrics, BinaryConfusionValuesAndRatios) {
  // truth/label: tp 3, fp 1, fn 2, tn 4.
  Examples x;
  for (int i = 0; i < 3; ++i) x.add("1", "1");
  x.add("0", "1");
  for (int i = 0; i < 2; ++i) x.add("1", "0");
  for (int i = 0; i < 4; ++i) x.add("0", "0");
  EXPECT_DOUBLE_EQ(value(ExampleMetric::accuracy, x.rows).value, 0.7);
  EXPECT_DOUBLE_EQ(value(ExampleMetric::error_rate, x.rows).value, 0.3);
  EXPECT_DOUBLE_EQ(value(ExampleMetric::precision, x.rows).value, 0.75);
  EXPECT_DOUBLE_EQ(value(ExampleMetric::recall, x.rows).value, 0.6);
  EXPECT_DOUBLE_EQ(value(ExampleMetric::tpr, x.rows).value, 0.6);
  EXPECT_DOUBLE_EQ(value(ExampleMetric::fnr, x.rows).value, 0.4);
  EXPECT_DOUBLE_EQ(value(ExampleMetric::fpr, x.rows).value, 0.2);
  EXPECT_DOUBLE_EQ(value(ExampleMetric::tnr, x.rows).value, 0.8);
  EXPECT_DOUBLE_EQ(value(ExampleMetric::positive_rate, x.rows).value, 0.4);
  EXPECT_DOUBLE_EQ(value(ExampleMetric::f1, x.rows).value, 2 * 0.75 * 0.6 / 1.35);
  const auto ratio = [&](ExampleMetric m) { return *prepared(m, x.rows).ratio(); };
  EXPECT_EQ(ratio(ExampleMetric::accuracy).numerator, 7);
  EXPECT_EQ(ratio(ExampleMetric::accuracy).denominator, 10);
  EXPECT_EQ(ratio(ExampleMetric::precision).denominator, 4);  // predicted positives
  EXPECT_EQ(ratio(ExampleMetric::recall).denominator, 5);     // actual positives
  EXPECT_EQ(ratio(ExampleMetric::fpr).numerator, 1);
  EXPECT_EQ(ratio(ExampleMetric::fpr).denominator, 5);  // actual negatives
  EXPECT_EQ(ratio(ExampleMetric::tnr).numerator, 4);
  EXPECT_EQ(ratio(ExampleMetric::fnr).numerator, 2);
  EXPECT_EQ(ratio(ExampleMetric::positive_rate).numerator, 4);
  EXPECT_FALSE(prepared(ExampleMetric::f1, x.rows).ratio().has_value());
}

TEST(ExampleMetrics, ZeroDivisionIsZeroAndNotDefined) {
  // No predicted positives and no actual positives: sklearn's 0 with a warning.
  Examples x;
  x.add("0", "0");
  x.add("0", "0");
  for (ExampleMetric m :
       {ExampleMetric::precision, ExampleMetric::recall, ExampleMetric::f1, ExampleMetric::fnr}) {
    const MetricValue v = value(m, x.rows);
    EXPECT_EQ(v.value, 0.0) << to_string(m);
    EXPECT_FALSE(v.defined) << to_string(m);
    EXPECT_TRUE(std::isnan(v.statistic())) << to_string(m);
  }
  EXPECT_TRUE(value(ExampleMetric::tnr, x.rows).defined);
  // Positives but none predicted: precision is ill-defined, recall and F1 are 0 and defined.
  x.add("1", "0");
  EXPECT_FALSE(value(ExampleMetric::precision, x.rows).defined);
  EXPECT_TRUE(value(ExampleMetric::recall, x.rows).defined);
  EXPECT_TRUE(value(ExampleMetric::f1, x.rows).defined);
  EXPECT_EQ(value(ExampleMetric::f1, x.rows).value, 0.0);
}

TEST(ExampleMetrics, RankingFromSklearnDocsAndTies) {
  // roc_auc_score / average_precision_score docs: y = [0, 0, 1, 1], s = [0.1, 0.4, 0.35, 0.8].
  Examples x;
  x.add("0", "0", 0.1);
  x.add("0", "0", 0.4);
  x.add("1", "0", 0.35);
  x.add("1", "1", 0.8);
  EXPECT_DOUBLE_EQ(value(ExampleMetric::roc_auc, x.rows).value, 0.75);
  EXPECT_NEAR(value(ExampleMetric::pr_auc, x.rows).value, 0.8333333333333333, 1e-15);
  // All scores tied: one threshold, the chance line, and AP = the positive rate.
  Examples t;
  for (const char* y : {"0", "1", "0", "1", "1"}) t.add(y, "0", 0.5);
  EXPECT_DOUBLE_EQ(value(ExampleMetric::roc_auc, t.rows).value, 0.5);
  EXPECT_DOUBLE_EQ(value(ExampleMetric::pr_auc, t.rows).value, 0.6);
  // A tie across classes counts half: y = [1, 0, 1, 0], s = [0.9, 0.9, 0.8, 0.1]:
  // pairs (pos, neg): (0.9, 0.9) half, (0.9, 0.1) win, (0.8, 0.9) loss, (0.8, 0.1) win -> 2.5 / 4.
  Examples h;
  h.add("1", "1", 0.9);
  h.add("0", "1", 0.9);
  h.add("1", "1", 0.8);
  h.add("0", "0", 0.1);
  EXPECT_DOUBLE_EQ(value(ExampleMetric::roc_auc, h.rows).value, 0.625);
  // AP: thresholds 0.9 (R 1/2, P 1/2), 0.8 (R 1, P 2/3), 0.1 (R 1, P 1/2) -> 1/4 + 1/3.
  EXPECT_DOUBLE_EQ(value(ExampleMetric::pr_auc, h.rows).value, 0.25 + 1.0 / 3.0);
}

TEST(ExampleMetrics, RankingWithOneClass) {
  Examples x;
  x.add("0", "0", 0.2);
  x.add("0", "0", 0.7);
  const MetricValue roc = value(ExampleMetric::roc_auc, x.rows);
  EXPECT_TRUE(std::isnan(roc.value));  // sklearn raises: not defined
  EXPECT_FALSE(roc.defined);
  const MetricValue ap = value(ExampleMetric::pr_auc, x.rows);
  EXPECT_EQ(ap.value, 0.0);  // sklearn: recall set to 1 everywhere, the step sum is 0
  EXPECT_FALSE(ap.defined);
}

TEST(ExampleMetrics, ProbabilisticLosses) {
  // log_loss docs: ["spam", "ham", "ham", "spam"], P(spam) = [.9, .1, .2, .65] -> 0.21616...
  Examples x;
  x.add("\"spam\"", "\"spam\"", 0.9);
  x.add("\"ham\"", "\"ham\"", 0.1);
  x.add("\"ham\"", "\"ham\"", 0.2);
  x.add("\"spam\"", "\"spam\"", 0.65);
  const MetricOptions spam{MetricTask::binary, "\"spam\""};
  EXPECT_NEAR(value(ExampleMetric::log_loss, x.rows, spam).value, 0.21616187468057912, 1e-15);
  // brier_score_loss docs: y = [0, 1, 1, 0], p = [0.1, 0.9, 0.8, 0.3] -> 0.0375.
  Examples b;
  b.add("0", "0", 0.1);
  b.add("1", "1", 0.9);
  b.add("1", "1", 0.8);
  b.add("0", "0", 0.3);
  EXPECT_NEAR(value(ExampleMetric::brier, b.rows).value, 0.0375, 1e-15);
  // A probability of exactly 0 for the truth is clipped at float64 eps, not infinite.
  Examples z;
  z.add("1", "0", 0.0);
  z.add("0", "0", 0.0);
  EXPECT_NEAR(value(ExampleMetric::log_loss, z.rows).value,
              -std::log(std::numeric_limits<double>::epsilon()) / 2, 1e-9);
}

TEST(ExampleMetrics, MulticlassFromSklearnDocs) {
  // precision_recall_fscore_support docs: macro (0.22..., 0.33..., 0.26...).
  Examples x;
  const char* truth[] = {"cat", "dog", "pig", "cat", "dog", "pig"};
  const char* pred[] = {"cat", "pig", "dog", "cat", "cat", "dog"};
  for (int i = 0; i < 6; ++i) {
    x.add(std::string("\"") + truth[i] + "\"", std::string("\"") + pred[i] + "\"");
  }
  EXPECT_NEAR(value(ExampleMetric::macro_precision, x.rows, kMulti).value, 2.0 / 9, 1e-15);
  EXPECT_NEAR(value(ExampleMetric::macro_recall, x.rows, kMulti).value, 1.0 / 3, 1e-15);
  EXPECT_NEAR(value(ExampleMetric::macro_f1, x.rows, kMulti).value, 0.26666666666666666, 1e-15);
  EXPECT_NEAR(value(ExampleMetric::weighted_f1, x.rows, kMulti).value, 0.26666666666666666, 1e-15);
  EXPECT_NEAR(value(ExampleMetric::accuracy, x.rows, kMulti).value, 1.0 / 3, 1e-15);
  // A class only predicted counts in the macro average (precision 0, recall 0).
  Examples y;
  y.add("1", "1");
  y.add("2", "3");
  EXPECT_NEAR(value(ExampleMetric::macro_recall, y.rows, kMulti).value, 1.0 / 3, 1e-15);
  EXPECT_NEAR(value(ExampleMetric::weighted_recall, y.rows, kMulti).value, 0.5, 1e-15);
}

TEST(ExampleMetrics, MulticlassLogLoss) {
  // log_loss docs' second form: y = ["spam", "ham", "ham", "spam"] with [[P(ham), P(spam)]].
  Examples x;
  const double p_spam[] = {0.9, 0.1, 0.2, 0.65};
  const char* truth[] = {"\"spam\"", "\"ham\"", "\"ham\"", "\"spam\""};
  for (int i = 0; i < 4; ++i) {
    Prediction& p = x.add(truth[i], truth[i]);
    p.scores = {{"\"ham\"", 1 - p_spam[i]}, {"\"spam\"", p_spam[i]}};
  }
  EXPECT_NEAR(value(ExampleMetric::log_loss, x.rows, kMulti).value, 0.21616187468057912, 1e-15);
  // Rows that do not sum to 1 are divided by their sum first.
  Examples s;
  Prediction& p = s.add("0", "0");
  p.scores = {{"0", 0.2}, {"1", 0.2}, {"2", 0.6}};
  Prediction& q = s.add("2", "2");
  q.scores = {{"0", 0.4}, {"1", 0.4}, {"2", 1.0}};
  EXPECT_NEAR(value(ExampleMetric::log_loss, s.rows, kMulti).value,
              (-std::log(0.2) - std::log(1.0 / 1.8)) / 2, 1e-12);
}

TEST(ExampleMetrics, RegressionFromSklearnDocs) {
  // r2_score / mean_absolute_error / mean_squared_error docs: [3, -0.5, 2, 7] vs [2.5, 0, 2, 8].
  Examples x;
  x.add_value(3, 2.5);
  x.add_value(-0.5, 0.0);
  x.add_value(2, 2);
  x.add_value(7, 8);
  EXPECT_NEAR(value(ExampleMetric::r2, x.rows, kRegression).value, 0.9486081370449679, 1e-15);
  EXPECT_DOUBLE_EQ(value(ExampleMetric::mae, x.rows, kRegression).value, 0.5);
  EXPECT_DOUBLE_EQ(value(ExampleMetric::rmse, x.rows, kRegression).value, std::sqrt(0.375));
  // force_finite: constant truth -> 1 when perfect, 0 otherwise; one example is undefined.
  Examples c;
  c.add_value(1, 1);
  c.add_value(1, 1);
  EXPECT_EQ(value(ExampleMetric::r2, c.rows, kRegression).value, 1.0);
  c.add_value(1, 2);
  EXPECT_EQ(value(ExampleMetric::r2, c.rows, kRegression).value, 0.0);
  EXPECT_TRUE(value(ExampleMetric::r2, c.rows, kRegression).defined);
  Examples one;
  one.add_value(1, 2);
  EXPECT_TRUE(std::isnan(value(ExampleMetric::r2, one.rows, kRegression).value));
  EXPECT_FALSE(value(ExampleMetric::r2, one.rows, kRegression).defined);
}

TEST(ExampleMetrics, PositiveLabel) {
  Examples x;
  x.add("true", "true");
  x.add("false", "true");
  EXPECT_EQ(default_positive_label(x.rows), "true");
  EXPECT_DOUBLE_EQ(value(ExampleMetric::precision, x.rows).value, 0.5);
  EXPECT_DOUBLE_EQ(value(ExampleMetric::precision, x.rows, {MetricTask::binary, "false"}).value,
                   0.0);
  Examples y;
  y.add("0", "2");
  y.add("2", "2");
  EXPECT_EQ(default_positive_label(y.rows), "1");
  // Every label other than the positive one is negative: 0 and 2 agree as negatives.
  EXPECT_DOUBLE_EQ(value(ExampleMetric::accuracy, y.rows).value, 1.0);
  EXPECT_DOUBLE_EQ(value(ExampleMetric::accuracy, y.rows, kMulti).value, 0.5);
}

TEST(ExampleMetrics, InferTask) {
  Examples b;
  b.add("0", "1");
  b.add("1", "1");
  EXPECT_EQ(infer_task(b.rows), MetricTask::binary);
  b.add("2", "1");
  EXPECT_EQ(infer_task(b.rows), MetricTask::multiclass);
  Examples s;
  s.add("0", "0").scores = {{"0", 0.5}, {"1", 0.5}};
  EXPECT_EQ(infer_task(s.rows), MetricTask::multiclass);
  Examples r;
  r.add_value(1, 2);
  EXPECT_EQ(infer_task(r.rows), MetricTask::regression);
}

TEST(ExampleMetrics, PrepareErrors) {
  Examples x;
  x.add("1", "1", 0.4);
  x.add("0", "", std::nullopt);
  EXPECT_EQ(prepare_error(ExampleMetric::accuracy, x.rows),
            "example \"e2\" has no label (accuracy needs one on every example with a truth)");
  EXPECT_EQ(prepare_error(ExampleMetric::roc_auc, x.rows),
            "example \"e2\" has no score (roc_auc needs one on every example with a truth)");
  x.store[1].score = 1.5;
  EXPECT_EQ(prepare_error(ExampleMetric::brier, x.rows),
            "example \"e2\" has the score 1.5 (brier needs a probability from 0 to 1)");
  EXPECT_EQ(prepare_error(ExampleMetric::roc_auc, x.rows), "(prepared)");
  x.store[1].score = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(prepare_error(ExampleMetric::roc_auc, x.rows),
            "example \"e2\" has the score nan (roc_auc needs a finite number)");
  x.store[1].truth.reset();
  EXPECT_EQ(prepare_error(ExampleMetric::roc_auc, x.rows), "example \"e2\" has no truth");
  EXPECT_EQ(prepare_error(ExampleMetric::macro_f1, x.rows), "macro_f1 is not a binary metric");
  EXPECT_EQ(prepare_error(ExampleMetric::precision, x.rows, kMulti),
            "precision is not a multiclass metric");
  EXPECT_EQ(prepare_error(ExampleMetric::accuracy, {}), "accuracy: no examples with a truth");
}

TEST(ExampleMetrics, PrepareErrorsMulticlassAndRegression) {
  Examples x;
  x.add("0", "0").scores = {{"0", 0.5}, {"1", 0.5}};
  x.add("1", "0").scores = {{"0", 0.5}, {"2", 0.5}};
  EXPECT_EQ(prepare_error(ExampleMetric::log_loss, x.rows, kMulti),
            "example \"e2\"'s scores name other labels than example \"e1\"'s (log_loss needs the "
            "same labels on every example)");
  x.store[1].scores = {{"0", 0.5}, {"1", 0.5}};
  x.store[1].truth = "2";
  EXPECT_EQ(prepare_error(ExampleMetric::log_loss, x.rows, kMulti),
            "example \"e2\"'s truth 2 is not among the labels of its scores");
  x.store[1].truth = "1";
  x.store[1].scores[0].second = -0.1;
  EXPECT_EQ(prepare_error(ExampleMetric::log_loss, x.rows, kMulti),
            "example \"e2\" has the score -0.1 for 0 (log_loss needs probabilities from 0 to 1)");
  x.store[1].scores.clear();
  EXPECT_EQ(prepare_error(ExampleMetric::log_loss, x.rows, kMulti),
            "example \"e2\" has no scores (log_loss needs them on every example with a truth)");
  x.store[0].scores = {{"0", 1.0}};
  EXPECT_EQ(prepare_error(ExampleMetric::log_loss, x.rows, kMulti),
            "example \"e1\" has scores for one label (log_loss needs at least two)");
  Examples r;
  r.add("\"3.0\"").value = 3.0;
  EXPECT_EQ(prepare_error(ExampleMetric::mae, r.rows, kRegression),
            "example \"e1\" has the truth \"3.0\" (mae needs a finite number)");
  r.store[0].truth = "3";
  r.store[0].value.reset();
  EXPECT_EQ(prepare_error(ExampleMetric::rmse, r.rows, kRegression),
            "example \"e1\" has no value (rmse needs a finite number on every example with a "
            "truth)");
}

// ---------------------------------------------------------------------------------------------
// Weighted == multiset, for every metric of every task.

// Random examples with ties in the scores, three labels, and regression values.
Examples random_examples(MetricTask task, int n, std::uint64_t seed) {
  SeededRng rng(seed);
  Examples x;
  const std::vector<std::string> classes = {"\"a\"", "\"b\"", "\"c\""};
  for (int i = 0; i < n; ++i) {
    if (task == MetricTask::regression) {
      x.add_value(static_cast<double>(rng.below(7)), rng.uniform() * 6);
      continue;
    }
    if (task == MetricTask::binary) {
      const bool y = rng.below(3) == 0;
      const double s = static_cast<double>(rng.below(11)) / 10.0;  // ties
      x.add(y ? "1" : "0", s > 0.5 ? "1" : "0", s);
      continue;
    }
    Prediction& p = x.add(classes[rng.below(3)], classes[rng.below(3)]);
    double a = rng.uniform(), b = rng.uniform(), c = rng.uniform();
    p.scores = {{"\"a\"", a}, {"\"b\"", b}, {"\"c\"", c}};
  }
  return x;
}

void expect_same(const MetricValue& a, const MetricValue& b, const std::string& what) {
  EXPECT_EQ(a.defined, b.defined) << what;
  if (std::isnan(b.value)) {
    EXPECT_TRUE(std::isnan(a.value)) << what;
  } else {
    EXPECT_NEAR(a.value, b.value, 1e-12 * std::max(1.0, std::fabs(b.value))) << what;
  }
}

TEST(ExampleMetricsWeighted, IntegerWeightsEqualTheMultiset) {
  int checked = 0;
  for (MetricTask task : {MetricTask::binary, MetricTask::multiclass, MetricTask::regression}) {
    for (std::uint64_t seed = 1; seed <= 20; ++seed) {
      const Examples x = random_examples(task, 5 + static_cast<int>(seed % 7) * 9, seed);
      SeededRng rng(seed * 977);
      std::vector<std::uint32_t> w(x.rows.size());
      ExampleRows multiset;
      for (std::size_t i = 0; i < w.size(); ++i) {
        w[i] = static_cast<std::uint32_t>(rng.below(4));  // 0 leaves the example out
        for (std::uint32_t k = 0; k < w[i]; ++k) multiset.push_back(x.rows[i]);
      }
      if (multiset.empty()) continue;
      for (ExampleMetric m : metrics_of(task)) {
        const MetricOptions o{task, "1"};
        const std::string what =
            to_string(task) + " " + to_string(m) + " seed " + std::to_string(seed);
        const PreparedMetric all = prepared(m, x.rows, o);
        const PreparedMetric expanded = prepared(m, multiset, o);
        expect_same(all.evaluate(w), expanded.evaluate(), what);
        const auto r1 = all.ratio(w);
        const auto r2 = expanded.ratio();
        ASSERT_EQ(r1.has_value(), r2.has_value()) << what;
        if (r1) {
          EXPECT_EQ(r1->numerator, r2->numerator) << what;
          EXPECT_EQ(r1->denominator, r2->denominator) << what;
        }
        ++checked;
      }
    }
  }
  EXPECT_GT(checked, 400);
}

TEST(ExampleMetricsWeighted, WrongNumberOfWeightsThrows) {
  Examples x;
  x.add("1", "1", 0.5);
  const std::vector<std::uint32_t> w = {1, 1};
  EXPECT_THROW(prepared(ExampleMetric::accuracy, x.rows).evaluate(w), std::invalid_argument);
}

// ---------------------------------------------------------------------------------------------
// Rows: truth, slices, pairs.

TEST(ExampleRows, TruthSlicesAndPairs) {
  std::vector<Prediction> cand(5), base(4);
  for (int i = 0; i < 5; ++i) cand[i].id = "id" + std::to_string(i);
  for (int i = 0; i < 4; ++i) base[i].id = "id" + std::to_string(4 - i);  // id4 .. id1
  cand[0].truth = "1";                                                    // only in cand
  cand[1].truth = "1", base[3].truth = "1";                               // id1: paired
  cand[2].truth = "0", base[2].truth = "1";                               // id2: differs
  cand[3].truth = "0", base[1].truth = "0";                               // id3: paired
  base[0].truth = "1";                                                    // id4: only in base
  cand[1].slices = {{"band", "small"}, {"x", "1"}};
  cand[3].slices = {{"band", "large"}};
  EXPECT_EQ(rows_with_truth(cand).size(), 4u);
  const PairedRows pairs = pair_by_id(cand, base);
  ASSERT_EQ(pairs.candidate.size(), 2u);
  EXPECT_EQ(pairs.candidate[0]->id, "id1");
  EXPECT_EQ(pairs.baseline[0], &base[3]);
  EXPECT_EQ(pairs.candidate[1]->id, "id3");
  EXPECT_EQ(pairs.baseline[1], &base[1]);
  EXPECT_EQ(pairs.candidate_only, 1u);
  EXPECT_EQ(pairs.baseline_only, 1u);
  EXPECT_EQ(pairs.truth_differs, 1u);
  const auto groups = group_by_slice(rows_with_truth(cand), "band");
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].value, "large");
  EXPECT_EQ(groups[0].rows, ExampleRows{&cand[3]});
  EXPECT_EQ(groups[1].value, "small");
  EXPECT_TRUE(group_by_slice(rows_with_truth(cand), "nope").empty());
}

}  // namespace
}  // namespace mlgate::core
