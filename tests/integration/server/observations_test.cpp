// Serving observations and reference profiles (docs/observations.md) through an in-process App on a
// real PostgreSQL over real HTTP: the observe scope and the repository rule, a batch stored as
// window profiles and counted once per batch id, refusals that store nothing, late truth joined
// by id, rows attributed to the commit deployed at their time, compaction and retention, and a
// runner's reference.jsonl stored as its commit's profile.
#include "store/observations.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <string>
#include <thread>

#include "server/app.h"
#include "store/deployments.h"
#include "store/pipelines.h"
#include "store/repos.h"
#include "store/runners.h"
#include "store/tokens.h"
#include "tests/support/loopback.h"
#include "tests/support/mlgate_process.h"
#include "tests/support/pg_cluster.h"
#include "tests/support/temp_dir.h"

namespace mlgate {
namespace {

using nlohmann::json;
using Headers = std::vector<std::pair<std::string, std::string>>;

const std::string kShaA(40, 'a'), kShaB(40, 'b'), kShaC(40, 'c');
constexpr double kDay = 86400;

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// A row of a batch: id, ts, two features and a prediction.
json row(const std::string& id, double ts, double x, const std::string& color) {
  return {{"id", id},
          {"ts", ts},
          {"features", {{"x", x}, {"color", color}}},
          {"prediction", {{"label", "cat"}, {"score", 0.75}}}};
}

std::string lines(const std::vector<json>& rows) {
  std::string out;
  for (const auto& r : rows) out += r.dump() + "\n";
  return out;
}

class Observations : public ::testing::Test {
 protected:
  testing::TempDir dir{"mlgate-observe"};
  std::string conninfo = testing::PgCluster::instance().create_database("observe");
  store::Database db{conninfo, 4, std::chrono::seconds(5)};
  std::unique_ptr<server::App> app;
  std::thread serving;
  std::string host;
  std::int64_t repo_a = 0, repo_b = 0, job = 0;
  std::string observe_a, observe_b, read_token, runner_credential;

  void SetUp() override {
    seed();
    server::AppConfig config;
    config.data_dir = dir.path() / "server";
    config.test_endpoints = true;
    config.observations.max_bytes = 64 << 10;
    config.observations.max_rows = 50;
    config.observations.max_features = 10;
    config.observations.bytes_at_once = 128 << 10;  // two maximal batches
    app = std::make_unique<server::App>(config, db);
    host = "127.0.0.1:" + std::to_string(app->bind({"127.0.0.1", 0}));
    serving = std::thread([this] { app->run(); });
    ASSERT_TRUE(
        testing::eventually([&] { return testing::http_get(host, "/healthz").status == 200; }));
  }
  void TearDown() override {
    app->stop();
    serving.join();
    app.reset();
    testing::PgCluster::instance().drop_database(conninfo);
  }

  template <typename F>
  auto in_tx(F&& fn) {
    pqxx::connection c(conninfo);
    pqxx::work tx(c);
    auto out = fn(tx);
    tx.commit();
    return out;
  }

  void seed() {
    in_tx([&](pqxx::work& tx) {
      store::NewRepo repo{.forge = "github",
                          .full_name = "acme/model",
                          .clone_url = "https://example.invalid/acme/model.git",
                          .webhook_secret = "observe-secret"};
      repo_a = store::insert_repo(tx, repo);
      repo.full_name = "acme/other";
      repo_b = store::insert_repo(tx, repo);
      store::NewPipeline p{.repo_id = repo_a,
                           .trigger = "push",
                           .ref = "refs/heads/main",
                           .branch = "main",
                           .sha = kShaC};
      p.jobs.push_back({.tier = "validation", .image = "busybox", .command = "true"});
      const auto pipeline = store::create_pipeline(tx, p);
      job = tx.exec_params1("SELECT id FROM jobs WHERE pipeline_id = $1", pipeline)[0]
                .as<std::int64_t>();
      observe_a = store::generate_token();
      store::insert_api_token(tx, "observer", observe_a, {"observe"}, repo_a);
      observe_b = store::generate_token();
      store::insert_api_token(tx, "other observer", observe_b, {"observe"}, repo_b);
      read_token = store::generate_token();
      store::insert_api_token(tx, "reader", read_token, {"read", "deploy"}, std::nullopt);
      runner_credential = store::generate_runner_credential();
      store::insert_runner(tx, {.name = "r", .executor = "local"}, runner_credential);
      return 0;
    });
  }

