// Forge feedback end to end (docs/forge-feedback.md): real `mlgate serve` and `mlgate runner`
// processes on a throwaway PostgreSQL, real pushed commits, and a local HTTP server standing in for
// the GitHub and GitLab REST APIs (recording_forge.h) that records every request (method, path,
// headers, auth, body) and answers as told, so that retries and give-ups are exercised too.
#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <mutex>
#include <set>
#include <thread>

#include "tests/integration/server/gate_env.h"
#include "tests/integration/server/recording_forge.h"

namespace mlgate {
namespace {

using nlohmann::json;
using testing::eventually;
using testing::eventually_long;
using testing::GateEnv;
using testing::GateEnvOptions;
using testing::Recorded;
using testing::RecordingForge;

const char* kConfig = R"(version: 1
image: mlgate/busybox:test
tiers:
  functionality:
    run: sh results.sh
  validation:
    needs: [functionality]
    run: "true"
gates:
  production:
    require: [functionality, validation]
    metrics:
      - {name: accuracy, min: 0.90, max_drop: 0.01}
  staging:
    metrics:
      - {name: accuracy, min: 0.5}
)";

std::string results(double accuracy) {
  return "printf '{\"metrics\": {\"accuracy\": " + std::to_string(accuracy) +
         "}}' > \"$MLGATE_RESULTS/metrics.json\"\n";
}

GateEnvOptions github_options(const RecordingForge& forge) {
  GateEnvOptions o;
  o.forge = "github";
  o.forge_token = "ghs_feedbacktoken";
  o.api_base_url = forge.base();
  o.serve_args = {"--public-url", "http://mlgate.example/", "--forge-retry-seconds", "0.2"};
  return o;
}

TEST(ForgeFeedback, GitHubStatusesPerTierAndPerGateWithTheDocumentedShape) {
  RecordingForge forge;
  GateEnv env(github_options(forge));
  const std::string good = env.push(kConfig, {{"results.sh", results(0.95)}});
  // No runner yet: every tier and every gate is pending, also staging's, which requires no tier
  // (what the tiers have not reported yet may still come: docs/gate.md, "Decision").
  ASSERT_TRUE(eventually_long([&] {
    return forge.last_state("mlgate/functionality") == "pending" &&
           forge.last_state("mlgate/validation") == "pending" &&
           forge.last_state("mlgate/gate/production") == "pending" &&
           forge.last_state("mlgate/gate/staging") == "pending";
  })) << forge.dump()
      << env.serve().log();
  env.start_runner("r1");
  ASSERT_EQ(env.wait_pipeline_end(good)["state"], "passed") << env.serve().log();
  ASSERT_TRUE(eventually_long([&] {
    return forge.last_state("mlgate/functionality") == "success" &&
           forge.last_state("mlgate/validation") == "success" &&
           forge.last_state("mlgate/gate/production") == "success" &&
           forge.last_state("mlgate/gate/staging") == "success";
  })) << forge.dump()
      << env.serve().log();
  const long pipeline = env.pipeline_of(good)["id"].get<long>();
  for (const auto& r : forge.requests()) {
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.path, "/repos/acme/model/statuses/" + good);
    EXPECT_EQ(r.header("Authorization"), "Bearer ghs_feedbacktoken");
    EXPECT_EQ(r.header("Accept"), "application/vnd.github+json");
    EXPECT_EQ(r.header("X-GitHub-Api-Version"), "2022-11-28");
    EXPECT_EQ(r.header("User-Agent").rfind("mlgate/", 0), 0u) << r.header("User-Agent");
    EXPECT_EQ(r.header("Content-Type"), "application/json");
    ASSERT_TRUE(r.body.is_object());
    std::set<std::string> keys;
    for (auto it = r.body.begin(); it != r.body.end(); ++it) keys.insert(it.key());
    EXPECT_EQ(keys, (std::set<std::string>{"state", "context", "description", "target_url"}));
    const std::string state = r.body["state"];
    EXPECT_TRUE(state == "pending" || state == "success" || state == "failure" || state == "error")
        << state;
    EXPECT_LE(r.body["description"].get<std::string>().size(), 140u);
    EXPECT_EQ(r.body["target_url"].get<std::string>().rfind(
                  "http://mlgate.example/pipelines/" + std::to_string(pipeline), 0),
              0u)
        << r.body.dump();
  }
  // A tier is pending before it succeeds, never after; an unchanged status is sent once.
  for (const std::string ctx : {"mlgate/functionality", "mlgate/validation"}) {
    auto s = forge.states(ctx);
    ASSERT_GE(s.size(), 2u) << ctx;
    EXPECT_EQ(s.front(), "pending") << ctx;
    EXPECT_EQ(std::count(s.begin(), s.end(), "success"), 1) << ctx;
  }
  // Both gates waited for the tiers: pending, then success, never a failure on the way.
  for (const std::string ctx : {"mlgate/gate/production", "mlgate/gate/staging"}) {
    auto s = forge.states(ctx);
    ASSERT_FALSE(s.empty()) << ctx;
    EXPECT_EQ(s.front(), "pending") << ctx;
    EXPECT_EQ(std::count(s.begin(), s.end(), "failure"), 0) << ctx << "\n" << forge.dump();
  }

