// `mlgate runners`, `mlgate runner disable|enable ID` and `mlgate runner-token create|list|revoke`
// through the real binary against the real server (docs/cli.md, "Runners"): `runner` with a
// subcommand manages, without one it is still the agent and still needs --server.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <nlohmann/json.hpp>

#include "tests/integration/server/gate_env.h"
#include "util/child_process.h"

namespace mlgate {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

struct CliRun {
  int exit_code = -1;
  std::string output;
};

class RunnerCli : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::write_file(admin_file_, env_.admin()[0].second.substr(7) + "\n");
  }
  CliRun cli(std::vector<std::string> args, bool client = true) {
    std::vector<std::string> argv = {MLGATE_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    if (client)
      argv.insert(argv.end(), {"--url", "http://" + env_.host(), "--token-file", admin_file_});
    CliRun r;
    int status = util::run_capture(argv, r.output);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
  }

  testing::GateEnv env_;
  testing::TempDir tmp_{"mlgate-runner-cli"};
  std::string admin_file_ = (tmp_.path() / "admin").string();
};

TEST_F(RunnerCli, ListsDisablesAndEnablesRunners) {
  env_.register_runner("gpu-1");
  const long id = env_.sql_long("SELECT id FROM runners WHERE name = 'gpu-1'");
  auto list = cli({"runners"});
  ASSERT_EQ(list.exit_code, 0) << list.output;
  EXPECT_NE(list.output.find("NAME"), std::string::npos) << list.output;
  EXPECT_NE(list.output.find("gpu-1"), std::string::npos) << list.output;
  EXPECT_NE(list.output.find("online"), std::string::npos) << list.output;

  auto disabled = cli({"runner", "disable", std::to_string(id)});
  ASSERT_EQ(disabled.exit_code, 0) << disabled.output;
  EXPECT_NE(disabled.output.find("runner " + std::to_string(id) + " disabled"), std::string::npos)
      << disabled.output;
  EXPECT_EQ(env_.sql_long("SELECT count(*) FROM runners WHERE disabled_at IS NOT NULL"), 1);
  auto json_list = cli({"runners", "--json"});
  ASSERT_EQ(json_list.exit_code, 0) << json_list.output;
  EXPECT_EQ(json::parse(json_list.output)["runners"][0]["state"], "disabled");

  ASSERT_EQ(cli({"runner", "enable", std::to_string(id)}).exit_code, 0);
  EXPECT_EQ(env_.sql_long("SELECT count(*) FROM runners WHERE disabled_at IS NOT NULL"), 0);
  // An unknown runner is the API's 404: exit 1 with its message.
  auto unknown = cli({"runner", "disable", "999"});
  EXPECT_EQ(unknown.exit_code, 1) << unknown.output;
  EXPECT_NE(unknown.output.find("no runner 999"), std::string::npos) << unknown.output;

  // Without a subcommand `runner` is the agent, which needs --server (CLI11's usage error).
  auto agent = cli({"runner"}, false);
  EXPECT_EQ(agent.exit_code, 106) << agent.output;
  EXPECT_NE(agent.output.find("--server is required"), std::string::npos) << agent.output;
}

TEST_F(RunnerCli, CreatesListsAndRevokesRegistrationTokens) {
  auto made =
      cli({"runner-token", "create", "--name", "ci-hosts", "--expires-in", "1d12h", "--json"});
  ASSERT_EQ(made.exit_code, 0) << made.output;
  auto token = json::parse(made.output);
  EXPECT_EQ(token["name"], "ci-hosts");
  EXPECT_TRUE(token["expires_at"].is_string()) << made.output;
  EXPECT_EQ(env_.sql_long("SELECT round(extract(epoch FROM expires_at - created_at))::bigint "
                          "FROM api_tokens WHERE name = 'ci-hosts'"),
            36 * 3600);
  EXPECT_EQ(cli({"runner-token", "create", "--expires-in", "soon"}).exit_code, 2);

  auto list = cli({"runner-token", "list"});
  ASSERT_EQ(list.exit_code, 0) << list.output;
  EXPECT_NE(list.output.find("ci-hosts"), std::string::npos) << list.output;
  EXPECT_NE(list.output.find("EXPIRES"), std::string::npos) << list.output;
  EXPECT_EQ(list.output.find("mlg_"), std::string::npos) << list.output;

  const std::string id = std::to_string(token["id"].get<long>());
  ASSERT_EQ(cli({"runner-token", "revoke", id}).exit_code, 0);
  auto reg = testing::http_post(env_.host(), "/api/v1/runner/register", R"({"name":"late"})",
                                "application/json",
                                {{"Authorization", "Bearer " + token["token"].get<std::string>()}});
  EXPECT_EQ(reg.status, 401) << reg.body;
  EXPECT_NE(cli({"runner-token", "list"}).output.find("revoked"), std::string::npos);
}

}  // namespace
}  // namespace mlgate
