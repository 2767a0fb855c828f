// Staged rollouts on the server (docs/rollouts.md, "On the server"): a real `mlgate serve` with a
// fast rollout loop (--rollout-period 0.2, stages of 2s, `every: 1s`), a real runner passing the
// stable and the candidate commits, stable deployed, the rollout started through the API or
// `mlgate deploy --rollout`, and observations of both commits posted over HTTP while it runs.
// A good candidate is promoted through every stage and becomes the deployment; a bad one (error
// rate up) is rolled back at the canary, audited and notified; a marginal one pauses; a shadow
// stage reports the online flip rate; blue-green is promoted and aborted by people through the
// CLI and the routing answer follows at once; two replicas judge one rollout and only one acts.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <map>
#include <pqxx/pqxx>
#include <thread>

#include "tests/integration/server/gate_env.h"
#include "tests/integration/server/observation_feeder.h"
#include "tests/integration/server/recording_forge.h"

namespace mlgate {
namespace {

using nlohmann::json;
using testing::eventually;
using testing::eventually_long;
using testing::GateEnv;
using testing::GateEnvOptions;
using testing::RecordingForge;

const char* kConfig = R"(version: 1
image: mlgate/busybox:test
tiers:
  functionality:
    run: echo ok
gates:
  production:
    require: [functionality]
  shadowed:
    require: [functionality]
  bluegreen:
    require: [functionality]
rollouts:
  production:
    stages:
      - {name: canary, traffic: 5%, for: 2s}
      - {name: half, traffic: 50%, for: 2s}
      - {name: full, traffic: 100%}
    analysis:
      every: 1s
      metrics:
        - {name: error_rate, lower_is_better: true, critical: true}
        - {name: latency_ms, lower_is_better: true}
        - {name: accuracy}
        - {name: cpu_ms, lower_is_better: true}
      pass: 90
      marginal: 75
  shadowed:
    stages:
      - {name: shadow, mirror: 100%, for: 1h}
      - {name: full, traffic: 100%}
    analysis:
      every: 1s
      metrics:
        - {name: latency_ms, lower_is_better: true}
  bluegreen:
    stages: [{name: blue, traffic: 0%, for: 1h}, {name: green, traffic: 100%}]
    analysis:
      every: 1s
      metrics: [{name: error_rate, lower_is_better: true}]
)";

// How the candidate behaves next to stable.
enum class Candidate { good, bad, marginal };

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// One batch: 40 rows of each commit with the same ids (request ids of a mirror), deterministic
// noise. Stable: error 1 in 50, latency 10..19, right 9 in 10. A bad candidate errs 3 in 4; a
// marginal one has twice the latency (one metric of four fails: score 75). With `flips` the
// candidate's label differs on 1 id in 5 (a shadow stage's flip rate 0.2).
std::string batch(const std::string& stable, const std::string& candidate, Candidate how, int n,
                  bool flips) {
  std::string out;
  const double ts = now_seconds();
  for (int i = 0; i < 40; ++i) {
    const std::string id = "b" + std::to_string(n) + "-" + std::to_string(i);
    for (const bool cand : {false, true}) {
      const int k = n * 40 + i;
      double error = k % 50 == 7 ? 1 : 0;
      double latency = 10 + (k * 7) % 10;
      if (cand && how == Candidate::bad) error = k % 4 != 0 ? 1 : 0;
      if (cand && how == Candidate::marginal) latency *= 2;
      const std::string label = flips && cand && i % 5 == 0 ? "no" : "yes";
      out += json{{"id", id},
                  {"ts", ts},
                  {"sha", cand ? candidate : stable},
                  {"features", {{"x", i}}},
                  {"prediction", {{"label", label}, {"score", cand ? 0.7 : 0.6}}},
                  {"truth", k % 10 == 3 ? "no" : "yes"},
                  {"metrics", {{"error_rate", error}, {"latency_ms", latency}, {"cpu_ms", 5}}}}
                 .dump() +
             "\n";
    }
  }
  return out;
}

// The Argo AnalysisTemplate of templates/ci/argo/ evaluated as Argo's web provider would: its
// URL with the args filled in, asked of the server, its jsonPath (the subset "{$.a.b}" it uses)
// read from the real answer, and its conditions (`result == "…"`) applied: "Successful",
// "Failed" or "Inconclusive".
std::string argo_measurement(GateEnv& env, const std::string& environment,
                             const std::string& stage) {
  const YAML::Node t = YAML::LoadFile(std::string(MLGATE_SOURCE_DIR) +
                                      "/templates/ci/argo/rollout-analysis-template.yaml");
  const YAML::Node metric = t["spec"]["metrics"][0];
  std::string url = metric["provider"]["web"]["url"].as<std::string>();
  const std::map<std::string, std::string> args = {{"{{args.server-url}}", ""},
                                                   {"{{args.repo}}", "acme/model"},
                                                   {"{{args.environment}}", environment},
                                                   {"{{args.stage}}", stage}};
  for (const auto& [from, to] : args)
    for (auto at = url.find(from); at != std::string::npos; at = url.find(from))
      url.replace(at, from.size(), to);
  json value = env.get(url);
  std::string path = metric["provider"]["web"]["jsonPath"].as<std::string>();
  EXPECT_EQ(path.rfind("{$.", 0), 0u) << path;
  path = path.substr(3, path.size() - 4);
  for (std::size_t from = 0; from <= path.size();) {
    const auto dot = std::min(path.find('.', from), path.size());
    value = value[path.substr(from, dot - from)];
    from = dot + 1;
  }
  const auto holds = [&](const char* key) {
    const std::string condition = metric[key].as<std::string>();  // result == "x"
    const auto quote = condition.find('"');
    EXPECT_EQ(condition.rfind("result == ", 0), 0u) << condition;
    return value.is_string() &&
           value.get<std::string>() == condition.substr(quote + 1, condition.size() - quote - 2);
  };
  if (holds("failureCondition")) return "Failed";
  if (holds("successCondition")) return "Successful";
  return "Inconclusive";
}

class RolloutsTest : public ::testing::Test {
 protected:
  RolloutsTest() : env_(options(hook_)) {}
  ~RolloutsTest() override { stop_feeding(); }