  // A slightly worse commit passes while nothing is deployed (only absolute thresholds apply)...
  const std::string close = env.push(kConfig, {{"results.sh", results(0.93)}});
  ASSERT_EQ(env.wait_pipeline_end(close)["state"], "passed");
  auto close_gate = [&] {
    std::string last;
    for (const auto& r : forge.requests())
      if (r.path == "/repos/acme/model/statuses/" + close &&
          r.body.value("context", "") == "mlgate/gate/production")
        last = r.body.value("state", "");
    return last;
  };
  ASSERT_TRUE(eventually_long([&] { return close_gate() == "success"; }))
      << forge.dump() << env.serve().log();
  // ...and deploying `good` makes it a drop of 0.02 against the new baseline: its production gate
  // status turns to failure without a new pipeline.
  ASSERT_EQ(env.deploy({{"sha", good}, {"environment", "production"}}).status, 201);
  ASSERT_TRUE(eventually_long([&] { return close_gate() == "failure"; }))
      << forge.dump() << env.serve().log();

  // A regressing commit gets a failing production gate naming the metric, while staging (a lower
  // bar) still passes.
  const std::string bad = env.push(kConfig, {{"results.sh", results(0.80)}});
  ASSERT_EQ(env.wait_pipeline_end(bad)["state"], "passed");
  ASSERT_TRUE(eventually_long([&] {
    for (const auto& r : forge.requests())
      if (r.path == "/repos/acme/model/statuses/" + bad &&
          r.body.value("context", "") == "mlgate/gate/production" &&
          r.body.value("state", "") == "failure")
        return true;
    return false;
  })) << forge.dump()
      << env.serve().log();
  // On a failure, what the staging decisions were judged from, the jobs and their state changes.
  auto decided_how = [&] {
    return env.sql_text(
               "SELECT string_agg(row_to_json(g)::text, E'\\n' ORDER BY id) FROM "
               "gate_decisions g WHERE environment = 'staging'") +
           "\n" +
           env.sql_text("SELECT string_agg(row_to_json(j)::text, E'\\n' ORDER BY id) FROM jobs j") +
           "\n" +
           env.sql_text(
               "SELECT string_agg(row_to_json(s)::text, E'\\n' ORDER BY id) FROM state_changes s");
  };
  for (const auto& r : forge.requests()) {
    if (r.path != "/repos/acme/model/statuses/" + bad) continue;
    if (r.body["context"] == "mlgate/gate/production" && r.body["state"] == "failure") {
      EXPECT_NE(r.body["description"].get<std::string>().find("accuracy"), std::string::npos)
          << r.body.dump();
    }
    if (r.body["context"] == "mlgate/gate/staging") {
      EXPECT_NE(r.body["state"], "failure") << r.body.dump() << "\n" << decided_how();
    }
  }
  // Every row of the outbox is sent (the last statuses may still be on their way: the sender
  // works off the request path).
  EXPECT_TRUE(eventually([&] {
    return env.sql_long(
               "SELECT count(*) FROM forge_outbox WHERE sent_at IS NULL AND gave_up_at "
               "IS NULL") == 0;
  })) << forge.dump();
}

