// Staged rollouts under the rules in force (docs/rollouts.md, "The rules in force") and their
// commit status mlgate/rollout/<env>: a real `mlgate serve` (--rollout-period 0.2, stages of 2s,
// `every: 1s`) for a GitHub repository whose forge API is a recording stand-in
// (recording_forge.h), a real runner, a stable commit deployed, then a candidate whose `rollouts:`
// entry differs from the stable commit's, and observations of both posted over HTTP while it runs.
#include <gtest/gtest.h>

#include <chrono>
#include <set>

#include "tests/integration/server/gate_env.h"
#include "tests/integration/server/observation_feeder.h"
#include "tests/integration/server/recording_forge.h"

namespace mlgate {
namespace {

using nlohmann::json;
using testing::eventually_long;
using testing::GateEnv;
using testing::GateEnvOptions;
using testing::RecordingForge;

const char* kHead = R"(version: 1
image: mlgate/busybox:test
tiers:
  functionality:
    run: echo ok
gates:
  production:
    require: [functionality]
rollouts:
  production:
)";

const char* kThreeStages = R"(    stages:
      - {name: canary, traffic: 5%, for: 2s}
      - {name: half, traffic: 50%, for: 2s}
      - {name: full, traffic: 100%}
)";

const char* kNoCanary = R"(    stages:
      - {name: half, traffic: 50%, for: 2s}
      - {name: full, traffic: 100%}
)";

const char* kBothMetrics = R"(    analysis:
      every: 1s
      metrics:
        - {name: error_rate, lower_is_better: true, critical: true}
        - {name: latency_ms, lower_is_better: true}
)";

const char* kLatencyOnly = R"(    analysis:
      every: 1s
      metrics:
        - {name: latency_ms, lower_is_better: true}
)";

std::string config(const char* stages, const char* analysis) {
  return std::string(kHead) + stages + analysis;
}

const std::string kContext = "mlgate/rollout/production";

// One batch: 40 rows of each commit. Both answer in 10..19 ms; stable errs 1 in 50, a bad
// candidate 3 in 4.
std::string batch(const std::string& stable, const std::string& candidate, bool bad, int n) {
  std::string out;
  const double ts =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  for (int i = 0; i < 40; ++i) {
    for (const bool cand : {false, true}) {
      const int k = n * 40 + i;
      const double error = cand && bad ? (k % 4 != 0 ? 1 : 0) : (k % 50 == 7 ? 1 : 0);
      out += json{{"id", "b" + std::to_string(n) + "-" + std::to_string(i)},
                  {"ts", ts},
                  {"sha", cand ? candidate : stable},
                  {"features", {{"x", i}}},
                  {"prediction", {{"label", "yes"}}},
                  {"metrics", {{"error_rate", error}, {"latency_ms", 10 + (k * 7) % 10}}}}
                 .dump() +
             "\n";
    }
  }
  return out;
}

class RolloutsInForceTest : public ::testing::Test {
 protected:
  RolloutsInForceTest() : env_(options(forge_)) {}
  ~RolloutsInForceTest() override { stop_feeding(); }

  static GateEnvOptions options(const RecordingForge& forge) {
    GateEnvOptions o;
    o.forge = "github";
    o.forge_token = "ghs_rollouttoken";
    o.api_base_url = forge.base();
    o.serve_args = {"--public-url", "http://mlgate.example", "--rollout-period",
                    "0.2",          "--forge-retry-seconds", "0.2"};
    return o;
  }

  // The stable commit (`stable_config`) passed and deployed, then the candidate passed.
  void deploy_then_push(const std::string& stable_config, const std::string& candidate_config) {
    env_.start_runner("r1");
    stable_ = env_.push(stable_config, {{"model.txt", "stable"}});
    ASSERT_EQ(env_.wait_pipeline_end(stable_)["state"], "passed") << env_.serve().log();
    ASSERT_EQ(env_.deploy({{"sha", stable_}, {"environment", "production"}}).status, 201);
    candidate_ = env_.push(candidate_config, {{"model.txt", "candidate"}});
    ASSERT_EQ(env_.wait_pipeline_end(candidate_)["state"], "passed") << env_.serve().log();
  }

