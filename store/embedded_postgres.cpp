#include "store/embedded_postgres.h"

#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <deque>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "util/hash.h"

namespace mlgate::store {
namespace fs = std::filesystem;

namespace {

// libpq's conninfo quoting: single quotes, backslash-escaped.
std::string quote(const std::string& v) {
  std::string out = "'";
  for (char c : v) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

bool is_executable(const fs::path& p) {
  return ::access(p.c_str(), X_OK) == 0;
}

// Whether the user uid/gid may traverse the directory p (as the kernel decides for non-root).
bool traversable_by(const fs::path& p, uid_t uid, gid_t gid) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return true;  // not there yet: created by us, reachable
  return st.st_uid == uid   ? (st.st_mode & S_IXUSR) != 0
         : st.st_gid == gid ? (st.st_mode & S_IXGRP) != 0
                            : (st.st_mode & S_IXOTH) != 0;
}

}  // namespace

std::optional<fs::path> first_blocking_ancestor(const fs::path& dir, uid_t uid, gid_t gid) {
  for (fs::path p = dir.parent_path(); !p.empty(); p = p.parent_path()) {
    if (!traversable_by(p, uid, gid)) return p;
    if (p == p.root_path()) break;
  }
  return std::nullopt;
}

fs::path find_postgres_bindir() {
  if (const char* env = std::getenv("MLGATE_PG_BINDIR"); env && *env) {
    if (is_executable(fs::path(env) / "postgres")) return env;
    throw std::runtime_error(std::string("MLGATE_PG_BINDIR=") + env + " holds no postgres binary");
  }
  std::vector<std::pair<int, fs::path>> found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    fs::path bin = entry.path() / "bin";
    if (is_executable(bin / "postgres") && is_executable(bin / "initdb")) {
      int version = std::atoi(entry.path().filename().c_str());
      found.emplace_back(version, bin);
    }
  }
  if (!found.empty()) {
    std::sort(found.begin(), found.end());
    return found.back().second;
  }
  if (const char* path = std::getenv("PATH")) {
    std::string p = path;
    size_t start = 0;
    while (start <= p.size()) {
      size_t end = p.find(':', start);
      if (end == std::string::npos) end = p.size();
      fs::path dir = p.substr(start, end - start);
      if (!dir.empty() && is_executable(dir / "postgres") && is_executable(dir / "initdb")) {
        return fs::canonical(dir / "postgres").parent_path();
      }
      start = end + 1;
    }
  }
  throw std::runtime_error(
      "PostgreSQL server binaries not found (looked in $MLGATE_PG_BINDIR, "
      "/usr/lib/postgresql/*/bin "
      "and PATH); install the postgresql package (scripts/deps does) or pass --database-url");
}

EmbeddedPostgres::EmbeddedPostgres(EmbeddedPostgresOptions options) : options_(std::move(options)) {
  fs::create_directories(options_.data_dir);
  options_.data_dir = fs::absolute(options_.data_dir);
  cluster_dir_ = options_.data_dir / "postgres";
  log_path_ = options_.data_dir / "postgres.log";
  // A unix socket path is limited to 107 bytes.
  if ((cluster_dir_ / ".s.PGSQL.5432").string().size() > 100) {
    throw std::runtime_error("data dir path too long for a unix socket: " +
                             options_.data_dir.string() + " (use a shorter --data-dir)");
  }
  bindir_ = find_postgres_bindir();
  if (::geteuid() == 0) {
    std::string user = options_.os_user;
    passwd* pw = nullptr;
    if (user.empty()) {
      pw = getpwnam("postgres");
      if (!pw) pw = getpwnam("nobody");
    } else {
      pw = getpwnam(user.c_str());
    }
    if (!pw) {
      throw std::runtime_error("running as root, and no unprivileged user to run PostgreSQL as (" +
                               (user.empty() ? std::string("postgres or nobody") : user) + ")");
    }
    uid_ = pw->pw_uid;
    gid_ = pw->pw_gid;
    // The cluster's user must be able to reach its directory: the data dir is made traversable.
    // Its parents are not touched (silently opening up /root would be worse): when one of them
    // keeps the user out, the cluster lives under cluster_home instead (docs/operations.md,
    // "Where the embedded cluster lives").
    ::chmod(options_.data_dir.c_str(), 0711);
    if (auto blocker = first_blocking_ancestor(options_.data_dir, *uid_, *gid_)) {
      cluster_dir_ = relocated_cluster_dir(pw->pw_name, *blocker);
    }
  }
  init_cluster();
  start();
}