  static GateEnvOptions options(RecordingForge& hook) {
    GateEnvOptions o;
    o.serve_args = {"--public-url",          "http://mlgate.example",
                    "--notify-url",          hook.base() + "/hooks/team",
                    "--rollout-period",      "0.2",
                    "--forge-retry-seconds", "0.2"};
    return o;
  }

  // Stable deployed to every environment, and a candidate passed; both shas.
  void SetUp() override {
    env_.start_runner("r1");
    stable_ = env_.push(kConfig, {{"model.txt", "stable"}});
    ASSERT_EQ(env_.wait_pipeline_end(stable_)["state"], "passed") << env_.serve().log();
    for (const char* e : {"production", "shadowed", "bluegreen"})
      ASSERT_EQ(env_.deploy({{"sha", stable_}, {"environment", e}}).status, 201);
    candidate_ = env_.push(kConfig, {{"model.txt", "candidate"}});
    ASSERT_EQ(env_.wait_pipeline_end(candidate_)["state"], "passed") << env_.serve().log();
  }

  testing::HttpResult start(const std::string& environment) {
    return testing::http_post(env_.host(), "/api/v1/repos/acme/model/rollouts",
                              json{{"sha", candidate_}, {"environment", environment}}.dump(),
                              "application/json", env_.admin());
  }
  json rollout(const std::string& environment) {
    return env_.get("/api/v1/repos/acme/model/environments/" + environment + "/rollout")["rollout"];
  }
  json routing(const std::string& environment) {
    return env_.get("/api/v1/repos/acme/model/environments/" + environment + "/routing");
  }
  std::string state(const std::string& environment) {
    return rollout(environment).value("state", "");
  }
  // Posts a batch every 150 ms until stopped.
  void feed(const std::string& environment, Candidate how) {
    feeder_.start(
        env_.host(),
        "/api/v1/repos/acme/model/environments/" + environment +
            "/observations?batch_id=" + environment,
        [this, how, shadow = environment == "shadowed"](int n) {
          return batch(stable_, candidate_, how, n, shadow);
        },
        observer_);
  }
  void stop_feeding() { feeder_.stop(); }
  long count(const std::string& sql) { return env_.sql_long(sql); }
  std::vector<json> notifications(const std::string& event) {
    std::vector<json> out;
    for (const auto& r : hook_.requests())
      if (r.body.is_object() && r.body.value("event", "") == event) out.push_back(r.body);
    return out;
  }

