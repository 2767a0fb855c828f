// Retention against real PostgreSQL (store/retention.h, docs/operations.md "Retention"): what ages
// out is deleted with everything it holds, and what a user relies on later is never deleted,
// however old: deployed commits (the gate's baselines), the heads of refs and branches, unfinished
// pipelines, and the gate decisions deployments point at.
#include "store/retention.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "store/deployments.h"
#include "store/pipelines.h"
#include "store/repos.h"
#include "tests/support/pg_cluster.h"

namespace mlgate {
namespace {

std::string sha_of(char c) {
  return std::string(40, c);
}

class RetentionTest : public testing::DbTest {
 protected:
  void SetUp() override {
    DbTest::SetUp();
    repo_ = insert_test_repo("acme/retention");
  }

  std::int64_t count(const std::string& sql) {
    return tx([&](pqxx::work& t) { return t.exec1(sql)[0].as<std::int64_t>(); });
  }

  // A pipeline with a functionality and a validation job, each with a log chunk, a test case, a
  // metric and a prediction; finished `days_ago` days ago (-1: still running).
  std::int64_t pipeline(const std::string& sha, int days_ago, const std::string& branch = "main",
                        const std::string& trigger = "push") {
    return tx([&](pqxx::work& t) {
      store::NewPipeline p;
      p.repo_id = repo_;
      p.trigger = trigger;
      p.branch = branch;
      p.ref = trigger == "tag" ? "refs/tags/" + branch : "refs/heads/" + branch;
      p.sha = sha;
      for (const std::string tier : {"functionality", "validation"}) {
        store::NewJob j;
        j.tier = tier;
        j.image = "mlgate/busybox:test";
        j.command = "true";
        p.jobs.push_back(j);
      }
      auto id = store::create_pipeline(t, p);
      for (const auto& row : t.exec_params("SELECT id FROM jobs WHERE pipeline_id = $1", id)) {
        const auto job = row[0].as<std::int64_t>();
        t.exec_params(
            "INSERT INTO job_logs (job_id, attempt, byte_offset, data) "
            "VALUES ($1, 1, 0, 'hello log'::bytea)",
            job);
        t.exec_params(
            "UPDATE jobs SET log_bytes = 9, state = 'passed', finished_at = now() WHERE id = $1",
            job);
        t.exec_params(
            "INSERT INTO test_cases (job_id, name, classname, status) "
            "VALUES ($1, 'test_ok', 'tests', 'passed')",
            job);
        t.exec_params("INSERT INTO metrics (job_id, name, value) VALUES ($1, 'accuracy', 0.9)",
                      job);
        t.exec_params(
            "INSERT INTO predictions (job_id, example_id, label, score) "
            "VALUES ($1, 'ex-1', '1', 0.8)",
            job);
      }
      if (days_ago >= 0) {
        t.exec_params(
            "UPDATE pipelines SET state = 'passed', created_at = now() - make_interval(days => $2),"
            " finished_at = now() - make_interval(days => $2) WHERE id = $1",
            id, days_ago);
      } else {
        t.exec_params(
            "UPDATE pipelines SET state = 'running', "
            "created_at = now() - interval '400 days' WHERE id = $1",
            id);
      }
      return id;
    });
  }
  bool exists(std::int64_t pipeline_id) {
    return count("SELECT count(*) FROM pipelines WHERE id = " + std::to_string(pipeline_id)) == 1;
  }
  std::int64_t deploy(const std::string& sha, std::optional<std::int64_t> decision = {}) {
    return tx([&](pqxx::work& t) {
      store::NewDeployment d;
      d.repo_id = repo_;
      d.environment = "production";
      d.sha = sha;
      d.gate_decision_id = decision;
      d.actor = "test";
      return store::insert_deployment(t, d);
    });
  }
  std::int64_t decision(const std::string& sha, int days_ago) {
    return tx([&](pqxx::work& t) {
      return t
          .exec_params1(
              "INSERT INTO gate_decisions (repo_id, sha, environment, decision, checks, "
              "inputs, created_at) VALUES ($1, $2, 'production', 'allow', '[]', '{}', "
              "now() - make_interval(days => $3)) RETURNING id",
              repo_, sha, days_ago)[0]
          .as<std::int64_t>();
    });
  }
  store::RetentionCounts apply(store::RetentionPolicy policy, int batch = 200) {
    return store::apply_retention(db(), policy, batch);
  }