fs::path EmbeddedPostgres::relocated_cluster_dir(const std::string& user, const fs::path& blocker) {
  const fs::path home =
      options_.cluster_home / util::sha256_hex(options_.data_dir.string()).substr(0, 16);
  fs::create_directories(home);
  ::chmod(options_.cluster_home.c_str(), 0711);
  ::chmod(home.c_str(), 0711);
  if (auto b = first_blocking_ancestor(home / "postgres", *uid_, *gid_)) {
    throw std::runtime_error(
        "the PostgreSQL user '" + user + "' cannot reach " + options_.data_dir.string() + " (" +
        blocker.string() + " is not traversable for it) nor " + home.string() + " (" + b->string() +
        " is not); choose a --data-dir under a traversable "
        "directory (e.g. /var/lib/mlgate)");
  }
  // data_dir/postgres points at it, so that the data dir still says where its cluster is.
  const fs::path link = options_.data_dir / "postgres";
  std::error_code ec;
  if (fs::is_symlink(link, ec)) return home / "postgres";  // made by an earlier start
  if (fs::exists(link / "PG_VERSION", ec)) {
    throw std::runtime_error("the PostgreSQL user '" + user + "' cannot reach the cluster in " +
                             link.string() + ": " + blocker.string() +
                             " is not traversable for it; move the data dir under a traversable "
                             "directory (e.g. /var/lib/mlgate) or chmod o+x " +
                             blocker.string());
  }
  // A data dir without the link is a new one (or was deleted to start afresh): so is its cluster.
  fs::remove_all(link, ec);
  fs::remove_all(home / "postgres", ec);
  fs::create_directory_symlink(home / "postgres", link);
  return home / "postgres";
}

EmbeddedPostgres::~EmbeddedPostgres() {
  try {
    stop();
  } catch (const std::exception&) {
    // Destructors must not throw; stop() already escalated to SIGKILL.
  }
}

std::string EmbeddedPostgres::conninfo(const std::string& database) const {
  return "host=" + quote(cluster_dir_.string()) + " port=5432 user=" + quote(options_.superuser) +
         " dbname=" + quote(database.empty() ? options_.database : database) +
         " connect_timeout=10";
}

void EmbeddedPostgres::init_cluster() {
  if (fs::exists(cluster_dir_ / "PG_VERSION")) return;
  // A half-made cluster from an interrupted initdb is removed and made again.
  std::error_code ec;
  fs::remove_all(cluster_dir_, ec);
  fs::create_directories(cluster_dir_);
  ::chmod(cluster_dir_.c_str(), 0700);
  if (uid_ && ::chown(cluster_dir_.c_str(), *uid_, *gid_) != 0) {
    throw std::runtime_error("cannot give " + cluster_dir_.string() + " to the PostgreSQL user");
  }
  util::ChildOptions opts;
  opts.uid = uid_;
  opts.gid = gid_;
  opts.working_dir = cluster_dir_.string();
  opts.env = {{"LC_ALL", "C"}, {"LANG", "C"}};
  std::string output;
  int status = util::run_capture(
      {(bindir_ / "initdb").string(), "-D", cluster_dir_.string(), "-U", options_.superuser,
       "--auth=trust", "-E", "UTF8", "--no-locale", "--no-sync"},
      output, opts);
  if (status != 0) {
    throw std::runtime_error("initdb failed (" + util::describe_wait_status(status) + "):\n" +
                             output);
  }
}

