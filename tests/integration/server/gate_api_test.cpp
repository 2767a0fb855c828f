// The gate API end to end: the real `mlgate serve` on a throwaway PostgreSQL, a real `mlgate
// runner` (local executor) running the tiers of real pushed commits, whose results the gate judges
// against the deployed baseline. Deployments, refusals, force with audit, rollback, the decision
// cache and scopes.
#include <gtest/gtest.h>
#include <signal.h>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "store/tokens.h"
#include "tests/integration/server/gate_env.h"
#include "tests/support/git_fixture.h"
#include "tests/support/mlgate_process.h"
#include "tests/support/pg_cluster.h"
#include "tests/support/temp_dir.h"
#include "util/child_process.h"
#include "webhooks/signature.h"

namespace mlgate {
namespace {

using nlohmann::json;
using testing::eventually;
using testing::http_get;
using testing::http_post;
namespace fs = std::filesystem;

using testing::GateEnv;
using Headers = testing::HeaderPairs;

using testing::gate_results_script;
using testing::kGateTestConfig;

const json* find_check(const json& gate, const std::string& kind, const std::string& name,
                       const std::string& status = "") {
  for (const auto& c : gate["checks"])
    if (c["kind"] == kind && c["name"] == name && (status.empty() || c["status"] == status))
      return &c;
  return nullptr;
}

TEST(GateApi, DecidesAgainstTheDeployedBaselineDeploysForcesAndRollsBack) {
  GateEnv env;
  env.start_runner("r1");

  // Commit 1: good metrics, both tiers pass.
  const auto sha1 = env.push(kGateTestConfig, {{"results.sh", gate_results_script(0.93, 0.85)},
                                               {"validate.sh", "echo ok\n"}});
  ASSERT_EQ(env.wait_pipeline_end(sha1)["state"], "passed");

  auto g = env.gate(sha1);
  ASSERT_EQ(g.status, 200) << g.body;
  auto gate = json::parse(g.body);
  EXPECT_EQ(gate["decision"], "allow") << gate.dump(2);
  EXPECT_EQ(gate["sha"], sha1);
  EXPECT_EQ(gate["environment"], "production");
  EXPECT_TRUE(gate["baseline_sha"].is_null());
  EXPECT_EQ(gate["cached"], false);
  EXPECT_NE(gate["summary"].get<std::string>().find("no deployed baseline"), std::string::npos);
  ASSERT_TRUE(find_check(gate, "tier", "functionality", "pass")) << gate.dump(2);
  ASSERT_TRUE(find_check(gate, "tier", "validation", "pass")) << gate.dump(2);
  ASSERT_TRUE(find_check(gate, "metric", "accuracy", "skipped")) << gate.dump(2);  // no baseline
  ASSERT_TRUE(find_check(gate, "slice", "recall[age_group=<30]", "pass")) << gate.dump(2);
  EXPECT_TRUE(gate["rubric"].contains("score"));
  const long first_decision = gate["decision_id"];

  // The same question again is answered from the cache, without a new decision row.
  auto again = json::parse(env.gate(sha1).body);
  EXPECT_EQ(again["cached"], true);
  EXPECT_EQ(again["decision_id"], first_decision);
  EXPECT_EQ(again["decision"], "allow");
  EXPECT_EQ(env.sql_long("SELECT count(*) FROM gate_decisions"), 1);
  // The decision is stored with its inputs.
  EXPECT_EQ(env.sql_long("SELECT count(*) FROM gate_decisions WHERE decision = 'allow' AND "
                         "baseline_sha IS NULL AND inputs->>'gate' = 'production' AND "
                         "(inputs->>'candidate_pipeline')::bigint = " +
                         std::to_string(gate["pipeline_id"].get<long>()) +
                         " AND jsonb_array_length(checks) > 0"),
            1);

  // Deploy commit 1: allowed, recorded, audited.
  auto d1 = env.deploy({{"sha", sha1}, {"environment", "production"}});
  ASSERT_EQ(d1.status, 201) << d1.body;
  EXPECT_EQ(json::parse(d1.body)["forced"], false);
  EXPECT_EQ(json::parse(d1.body)["decision"], "allow");
  EXPECT_EQ(env.sql_long("SELECT count(*) FROM audit_log WHERE action = 'deployment.create' AND "
                         "details->>'sha' = '" +
                         sha1 + "'"),
            1);

  // The deployment invalidated the cache: commit 1 now has itself as baseline. (The answer may be
  // a decision made since the deployment, by forge feedback in the background: "cached" is not
  // what tells; the baseline is.)
  auto after = json::parse(env.gate(sha1).body);
  EXPECT_EQ(after["baseline_sha"], sha1);
  EXPECT_TRUE(find_check(after, "metric", "accuracy", "pass") != nullptr) << after.dump(2);

  // Commit 2: the <30 slice regresses.
  const auto sha2 = env.push(kGateTestConfig, {{"results.sh", gate_results_script(0.93, 0.71)},
                                               {"validate.sh", "echo ok\n"}});
  ASSERT_EQ(env.wait_pipeline_end(sha2)["state"], "passed");
  auto g2 = env.gate(sha2);
  ASSERT_EQ(g2.status, 200) << g2.body;
  auto deny = json::parse(g2.body);
  EXPECT_EQ(deny["decision"], "deny") << deny.dump(2);
  EXPECT_EQ(deny["baseline_sha"], sha1);
  const json* slice = find_check(deny, "slice", "recall[age_group=<30]", "fail");
  ASSERT_TRUE(slice) << deny.dump(2);
  EXPECT_EQ((*slice)["blocks"], true);
  EXPECT_NE(deny["summary"].get<std::string>().find("recall[age_group=<30]"), std::string::npos);

  // Refused without force, 400 with force but no reason, 201 forced with a reason (audited).
  auto refused = env.deploy({{"sha", sha2}, {"environment", "production"}});
  ASSERT_EQ(refused.status, 409) << refused.body;
  auto rb = json::parse(refused.body);
  EXPECT_EQ(rb["error"]["code"], "gate_deny");
  EXPECT_EQ(rb["decision"], "deny");
  ASSERT_FALSE(rb["reasons"].empty());
  EXPECT_NE(rb["reasons"].dump().find("recall[age_group=<30]"), std::string::npos) << rb.dump(2);
  EXPECT_EQ(env.deploy({{"sha", sha2}, {"environment", "production"}, {"force", true}}).status,
            400);
  EXPECT_EQ(
      env.deploy({{"sha", sha2}, {"environment", "production"}, {"force", true}, {"reason", "   "}})
          .status,
      400);
  auto forced = env.deploy({{"sha", sha2},
                            {"environment", "production"},
                            {"force", true},
                            {"reason", "hotfix, approved by the on-call lead"}});
  ASSERT_EQ(forced.status, 201) << forced.body;
  auto fb = json::parse(forced.body);
  EXPECT_EQ(fb["forced"], true);
  EXPECT_EQ(fb["decision"], "deny");
  EXPECT_EQ(fb["reason"], "hotfix, approved by the on-call lead");
  EXPECT_EQ(env.sql_long("SELECT count(*) FROM audit_log WHERE action = 'deployment.force' AND "
                         "details->>'sha' = '" +
                         sha2 +
                         "' AND details->>'reason' = 'hotfix, approved by the on-call lead' AND "
                         "details->>'decision' = 'deny' AND actor LIKE 'token:%'"),
            1);
  EXPECT_EQ(env.sql_long("SELECT count(*) FROM deployments WHERE forced AND gate_decision_id IS "
                         "NOT NULL"),
            1);
  EXPECT_EQ(json::parse(env.gate(sha1).body)["baseline_sha"], sha2);

  // Rollback: commit 1 is current again, audited; there is nothing before it.
  auto back = env.rollback("production");
  ASSERT_EQ(back.status, 201) << back.body;
  auto bb = json::parse(back.body);
  EXPECT_EQ(bb["sha"], sha1);
  EXPECT_EQ(bb["kind"], "rollback");
  EXPECT_EQ(env.sql_long("SELECT count(*) FROM audit_log WHERE action = 'deployment.rollback' AND "
                         "details->>'sha' = '" +
                         sha1 + "' AND details->>'rolled_back_sha' = '" + sha2 + "'"),
            1);
  EXPECT_EQ(json::parse(env.gate(sha2).body)["baseline_sha"], sha1);
  auto none = env.rollback("production");
  EXPECT_EQ(none.status, 409) << none.body;
  EXPECT_EQ(env.rollback("staging").status, 409);

  // The history, newest first, the rollback current.
  auto list = env.get("/api/v1/repos/acme/model/deployments?environment=production");
  ASSERT_EQ(list["deployments"].size(), 3u) << list.dump(2);
  EXPECT_EQ(list["deployments"][0]["kind"], "rollback");
  EXPECT_EQ(list["deployments"][0]["sha"], sha1);
  EXPECT_EQ(list["deployments"][0]["current"], true);
  EXPECT_EQ(list["deployments"][1]["sha"], sha2);
  EXPECT_EQ(list["deployments"][1]["forced"], true);
  EXPECT_EQ(list["deployments"][1]["current"], false);
  EXPECT_EQ(list["deployments"][2]["sha"], sha1);
  EXPECT_EQ(list["current"]["production"], sha1);
  EXPECT_EQ(
      env.get("/api/v1/repos/acme/model/deployments?environment=staging")["deployments"].size(),
      0u);

  // Environments are independent: staging has no baseline and its own gate.
  auto staging = json::parse(env.gate(sha2, "staging").body);
  EXPECT_EQ(staging["decision"], "allow") << staging.dump(2);
  EXPECT_TRUE(staging["baseline_sha"].is_null());

  // Errors: an unknown environment names the gates there are; unknown repo, commit, bad input.
  auto unknown = env.gate(sha1, "qa");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_NE(unknown.body.find("production, staging"), std::string::npos) << unknown.body;
  EXPECT_EQ(
      http_get(env.host(), "/api/v1/repos/acme/other/gate?sha=" + sha1 + "&environment=production",
               env.admin())
          .status,
      404);
  EXPECT_EQ(env.gate(std::string(40, 'a')).status, 404);
  EXPECT_EQ(env.gate("abc").status, 400);
  EXPECT_EQ(env.gate(sha1, "bad env").status, 400);
  EXPECT_EQ(env.deploy({{"sha", sha1}}).status, 400);
}

TEST(GateApi, ScopesReadCanAskButNotDeploy) {
  GateEnv env;
  const auto sha = env.repo().commit({{".mlgate.yml", kGateTestConfig}}, "not pushed");
  auto reader = env.token({"read"}, "reader");
  auto deployer = env.token({"deploy"}, "deployer");
  EXPECT_EQ(env.gate(sha, "production", reader).status, 200);
  EXPECT_EQ(http_get(env.host(), "/api/v1/repos/acme/model/deployments", reader).status, 200);
  EXPECT_EQ(
      http_get(env.host(), "/api/v1/repos/acme/model/gate?sha=" + sha + "&environment=production")
          .status,
      401);
  auto r = env.deploy({{"sha", sha}, {"environment", "staging"}}, reader);
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(http_post(env.host(), "/api/v1/repos/acme/model/deployments/rollback",
                      R"({"environment":"staging"})", "application/json", reader)
                .status,
            403);
  // The deploy scope may: forced, since a commit without a pipeline is pending.
  auto f = env.deploy({{"sha", sha}, {"environment", "staging"}, {"force", true}, {"reason", "r"}},
                      deployer);
  EXPECT_EQ(f.status, 201) << f.body;
  EXPECT_EQ(env.sql_long("SELECT count(*) FROM audit_log WHERE actor = 'token:deployer' AND "
                         "action = 'deployment.force'"),
            1);
}

TEST(GateApi, PendingWithoutAPipelineAndWhileARequiredTierRuns) {
  GateEnv env;
  // A commit the server has never seen a push for: pending, the required tiers not created yet.
  const auto unpushed = env.repo().commit({{".mlgate.yml", kGateTestConfig}}, "not pushed");
  auto g0 = env.gate(unpushed);
  ASSERT_EQ(g0.status, 200) << g0.body;
  auto p0 = json::parse(g0.body);
  EXPECT_EQ(p0["decision"], "pending") << p0.dump(2);
  EXPECT_NE(p0["summary"].get<std::string>().find("no pipeline"), std::string::npos);
  EXPECT_TRUE(p0["pipeline_id"].is_null());

  env.start_runner("r1");
  const auto sha = env.push(kGateTestConfig, {{"results.sh", gate_results_script(0.95, 0.9)},
                                              {"validate.sh", "echo started; sleep 8\n"}});
  json running;
  ASSERT_TRUE(eventually(
      [&] {
        auto p = env.pipeline_of(sha);
        if (p.is_null()) return false;
        for (const auto& j : p["jobs"])
          if (j["tier"] == "validation" && j["state"] == "running") return true;
        return false;
      },
      std::chrono::seconds(60)));
  auto g = env.gate(sha);
  ASSERT_EQ(g.status, 200) << g.body;
  auto pending = json::parse(g.body);
  EXPECT_EQ(pending["decision"], "pending") << pending.dump(2);
  EXPECT_TRUE(find_check(pending, "tier", "validation", "pending")) << pending.dump(2);
  EXPECT_TRUE(find_check(pending, "tier", "functionality", "pass")) << pending.dump(2);
  auto refused = env.deploy({{"sha", sha}, {"environment", "production"}});
  EXPECT_EQ(refused.status, 409) << refused.body;
  EXPECT_EQ(json::parse(refused.body)["error"]["code"], "gate_pending");
  // Staging requires no tier: its metrics are in, so it allows already.
  EXPECT_EQ(json::parse(env.gate(sha, "staging").body)["decision"], "allow");
  // The pending decision is cached until the tier ends: the end invalidates it.
  auto hit =
      http_get(env.host(), "/api/v1/repos/acme/model/gate?sha=" + sha + "&environment=production",
               env.admin());
  auto hit_body = json::parse(hit.body);
  if (hit_body["decision"] == "pending") {  // (unless validation ended just now)
    EXPECT_EQ(hit_body["cached"], true) << hit.body;
    EXPECT_EQ(hit_body["decision_id"], pending["decision_id"]);
  }
  ASSERT_EQ(env.wait_pipeline_end(sha)["state"], "passed");
  // The tier's end invalidated the pending decision: the answer is a new decision, made by this
  // request or, just before it, by a background evaluation (the status report to the forge at the
  // pipeline's end), whose answer may then be served from memory.
  auto done = json::parse(env.gate(sha).body);
  EXPECT_NE(done["decision_id"], pending["decision_id"]) << done.dump(2);
  EXPECT_EQ(done["decision"], "allow") << done.dump(2);
  EXPECT_TRUE(find_check(done, "tier", "validation", "pass")) << done.dump(2);
}

// A nightly (or manual) run of the training tier alone is a second pipeline on the same commit:
// the gate still judges the push's functionality and validation jobs and their metrics, and the
// training job's state joins them. It used to look at the newest pipeline only and turned pending.
TEST(GateApi, ATrainingRunOnTheSameCommitDoesNotHideThePushResults) {
  const std::string config = std::string(kGateTestConfig)
                                 .replace(std::string(kGateTestConfig).find("gates:"), 6,
                                          "  training:\n    on: [schedule]\n    schedule: \"0 2 * "
                                          "* *\"\n    run: echo trained\n"
                                          "gates:\n  research:\n    require: [training]\n");
  GateEnv env;
  env.start_runner("r1");
  const auto sha = env.push(
      config, {{"results.sh", gate_results_script(0.93, 0.85)}, {"validate.sh", "echo ok\n"}});
  ASSERT_EQ(env.wait_pipeline_end(sha)["state"], "passed");
  ASSERT_EQ(json::parse(env.gate(sha).body)["decision"], "allow");
  // Before the training tier ran, a gate that requires it is pending.
  EXPECT_EQ(json::parse(env.gate(sha, "research").body)["decision"], "pending");

  auto t =
      http_post(env.host(), "/api/v1/repos/acme/model/trigger",
                json{{"tier", "training"}, {"ref", sha}}.dump(), "application/json", env.admin());
  ASSERT_EQ(t.status, 201) << t.body;
  const long manual = json::parse(t.body)["id"];
  auto p = env.wait_pipeline_end(sha);
  ASSERT_EQ(p["id"], manual) << p.dump(2);
  ASSERT_EQ(p["state"], "passed") << p.dump(2);
  ASSERT_EQ(p["jobs"].size(), 1u) << p.dump(2);  // training alone: it needs nothing

  auto g = env.gate(sha);
  ASSERT_EQ(g.status, 200) << g.body;
  auto gate = json::parse(g.body);
  EXPECT_EQ(gate["decision"], "allow") << gate.dump(2);
  EXPECT_EQ(gate["pipeline_id"], manual);  // the commit's newest pipeline
  EXPECT_TRUE(find_check(gate, "tier", "functionality", "pass")) << gate.dump(2);
  EXPECT_TRUE(find_check(gate, "tier", "validation", "pass")) << gate.dump(2);
  EXPECT_TRUE(find_check(gate, "slice", "recall[age_group=<30]", "pass")) << gate.dump(2);
  auto research = json::parse(env.gate(sha, "research").body);
  EXPECT_EQ(research["decision"], "allow") << research.dump(2);
  EXPECT_TRUE(find_check(research, "tier", "training", "pass")) << research.dump(2);
}

// A request body whose field has the wrong type is the client's mistake: 400 with the reason,
// never a 500 (the server stays up and logs no error).
TEST(GateApi, WronglyTypedFieldsAreA400NotAServerError) {
  GateEnv env;
  const auto sha = env.repo().commit({{".mlgate.yml", kGateTestConfig}}, "not pushed");
  auto forced = env.deploy({{"sha", sha}, {"environment", "production"}, {"force", "yes"}});
  EXPECT_EQ(forced.status, 400) << forced.body;
  EXPECT_EQ(json::parse(forced.body)["error"]["code"], "bad_request");
  auto token = http_post(env.host(), "/api/v1/tokens",
                         json{{"name", "ci"}, {"scopes", {"read"}}, {"forge", 5}}.dump(),
                         "application/json", env.admin());
  EXPECT_EQ(token.status, 400) << token.body;
  EXPECT_NE(json::parse(token.body)["error"]["message"].get<std::string>().find("wrong type"),
            std::string::npos)
      << token.body;
  EXPECT_EQ(env.sql_long("SELECT count(*) FROM api_tokens WHERE name = 'ci'"), 0);
  EXPECT_EQ(env.sql_long("SELECT count(*) FROM deployments"), 0);
  EXPECT_EQ(http_get(env.host(), "/healthz").status, 200);
  EXPECT_EQ(env.serve().log().find("\"level\":\"error\""), std::string::npos) << env.serve().log();
}

}  // namespace
}  // namespace mlgate
