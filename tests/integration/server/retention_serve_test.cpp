// Retention through the real `mlgate serve` (docs/operations.md, "Retention"): started with
// --pipeline-retention-days and --log-retention-days on a database holding old history, it applies
// the policy at start; the API and the job page then say that a log was deleted, and by what.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <string>

#include "store/pipelines.h"
#include "store/repos.h"
#include "tests/support/mlgate_process.h"
#include "tests/support/pg_cluster.h"
#include "tests/support/temp_dir.h"

namespace mlgate {
namespace {

using testing::eventually;
using testing::http_get;

std::string strip(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

// A finished pipeline on main with one job holding a log chunk and a prediction; returns the
// pipeline id and its job id.
std::pair<std::int64_t, std::int64_t> old_pipeline(pqxx::work& tx, std::int64_t repo, char sha_char,
                                                   int days_ago) {
  store::NewPipeline p;
  p.repo_id = repo;
  p.trigger = "push";
  p.ref = "refs/heads/main";
  p.branch = "main";
  p.sha = std::string(40, sha_char);
  store::NewJob j;
  j.tier = "functionality";
  j.image = "mlgate/busybox:test";
  j.command = "true";
  p.jobs.push_back(j);
  const auto id = store::create_pipeline(tx, p);
  const auto job =
      tx.exec_params1("SELECT id FROM jobs WHERE pipeline_id = $1", id)[0].as<std::int64_t>();
  tx.exec_params(
      "INSERT INTO job_logs (job_id, attempt, byte_offset, data) "
      "VALUES ($1, 1, 0, 'the old log'::bytea)",
      job);
  tx.exec_params("INSERT INTO predictions (job_id, example_id, label) VALUES ($1, 'e1', '1')", job);
  tx.exec_params(
      "UPDATE jobs SET state = 'passed', attempt = 1, log_bytes = 11, finished_at = now() "
      "WHERE id = $1",
      job);
  tx.exec_params(
      "UPDATE pipelines SET state = 'passed', finished_at = now() - "
      "make_interval(days => $2) WHERE id = $1",
      id, days_ago);
  return {id, job};
}

TEST(RetentionServeTest, ServeAppliesThePolicyAndSaysWhatItDeleted) {
  testing::TempDir dir;
  const auto conninfo = testing::PgCluster::instance().create_database("retention");
  std::pair<std::int64_t, std::int64_t> gone, emptied, head;
  {
    pqxx::connection c(conninfo);
    pqxx::work tx(c);
    store::NewRepo repo;
    repo.forge = "github";
    repo.full_name = "acme/old-model";
    repo.clone_url = "https://github.example.invalid/acme/old-model.git";
    repo.webhook_secret = "retention-serve-secret";
    const auto repo_id = store::insert_repo(tx, repo);
    gone = old_pipeline(tx, repo_id, 'a', 120);
    emptied = old_pipeline(tx, repo_id, 'b', 20);
    head = old_pipeline(tx, repo_id, 'c', 200);  // the newest of main: kept, logs too
    tx.commit();
  }
  {
    testing::ServeProcess serve(
        {.data_dir = dir.path() / "server",
         .database_url = conninfo,
         .extra_args = {"--pipeline-retention-days", "90", "--log-retention-days", "14"}});
    const auto token = strip(testing::read_file(dir.path() / "server" / "admin-token"));
    const std::vector<std::pair<std::string, std::string>> auth = {
        {"Authorization", "Bearer " + token}};
    const auto pipeline_status = [&](std::int64_t id) {
      return http_get(serve.host_port(), "/api/v1/pipelines/" + std::to_string(id), auth).status;
    };
    ASSERT_TRUE(eventually([&] { return pipeline_status(gone.first) == 404; })) << serve.log();
    EXPECT_EQ(pipeline_status(emptied.first), 200);
    EXPECT_EQ(pipeline_status(head.first), 200);

    ASSERT_TRUE(eventually([&] {
      auto r = http_get(serve.host_port(), "/api/v1/jobs/" + std::to_string(emptied.second), auth);
      return r.status == 200 && nlohmann::json::parse(r.body)["logs_deleted_at"].is_string();
    })) << serve.log();
    auto kept = http_get(serve.host_port(), "/api/v1/jobs/" + std::to_string(head.second), auth);
    ASSERT_EQ(kept.status, 200);
    EXPECT_TRUE(nlohmann::json::parse(kept.body)["logs_deleted_at"].is_null());
    EXPECT_EQ(
        http_get(serve.host_port(), "/jobs/" + std::to_string(head.second) + "/log.txt", auth).body,
        "the old log");
    EXPECT_EQ(
        http_get(serve.host_port(), "/jobs/" + std::to_string(emptied.second) + "/log.txt", auth)
            .body,
        "");
    auto page = http_get(serve.host_port(), "/jobs/" + std::to_string(emptied.second), auth);
    ASSERT_EQ(page.status, 200);
    EXPECT_NE(page.body.find("deleted by the retention policy"), std::string::npos);
    auto head_page = http_get(serve.host_port(), "/jobs/" + std::to_string(head.second), auth);
    EXPECT_EQ(head_page.body.find("deleted by the retention policy"), std::string::npos);
    EXPECT_NE(serve.log().find("retention applied"), std::string::npos) << serve.log();

    // `mlgate logs` says so too, on stderr, and succeeds (the job passed).
    util::ChildOptions o;
    o.stdout_path = (dir.path() / "logs.out").string();
    o.stderr_path = (dir.path() / "logs.err").string();
    util::ChildProcess cli(
        {MLGATE_BINARY, "logs", std::to_string(emptied.second), "--url", serve.url(),
         "--token-file", (dir.path() / "server" / "admin-token").string()},
        o);
    const int status = cli.wait();
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
    EXPECT_EQ(testing::read_file(dir.path() / "logs.out"), "");
    EXPECT_NE(testing::read_file(dir.path() / "logs.err").find("deleted by the retention policy"),
              std::string::npos)
        << testing::read_file(dir.path() / "logs.err");
  }
  testing::PgCluster::instance().drop_database(conninfo);
}

TEST(RetentionServeTest, ANegativeRetentionIsRefusedWithAClearError) {
  testing::TempDir dir;
  util::ChildOptions o;
  o.stdout_path = (dir.path() / "out.txt").string();
  o.stderr_path = "=stdout";
  util::ChildProcess p({MLGATE_BINARY, "serve", "--log-retention-days", "-1"}, o);
  const int status = p.wait();
  EXPECT_NE(status, 0);
  EXPECT_NE(testing::read_file(dir.path() / "out.txt").find("--log-retention-days"),
            std::string::npos);
}

}  // namespace
}  // namespace mlgate
