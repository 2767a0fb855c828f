// The repository rule and the management of tokens and runners (docs/security.md, "Routes and who
// may call them"; docs/api.md), on the real `mlgate serve`: a token restricted to one repository
// reaches nothing of another (404, as if it did not exist) and lists only its own; an admin token
// restricted to a repository mints tokens only for it; a disabled runner is refused and handed no
// job, its running job re-queued; an expired or revoked registration token registers no runner.
// route_table_test.cpp walks every route; this file tells the same story route by route.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <thread>

#include "store/pipelines.h"
#include "store/results.h"
#include "tests/integration/server/gate_env.h"

namespace mlgate {
namespace {

using nlohmann::json;
using testing::GateEnv;
using testing::HeaderPairs;
using testing::http_get;
using testing::http_post;

// acme/model (from GateEnv) with one pipeline and its queued job, and acme/other.
class AuthorizationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto r = http_post(env_.host(), "/api/v1/repos",
                       json{{"forge", "github"},
                            {"name", "acme/other"},
                            {"clone_url", env_.repo().file_url()},
                            {"secret", "other-secret-123"}}
                           .dump(),
                       "application/json", env_.admin());
    ASSERT_EQ(r.status, 201) << r.body;
    model_ = env_.sql_long("SELECT id FROM repos WHERE full_name = 'acme/model'");
    other_ = env_.sql_long("SELECT id FROM repos WHERE full_name = 'acme/other'");
    pqxx::connection c(env_.conninfo());
    pqxx::work tx(c);
    store::NewPipeline p{.repo_id = model_,
                         .trigger = "push",
                         .ref = "refs/heads/main",
                         .branch = "main",
                         .sha = std::string(40, 'b')};
    p.jobs.push_back({.tier = "functionality", .image = "busybox", .command = "true"});
    pipeline_ = store::create_pipeline(tx, p);
    job_ = tx.exec_params1("SELECT id FROM jobs WHERE pipeline_id = $1", pipeline_)[0].as<long>();
    tx.exec_params(
        "INSERT INTO job_logs (job_id, attempt, byte_offset, data) VALUES ($1, 0, 0, 'secret "
        "log'::bytea)",
        job_);
    tx.commit();
  }

  // A token with `scopes`, restricted to `repo` (a repos.id) when set.
  HeaderPairs token(const std::vector<std::string>& scopes, std::optional<long> repo,
                    const std::string& name = "t") {
    const auto t = store::generate_token();
    pqxx::connection c(env_.conninfo());
    pqxx::work tx(c);
    store::insert_api_token(tx, name, t, scopes, repo);
    tx.commit();
    return {{"Authorization", "Bearer " + t}};
  }
  std::string job_state() {
    return env_.sql_text("SELECT state FROM jobs WHERE id = " + std::to_string(job_));
  }

  GateEnv env_;
  long model_ = 0, other_ = 0, pipeline_ = 0, job_ = 0;
};

TEST_F(AuthorizationTest, ARestrictedTokenReachesNothingOfAnotherRepository) {
  const auto other = token({"read", "deploy"}, other_);
  const auto mine = token({"read", "deploy"}, model_);
  const std::string job = std::to_string(job_), pipeline = std::to_string(pipeline_);
  const std::string sha(40, 'b');
  const std::vector<std::string> paths = {
      "/api/v1/jobs/" + job,
      "/api/v1/jobs/" + job + "/log",
      "/api/v1/jobs/" + job + "/log/chunk",
      "/api/v1/pipelines/" + pipeline,
      "/api/v1/repos/acme/model/gate?sha=" + sha + "&environment=production",
      "/api/v1/repos/acme/model/deployments",
      "/badge/acme/model.svg",
      "/jobs/" + job,
      "/jobs/" + job + "/log.txt",
      "/pipelines/" + pipeline,
      "/repos/acme/model"};
  for (const auto& path : paths) {
    auto r = http_get(env_.host(), path, other);
    EXPECT_EQ(r.status, 404) << path << ": " << r.body;
    EXPECT_EQ(r.body.find("secret log"), std::string::npos) << path;
    // The repository's own token reads it (the gate: the commit is not in the git repository).
    auto own = http_get(env_.host(), path, mine);
    if (path.find("/gate?") == std::string::npos)
      EXPECT_EQ(own.status / 100, 2) << path << ": " << own.body;
    else
      EXPECT_EQ(own.body.find("no repository"), std::string::npos) << own.body;
  }
  // Nor cancel anything there: the job stays queued.
  for (const auto& path : std::vector<std::string>{"/api/v1/jobs/" + job + "/cancel",
                                                   "/api/v1/pipelines/" + pipeline + "/cancel"}) {
    auto r = http_post(env_.host(), path, "", "application/json", other);
    EXPECT_EQ(r.status, 404) << path << ": " << r.body;
    EXPECT_EQ(job_state(), "queued");
  }
  EXPECT_EQ(env_.sql_long("SELECT count(*) FROM audit_log WHERE action LIKE '%.cancel'"), 0);
  // A deployment or a trigger there is the same 404.
  EXPECT_EQ(
      http_post(env_.host(), "/api/v1/repos/acme/model/deployments",
                json{{"sha", sha}, {"environment", "staging"}}.dump(), "application/json", other)
          .status,
      404);
  EXPECT_EQ(http_post(env_.host(), "/api/v1/repos/acme/model/trigger", R"({"tier":"validation"})",
                      "application/json", other)
                .status,
            404);
  // The repository's own token cancels.
  auto cancelled = http_post(env_.host(), "/api/v1/pipelines/" + pipeline + "/cancel", "",
                             "application/json", mine);
  EXPECT_EQ(cancelled.status, 202) << cancelled.body;
  EXPECT_EQ(job_state(), "cancelled");
}

