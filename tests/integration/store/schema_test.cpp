// The schema's constraints keep invalid states out of the database.
#include <gtest/gtest.h>

#include <pqxx/pqxx>

#include "tests/support/pg_cluster.h"

namespace mlgate {
namespace {

class SchemaTest : public testing::DbTest {
 protected:
  void exec(const std::string& sql) {
    db().with([&](pqxx::connection& c) {
      pqxx::work tx(c);
      tx.exec(sql);
      tx.commit();
    });
  }
  // The first row of `sql`'s answer, its columns joined by spaces.
  std::string first_row(const std::string& sql) {
    return db().with([&](pqxx::connection& c) {
      pqxx::work tx(c);
      const auto r = tx.exec1(sql);
      std::string out;
      for (const auto& f : r) out += (out.empty() ? "" : " ") + f.as<std::string>();
      tx.commit();
      return out;
    });
  }
  // A column's compression method: "l" for lz4, "" for the default (pglz).
  std::string compression_of(const std::string& table, const std::string& column) {
    return first_row("SELECT attcompression::text FROM pg_attribute WHERE attrelid = '" + table +
                     "'::regclass AND attname = '" + column + "'");
  }
  void SetUp() override {
    DbTest::SetUp();
    exec(
        "INSERT INTO repos (id, forge, full_name, clone_url, webhook_secret) VALUES "
        "(1, 'github', 'acme/model', 'https://example.invalid/acme/model.git', 'secret-123')");
    exec(
        "INSERT INTO pipelines (id, repo_id, trigger, ref, branch, sha) VALUES (1, 1, 'push', "
        "'refs/heads/main', 'main', '" +
        std::string(40, 'a') + "')");
    exec("INSERT INTO runners (id, name, token_hash, executor) VALUES (1, 'r1', 'h1', 'docker')");
  }
  std::string job(const std::string& state, const std::string& extra_cols = "",
                  const std::string& extra_vals = "") {
    return "INSERT INTO jobs (pipeline_id, tier, priority, state, image, command, timeout_seconds" +
           extra_cols + ") VALUES (1, 'functionality', 0, '" + state + "', 'img', 'true', 300" +
           extra_vals + ")";
  }
};

TEST_F(SchemaTest, RejectsUnknownJobStates) {
  EXPECT_NO_THROW(exec(job("queued")));
  EXPECT_THROW(exec("UPDATE jobs SET state = 'exploded'"), pqxx::check_violation);
}

TEST_F(SchemaTest, ARunningJobNeedsARunnerAndALease) {
  EXPECT_THROW(exec(job("running")), pqxx::check_violation);
  EXPECT_THROW(exec(job("running", ", lease_expires_at", ", now()")), pqxx::check_violation);
  EXPECT_NO_THROW(exec(job("running", ", runner_id, lease_expires_at", ", 1, now()")));
  EXPECT_THROW(exec("UPDATE jobs SET state = 'queued'"),
               pqxx::check_violation);  // lease left behind
}

TEST_F(SchemaTest, OneJobPerTierPerPipeline) {
  exec(job("queued"));
  EXPECT_THROW(exec(job("queued")), pqxx::unique_violation);
}

TEST_F(SchemaTest, ShasMustBeFullLowercaseHex) {
  EXPECT_THROW(
      exec("INSERT INTO pipelines (repo_id, trigger, ref, sha) VALUES (1, 'push', 'x', 'HEAD')"),
      pqxx::check_violation);
  EXPECT_THROW(exec("INSERT INTO pipelines (repo_id, trigger, ref, sha) VALUES (1, 'push', 'x', '" +
                    std::string(40, 'A') + "')"),
               pqxx::check_violation);
}

TEST_F(SchemaTest, AnAcceptedDeliveryIdIsUniquePerRepoButRejectedOnesDoNotClaimIt) {
  auto delivery = [&](const std::string& verdict) {
    exec(
        "INSERT INTO webhook_deliveries (repo_id, forge, delivery_id, body, verdict, http_status) "
        "VALUES (1, 'github', 'd-1', '\\x00', '" +
        verdict + "', 202)");
  };
  EXPECT_NO_THROW(delivery("rejected"));
  EXPECT_NO_THROW(delivery("accepted"));
  EXPECT_THROW(delivery("accepted"), pqxx::unique_violation);
  EXPECT_NO_THROW(delivery("duplicate"));
}

TEST_F(SchemaTest, AScheduledRunCanOnlyFireOnce) {
  auto fire = [&] {
    exec(
        "INSERT INTO schedules (repo_id, tier, cron, scheduled_for) VALUES "
        "(1, 'training', '0 2 * * *', '2026-11-23 02:00:00+00')");
  };
  fire();
  EXPECT_THROW(fire(), pqxx::unique_violation);
}

TEST_F(SchemaTest, AForcedDeploymentNeedsAReason) {
  std::string sha(40, 'b');
  EXPECT_THROW(exec("INSERT INTO deployments (repo_id, environment, sha, forced, actor) VALUES "
                    "(1, 'production', '" +
                    sha + "', true, 'alice')"),
               pqxx::check_violation);
  EXPECT_NO_THROW(
      exec("INSERT INTO deployments (repo_id, environment, sha, forced, reason, actor) "
           "VALUES (1, 'production', '" +
           sha + "', true, 'hotfix', 'alice')"));
}

TEST_F(SchemaTest, OnlyADeployRowRecordsGateRulesAndThoseAreAnObject) {
  const std::string sha(40, 'b');
  const std::string deploy =
      "INSERT INTO deployments (id, repo_id, environment, sha, actor, gate_rules) VALUES (1, 1, "
      "'production', '" +
      sha + "', 'alice', ";
  EXPECT_THROW(exec(deploy + "'[1]')"), pqxx::check_violation);
  EXPECT_NO_THROW(exec(deploy + R"('{"gate": {}, "rubric": {}}'))"));
  EXPECT_THROW(exec("INSERT INTO deployments (id, repo_id, environment, sha, kind, "
                    "rolled_back_from, actor, gate_rules) VALUES (2, 1, 'production', '" +
                    sha + "', 'rollback', 1, 'alice', '{}')"),
               pqxx::check_violation);
  EXPECT_NO_THROW(
      exec("INSERT INTO deployments (id, repo_id, environment, sha, kind, rolled_back_from, "
           "actor) VALUES (2, 1, 'production', '" +
           sha + "', 'rollback', 1, 'alice')"));
}

TEST_F(SchemaTest, TokensHaveKnownScopesOnly) {
  EXPECT_THROW(
      exec("INSERT INTO api_tokens (name, token_hash, scopes) VALUES ('t', 'h', '{root}')"),
      pqxx::check_violation);
  EXPECT_NO_THROW(
      exec("INSERT INTO api_tokens (name, token_hash, scopes) VALUES ('t', 'h', '{read,deploy}')"));
}

// Observation partials are compressed with lz4, not pglz (docs/observations.md, migration 0023).
TEST_F(SchemaTest, ObservationPartialsAreCompressedWithLz4) {
  EXPECT_EQ(compression_of("observation_partials", "profile"), "l");
}

// Webhook bodies are compressed with lz4, not pglz (docs/webhooks.md, migration 0028), and a body
// stored that way reads back whole.
TEST_F(SchemaTest, WebhookBodiesAreCompressedWithLz4) {
  EXPECT_EQ(compression_of("webhook_deliveries", "body"), "l");
  const std::string body = "convert_to(repeat('{\"a\":1}', 4000), 'UTF8')";
  const std::string id = first_row(
      "INSERT INTO webhook_deliveries (forge, delivery_id, event, headers, body, verdict, "
      "http_status) VALUES ('github', 'lz4', 'push', '{}', " +
      body + ", 'rejected', 401) RETURNING id");
  EXPECT_EQ(first_row("SELECT pg_column_compression(body), octet_length(body), body = " + body +
                      " FROM webhook_deliveries WHERE id = " + id),
            "lz4 28000 t");
}

// The claims' picks take a group of runners (migration 0029; the one-runner pick of 0027 is gone):
// each runner its own job in order, none for a runner whose tiers match nothing, and the picks
// share the caller's transaction (they are not claimed until the caller writes them).
TEST_F(SchemaTest, TheClaimsPicksServeAGroupOfRunnersInOrder) {
  EXPECT_EQ(first_row("SELECT count(*) FROM pg_proc WHERE proname = 'mlgate_claim_pick'"), "0");
  exec(job("queued"));
  exec(
      "INSERT INTO pipelines (id, repo_id, trigger, ref, branch, sha) VALUES (2, 1, 'push', "
      "'refs/heads/main', 'main', '" +
      std::string(40, 'b') + "')");
  exec(
      "INSERT INTO jobs (pipeline_id, tier, priority, state, image, command, timeout_seconds) "
      "VALUES (2, 'functionality', 0, 'queued', 'img', 'true', 300)");
  EXPECT_EQ(first_row("SELECT string_agg(slot || ':' || (SELECT pipeline_id FROM jobs "
                      "WHERE id = job_id), ',' ORDER BY slot) FROM mlgate_claim_picks("
                      "'{1,1,1}', '{training,\"functionality,validation\",functionality}', "
                      "'{t,t,t}')"),
            "2:1,3:2");
}

// A job's compact results (docs/results.md, migration 0030): compressed with lz4, one row per job,
// gone with the job; deleting a kind's rows forgets that kind's document and leaves the others.
TEST_F(SchemaTest, CompactResultsFollowTheirRows) {
  for (const char* column : {"tests", "metrics", "predictions"})
    EXPECT_EQ(compression_of("job_results_compact", column), "l") << column;
  exec(job("passed"));
  const std::string id = first_row("SELECT id FROM jobs");
  exec("INSERT INTO job_results_compact (job_id, tests, metrics, predictions) VALUES (" + id +
       ", 'MGT1', 'MGM1', 'MGR1')");
  EXPECT_THROW(exec("INSERT INTO job_results_compact (job_id) VALUES (" + id + ")"),
               pqxx::unique_violation);
  EXPECT_THROW(exec("INSERT INTO job_results_compact (job_id) VALUES (999999)"),
               pqxx::foreign_key_violation);
  exec("INSERT INTO metrics (job_id, name, value) VALUES (" + id + ", 'accuracy', 0.9)");
  exec("INSERT INTO predictions (job_id, example_id, label) VALUES (" + id + ", 'e1', '1')");
  exec("DELETE FROM predictions WHERE job_id = " + id);
  EXPECT_EQ(first_row("SELECT tests IS NULL, metrics IS NULL, predictions IS NULL FROM "
                      "job_results_compact"),
            "f f t");
  exec("DELETE FROM metrics");
  EXPECT_EQ(first_row("SELECT tests IS NULL, metrics IS NULL FROM job_results_compact"), "f t");
  exec("DELETE FROM jobs");
  EXPECT_EQ(first_row("SELECT count(*) FROM job_results_compact"), "0");
}

// A gate decision's checks and inputs are compressed with lz4, not pglz (docs/gate.md, migration
// 0030).
TEST_F(SchemaTest, GateDecisionsAreCompressedWithLz4) {
  EXPECT_EQ(compression_of("gate_decisions", "checks"), "l");
  EXPECT_EQ(compression_of("gate_decisions", "inputs"), "l");
}

// Registration tokens serve the whole server: no other scope, no repository.
TEST_F(SchemaTest, RunnerRegistrationTokensAreAloneAndUnrestricted) {
  const std::string insert = "INSERT INTO api_tokens (name, token_hash, scopes, repo_id) VALUES ";
  EXPECT_THROW(exec(insert + "('t', 'h1', '{runner-register}', 1)"), pqxx::check_violation);
  EXPECT_THROW(exec(insert + "('t', 'h2', '{runner-register,read}', NULL)"), pqxx::check_violation);
  EXPECT_NO_THROW(exec(insert + "('t', 'h3', '{runner-register}', NULL)"));
  EXPECT_NO_THROW(exec(insert + "('t', 'h4', '{admin}', 1)"));
}

TEST_F(SchemaTest, DeletingARepoRemovesItsPipelinesAndJobs) {
  exec(job("queued"));
  exec("DELETE FROM repos WHERE id = 1");
  int jobs = db().with([](pqxx::connection& c) {
    pqxx::nontransaction tx(c);
    return tx.exec1("SELECT count(*) FROM jobs")[0].as<int>();
  });
  EXPECT_EQ(jobs, 0);
}

}  // namespace
}  // namespace mlgate