  testing::HttpResult start() {
    return testing::http_post(env_.host(), "/api/v1/repos/acme/model/rollouts",
                              json{{"sha", candidate_}, {"environment", "production"}}.dump(),
                              "application/json", env_.admin());
  }
  json rollout() {
    return env_.get("/api/v1/repos/acme/model/environments/production/rollout")["rollout"];
  }
  std::string state() { return rollout().value("state", ""); }
  void feed(bool bad) {
    feeder_.start(
        env_.host(), "/api/v1/repos/acme/model/environments/production/observations?batch_id=p",
        [this, bad](int n) { return batch(stable_, candidate_, bad, n); }, observer_);
  }
  void stop_feeding() { feeder_.stop(); }
  // The rollout statuses the forge received for the candidate, in order: "state: description".
  std::vector<std::string> statuses() {
    std::vector<std::string> out;
    for (const auto& r : forge_.requests())
      if (r.body.is_object() && r.body.value("context", "") == kContext)
        out.push_back(r.body.value("state", "") + ": " + r.body.value("description", ""));
    return out;
  }
  bool last_status_is(const std::string& text) {
    const auto all = statuses();
    return !all.empty() && all.back() == text;
  }
  std::vector<std::string> judged_stages() {
    std::set<std::string> seen;
    std::vector<std::string> out;
    const json r = rollout();
    for (const auto& e : r["history"])
      if (e["kind"] == "judgement" && seen.insert(e["stage"].get<std::string>()).second)
        out.push_back(e["stage"]);
    return out;
  }

  RecordingForge forge_;
  GateEnv env_;
  testing::HeaderPairs observer_ = env_.token({"observe"}, "observer");
  std::string stable_;
  std::string candidate_;
  testing::ObservationFeeder feeder_;
};

// A pull request cannot skip the canary: the stable commit's stages are the stages in force, and
// the start answer, GET …/rollout and `mlgate rollout status` say how the entries differ.
TEST_F(RolloutsInForceTest, ACandidateThatDropsTheCanaryStillGoesThroughTheStableCanary) {
  deploy_then_push(config(kThreeStages, kBothMetrics), config(kNoCanary, kBothMetrics));
  auto r = start();
  ASSERT_EQ(r.status, 201) << r.body;
  const json started = json::parse(r.body)["rollout"];
  EXPECT_EQ(started["stage"], "canary");
  EXPECT_EQ(started["rules"]["in_force"], "deployed_and_candidate");
  ASSERT_EQ(started["rules"]["differences"].size(), 1u) << started["rules"].dump(2);
  EXPECT_EQ(
      started["rules"]["differences"][0],
      (json{{"rule", "stage canary"},
            {"changes", {{{"key", ""}, {"deployed", "5% traffic, 2s"}, {"candidate", "none"}}}},
            {"text", "stage canary: 5% traffic, 2s → none"}}));
  EXPECT_NE(started["rules"]["note"].get<std::string>().find("the stable commit's stages apply"),
            std::string::npos);
  EXPECT_EQ(
      env_.get("/api/v1/repos/acme/model/environments/production/routing")["candidate_weight"],
      5.0);
  auto [code, out] =
      env_.cli({"rollout", "status", "--repo", "acme/model", "--environment", "production"});
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("rules that differ (stable → candidate):\n    stage canary: 5% traffic, "
                     "2s → none"),
            std::string::npos)
      << out;
  feed(false);
  ASSERT_TRUE(eventually_long([&] { return state() == "completed"; })) << rollout().dump(2);
  stop_feeding();
  EXPECT_EQ(judged_stages(), (std::vector<std::string>{"canary", "half", "full"}));
  EXPECT_EQ(rollout()["rules"], started["rules"]);  // stored at the start
}

// The stable commit's analysis keeps a critical metric the candidate dropped: it still judges, and
// rolls the candidate back when that metric is worse.
TEST_F(RolloutsInForceTest, ACandidateThatDropsACriticalMetricIsRolledBackByTheStableAnalysis) {
  deploy_then_push(config(kThreeStages, kBothMetrics), config(kThreeStages, kLatencyOnly));
  auto r = start();
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(json::parse(r.body)["rollout"]["rules"]["differences"][0]["text"],
            "metric error_rate: lower_is_better true, critical true → none");
  feed(true);
  ASSERT_TRUE(eventually_long([&] { return state() == "rolled_back"; })) << rollout().dump(2);
  stop_feeding();
  const json j = rollout()["last_judgement"];
  EXPECT_EQ(rollout()["stage"], "canary");
  EXPECT_EQ(j["decided_by"], "deployed") << j.dump(2);
  EXPECT_EQ(j["analyses"]["deployed"]["decision"], "rollback") << j.dump(2);
  EXPECT_NE(j["reason"].get<std::string>().find("error_rate"), std::string::npos) << j.dump(2);
  EXPECT_NE(j["reason"].get<std::string>().find("the stable commit's analysis"), std::string::npos)
      << j.dump(2);
}

