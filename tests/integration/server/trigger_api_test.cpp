// POST /api/v1/repos/{owner}/{name}/trigger end to end: the real `mlgate serve` on a throwaway
// PostgreSQL, a real git repository resolved through the mirror, and a real runner (local
// executor) running the manual pipeline to its end. Refs (default branch, branch, tag, full ref,
// sha), what a tier needs, the audit record, and every refusal with its status.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/integration/server/gate_env.h"

namespace mlgate {
namespace {

using nlohmann::json;
using testing::GateEnv;
using testing::http_post;

const char* kConfig = R"(version: 1
image: mlgate/busybox:test
tiers:
  functionality:
    run: echo functionality
  validation:
    needs: [functionality]
    run: echo validation
  training:
    on: [schedule]
    schedule: "0 2 * * *"
    needs: [validation]
    run: echo training
)";

testing::HttpResult trigger(GateEnv& env, const json& body, const testing::HeaderPairs& auth = {},
                            const std::string& repo = "acme/model") {
  return http_post(env.host(), "/api/v1/repos/" + repo + "/trigger", body.dump(),
                   "application/json", auth.empty() ? env.admin() : auth);
}

json parsed(const testing::HttpResult& r) {
  return json::parse(r.body, nullptr, false);
}

std::string error_code(const testing::HttpResult& r) {
  auto j = parsed(r);
  return j.is_object() && j.contains("error") ? j["error"].value("code", "") : "";
}

TEST(TriggerApi, RunsATierAndWhatItNeedsOnTheDefaultBranchHeadAndAuditsIt) {
  GateEnv env;
  const auto sha = env.repo().commit({{".mlgate.yml", kConfig}}, "model v1");
  auto r = trigger(env, {{"tier", "training"}});
  ASSERT_EQ(r.status, 201) << r.body;
  auto body = parsed(r);
  EXPECT_EQ(body["trigger"], "manual");
  EXPECT_EQ(body["sha"], sha);
  EXPECT_EQ(body["ref"], "refs/heads/main");
  EXPECT_EQ(body["branch"], "main");
  EXPECT_EQ(body["tiers"], json({"functionality", "validation", "training"}));
  const long id = body["id"];
  EXPECT_EQ(body["url"], "/api/v1/pipelines/" + std::to_string(id));
  ASSERT_EQ(body["jobs"].size(), 3u);
  EXPECT_EQ(body["jobs"][0]["state"], "queued");
  EXPECT_EQ(body["jobs"][2]["needs"], json({"validation"}));

  EXPECT_EQ(env.sql_long("SELECT count(*) FROM audit_log WHERE action = 'pipeline.trigger' AND "
                         "actor LIKE 'token:%' AND details->>'tier' = 'training' AND "
                         "(details->>'pipeline')::bigint = " +
                         std::to_string(id) + " AND details->>'sha' = '" + sha + "'"),
            1);

  env.start_runner("r1");
  auto p = env.wait_pipeline_end(sha);
  EXPECT_EQ(p["state"], "passed") << p.dump();
  EXPECT_EQ(p["trigger"], "manual");
  for (const auto& j : p["jobs"]) EXPECT_EQ(j["state"], "passed") << j.dump();
}

TEST(TriggerApi, ResolvesBranchesTagsFullRefsAndShas) {
  GateEnv env;
  const auto v1 = env.repo().commit({{".mlgate.yml", kConfig}}, "v1");
  env.repo().tag("v1");
  env.repo().branch("feature");
  env.repo().switch_to("feature");
  const auto feature = env.repo().commit({{"model.py", "print(2)\n"}}, "feature work");
  env.repo().switch_to("main");
  const auto main = env.repo().commit({{"model.py", "print(3)\n"}}, "main work");

  struct Case {
    std::string ref, sha, full_ref, branch;
  };
  for (const auto& c :
       std::vector<Case>{{"feature", feature, "refs/heads/feature", "feature"},
                         {"refs/heads/feature", feature, "refs/heads/feature", "feature"},
                         {"v1", v1, "refs/tags/v1", ""},
                         {"refs/tags/v1", v1, "refs/tags/v1", ""},
                         {v1, v1, v1, ""},
                         {"main", main, "refs/heads/main", "main"}}) {
    auto r = trigger(env, {{"tier", "functionality"}, {"ref", c.ref}});
    ASSERT_EQ(r.status, 201) << c.ref << ": " << r.body;
    auto body = parsed(r);
    EXPECT_EQ(body["sha"], c.sha) << c.ref;
    EXPECT_EQ(body["ref"], c.full_ref) << c.ref;
    EXPECT_EQ(body["branch"], c.branch) << c.ref;
    EXPECT_EQ(body["tiers"], json({"functionality"})) << c.ref;
  }
  // A person asked for each run: a manual pipeline never supersedes another.
  EXPECT_EQ(env.sql_long("SELECT count(*) FROM jobs WHERE state = 'queued'"), 6);

  auto unknown = trigger(env, {{"tier", "functionality"}, {"ref", "no-such-branch"}});
  EXPECT_EQ(unknown.status, 404) << unknown.body;
  EXPECT_EQ(error_code(unknown), "unknown_ref");
  EXPECT_NE(unknown.body.find("no-such-branch"), std::string::npos) << unknown.body;
  auto missing_sha = trigger(env, {{"tier", "functionality"}, {"ref", std::string(40, 'a')}});
  EXPECT_EQ(missing_sha.status, 404) << missing_sha.body;
  EXPECT_EQ(error_code(missing_sha), "unknown_ref");
}

TEST(TriggerApi, RefusesWithAStatusAndAReasonAPersonCanActOn) {
  GateEnv env;
  env.repo().commit({{".mlgate.yml", R"(version: 1
image: mlgate/busybox:test
tiers:
  functionality:
    run: echo functionality
)"}},
                    "functionality only");
  env.repo().branch("broken");
  env.repo().switch_to("broken");
  env.repo().commit({{".mlgate.yml",
                      "version: 1\nimage: mlgate/busybox:test\ntiers:\n  functionality:\n"
                      "    run: echo f\n    timeout: forever\n"}},
                    "broken config");
  env.repo().branch("bare");
  env.repo().switch_to("bare");
  env.repo().remove(".mlgate.yml");
  env.repo().commit({}, "no config");
  env.repo().switch_to("main");

  auto undeclared = trigger(env, {{"tier", "training"}});
  EXPECT_EQ(undeclared.status, 422) << undeclared.body;
  EXPECT_EQ(error_code(undeclared), "unknown_tier");
  EXPECT_NE(undeclared.body.find("it declares functionality"), std::string::npos)
      << undeclared.body;
  auto not_a_tier = trigger(env, {{"tier", "nightly"}});
  EXPECT_EQ(not_a_tier.status, 422) << not_a_tier.body;
  EXPECT_EQ(error_code(not_a_tier), "unknown_tier");

  auto invalid = trigger(env, {{"tier", "functionality"}, {"ref", "broken"}});
  EXPECT_EQ(invalid.status, 422) << invalid.body;
  EXPECT_EQ(error_code(invalid), "invalid_config");
  auto errors = parsed(invalid)["errors"];
  ASSERT_EQ(errors.size(), 1u) << invalid.body;
  EXPECT_EQ(errors[0]["line"], 6);
  EXPECT_EQ(errors[0]["column"], 14);
  EXPECT_NE(invalid.body.find(".mlgate.yml:6:14"), std::string::npos) << invalid.body;

  auto no_config = trigger(env, {{"tier", "functionality"}, {"ref", "bare"}});
  EXPECT_EQ(no_config.status, 422) << no_config.body;
  EXPECT_EQ(error_code(no_config), "no_config");

  auto no_repo = trigger(env, {{"tier", "functionality"}}, {}, "acme/nothing");
  EXPECT_EQ(no_repo.status, 404) << no_repo.body;
  EXPECT_EQ(error_code(no_repo), "not_found");

  EXPECT_EQ(trigger(env, json::array()).status, 400);
  EXPECT_EQ(trigger(env, {{"ref", "main"}}).status, 400);
  EXPECT_EQ(trigger(env, {{"tier", "functionality"}, {"ref", 3}}).status, 400);
  auto reader = trigger(env, {{"tier", "functionality"}}, env.token({"read"}, "reader"));
  EXPECT_EQ(reader.status, 403) << reader.body;
  auto anonymous = http_post(env.host(), "/api/v1/repos/acme/model/trigger",
                             R"({"tier":"functionality"})", "application/json", {});
  EXPECT_EQ(anonymous.status, 401) << anonymous.body;
  auto deployer = trigger(env, {{"tier", "functionality"}}, env.token({"deploy"}, "deployer"));
  EXPECT_EQ(deployer.status, 201) << deployer.body;

  // Nothing refused left a pipeline or an audit record behind.
  EXPECT_EQ(env.sql_long("SELECT count(*) FROM pipelines"), 1);
  EXPECT_EQ(env.sql_long("SELECT count(*) FROM audit_log WHERE action = 'pipeline.trigger' "
                         "AND actor = 'token:deployer'"),
            1);
}

}  // namespace
}  // namespace mlgate