  RecordingForge hook_;
  GateEnv env_;
  testing::HeaderPairs observer_ = env_.token({"observe"}, "observer");
  std::string stable_;
  std::string candidate_;
  testing::ObservationFeeder feeder_;
};

TEST_F(RolloutsTest, AGoodCandidateIsPromotedThroughEveryStageAndDeployed) {
  auto r = start("production");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(routing("production"), (json{{"stable", stable_},
                                         {"candidate", candidate_},
                                         {"candidate_weight", 5.0},
                                         {"mirror", 0.0}}));
  // A second rollout of the environment is refused while this one runs.
  EXPECT_EQ(start("production").status, 409);
  feed("production", Candidate::good);
  ASSERT_TRUE(eventually_long([&] { return state("production") == "completed"; }))
      << rollout("production").dump(2) << env_.serve().log();
  stop_feeding();
  const json done = rollout("production");
  std::vector<std::string> moves;
  for (const auto& e : done["history"])
    if (e["kind"] == "transition") moves.push_back(e["decision"]);
  EXPECT_EQ(moves, (std::vector<std::string>{"rollout.start", "rollout.promote", "rollout.promote",
                                             "rollout.complete"}));
  for (const auto& s : done["stages"]) EXPECT_EQ(s["verdict"], "passed");
  EXPECT_EQ(argo_measurement(env_, "production", "canary"), "Successful");
  // The candidate is the deployment now, recorded like `mlgate deploy`, and routing says so.
  auto deployments = env_.get("/api/v1/repos/acme/model/deployments?environment=production");
  EXPECT_EQ(deployments["current"]["production"], candidate_);
  EXPECT_EQ(routing("production")["stable"], candidate_);
  EXPECT_TRUE(routing("production")["candidate"].is_null());
  EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE action = 'rollout.complete'"), 1);
  // The environment page shows the rollout's timeline: its state, stages and score plot.
  auto page =
      testing::http_get(env_.host(), "/repos/acme/model/environments/production", env_.admin());
  ASSERT_EQ(page.status, 200);
  const auto timeline = page.body.find("<section id=\"rollout\">");
  ASSERT_NE(timeline, std::string::npos) << page.body;
  EXPECT_NE(page.body.find("completed</h2>", timeline), std::string::npos);
  EXPECT_NE(page.body.find("rollout-scores", timeline), std::string::npos);
  EXPECT_NE(page.body.find("canary", timeline), std::string::npos);
  // The candidate's pipeline page names the rollout, its state and its stage, under the verdict.
  auto pipeline_page = testing::http_get(
      env_.host(), "/pipelines/" + std::to_string(env_.pipeline_of(candidate_)["id"].get<long>()),
      env_.admin());
  ASSERT_EQ(pipeline_page.status, 200);
  const auto line =
      pipeline_page.body.find("class=\"rollout-line\" data-environment=\"production\"");
  ASSERT_NE(line, std::string::npos) << pipeline_page.body;
  EXPECT_NE(pipeline_page.body.find("completed</span>, stage <strong>full</strong>", line),
            std::string::npos)
      << pipeline_page.body.substr(line, 400);
  EXPECT_LT(pipeline_page.body.find("id=\"verdict\""), line);
  // The samples went with the stages that used them.
  EXPECT_EQ(count("SELECT count(*) FROM rollout_samples"), 0);
  // Each judgement scored the canary from both commits' samples.
  EXPECT_GT(count("SELECT count(*) FROM rollout_events WHERE kind = 'judgement' AND stage = 0 "
                  "AND score = 100"),
            0);
}

TEST_F(RolloutsTest, ABadCandidateIsRolledBackAtTheCanaryAuditedAndNotified) {
  ASSERT_EQ(start("production").status, 201);
  feed("production", Candidate::bad);
  ASSERT_TRUE(eventually_long([&] { return state("production") == "rolled_back"; }))
      << rollout("production").dump(2);
  stop_feeding();
  const json r = rollout("production");
  EXPECT_EQ(r["stage"], "canary");
  EXPECT_EQ(r["verdict"]["result"], "failed");
  EXPECT_EQ(argo_measurement(env_, "production", "canary"), "Failed");
  EXPECT_NE(r["last_judgement"]["reason"].get<std::string>().find("error_rate"), std::string::npos)
      << r.dump(2);
  EXPECT_EQ(routing("production"), (json{{"stable", stable_},
                                         {"candidate", nullptr},
                                         {"candidate_weight", 0.0},
                                         {"mirror", 0.0}}));
  auto deployments = env_.get("/api/v1/repos/acme/model/deployments?environment=production");
  EXPECT_EQ(deployments["current"]["production"], stable_);
  EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE action = 'rollout.rollback' AND actor = "
                  "'rollout-judge'"),
            1);
  ASSERT_TRUE(eventually_long([&] { return notifications("rollout.rolled_back").size() == 1; }));
  EXPECT_EQ(notifications("rollout.rolled_back")[0]["stage"], "canary");
}

