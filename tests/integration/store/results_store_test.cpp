// A job's results (test cases, metrics, predictions) against real PostgreSQL: they round-trip
// (predictions with their truth, value, slices and scores), NaN and infinities are kept for the
// gate to fail, and storing a kind replaces the earlier one.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <tuple>
#include <vector>

#include "store/gate_inputs.h"
#include "store/pipelines.h"
#include "store/repos.h"
#include "store/results.h"
#include "store/results_compact_read.h"
#include "tests/support/pg_cluster.h"

namespace mlgate {
namespace {

using core::Metric;
using core::Prediction;
using core::TestCase;
using core::TestStatus;

// A pipeline of commit `sha` with one job per tier; returns the job ids by tier.
std::map<std::string, std::int64_t> add_pipeline(pqxx::work& tx, std::int64_t repo_id,
                                                 const std::string& sha,
                                                 const std::vector<std::string>& tiers) {
  store::NewPipeline p;
  p.repo_id = repo_id;
  p.trigger = "push";
  p.ref = "refs/heads/main";
  p.branch = "main";
  p.sha = sha;
  for (const std::string& tier : tiers) {
    store::NewJob j;
    j.tier = tier;
    j.image = "mlgate/python-ml:bookworm";
    j.command = "pytest";
    p.jobs.push_back(j);
  }
  auto id = store::create_pipeline(tx, p);
  std::map<std::string, std::int64_t> out;
  for (const auto& r : tx.exec_params("SELECT tier, id FROM jobs WHERE pipeline_id = $1", id)) {
    out[r[0].as<std::string>()] = r[1].as<std::int64_t>();
  }
  return out;
}

// A repo and a pipeline with one job per tier; returns the job ids by tier.
std::map<std::string, std::int64_t> make_jobs(pqxx::work& tx) {
  store::NewRepo repo;
  repo.forge = "gitlab";
  repo.full_name = "acme/churn-model";
  repo.clone_url = "https://gitlab.example.invalid/acme/churn-model.git";
  repo.webhook_secret = "webhook-secret-123";
  return add_pipeline(tx, store::insert_repo(tx, repo), std::string(40, 'c'),
                      {"functionality", "validation", "training"});
}

Metric metric(const std::string& name, double value, const std::string& key = "",
              const std::string& group = "", std::optional<std::int64_t> n = std::nullopt) {
  Metric m;
  m.name = name;
  m.slice_key = key;
  m.slice_value = group;
  m.n = n;
  m.value = value;
  return m;
}

class ResultsStoreTest : public testing::DbTest {
 protected:
  void SetUp() override {
    DbTest::SetUp();
    jobs_ = db().with([&](pqxx::connection& c) {
      pqxx::work t(c);
      auto jobs = make_jobs(t);
      t.commit();
      return jobs;
    });
    job_ = jobs_["validation"];
  }
  template <typename F>
  void tx(F&& fn) {
    db().with([&](pqxx::connection& c) {
      pqxx::work t(c);
      fn(t);
      t.commit();
    });
  }
  core::JobResults load(std::int64_t job) {
    return db().with([&](pqxx::connection& c) {
      pqxx::nontransaction t(c);
      return store::load_results(t, job);
    });
  }
  // The metric named `name` for slice (key, group); fails the test when absent.
  static const Metric* find(const std::vector<Metric>& ms, const std::string& name,
                            const std::string& key = "", const std::string& group = "") {
    for (const auto& m : ms) {
      if (m.name == name && m.slice_key == key && m.slice_value == group) return &m;
    }
    ADD_FAILURE() << "no metric " << name << " [" << key << "=" << group << "]";
    return nullptr;
  }

  std::map<std::string, std::int64_t> jobs_;
  std::int64_t job_ = 0;
};

TEST_F(ResultsStoreTest, MetricsRoundTripGlobalAndSliced) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  tx([&](pqxx::work& t) {
    store::replace_metrics(t, job_,
                           {
                               metric("accuracy", 0.9312),
                               metric("recall", 0.81, "age_group", "<30", 120),
                               metric("recall", 0.77, "age_group", "30-60", 0),
                               metric("recall", 0.5, "region", "EU"),
                               metric("loss", nan),
                               metric("perplexity", inf),
                               metric("log_likelihood", -inf),
                           });
  });

