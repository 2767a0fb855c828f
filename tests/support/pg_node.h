// A standalone PostgreSQL server for replication and failover tests: its own data directory in a
// temporary directory, listening on 127.0.0.1 at a free port (so that a libpq multi-host URL can
// name it), run as a child process (as the postgres user when this process is root, like the
// embedded cluster). A primary is made with initdb; a streaming replica of it with
// `pg_basebackup -R` (its primary_conninfo names it by `name`, the application_name that
// synchronous_standby_names lists). Stopped hard with `pg_ctl stop -m immediate`, promoted with
// `pg_ctl promote`. Unlike PgCluster (tests/support/pg_cluster.h), nothing is shared between tests.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/temp_dir.h"
#include "util/child_process.h"

namespace mlgate::testing {

class PgNode {
 public:
  // initdb (superuser mlgate, trust authentication) and start. `settings` are extra server
  // settings, "name=value" (postgres -c).
  static std::unique_ptr<PgNode> primary(const std::string& name,
                                         const std::vector<std::string>& settings = {});
  // pg_basebackup -R from `primary` (streaming its WAL while copying) and start as a hot standby.
  static std::unique_ptr<PgNode> replica_of(const PgNode& primary, const std::string& name,
                                            const std::vector<std::string>& settings = {});
  ~PgNode();  // an immediate stop when still running
  PgNode(const PgNode&) = delete;
  PgNode& operator=(const PgNode&) = delete;

  const std::string& name() const { return name_; }
  int port() const { return port_; }
  // "127.0.0.1:<port>", for a multi-host URL.
  std::string host_port() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string conninfo(const std::string& database = "postgres") const;

  bool running() { return child_.running(); }
  // `pg_ctl stop -m immediate`: every backend is killed at once, nothing is flushed or handed on
  // (what a crashed machine does to its clients).
  void stop_immediate();
  // `pg_ctl promote`, waiting until the server accepts writes.
  void promote();
  // pg_is_in_recovery(): true on a standby.
  bool in_recovery() const;
  std::string log_tail(size_t lines = 30) const;

 private:
  PgNode(const std::string& name, std::vector<std::string> settings);
  void init_primary();
  void base_backup_from(const PgNode& primary);
  void start();
  // Runs a PostgreSQL program (initdb, pg_basebackup, pg_ctl) as the cluster's user; throws with
  // its output when it fails.
  void run_as_owner(const std::vector<std::string>& argv) const;
  void wait_accepting(bool writable) const;

  std::string name_;
  std::vector<std::string> settings_;
  TempDir dir_;
  std::filesystem::path data_;
  std::filesystem::path log_;
  std::filesystem::path bindir_;
  int port_ = 0;
  bool as_other_user_ = false;
  uid_t uid_ = 0;
  gid_t gid_ = 0;
  util::ChildProcess child_;
};

}  // namespace mlgate::testing