// A candidate that tightens (adds a critical metric) is judged by it at once — here on the stable
// commit's canary, which its own entry dropped.
TEST_F(RolloutsInForceTest, ACandidateThatAddsACriticalMetricIsJudgedByItAtOnce) {
  deploy_then_push(config(kThreeStages, kLatencyOnly), config(kNoCanary, kBothMetrics));
  auto r = start();
  ASSERT_EQ(r.status, 201) << r.body;
  feed(true);
  ASSERT_TRUE(eventually_long([&] { return state() == "rolled_back"; })) << rollout().dump(2);
  stop_feeding();
  const json j = rollout()["last_judgement"];
  EXPECT_EQ(rollout()["stage"], "canary");
  EXPECT_EQ(j["decided_by"], "candidate") << j.dump(2);
  bool judged = false;
  for (const auto& m : j["metrics"])
    judged = judged ||
             (m["name"] == "error_rate" && m["rule_set"] == "candidate" && m["verdict"] == "high");
  EXPECT_TRUE(judged) << j.dump(2);
}

// A stable commit whose config cannot be read: no rollout starts (its entry is part of the rules).
TEST_F(RolloutsInForceTest, AStableCommitWhoseConfigCannotBeReadRefusesTheStart) {
  deploy_then_push(config(kThreeStages, kBothMetrics), config(kThreeStages, kBothMetrics));
  const std::string unknown(40, 'e');
  env_.sql("UPDATE deployments SET sha = '" + unknown + "' WHERE sha = '" + stable_ + "'");
  auto r = start();
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_NE(r.body.find("stable_config_unreadable"), std::string::npos) << r.body;
  EXPECT_TRUE(rollout().is_null());
}

// The commit status mlgate/rollout/production on the candidate, in GitHub's documented shape:
// pending with the stage on start and after each promotion, success once completed.
TEST_F(RolloutsInForceTest, TheRolloutStatusIsPendingPerStageThenSuccess) {
  deploy_then_push(config(kThreeStages, kBothMetrics), config(kThreeStages, kBothMetrics));
  ASSERT_EQ(start().status, 201);
  ASSERT_TRUE(eventually_long([&] { return !statuses().empty(); })) << env_.serve().log();
  EXPECT_EQ(statuses()[0], "pending: rolling out: stage 1/3 canary (5% traffic, 2s)");
  feed(false);
  ASSERT_TRUE(eventually_long([&] { return state() == "completed"; })) << rollout().dump(2);
  stop_feeding();
  ASSERT_TRUE(eventually_long([&] { return last_status_is("success: rolled out to every stage"); }))
      << forge_.dump();
  // The last stage has no `for`: it completes at its first judgement, and a status still queued
  // is superseded by the newer one (docs/forge-feedback.md), so its pending may not be sent.
  auto seen = statuses();
  std::erase(seen, "pending: rolling out: stage 3/3 full (100% traffic)");
  EXPECT_EQ(seen, (std::vector<std::string>{
                      "pending: rolling out: stage 1/3 canary (5% traffic, 2s)",
                      "pending: rolling out: stage 2/3 half (50% traffic, 2s)",
                      "success: rolled out to every stage",
                  }));
  for (const auto& r : forge_.requests()) {
    if (!r.body.is_object() || r.body.value("context", "") != kContext) continue;
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.path, "/repos/acme/model/statuses/" + candidate_);
    EXPECT_EQ(r.header("Authorization"), "Bearer ghs_rollouttoken");
    std::set<std::string> keys;
    for (const auto& [k, v] : r.body.items()) keys.insert(k);
    EXPECT_EQ(keys, (std::set<std::string>{"state", "context", "description", "target_url"}));
    EXPECT_EQ(r.body["target_url"],
              "http://mlgate.example/api/v1/repos/acme/model/environments/production/rollout");
  }
}

// A rollback and an abort leave the candidate's status failed.
TEST_F(RolloutsInForceTest, TheRolloutStatusFailsAfterARollbackOrAnAbort) {
  deploy_then_push(config(kThreeStages, kBothMetrics), config(kThreeStages, kBothMetrics));
  ASSERT_EQ(start().status, 201);
  feed(true);
  ASSERT_TRUE(eventually_long([&] { return state() == "rolled_back"; })) << rollout().dump(2);
  stop_feeding();
  ASSERT_TRUE(eventually_long([&] {
    return last_status_is("failure: rolled back at stage 1/3 canary (5% traffic, 2s)");
  })) << forge_.dump();
  ASSERT_EQ(start().status, 201);  // a second rollout of the same candidate: pending again
  ASSERT_TRUE(eventually_long([&] {
    return last_status_is("pending: rolling out: stage 1/3 canary (5% traffic, 2s)");
  })) << forge_.dump();
  auto [code, out] = env_.cli({"rollout", "abort", "--repo", "acme/model", "--environment",
                               "production", "--reason", "not today"});
  ASSERT_EQ(code, 0) << out;
  ASSERT_TRUE(eventually_long([&] {
    return last_status_is("failure: aborted at stage 1/3 canary (5% traffic, 2s)");
  })) << forge_.dump();
}

}  // namespace
}  // namespace mlgate