TEST_F(RolloutsTest, AMarginalCandidatePausesAndIsToldThenAPersonResumesOrPromotes) {
  ASSERT_EQ(start("production").status, 201);
  feed("production", Candidate::marginal);
  ASSERT_TRUE(eventually_long([&] { return state("production") == "paused"; }))
      << rollout("production").dump(2);
  stop_feeding();
  const json r = rollout("production");
  EXPECT_EQ(r["stage"], "canary");
  EXPECT_EQ(r["last_judgement"]["score"], 75.0) << r.dump(2);
  EXPECT_EQ(r["verdict"]["result"], "paused");
  EXPECT_EQ(argo_measurement(env_, "production", "canary"), "Inconclusive");
  EXPECT_EQ(routing("production")["candidate_weight"], 5.0);  // held where it was
  ASSERT_TRUE(eventually_long([&] { return notifications("rollout.paused").size() == 1; }));
  // The judge leaves a paused rollout alone; a person promotes it (audited with the reason).
  auto [code, out] = env_.cli({"rollout", "promote", "--repo", "acme/model", "--environment",
                               "production", "--reason", "latency is fine for now"});
  EXPECT_EQ(code, 0) << out;
  EXPECT_EQ(state("production"), "running");
  EXPECT_EQ(rollout("production")["stage"], "half");
  EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE action = 'rollout.promote' AND "
                  "details->>'reason' = 'latency is fine for now'"),
            1);
}

TEST_F(RolloutsTest, AShadowStageReportsTheOnlineFlipRate) {
  ASSERT_EQ(start("shadowed").status, 201);
  EXPECT_EQ(routing("shadowed")["mirror"], 100.0);
  EXPECT_EQ(routing("shadowed")["candidate_weight"], 0.0);
  feed("shadowed", Candidate::good);
  ASSERT_TRUE(eventually_long([&] {
    const json j = rollout("shadowed")["last_judgement"];
    return j.is_object() && j.contains("shadow") && j["shadow"]["paired"].get<int>() >= 80;
  })) << rollout("shadowed").dump(2);
  stop_feeding();
  const json shadow = rollout("shadowed")["last_judgement"]["shadow"];
  EXPECT_DOUBLE_EQ(shadow["flip_rate"].get<double>(), 0.2);  // 1 id in 5
  EXPECT_NEAR(shadow["score_change"].get<double>(), 0.1, 1e-9);
}

TEST_F(RolloutsTest, BlueGreenIsStartedPromotedAndAbortedThroughTheCli) {
  auto [started, out] = env_.cli({"deploy", "--rollout", "--repo", "acme/model", "--sha",
                                  candidate_, "--environment", "bluegreen"});
  ASSERT_EQ(started, 0) << out;
  EXPECT_NE(out.find("started at stage blue"), std::string::npos) << out;
  EXPECT_EQ(routing("bluegreen")["candidate_weight"], 0.0);
  auto [promoted, out2] =
      env_.cli({"rollout", "promote", "--repo", "acme/model", "--environment", "bluegreen"});
  ASSERT_EQ(promoted, 0) << out2;
  EXPECT_EQ(routing("bluegreen")["candidate_weight"], 100.0);
  auto [aborted, out3] = env_.cli({"rollout", "abort", "--repo", "acme/model", "--environment",
                                   "bluegreen", "--reason", "errors in green"});
  ASSERT_EQ(aborted, 0) << out3;
  // Switched back at once: the next routing answer is stable alone.
  EXPECT_EQ(routing("bluegreen"), (json{{"stable", stable_},
                                        {"candidate", nullptr},
                                        {"candidate_weight", 0.0},
                                        {"mirror", 0.0}}));
  auto [status, out4] =
      env_.cli({"rollout", "status", "--repo", "acme/model", "--environment", "bluegreen"});
  EXPECT_EQ(status, 1) << out4;
  EXPECT_NE(out4.find("aborted"), std::string::npos) << out4;
  EXPECT_NE(out4.find("errors in green"), std::string::npos) << out4;
  auto [again, out5] =
      env_.cli({"rollout", "abort", "--repo", "acme/model", "--environment", "bluegreen"});
  EXPECT_EQ(again, 1) << out5;
  EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE action = 'rollout.abort'"), 1);
  auto deployments = env_.get("/api/v1/repos/acme/model/deployments?environment=bluegreen");
  EXPECT_EQ(deployments["current"]["bluegreen"], stable_);
}

