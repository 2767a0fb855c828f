// Every example metric (core/example_metrics.h) against scikit-learn 1.2.1 itself, and the
// distributions (core/stats.h) and the bootstrap's quantile (core/bootstrap.h) against SciPy and
// numpy, to 1e-9: seeded data with ties, zeros and ones in the scores, unnormalised multi-class
// rows, small slices with zero divisions, and a bootstrap resample (integer weights against the
// multiset). The reference runs in the real image: `docker run --network none
// mlgate/python-ml:bookworm python3 /data/check.py` (tests/integration/core/sklearn_check.py).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/bootstrap.h"
#include "core/example_metrics.h"
#include "core/example_rows.h"
#include "core/predictions.h"
#include "core/seeded_rng.h"
#include "core/stats.h"
#include "tests/support/python_image.h"
#include "tests/support/temp_dir.h"
#include "util/child_process.h"

namespace mlgate::core {
namespace {

using nlohmann::json;

double round2(double v) {
  return std::round(v * 100) / 100;
}

// Binary: scores on a 0.01 grid (many ties), exact 0 and 1, labels mostly from the score; a slice
// "band" with a tiny all-negative group (zero divisions, roc_auc undefined) and rows without it.
std::string binary_file() {
  static const char* const bands[] = {"small", "medium", "large"};
  SeededRng rng(11);
  std::string out;
  for (int i = 0; i < 3000; ++i) {
    const char* band = i < 3 ? "tiny" : bands[rng.below(3)];
    const int y = i >= 3 && rng.uniform() < 0.35 ? 1 : 0;
    double s = std::clamp(round2((y ? 0.65 : 0.35) + (rng.uniform() - 0.5) * 0.9), 0.0, 1.0);
    if (i % 97 == 0) s = y ? 0.0 : 1.0;  // confidently wrong: clipped in log_loss
    const int label = (s >= 0.5) != (rng.below(20) == 0) ? 1 : 0;
    json line = {{"id", "b" + std::to_string(i)}, {"label", label}, {"score", s}, {"truth", y}};
    if (i % 31 != 0) line["slices"] = {{"band", band}};
    out += line.dump() + "\n";
  }
  return out;
}

// Multi-class: probabilities per class, some rows not summing to 1 and some zeros.
std::string multiclass_file(bool integer_classes, int n, std::uint64_t seed) {
  SeededRng rng(seed);
  const int k = integer_classes ? 3 : 4;
  std::string out;
  for (int i = 0; i < n; ++i) {
    const int truth = static_cast<int>(rng.below(10) < 4 ? 0 : rng.below(k));
    std::vector<double> p(k);
    double sum = 0;
    for (int c = 0; c < k; ++c) {
      p[c] = rng.below(15) == 0 ? 0.0 : rng.uniform() + (c == truth ? 0.8 : 0.0);
      sum += p[c];
    }
    // One row in five sums to between 0.5 and 1.5 (each entry still a probability).
    const double total = i % 5 == 0 ? 0.5 + rng.uniform() : 1.0;
    int best = 0;
    for (int c = 0; c < k; ++c) {
      p[c] = std::min(1.0, p[c] / sum * total);
      if (p[c] > p[best]) best = c;
    }
    const int label = rng.below(10) == 0 ? static_cast<int>(rng.below(k)) : best;
    const auto name = [&](int c) {
      return integer_classes ? json(c) : json(std::string(1, static_cast<char>('a' + c)));
    };
    json scores = json::object();
    for (int c = 0; c < k; ++c)
      scores[integer_classes ? std::to_string(c) : name(c).get<std::string>()] = p[c];
    json line = {{"id", i}, {"label", name(label)}, {"truth", name(truth)}, {"scores", scores}};
    line["slices"] = {{"band", i % 3 == 0 ? "odd" : "even"}};
    out += line.dump() + "\n";
  }
  return out;
}

// Regression: decimal truths, noisy values; a one-example slice (r2 undefined).
std::string regression_file() {
  SeededRng rng(13);
  std::string out;
  for (int i = 0; i < 1500; ++i) {
    const double y = std::round(rng.uniform() * 1000) / 10;
    const double v = y + (rng.uniform() - 0.5) * 20;
    json line = {{"id", "r" + std::to_string(i)}, {"value", v}, {"truth", y}};
    line["slices"] = {{"site", i == 0 ? "one" : (i % 2 ? "north" : "south")}};
    out += line.dump() + "\n";
  }
  return out;
}

struct Dataset {
  std::string file;
  MetricTask task;
  std::string positive;  // label text
  std::string slice;
  std::vector<Prediction> rows;
  std::vector<std::uint32_t> weights;
};

json stats_request() {
  json t = json::array();
  for (double df : {1, 2, 3, 4, 5, 7, 9, 10, 15, 29, 30, 60, 100, 1000, 10000}) {
    for (double p : {1e-10, 1e-4, 0.005, 0.025, 0.05, 0.3, 0.6, 0.9, 0.95, 0.975, 0.995, 0.9999}) {
      t.push_back({p, df});
    }
  }
  SeededRng rng(17);
  json quantiles = json::array();
  for (int n : {1, 2, 7, 100, 2000}) {
    std::vector<double> x(n);
    for (double& v : x) v = rng.uniform() - 0.3;
    for (double q : {0.0, 0.025, 0.05, 0.5, 0.95, 0.975, 1.0}) quantiles.push_back({x, q});
  }
  return {{"normal",
           {1e-300, 1e-20, 1e-10, 0.001, 0.02425, 0.025, 0.3, 0.5, 0.7, 0.975, 0.999, 1 - 1e-10}},
          {"t", t},
          {"wilson",
           {{81, 263, 0.95},
            {15, 148, 0.95},
            {0, 20, 0.95},
            {1, 29, 0.95},
            {29, 29, 0.95},
            {500, 1000, 0.99},
            {3, 10, 0.9},
            {9999, 10000, 0.95}}},
          {"mcnemar",
           {{1, 9},
            {0, 0},
            {5, 5},
            {3, 17},
            {40, 60},
            {100, 160},
            {0, 30},
            {250, 300},
            {1000, 1100},
            {2000, 2400}}},
          {"quantile", quantiles}};
}

double worst_difference = 0;  // over every metric compared, printed at the end

class SklearnParity : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    skip_ = testing::docker_missing();
    if (!skip_.empty()) return;
    datasets_ = new std::map<std::string, Dataset>();
    add("binary", binary_file(), MetricTask::binary, "1", "band", 21);
    add("multiclass", multiclass_file(false, 2000, 12), MetricTask::multiclass, "", "band", 22);
    add("multiclass_int", multiclass_file(true, 500, 14), MetricTask::multiclass, "", "band", 23);
    add("regression", regression_file(), MetricTask::regression, "", "site", 24);
    result_ = new json(run_reference());
  }
  static void TearDownTestSuite() {
    if (result_ != nullptr) {
      std::cout << "[ info ] largest difference to scikit-learn over every metric compared: "
                << worst_difference << "\n";
    }
    delete datasets_;
    delete result_;
  }
  void SetUp() override {
    if (!skip_.empty()) GTEST_SKIP() << "Docker is absent (" << skip_ << ")";
    ASSERT_NE(result_, nullptr);
    ASSERT_FALSE(result_->is_null()) << "the reference did not run";
  }