namespace {

// The lines of a small text file; empty when it cannot be read.
std::vector<std::string> read_lines(const fs::path& p) {
  std::ifstream in(p);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// How many processes attach the System V shared memory segment `shmid` (0 when it is gone).
unsigned long shm_attach_count(int shmid) {
  struct shmid_ds ds {};
  if (shmid < 0 || ::shmctl(shmid, IPC_STAT, &ds) != 0) return 0;
  return ds.shm_nattch;
}

}  // namespace

bool EmbeddedPostgres::postmaster_alive(pid_t pid) const {
  const auto argv = util::process_cmdline(pid);
  if (!argv.empty() && fs::path(argv.front()).filename() == "postgres" &&
      std::find(argv.begin(), argv.end(), cluster_dir_.string()) != argv.end()) {
    return true;
  }
  // A postmaster of this cluster started some other way still answers on the cluster's socket.
  const PGPing ping = PQping(conninfo("postgres").c_str());
  return ping == PQPING_OK || ping == PQPING_REJECT;
}

void EmbeddedPostgres::clear_stale_lock() {
  const fs::path lock = cluster_dir_ / "postmaster.pid";
  const auto lines = read_lines(lock);
  if (lines.empty()) return;
  const pid_t pid = static_cast<pid_t>(std::atol(lines[0].c_str()));
  // A live postmaster: postgres itself refuses to start, and says so.
  if (pid <= 0 || postmaster_alive(pid)) return;
  // Its postmaster is gone (killed, its pid now a zombie or someone else's), but its backends may
  // still be finishing their queries: until the last one has gone no new postmaster may start on
  // this cluster. They attach the segment noted in the lock file's seventh line ("key shmid").
  int shmid = -1;
  if (lines.size() >= 7) {
    std::istringstream in(lines[6]);
    unsigned long key = 0;
    if (!(in >> key >> shmid)) shmid = -1;
  }
  const auto deadline = std::chrono::steady_clock::now() + options_.stale_lock_timeout;
  while (unsigned long attached = shm_attach_count(shmid)) {
    if (std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error("the cluster in " + cluster_dir_.string() +
                               " was left by a postmaster (pid " + std::to_string(pid) +
                               ") that is gone, but " + std::to_string(attached) +
                               " of its processes still run after " +
                               std::to_string(options_.stale_lock_timeout.count()) +
                               " s; stop them (`ps -ef | grep postgres:`) and start again");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  // Its lock files name a pid that may still exist (a zombie, a stranger): postgres would refuse.
  std::error_code ec;
  fs::remove(lock, ec);
  const fs::path socket_lock = cluster_dir_ / ".s.PGSQL.5432.lock";
  const auto socket_lines = read_lines(socket_lock);
  if (!socket_lines.empty() && std::atol(socket_lines[0].c_str()) == pid) {
    fs::remove(socket_lock, ec);
  }
}

void EmbeddedPostgres::start() {
  if (child_.running()) return;
  if (!fs::exists(log_path_)) {
    std::ofstream(log_path_).flush();
  }
  if (uid_) (void)!::chown(log_path_.c_str(), *uid_, *gid_);
  clear_stale_lock();
  std::vector<std::string> argv = {(bindir_ / "postgres").string(),
                                   "-D",
                                   cluster_dir_.string(),
                                   "-c",
                                   "listen_addresses=",
                                   "-c",
                                   "unix_socket_directories=" + cluster_dir_.string(),
                                   "-c",
                                   "unix_socket_permissions=0700",
                                   "-c",
                                   "port=5432",
                                   "-c",
                                   "max_connections=" + std::to_string(options_.max_connections),
                                   "-c",
                                   "logging_collector=off"};
  if (!options_.durable) {
    for (const char* setting : {"fsync=off", "synchronous_commit=off", "full_page_writes=off"}) {
      argv.push_back("-c");
      argv.push_back(setting);
    }
  }
  util::ChildOptions opts;
  opts.uid = uid_;
  opts.gid = gid_;
  opts.working_dir = cluster_dir_.string();
  opts.stdout_path = log_path_.string();
  opts.stderr_path = "=stdout";
  opts.env = {{"LC_ALL", "C"}, {"LANG", "C"}};
  // If mlgate dies, the cluster gets a fast shutdown instead of lingering.
  opts.die_with_parent = true;
  opts.parent_death_signal = SIGINT;
  child_ = util::ChildProcess(argv, opts);
  wait_ready();
  create_database();
}

void EmbeddedPostgres::wait_ready() {
  auto deadline = std::chrono::steady_clock::now() + options_.start_timeout;
  std::string info = conninfo("postgres");
  while (true) {
    if (!child_.running()) {
      throw std::runtime_error("postgres " + exit_reason() + " while starting; its log ends:\n" +
                               log_tail());
    }
    if (PQping(info.c_str()) == PQPING_OK) return;
    if (std::chrono::steady_clock::now() > deadline) {
      child_.stop(SIGQUIT, std::chrono::seconds(5));
      throw std::runtime_error("postgres did not accept connections within " +
                               std::to_string(options_.start_timeout.count()) +
                               " s; its log ends:\n" + log_tail());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void EmbeddedPostgres::create_database() {
  PGconn* conn = PQconnectdb(conninfo("postgres").c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string err = PQerrorMessage(conn);
    PQfinish(conn);
    throw std::runtime_error("cannot connect to the embedded cluster: " + err);
  }
  const char* params[] = {options_.database.c_str()};
  PGresult* r = PQexecParams(conn, "SELECT 1 FROM pg_database WHERE datname = $1", 1, nullptr,
                             params, nullptr, nullptr, 0);
  bool exists = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
  PQclear(r);
  if (!exists) {
    char* ident = PQescapeIdentifier(conn, options_.database.c_str(), options_.database.size());
    std::string sql = std::string("CREATE DATABASE ") + ident;
    PQfreemem(ident);
    r = PQexec(conn, sql.c_str());
    bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    std::string err = ok ? "" : PQresultErrorMessage(r);
    PQclear(r);
    // Another process may have created it at the same moment.
    if (!ok && err.find("already exists") == std::string::npos) {
      PQfinish(conn);
      throw std::runtime_error("cannot create database " + options_.database + ": " + err);
    }
  }
  PQfinish(conn);
}

void EmbeddedPostgres::stop() {
  if (!child_.valid()) return;
  child_.stop(SIGINT, std::chrono::seconds(30));
}

std::string EmbeddedPostgres::exit_reason() const {
  if (auto st = child_.exit_status()) return util::describe_wait_status(*st);
  return "is running";
}

std::string EmbeddedPostgres::log_tail(size_t lines) const {
  std::ifstream in(log_path_);
  std::deque<std::string> tail;
  std::string line;
  while (std::getline(in, line)) {
    tail.push_back(line);
    if (tail.size() > lines) tail.pop_front();
  }
  std::string out;
  for (const auto& l : tail) out += "  " + l + "\n";
  return out;
}

}  // namespace mlgate::store