TEST_F(AuthorizationTest, ARestrictedTokenListsOnlyItsRepository) {
  const auto other = token({"read"}, other_);
  auto repos = json::parse(http_get(env_.host(), "/api/v1/repos", other).body)["repos"];
  ASSERT_EQ(repos.size(), 1u) << repos;
  EXPECT_EQ(repos[0]["name"], "acme/other");
  EXPECT_EQ(json::parse(http_get(env_.host(), "/api/v1/repos", env_.admin()).body)["repos"].size(),
            2u);
  auto pipelines = http_get(env_.host(), "/api/v1/pipelines", other);
  ASSERT_EQ(pipelines.status, 200);
  EXPECT_TRUE(json::parse(pipelines.body)["pipelines"].empty()) << pipelines.body;
  EXPECT_EQ(json::parse(http_get(env_.host(), "/api/v1/pipelines", env_.admin()).body)["pipelines"]
                .size(),
            1u);
  EXPECT_EQ(http_get(env_.host(), "/api/v1/pipelines?repo=acme/model", other).status, 404);
  auto status = json::parse(http_get(env_.host(), "/api/v1/status", other).body)["repos"];
  ASSERT_EQ(status.size(), 1u);
  EXPECT_EQ(status[0]["name"], "acme/other");
  // The runner list is everyone's, but a job id only for its repository's tokens.
  const auto runner = env_.register_runner("r1");
  auto claim = http_post(env_.host(), "/api/v1/runner/jobs/request", R"({"wait_seconds":0})",
                         "application/json", runner);
  ASSERT_EQ(claim.status, 200) << claim.body;
  auto runners = json::parse(http_get(env_.host(), "/api/v1/runners", other).body)["runners"];
  ASSERT_EQ(runners.size(), 1u);
  EXPECT_TRUE(runners[0]["jobs"].empty()) << runners;
  EXPECT_EQ(runners[0]["running_jobs"], 1);
  auto all = json::parse(http_get(env_.host(), "/api/v1/runners", env_.admin()).body)["runners"];
  EXPECT_EQ(all[0]["jobs"], json::array({job_}));
}

