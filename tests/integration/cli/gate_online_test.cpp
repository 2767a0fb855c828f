// `mlgate gate` (online), `mlgate deploy`, `mlgate rollback` and `mlgate deployments` through the
// real binary, against the real server, PostgreSQL and a local runner producing real results.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "store/tokens.h"
#include "tests/integration/server/gate_env.h"
#include "tests/support/temp_dir.h"
#include "util/child_process.h"

namespace mlgate {
namespace {

using nlohmann::json;
using testing::eventually;
using testing::http_get;
using testing::http_post;
namespace fs = std::filesystem;

using testing::gate_results_script;
using testing::GateEnv;
using testing::kGateTestConfig;
using Headers = testing::HeaderPairs;

struct CliRun {
  int exit_code = -1;
  std::string output;
};

TEST(GateOnline, GateDeployRollbackAndDeploymentsThroughTheCli) {
  GateEnv env;
  testing::TempDir tmp{"mlgate-gate-cli-tokens"};
  const auto admin_file = tmp.path() / "admin";
  testing::write_file(admin_file, env.admin()[0].second.substr(7) + "\n");
  const auto reader_file = tmp.path() / "reader";
  testing::write_file(reader_file, env.token({"read"}, "reader")[0].second.substr(7) + "\n");
  auto cli = [&](std::vector<std::string> args, const fs::path& token = {}) {
    std::vector<std::string> argv = {MLGATE_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--url", "http://" + env.host(), "--token-file",
                             (token.empty() ? admin_file : token).string()});
    CliRun r;
    int status = util::run_capture(argv, r.output);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
  };
  auto gate = [&](const std::string& sha, const std::string& environment = "production",
                  std::vector<std::string> extra = {}) {
    std::vector<std::string> a = {"gate", "--repo",        "acme/model", "--sha",
                                  sha,    "--environment", environment};
    a.insert(a.end(), extra.begin(), extra.end());
    return cli(a);
  };

  // Pending (no pipeline yet) exits 2.
  const auto unpushed = env.repo().commit({{".mlgate.yml", kGateTestConfig}}, "not pushed");
  auto pending = gate(unpushed);
  EXPECT_EQ(pending.exit_code, 2) << pending.output;
  EXPECT_NE(pending.output.find("production: pending"), std::string::npos) << pending.output;

  env.start_runner("r1");
  const auto sha1 = env.push(kGateTestConfig, {{"results.sh", gate_results_script(0.93, 0.85)},
                                               {"validate.sh", "echo ok\n"}});
  ASSERT_EQ(env.wait_pipeline_end(sha1)["state"], "passed");
  auto allow = gate(sha1);
  EXPECT_EQ(allow.exit_code, 0) << allow.output;
  EXPECT_NE(allow.output.find("production: allow"), std::string::npos) << allow.output;
  EXPECT_NE(allow.output.find("STATUS"), std::string::npos) << allow.output;
  auto as_json = gate(sha1, "production", {"--json"});
  EXPECT_EQ(as_json.exit_code, 0) << as_json.output;
  auto parsed = json::parse(as_json.output, nullptr, false);
  ASSERT_TRUE(parsed.is_object()) << as_json.output;
  EXPECT_EQ(parsed["decision"], "allow");
  EXPECT_EQ(parsed["sha"], sha1);
  auto as_markdown = gate(sha1, "production", {"--format", "markdown"});
  EXPECT_EQ(as_markdown.exit_code, 0) << as_markdown.output;
  EXPECT_EQ(as_markdown.output.rfind("### ✅ mlgate: production — allow", 0), 0u)
      << as_markdown.output;
  auto as_metrics = gate(sha1, "production", {"--format", "openmetrics"});
  EXPECT_EQ(as_metrics.exit_code, 0) << as_metrics.output;
  EXPECT_NE(as_metrics.output.find("mlgate_gate_allowed{environment=\"production\"} 1"),
            std::string::npos)
      << as_metrics.output;

  auto d1 = cli({"deploy", "--repo", "acme/model", "--sha", sha1, "--environment", "production"});
  EXPECT_EQ(d1.exit_code, 0) << d1.output;
  EXPECT_NE(d1.output.find("deployed " + sha1.substr(0, 12)), std::string::npos) << d1.output;