  static void add(const std::string& name, const std::string& text, MetricTask task,
                  const std::string& positive, const std::string& slice, std::uint64_t seed) {
    Dataset d{name + ".jsonl", task, positive, slice, {}, {}};
    auto parsed = parse_predictions_jsonl(text);
    ASSERT_TRUE(parsed.ok()) << parsed.error().to_string();
    d.rows = std::move(parsed).value();
    d.weights.resize(d.rows.size());
    SeededRng rng(seed);
    draw_resample(rng, d.weights);
    files_[d.file] = text;
    (*datasets_)[name] = std::move(d);
  }

  static json run_reference() {
    testing::TempDir dir("mlgate-sklearn");
    json request = {{"datasets", json::object()}, {"stats", stats_request()}};
    for (const auto& [name, d] : *datasets_) {
      request["datasets"][name] = {
          {"file", d.file},
          {"task", to_string(d.task)},
          {"positive", d.positive.empty() ? json() : json::parse(d.positive)},
          {"slice", d.slice},
          {"weights", d.weights}};
    }
    for (const auto& [file, text] : files_) testing::write_file(dir.path() / file, text);
    testing::write_file(dir.path() / "request.json", request.dump());
    return testing::run_python_reference(dir, "sklearn_check.py");
  }

  static inline std::string skip_;
  static inline std::map<std::string, Dataset>* datasets_ = nullptr;
  static inline std::map<std::string, std::string> files_;
  static inline json* result_ = nullptr;
};

// Our value against sklearn's (null: sklearn refuses, so ours must be NaN and not defined).
void expect_metric(const MetricValue& ours, const json& ref, const std::string& what) {
  if (ref.is_null()) {
    EXPECT_TRUE(std::isnan(ours.value)) << what << " = " << ours.value;
    EXPECT_FALSE(ours.defined) << what;
    return;
  }
  const double want = ref.get<double>();
  EXPECT_NEAR(ours.value, want, 1e-9 * std::max(1.0, std::fabs(want))) << what;
  worst_difference = std::max(worst_difference, std::fabs(ours.value - want));
}

