// A test environment for the gate and its forge feedback: the real `mlgate serve` on its own
// throwaway database, an admin token, the repo acme/model (GitHub or GitLab) backed by a local git
// repository, real signed push webhooks, and real `mlgate runner` processes (local executor) on
// demand. Shared by gate_api_test.cpp and forge_feedback_test.cpp.
#pragma once

#include <signal.h>
#include <sys/wait.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "store/tokens.h"
#include "tests/support/git_fixture.h"
#include "tests/support/mlgate_process.h"
#include "tests/support/pg_cluster.h"
#include "tests/support/temp_dir.h"
#include "util/child_process.h"
#include "util/hash.h"
#include "webhooks/signature.h"

namespace mlgate::testing {

inline const std::string kGateEnvSecret = "gate-api-test-secret";
using HeaderPairs = std::vector<std::pair<std::string, std::string>>;

// A repo config for the gate tests: both tiers required by production; functionality writes the
// metrics (results.sh, see gate_results_script), validation runs `validate.sh`.
inline const char* const kGateTestConfig = R"(version: 1
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

// results.sh for kGateTestConfig: writes metrics.json with accuracy and the age_group slices.
inline std::string gate_results_script(double accuracy, double young_recall) {
  return "cat > \"$MLGATE_RESULTS/metrics.json\" <<'JSON'\n"
         "{\"metrics\": {\"accuracy\": " +
         std::to_string(accuracy) +
         "},\n"
         " \"slices\": {\"age_group\": {\"<30\": {\"recall\": " +
         std::to_string(young_recall) +
         ", \"n\": 412}, \"30+\": {\"recall\": 0.84, \"n\": 300}}}}\n"
         "JSON\n";
}

struct GateEnvOptions {
  std::string forge = "github";
  std::string forge_token;   // empty: none (no forge feedback)
  std::string api_base_url;  // empty: the forge's public API
  std::vector<std::string> serve_args;
  std::string fork_pull_requests;  // empty: the server's default (approve)
};

class GateEnv {
 public:
  explicit GateEnv(GateEnvOptions options = {}) : options_(std::move(options)) {
    conninfo_ = PgCluster::instance().create_database("gate");
    serve_ = std::make_unique<ServeProcess>(ServeProcessOptions{.data_dir = dir_.path() / "server",
                                                                .database_url = conninfo_,
                                                                .extra_args = options_.serve_args});
    admin_ = strip_newlines(read_file(dir_.path() / "server" / "admin-token"));
    nlohmann::json reg = {{"forge", options_.forge},
                          {"name", "acme/model"},
                          {"clone_url", repo_.file_url()},
                          {"secret", kGateEnvSecret}};
    if (!options_.forge_token.empty()) reg["token"] = options_.forge_token;
    if (!options_.api_base_url.empty()) reg["api_base_url"] = options_.api_base_url;
    if (!options_.fork_pull_requests.empty())
      reg["fork_pull_requests"] = options_.fork_pull_requests;
    auto r = http_post(host(), "/api/v1/repos", reg.dump(), "application/json", admin());
    EXPECT_EQ(r.status, 201) << r.body;
    auto t = http_post(host(), "/api/v1/runner-tokens", R"({"name":"test runners"})",
                       "application/json", admin());
    EXPECT_EQ(t.status, 201) << t.body;
    write_file(dir_.path() / "registration-token",
               nlohmann::json::parse(t.body)["token"].get<std::string>() + "\n");
  }
  ~GateEnv() {
    runners_.clear();
    serve_.reset();
    PgCluster::instance().drop_database(conninfo_);
  }
  GateEnv(const GateEnv&) = delete;
  GateEnv& operator=(const GateEnv&) = delete;

  std::string host() const { return serve_->host_port(); }
  ServeProcess& serve() { return *serve_; }
  HeaderPairs admin() const { return {{"Authorization", "Bearer " + admin_}}; }
  GitRepoFixture& repo() { return repo_; }