TEST_F(AuthorizationTest, ARestrictedAdminMintsTokensOnlyForItsRepository) {
  const auto admin_of_model = token({"admin"}, model_, "model admin");
  auto mint = [&](json body) {
    body["name"] = "minted";
    return http_post(env_.host(), "/api/v1/tokens", body.dump(), "application/json",
                     admin_of_model);
  };
  // Unrestricted, for another repository, for one that does not exist: all 403.
  for (const json& body : {json{{"scopes", {"read"}}}, json{{"scopes", {"admin"}}},
                           json{{"scopes", {"read"}}, {"repo", "acme/other"}},
                           json{{"scopes", {"read"}}, {"repo", "acme/nope"}}}) {
    auto r = mint(body);
    EXPECT_EQ(r.status, 403) << body << ": " << r.body;
  }
  EXPECT_EQ(env_.sql_long("SELECT count(*) FROM api_tokens WHERE name = 'minted'"), 0);
  // For its own repository, any scope (an admin token holds them all).
  auto ok = mint({{"scopes", {"read", "deploy", "admin"}}, {"repo", "acme/model"}});
  ASSERT_EQ(ok.status, 201) << ok.body;
  EXPECT_EQ(json::parse(ok.body)["repo"], "acme/model");
  // It lists and revokes only its repository's tokens.
  token({"read"}, other_, "other reader");
  auto listed = json::parse(http_get(env_.host(), "/api/v1/tokens", admin_of_model).body);
  for (const auto& t : listed["tokens"]) EXPECT_EQ(t["repo"], "acme/model") << listed;
  EXPECT_EQ(listed["tokens"].size(), 2u) << listed;  // itself and the minted one
  const long other_reader = env_.sql_long("SELECT id FROM api_tokens WHERE name = 'other reader'");
  const long unrestricted_admin = env_.sql_long(
      "SELECT id FROM api_tokens WHERE repo_id IS NULL AND 'admin' = ANY (scopes) ORDER BY id "
      "LIMIT 1");
  for (long id : {other_reader, unrestricted_admin}) {
    auto r = http_post(env_.host(), "/api/v1/tokens/" + std::to_string(id) + "/revoke", "",
                       "application/json", admin_of_model);
    EXPECT_EQ(r.status, 404) << r.body;
  }
  EXPECT_EQ(env_.sql_long("SELECT count(*) FROM api_tokens WHERE revoked_at IS NOT NULL"), 0);
  const long minted = json::parse(ok.body)["id"];
  EXPECT_EQ(http_post(env_.host(), "/api/v1/tokens/" + std::to_string(minted) + "/revoke", "",
                      "application/json", admin_of_model)
                .status,
            200);
  // What concerns the whole server is not its to do.
  EXPECT_EQ(
      http_post(env_.host(), "/api/v1/runner-tokens", "{}", "application/json", admin_of_model)
          .status,
      403);
  EXPECT_EQ(http_post(env_.host(), "/api/v1/runner/register", R"({"name":"sneaky"})",
                      "application/json", admin_of_model)
                .status,
            403);
  EXPECT_EQ(http_post(env_.host(), "/api/v1/repos",
                      json{{"forge", "github"},
                           {"name", "acme/third"},
                           {"clone_url", env_.repo().file_url()},
                           {"secret", "third-secret-123"}}
                          .dump(),
                      "application/json", admin_of_model)
                .status,
            403);
  // The unrestricted admin mints anything.
  auto any = http_post(env_.host(), "/api/v1/tokens", R"({"name":"any","scopes":["admin"]})",
                       "application/json", env_.admin());
  ASSERT_EQ(any.status, 201) << any.body;
  EXPECT_TRUE(json::parse(any.body)["repo"].is_null());
}

// A token that expires cannot mint one that outlives it: no expiry, or a later one, is 403;
// one that expires sooner is made.
TEST_F(AuthorizationTest, AnExpiringAdminMintsOnlyTokensThatExpireNoLater) {
  const auto t = store::generate_token();
  {
    pqxx::connection c(env_.conninfo());
    pqxx::work tx(c);
    const auto id = store::insert_api_token(tx, "for a week", t, {"admin"});
    store::set_token_expiry(tx, id, 7);
    tx.commit();
  }
  const HeaderPairs weekly = {{"Authorization", "Bearer " + t}};
  auto mint = [&](json body) {
    body["name"] = "minted";
    body["scopes"] = {"admin"};
    return http_post(env_.host(), "/api/v1/tokens", body.dump(), "application/json", weekly);
  };
  for (const json& body : {json::object(), json{{"expires_in_days", 30}}}) {
    auto r = mint(body);
    EXPECT_EQ(r.status, 403) << body << ": " << r.body;
    EXPECT_NE(r.body.find("only a token that expires no later than itself"), std::string::npos)
        << r.body;
  }
  EXPECT_EQ(env_.sql_long("SELECT count(*) FROM api_tokens WHERE name = 'minted'"), 0);
  auto ok = mint({{"expires_in_days", 3}});
  ASSERT_EQ(ok.status, 201) << ok.body;
  EXPECT_EQ(env_.sql_long("SELECT count(*) FROM api_tokens WHERE name = 'minted' AND expires_at < "
                          "(SELECT expires_at FROM api_tokens WHERE name = 'for a week')"),
            1);
}