// Every metric of the task on rows (with weights when given) against ref (metric -> value).
int compare_all(const Dataset& d, std::span<const Prediction* const> rows, const json& ref,
                const std::string& where, const std::vector<std::uint32_t>* weights = nullptr) {
  int compared = 0;
  for (ExampleMetric m : metrics_of(d.task)) {
    const std::string what = where + " " + to_string(m);
    auto prepared = PreparedMetric::prepare(m, rows, MetricOptions{d.task, d.positive});
    if (auto* e = std::get_if<std::string>(&prepared)) {
      ADD_FAILURE() << what << ": " << *e;
      continue;
    }
    const PreparedMetric& p = std::get<PreparedMetric>(prepared);
    if (!ref.contains(to_string(m))) {
      ADD_FAILURE() << what << ": not in the reference";
      continue;
    }
    expect_metric(weights ? p.evaluate(*weights) : p.evaluate(), ref.at(to_string(m)), what);
    ++compared;
  }
  return compared;
}

TEST_F(SklearnParity, VersionsAreTheOnesDocumented) {
  EXPECT_EQ((*result_)["versions"]["sklearn"], "1.2.1");
}

TEST_F(SklearnParity, EveryMetricOnEveryDataset) {
  int compared = 0;
  for (const auto& [name, d] : *datasets_) {
    const ExampleRows rows = rows_with_truth(d.rows);
    ASSERT_EQ(rows.size(), d.rows.size());
    compared += compare_all(d, rows, (*result_)["datasets"][name]["all"], name);
  }
  EXPECT_EQ(compared, 14 + 9 + 9 + 3);
}

TEST_F(SklearnParity, EverySliceGroup) {
  int groups = 0;
  for (const auto& [name, d] : *datasets_) {
    const json& ref = (*result_)["datasets"][name]["slices"];
    const auto mine = group_by_slice(rows_with_truth(d.rows), d.slice);
    ASSERT_EQ(mine.size(), ref.size()) << name;
    for (const SliceGroup& g : mine) {
      ASSERT_TRUE(ref.contains(g.value)) << name << " " << g.value;
      compare_all(d, g.rows, ref[g.value], name + " " + d.slice + "=" + g.value);
      ++groups;
    }
  }
  EXPECT_EQ(groups, 4 + 2 + 2 + 3);
}

TEST_F(SklearnParity, AResampleAsWeightsEqualsSklearnOnTheMultiset) {
  for (const auto& [name, d] : *datasets_) {
    compare_all(d, rows_with_truth(d.rows), (*result_)["datasets"][name]["weighted"],
                name + " (resample)", &d.weights);
  }
}

TEST_F(SklearnParity, NormalQuantileWilsonMcNemarQuantile) {
  const json req = stats_request();
  const json& ref = (*result_)["stats"];
  for (std::size_t i = 0; i < req["normal"].size(); ++i) {
    const double p = req["normal"][i], want = ref["normal"][i];
    EXPECT_NEAR(normal_quantile(p), want, 1e-12 * std::fabs(want)) << p;
  }
  for (std::size_t i = 0; i < req["wilson"].size(); ++i) {
    const auto& c = req["wilson"][i];
    const Interval w = wilson_interval(c[0], c[1], c[2]);
    EXPECT_NEAR(w.lower, ref["wilson"][i][0].get<double>(), 1e-12) << c.dump();
    EXPECT_NEAR(w.upper, ref["wilson"][i][1].get<double>(), 1e-12) << c.dump();
  }
  for (std::size_t i = 0; i < req["mcnemar"].size(); ++i) {
    const auto& c = req["mcnemar"][i];
    const double want = ref["mcnemar"][i];
    EXPECT_NEAR(mcnemar_exact_p(c[0], c[1]), want, 1e-9 * want) << c.dump();
  }
  for (std::size_t i = 0; i < req["quantile"].size(); ++i) {
    std::vector<double> x = req["quantile"][i][0];
    std::sort(x.begin(), x.end());
    const double want = ref["quantile"][i];
    EXPECT_NEAR(linear_quantile(x, req["quantile"][i][1]), want, 1e-15) << x.size();
  }
}

TEST_F(SklearnParity, StudentTQuantiles) {
  // Against the root of SciPy's t CDF to 1e-9; SciPy's own t.ppf (cephes stdtrit) is itself
  // only good to about 3e-9 here, so it is held to 1e-8.
  const json req = stats_request();
  const json& ref = (*result_)["stats"];
  double worst_ppf = 0;
  for (std::size_t i = 0; i < req["t"].size(); ++i) {
    const double p = req["t"][i][0], df = req["t"][i][1];
    const double ours = student_t_quantile(p, df);
    const double root = ref["t_root"][i], ppf = ref["t_ppf"][i];
    EXPECT_NEAR(ours, root, 1e-9 * std::fabs(root)) << "p " << p << " df " << df;
    EXPECT_NEAR(ours, ppf, 1e-8 * std::fabs(ppf)) << "p " << p << " df " << df;
    worst_ppf = std::max(worst_ppf, std::fabs(ours - ppf) / std::fabs(ppf));
  }
  std::cout << "[ info ] largest relative difference to scipy.stats.t.ppf: " << worst_ppf << "\n";
}

}  // namespace
}  // namespace mlgate::core