  // `mlgate <args>` through the real binary (MLGATE_BINARY), against this server with the admin
  // token: its exit code (-1 when it did not exit) and its output.
  std::pair<int, std::string> cli(std::vector<std::string> args) const {
    TempDir tmp{"mlgate-gate-env-cli"};
    write_file(tmp.path() / "token", admin_ + "\n");
    args.insert(args.begin(), MLGATE_BINARY);
    args.insert(args.end(),
                {"--url", "http://" + host(), "--token-file", (tmp.path() / "token").string()});
    std::string output;
    const int status = util::run_capture(args, output);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
  }
  const std::string& conninfo() const { return conninfo_; }

  // A token with these scopes (restricted to one repository when `repo_id` is given), inserted as
  // `mlgate token create` would.
  HeaderPairs token(const std::vector<std::string>& scopes, const std::string& name,
                    std::optional<std::int64_t> repo_id = std::nullopt) {
    const auto t = store::generate_token();
    pqxx::connection c(conninfo_);
    pqxx::work tx(c);
    store::insert_api_token(tx, name, t, scopes, repo_id);
    tx.commit();
    return {{"Authorization", "Bearer " + t}};
  }

  // Commits `files` plus .mlgate.yml = config on main and delivers the signed push webhook.
  std::string push(const std::string& config, std::map<std::string, std::string> files) {
    files[".mlgate.yml"] = config;
    std::string sha = repo_.commit(files, "commit " + std::to_string(++commits_));
    deliver_push(sha);
    return sha;
  }
  void deliver_push(const std::string& sha) {
    if (options_.forge == "gitlab") {
      nlohmann::json p = fixture("gitlab/push.json");
      p["ref"] = "refs/heads/main";
      p["after"] = sha;
      p["checkout_sha"] = sha;
      p["project"]["path_with_namespace"] = "acme/model";
      p["commits"] = nlohmann::json::array();
      auto r = http_post(host(), "/webhooks/gitlab", p.dump(), "application/json",
                         {{"X-Gitlab-Event", "Push Hook"},
                          {"X-Gitlab-Token", kGateEnvSecret},
                          {"X-Gitlab-Event-UUID", "uuid-" + sha}});
      EXPECT_EQ(r.status, 202) << r.body;
      return;
    }
    auto r = send_github_push(sha, "main", "d-" + sha);
    EXPECT_EQ(r.status, 202) << r.body;
  }
  // A signed GitHub delivery; returns the answer.
  HttpResult deliver_github(const std::string& event, const std::string& delivery_id,
                            const std::string& body) {
    auto r = http_post(
        host(), "/webhooks/github", body, "application/json",
        {{"X-GitHub-Event", event},
         {"X-GitHub-Delivery", delivery_id},
         {"X-Hub-Signature-256", "sha256=" + util::hmac_sha256_hex(kGateEnvSecret, body)}});
    EXPECT_EQ(r.status, 202) << r.body;
    return r;
  }
  // The real GitHub push fixture for `sha` on `branch` of acme/model, signed with `secret`, sent
  // with `delivery_id`; returns the answer whatever it is.
  HttpResult send_github_push(const std::string& sha, const std::string& branch,
                              const std::string& delivery_id,
                              const std::string& secret = kGateEnvSecret) {
    nlohmann::json p = fixture("github/push.json");
    p["ref"] = "refs/heads/" + branch;
    p["after"] = sha;
    p["head_commit"]["id"] = sha;
    p["repository"]["full_name"] = "acme/model";
    p["repository"]["name"] = "model";
    const std::string body = p.dump();
    return http_post(host(), "/webhooks/github", body, "application/json",
                     {{"X-GitHub-Event", "push"},
                      {"X-GitHub-Delivery", delivery_id},
                      {"X-Hub-Signature-256", "sha256=" + util::hmac_sha256_hex(secret, body)}});
  }
  // Registers a runner through the protocol (executor local unless told, nothing started);
  // returns its Authorization header.
  HeaderPairs register_runner(const std::string& name, const std::string& executor = "local") {
    auto r =
        http_post(host(), "/api/v1/runner/register",
                  nlohmann::json{{"name", name}, {"executor", executor}}.dump(), "application/json",
                  {{"Authorization",
                    "Bearer " + strip_newlines(read_file(dir_.path() / "registration-token"))}});
    EXPECT_EQ(r.status, 201) << r.body;
    return {
        {"Authorization", "Bearer " + nlohmann::json::parse(r.body)["token"].get<std::string>()}};
  }
  static nlohmann::json fixture(const std::string& name) {
    return nlohmann::json::parse(
        read_file(std::string(MLGATE_SHARED_FIXTURES) + "/webhooks/" + name));
  }