TEST(ForgeFeedback, ServerErrorsAreRetriedWithBackoffAndClientErrorsGivenUp) {
  RecordingForge forge;
  // The first four requests meet a broken forge; after that, statuses for validation are refused
  // for good (422) while everything else is accepted.
  forge.set_policy([](const Recorded& r, int index) {
    if (index < 4) return 502;
    if (r.body.is_object() && r.body.value("context", "") == "mlgate/validation") return 422;
    return 201;
  });
  GateEnv env(github_options(forge));
  const std::string sha = env.push(kConfig, {{"results.sh", results(0.95)}});
  // The first statuses meet the 502s and get through on a later attempt.
  ASSERT_TRUE(eventually_long([&] {
    return env.sql_long(
               "SELECT count(*) FROM forge_outbox WHERE sent_at IS NOT NULL AND "
               "attempts > 1") >= 1;
  })) << forge.dump()
      << env.serve().log();
  env.start_runner("r1");
  ASSERT_EQ(env.wait_pipeline_end(sha)["state"], "passed");
  ASSERT_TRUE(eventually_long([&] {
    return forge.last_state("mlgate/functionality") == "success" &&
           forge.last_state("mlgate/gate/production") == "success";
  })) << forge.dump()
      << env.serve().log();
  // The 422s were given up after one attempt each, with the forge's answer kept.
  ASSERT_TRUE(eventually_long([&] {
    return env.sql_long(
               "SELECT count(*) FROM forge_outbox WHERE context = 'mlgate/validation' "
               "AND sent_at IS NULL AND gave_up_at IS NULL") == 0;
  }));
  // Each 422 was given up at once: the forge saw exactly as many refused requests as there are
  // rows given up with a 422, and none of them is waiting.
  int refused = 0;
  auto all = forge.requests();
  for (std::size_t i = 4; i < all.size(); ++i)
    if (all[i].body.value("context", "") == "mlgate/validation") ++refused;
  EXPECT_EQ(env.sql_long("SELECT count(*) FROM forge_outbox WHERE last_status = 422 AND gave_up_at "
                         "IS NOT NULL"),
            refused);
  EXPECT_GE(env.sql_long("SELECT count(*) FROM forge_outbox WHERE last_status = 422"), 1);
  EXPECT_NE(env.sql_text("SELECT last_error FROM forge_outbox WHERE last_status = 422 LIMIT 1")
                .find("422"),
            std::string::npos);
  // Requests of one context never overtake each other: the forge saw functionality's states in
  // the order they happened, ending in success.
  auto s = forge.states("mlgate/functionality");
  auto first_success = std::find(s.begin(), s.end(), "success");
  ASSERT_NE(first_success, s.end());
  EXPECT_TRUE(std::all_of(first_success, s.end(), [](const auto& x) { return x == "success"; }));
  EXPECT_NE(env.serve().log().find("forge request failed; will retry"), std::string::npos);
  EXPECT_NE(env.serve().log().find("forge request given up"), std::string::npos);
}

TEST(ForgeFeedback, GitLabStatusesUseTheProjectPathNameAndPrivateToken) {
  RecordingForge forge;
  GateEnvOptions o;
  o.forge = "gitlab";
  o.forge_token = "glpat-feedback";
  o.api_base_url = forge.base() + "/api/v4";
  o.serve_args = {"--public-url", "http://mlgate.example", "--forge-retry-seconds", "0.2"};
  GateEnv env(o);
  const std::string sha = env.push(kConfig, {{"results.sh", results(0.95)}});
  ASSERT_TRUE(eventually_long([&] {
    return forge.last_state("mlgate/functionality", "name") == "pending";
  })) << forge.dump()
      << env.serve().log();
  env.start_runner("r1");
  ASSERT_EQ(env.wait_pipeline_end(sha)["state"], "passed");
  ASSERT_TRUE(eventually_long([&] {
    return forge.last_state("mlgate/validation", "name") == "success" &&
           forge.last_state("mlgate/gate/production", "name") == "success";
  })) << forge.dump()
      << env.serve().log();
  std::set<std::string> seen;
  for (const auto& r : forge.requests()) {
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.target, "/api/v4/projects/acme%2Fmodel/statuses/" + sha);
    EXPECT_EQ(r.header("PRIVATE-TOKEN"), "glpat-feedback");
    EXPECT_EQ(r.header("Authorization"), "");
    ASSERT_TRUE(r.body.is_object());
    EXPECT_FALSE(r.body.contains("context"));
    const std::string state = r.body["state"];
    EXPECT_TRUE(state == "pending" || state == "running" || state == "success" ||
                state == "failed" || state == "canceled")
        << state;
    seen.insert(state);
  }
  EXPECT_TRUE(seen.count("pending"));
  EXPECT_TRUE(seen.count("success"));
}

