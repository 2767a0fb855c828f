// Notifications end to end (docs/notifications.md): real `mlgate serve` and `mlgate runner`
// processes, real pushed commits, and a local HTTP server standing in for a receiver (a Slack
// incoming webhook or a team's own endpoint) that records every request.
#include <gtest/gtest.h>

#include <map>

#include "tests/integration/server/gate_env.h"
#include "tests/integration/server/recording_forge.h"
#include "util/hash.h"

namespace mlgate {
namespace {

using nlohmann::json;
using testing::eventually;
using testing::eventually_long;
using testing::GateEnv;
using testing::GateEnvOptions;
using testing::Recorded;
using testing::RecordingForge;

constexpr const char* kNotifySecret = "notify-secret-0123456789";

const char* kConfig = R"(version: 1
image: mlgate/busybox:test
tiers:
  functionality:
    run: sh results.sh
gates:
  production:
    require: [functionality]
    metrics:
      - {name: accuracy, min: 0.90, max_drop: 0.01}
)";

std::string results(double accuracy, bool fail = false) {
  return "printf '{\"metrics\": {\"accuracy\": " + std::to_string(accuracy) +
         "}}' > \"$MLGATE_RESULTS/metrics.json\"\n" + (fail ? "exit 3\n" : "");
}

// The receiver's requests of one event, in order.
std::vector<Recorded> events(RecordingForge& hook, const std::string& event,
                             const std::string& path = "") {
  std::vector<Recorded> out;
  for (const auto& r : hook.requests())
    if (r.body.is_object() && r.body.value("event", "") == event &&
        (path.empty() || r.path == path))
      out.push_back(r);
  return out;
}

GateEnvOptions notifying(RecordingForge& hook, const testing::TempDir& dir) {
  testing::write_file(dir.path() / "notify-secret", std::string(kNotifySecret) + "\n");
  GateEnvOptions o;
  o.serve_args = {"--public-url",          "http://mlgate.example",
                  "--notify-url",          hook.base() + "/hooks/team?key=s3cret",
                  "--notify-secret-file",  (dir.path() / "notify-secret").string(),
                  "--forge-retry-seconds", "0.2"};
  return o;
}

// Every request has the documented shape: the common fields, a Slack-compatible text, the
// event in a header, and a signature over the exact bytes.
void expect_documented_shape(const Recorded& r) {
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.header("Content-Type"), "application/json");
  EXPECT_EQ(r.header("User-Agent"), "mlgate");
  ASSERT_TRUE(r.body.is_object()) << r.raw;
  EXPECT_EQ(r.body["version"], 1);
  EXPECT_EQ(r.header("X-Mlgate-Event"), r.body["event"].get<std::string>());
  EXPECT_FALSE(r.header("X-Mlgate-Delivery").empty());
  EXPECT_EQ(r.body["repo"], "acme/model");
  ASSERT_TRUE(r.body["text"].is_string());
  EXPECT_NE(r.body["text"].get<std::string>().find("acme/model"), std::string::npos);
  EXPECT_EQ(r.header("X-Mlgate-Signature-256"),
            "sha256=" + util::hmac_sha256_hex(kNotifySecret, r.raw));
}

TEST(Notifications, DefaultBranchFailuresGateDeniesForcedDeploymentsAndRollbacksOnceEach) {
  RecordingForge hook;
  testing::TempDir dir;
  GateEnv env(notifying(hook, dir));
  env.start_runner("r1");
  const std::string good = env.push(kConfig, {{"results.sh", results(0.95)}});
  ASSERT_EQ(env.wait_pipeline_end(good)["state"], "passed") << env.serve().log();
  ASSERT_EQ(env.deploy({{"sha", good}, {"environment", "production"}}).status, 201);

  // A regression on main: its gate denies, and the receiver hears it once, with the reason.
  const std::string bad = env.push(kConfig, {{"results.sh", results(0.80)}});
  ASSERT_EQ(env.wait_pipeline_end(bad)["state"], "passed");
  ASSERT_TRUE(eventually_long([&] { return !events(hook, "gate.denied").empty(); }))
      << hook.dump() << env.serve().log();
  auto denied = events(hook, "gate.denied").front();
  expect_documented_shape(denied);
  EXPECT_EQ(denied.path, "/hooks/team");
  EXPECT_EQ(denied.target, "/hooks/team?key=s3cret");
  EXPECT_EQ(denied.body["sha"], bad);
  EXPECT_EQ(denied.body["branch"], "main");
  EXPECT_EQ(denied.body["environment"], "production");
  EXPECT_EQ(denied.body["decision"], "deny");
  const long pipeline = env.pipeline_of(bad)["id"].get<long>();
  EXPECT_EQ(denied.body["pipeline"], pipeline);
  EXPECT_EQ(denied.body["url"],
            "http://mlgate.example/pipelines/" + std::to_string(pipeline) + "#gate-production");
  ASSERT_FALSE(denied.body["reasons"].empty()) << denied.raw;
  EXPECT_NE(denied.body["reasons"][0].dump().find("accuracy"), std::string::npos) << denied.raw;
  EXPECT_NE(denied.body["text"].get<std::string>().find("denies"), std::string::npos);

  // A pipeline on main that fails.
  const std::string broken = env.push(kConfig, {{"results.sh", results(0.95, true)}});
  ASSERT_EQ(env.wait_pipeline_end(broken)["state"], "failed");
  ASSERT_TRUE(eventually_long([&] { return !events(hook, "pipeline.failed").empty(); }))
      << hook.dump();
  auto failed = events(hook, "pipeline.failed").front();
  expect_documented_shape(failed);
  EXPECT_EQ(failed.body["sha"], broken);
  EXPECT_EQ(failed.body["state"], "failed");
  ASSERT_EQ(failed.body["reasons"].size(), 1u) << failed.raw;
  EXPECT_EQ(failed.body["reasons"][0]["name"], "functionality");

  // The same failure on another branch tells nobody (the count of events below).
  ASSERT_EQ(env.send_github_push(broken, "feature", "d-feature-" + broken).status, 202);
  ASSERT_TRUE(eventually_long([&] {
    return env.sql_long(
               "SELECT count(*) FROM pipelines WHERE branch = 'feature' AND "
               "finished_at IS NOT NULL") == 1;
  }));
  // A forced deployment past the deny, then a rollback.
  ASSERT_EQ(env.deploy({{"sha", bad},
                        {"environment", "production"},
                        {"force", true},
                        {"reason", "hotfix <needed> & fast"}})
                .status,
            201);
  ASSERT_EQ(env.rollback("production").status, 201);
  ASSERT_TRUE(eventually_long([&] {
    return !events(hook, "deployment.forced").empty() &&
           !events(hook, "deployment.rolled_back").empty();
  })) << hook.dump();
  auto forced = events(hook, "deployment.forced").front();
  expect_documented_shape(forced);
  EXPECT_EQ(forced.body["reason"], "hotfix <needed> & fast");
  EXPECT_EQ(forced.body["decision"], "deny");
  // Slack's mrkdwn escapes keep a reason from forming links or mentions.
  EXPECT_NE(forced.body["text"].get<std::string>().find("hotfix &lt;needed&gt; &amp; fast"),
            std::string::npos)
      << forced.raw;
  auto rolled = events(hook, "deployment.rolled_back").front();
  expect_documented_shape(rolled);
  EXPECT_EQ(rolled.body["sha"], good);
  EXPECT_EQ(rolled.body["from_sha"], bad);

  // Each event went out once, though the deployments made every head be judged again.
  EXPECT_TRUE(eventually([&] {
    return env.sql_long(
               "SELECT count(*) FROM forge_outbox WHERE kind = 'notification' AND "
               "sent_at IS NULL AND gave_up_at IS NULL") == 0;
  }));
  std::map<std::string, int> per_event;
  for (const auto& r : hook.requests()) ++per_event[r.body.value("event", "?")];
  EXPECT_EQ(per_event, (std::map<std::string, int>{{"deployment.forced", 1},
                                                   {"deployment.rolled_back", 1},
                                                   {"gate.denied", 1},
                                                   {"pipeline.failed", 1}}))
      << hook.dump();
}

