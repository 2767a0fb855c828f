// `mlgate trigger` through the real binary against the real server: what it prints for people and
// for scripts, the pipeline it creates, and exit codes for an unknown tier, repo or ref, a bad
// token and a wrong URL.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <nlohmann/json.hpp>

#include "tests/integration/server/gate_env.h"
#include "util/child_process.h"

namespace mlgate {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

const char* kConfig = R"(version: 1
image: mlgate/busybox:test
tiers:
  functionality:
    run: echo functionality
  training:
    on: [schedule]
    schedule: "0 2 * * *"
    needs: [functionality]
    run: echo training
)";

struct CliRun {
  int exit_code = -1;
  std::string output;
};

CliRun run(std::vector<std::string> args) {
  std::vector<std::string> argv = {MLGATE_BINARY};
  argv.insert(argv.end(), args.begin(), args.end());
  CliRun r;
  int status = util::run_capture(argv, r.output);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST(TriggerCli, CreatesAPipelineAndPrintsItsIdAndUrl) {
  testing::GateEnv env;
  testing::TempDir tmp{"mlgate-trigger-cli"};
  const auto token_file = tmp.path() / "token";
  testing::write_file(token_file, env.admin()[0].second.substr(7) + "\n");
  const std::string url = "http://" + env.host();
  auto cli = [&](std::vector<std::string> args, const fs::path& token = {}) {
    args.insert(args.end(),
                {"--url", url, "--token-file", (token.empty() ? token_file : token).string()});
    return run(args);
  };
  const auto sha = env.repo().commit({{".mlgate.yml", kConfig}}, "model v1");

  auto r = cli({"trigger", "--repo", "acme/model", "--tier", "training"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto pipelines = env.get("/api/v1/pipelines")["pipelines"];
  ASSERT_EQ(pipelines.size(), 1u);
  const std::string id = std::to_string(pipelines[0]["id"].get<long>());
  EXPECT_EQ(pipelines[0]["trigger"], "manual");
  EXPECT_EQ(pipelines[0]["sha"], sha);
  EXPECT_TRUE(contains(r.output, "pipeline " + id +
                                     " created: functionality, training on "
                                     "acme/model at " +
                                     sha.substr(0, 12) + " (refs/heads/main)"))
      << r.output;
  EXPECT_TRUE(contains(r.output, url + "/pipelines/" + id + "\n")) << r.output;

  auto j =
      cli({"trigger", "--repo", "acme/model", "--tier", "functionality", "--ref", sha, "--json"});
  ASSERT_EQ(j.exit_code, 0) << j.output;
  auto body = json::parse(j.output, nullptr, false);
  ASSERT_TRUE(body.is_object()) << j.output;
  EXPECT_EQ(body["sha"], sha);
  EXPECT_EQ(body["tiers"], json({"functionality"}));
  EXPECT_EQ(body["web_url"], url + "/pipelines/" + std::to_string(body["id"].get<long>()));
  EXPECT_EQ(env.get("/api/v1/pipelines")["pipelines"].size(), 2u);

  // Refusals: exit 1 with the server's reason.
  auto tier = cli({"trigger", "--repo", "acme/model", "--tier", "validation"});
  EXPECT_EQ(tier.exit_code, 1) << tier.output;
  EXPECT_TRUE(contains(tier.output, "tier 'validation' is not declared")) << tier.output;
  EXPECT_TRUE(contains(tier.output, "HTTP 422")) << tier.output;
  auto repo = cli({"trigger", "--repo", "acme/nothing", "--tier", "training"});
  EXPECT_EQ(repo.exit_code, 1) << repo.output;
  EXPECT_TRUE(contains(repo.output, "no repository acme/nothing")) << repo.output;
  auto ref = cli({"trigger", "--repo", "acme/model", "--tier", "training", "--ref", "nope"});
  EXPECT_EQ(ref.exit_code, 1) << ref.output;
  EXPECT_TRUE(contains(ref.output, "cannot resolve nope")) << ref.output;
  auto ref_json =
      cli({"trigger", "--repo", "acme/model", "--tier", "training", "--ref", "nope", "--json"});
  EXPECT_EQ(ref_json.exit_code, 1) << ref_json.output;
  EXPECT_TRUE(contains(ref_json.output, "\"unknown_ref\"")) << ref_json.output;

  // A bad token (4), an unreachable server (3), a missing option (usage error).
  const auto bad = tmp.path() / "bad";
  testing::write_file(bad, "not-a-token\n");
  auto denied = cli({"trigger", "--repo", "acme/model", "--tier", "training"}, bad);
  EXPECT_EQ(denied.exit_code, 4) << denied.output;
  EXPECT_TRUE(contains(denied.output, "not authorised")) << denied.output;
  auto unreachable = run({"trigger", "--repo", "acme/model", "--tier", "training", "--url",
                          "http://127.0.0.1:1", "--token-file", token_file.string()});
  EXPECT_EQ(unreachable.exit_code, 3) << unreachable.output;
  EXPECT_TRUE(contains(unreachable.output, "cannot reach mlgate")) << unreachable.output;
  auto usage = cli({"trigger", "--repo", "acme/model"});
  EXPECT_NE(usage.exit_code, 0) << usage.output;
  EXPECT_TRUE(contains(usage.output, "--tier is required")) << usage.output;

  EXPECT_EQ(env.get("/api/v1/pipelines")["pipelines"].size(), 2u);
}

}  // namespace
}  // namespace mlgate
