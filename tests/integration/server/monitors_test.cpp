// Production monitors at work (docs/monitoring.md, "Alerts, retraining and status"): a real
// `mlgate serve` with a fast monitor loop and a real runner, a pushed commit whose tier writes
// reference.jsonl, deployed; serving observations posted through the API. A shifted batch turns
// the monitor alerting with the drifted feature in its evidence: the notification reaches a local
// receiver, the deployed commit gets the status mlgate/monitor/production, /metrics shows the
// gauge, the training tier runs with trigger `monitor` and
// MLGATE_TRIGGER_REASON, once within retrain_every, audited; the rubric credits the watched
// production; back to ok sends monitor.ok; an environment without observations is no_data; the
// CLI's exit code follows.
#include <gtest/gtest.h>

#include <chrono>
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
    run: sh reference.sh
  training:
    on: [tag]
    run: echo "retrain reason=[$MLGATE_TRIGGER_REASON]"
gates:
  production:
    require: [functionality]
  staging:
    require: [functionality]
monitors:
  production:
    window: 1h
    every: 1s
    drift: [{feature: x, test: psi, max: 0.2}]
    missing: {max_share: 0.5}
    on_alert: [notify, retrain]
  staging:
    window: 1h
    every: 1s
    drift: [{feature: x}]
)";

// 200 reference rows, x uniform over 0..99.
const char* kReferenceScript =
    "i=0; while [ $i -lt 200 ]; do "
    "echo \"{\\\"features\\\": {\\\"x\\\": $((i % 100))}, \\\"prediction\\\": {\\\"label\\\": "
    "1}}\"; "
    "i=$((i+1)); done > \"$MLGATE_RESULTS/reference.jsonl\"\n";

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// 200 observations with x = offset + 0..99, observed now.
std::string observations(int offset, const std::string& prefix) {
  std::string out;
  const double ts = now_seconds();
  for (int i = 0; i < 200; ++i) {
    out += json{{"id", prefix + std::to_string(i)},
                {"ts", ts},
                {"features", {{"x", offset + i % 100}}},
                {"prediction", {{"label", 1}}}}
               .dump() +
           "\n";
  }
  return out;
}

std::vector<Recorded> events(RecordingForge& hook, const std::string& event) {
  std::vector<Recorded> out;
  for (const auto& r : hook.requests())
    if (r.body.is_object() && r.body.value("event", "") == event) out.push_back(r);
  return out;
}

class MonitorsTest : public ::testing::Test {
 protected:
  MonitorsTest() : env_(options(hook_)) {}

  static GateEnvOptions options(RecordingForge& hook) {
    GateEnvOptions o;
    o.forge_token = "ghs_monitortoken";  // commit statuses go to the same local receiver
    o.api_base_url = hook.base();
    o.serve_args = {"--public-url",          "http://mlgate.example",
                    "--notify-url",          hook.base() + "/hooks/team",
                    "--monitor-period",      "0.2",
                    "--forge-retry-seconds", "0.2"};
    return o;
  }

  json monitor(const std::string& environment) {
    return env_.get("/api/v1/repos/acme/model/environments/" + environment + "/monitors");
  }
  std::string state(const std::string& environment) {
    auto m = monitor(environment)["monitor"];
    return m.is_object() ? m["state"].get<std::string>() : "";
  }
  void observe(const std::string& body, const std::string& batch) {
    auto r = testing::http_post(
        env_.host(),
        "/api/v1/repos/acme/model/environments/production/observations?batch_id=" + batch, body,
        "application/x-ndjson", observer_);
    ASSERT_EQ(r.status, 202) << r.body;
  }
  std::string metrics() { return testing::http_get(env_.host(), "/metrics", env_.admin()).body; }

  RecordingForge hook_;
  GateEnv env_;
  testing::HeaderPairs observer_ = env_.token({"observe"}, "observer");
};