  const auto sha2 = env.push(kGateTestConfig, {{"results.sh", gate_results_script(0.93, 0.71)},
                                               {"validate.sh", "echo ok\n"}});
  ASSERT_EQ(env.wait_pipeline_end(sha2)["state"], "passed");
  auto deny = gate(sha2);
  EXPECT_EQ(deny.exit_code, 1) << deny.output;
  auto first_row = deny.output.substr(deny.output.find('\n') + 1);
  first_row = first_row.substr(0, first_row.find('\n'));
  EXPECT_NE(first_row.find("fail"), std::string::npos) << deny.output;
  EXPECT_NE(first_row.find("recall[age_group=<30]"), std::string::npos) << deny.output;

  auto refused =
      cli({"deploy", "--repo", "acme/model", "--sha", sha2, "--environment", "production"});
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  EXPECT_NE(refused.output.find("refused"), std::string::npos) << refused.output;
  EXPECT_NE(refused.output.find("recall[age_group=<30]"), std::string::npos) << refused.output;
  auto no_reason = cli(
      {"deploy", "--repo", "acme/model", "--sha", sha2, "--environment", "production", "--force"});
  EXPECT_EQ(no_reason.exit_code, 1) << no_reason.output;
  EXPECT_NE(no_reason.output.find("reason"), std::string::npos) << no_reason.output;
  auto forced = cli({"deploy", "--repo", "acme/model", "--sha", sha2, "--environment", "production",
                     "--force", "--reason", "incident 42"});
  EXPECT_EQ(forced.exit_code, 0) << forced.output;
  EXPECT_NE(forced.output.find("FORCED: incident 42"), std::string::npos) << forced.output;

  auto reader_deploy =
      cli({"deploy", "--repo", "acme/model", "--sha", sha1, "--environment", "production"},
          reader_file);
  EXPECT_EQ(reader_deploy.exit_code, 4) << reader_deploy.output;

  auto back = cli({"rollback", "--repo", "acme/model", "--environment", "production"});
  EXPECT_EQ(back.exit_code, 0) << back.output;
  EXPECT_NE(back.output.find(sha1.substr(0, 12) + " is current again"), std::string::npos)
      << back.output;
  auto none = cli({"rollback", "--repo", "acme/model", "--environment", "production"});
  EXPECT_EQ(none.exit_code, 1) << none.output;

  auto list = cli({"deployments", "--repo", "acme/model"}, reader_file);
  EXPECT_EQ(list.exit_code, 0) << list.output;
  EXPECT_NE(list.output.find("rollback"), std::string::npos) << list.output;
  EXPECT_NE(list.output.find("incident 42"), std::string::npos) << list.output;
  EXPECT_EQ(std::count(list.output.begin(), list.output.end(), '\n'), 4) << list.output;

  // Errors exit 2 like the offline form: an unknown environment, missing options.
  auto unknown = gate(sha1, "qa");
  EXPECT_EQ(unknown.exit_code, 2) << unknown.output;
  EXPECT_NE(unknown.output.find("production"), std::string::npos) << unknown.output;
  auto missing = cli({"gate", "--repo", "acme/model"});
  EXPECT_EQ(missing.exit_code, 2) << missing.output;
  // ... and so does every other way of getting no decision: a short or odd sha or environment
  // (refused before any request), a refused token, an unreachable server. Never 1 (deny).
  auto short_sha = gate(sha1.substr(0, 12));
  EXPECT_EQ(short_sha.exit_code, 2) << short_sha.output;
  EXPECT_NE(short_sha.output.find("full 40"), std::string::npos) << short_sha.output;
  auto odd_env = gate(sha1, "prod&x=1");
  EXPECT_EQ(odd_env.exit_code, 2) << odd_env.output;
  const auto bad_token = tmp.path() / "bad-token";
  testing::write_file(bad_token, "not-a-token\n");
  auto no_token = cli(
      {"gate", "--repo", "acme/model", "--sha", sha1, "--environment", "production"}, bad_token);
  EXPECT_EQ(no_token.exit_code, 2) << no_token.output;
  EXPECT_NE(no_token.output.find("not authorised"), std::string::npos) << no_token.output;
  std::string unreachable;
  const int unreachable_status = util::run_capture(
      {MLGATE_BINARY, "gate", "--url", "http://127.0.0.1:9", "--token-file", admin_file.string(),
       "--repo", "acme/model", "--sha", sha1, "--environment", "production"},
      unreachable);
  EXPECT_TRUE(WIFEXITED(unreachable_status) && WEXITSTATUS(unreachable_status) == 2)
      << unreachable_status << unreachable;
  EXPECT_NE(unreachable.find("cannot reach"), std::string::npos) << unreachable;
}

}  // namespace
}  // namespace mlgate
