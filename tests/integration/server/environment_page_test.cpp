// An environment's page (docs/pages.md) and a removed monitor (docs/monitoring.md, "A monitor
// removed"): a real `mlgate serve` with a fast monitor loop and a real runner; a pushed commit
// whose tier writes reference.jsonl, deployed; a shifted batch of observations makes the monitor
// alert. The page shows the state, the evidence, a plot per feature, the alert history, the
// reference's pipeline and the deployment history; a token of another repository and an anonymous
// caller (no --public-read) get nothing. Then a commit without `monitors:` is deployed: the state
// is retired (API, /metrics, the CLI, the page) and the history stays.
#include <gtest/gtest.h>

#include <chrono>

#include "store/repos.h"
#include "tests/integration/server/gate_env.h"

namespace mlgate {
namespace {

using nlohmann::json;
using testing::eventually;
using testing::eventually_long;
using testing::GateEnv;
using testing::GateEnvOptions;

const char* kMonitors = R"(monitors:
  production:
    window: 1h
    every: 1s
    drift: [{feature: x, test: psi, max: 0.2}, {feature: y}]
    missing: {max_share: 0.5}
    on_alert: [notify]
)";

std::string config(bool with_monitors) {
  return std::string(R"(version: 1
image: mlgate/busybox:test
tiers:
  functionality:
    run: sh reference.sh
gates:
  production:
    require: [functionality]
)") + (with_monitors ? kMonitors : "");
}

// 200 reference rows, x and y uniform over 0..99.
const char* kReferenceScript =
    "i=0; while [ $i -lt 200 ]; do "
    "echo \"{\\\"features\\\": {\\\"x\\\": $((i % 100)), \\\"y\\\": $((i % 100))}, "
    "\\\"prediction\\\": {\\\"label\\\": 1}}\"; "
    "i=$((i+1)); done > \"$MLGATE_RESULTS/reference.jsonl\"\n";

// 200 observations, x shifted by 1000, y as in the reference.
std::string shifted_observations() {
  const double ts =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  std::string out;
  for (int i = 0; i < 200; ++i)
    out += json{{"id", "o" + std::to_string(i)},
                {"ts", ts},
                {"features", {{"x", 1000 + i % 100}, {"y", i % 100}}},
                {"prediction", {{"label", 1}}}}
               .dump() +
           "\n";
  return out;
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class EnvironmentPageTest : public ::testing::Test {
 protected:
  EnvironmentPageTest() : env_(options()) {}
  static GateEnvOptions options() {
    GateEnvOptions o;
    o.serve_args = {"--monitor-period", "0.2"};
    return o;
  }
  testing::HttpResult page(const testing::HeaderPairs& auth) {
    return testing::http_get(env_.host(), "/repos/acme/model/environments/production", auth);
  }
  std::string state() {
    auto m = env_.get("/api/v1/repos/acme/model/environments/production/monitors")["monitor"];
    return m.is_object() ? m["state"].get<std::string>() : "";
  }
  std::int64_t other_repo() {
    pqxx::connection c(env_.conninfo());
    pqxx::work tx(c);
    const auto id = store::insert_repo(tx, {.forge = "github",
                                            .full_name = "acme/other",
                                            .clone_url = "https://example.com/acme/other.git",
                                            .webhook_secret = "other-secret"});
    tx.commit();
    return id;
  }
  GateEnv env_;
};

TEST_F(EnvironmentPageTest, ShowsTheMonitorAndForgetsItWhenRemoved) {
  env_.start_runner("r1");
  const std::string sha = env_.push(config(true), {{"reference.sh", kReferenceScript}});
  ASSERT_EQ(env_.wait_pipeline_end(sha)["state"], "passed") << env_.serve().log();
  ASSERT_EQ(env_.deploy({{"sha", sha}, {"environment", "production"}}).status, 201);
  ASSERT_TRUE(eventually_long([&] { return state() == "no_data"; })) << env_.serve().log();
  auto r = testing::http_post(
      env_.host(), "/api/v1/repos/acme/model/environments/production/observations?batch_id=b1",
      shifted_observations(), "application/x-ndjson", env_.token({"observe"}, "observer"));
  ASSERT_EQ(r.status, 202) << r.body;
  ASSERT_TRUE(eventually_long([&] { return state() == "alerting"; })) << env_.serve().log();
  // A few evaluations more, so that the plots have several points.
  const long evaluations = env_.sql_long("SELECT count(*) FROM monitor_evaluations");
  ASSERT_TRUE(eventually_long([&] {
    return env_.sql_long("SELECT count(*) FROM monitor_evaluations") >= evaluations + 3;
  }));

  const auto p = page(env_.admin());
  ASSERT_EQ(p.status, 200) << p.body;
  const std::string& html = p.body;
  EXPECT_TRUE(has(html, "data-state=\"alerting\"")) << html;
  EXPECT_TRUE(has(html, "<tr data-kind=\"skew\" data-feature=\"x\">")) << html;  // the evidence
  EXPECT_TRUE(has(html, "<td>psi</td>")) << html;
  EXPECT_TRUE(has(html, "<td class=\"num\">200</td>")) << html;             // n
  EXPECT_TRUE(has(html, "data-series=\"skew x · psi distance\"")) << html;  // a plot per feature
  EXPECT_TRUE(has(html, "data-series=\"skew y · ks p-value\"")) << html;
  EXPECT_TRUE(has(html, "<svg")) << html;
  EXPECT_TRUE(has(html, "beyond threshold")) << html;  // the ringed points
  EXPECT_TRUE(has(html, "id=\"alert-history\"")) << html;
  EXPECT_TRUE(has(html, "<tr data-state=\"alerting\">")) << html;
  EXPECT_TRUE(has(html, "skew x: ")) << html;  // the change's reason
  const long pipeline = env_.sql_long("SELECT max(id) FROM pipelines");
  EXPECT_TRUE(has(html, "id=\"reference\"><code>" + sha.substr(0, 12) +
                            "</code> <a href=\"/pipelines/" + std::to_string(pipeline) + "\">"))
      << html;
  EXPECT_TRUE(has(html, "id=\"deployment-history\"")) << html;
  EXPECT_TRUE(has(html, "data-sha=\"" + sha + "\"")) << html;
  // Linked from the repository's page.
  const auto repo_page = testing::http_get(env_.host(), "/repos/acme/model", env_.admin());
  EXPECT_TRUE(has(repo_page.body, "href=\"/repos/acme/model/environments/production\""))
      << repo_page.body;

  // The repository rule: another repository's token, and nobody without --public-read.
  const auto elsewhere = page(env_.token({"read"}, "elsewhere", other_repo()));
  EXPECT_EQ(elsewhere.status, 404);
  EXPECT_FALSE(has(elsewhere.body, "data-state")) << elsewhere.body;
  const auto anonymous = page({});
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_FALSE(has(anonymous.body, "data-state")) << anonymous.body;
  EXPECT_EQ(page(env_.token({"read"}, "mine",
                            env_.sql_long("SELECT id FROM repos WHERE "
                                          "full_name = 'acme/model'")))
                .status,
            200);

  // The monitor is removed from .mlgate.yml and that commit deployed: no stale alert anywhere.
  const std::string next = env_.push(config(false), {{"reference.sh", kReferenceScript}});
  ASSERT_EQ(env_.wait_pipeline_end(next)["state"], "passed") << env_.serve().log();
  ASSERT_EQ(env_.deploy({{"sha", next}, {"environment", "production"}}).status, 201);
  ASSERT_TRUE(eventually_long([&] { return state().empty(); })) << env_.serve().log();
  const std::string metrics = testing::http_get(env_.host(), "/metrics", env_.admin()).body;
  EXPECT_FALSE(has(metrics, "mlgate_monitor_alerting{repo=\"acme/model\"")) << metrics;
  auto [code, out] = env_.cli({"monitor", "status", "--repo", "acme/model"});
  EXPECT_EQ(code, 0) << out;
  auto [env_code, env_out] =
      env_.cli({"monitor", "status", "--repo", "acme/model", "--environment", "production"});
  EXPECT_EQ(env_code, 1) << env_out;  // asked for by name: there is no state to show
  EXPECT_NE(env_out.find("no monitor in the deployed commit's .mlgate.yml"), std::string::npos)
      << env_out;
  EXPECT_EQ(env_out.find("alerting"), std::string::npos) << env_out;
  EXPECT_EQ(env_.sql_long("SELECT count(*) FROM audit_log WHERE action = 'monitor.removed'"), 1);
  const auto after = page(env_.admin());
  EXPECT_TRUE(has(after.body, "id=\"no-monitor\"")) << after.body;
  EXPECT_TRUE(has(after.body, "<tr data-state=\"alerting\">")) << after.body;  // history stays
  EXPECT_GT(env_.sql_long("SELECT count(*) FROM monitor_evaluations"), 0);
}

}  // namespace
}  // namespace mlgate
