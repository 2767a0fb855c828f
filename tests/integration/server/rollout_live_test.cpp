// What a running rollout sees and shows live (docs/rollouts.md, "Observations for the judge" and
// "Routing"), on a real `mlgate serve` with a fast rollout loop: truth attached later through
// …/observations/truth reaches the judge (a canary without truth waits, `no_data`; the truth that
// makes it clearly worse rolls it back), and the routing answer is served from memory yet follows
// an abort made through another replica within the change feed's latency.
#include <gtest/gtest.h>

#include <chrono>
#include <sstream>
#include <thread>

#include "tests/integration/server/gate_env.h"

namespace mlgate {
namespace {

using nlohmann::json;
using testing::eventually;
using testing::eventually_long;
using testing::GateEnv;
using testing::GateEnvOptions;

// Only the canary matters here: it lasts an hour, the judge looks every second; accuracy is half
// the metrics, so without truth there is no score.
const char* kConfig = R"(version: 1
image: mlgate/busybox:test
tiers:
  functionality:
    run: echo ok
gates:
  production:
    require: [functionality]
rollouts:
  production:
    stages:
      - {name: canary, traffic: 5%, for: 1h}
      - {name: full, traffic: 100%}
    analysis:
      every: 1s
      metrics:
        - {name: error_rate, lower_is_better: true}
        - {name: accuracy}
      pass: 90
      marginal: 75
)";

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// 40 rows of each commit, the same ids on both sides, no truth. Both err 1 in 20. Stable answers
// "yes" everywhere; the candidate "no" on 7 ids in 10. Row "c-0" of the candidate carries its own
// accuracy metric (1), which truth attached later must leave alone.
std::string rows_without_truth(const std::string& stable, const std::string& candidate) {
  std::string out;
  const double ts = now_seconds();
  for (int i = 0; i < 40; ++i)
    for (const bool cand : {false, true}) {
      json metrics = {{"error_rate", i % 20 == 3 ? 1 : 0}};
      if (cand && i == 0) metrics["accuracy"] = 1;
      out += json{{"id", "c-" + std::to_string(i)},
                  {"ts", ts},
                  {"sha", cand ? candidate : stable},
                  {"features", {{"x", i}}},
                  {"prediction", {{"label", cand && i % 10 < 7 ? "no" : "yes"}}},
                  {"metrics", metrics}}
                 .dump() +
             "\n";
    }
  return out;
}

// The truth of every id: "yes" (stable right on all, the candidate wrong on 7 in 10).
std::string truth_lines() {
  std::string out;
  for (int i = 0; i < 40; ++i)
    out += json{{"id", "c-" + std::to_string(i)}, {"truth", "yes"}}.dump() + "\n";
  return out;
}

// The value of `name{cache="routing"}` in a /metrics text; 0 when absent.
double routing_counter(const std::string& metrics, const std::string& name) {
  std::istringstream in(metrics);
  const std::string prefix = name + "{cache=\"routing\"} ";
  for (std::string line; std::getline(in, line);)
    if (line.rfind(prefix, 0) == 0) return std::stod(line.substr(prefix.size()));
  return 0;
}

// The routing cache's hits and misses counted between two /metrics texts.
struct CacheCounts {
  double hits = 0, misses = 0;
};
CacheCounts routing_cache_between(const std::string& before, const std::string& after) {
  const auto delta = [&](const std::string& name) {
    return routing_counter(after, name) - routing_counter(before, name);
  };
  return {delta("mlgate_cache_hits_total"), delta("mlgate_cache_misses_total")};
}

class RolloutLiveTest : public ::testing::Test {
 protected:
  RolloutLiveTest() : env_(options()) {}

  static GateEnvOptions options() {
    GateEnvOptions o;
    o.serve_args = {"--rollout-period", "0.2"};
    return o;
  }

