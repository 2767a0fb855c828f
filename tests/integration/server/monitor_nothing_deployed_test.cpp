// Monitors and observations where nothing is deployed (docs/monitoring.md, "A monitor removed";
// docs/observations.md, "Which commit"): a real `mlgate serve` with a fast monitor loop. A commit
// whose .mlgate.yml has monitors for production and staging is deployed to production only.
//   - staging, never deployed: its observations are accepted (202) and kept unattributed (sha
//     ""), and no monitor state ever appears for it (API, /metrics, the CLI) although the
//     deployed commit's config has a monitor for it;
//   - production, once its deployments replay to nothing (a rollback row of its only deployment,
//     which the API refuses to write but the table allows): its monitor state is retired and
//     audited with "nothing deployed", it is not evaluated again, and its observations from then
//     on are accepted and kept unattributed.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "tests/integration/server/gate_env.h"

namespace mlgate {
namespace {

using nlohmann::json;
using testing::eventually_long;
using testing::GateEnv;
using testing::GateEnvOptions;

const char* kConfig = R"(version: 1
image: mlgate/busybox:test
tiers:
  functionality:
    run: "true"
gates:
  production:
    require: [functionality]
monitors:
  production:
    window: 1h
    every: 1s
    missing: {max_share: 0.5}
  staging:
    window: 1h
    every: 1s
    missing: {max_share: 0.5}
)";

std::string observations(const std::string& prefix) {
  const double ts =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  std::string out;
  for (int i = 0; i < 40; ++i)
    out += json{{"id", prefix + std::to_string(i)},
                {"ts", ts},
                {"features", {{"x", i}}},
                {"prediction", {{"label", 1}}}}
               .dump() +
           "\n";
  return out;
}

class MonitorNothingDeployedTest : public ::testing::Test {
 protected:
  MonitorNothingDeployedTest() : env_(options()) {}
  static GateEnvOptions options() {
    GateEnvOptions o;
    o.serve_args = {"--monitor-period", "0.2"};
    return o;
  }
  json monitor(const std::string& environment) {
    return env_.get("/api/v1/repos/acme/model/environments/" + environment + "/monitors");
  }
  std::string state(const std::string& environment) {
    auto m = monitor(environment)["monitor"];
    return m.is_object() ? m["state"].get<std::string>() : "";
  }
  json observe(const std::string& environment, const std::string& batch) {
    auto r = testing::http_post(
        env_.host(),
        "/api/v1/repos/acme/model/environments/" + environment + "/observations?batch_id=" + batch,
        observations(batch), "application/x-ndjson", observer_);
    EXPECT_EQ(r.status, 202) << r.body;
    return json::parse(r.body);
  }
  long partial_rows(const std::string& environment, const std::string& sha) {
    return env_.sql_long(
        "SELECT coalesce(sum(rows), 0) FROM observation_partials WHERE environment = '" +
        environment + "' AND sha = '" + sha + "'");
  }
  // Waits for a few more evaluations of the deployed environments' monitors.
  void let_monitors_run() {
    const long before = env_.sql_long("SELECT count(*) FROM monitor_evaluations");
    ASSERT_TRUE(eventually_long([&] {
      return env_.sql_long("SELECT count(*) FROM monitor_evaluations") >= before + 3;
    })) << env_.serve().log();
  }

  GateEnv env_;
  testing::HeaderPairs observer_ = env_.token({"observe"}, "observer");
};

TEST_F(MonitorNothingDeployedTest, NeverDeployedAndNoLongerDeployedEnvironments) {
  const std::string sha = env_.push(kConfig, {});
  auto deployed = env_.deploy(
      {{"sha", sha}, {"environment", "production"}, {"force", true}, {"reason", "test"}});
  ASSERT_EQ(deployed.status, 201) << deployed.body;
  ASSERT_TRUE(eventually_long([&] { return state("production") == "no_data"; }))
      << env_.serve().log();

  // staging: never deployed. Its rows are accepted and kept, attributed to no commit.
  auto staged = observe("staging", "s1");
  EXPECT_EQ(staged["rows"], 40) << staged;
  EXPECT_EQ(partial_rows("staging", ""), 40);
  EXPECT_EQ(partial_rows("staging", sha), 0);
  let_monitors_run();
  auto staging = monitor("staging");
  EXPECT_TRUE(staging["monitor"].is_null()) << staging;
  EXPECT_TRUE(staging["history"].empty()) << staging;
  EXPECT_EQ(env_.sql_long("SELECT count(*) FROM monitor_states WHERE environment = 'staging'"), 0);
  EXPECT_EQ(
      testing::http_get(env_.host(), "/metrics", env_.admin()).body.find("environment=\"staging\""),
      std::string::npos);
  auto [code, out] =
      env_.cli({"monitor", "status", "--repo", "acme/model", "--environment", "staging"});
  EXPECT_EQ(code, 1) << out;  // asked for by name: no state

  // production: rows of the deployed commit, then nothing deployed any more.
  EXPECT_EQ(observe("production", "p1")["rows"], 40);
  EXPECT_EQ(partial_rows("production", sha), 40);
  env_.sql(
      "INSERT INTO deployments (repo_id, environment, sha, kind, rolled_back_from, actor) "
      "SELECT repo_id, environment, sha, 'rollback', id, 'test' FROM deployments "
      "WHERE environment = 'production'");
  ASSERT_TRUE(eventually_long([&] { return state("production").empty(); })) << env_.serve().log();
  EXPECT_EQ(env_.sql_long("SELECT count(*) FROM audit_log WHERE action = 'monitor.removed' AND "
                          "actor = 'monitor:production' AND details->>'reason' = "
                          "'nothing deployed' AND details->'deployed_sha' = 'null'::jsonb"),
            1);
  const long evaluations = env_.sql_long("SELECT count(*) FROM monitor_evaluations");
  EXPECT_GT(evaluations, 0);  // the history stays
  auto later = observe("production", "p2");
  EXPECT_EQ(later["rows"], 40) << later;
  EXPECT_EQ(partial_rows("production", ""), 40);  // unattributed now
  EXPECT_EQ(partial_rows("production", sha), 40);
  // Not evaluated again, not retired twice.
  std::this_thread::sleep_for(std::chrono::seconds(2));
  EXPECT_EQ(env_.sql_long("SELECT count(*) FROM monitor_evaluations"), evaluations);
  EXPECT_TRUE(state("production").empty());
  EXPECT_EQ(env_.sql_long("SELECT count(*) FROM audit_log WHERE action = 'monitor.removed'"), 1);
  EXPECT_EQ(testing::http_get(env_.host(), "/metrics", env_.admin())
                .body.find("mlgate_monitor_alerting{repo=\"acme/model\""),
            std::string::npos);
}

}  // namespace
}  // namespace mlgate