TEST_F(AuthorizationTest, ADisabledRunnerIsRefusedAndHandedNoJobItsJobIsRequeued) {
  const auto first = env_.register_runner("first");
  const auto second = env_.register_runner("second");
  const long first_id = env_.sql_long("SELECT id FROM runners WHERE name = 'first'");
  auto claim = http_post(env_.host(), "/api/v1/runner/jobs/request", R"({"wait_seconds":0})",
                         "application/json", first);
  ASSERT_EQ(claim.status, 200) << claim.body;
  EXPECT_EQ(job_state(), "running");

  const std::string base = "/api/v1/runners/" + std::to_string(first_id);
  // Only an unrestricted admin disables.
  EXPECT_EQ(
      http_post(env_.host(), base + "/disable", "", "application/json", token({"admin"}, model_))
          .status,
      403);
  auto disabled = http_post(env_.host(), base + "/disable", "", "application/json", env_.admin());
  ASSERT_EQ(disabled.status, 200) << disabled.body;
  EXPECT_EQ(json::parse(disabled.body)["jobs_requeued"], 1);
  EXPECT_EQ(job_state(), "queued");
  EXPECT_EQ(env_.sql_text("SELECT outcome FROM job_attempts WHERE job_id = " +
                          std::to_string(job_) + " AND attempt = 1"),
            "lease_expired");

  // Every protocol call of the disabled runner is refused, and it is handed nothing.
  const std::string job = "/api/v1/runner/jobs/" + std::to_string(job_);
  for (const auto& [path, body] : std::vector<std::pair<std::string, std::string>>{
           {"/api/v1/runner/jobs/request", R"({"wait_seconds":0})"},
           {job + "/heartbeat", R"({"attempt":1})"},
           {job + "/finish", R"({"attempt":1,"outcome":"exited","exit_code":0})"},
           {"/api/v1/runner/reset", "{}"}}) {
    auto r = http_post(env_.host(), path, body, "application/json", first);
    EXPECT_EQ(r.status, 403) << path << ": " << r.body;
    EXPECT_NE(r.body.find("runner_disabled"), std::string::npos) << r.body;
  }
  EXPECT_EQ(http_get(env_.host(), job + "/lease?attempt=1", first).status, 403);
  EXPECT_EQ(job_state(), "queued");
  auto runners = json::parse(http_get(env_.host(), "/api/v1/runners", env_.admin()).body);
  EXPECT_EQ(runners["runners"][0]["state"], "disabled") << runners;

  // Another runner takes the job as its second attempt.
  auto taken = http_post(env_.host(), "/api/v1/runner/jobs/request", R"({"wait_seconds":0})",
                         "application/json", second);
  ASSERT_EQ(taken.status, 200) << taken.body;
  EXPECT_EQ(json::parse(taken.body)["job"]["attempt"], 2);

  // Enabled again, the first runner is served (nothing is queued now).
  ASSERT_EQ(http_post(env_.host(), base + "/enable", "", "application/json", env_.admin()).status,
            200);
  EXPECT_EQ(http_post(env_.host(), "/api/v1/runner/jobs/request", R"({"wait_seconds":0})",
                      "application/json", first)
                .status,
            204);
  EXPECT_EQ(env_.sql_long("SELECT count(*) FROM audit_log WHERE action IN ('runner.disable', "
                          "'runner.enable')"),
            2);
}