  auto r = load(job_);
  ASSERT_EQ(r.metrics.size(), 7u);
  if (auto m = find(r.metrics, "accuracy")) {
    EXPECT_DOUBLE_EQ(m->value, 0.9312);
    EXPECT_FALSE(m->n.has_value());
  }
  if (auto m = find(r.metrics, "recall", "age_group", "<30")) {
    EXPECT_DOUBLE_EQ(m->value, 0.81);
    EXPECT_EQ(m->n, std::optional<std::int64_t>(120));
  }
  if (auto m = find(r.metrics, "recall", "age_group", "30-60")) {
    EXPECT_DOUBLE_EQ(m->value, 0.77);
    EXPECT_EQ(m->n, std::optional<std::int64_t>(0));  // an empty group is not "n unknown"
  }
  if (auto m = find(r.metrics, "recall", "region", "EU")) {
    EXPECT_DOUBLE_EQ(m->value, 0.5);
    EXPECT_FALSE(m->n.has_value());
  }
  if (auto m = find(r.metrics, "loss")) {
    EXPECT_TRUE(std::isnan(m->value)) << m->value;
  }
  if (auto m = find(r.metrics, "perplexity")) {
    EXPECT_TRUE(std::isinf(m->value) && m->value > 0) << m->value;
  }
  if (auto m = find(r.metrics, "log_likelihood")) {
    EXPECT_TRUE(std::isinf(m->value) && m->value < 0) << m->value;
  }
}

TEST_F(ResultsStoreTest, StoringMetricsAgainReplacesTheEarlierOnes) {
  tx([&](pqxx::work& t) {
    store::replace_metrics(
        t, job_, {metric("accuracy", 0.5), metric("recall", 0.4, "age_group", "<30", 10)});
  });
  tx([&](pqxx::work& t) { store::replace_metrics(t, job_, {metric("accuracy", 0.95)}); });

  auto r = load(job_);
  ASSERT_EQ(r.metrics.size(), 1u);
  EXPECT_EQ(r.metrics[0].name, "accuracy");
  EXPECT_DOUBLE_EQ(r.metrics[0].value, 0.95);

  tx([&](pqxx::work& t) { store::replace_metrics(t, job_, {}); });
  EXPECT_TRUE(load(job_).metrics.empty());
}

TEST_F(ResultsStoreTest, ReplacingOneKindOrOneJobLeavesTheOthers) {
  auto other = jobs_["training"];
  tx([&](pqxx::work& t) {
    TestCase tc;
    tc.name = "test_schema";
    store::replace_test_cases(t, job_, {tc});
    store::replace_predictions(t, job_, {Prediction{"ex-1", "1", 0.9}});
    store::replace_metrics(t, job_, {metric("accuracy", 0.5)});
    store::replace_metrics(t, other, {metric("accuracy", 0.7)});
  });
  tx([&](pqxx::work& t) { store::replace_metrics(t, job_, {metric("f1", 0.6)}); });

  auto r = load(job_);
  ASSERT_EQ(r.metrics.size(), 1u);
  EXPECT_EQ(r.metrics[0].name, "f1");
  EXPECT_EQ(r.tests.size(), 1u);
  EXPECT_EQ(r.predictions.size(), 1u);
  auto o = load(other);
  ASSERT_EQ(o.metrics.size(), 1u);
  EXPECT_DOUBLE_EQ(o.metrics[0].value, 0.7);
  EXPECT_TRUE(o.tests.empty());
  EXPECT_TRUE(o.predictions.empty());
}

TEST_F(ResultsStoreTest, TestCasesRoundTripWithTheirRubricIdsAndStatuses) {
  std::vector<TestCase> in(4);
  in[0] = {"test_schema[row0]", "tests.data.test_schema", TestStatus::passed, 0.25, "",
           {"data-1", "data-2"}};
  in[1] = {"test_no_leakage",
           "tests.data.test_split",
           TestStatus::failed,
           1.5,
           "AssertionError: 12 ids in both train and test",
           {"data-5"}};
  in[2] = {"test_gpu", "tests.model.test_train", TestStatus::skipped, 0.0, "no GPU", {}};
  in[3] = {"test_loader",
           "tests.infra.test_io",
           TestStatus::error,
           0.01,
           "FileNotFoundError: data/train.csv",
           {"infra-1"}};
  tx([&](pqxx::work& t) { store::replace_test_cases(t, job_, in); });

  auto r = load(job_);
  ASSERT_EQ(r.tests.size(), in.size());
  for (const auto& want : in) {
    SCOPED_TRACE(want.name);
    auto it = std::find_if(r.tests.begin(), r.tests.end(),
                           [&](const TestCase& t) { return t.name == want.name; });
    ASSERT_NE(it, r.tests.end());
    EXPECT_EQ(it->classname, want.classname);
    EXPECT_EQ(it->status, want.status);
    EXPECT_DOUBLE_EQ(it->time_seconds, want.time_seconds);
    EXPECT_EQ(it->message, want.message);
    EXPECT_EQ(it->mltest, want.mltest);
  }

  // A re-run attempt's tests replace these.
  TestCase rerun;
  rerun.name = "test_no_leakage";
  rerun.status = TestStatus::passed;
  tx([&](pqxx::work& t) { store::replace_test_cases(t, job_, {rerun}); });
  auto again = load(job_);
  ASSERT_EQ(again.tests.size(), 1u);
  EXPECT_EQ(again.tests[0].status, TestStatus::passed);
  EXPECT_TRUE(again.tests[0].mltest.empty());
}

// The gate's reads are prepared statements: parsed and planned once per connection, not per call
// (the compact documents', and the rows' of a job stored without them).
TEST_F(ResultsStoreTest, ReadsArePreparedOncePerConnection) {
  TestCase in;
  in.name = "test_a";
  in.status = TestStatus::passed;
  tx([&](pqxx::work& t) { store::replace_test_cases(t, job_, {in}); });
  tx([&](pqxx::work& t) { t.exec("DELETE FROM job_results_compact"); });
  const auto names = db().with([&](pqxx::connection& c) {
    for (int i = 0; i < 2; ++i) {
      pqxx::nontransaction t(c);
      auto r = store::load_results(t, job_);
      EXPECT_EQ(r.tests.size(), 1u);
    }
    pqxx::nontransaction t(c);
    std::vector<std::string> out;
    for (const auto& r : t.exec("SELECT name FROM pg_prepared_statements "
                                "WHERE name LIKE 'results\\_%' ORDER BY name"))
      out.push_back(r[0].as<std::string>());
    return out;
  });
  EXPECT_EQ(names, (std::vector<std::string>{"results_compact", "results_metrics",
                                             "results_predictions", "results_tests"}));
}

// The gate's view of a commit names its newest result rows in its cache marker: results stored
// again, or rows deleted by hand, change the marker of the commit whose jobs they belong to,
// whichever of its jobs holds them, and nothing else does.
TEST_F(ResultsStoreTest, TheGateViewsMarkerFollowsEachJobsNewestResultRows) {
  auto marker = [&] {
    return db().with([&](pqxx::connection& c) {
      pqxx::read_transaction t(c);
      auto view = store::gate_view_of_commit(t, 1, std::string(40, 'c'));
      EXPECT_TRUE(view.has_value());
      return view ? view->marker : std::string();
    });
  };
  TestCase tc;
  tc.name = "test_a";
  const auto first = jobs_["functionality"];
  const auto last = jobs_["training"];
  tx([&](pqxx::work& t) {
    for (const auto job : {first, job_, last}) {
      store::replace_test_cases(t, job, {tc, tc});
      store::replace_metrics(t, job, {metric("accuracy", 0.5), metric("f1", 0.4)});
    }
  });
  const std::string stored = marker();
  EXPECT_EQ(marker(), stored);
  // Stored again for the first job: its rows get ids above every other job's.
  tx([&](pqxx::work& t) { store::replace_test_cases(t, first, {tc}); });
  const std::string tests_again = marker();
  EXPECT_NE(tests_again, stored);
  tx([&](pqxx::work& t) { store::replace_metrics(t, first, {metric("accuracy", 0.6)}); });
  const std::string metrics_again = marker();
  EXPECT_NE(metrics_again, tests_again);
  // The commit's newest rows deleted by hand (no job row is updated): the marker drops back.
  tx([&](pqxx::work& t) {
    t.exec_params("DELETE FROM test_cases WHERE job_id = $1", first);
    t.exec_params("DELETE FROM metrics WHERE job_id = $1", first);
  });
  EXPECT_NE(marker(), metrics_again);
  const std::string after_delete = marker();
  // Another commit's results leave it as it is.
  tx([&](pqxx::work& t) {
    const auto other_job =
        add_pipeline(t, 1, std::string(40, 'd'), {"functionality"}).begin()->second;
    store::replace_test_cases(t, other_job, {tc});
    store::replace_metrics(t, other_job, {metric("accuracy", 0.7)});
  });
  EXPECT_EQ(marker(), after_delete);
}

TEST_F(ResultsStoreTest, PredictionsRoundTripWithAndWithoutScore) {
  std::vector<Prediction> in = {
      {"ex-1", "1", 0.93},
      {"ex-2", "\"1\"", std::nullopt},
      {"ex-3", "true", 0.0},
      {"ex-4", "{\"class\":\"cat\",\"p\":[0.1,0.9]}", std::nullopt},
  };
  tx([&](pqxx::work& t) { store::replace_predictions(t, job_, in); });

  auto r = load(job_);
  ASSERT_EQ(r.predictions.size(), in.size());
  for (const auto& want : in) {
    SCOPED_TRACE(want.id);
    auto it = std::find_if(r.predictions.begin(), r.predictions.end(),
                           [&](const Prediction& p) { return p.id == want.id; });
    ASSERT_NE(it, r.predictions.end());
    EXPECT_EQ(it->label, want.label);  // 1, "1" and true stay different
    ASSERT_EQ(it->score.has_value(), want.score.has_value());
    if (want.score) {
      EXPECT_DOUBLE_EQ(*it->score, *want.score);
    }
  }

  tx([&](pqxx::work& t) { store::replace_predictions(t, job_, {{"ex-9", "0", 0.1}}); });
  auto again = load(job_);
  ASSERT_EQ(again.predictions.size(), 1u);
  EXPECT_EQ(again.predictions[0].id, "ex-9");
}

TEST_F(ResultsStoreTest, PredictionsKeepTruthValueSlicesAndScores) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  Prediction bin{"b-1", "1", 0.91};
  bin.truth = "0";
  bin.slices = {{"age", "31"}, {"size_band", "small"}, {"z\"q\\\t\n", "tab\there"}};
  Prediction multi{"m-1", "\"cat\"", std::nullopt};
  multi.truth = "\"dog\"";
  // Labels in byte order, values that need every digit, and the non-finite ones.
  multi.scores = {
      {"\"cat\"", 0.1 + 0.2}, {"\"dog\"", 1e-300},       {"\"x\"", nan}, {"1", 5e-324}, {"2", inf},
      {"a-long-label", -inf}, {"b", 0.30000000000000004}};
  Prediction reg{"r-1", "", std::nullopt};
  reg.truth = "3";
  reg.value = 3.2;
  Prediction reg_nan{"r-2", "", std::nullopt};
  reg_nan.value = nan;
  const std::vector<Prediction> in = {bin, multi, reg, reg_nan};
  tx([&](pqxx::work& t) { store::replace_predictions(t, job_, in); });

