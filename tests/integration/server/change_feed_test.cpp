// Reads answered from memory, and every replica forgetting them when the database changes
// (server/http/change_feed.h, migrations/0012_change_notifications.sql): a gate answer, a token and
// a repository are served without PostgreSQL while nothing they depend on changed; a change through
// this replica is seen at once, a change through another replica as soon as its notification
// arrives.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "tests/integration/server/gate_env.h"
#include "util/hash.h"

namespace mlgate::testing {
namespace {

using nlohmann::json;
using std::chrono::steady_clock;

// Entries live at most 5 s without a change (server/http/stamped_cache.h users): an entry that is
// forgotten well before that was forgotten because of the change's notification.
constexpr auto kWellBeforeMaxAge = std::chrono::seconds(3);

std::string gate_path(const std::string& sha) {
  return "/api/v1/repos/acme/model/gate?sha=" + sha + "&environment=production";
}

// A token made through the API of `host` (so the replica's own cache learns of it).
std::pair<long, HeaderPairs> make_token(GateEnv& env, const std::string& host,
                                        const std::string& name) {
  auto r =
      http_post(host, "/api/v1/tokens", json{{"name", name}, {"scopes", {"read", "deploy"}}}.dump(),
                "application/json", env.admin());
  EXPECT_EQ(r.status, 201) << r.body;
  const json made = json::parse(r.body);
  return {made["id"].get<long>(),
          {{"Authorization", "Bearer " + made["token"].get<std::string>()}}};
}

// Pushes a commit (no runner: its pipeline stays pending) and waits until the gate on `host`
// answers it from the cache.
std::string push_and_cache(GateEnv& env, const std::string& host) {
  const std::string sha = env.push(
      kGateTestConfig, {{"results.sh", gate_results_script(0.95, 0.9)}, {"validate.sh", "true\n"}});
  EXPECT_TRUE(eventually([&] { return !env.pipeline_of(sha).is_null(); }));
  EXPECT_TRUE(eventually([&] {
    auto r = http_get(host, gate_path(sha), env.admin());
    return r.status == 200 && json::parse(r.body).value("cached", false);
  }));
  return sha;
}

TEST(ChangeFeed, GateReadsAreAnsweredFromMemoryWhileTheDatabaseIsLocked) {
  GateEnv env;
  const std::string sha = push_and_cache(env, env.host());
  // Every table a token check, a repository lookup or a gate decision reads is locked: only an
  // answer from memory can come back before the lock is released.
  pqxx::connection c(env.conninfo());
  pqxx::work lock(c);
  lock.exec(
      "LOCK TABLE api_tokens, repos, pipelines, jobs, deployments, gate_decisions "
      "IN ACCESS EXCLUSIVE MODE");
  auto read = std::async(std::launch::async,
                         [&] { return http_get(env.host(), gate_path(sha), env.admin()); });
  const bool answered = read.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
  lock.abort();
  ASSERT_TRUE(answered) << "the cached gate answer waited for the database";
  const auto r = read.get();
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(json::parse(r.body)["cached"].get<bool>());
}

TEST(ChangeFeed, AWriteThroughThisReplicaIsSeenByItsNextRead) {
  GateEnv env;
  push_and_cache(env, env.host());
  auto [id, bearer] = make_token(env, env.host(), "soon revoked");
  ASSERT_EQ(http_get(env.host(), "/api/v1/repos", bearer).status, 200);
  ASSERT_EQ(http_get(env.host(), "/api/v1/repos", bearer).status, 200);  // from memory now
  ASSERT_EQ(http_post(env.host(), "/api/v1/tokens/" + std::to_string(id) + "/revoke", "{}",
                      "application/json", env.admin())
                .status,
            200);
  // No waiting: the revocation went through this replica.
  EXPECT_EQ(http_get(env.host(), "/api/v1/repos", bearer).status, 401);
}

TEST(ChangeFeed, AnotherReplicaForgetsWhatChangedAsSoonAsItIsNotified) {
  GateEnv env;
  TempDir dir{"mlgate-second-replica"};
  ServeProcess second(
      ServeProcessOptions{.data_dir = dir.path() / "server", .database_url = env.conninfo()});
  const std::string other = second.host_port();
  const std::string sha = push_and_cache(env, other);

  // A token revoked through the first replica is refused by the second, which had it in memory.
  auto [id, bearer] = make_token(env, env.host(), "revoked elsewhere");
  ASSERT_EQ(http_get(other, "/api/v1/repos", bearer).status, 200);
  ASSERT_EQ(http_get(other, "/api/v1/repos", bearer).status, 200);
  ASSERT_EQ(http_post(env.host(), "/api/v1/tokens/" + std::to_string(id) + "/revoke", "{}",
                      "application/json", env.admin())
                .status,
            200);
  auto changed_at = steady_clock::now();
  EXPECT_TRUE(eventually([&] { return http_get(other, "/api/v1/repos", bearer).status == 401; },
                         kWellBeforeMaxAge))
      << "the second replica still took the revoked token";

  // A pipeline cancelled through the first replica changes the second's gate answer, which it had
  // just answered from memory.
  const long pipeline = env.pipeline_of(sha)["id"].get<long>();
  auto again = http_get(other, gate_path(sha), env.admin());
  ASSERT_EQ(again.status, 200) << again.body;
  ASSERT_TRUE(json::parse(again.body)["cached"].get<bool>());
  ASSERT_EQ(http_post(env.host(), "/api/v1/pipelines/" + std::to_string(pipeline) + "/cancel", "{}",
                      "application/json", env.admin())
                .status,
            202);
  changed_at = steady_clock::now();
  json answer;
  EXPECT_TRUE(eventually(
      [&] {
        auto r = http_get(other, gate_path(sha), env.admin());
        if (r.status != 200) return false;
        answer = json::parse(r.body);
        return answer["pipeline_state"] == "cancelled";
      },
      kWellBeforeMaxAge))
      << answer.dump();
  EXPECT_LT(steady_clock::now() - changed_at, kWellBeforeMaxAge);
}

// Webhook intake reads the repository a delivery names from memory: a secret rotated or a
// repository registered by an operator's SQL (another process) is in force for the next deliveries
// as soon as the notification arrives, long before an entry's 30 s age limit.
TEST(ChangeFeed, IntakeSeesARotatedSecretAndANewRepositoryAsSoonAsNotified) {
  GateEnv env;
  const std::string sha = env.push(kGateTestConfig, {{"validate.sh", "true\n"}});
  ASSERT_EQ(env.send_github_push(sha, "main", "again-1").status, 202);  // from memory now
  pqxx::connection c(env.conninfo());
  {
    pqxx::work tx(c);
    tx.exec("UPDATE repos SET webhook_secret = 'rotated-secret' WHERE full_name = 'acme/model'");
    tx.commit();
  }
  int n = 0;
  EXPECT_TRUE(eventually(
      [&] {
        return env.send_github_push(sha, "main", "rotated-" + std::to_string(++n), "rotated-secret")
                   .status == 202;
      },
      kWellBeforeMaxAge))
      << "the rotated secret was not in force";
  EXPECT_EQ(env.send_github_push(sha, "main", "old-secret").status, 401);

  json p = GateEnv::fixture("github/push.json");
  p["after"] = sha;
  p["repository"]["full_name"] = "acme/newcomer";
  const std::string body = p.dump();
  const auto deliver = [&](const std::string& id) {
    return http_post(
        env.host(), "/webhooks/github", body, "application/json",
        {{"X-GitHub-Event", "push"},
         {"X-GitHub-Delivery", id},
         {"X-Hub-Signature-256", "sha256=" + util::hmac_sha256_hex("newcomer-secret", body)}});
  };
  ASSERT_EQ(deliver("before-1").status, 404);
  ASSERT_EQ(deliver("before-2").status, 404);  // its absence is remembered too
  {
    pqxx::work tx(c);
    tx.exec(
        "INSERT INTO repos (forge, full_name, clone_url, webhook_secret) VALUES "
        "('github', 'acme/newcomer', 'http://127.0.0.1:1/none.git', 'newcomer-secret')");
    tx.commit();
  }
  EXPECT_TRUE(eventually([&] { return deliver("after-" + std::to_string(++n)).status == 202; },
                         kWellBeforeMaxAge))
      << "the new repository's deliveries were still refused";
}

}  // namespace
}  // namespace mlgate::testing
