// Embedded PostgreSQL: a real cluster in a data directory, run as a child process that listens only
// on a unix socket inside that directory (docs/foundation.md, "Embedded PostgreSQL"). initdb runs
// the first time. As root, the cluster runs as an unprivileged user (initdb and postgres refuse
// root).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

#include "util/child_process.h"

namespace mlgate::store {

struct EmbeddedPostgresOptions {
  std::filesystem::path
      data_dir;  // the cluster lives in data_dir/postgres, its log in data_dir/postgres.log
  std::string database = "mlgate";
  std::string superuser = "mlgate";
  // The OS user the cluster runs as when this process is root: "" picks "postgres" (created by
  // Debian's postgresql package) or else "nobody".
  std::string os_user;
  // false turns off fsync and synchronous commit: for throwaway test clusters only.
  bool durable = true;
  std::chrono::seconds start_timeout{60};
  // After a crash (this process and its postmaster killed), how long a start waits for the old
  // postmaster's backends to finish before it gives up.
  std::chrono::seconds stale_lock_timeout{30};
  // As root, when a parent of data_dir keeps the cluster's user out (a data dir under /root, or in
  // a 0700 temporary directory), the cluster lives in cluster_home/<hash of data_dir>/postgres and
  // data_dir/postgres is a symbolic link to it.
  std::filesystem::path cluster_home = "/var/lib/mlgate/clusters";
  int max_connections = 100;
};

class EmbeddedPostgres {
 public:
  // Initialises (first time) and starts the cluster, waits until it accepts connections and
  // creates the database. Throws std::runtime_error with the reason and the log's last lines.
  explicit EmbeddedPostgres(EmbeddedPostgresOptions options);
  ~EmbeddedPostgres();  // stops the cluster (fast shutdown)
  EmbeddedPostgres(const EmbeddedPostgres&) = delete;
  EmbeddedPostgres& operator=(const EmbeddedPostgres&) = delete;

  // libpq conninfo for a database of this cluster (default: options.database).
  std::string conninfo(const std::string& database = "") const;
  std::filesystem::path socket_dir() const { return cluster_dir_; }

  bool running() { return child_.running(); }
  pid_t pid() const { return child_.pid(); }
  // Why the child stopped ("killed by signal 9 (Killed)"), once running() is false.
  std::string exit_reason() const;
  void start();  // after stop()
  void stop();   // fast shutdown (SIGINT), SIGKILL after 30 s
  std::string log_tail(size_t lines = 20) const;

 private:
  std::filesystem::path relocated_cluster_dir(const std::string& user,
                                              const std::filesystem::path& blocker);
  void init_cluster();
  // Whether `pid` is a running postmaster of this cluster (or something answers on its socket).
  bool postmaster_alive(pid_t pid) const;
  // A postmaster.pid whose postmaster is gone: waits for the old backends, then removes it.
  void clear_stale_lock();
  void wait_ready();
  void create_database();

  EmbeddedPostgresOptions options_;
  std::filesystem::path cluster_dir_;
  std::filesystem::path log_path_;
  std::filesystem::path bindir_;
  std::optional<uid_t> uid_;
  std::optional<gid_t> gid_;
  util::ChildProcess child_;
};

// The first parent of dir that the user uid/gid cannot traverse, if any.
std::optional<std::filesystem::path> first_blocking_ancestor(const std::filesystem::path& dir,
                                                             uid_t uid, gid_t gid);

// The directory holding initdb and postgres: $MLGATE_PG_BINDIR, else the newest
// /usr/lib/postgresql/<version>/bin, else the directory of `postgres` on PATH. Throws when none.
std::filesystem::path find_postgres_bindir();

}  // namespace mlgate::store