// A runner's protocol calls are authenticated from memory (no transaction of their own) until
// its row changes, whoever changes it: an operator's SQL disabling it is refused within moments.
TEST_F(AuthorizationTest, ARunnerIsAuthenticatedFromMemoryUntilItsRowChanges) {
  const auto runner = env_.register_runner("remembered");
  const std::string id =
      std::to_string(env_.sql_long("SELECT id FROM runners WHERE name = 'remembered'"));
  const std::string lease = "/api/v1/runner/jobs/" + std::to_string(job_) + "/lease?attempt=1";
  ASSERT_EQ(http_get(env_.host(), lease, runner).status, 409);  // known, holds nothing
  // Marking a runner seen notifies nobody: the next call comes from memory and leaves it as is.
  env_.sql("UPDATE runners SET last_seen_at = '2001-01-01Z' WHERE id = " + id);
  ASSERT_EQ(http_get(env_.host(), lease, runner).status, 409);
  EXPECT_EQ(env_.sql_text("SELECT last_seen_at < '2002-01-01Z' FROM runners WHERE id = " + id),
            "t");

  env_.sql("UPDATE runners SET disabled_at = now() WHERE id = " + id);
  int status = 0;
  for (int i = 0; i < 50 && status != 403; ++i) {
    status = http_get(env_.host(), lease, runner).status;
    if (status != 403) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(status, 403);
}

// A claim and a finish commit without notifying; the server sends their repository's topic right
// after, so the caches of other replicas (and this listener) still learn of the change.
TEST_F(AuthorizationTest, AClaimAndAFinishStillReachTheChangeFeed) {
  struct Heard : pqxx::notification_receiver {
    explicit Heard(pqxx::connection& c) : pqxx::notification_receiver(c, "mlgate_changes") {}
    void operator()(const std::string& payload, int) override { payloads.push_back(payload); }
    std::vector<std::string> payloads;
  };
  const auto runner = env_.register_runner("heard");
  pqxx::connection listening(env_.conninfo());
  Heard heard(listening);
  const std::string topic = "gate:" + std::to_string(model_);
  auto wait_for_topic = [&] {
    heard.payloads.clear();
    for (int i = 0; i < 40; ++i) {
      listening.await_notification(0, 50000);
      if (std::find(heard.payloads.begin(), heard.payloads.end(), topic) != heard.payloads.end())
        return true;
    }
    return false;
  };
  auto claim = http_post(env_.host(), "/api/v1/runner/jobs/request", R"({"wait_seconds":0})",
                         "application/json", runner);
  ASSERT_EQ(claim.status, 200) << claim.body;
  EXPECT_TRUE(wait_for_topic());
  auto finish =
      http_post(env_.host(), "/api/v1/runner/jobs/" + std::to_string(job_) + "/finish",
                R"({"attempt":1,"outcome":"exited","exit_code":0})", "application/json", runner);
  ASSERT_EQ(finish.status, 200) << finish.body;
  EXPECT_TRUE(wait_for_topic());
}

TEST_F(AuthorizationTest, AnExpiredOrRevokedRegistrationTokenRegistersNoRunner) {
  auto made = http_post(env_.host(), "/api/v1/runner-tokens",
                        R"({"name":"provisioning","expires_in_seconds":3600})", "application/json",
                        env_.admin());
  ASSERT_EQ(made.status, 201) << made.body;
  const json token = json::parse(made.body);
  EXPECT_TRUE(token["expires_at"].is_string()) << made.body;
  const HeaderPairs bearer = {{"Authorization", "Bearer " + token["token"].get<std::string>()}};
  auto reg = [&] {
    return http_post(env_.host(), "/api/v1/runner/register", R"({"name":"r","executor":"local"})",
                     "application/json", bearer)
        .status;
  };
  EXPECT_EQ(reg(), 201);
  // Past its expiry.
  env_.sql("UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE id = " +
           std::to_string(token["id"].get<long>()));
  EXPECT_EQ(reg(), 401);
  EXPECT_EQ(http_post(env_.host(), "/api/v1/runner-tokens", R"({"expires_in_seconds":0})",
                      "application/json", env_.admin())
                .status,
            400);

  // Listed (never the token), and revoked.
  auto fresh = json::parse(http_post(env_.host(), "/api/v1/runner-tokens", R"({"name":"fresh"})",
                                     "application/json", env_.admin())
                               .body);
  auto listed = http_get(env_.host(), "/api/v1/runner-tokens", env_.admin());
  ASSERT_EQ(listed.status, 200);
  EXPECT_EQ(listed.body.find("mlg_"), std::string::npos);
  EXPECT_NE(listed.body.find("provisioning"), std::string::npos);
  const std::string fresh_id = std::to_string(fresh["id"].get<long>());
  // An API token is not a registration token: not revoked through this route.
  const long admin_id =
      env_.sql_long("SELECT id FROM api_tokens WHERE 'admin' = ANY (scopes) ORDER BY id LIMIT 1");
  EXPECT_EQ(http_post(env_.host(), "/api/v1/runner-tokens/" + std::to_string(admin_id) + "/revoke",
                      "", "application/json", env_.admin())
                .status,
            404);
  ASSERT_EQ(http_post(env_.host(), "/api/v1/runner-tokens/" + fresh_id + "/revoke", "",
                      "application/json", env_.admin())
                .status,
            200);
  EXPECT_EQ(
      http_post(env_.host(), "/api/v1/runner/register", R"({"name":"late"})", "application/json",
                {{"Authorization", "Bearer " + fresh["token"].get<std::string>()}})
          .status,
      401);
}

}  // namespace
}  // namespace mlgate
