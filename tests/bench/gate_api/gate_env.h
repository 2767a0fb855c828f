// The state the gate API benchmark measures against, built the way the gate API's integration
// test builds it (tests/integration/server/gate_api_test.cpp): a real `mlgate serve` on a
// throwaway PostgreSQL database, the repository bench/model backed by a local git repository, a
// real `mlgate runner --executor local` that runs the tiers of pushed commits and uploads their
// results, and deployments through the API. On top of that, candidate commits whose pipelines are
// copies of a real one (see clone_candidates), for requests the decision cache cannot answer.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "tests/support/git_fixture.h"
#include "tests/support/mlgate_process.h"
#include "tests/support/temp_dir.h"
#include "util/child_process.h"

namespace mlgate::bench {

inline constexpr const char* kRepoName = "bench/model";
// The GitHub webhook secret bench/model is registered with (a benchmark signs its own pushes).
inline constexpr const char* kWebhookSecret = "bench-gate-api-secret";

using Headers = std::vector<std::pair<std::string, std::string>>;

class GateBenchEnv {
 public:
  // serve_args: extra arguments of `mlgate serve` (e.g. {"--http-threads", "16"}).
  explicit GateBenchEnv(std::vector<std::string> serve_args = {});
  ~GateBenchEnv();
  GateBenchEnv(const GateBenchEnv&) = delete;
  GateBenchEnv& operator=(const GateBenchEnv&) = delete;

  std::string host() const { return serve_->host_port(); }
  int port() const { return serve_->port(); }
  const std::string& conninfo() const { return conninfo_; }
  Headers admin() const { return {{"Authorization", "Bearer " + admin_}}; }
  // A token with the read scope only, as a deploy pipeline asking the gate would hold.
  const Headers& reader() const { return reader_; }
  testing::GitRepoFixture& repo() { return repo_; }
  testing::ServeProcess& serve() { return *serve_; }
  pqxx::connection& db() { return *db_; }

  // Commits `files` and sends the signed GitHub push for it; returns the sha.
  std::string push(const std::map<std::string, std::string>& files, const std::string& message);
  // Waits (bounded) until the latest pipeline of `sha` has ended; returns its state.
  std::string wait_pipeline_end(const std::string& sha, std::chrono::seconds timeout);

  void start_runner();
  // SIGTERM; returns the wait status.
  int stop_runner();
  std::string runner_log() const;

  // POST …/deployments {sha, environment}; returns the HTTP status, body in `body`.
  int deploy(const std::string& sha, const std::string& environment, std::string& body);

  // `count` new commits with the tree of `template_sha` (empty commits on top of it, on main),
  // each with a pipeline that is a copy of the template's latest one: the same jobs, passed, and
  // the same stored results (loaded and stored again with store/results.h). The gate decides for
  // each exactly what it decides for the template, but each (sha) is a new cache key. Returns
  // their shas.
  std::vector<std::string> clone_candidates(const std::string& template_sha, int count);

  // Stops the runner and serve (SIGTERM); returns serve's wait status.
  int stop_serve();

 private:
  testing::TempDir dir_{"mlgate-bench-gate"};
  testing::GitRepoFixture repo_{"mlgate-bench-gate-repo"};
  std::string conninfo_;
  std::unique_ptr<testing::ServeProcess> serve_;
  std::string admin_;
  Headers reader_;
  std::unique_ptr<pqxx::connection> db_;
  std::int64_t repo_id_ = 0;
  util::ChildProcess runner_;
  int pushes_ = 0;
};

}  // namespace mlgate::bench
