// Two `mlgate serve` replicas on one throwaway PostgreSQL behind a real HAProxy, with the
// configuration docs/operations.md shows ("Two or more replicas behind a load balancer"), real
// `mlgate runner` processes (local executor) and signed GitHub pushes, all through HAProxy.
#pragma once

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/git_fixture.h"
#include "tests/support/mlgate_process.h"
#include "tests/support/temp_dir.h"
#include "util/child_process.h"

namespace mlgate::testing {

// The ```haproxy block of docs/operations.md with its bind and server addresses replaced by
// 127.0.0.1 ports; throws when the page no longer has the addresses this replaces.
std::string haproxy_config_from_docs(int front_port, int replica1_port, int replica2_port);

// HAProxy in the foreground (-db) on a generated config file, its log in the same directory.
class Haproxy {
 public:
  Haproxy(const std::filesystem::path& dir, const std::string& config);
  ~Haproxy();
  Haproxy(const Haproxy&) = delete;
  Haproxy& operator=(const Haproxy&) = delete;
  std::string log() const;

 private:
  std::filesystem::path dir_;
  util::ChildProcess child_;
};

class ReplicasEnv {
 public:
  static constexpr int kReplicas = 2;

  // On a new database of the binary's throwaway cluster, or on `conninfo` (a cluster the test
  // stops and starts itself).
  explicit ReplicasEnv(const std::string& conninfo = "");
  ~ReplicasEnv();
  ReplicasEnv(const ReplicasEnv&) = delete;
  ReplicasEnv& operator=(const ReplicasEnv&) = delete;

  // HAProxy's address: every sender, runner and API call goes there.
  std::string lb() const { return "127.0.0.1:" + std::to_string(front_port_); }
  std::vector<std::pair<std::string, std::string>> admin() const {
    return {{"Authorization", "Bearer " + admin_}};
  }
  const std::string& conninfo() const { return conninfo_; }
  const std::filesystem::path& runs_file() const { return runs_file_; }
  std::filesystem::path spool_file(int i) const {
    return dir_.path() / ("replica-" + std::to_string(i)) / "spool" / "webhooks.spool";
  }
  ServeProcess* replica(int i) { return replicas_[static_cast<size_t>(i)].get(); }

  // (Re)starts replica i on its own port and data dir.
  void start_replica(int i);
  // SIGKILL, and reap it.
  void kill_replica(int i);
  // SIGTERM, and wait.
  void stop_replica(int i);
  void start_runners(int count);
  // The runner registration token (what `mlgate runner --token-file` reads).
  std::string registration_token() const;
  // A commit on its own branch load-<n>; returns its sha.
  std::string new_commit(int n);
  // The signed GitHub push of `sha` on branch load-<n> with `delivery_id`, sent through HAProxy.
  HttpResult send_push(int n, const std::string& sha, const std::string& delivery_id);

  long sql_long(const std::string& sql);
  std::string logs();  // the tails of every process's log, for failure messages

 private:
  TempDir dir_{"mlgate-replicas"};
  GitRepoFixture repo_{"mlgate-replicas-repo"};
  std::string conninfo_;
  bool own_database_ = false;
  int front_port_ = 0;
  std::vector<int> ports_;
  std::vector<std::unique_ptr<ServeProcess>> replicas_;
  std::unique_ptr<Haproxy> haproxy_;
  std::vector<std::unique_ptr<util::ChildProcess>> runners_;
  std::string admin_;
  std::filesystem::path runs_file_;
  nlohmann::json push_fixture_;
};

}  // namespace mlgate::testing