  // Stable deployed, a candidate passed, its rollout started: running at the canary.
  void SetUp() override {
    env_.start_runner("r1");
    stable_ = env_.push(kConfig, {{"model.txt", "stable"}});
    ASSERT_EQ(env_.wait_pipeline_end(stable_)["state"], "passed") << env_.serve().log();
    ASSERT_EQ(env_.deploy({{"sha", stable_}, {"environment", "production"}}).status, 201);
    candidate_ = env_.push(kConfig, {{"model.txt", "candidate"}});
    ASSERT_EQ(env_.wait_pipeline_end(candidate_)["state"], "passed") << env_.serve().log();
    auto r = testing::http_post(env_.host(), "/api/v1/repos/acme/model/rollouts",
                                json{{"sha", candidate_}, {"environment", "production"}}.dump(),
                                "application/json", env_.admin());
    ASSERT_EQ(r.status, 201) << r.body;
  }

  json rollout() {
    return env_.get("/api/v1/repos/acme/model/environments/production/rollout")["rollout"];
  }
  testing::HttpResult post(const std::string& path, const std::string& body) {
    return testing::http_post(env_.host(),
                              "/api/v1/repos/acme/model/environments/production/" + path, body,
                              "application/x-ndjson", observer_);
  }
  long count(const std::string& sql) { return env_.sql_long(sql); }

  GateEnv env_;
  testing::HeaderPairs observer_ = env_.token({"observe"}, "observer");
  std::string stable_;
  std::string candidate_;
};

TEST_F(RolloutLiveTest, TruthAttachedLaterReachesTheJudgeAndRollsABadCanaryBack) {
  auto posted = post("observations?batch_id=rows-1", rows_without_truth(stable_, candidate_));
  ASSERT_EQ(posted.status, 202) << posted.body;
  EXPECT_EQ(json::parse(posted.body)["rollout_samples"], 80);
  // Without truth the judge has error_rate alone (half the metrics): no score, the canary waits.
  const std::string no_data =
      "SELECT count(*) FROM rollout_events WHERE kind = 'judgement' AND decision = 'no_data'";
  ASSERT_TRUE(eventually_long([&] { return count(no_data) >= 2; })) << rollout().dump(2);
  EXPECT_EQ(rollout()["state"], "running");
  EXPECT_EQ(count("SELECT count(*) FROM rollout_events WHERE kind = 'judgement' AND decision <> "
                  "'no_data'"),
            0);

  // The truth arrives: the candidate was wrong on 7 ids in 10, stable on none.
  auto truth = post("observations/truth?batch_id=truth-1", truth_lines());
  ASSERT_EQ(truth.status, 202) << truth.body;
  // Every labelled sample of both sides but the one with its own accuracy.
  EXPECT_EQ(json::parse(truth.body)["rollout_samples"], 79) << truth.body;
  EXPECT_EQ(count("SELECT count(*) FROM rollout_samples WHERE obs_id = 'c-0' AND side = "
                  "'candidate' AND (metrics->>'accuracy')::float8 = 1"),
            1);
  EXPECT_EQ(count("SELECT count(*) FROM rollout_samples WHERE side = 'candidate' AND "
                  "(metrics->>'accuracy')::float8 = 0"),
            27);

  ASSERT_TRUE(eventually_long([&] { return rollout().value("state", "") == "rolled_back"; }))
      << rollout().dump(2);
  const json r = rollout();
  EXPECT_EQ(r["stage"], "canary");
  // Judged on accuracy: error_rate the same on both sides, accuracy low on the candidate.
  EXPECT_EQ(r["last_judgement"]["score"], 50.0) << r.dump(2);
  for (const auto& m : r["last_judgement"]["metrics"])
    EXPECT_EQ(m["verdict"], m["name"] == "accuracy" ? "low" : "pass") << m.dump();
  // Once the rollout ended its samples are gone: later truth touches nothing.
  auto late = post("observations/truth?batch_id=truth-2", truth_lines());
  EXPECT_EQ(json::parse(late.body)["rollout_samples"], 0) << late.body;
}

TEST_F(RolloutLiveTest, RoutingIsAnsweredFromMemoryAndFollowsAnAbortOnAnotherReplica) {
  testing::TempDir dir{"mlgate-replica"};
  testing::ServeProcess b(testing::ServeProcessOptions{
      .data_dir = dir.path(), .database_url = env_.conninfo(), .extra_args = {}});
  const std::string path = "/api/v1/repos/acme/model/environments/production/routing";
  const auto routing_on_b = [&] {
    auto r = testing::http_get(b.host_port(), path, env_.admin());
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body);
  };
  EXPECT_EQ(routing_on_b(), (json{{"stable", stable_},
                                  {"candidate", candidate_},
                                  {"candidate_weight", 5.0},
                                  {"mirror", 0.0}}));