  std::int64_t repo_ = 0;
};

TEST_F(RetentionTest, AnOldPipelineGoesWithEverythingItHeldAndTheHeadStays) {
  const auto old_id = pipeline(sha_of('a'), 40);
  const auto head = pipeline(sha_of('b'), 40);  // as old, but the newest pipeline of main
  const auto recent = pipeline(sha_of('c'), 5, "feature");
  const auto before_jobs = count("SELECT count(*) FROM jobs");

  auto n = apply({.pipeline_days = 30});
  EXPECT_EQ(n.pipelines, 1);
  EXPECT_FALSE(exists(old_id));
  EXPECT_TRUE(exists(head));
  EXPECT_TRUE(exists(recent));
  // Its jobs, logs, tests, metrics, predictions and state changes went with it.
  EXPECT_EQ(count("SELECT count(*) FROM jobs"), before_jobs - 2);
  const std::string of_old = " WHERE job_id NOT IN (SELECT id FROM jobs)";
  for (const std::string table : {"job_logs", "test_cases", "metrics", "predictions"}) {
    EXPECT_EQ(count("SELECT count(*) FROM " + table + of_old), 0) << table;
    EXPECT_EQ(count("SELECT count(*) FROM " + table), 4) << table;  // 2 pipelines x 2 jobs
  }
  EXPECT_EQ(
      count("SELECT count(*) FROM state_changes WHERE pipeline_id = " + std::to_string(old_id)), 0);
  // A second pass finds nothing more.
  EXPECT_FALSE(apply({.pipeline_days = 30}).any());
}

TEST_F(RetentionTest, ADeployedCommitIsKeptHoweverOldAndSoIsARollbackTarget) {
  const auto deployed = pipeline(sha_of('a'), 400);
  const auto other = pipeline(sha_of('b'), 300);
  pipeline(sha_of('c'), 1);  // the head of main
  deploy(sha_of('a'));
  apply({.pipeline_days = 30, .log_days = 7});
  EXPECT_TRUE(exists(deployed));
  EXPECT_FALSE(exists(other));
  // The baseline's logs and predictions stay too: flips checks compare against them.
  EXPECT_EQ(count("SELECT count(*) FROM predictions p JOIN jobs j ON j.id = p.job_id "
                  "WHERE j.pipeline_id = " +
                  std::to_string(deployed)),
            2);
  EXPECT_EQ(count("SELECT count(*) FROM jobs WHERE logs_deleted_at IS NOT NULL"), 0);
}

TEST_F(RetentionTest, EveryPipelineOfAHeadCommitStaysAndUnfinishedOnesStay) {
  // A nightly pipeline on the same commit as main's head, older than the head's own pipeline.
  const auto nightly = pipeline(sha_of('a'), 90, "main", "schedule");
  const auto head = pipeline(sha_of('a'), 80);
  const auto tag = pipeline(sha_of('d'), 500, "v1.0", "tag");  // the only pipeline of its tag
  const auto stale_branch = pipeline(sha_of('e'), 500, "experiment");
  const auto running = pipeline(sha_of('f'), -1, "experiment");
  // `running` is now the newest on experiment: the stale head is no longer a head.
  auto n = apply({.pipeline_days = 30});
  EXPECT_EQ(n.pipelines, 1);
  EXPECT_TRUE(exists(nightly));
  EXPECT_TRUE(exists(head));
  EXPECT_TRUE(exists(tag));
  EXPECT_FALSE(exists(stale_branch));
  EXPECT_TRUE(exists(running));
}

TEST_F(RetentionTest, LogRetentionEmptiesLogsAndPredictionsButKeepsResults) {
  const auto old_id = pipeline(sha_of('a'), 10);
  const auto fresh = pipeline(sha_of('b'), 2);
  pipeline(sha_of('c'), 1);  // head
  auto n = apply({.log_days = 7});
  EXPECT_EQ(n.jobs_emptied, 2);
  EXPECT_EQ(n.pipelines, 0);
  const auto in = [](std::int64_t p) {
    return " JOIN jobs j ON j.id = x.job_id WHERE j.pipeline_id = " + std::to_string(p);
  };
  EXPECT_EQ(count("SELECT count(*) FROM job_logs x" + in(old_id)), 0);
  EXPECT_EQ(count("SELECT count(*) FROM predictions x" + in(old_id)), 0);
  EXPECT_EQ(count("SELECT count(*) FROM metrics x" + in(old_id)), 2);
  EXPECT_EQ(count("SELECT count(*) FROM test_cases x" + in(old_id)), 2);
  EXPECT_EQ(count("SELECT count(*) FROM jobs WHERE logs_deleted_at IS NOT NULL AND pipeline_id = " +
                  std::to_string(old_id)),
            2);
  EXPECT_EQ(count("SELECT count(*) FROM job_logs x" + in(fresh)), 2);
  EXPECT_TRUE(exists(old_id));
  EXPECT_EQ(apply({.log_days = 7}).jobs_emptied, 0);  // each job once
}

TEST_F(RetentionTest, GateDecisionsADeploymentNamesAreKept) {
  pipeline(sha_of('a'), 1);
  const auto named = decision(sha_of('a'), 400);
  const auto old_one = decision(sha_of('b'), 400);
  const auto recent = decision(sha_of('b'), 3);
  deploy(sha_of('a'), named);
  auto n = apply({.pipeline_days = 30});
  EXPECT_EQ(n.gate_decisions, 1);
  const auto has = [&](std::int64_t id) {
    return count("SELECT count(*) FROM gate_decisions WHERE id = " + std::to_string(id)) == 1;
  };
  EXPECT_TRUE(has(named));
  EXPECT_FALSE(has(old_one));
  EXPECT_TRUE(has(recent));
}

TEST_F(RetentionTest, ZeroDaysKeepsEverything) {
  pipeline(sha_of('a'), 3000);
  pipeline(sha_of('b'), 3000);
  decision(sha_of('a'), 3000);
  EXPECT_FALSE(apply({}).any());
  EXPECT_EQ(count("SELECT count(*) FROM pipelines"), 2);
  EXPECT_EQ(count("SELECT count(*) FROM gate_decisions"), 1);
}

TEST_F(RetentionTest, ABacklogGoesInSmallBatches) {
  for (char c : std::string("0123456")) pipeline(sha_of(c), 60);  // 7; the last is main's head
  auto n = apply({.pipeline_days = 30, .log_days = 30}, 2);
  EXPECT_EQ(n.pipelines, 6);
  EXPECT_EQ(count("SELECT count(*) FROM pipelines"), 1);
}

TEST_F(RetentionTest, AnotherReplicaHoldingTheLockMeansThisOneDeletesNothing) {
  const auto old_id = pipeline(sha_of('a'), 60);
  pipeline(sha_of('b'), 1);
  pqxx::connection other(db().conninfo());
  pqxx::nontransaction o(other);
  o.exec_params("SELECT pg_advisory_lock($1)", store::kRetentionLockKey);
  EXPECT_FALSE(apply({.pipeline_days = 30}).any());
  EXPECT_TRUE(exists(old_id));
  o.exec_params("SELECT pg_advisory_unlock($1)", store::kRetentionLockKey);
  EXPECT_EQ(apply({.pipeline_days = 30}).pipelines, 1);
  EXPECT_FALSE(exists(old_id));
}

}  // namespace
}  // namespace mlgate