TEST_F(MonitorsTest, DriftAlertsNotifiesRetrainsOnceAndRecovers) {
  env_.start_runner("r1");
  const std::string sha = env_.push(kConfig, {{"reference.sh", kReferenceScript}});
  ASSERT_EQ(env_.wait_pipeline_end(sha)["state"], "passed") << env_.serve().log();
  ASSERT_EQ(env_.deploy({{"sha", sha}, {"environment", "production"}}).status, 201);
  ASSERT_EQ(env_.deploy({{"sha", sha}, {"environment", "staging"}}).status, 201);

  // No observations in staging: no data, which is not an alert.
  ASSERT_TRUE(eventually_long([&] { return state("staging") == "no_data"; })) << env_.serve().log();

  // A batch far from the reference: production alerts, with x's drift in its evidence.
  observe(observations(1000, "shifted-"), "shifted");
  ASSERT_TRUE(eventually_long([&] { return state("production") == "alerting"; }))
      << monitor("production").dump(2) << env_.serve().log();
  const json m = monitor("production");
  EXPECT_EQ(m["monitor"]["sha"], sha);
  EXPECT_EQ(m["monitor"]["alerting_kinds"], json::array({"skew"}));
  bool x_drifted = false;
  for (const auto& f : m["monitor"]["evidence"]["findings"])
    x_drifted = x_drifted || (f["kind"] == "skew" && f["feature"] == "x" && f["drifted"] == true &&
                              f["test"] == "psi" && f["n"] == 200);
  EXPECT_TRUE(x_drifted) << m.dump(2);

  // The receiver hears it once.
  ASSERT_TRUE(eventually_long([&] { return !events(hook_, "monitor.alerting").empty(); }))
      << hook_.dump();
  const auto alert = events(hook_, "monitor.alerting").front();
  EXPECT_EQ(alert.body["environment"], "production");
  EXPECT_EQ(alert.body["state"], "alerting");
  EXPECT_NE(alert.body["reasons"].dump().find("skew x"), std::string::npos) << alert.raw;
  EXPECT_NE(alert.body["text"].get<std::string>().find("acme/model"), std::string::npos);

  // The commit status of the deployed commit.
  ASSERT_TRUE(eventually_long([&] {
    return hook_.last_state("mlgate/monitor/production") == "failure";
  })) << hook_.dump();

  // The gauge.
  EXPECT_NE(metrics().find("mlgate_monitor_alerting{repo=\"acme/model\",environment=\"production\","
                           "monitor=\"skew\"} 1"),
            std::string::npos)
      << metrics();

  // The training tier runs with trigger `monitor` and the reason in its environment, audited.
  ASSERT_TRUE(eventually_long([&] {
    return env_.sql_long("SELECT count(*) FROM pipelines WHERE trigger = 'monitor'") == 1;
  })) << env_.serve().log();
  const long retrain_job = env_.sql_long(
      "SELECT j.id FROM jobs j JOIN pipelines p ON p.id = j.pipeline_id "
      "WHERE p.trigger = 'monitor' AND j.tier = 'training'");
  ASSERT_TRUE(eventually_long([&] {
    return env_.sql_text("SELECT state FROM jobs WHERE id = " + std::to_string(retrain_job)) ==
           "passed";
  })) << env_.serve().log();
  const auto log = testing::http_get(
      env_.host(), "/api/v1/jobs/" + std::to_string(retrain_job) + "/log", env_.admin());
  EXPECT_NE(log.body.find("retrain reason=[monitor production alerting: skew x"), std::string::npos)
      << log.body;
  EXPECT_EQ(env_.sql_long("SELECT count(*) FROM audit_log WHERE action = 'pipeline.retrain'"), 1);

  // Still alerting a few evaluations later: no second retraining within retrain_every (24 h).
  const long evaluations = env_.sql_long("SELECT count(*) FROM monitor_evaluations");
  ASSERT_TRUE(eventually_long([&] {
    return env_.sql_long("SELECT count(*) FROM monitor_evaluations") >= evaluations + 4;
  }));
  EXPECT_EQ(env_.sql_long("SELECT count(*) FROM pipelines WHERE trigger = 'monitor'"), 1);
  EXPECT_EQ(events(hook_, "monitor.alerting").size(), 1U);

  // The rubric sees production watched: skew (monitor-3) and missing (monitor-2).
  const json gate = json::parse(env_.gate(sha).body);
  for (const auto& item : gate["rubric"]["items"]) {
    if (item["id"] == "monitor-2" || item["id"] == "monitor-3") {
      EXPECT_EQ(item["points"], 1.0) << item.dump();
    }
    if (item["id"] == "monitor-4" || item["id"] == "monitor-7") {
      EXPECT_EQ(item["points"], 0.0) << item.dump();
    }
  }

  // The CLI fails while one alerts.
  auto [code, out] = env_.cli({"monitor", "status", "--repo", "acme/model"});
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(out.find("alerting"), std::string::npos) << out;

  // Serving looks like the reference again: ok, monitor.ok, the gauge at 0, the CLI at 0.
  env_.sql("DELETE FROM observation_partials WHERE environment = 'production'");
  observe(observations(0, "normal-"), "normal");
  ASSERT_TRUE(eventually_long([&] { return state("production") == "ok"; }))
      << monitor("production").dump(2);
  ASSERT_TRUE(eventually_long([&] { return !events(hook_, "monitor.ok").empty(); }))
      << hook_.dump();
  EXPECT_NE(metrics().find("mlgate_monitor_alerting{repo=\"acme/model\",environment=\"production\","
                           "monitor=\"skew\"} 0"),
            std::string::npos);
  ASSERT_TRUE(eventually_long([&] {
    return hook_.last_state("mlgate/monitor/production") == "success";
  })) << hook_.dump();
  auto [ok_code, ok_out] =
      env_.cli({"monitor", "status", "--repo", "acme/model", "--environment", "production"});
  EXPECT_EQ(ok_code, 0) << ok_out;
  // The alert history: the last two changes are alerting, then ok (a no_data before the first
  // observations may come first).
  const json changes =
      env_.get("/api/v1/repos/acme/model/environments/production/monitors?changes=true")["history"];
  ASSERT_GE(changes.size(), 2U) << changes.dump(2);
  EXPECT_EQ(changes[0]["state"], "ok");
  EXPECT_EQ(changes[0]["previous_state"], "alerting");
  EXPECT_EQ(changes[1]["state"], "alerting");
  EXPECT_EQ(monitor("production")["monitor"]["transitions"], changes[0]["transition"]);
}

}  // namespace
}  // namespace mlgate