TEST_F(RolloutsTest, ARolloutNeedsTheGateAndARolloutsEntryAndAReadTokenForRouting) {
  // Never a rollout: the answer says so (null), it is not an error.
  EXPECT_TRUE(
      env_.get("/api/v1/repos/acme/model/environments/production/rollout")["rollout"].is_null());
  // A commit the server never saw: no gate allows it.
  auto r =
      testing::http_post(env_.host(), "/api/v1/repos/acme/model/rollouts",
                         json{{"sha", std::string(40, 'a')}, {"environment", "production"}}.dump(),
                         "application/json", env_.admin());
  EXPECT_GE(r.status, 400) << r.body;
  // A passed commit whose config has no `rollouts:` entry for the environment.
  std::string plain = kConfig;
  plain = plain.substr(0, plain.find("rollouts:"));
  const std::string sha = env_.push(plain, {{"model.txt", "plain"}});
  ASSERT_EQ(env_.wait_pipeline_end(sha)["state"], "passed");
  auto n = testing::http_post(env_.host(), "/api/v1/repos/acme/model/rollouts",
                              json{{"sha", sha}, {"environment", "production"}}.dump(),
                              "application/json", env_.admin());
  EXPECT_EQ(n.status, 409) << n.body;
  EXPECT_NE(n.body.find("no_rollout"), std::string::npos) << n.body;
  // No rollout under way: commands are refused; routing is stable alone; it needs a token.
  auto p = testing::http_post(env_.host(),
                              "/api/v1/repos/acme/model/environments/production/rollout/pause",
                              "{}", "application/json", env_.admin());
  EXPECT_EQ(p.status, 409) << p.body;
  EXPECT_EQ(routing("production")["stable"], stable_);
  EXPECT_EQ(
      testing::http_get(env_.host(), "/api/v1/repos/acme/model/environments/production/routing", {})
          .status,
      401);
  // An observe-only token may not start one.
  auto o = testing::http_post(env_.host(), "/api/v1/repos/acme/model/rollouts",
                              json{{"sha", candidate_}, {"environment", "production"}}.dump(),
                              "application/json", observer_);
  EXPECT_EQ(o.status, 403) << o.body;
}

// A second replica on the same database judges too (every 0.05 s).
// The judge's lock, deterministically: while another replica judges a rollout (here the test holds
// the advisory lock that replica's transaction takes: store::try_lock_rollout_judge), this serve
// leaves the rollout alone however due it is; once the lock is released, it judges it.
TEST_F(RolloutsTest, WhileAnotherReplicaJudgesARolloutThisOneLeavesItAlone) {
  ASSERT_EQ(start("production").status, 201);
  const std::string id = std::to_string(rollout("production")["id"].get<long>());
  const std::string judgements = "SELECT count(*) FROM rollout_events WHERE kind = 'judgement'";
  pqxx::connection c(env_.conninfo());
  pqxx::work held(c);
  held.exec("SELECT pg_advisory_xact_lock(hashtextextended('rollout/' || '" + id + "', 21))");
  // A rollout never judged is due at once: this serve may have judged it before the lock was
  // taken (a judge holding it makes the lock above wait for its commit). None may follow.
  const long before = count(judgements);
  feed("production", Candidate::good);
  std::this_thread::sleep_for(std::chrono::seconds(3));  // three intervals (every: 1s) go by
  EXPECT_EQ(count(judgements), before) << "a rollout another replica held was judged";
  held.abort();
  EXPECT_TRUE(eventually_long([&] { return count(judgements) > before; }));
  stop_feeding();
}

TEST_F(RolloutsTest, TwoReplicasJudgeOneRolloutAndOnlyOneActs) {
  testing::TempDir dir{"mlgate-replica"};
  testing::ServeProcess second(testing::ServeProcessOptions{
      .data_dir = dir.path(),
      .database_url = env_.conninfo(),
      .extra_args = {"--rollout-period", "0.05", "--public-url", "http://mlgate.example"}});
  ASSERT_EQ(start("production").status, 201);
  feed("production", Candidate::bad);
  ASSERT_TRUE(eventually_long([&] { return state("production") == "rolled_back"; }));
  stop_feeding();
  EXPECT_EQ(count("SELECT count(*) FROM rollout_events WHERE decision = 'rollout.rollback'"), 1);
  EXPECT_EQ(count("SELECT count(*) FROM audit_log WHERE action = 'rollout.rollback'"), 1);
  // One judgement per analysis interval (every: 1s), never two for one interval.
  EXPECT_EQ(count("SELECT count(*) FROM (SELECT at - lag(at) OVER (ORDER BY id) AS gap FROM "
                  "rollout_events WHERE kind = 'judgement') g WHERE gap < interval '0.9 s'"),
            0);
  EXPECT_GE(count("SELECT count(*) FROM rollout_events WHERE kind = 'judgement'"), 1);
}

}  // namespace
}  // namespace mlgate
