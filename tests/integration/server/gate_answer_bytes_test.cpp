// The gate API's cache hits are the bytes of an earlier answer, sent as they are
// (GateService::api_answer_bytes): they reach only a caller the Authorizer lets see the repository,
// and a change the answer depends on drops them before the next request.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/integration/server/gate_env.h"

namespace mlgate::testing {
namespace {

using nlohmann::json;

// Pushes a commit (no runner: its pipeline stays pending) and waits until the gate answers it
// from the cache for `reader`.
std::string push_and_cache(GateEnv& env, const HeaderPairs& reader) {
  const std::string sha = env.push(
      kGateTestConfig, {{"results.sh", gate_results_script(0.95, 0.9)}, {"validate.sh", "true\n"}});
  EXPECT_TRUE(eventually([&] { return !env.pipeline_of(sha).is_null(); }));
  EXPECT_TRUE(eventually([&] {
    auto r = env.gate(sha, "production", reader);
    return r.status == 200 && json::parse(r.body).value("cached", false);
  }));
  return sha;
}

bool cached(const HttpResult& r) {
  return r.status == 200 && json::parse(r.body).value("cached", false);
}

TEST(GateAnswerBytes, NeverServedToACallerWhoMayNotSeeTheRepository) {
  GateEnv env;
  auto other = http_post(env.host(), "/api/v1/repos",
                         json{{"forge", "github"},
                              {"name", "acme/other"},
                              {"clone_url", env.repo().file_url()},
                              {"secret", "other-secret-123"}}
                             .dump(),
                         "application/json", env.admin());
  ASSERT_EQ(other.status, 201) << other.body;
  const long other_id = env.sql_long("SELECT id FROM repos WHERE full_name = 'acme/other'");
  const long model_id = env.sql_long("SELECT id FROM repos WHERE full_name = 'acme/model'");
  const HeaderPairs reader = env.token({"read"}, "reader");
  const std::string sha = push_and_cache(env, reader);
  const auto hit = env.gate(sha, "production", reader);
  ASSERT_TRUE(cached(hit)) << hit.body;

  // A token restricted to another repository: 404, exactly as for a repository that does not
  // exist, however often it asks.
  const HeaderPairs elsewhere = env.token({"read"}, "elsewhere", other_id);
  for (int i = 0; i < 3; ++i) {
    auto r = env.gate(sha, "production", elsewhere);
    EXPECT_EQ(r.status, 404) << r.body;
    EXPECT_EQ(r.body.find("\"decision\""), std::string::npos) << r.body;
  }
  // No token, a bad token, a token without the read scope: no answer either.
  EXPECT_EQ(env.gate(sha, "production", {{"X-None", "1"}}).status, 401);
  EXPECT_EQ(env.gate(sha, "production", {{"Authorization", "Bearer nope"}}).status, 401);
  // A token restricted to this repository gets the same bytes.
  auto own = env.gate(sha, "production", env.token({"read"}, "own", model_id));
  EXPECT_EQ(own.status, 200);
  EXPECT_EQ(own.body, hit.body);

  // The reader's token revoked through this replica: refused by the very next request.
  const long reader_id = env.sql_long("SELECT id FROM api_tokens WHERE name = 'reader'");
  ASSERT_EQ(http_post(env.host(), "/api/v1/tokens/" + std::to_string(reader_id) + "/revoke", "{}",
                      "application/json", env.admin())
                .status,
            200);
  EXPECT_EQ(env.gate(sha, "production", reader).status, 401);
}

TEST(GateAnswerBytes, DroppedByADeploymentAndByAChangeOfThePipeline) {
  GateEnv env;
  const HeaderPairs reader = env.token({"read"}, "reader");
  const std::string sha = push_and_cache(env, reader);

  // A deployment through this replica: the next request is judged against it, not served.
  auto deployed = env.deploy({{"sha", sha},
                              {"environment", "production"},
                              {"force", true},
                              {"reason", "first deployment, pipeline pending"}});
  ASSERT_EQ(deployed.status, 201) << deployed.body;
  auto after = env.gate(sha, "production", reader);
  ASSERT_EQ(after.status, 200) << after.body;
  EXPECT_FALSE(json::parse(after.body)["cached"].get<bool>());
  EXPECT_EQ(json::parse(after.body)["baseline_sha"], sha);
  ASSERT_TRUE(eventually([&] { return cached(env.gate(sha, "production", reader)); }));

  // The pipeline cancelled through this replica: the next answer says so.
  const long pipeline = env.pipeline_of(sha)["id"].get<long>();
  ASSERT_EQ(http_post(env.host(), "/api/v1/pipelines/" + std::to_string(pipeline) + "/cancel", "{}",
                      "application/json", env.admin())
                .status,
            202);
  auto cancelled = env.gate(sha, "production", reader);
  ASSERT_EQ(cancelled.status, 200) << cancelled.body;
  EXPECT_FALSE(json::parse(cancelled.body)["cached"].get<bool>());
  EXPECT_EQ(json::parse(cancelled.body)["pipeline_state"], "cancelled");
}

}  // namespace
}  // namespace mlgate::testing
