// `mlgate gate` (online), `mlgate deploy`, `mlgate rollback` and `mlgate deployments` through the
// real binary, against the real server, PostgreSQL and a local runner producing real results.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "store/child_process.h"
#include "store/tokens.h"
#include "tests/support/git_fixture.h"
#include "tests/support/mlgate_process.h"
#include "tests/support/pg_cluster.h"
#include "tests/support/temp_dir.h"
#include "webhooks/signature.h"

namespace mlgate {
namespace {

using nlohmann::json;
using testing::eventually;
using testing::http_get;
using testing::http_post;
namespace fs = std::filesystem;

const std::string kSecret = "gate-api-test-secret";
using Headers = std::vector<std::pair<std::string, std::string>>;

std::string strip(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

// A server on its own database, an admin token, the repo acme/model, and local runners on demand
// (a trimmed copy of tests/integration/runners/agent_test.cpp's RunnerEnv).
class GateEnv {
 public:
  GateEnv() {
    conninfo_ = testing::PgCluster::instance().create_database("gate");
    serve_ = std::make_unique<testing::ServeProcess>(testing::ServeProcessOptions{
        .data_dir = dir_.path() / "server", .database_url = conninfo_});
    admin_ = strip(testing::read_file(dir_.path() / "server" / "admin-token"));
    json reg = {{"forge", "github"},
                {"name", "acme/model"},
                {"clone_url", repo_.file_url()},
                {"secret", kSecret}};
    auto r = http_post(host(), "/api/v1/repos", reg.dump(), "application/json", admin());
    EXPECT_EQ(r.status, 201) << r.body;
    auto t = http_post(host(), "/api/v1/runner-tokens", R"({"name":"test runners"})",
                       "application/json", admin());
    EXPECT_EQ(t.status, 201) << t.body;
    testing::write_file(dir_.path() / "registration-token",
                        json::parse(t.body)["token"].get<std::string>() + "\n");
  }
  ~GateEnv() {
    runners_.clear();
    serve_.reset();
    testing::PgCluster::instance().drop_database(conninfo_);
  }

  std::string host() const { return serve_->host_port(); }
  Headers admin() const { return {{"Authorization", "Bearer " + admin_}}; }
  testing::GitRepoFixture& repo() { return repo_; }

  // A token with these scopes, inserted as `mlgate token create` would.
  Headers token(const std::vector<std::string>& scopes, const std::string& name) {
    const auto t = store::generate_token();
    pqxx::connection c(conninfo_);
    pqxx::work tx(c);
    store::insert_api_token(tx, name, t, scopes);
    tx.commit();
    return {{"Authorization", "Bearer " + t}};
  }

  std::string push(const std::string& config, std::map<std::string, std::string> files) {
    files[".mlgate.yml"] = config;
    std::string sha = repo_.commit(files, "commit " + std::to_string(++commits_));
    json p = json::parse(
        testing::read_file(std::string(MLGATE_SHARED_FIXTURES) + "/webhooks/github/push.json"));
    p["ref"] = "refs/heads/main";
    p["after"] = sha;
    p["head_commit"]["id"] = sha;
    p["repository"]["full_name"] = "acme/model";
    p["repository"]["name"] = "model";
    std::string body = p.dump();
    auto r =
        http_post(host(), "/webhooks/github", body, "application/json",
                  {{"X-GitHub-Event", "push"},
                   {"X-GitHub-Delivery", "d-" + sha},
                   {"X-Hub-Signature-256", "sha256=" + webhooks::hmac_sha256_hex(kSecret, body)}});
    EXPECT_EQ(r.status, 202) << r.body;
    return sha;
  }

  void start_runner(const std::string& name) {
    fs::path work = dir_.path() / ("runner-" + name);
    fs::create_directories(work);
    std::vector<std::string> argv = {MLGATE_BINARY,  "runner",
                                     "--server",     serve_->url(),
                                     "--token-file", (dir_.path() / "registration-token").string(),
                                     "--work-dir",   work.string(),
                                     "--name",       name,
                                     "--executor",   "local",
                                     "--claim-wait", "2"};
    store::ChildOptions o;
    o.stdout_path = (work / "runner.log").string();
    o.stderr_path = "=stdout";
    o.die_with_parent = true;
    o.parent_death_signal = SIGKILL;
    runners_.push_back(std::make_unique<store::ChildProcess>(argv, o));
  }

  json get(const std::string& path) {
    auto r = http_get(host(), path, admin());
    EXPECT_EQ(r.status, 200) << path << ": " << r.body;
    return json::parse(r.body, nullptr, false);
  }
  json pipeline_of(const std::string& sha) {
    const json all = get("/api/v1/pipelines?limit=200");
    for (const auto& p : all["pipelines"])
      if (p["sha"] == sha) return get("/api/v1/pipelines/" + std::to_string(p["id"].get<long>()));
    return json();
  }
  json wait_pipeline_end(const std::string& sha) {
    json p;
    eventually(
        [&] {
          p = pipeline_of(sha);
          if (p.is_null()) return false;
          auto s = p["state"].get<std::string>();
          return s == "passed" || s == "failed" || s == "cancelled" || s == "error";
        },
        std::chrono::seconds(90));
    return p;
  }
  long sql_long(const std::string& sql) {
    pqxx::connection c(conninfo_);
    pqxx::nontransaction tx(c);
    return tx.exec1(sql)[0].as<long>();
  }

  testing::HttpResult gate(const std::string& sha, const std::string& env = "production",
                           const Headers& auth = {}) {
    return http_get(host(), "/api/v1/repos/acme/model/gate?sha=" + sha + "&environment=" + env,
                    auth.empty() ? admin() : auth);
  }
  testing::HttpResult deploy(const json& body, const Headers& auth = {}) {
    return http_post(host(), "/api/v1/repos/acme/model/deployments", body.dump(),
                     "application/json", auth.empty() ? admin() : auth);
  }
  testing::HttpResult rollback(const std::string& env) {
    return http_post(host(), "/api/v1/repos/acme/model/deployments/rollback",
                     json{{"environment", env}}.dump(), "application/json", admin());
  }

 private:
  testing::TempDir dir_{"mlgate-gate-cli"};
  testing::GitRepoFixture repo_;
  std::string conninfo_;
  std::unique_ptr<testing::ServeProcess> serve_;
  std::string admin_;
  std::vector<std::unique_ptr<store::ChildProcess>> runners_;
  int commits_ = 0;
};

// Both tiers required; functionality writes the metrics, validation runs `validate.sh`.
const char* kConfig = R"(version: 1
image: mlgate/busybox:test
tiers:
  functionality:
    run: sh results.sh
  validation:
    needs: [functionality]
    run: sh validate.sh
gates:
  production:
    require: [functionality, validation]
    metrics:
      - {name: accuracy, min: 0.90, max_drop: 0.01}
    slices:
      - {metric: recall, by: age_group, min: 0.80}
  staging:
    metrics:
      - {name: accuracy, min: 0.5}
)";

std::string results_script(double accuracy, double young_recall) {
  return "cat > \"$MLGATE_RESULTS/metrics.json\" <<'JSON'\n"
         "{\"metrics\": {\"accuracy\": " +
         std::to_string(accuracy) +
         "},\n"
         " \"slices\": {\"age_group\": {\"<30\": {\"recall\": " +
         std::to_string(young_recall) +
         ", \"n\": 412}, \"30+\": {\"recall\": 0.84, \"n\": 300}}}}\n"
         "JSON\n";
}

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
    int status = store::run_capture(argv, r.output);
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
  const auto unpushed = env.repo().commit({{".mlgate.yml", kConfig}}, "not pushed");
  auto pending = gate(unpushed);
  EXPECT_EQ(pending.exit_code, 2) << pending.output;
  EXPECT_NE(pending.output.find("production: pending"), std::string::npos) << pending.output;

  env.start_runner("r1");
  const auto sha1 =
      env.push(kConfig, {{"results.sh", results_script(0.93, 0.85)}, {"validate.sh", "echo ok\n"}});
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

  auto d1 = cli({"deploy", "--repo", "acme/model", "--sha", sha1, "--environment", "production"});
  EXPECT_EQ(d1.exit_code, 0) << d1.output;
  EXPECT_NE(d1.output.find("deployed " + sha1.substr(0, 12)), std::string::npos) << d1.output;

  const auto sha2 =
      env.push(kConfig, {{"results.sh", results_script(0.93, 0.71)}, {"validate.sh", "echo ok\n"}});
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
  const int unreachable_status = store::run_capture(
      {MLGATE_BINARY, "gate", "--url", "http://127.0.0.1:9", "--token-file", admin_file.string(),
       "--repo", "acme/model", "--sha", sha1, "--environment", "production"},
      unreachable);
  EXPECT_TRUE(WIFEXITED(unreachable_status) && WEXITSTATUS(unreachable_status) == 2)
      << unreachable_status << unreachable;
  EXPECT_NE(unreachable.find("cannot reach"), std::string::npos) << unreachable;
}

}  // namespace
}  // namespace mlgate