  const auto r = load(job_);
  ASSERT_EQ(r.predictions.size(), 4u);  // ORDER BY example_id: b-1, m-1, r-1, r-2
  const Prediction& b = r.predictions[0];
  EXPECT_EQ(b.truth, "0");
  EXPECT_EQ(b.value, std::nullopt);
  EXPECT_EQ(b.slices, bin.slices);
  EXPECT_TRUE(b.scores.empty());
  const Prediction& m = r.predictions[1];
  EXPECT_EQ(m.truth, "\"dog\"");
  ASSERT_EQ(m.scores.size(), multi.scores.size());
  for (std::size_t i = 0; i < m.scores.size(); ++i) {
    SCOPED_TRACE(multi.scores[i].first);
    EXPECT_EQ(m.scores[i].first, multi.scores[i].first);
    if (std::isnan(multi.scores[i].second)) {
      EXPECT_TRUE(std::isnan(m.scores[i].second));
    } else {
      EXPECT_EQ(m.scores[i].second, multi.scores[i].second);  // bit for bit
    }
  }
  EXPECT_TRUE(m.slices.empty());
  EXPECT_EQ(r.predictions[2].truth, "3");
  EXPECT_EQ(r.predictions[2].value, 3.2);
  EXPECT_EQ(r.predictions[3].truth, std::nullopt);
  ASSERT_TRUE(r.predictions[3].value.has_value());
  EXPECT_TRUE(std::isnan(*r.predictions[3].value));

