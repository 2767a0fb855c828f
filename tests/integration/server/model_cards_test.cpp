// Model cards end to end (docs/model-cards.md): a real `mlgate serve` and runner, a commit with a
// model_card.yml, its gate decided and deployed; the card through the API (JSON and Markdown), the
// page, `mlgate model-card`, the deployment's link, a refused model_card.yml, and authorization.
#include <gtest/gtest.h>

#include "tests/integration/server/gate_env.h"

namespace mlgate {
namespace {

using nlohmann::json;
using testing::GateEnv;

const char* kConfig = R"(version: 1
image: mlgate/busybox:test
tiers:
  validation:
    run: sh results.sh
gates:
  production:
    require: [validation]
    metrics:
      - {name: accuracy, min: 0.90}
)";

const char* kResults =
    "printf '{\"metrics\": {\"accuracy\": 0.95}}' > \"$MLGATE_RESULTS/metrics.json\"\n";

const char* kCard = R"(name: Churn <model>
intended_use: |
  Ranking accounts for retention calls.
  [click](https://evil.example)
owners: [ml-platform@example.com]
caveats: Not for credit decisions.
)";

std::string card_path(const std::string& sha) {
  return "/api/v1/repos/acme/model/commits/" + sha + "/model-card";
}

TEST(ModelCards, ApiPageCliAndDeploymentLink) {
  GateEnv env;
  const std::string sha = env.push(kConfig, {{"results.sh", kResults}, {"model_card.yml", kCard}});
  env.start_runner("r1");
  ASSERT_EQ(env.wait_pipeline_end(sha)["state"], "passed") << env.serve().log();
  ASSERT_EQ(env.deploy({{"sha", sha}, {"environment", "production"}}).status, 201);

  const json card = env.get(card_path(sha));
  EXPECT_EQ(card["sha"], sha);
  EXPECT_EQ(card["file_present"], true);
  EXPECT_EQ(card["card"]["name"], "Churn <model>");
  EXPECT_EQ(card["card"]["owners"], json::array({"ml-platform@example.com"}));
  ASSERT_EQ(card["gates"].size(), 1u) << card.dump();
  EXPECT_EQ(card["gates"][0]["environment"], "production");
  EXPECT_EQ(card["gates"][0]["decision"], "allow");
  ASSERT_GE(card["metrics"].size(), 1u) << card.dump();
  EXPECT_EQ(card["metrics"][0]["name"], "accuracy");
  EXPECT_DOUBLE_EQ(card["metrics"][0]["value"].get<double>(), 0.95);
  EXPECT_EQ(card["run"]["state"], "passed");
  EXPECT_EQ(card["run"]["tiers"][0][0], "validation");
  ASSERT_EQ(card["deployments"].size(), 1u);
  EXPECT_EQ(card["deployments"][0]["environment"], "production");
  EXPECT_FALSE(card["rubric"].is_null());
  const std::string md = card["markdown"];
  EXPECT_NE(md.find("# Model card: Churn &lt;model&gt;"), std::string::npos) << md;
  EXPECT_EQ(md.find("](https://evil"), std::string::npos) << md;
  EXPECT_NE(md.find("| metric | accuracy | 0.95 |"), std::string::npos) << md;

  // The same Markdown as text, and from the CLI.
  auto text = testing::http_get(env.host(), card_path(sha) + "?format=markdown", env.admin());
  EXPECT_EQ(text.status, 200);
  EXPECT_EQ(text.body, md);
  auto [code, out] = env.cli({"model-card", "--repo", "acme/model", "--sha", sha});
  EXPECT_EQ(code, 0) << out;
  EXPECT_EQ(out, md);

  // The page: the texts escaped, the sections there.
  auto page = testing::http_get(env.host(), "/repos/acme/model/commits/" + sha + "/model-card",
                                env.admin());
  ASSERT_EQ(page.status, 200) << page.body;
  EXPECT_NE(page.body.find("Model card: Churn &lt;model&gt;"), std::string::npos);
  EXPECT_EQ(page.body.find("<model>"), std::string::npos);
  EXPECT_NE(page.body.find("id=\"card-metrics\""), std::string::npos);
  EXPECT_NE(page.body.find("data-environment=\"production\""), std::string::npos);
  EXPECT_NE(page.body.find("ml-platform@example.com"), std::string::npos);

  // A deployment links to its commit's card, on the API and on the repository page.
  const std::string link = "/repos/acme/model/commits/" + sha + "/model-card";
  EXPECT_EQ(env.get("/api/v1/repos/acme/model/deployments")["deployments"][0]["model_card"], link);
  auto repo_page = testing::http_get(env.host(), "/repos/acme/model", env.admin());
  EXPECT_NE(repo_page.body.find("href=\"" + link + "\""), std::string::npos);
}

TEST(ModelCards, RefusedFileUnknownCommitAndAuthorization) {
  GateEnv env;
  const std::string sha =
      env.push(kConfig, {{"results.sh", kResults}, {"model_card.yml", "name: a\ncolour: blue\n"}});
  ASSERT_TRUE(testing::eventually([&] { return !env.pipeline_of(sha).is_null(); },
                                  std::chrono::seconds(30)));
  const json card = env.get(card_path(sha));
  EXPECT_EQ(card["file_present"], true);
  EXPECT_EQ(card["file_error"].get<std::string>().rfind("model_card.yml:2:1: unknown key", 0), 0u)
      << card.dump();
  EXPECT_TRUE(card["run"].is_object());  // the push planned a pipeline

  const std::string none = std::string(40, 'e');
  EXPECT_EQ(testing::http_get(env.host(), card_path(none), env.admin()).status, 404);

  // A token restricted to another repository sees neither the card nor its page.
  auto other = testing::http_post(env.host(), "/api/v1/repos",
                                  json{{"forge", "github"},
                                       {"name", "acme/other"},
                                       {"clone_url", "https://example.com/acme/other.git"},
                                       {"secret", "0123456789abcdef"}}
                                      .dump(),
                                  "application/json", env.admin());
  ASSERT_EQ(other.status, 201) << other.body;
  const auto restricted =
      env.token({"read"}, "other only", json::parse(other.body)["id"].get<std::int64_t>());
  EXPECT_EQ(testing::http_get(env.host(), card_path(sha), restricted).status, 404);
  auto page =
      testing::http_get(env.host(), "/repos/acme/model/commits/" + sha + "/model-card", restricted);
  EXPECT_EQ(page.status, 404);
  EXPECT_EQ(page.body.find("colour"), std::string::npos);
  // And one for this repository does.
  const auto own = env.token({"read"}, "model only",
                             env.sql_long("SELECT id FROM repos WHERE full_name = 'acme/model'"));
  EXPECT_EQ(testing::http_get(env.host(), card_path(sha), own).status, 200);
  EXPECT_EQ(testing::http_get(env.host(), card_path(sha)).status, 401);
}

}  // namespace
}  // namespace mlgate