TEST(Notifications, RepositoryTargetsAreSetByAnAdminShownWithoutTheirSecretAndRetried) {
  RecordingForge hook;
  // The receiver is down for the first two requests, then refuses /gone for good.
  hook.set_policy([](const Recorded& r, int index) {
    if (index < 2) return 503;
    return r.path == "/gone" ? 404 : 200;
  });
  GateEnvOptions options;  // no server-wide target
  options.serve_args = {"--forge-retry-seconds", "0.2"};
  GateEnv env(options);
  const std::string path = "/api/v1/repos/acme/model/notify-urls";
  auto set = [&](const json& body, const testing::HeaderPairs& auth) {
    return testing::http_post(env.host(), path, body.dump(), "application/json", auth);
  };
  // Only admins; only http(s) URLs without credentials.
  auto reader = env.token({"read"}, "reader");
  EXPECT_EQ(set({{"notify_urls", {hook.base() + "/x"}}}, reader).status, 403);
  for (const std::string bad : {"ftp://example.com/x", "http://user:pw@example.com/x",
                                "http://example.com/a b", "javascript:alert(1)"}) {
    auto r = set({{"notify_urls", {bad}}}, env.admin());
    EXPECT_EQ(r.status, 400) << bad << ": " << r.body;
  }
  auto r = set(
      {{"notify_urls", {hook.base() + "/services/T000/B000/XXXXsecret", hook.base() + "/gone"}}},
      env.admin());
  ASSERT_EQ(r.status, 200) << r.body;
  // Readers see where notifications go, never the path (a Slack webhook's path is its secret).
  auto listed = env.get("/api/v1/repos");
  ASSERT_EQ(listed["repos"][0]["notify_targets"], json::array({hook.base(), hook.base()}))
      << listed.dump();
  EXPECT_EQ(listed.dump().find("XXXXsecret"), std::string::npos);

  env.start_runner("r1");
  const std::string sha = env.push(kConfig, {{"results.sh", results(0.95, true)}});
  ASSERT_EQ(env.wait_pipeline_end(sha)["state"], "failed");
  ASSERT_TRUE(eventually_long([&] {
    return env.sql_long(
               "SELECT count(*) FROM forge_outbox WHERE kind = 'notification' AND "
               "(sent_at IS NOT NULL OR gave_up_at IS NOT NULL)") == 2;
  })) << hook.dump()
      << env.serve().log();
  // The good target got it after the 503s; the refusing one was given up after one 404.
  EXPECT_EQ(env.sql_long("SELECT count(*) FROM forge_outbox WHERE kind = 'notification' AND "
                         "sent_at IS NOT NULL AND url LIKE '%XXXXsecret'"),
            1);
  EXPECT_EQ(env.sql_long("SELECT count(*) FROM forge_outbox WHERE kind = 'notification' AND "
                         "gave_up_at IS NOT NULL AND url LIKE '%/gone' AND last_status = 404"),
            1);
  EXPECT_GE(env.sql_long("SELECT max(attempts) FROM forge_outbox WHERE kind = 'notification'"), 2);
  // Unsigned without a secret.
  for (const auto& rec : hook.requests()) EXPECT_EQ(rec.header("X-Mlgate-Signature-256"), "");
}

}  // namespace
}  // namespace mlgate