  // Stored as NULL where a line has none, as SQL sees it; objects where it has them.
  tx([&](pqxx::work& t) {
    const auto row = t.exec_params1(
        "SELECT count(*) FILTER (WHERE truth IS NULL), count(*) FILTER (WHERE value IS NULL), "
        "count(*) FILTER (WHERE slices IS NULL), count(*) FILTER (WHERE scores IS NULL), "
        "max(slices->>'size_band') FROM predictions WHERE job_id = $1",
        job_);
    EXPECT_EQ(row[0].as<int>(), 1);
    EXPECT_EQ(row[1].as<int>(), 2);
    EXPECT_EQ(row[2].as<int>(), 3);
    EXPECT_EQ(row[3].as<int>(), 3);
    EXPECT_EQ(row[4].as<std::string>(), "small");
  });
}

TEST_F(ResultsStoreTest, PredictionSlicesAndScoresMustBeObjects) {
  tx([&](pqxx::work& t) { store::replace_predictions(t, job_, {{"ex-1", "1", 0.5}}); });
  for (const char* column : {"slices", "scores"}) {
    SCOPED_TRACE(column);
    db().with([&](pqxx::connection& c) {
      pqxx::work t(c);
      EXPECT_THROW(t.exec_params(std::string("UPDATE predictions SET ") + column +
                                     " = '[1]'::jsonb WHERE job_id = $1",
                                 job_),
                   pqxx::check_violation);
    });
  }
}