TEST(ForgeFeedback, AnInvalidConfigFailsTheCommitWithLineAndColumn) {
  RecordingForge forge;
  GateEnv env(github_options(forge));
  const std::string sha = env.push(
      "version: 1\nimage: mlgate/busybox:test\ntiers:\n  functionality:\n    run: \"true\"\n"
      "    tiemout: 5m\n",
      {});
  ASSERT_TRUE(eventually_long([&] { return forge.last_state("mlgate/config") == "failure"; }))
      << env.serve().log();
  auto requests = forge.requests();
  ASSERT_FALSE(requests.empty());
  const auto& r = requests.back();
  EXPECT_EQ(r.path, "/repos/acme/model/statuses/" + sha);
  const std::string d = r.body["description"];
  EXPECT_NE(d.find(".mlgate.yml:6:5"), std::string::npos) << d;
  EXPECT_NE(d.find("tiemout"), std::string::npos) << d;
  EXPECT_EQ(d.find("  "), std::string::npos) << d;
}

// A GitHub deployment_protection_rule delivery for `sha`, from the real fixture, with its callback
// on `callback_base`.
json protection_rule(const std::string& sha, const std::string& environment,
                     const std::string& callback_base, int run) {
  json p = GateEnv::fixture("github/deployment_protection_rule.requested.json");
  p["environment"] = environment;
  p["deployment"]["sha"] = sha;
  p["repository"]["full_name"] = "acme/model";
  p["repository"]["name"] = "model";
  p["deployment_callback_url"] = callback_base + "/repos/acme/model/actions/runs/" +
                                 std::to_string(run) + "/deployment_protection_rule";
  return p;
}

