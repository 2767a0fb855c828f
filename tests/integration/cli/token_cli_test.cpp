// `mlgate token create|list|revoke` through the real binary against the real server: a created
// token works with exactly its scopes and repository, is listed without the token, and stops
// working when revoked; only admins manage tokens.
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

TEST(TokenCli, CreatesScopedTokensListsAndRevokesThem) {
  testing::GateEnv env;
  testing::TempDir tmp{"mlgate-token-cli"};
  const auto admin_file = tmp.path() / "admin";
  testing::write_file(admin_file, env.admin()[0].second.substr(7) + "\n");
  const std::string url = "http://" + env.host();
  auto cli = [&](std::vector<std::string> args, const fs::path& token) {
    std::vector<std::string> argv = {MLGATE_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--url", url, "--token-file", token.string()});
    CliRun r;
    int status = util::run_capture(argv, r.output);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
  };
  auto save = [&](const std::string& name, const std::string& token) {
    auto p = tmp.path() / name;
    testing::write_file(p, token);
    return p;
  };
  const std::string sha = env.repo().commit({{"README", "x"}}, "one");
  const std::string gate = "/api/v1/repos/acme/model/gate?sha=" + sha + "&environment=production";
  auto bearer = [](const std::string& t) {
    return testing::HeaderPairs{{"Authorization", "Bearer " + testing::strip_newlines(t)}};
  };

  // A read token: printed once, alone on its line; it can ask the gate but not deploy.
  auto read = cli({"token", "create", "--name", "dashboards", "--scope", "read"}, admin_file);
  ASSERT_EQ(read.exit_code, 0) << read.output;
  const std::string read_token = testing::strip_newlines(read.output);
  EXPECT_EQ(read_token.rfind("mlg_", 0), 0u) << read.output;
  EXPECT_NE(testing::http_get(env.host(), gate, bearer(read_token)).status, 401);
  EXPECT_NE(testing::http_get(env.host(), gate, bearer(read_token)).status, 403);
  EXPECT_EQ(env.deploy({{"sha", sha}, {"environment", "production"}}, bearer(read_token)).status,
            403);
  // Only its hash is stored.
  EXPECT_EQ(env.sql_long("SELECT count(*) FROM api_tokens WHERE token_hash = '" + read_token + "'"),
            0);

  // A deploy token for another repo is refused for acme/model as if it did not exist (404); its
  // JSON says what it is.
  testing::http_post(env.host(), "/api/v1/repos",
                     json{{"forge", "github"},
                          {"name", "acme/other"},
                          {"clone_url", env.repo().file_url()},
                          {"secret", "other-secret-123"}}
                         .dump(),
                     "application/json", env.admin());
  auto other = cli({"token", "create", "--name", "other deployer", "--scope", "read", "--scope",
                    "deploy", "--repo", "acme/other", "--expires-days", "30", "--json"},
                   admin_file);
  ASSERT_EQ(other.exit_code, 0) << other.output;
  auto other_json = json::parse(other.output, nullptr, false);
  ASSERT_TRUE(other_json.is_object()) << other.output;
  EXPECT_EQ(other_json["repo"], "acme/other");
  EXPECT_EQ(other_json["scopes"], (json{"read", "deploy"}));
  EXPECT_TRUE(other_json["expires_at"].is_string());
  EXPECT_EQ(testing::http_get(env.host(), gate, bearer(other_json["token"])).status, 404);

  // Listed, without any token in the output.
  auto list = cli({"token", "list"}, admin_file);
  ASSERT_EQ(list.exit_code, 0) << list.output;
  EXPECT_NE(list.output.find("dashboards"), std::string::npos) << list.output;
  EXPECT_NE(list.output.find("other deployer"), std::string::npos) << list.output;
  EXPECT_NE(list.output.find("read,deploy"), std::string::npos) << list.output;
  EXPECT_EQ(list.output.find("mlg_"), std::string::npos) << list.output;

  // A read token cannot make tokens (exit 4: not authorised); a bad scope is a usage error.
  auto denied =
      cli({"token", "create", "--name", "x", "--scope", "admin"}, save("read-token", read_token));
  EXPECT_EQ(denied.exit_code, 4) << denied.output;
  auto bad_scope = cli({"token", "create", "--name", "x", "--scope", "write"}, admin_file);
  EXPECT_NE(bad_scope.exit_code, 0);

  // Revoked: refused at once, and audited.
  const long id = env.sql_long("SELECT id FROM api_tokens WHERE name = 'dashboards'");
  auto revoke = cli({"token", "revoke", std::to_string(id)}, admin_file);
  ASSERT_EQ(revoke.exit_code, 0) << revoke.output;
  EXPECT_EQ(testing::http_get(env.host(), gate, bearer(read_token)).status, 401);
  EXPECT_EQ(cli({"token", "revoke", std::to_string(id)}, admin_file).exit_code, 1);
  EXPECT_EQ(env.sql_long("SELECT count(*) FROM audit_log WHERE action IN ('token.create', "
                         "'token.revoke')"),
            3);
}

}  // namespace
}  // namespace mlgate