// Results as they are uploaded (out of order, repeated slice keys, -0 and NaN of every kind), the
// same results read from their compact documents and from their rows (as a job stored before
// migration 0030 is read): the same values, bit for bit, in the same order.
class CompactResultsTest : public ResultsStoreTest {
 protected:
  void store_all() {
    TestCase failed{"test_leak", "tests.data", TestStatus::failed, 1.5, "AssertionError", {}};
    TestCase timeless{
        "test_inf",           "", TestStatus::passed, std::numeric_limits<double>::infinity(), "",
        {"data-1", "model-2"}};
    Prediction b{"b-10", "\"cat\"", -0.0};
    b.truth = "\"dog\"";
    b.slices = {{"region", "EU"}, {"age", "31"}, {"region", "US"}};
    b.scores = {{"\"dog\"", 0.25}, {"\"cat\"", -0.0}, {"\"dog\"", 0.75}, {"x", nan_}, {"y", -inf_}};
    Prediction a{"B-2", "1", nan_};
    a.value = -nan_;
    Prediction c{"a-1", "0", 0.1 + 0.2};
    c.truth = "0";
    tx([&](pqxx::work& t) {
      store::replace_test_cases(t, job_, {failed, timeless});
      store::replace_metrics(t, job_,
                             {metric("recall", 0.8, "region", "EU", 10), metric("accuracy", -nan_),
                              metric("recall", 0.7, "age", "<30"), metric("Zeta", -0.0),
                              metric("recall", 0.6, "age", "30-60", 0)});
      store::replace_predictions(t, job_, {b, a, c});
    });
  }
  core::JobResults load_rows() {
    tx([&](pqxx::work& t) {
      t.exec_params("DELETE FROM job_results_compact WHERE job_id = $1", job_);
    });
    return load(job_);
  }
  std::int64_t compact_rows() {
    return db().with([&](pqxx::connection& c) {
      pqxx::nontransaction t(c);
      return t
          .exec1(
              "SELECT count(*) FROM job_results_compact WHERE tests IS NOT NULL AND "
              "metrics IS NOT NULL AND predictions IS NOT NULL")[0]
          .as<std::int64_t>();
    });
  }
  const double nan_ = std::numeric_limits<double>::quiet_NaN();
  const double inf_ = std::numeric_limits<double>::infinity();
};