  void start_runner(const std::string& name) {
    std::filesystem::path work = dir_.path() / ("runner-" + name);
    std::filesystem::create_directories(work);
    std::vector<std::string> argv = {MLGATE_BINARY,  "runner",
                                     "--server",     serve_->url(),
                                     "--token-file", (dir_.path() / "registration-token").string(),
                                     "--work-dir",   work.string(),
                                     "--name",       name,
                                     "--executor",   "local",
                                     "--claim-wait", "2"};
    util::ChildOptions o;
    o.stdout_path = (work / "runner.log").string();
    o.stderr_path = "=stdout";
    o.die_with_parent = true;
    o.parent_death_signal = SIGKILL;
    runners_.push_back(std::make_unique<util::ChildProcess>(argv, o));
  }

  nlohmann::json get(const std::string& path) {
    auto r = http_get(host(), path, admin());
    EXPECT_EQ(r.status, 200) << path << ": " << r.body;
    return nlohmann::json::parse(r.body, nullptr, false);
  }
  nlohmann::json pipeline_of(const std::string& sha) {
    const nlohmann::json all = get("/api/v1/pipelines?limit=200");
    for (const auto& p : all["pipelines"])
      if (p["sha"] == sha) return get("/api/v1/pipelines/" + std::to_string(p["id"].get<long>()));
    return nlohmann::json();
  }
  nlohmann::json wait_pipeline_end(const std::string& sha) {
    nlohmann::json p;
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
  void sql(const std::string& statement) {
    pqxx::connection c(conninfo_);
    pqxx::nontransaction tx(c);
    tx.exec0(statement);
  }
  std::string sql_text(const std::string& sql) {
    pqxx::connection c(conninfo_);
    pqxx::nontransaction tx(c);
    auto r = tx.exec1(sql);
    return r[0].is_null() ? "" : r[0].as<std::string>();
  }

  HttpResult gate(const std::string& sha, const std::string& env = "production",
                  const HeaderPairs& auth = {}) {
    return http_get(host(), "/api/v1/repos/acme/model/gate?sha=" + sha + "&environment=" + env,
                    auth.empty() ? admin() : auth);
  }
  HttpResult deploy(const nlohmann::json& body, const HeaderPairs& auth = {}) {
    return http_post(host(), "/api/v1/repos/acme/model/deployments", body.dump(),
                     "application/json", auth.empty() ? admin() : auth);
  }
  HttpResult rollback(const std::string& env) {
    return http_post(host(), "/api/v1/repos/acme/model/deployments/rollback",
                     nlohmann::json{{"environment", env}}.dump(), "application/json", admin());
  }

 private:
  GateEnvOptions options_;
  TempDir dir_{"mlgate-gate"};
  GitRepoFixture repo_;
  std::string conninfo_;
  std::unique_ptr<ServeProcess> serve_;
  std::string admin_;
  std::vector<std::unique_ptr<util::ChildProcess>> runners_;
  int commits_ = 0;
};

}  // namespace mlgate::testing