TEST(ForgeFeedback, DeploymentProtectionRulesAreAnsweredWhenTheGateDecides) {
  RecordingForge forge;
  GateEnv env(github_options(forge));
  auto callbacks = [&] {
    std::vector<Recorded> out;
    for (const auto& r : forge.requests())
      if (r.path.find("/deployment_protection_rule") != std::string::npos) out.push_back(r);
    return out;
  };
  auto callback_of_run = [&](int run) {
    const std::string path =
        "/repos/acme/model/actions/runs/" + std::to_string(run) + "/deployment_protection_rule";
    for (const auto& r : callbacks())
      if (r.path == path) return r;
    return Recorded{};
  };
  // 1. Asked before the commit's tests ran: the gate is pending, nothing is answered yet; also
  // for staging, which requires no tier (its metric is not reported yet, it is not missing).
  const std::string good = env.push(kConfig, {{"results.sh", results(0.95)}});
  env.deliver_github("deployment_protection_rule", "dpr-1",
                     protection_rule(good, "production", forge.base(), 1).dump());
  env.deliver_github("deployment_protection_rule", "dpr-6",
                     protection_rule(good, "staging", forge.base(), 6).dump());
  ASSERT_TRUE(eventually_long([&] {
    // Evaluated, pending: it waits for the commit's pipeline to change (no time set).
    return env.sql_long(
               "SELECT count(*) FROM protection_requests WHERE state = 'waiting' AND "
               "check_after IS NULL") == 2;
  })) << forge.dump()
      << env.serve().log();
  EXPECT_TRUE(callbacks().empty()) << forge.dump();

  // 2. The runner runs the tiers: the gates allow, and the callbacks approve.
  env.start_runner("r1");
  ASSERT_TRUE(eventually_long([&] { return callbacks().size() == 2; })) << env.serve().log();
  EXPECT_EQ(callback_of_run(6).body["state"], "approved") << forge.dump();
  auto approve = callback_of_run(1);
  EXPECT_EQ(approve.method, "POST");
  EXPECT_EQ(approve.path, "/repos/acme/model/actions/runs/1/deployment_protection_rule");
  EXPECT_EQ(approve.header("Authorization"), "Bearer ghs_feedbacktoken");
  EXPECT_EQ(approve.header("Accept"), "application/vnd.github+json");
  EXPECT_EQ(approve.body["environment_name"], "production");
  EXPECT_EQ(approve.body["state"], "approved");
  EXPECT_NE(approve.body["comment"].get<std::string>().find("allow"), std::string::npos);
  EXPECT_EQ(approve.body.size(), 3u);

  // 3. With `good` deployed, a regressing commit is rejected, the comment naming the check.
  ASSERT_EQ(env.deploy({{"sha", good}, {"environment", "production"}}).status, 201);
  const std::string bad = env.push(kConfig, {{"results.sh", results(0.80)}});
  ASSERT_EQ(env.wait_pipeline_end(bad)["state"], "passed");
  env.deliver_github("deployment_protection_rule", "dpr-2",
                     protection_rule(bad, "production", forge.base(), 2).dump());
  ASSERT_TRUE(eventually_long([&] { return callbacks().size() == 3; })) << env.serve().log();
  auto reject = callbacks()[2];
  EXPECT_EQ(reject.path, "/repos/acme/model/actions/runs/2/deployment_protection_rule");
  EXPECT_EQ(reject.body["state"], "rejected");
  const std::string comment = reject.body["comment"];
  EXPECT_LE(comment.size(), 1024u);
  EXPECT_NE(comment.find("metric accuracy"), std::string::npos) << comment;

  // 4. A redelivery of a request is answered once; an environment without a gate is rejected
  // (fail closed); a callback off the forge's API origin is refused and nothing is sent there.
  auto redelivery = protection_rule(bad, "production", forge.base(), 2);
  env.deliver_github("deployment_protection_rule", "dpr-2-again", redelivery.dump());
  env.deliver_github("deployment_protection_rule", "dpr-3",
                     protection_rule(good, "qa", forge.base(), 3).dump());
  env.deliver_github("deployment_protection_rule", "dpr-4",
                     protection_rule(good, "production", "https://evil.example", 4).dump());
  ASSERT_TRUE(eventually_long([&] { return callbacks().size() == 4; })) << env.serve().log();
  auto no_gate = callbacks()[3];
  EXPECT_EQ(no_gate.path, "/repos/acme/model/actions/runs/3/deployment_protection_rule");
  EXPECT_EQ(no_gate.body["state"], "rejected");
  EXPECT_NE(no_gate.body["comment"].get<std::string>().find("no gate for environment 'qa'"),
            std::string::npos);
  ASSERT_TRUE(eventually_long([&] {
    return env.sql_long(
               "SELECT count(*) FROM webhook_deliveries WHERE delivery_id = 'dpr-4' AND "
               "plan_state = 'failed'") == 1;
  }));
  EXPECT_NE(env.sql_text("SELECT plan_error FROM webhook_deliveries WHERE delivery_id = 'dpr-4'")
                .find("callback URL is not on"),
            std::string::npos);
  std::this_thread::sleep_for(std::chrono::seconds(2));  // time for a wrong second answer
  EXPECT_EQ(callbacks().size(), 4u);
  EXPECT_EQ(env.sql_long("SELECT count(*) FROM protection_requests"), 4);

  // 5. GitHub's environment names are not case-sensitive: "Production" is the gate `production`
  // (the deployed `good` against itself: approved), answered with GitHub's own spelling.
  env.deliver_github("deployment_protection_rule", "dpr-5",
                     protection_rule(good, "Production", forge.base(), 5).dump());
  ASSERT_TRUE(eventually_long([&] { return callbacks().size() == 5; })) << env.serve().log();
  auto cased = callbacks()[4];
  EXPECT_EQ(cased.path, "/repos/acme/model/actions/runs/5/deployment_protection_rule");
  EXPECT_EQ(cased.body["environment_name"], "Production");
  EXPECT_EQ(cased.body["state"], "approved") << cased.body.dump();

  // 6. A commit cannot get out from under the deployed rules by renaming its gate: with
  // `production` deployed, a candidate whose gate is `PRODUCTION` (looser) has no gate for the
  // deployed environment, and the protection rule for "production" is rejected.
  std::string renamed_config = kConfig;
  renamed_config.replace(renamed_config.find("  production:"), 13, "  PRODUCTION:");
  renamed_config.replace(renamed_config.find("min: 0.90, max_drop: 0.01"), 25, "min: 0.5");
  const std::string renamed = env.push(renamed_config, {{"results.sh", results(0.80)}});
  ASSERT_EQ(env.wait_pipeline_end(renamed)["state"], "passed");
  env.deliver_github("deployment_protection_rule", "dpr-7",
                     protection_rule(renamed, "production", forge.base(), 7).dump());
  ASSERT_TRUE(eventually_long([&] { return callbacks().size() == 6; })) << env.serve().log();
  auto escaped = callbacks()[5];
  EXPECT_EQ(escaped.path, "/repos/acme/model/actions/runs/7/deployment_protection_rule");
  EXPECT_EQ(escaped.body["state"], "rejected") << escaped.body.dump();
  EXPECT_NE(escaped.body["comment"].get<std::string>().find("no gate for environment 'production'"),
            std::string::npos)
      << escaped.body.dump();
}

}  // namespace
}  // namespace mlgate