bool same_bits(double x, double y) {
  return std::memcmp(&x, &y, sizeof x) == 0;
}
bool same_bits(const std::optional<double>& x, const std::optional<double>& y) {
  return x.has_value() == y.has_value() && (!x || same_bits(*x, *y));
}

void expect_same_results(const core::JobResults& a, const core::JobResults& b) {
  ASSERT_EQ(a.tests.size(), b.tests.size());
  for (std::size_t i = 0; i < a.tests.size(); ++i) {
    SCOPED_TRACE(a.tests[i].name);
    EXPECT_EQ(a.tests[i].name, b.tests[i].name);
    EXPECT_EQ(a.tests[i].classname, b.tests[i].classname);
    EXPECT_EQ(a.tests[i].status, b.tests[i].status);
    EXPECT_TRUE(same_bits(a.tests[i].time_seconds, b.tests[i].time_seconds));
    EXPECT_EQ(a.tests[i].message, b.tests[i].message);
    EXPECT_EQ(a.tests[i].mltest, b.tests[i].mltest);
  }
  ASSERT_EQ(a.metrics.size(), b.metrics.size());
  for (std::size_t i = 0; i < a.metrics.size(); ++i) {
    SCOPED_TRACE(a.metrics[i].name + " " + a.metrics[i].slice_value);
    EXPECT_EQ(a.metrics[i].name, b.metrics[i].name);
    EXPECT_EQ(a.metrics[i].slice_key, b.metrics[i].slice_key);
    EXPECT_EQ(a.metrics[i].slice_value, b.metrics[i].slice_value);
    EXPECT_EQ(a.metrics[i].n, b.metrics[i].n);
    EXPECT_TRUE(same_bits(a.metrics[i].value, b.metrics[i].value));
  }
  ASSERT_EQ(a.predictions.size(), b.predictions.size());
  for (std::size_t i = 0; i < a.predictions.size(); ++i) {
    const Prediction& x = a.predictions[i];
    const Prediction& y = b.predictions[i];
    SCOPED_TRACE(x.id);
    EXPECT_EQ(x.id, y.id);
    EXPECT_EQ(x.label, y.label);
    EXPECT_TRUE(same_bits(x.score, y.score));
    EXPECT_EQ(x.truth, y.truth);
    EXPECT_TRUE(same_bits(x.value, y.value));
    EXPECT_EQ(x.slices, y.slices);
    ASSERT_EQ(x.scores.size(), y.scores.size());
    for (std::size_t k = 0; k < x.scores.size(); ++k) {
      EXPECT_EQ(x.scores[k].first, y.scores[k].first);
      EXPECT_TRUE(same_bits(x.scores[k].second, y.scores[k].second)) << x.scores[k].first;
    }
  }
}

TEST_F(CompactResultsTest, DocumentsAndRowsReadTheSame) {
  store_all();
  ASSERT_EQ(compact_rows(), 1);
  const core::JobResults compact = load(job_);
  ASSERT_EQ(compact.tests.size(), 2u);
  ASSERT_EQ(compact.metrics.size(), 5u);
  ASSERT_EQ(compact.predictions.size(), 3u);
  EXPECT_EQ(compact.predictions[0].id, "B-2");  // byte order
  EXPECT_EQ(compact.metrics[0].name, "Zeta");   // global metrics first
  const core::JobResults rows = load_rows();
  ASSERT_EQ(compact_rows(), 0);
  expect_same_results(compact, rows);
}