  // A deployment of `sha` to production recorded `days_ago` days ago (a rollback of
  // `rolled_back_from` when given); its id.
  std::int64_t deploy(const std::string& sha, double days_ago,
                      std::optional<std::int64_t> rolled_back_from = std::nullopt) {
    return in_tx([&](pqxx::work& tx) {
      store::NewDeployment d{.repo_id = repo_a, .environment = "production", .sha = sha};
      if (rolled_back_from) d.kind = "rollback";
      d.rolled_back_from = rolled_back_from;
      d.actor = "test";
      const auto id = store::insert_deployment(tx, d);
      tx.exec_params(
          "UPDATE deployments SET created_at = now() - make_interval(secs => $2) WHERE id = $1", id,
          days_ago * kDay);
      return id;
    });
  }

  testing::HttpResult post(const std::string& body, const std::string& batch_id,
                           const std::string& token, const std::string& suffix = "",
                           const std::string& repo = "acme/model") {
    std::string path = "/api/v1/repos/" + repo + "/environments/production/observations" + suffix;
    if (!batch_id.empty()) path += "?batch_id=" + batch_id;
    return testing::http_post(host, path, body, "application/x-ndjson",
                              {{"Authorization", "Bearer " + token}});
  }

  core::DatasetProfile profile(double from, double to,
                               const std::optional<std::string>& sha = std::nullopt) {
    pqxx::connection c(conninfo);
    pqxx::read_transaction tx(c);
    return store::observation_profile(tx, repo_a, "production", from, to, sha);
  }
  std::int64_t count(const std::string& table) {
    pqxx::connection c(conninfo);
    pqxx::read_transaction tx(c);
    return tx.exec1("SELECT count(*) FROM " + table)[0].as<std::int64_t>();
  }
};

// Opens a connection to `host_port` and sends a request's head (no body) that declares
// `content_length` bytes; the connection stays open, its body unsent, until the fd is closed.
int send_head_only(const std::string& host_port, const std::string& path, const std::string& token,
                   std::size_t content_length) {
  const int fd = testing::connect_loopback(std::stoi(host_port.substr(host_port.find(':') + 1)));
  if (fd < 0) return -1;
  const std::string head = "POST " + path + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                           token + "\r\nContent-Type: application/x-ndjson\r\nContent-Length: " +
                           std::to_string(content_length) + "\r\n\r\n";
  if (::send(fd, head.data(), head.size(), MSG_NOSIGNAL) < 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Observation bodies read and parsed at once share one budget (a batch costs about 12 times its
// size while it is parsed), of which one repository holds at most half while it has a batch in
// flight: with a maximal batch's body still arriving, the same repository's next batch is answered
// 503 busy, with Retry-After, before its body is read, while another repository's is taken; once
// the slow one is gone the first repository's is taken too.
TEST_F(Observations, BatchesBeyondTheBytesInFlightAreAskedToComeBackLater) {
  const std::string path =
      "/api/v1/repos/acme/model/environments/production/observations?batch_id=slow-";
  std::vector<int> slow;
  for (int i = 0; i < 2; ++i)
    slow.push_back(send_head_only(host, path + std::to_string(i), observe_a, 64 << 10));
  for (int fd : slow) ASSERT_GE(fd, 0);
  const std::string body = lines({row("r1", now_seconds() - 60, 1, "red")});
  // The two heads reach their handlers in a moment; until then a probe may still be let in.
  testing::HttpResult busy;
  int probe = 0;
  ASSERT_TRUE(testing::eventually([&] {
    busy = post(body, "probe-" + std::to_string(++probe), observe_a);
    return busy.status == 503;
  })) << busy.status
      << " " << busy.body;
  EXPECT_NE(busy.body.find("\"busy\""), std::string::npos) << busy.body;
  const auto other = post(body, "other-repo", observe_b, "", "acme/other");
  EXPECT_EQ(other.status, 202) << other.body;
  const auto before = count("observation_batches");
  for (int fd : slow) ::close(fd);
  testing::HttpResult taken;
  ASSERT_TRUE(testing::eventually([&] {
    taken = post(body, "third", observe_a);
    return taken.status == 202;
  })) << taken.status
      << " " << taken.body;
  EXPECT_EQ(count("observation_batches"), before + 1);
}

TEST_F(Observations, OnlyAnObserveTokenOfTheRepositoryMaySend) {
  const std::string body = lines({row("r1", now_seconds(), 1, "red")});
  EXPECT_EQ(testing::http_post(host,
                               "/api/v1/repos/acme/model/environments/production/"
                               "observations?batch_id=b1",
                               body, "application/x-ndjson")
                .status,
            401);
  auto no_scope = post(body, "b1", read_token);
  EXPECT_EQ(no_scope.status, 403) << no_scope.body;
  EXPECT_NE(no_scope.body.find("observe"), std::string::npos) << no_scope.body;
  EXPECT_EQ(post(body, "b1", observe_b).status, 404);  // another repository's token
  EXPECT_EQ(post(body, "b1", observe_b, "/truth").status, 404);
  EXPECT_EQ(count("observation_partials"), 0);
  EXPECT_EQ(count("observation_batches"), 0);
  EXPECT_EQ(post(body, "b1", observe_b, "", "acme/other").status, 202);
}

TEST_F(Observations, ABatchIsStoredAsWindowProfilesAndCountedOncePerBatchId) {
  const double t = now_seconds() - 3600;
  std::vector<json> rows;
  for (int i = 0; i < 20; ++i) rows.push_back(row("r" + std::to_string(i), t, i, "red"));
  auto first = post(lines(rows), "batch-1", observe_a);
  ASSERT_EQ(first.status, 202) << first.body;
  EXPECT_EQ(json::parse(first.body)["rows"], 20);
  EXPECT_EQ(json::parse(first.body)["duplicate"], false);
  auto again = post(lines(rows), "batch-1", observe_a);
  ASSERT_EQ(again.status, 202) << again.body;
  EXPECT_EQ(json::parse(again.body)["duplicate"], true);
  auto p = profile(t - 600, t + 600);
  EXPECT_EQ(p.rows, 20u);
  EXPECT_EQ(p.features.at("x").count, 20u);
  EXPECT_EQ(p.features.at("x").sum, 190);
  EXPECT_EQ(p.features.at("color").counts.at("red"), 20u);
  EXPECT_EQ(p.features.at("prediction.label").counts.at("cat"), 20u);
  EXPECT_EQ(count("observation_samples"), 20);
  // A batch id is required.
  EXPECT_EQ(post(lines(rows), "", observe_a).status, 400);
}

// Kept rows stop at core::kObservationSamplePerWindow per window; a window found full is then
// skipped (the intake remembers it) while the batch's other windows still keep rows.
TEST_F(Observations, KeptRowsStopAtTheWindowsLimitAndOtherWindowsStillKeep) {
  const double full_at = core::observation_window(now_seconds() - 7200) + 10.0;
  const double other_at = full_at + core::kObservationWindowSeconds;
  const int batches = static_cast<int>(core::kObservationSamplePerWindow / 50);
  std::int64_t sampled = 0;
  for (int b = 0; b <= batches; ++b) {
    std::vector<json> rows;
    for (int i = 0; i < 50; ++i)
      rows.push_back(row("k" + std::to_string(b) + "-" + std::to_string(i), full_at, i, "red"));
    auto r = post(lines(rows), "keep-" + std::to_string(b), observe_a);
    ASSERT_EQ(r.status, 202) << r.body;
    sampled += json::parse(r.body)["sampled"].get<std::int64_t>();
    if (b == batches) {
      EXPECT_EQ(json::parse(r.body)["sampled"], 0) << r.body;
    }
  }
  EXPECT_EQ(sampled, static_cast<std::int64_t>(core::kObservationSamplePerWindow));
  std::vector<json> mixed;
  for (int i = 0; i < 50; ++i)
    mixed.push_back(row("m" + std::to_string(i), i % 2 ? full_at : other_at, i, "blue"));
  auto r = post(lines(mixed), "keep-mixed", observe_a);
  ASSERT_EQ(r.status, 202) << r.body;
  EXPECT_EQ(json::parse(r.body)["sampled"], 25) << r.body;
  EXPECT_EQ(count("observation_samples"),
            static_cast<std::int64_t>(core::kObservationSamplePerWindow) + 25);
  // Every row is still in the profiles.
  EXPECT_EQ(profile(full_at - 10, other_at).rows, 50u * (batches + 1) + 50u);
}

TEST_F(Observations, RefusedBodiesSayWhyAndStoreNothing) {
  const double t = now_seconds();
  const std::string good = row("g", t, 1, "red").dump() + "\n";
  auto malformed = post(good + "{\"id\": \"x\", \"ts\": \n", "m1", observe_a);
  EXPECT_EQ(malformed.status, 400);
  EXPECT_NE(malformed.body.find("line 2"), std::string::npos) << malformed.body;
  auto deep =
      post(good + good + "{\"id\":\"d\",\"ts\":1,\"features\":{\"a\":[[[[[[[[[[1]]]]]]]]]]}}\n",
           "m2", observe_a);
  EXPECT_EQ(deep.status, 400);
  EXPECT_NE(deep.body.find("line 3"), std::string::npos) << deep.body;
  json wide = row("w", t, 1, "red");
  for (int i = 0; i < 11; ++i) wide["features"]["f" + std::to_string(i)] = i;
  auto too_wide = post(good + wide.dump() + "\n", "m3", observe_a);
  EXPECT_EQ(too_wide.status, 400);
  EXPECT_NE(too_wide.body.find("line 2: features: 13 features"), std::string::npos)
      << too_wide.body;
  std::string many;
  for (int i = 0; i < 51; ++i) many += good;
  auto too_many = post(many, "m4", observe_a);
  EXPECT_EQ(too_many.status, 413);
  EXPECT_NE(too_many.body.find("line 51"), std::string::npos) << too_many.body;
  auto too_big = post(std::string(65 << 10, ' '), "m5", observe_a);
  EXPECT_EQ(too_big.status, 413);
  auto no_ts = post("{\"id\":\"n\",\"features\":{}}\n", "m6", observe_a);
  EXPECT_EQ(no_ts.status, 400);
  EXPECT_NE(no_ts.body.find("line 1: ts"), std::string::npos) << no_ts.body;
  EXPECT_EQ(count("observation_partials"), 0);
  EXPECT_EQ(count("observation_samples"), 0);
  EXPECT_EQ(count("observation_batches"), 0);
}

TEST_F(Observations, LateTruthJoinsKeptPredictionsById) {
  const double t = now_seconds() - 60;
  ASSERT_EQ(
      post(lines({row("a", t, 1, "red"), row("b", t + 1, 2, "blue")}), "rows", observe_a).status,
      202);
  auto truth = post("{\"id\":\"b\",\"truth\":\"dog\"}\n{\"id\":\"zz\",\"truth\":\"cat\"}\n",
                    "truth-1", observe_a, "/truth");
  ASSERT_EQ(truth.status, 202) << truth.body;
  EXPECT_EQ(json::parse(truth.body)["matched"], 1);
  EXPECT_EQ(json::parse(post("{\"id\":\"b\",\"truth\":\"dog\"}\n", "truth-1", observe_a, "/truth")
                            .body)["duplicate"],
            true);
  pqxx::connection c(conninfo);
  pqxx::read_transaction tx(c);
  // Nothing is deployed: the rows are unattributed (sha ""), and no commit's quality sees them.
  EXPECT_TRUE(
      store::prediction_truth_pairs(tx, repo_a, "production", t - 10, t + 10, kShaA).empty());
  auto pairs = store::prediction_truth_pairs(tx, repo_a, "production", t - 10, t + 10, "");
  ASSERT_EQ(pairs.size(), 1u);
  EXPECT_EQ(pairs[0].id, "b");
  EXPECT_EQ(pairs[0].truth, "dog");
  EXPECT_EQ(pairs[0].prediction["label"], "cat");
}

TEST_F(Observations, RowsBelongToTheCommitDeployedAtTheirTime) {
  deploy(kShaA, 10);
  const auto b = deploy(kShaB, 5);
  deploy(kShaA, 2, b);  // A is deployed again from two days ago
  const double now = now_seconds();
  json named = row("n", now - 3 * kDay, 5, "red");
  named["sha"] = kShaC;
  ASSERT_EQ(
      post(lines({row("before", now - 20 * kDay, 1, "red"), row("a1", now - 7 * kDay, 2, "red"),
                  row("b1", now - 4 * kDay, 3, "red"), named, row("a2", now - 1 * kDay, 4, "red")}),
           "attribution", observe_a)
          .status,
      202);
  const double from = now - 30 * kDay, to = now + kDay;
  EXPECT_EQ(profile(from, to, kShaA).rows, 2u);
  EXPECT_EQ(profile(from, to, kShaA).features.at("x").sum, 6);
  EXPECT_EQ(profile(from, to, kShaB).rows, 1u);
  EXPECT_EQ(profile(from, to, kShaC).rows, 1u);
  EXPECT_EQ(profile(from, to, "").rows, 1u);  // before any deployment: unattributed
  EXPECT_EQ(profile(from, to).rows, 5u);
}

TEST_F(Observations, CompactionMergesWindowsAndRetentionDropsOldOnes) {
  const double old_ts = now_seconds() - 100 * kDay, recent = now_seconds() - kDay;
  ASSERT_EQ(post(lines({row("o1", old_ts, 1, "red")}), "o1", observe_a).status, 202);
  ASSERT_EQ(post(lines({row("o2", old_ts, 2, "red")}), "o2", observe_a).status, 202);
  ASSERT_EQ(post(lines({row("r1", recent, 3, "red")}), "r1", observe_a).status, 202);
  EXPECT_EQ(count("observation_partials"), 3);
  in_tx([](pqxx::work& tx) { return store::compact_observation_windows(tx, 100); });
  EXPECT_EQ(count("observation_partials"), 2);
  auto merged = profile(old_ts - 600, old_ts + 600);
  EXPECT_EQ(merged.rows, 2u);
  EXPECT_EQ(merged.features.at("x").sum, 3);
  in_tx([](pqxx::work& tx) { return store::delete_old_observations(tx, 90, 1000); });
  EXPECT_EQ(profile(old_ts - 600, old_ts + 600).rows, 0u);
  EXPECT_EQ(profile(recent - 600, recent + 600).rows, 1u);
  EXPECT_EQ(count("observation_samples"), 1);
}

TEST_F(Observations, AReferenceUploadBecomesItsCommitsProfile) {
  const Headers auth = {{"Authorization", "Bearer " + runner_credential}};
  auto claim = testing::http_post(host, "/api/v1/runner/jobs/request", R"({"wait_seconds":0})",
                                  "application/json", auth);
  ASSERT_EQ(claim.status, 200) << claim.body;
  EXPECT_TRUE(json::parse(claim.body)["results_max_bytes"].contains("reference.jsonl"));
  std::string reference;
  for (int i = 0; i < 30; ++i)
    reference += json{{"features", {{"x", i}, {"color", i % 2 ? "red" : "blue"}}},
                      {"prediction", {{"label", "cat"}, {"score", 0.5}}},
                      {"truth", "cat"}}
                     .dump() +
                 "\n";
  httplib::Client cli(host);
  const std::string path = "/api/v1/runner/jobs/" + std::to_string(job) + "/results/";
  httplib::Headers h = {{"Authorization", "Bearer " + runner_credential}};
  auto bad = cli.Put((path + "reference.jsonl?attempt=1").c_str(), h, "{\"features\": 1}\n",
                     "application/x-ndjson");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 422);
  EXPECT_NE(bad->body.find("reference.jsonl:1"), std::string::npos) << bad->body;
  auto ok =
      cli.Put((path + "reference.jsonl?attempt=1").c_str(), h, reference, "application/x-ndjson");
  ASSERT_TRUE(ok);
  ASSERT_EQ(ok->status, 200) << ok->body;
  EXPECT_EQ(json::parse(ok->body)["stored"], 30);
  pqxx::connection c(conninfo);
  pqxx::read_transaction tx(c);
  auto p = store::reference_profile(tx, repo_a, kShaC);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->rows, 30u);
  EXPECT_EQ(p->features.at("color").counts.at("red"), 15u);
  EXPECT_EQ(p->features.at("x").sample.size(), 30u);
  EXPECT_FALSE(store::deployed_reference_profile(tx, repo_a, "production"));
}

}  // namespace
}  // namespace mlgate
