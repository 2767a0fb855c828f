#include "tests/support/pg_node.h"

#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <deque>
#include <fstream>
#include <pqxx/pqxx>
#include <stdexcept>
#include <thread>

#include "store/embedded_postgres.h"
#include "tests/support/mlgate_process.h"

namespace mlgate::testing {
namespace fs = std::filesystem;

namespace {

constexpr auto kStartTimeout = std::chrono::seconds(60);

std::string joined(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) out += (out.empty() ? "" : " ") + a;
  return out;
}

}  // namespace

PgNode::PgNode(const std::string& name, std::vector<std::string> settings)
    : name_(name), settings_(std::move(settings)), dir_("mlgate-pgnode") {
  bindir_ = store::find_postgres_bindir();
  data_ = dir_.path() / "data";
  log_ = dir_.path() / "postgres.log";
  fs::create_directories(data_);
  std::ofstream(log_).flush();
  ::chmod(data_.c_str(), 0700);
  if (::geteuid() == 0) {
    // initdb and postgres refuse root: the cluster belongs to the postgres user, which must be
    // able to reach it through the (root-owned, mkdtemp 0700) temporary directory.
    passwd* pw = getpwnam("postgres");
    if (!pw) throw std::runtime_error("running as root and there is no postgres user");
    as_other_user_ = true;
    uid_ = pw->pw_uid;
    gid_ = pw->pw_gid;
    ::chmod(dir_.path().c_str(), 0711);
    if (::chown(data_.c_str(), uid_, gid_) != 0 || ::chown(log_.c_str(), uid_, gid_) != 0) {
      throw std::runtime_error("cannot give " + data_.string() + " to the postgres user");
    }
  }
}

std::unique_ptr<PgNode> PgNode::primary(const std::string& name,
                                        const std::vector<std::string>& settings) {
  std::unique_ptr<PgNode> node(new PgNode(name, settings));
  node->init_primary();
  node->start();
  return node;
}

std::unique_ptr<PgNode> PgNode::replica_of(const PgNode& primary, const std::string& name,
                                           const std::vector<std::string>& settings) {
  std::unique_ptr<PgNode> node(new PgNode(name, settings));
  node->base_backup_from(primary);
  node->start();
  return node;
}

PgNode::~PgNode() {
  if (!child_.valid() || !child_.running()) return;
  try {
    stop_immediate();
  } catch (const std::exception&) {
    child_.stop(SIGKILL, std::chrono::seconds(5));
  }
}

std::string PgNode::conninfo(const std::string& database) const {
  return "host=127.0.0.1 port=" + std::to_string(port_) + " user=mlgate dbname=" + database +
         " connect_timeout=5";
}

void PgNode::run_as_owner(const std::vector<std::string>& argv) const {
  util::ChildOptions opts;
  if (as_other_user_) {
    opts.uid = uid_;
    opts.gid = gid_;
  }
  opts.working_dir = data_.string();
  opts.env = {{"LC_ALL", "C"}, {"LANG", "C"}, {"PGAPPNAME", ""}};
  std::string output;
  const int status = util::run_capture(argv, output, opts);
  if (status != 0) {
    throw std::runtime_error(joined(argv) + " failed (" + util::describe_wait_status(status) +
                             "):\n" + output + "\nthe server's log ends:\n" + log_tail());
  }
}

void PgNode::init_primary() {
  run_as_owner({(bindir_ / "initdb").string(), "-D", data_.string(), "-U", "mlgate", "--auth=trust",
                "-E", "UTF8", "--no-locale", "--no-sync"});
}

void PgNode::base_backup_from(const PgNode& primary) {
  // -R writes standby.signal and a primary_conninfo made of these parameters: the replica connects
  // as `name_`, the name synchronous_standby_names knows it by.
  run_as_owner({(bindir_ / "pg_basebackup").string(), "-D", data_.string(), "-d",
                "host=127.0.0.1 port=" + std::to_string(primary.port()) +
                    " user=mlgate application_name=" + name_,
                "-R", "-X", "stream", "-c", "fast", "--no-sync"});
}

void PgNode::start() {
  port_ = free_port();
  std::vector<std::string> argv = {
      (bindir_ / "postgres").string(), "-D", data_.string(), "-c", "listen_addresses=127.0.0.1",
      "-c", "port=" + std::to_string(port_), "-c", "unix_socket_directories=" + data_.string(),
      "-c", "logging_collector=off", "-c", "cluster_name=" + name_,
      // The test kills processes, not the machine: what a commit
      // wrote is in the page cache, so fsync buys nothing here.
      "-c", "fsync=off"};
  for (const auto& s : settings_) {
    argv.push_back("-c");
    argv.push_back(s);
  }
  util::ChildOptions opts;
  if (as_other_user_) {
    opts.uid = uid_;
    opts.gid = gid_;
  }
  opts.working_dir = data_.string();
  opts.stdout_path = log_.string();
  opts.stderr_path = "=stdout";
  opts.env = {{"LC_ALL", "C"}, {"LANG", "C"}};
  opts.die_with_parent = true;
  opts.parent_death_signal = SIGQUIT;
  opts.destroy_signal = SIGQUIT;
  child_ = util::ChildProcess(argv, opts);
  wait_accepting(false);
}

void PgNode::wait_accepting(bool writable) const {
  const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
  while (std::chrono::steady_clock::now() < deadline) {
    try {
      if (PQping(conninfo().c_str()) == PQPING_OK && (!writable || !in_recovery())) return;
    } catch (const std::exception&) {
      // not yet: the next try
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  throw std::runtime_error("PostgreSQL " + name_ + " did not accept " +
                           (writable ? "writes" : "connections") + " in time; its log ends:\n" +
                           log_tail());
}

void PgNode::stop_immediate() {
  run_as_owner({(bindir_ / "pg_ctl").string(), "stop", "-D", data_.string(), "-m", "immediate",
                "-w", "-t", "30"});
  if (!child_.wait_for(std::chrono::seconds(30))) child_.stop(SIGKILL, std::chrono::seconds(5));
}

void PgNode::promote() {
  run_as_owner({(bindir_ / "pg_ctl").string(), "promote", "-D", data_.string(), "-w", "-t", "30"});
  wait_accepting(true);
}

bool PgNode::in_recovery() const {
  pqxx::connection c(conninfo());
  pqxx::nontransaction tx(c);
  return tx.exec1("SELECT pg_is_in_recovery()")[0].as<bool>();
}

std::string PgNode::log_tail(size_t lines) const {
  std::ifstream in(log_);
  std::deque<std::string> tail;
  for (std::string line; std::getline(in, line);) {
    tail.push_back(line);
    if (tail.size() > lines) tail.pop_front();
  }
  std::string out;
  for (const auto& l : tail) out += "  " + l + "\n";
  return out;
}

}  // namespace mlgate::testing