// A job stored before the documents, or whose rows of a kind were deleted since (retention drops
// old predictions): that kind is read from the rows, the others from their documents.
TEST_F(CompactResultsTest, DeletingRowsForgetsTheirDocument) {
  store_all();
  const core::JobResults before = load(job_);
  tx([&](pqxx::work& t) { t.exec_params("DELETE FROM predictions WHERE job_id = $1", job_); });
  const auto kept = db().with([&](pqxx::connection& c) {
    pqxx::nontransaction t(c);
    const auto r = t.exec_params1(
        "SELECT tests IS NOT NULL, metrics IS NOT NULL, predictions IS NULL "
        "FROM job_results_compact WHERE job_id = $1",
        job_);
    return std::make_tuple(r[0].as<bool>(), r[1].as<bool>(), r[2].as<bool>());
  });
  EXPECT_EQ(kept, std::make_tuple(true, true, true));
  const core::JobResults after = load(job_);
  EXPECT_TRUE(after.predictions.empty());
  EXPECT_EQ(after.tests.size(), before.tests.size());
  EXPECT_EQ(after.metrics.size(), before.metrics.size());
  // Deleting the job deletes its documents with its rows.
  tx([&](pqxx::work& t) { t.exec_params("DELETE FROM jobs WHERE id = $1", job_); });
  EXPECT_EQ(compact_rows(), 0);
}

// The gate reads the documents in libpq's binary format inside its transaction
// (store/results_compact_read.h); without a transaction of their own they are read as hex text.
// Both give the same results, bit for bit.
TEST_F(CompactResultsTest, BinaryAndTextFormatsReadTheSame) {
  store_all();
  const core::JobResults text = load(job_);
  const auto binary = db().with([&](pqxx::connection& c) {
    pqxx::transaction<pqxx::repeatable_read, pqxx::read_only> t(c);
    return store::load_results(t, job_);
  });
  ASSERT_EQ(binary.predictions.size(), 3u);
  expect_same_results(binary, text);
  const std::string jobs = "{" + std::to_string(job_) + "," + std::to_string(job_ + 1000) + "}";
  db().with([&](pqxx::connection& c) {
    std::vector<std::int64_t> seen;
    std::size_t bytes = 0;
    const auto each = [&](const store::CompactDocumentsView& d) {
      seen.push_back(d.job_id);
      ASSERT_TRUE(d.tests && d.metrics && d.predictions);
      bytes = d.predictions->size();
      EXPECT_EQ(d.predictions->substr(0, 4), "MGR1");
    };
    {
      pqxx::nontransaction t(c);
      EXPECT_FALSE(store::read_compact_documents_binary(t, jobs, each));
    }
    EXPECT_TRUE(seen.empty());
    pqxx::work t(c);
    ASSERT_TRUE(store::read_compact_documents_binary(t, jobs, each));
    EXPECT_EQ(seen, std::vector<std::int64_t>{job_});
    EXPECT_EQ(static_cast<std::int64_t>(bytes),
              t.exec_params1("SELECT octet_length(predictions) FROM job_results_compact "
                             "WHERE job_id = $1",
                             job_)[0]
                  .as<std::int64_t>());
    // A failed statement is an error with PostgreSQL's message.
    EXPECT_THROW(store::read_compact_documents_binary(t, "{not a number}", each),
                 std::runtime_error);
  });
}

// A document that does not read back is an error naming the job, not results read in part.
TEST_F(CompactResultsTest, ACorruptDocumentIsAnError) {
  store_all();
  for (const char* column : {"tests", "metrics", "predictions"}) {
    SCOPED_TRACE(column);
    db().with([&](pqxx::connection& c) {
      pqxx::work t(c);
      t.exec_params(std::string("UPDATE job_results_compact SET ") + column + " = substring(" +
                        column + " from 1 for octet_length(" + column + ") - 1) WHERE job_id = $1",
                    job_);
      try {
        store::load_results(t, job_);
        ADD_FAILURE() << "a cut document was read";
      } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("of job " + std::to_string(job_) + " are corrupt"),
                  std::string::npos)
            << e.what();
      }
    });  // rolled back
  }
}

}  // namespace
}  // namespace mlgate