  // Served from memory: 200 polls on B, (nearly) none of them read the database.
  const auto metrics = [&] { return testing::http_get(b.host_port(), "/metrics", env_.admin()); };
  const std::string before = metrics().body;
  for (int i = 0; i < 200; ++i) ASSERT_EQ(routing_on_b()["candidate"], candidate_);
  const std::string after = metrics().body;
  const auto [hits, misses] = routing_cache_between(before, after);
  EXPECT_EQ(hits + misses, 200) << after;
  EXPECT_LE(misses, 3) << after;  // a kept answer expires after a few seconds, whatever happens

  // Aborted through A: B's next answers say stable alone within the change feed's latency.
  auto aborted = testing::http_post(
      env_.host(), "/api/v1/repos/acme/model/environments/production/rollout/abort",
      R"({"reason": "errors"})", "application/json", env_.admin());
  ASSERT_EQ(aborted.status, 200) << aborted.body;
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(
      eventually([&] { return routing_on_b()["candidate"].is_null(); }, std::chrono::seconds(3)));
  const auto waited = std::chrono::steady_clock::now() - t0;
  EXPECT_LT(waited, std::chrono::seconds(2)) << "the answer waited for the cache to expire";
  EXPECT_EQ(routing_on_b(), (json{{"stable", stable_},
                                  {"candidate", nullptr},
                                  {"candidate_weight", 0.0},
                                  {"mirror", 0.0}}));
  // A deployment without a rollout (through A) changes stable on B too.
  ASSERT_EQ(env_.deploy({{"sha", candidate_}, {"environment", "production"}}).status, 201);
  EXPECT_TRUE(
      eventually([&] { return routing_on_b()["stable"] == candidate_; }, std::chrono::seconds(2)))
      << routing_on_b().dump();
  // A's own answer changed at once (its write bumped its cache before the answer was sent).
  EXPECT_TRUE(testing::http_get(env_.host(), path, env_.admin()).body.find("\"candidate\":null") !=
              std::string::npos);
}

TEST_F(RolloutLiveTest, ServingObservationsDoNotEmptyTheRoutingCache) {
  // A serving fleet posts observations to the replica its routers poll: each batch is a write,
  // but changes no routing answer, so the polls between them stay in memory.
  const std::string path = "/api/v1/repos/acme/model/environments/production/routing";
  const auto metrics = [&] { return testing::http_get(env_.host(), "/metrics", env_.admin()); };
  ASSERT_EQ(testing::http_get(env_.host(), path, env_.admin()).status, 200);
  const std::string before = metrics().body;
  for (int i = 0; i < 30; ++i) {
    auto posted = post("observations?batch_id=serve-" + std::to_string(i),
                       rows_without_truth(stable_, candidate_));
    ASSERT_EQ(posted.status, 202) << posted.body;
    // Truth for ids no sample has (truth for the samples would let the judge roll back: a
    // real change of the answer).
    auto truth = post("observations/truth?batch_id=truth-" + std::to_string(i),
                      json{{"id", "unseen-" + std::to_string(i)}, {"truth", "yes"}}.dump() + "\n");
    ASSERT_EQ(truth.status, 202) << truth.body;
    ASSERT_EQ(testing::http_get(env_.host(), path, env_.admin()).status, 200);
  }
  const std::string after = metrics().body;
  const auto [hits, misses] = routing_cache_between(before, after);
  EXPECT_EQ(hits + misses, 30) << after;
  EXPECT_LE(misses, 3) << after;  // a kept answer expires after a few seconds, whatever happens
}

}  // namespace
}  // namespace mlgate
