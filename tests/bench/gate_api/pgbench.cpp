#include "tests/bench/gate_api/pgbench.h"

#include <sys/wait.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <regex>
#include <thread>
#include <vector>

#include "store/embedded_postgres.h"
#include "tests/bench/gate_api/common.h"
#include "tests/support/pg_cluster.h"
#include "util/child_process.h"

namespace mlgate::bench {
namespace {

// pgbench of the PostgreSQL installation the cluster runs on, else the one on PATH.
std::string pgbench_path() {
  try {
    std::filesystem::path p = store::find_postgres_bindir() / "pgbench";
    if (std::filesystem::exists(p)) return p.string();
  } catch (const std::exception&) {
  }
  return "pgbench";
}

std::string run(const std::vector<std::string>& argv, bool verbose) {
  std::string out;
  const int st = util::run_capture(argv, out);
  if (verbose) std::cerr << out;
  if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0))
    throw std::runtime_error(argv[0] + " " + argv[1] + " " + util::describe_wait_status(st) +
                             ":\n" + out);
  return out;
}

}  // namespace

Pgbench::Pgbench(bool verbose) : verbose_(verbose) {
  conninfo_ = testing::PgCluster::instance().create_empty_database("pgbench");
  progress("pgbench -i -s 1 (a database of its own on the same PostgreSQL cluster)");
  // The database argument of pgbench may be a whole conninfo.
  run({pgbench_path(), "-i", "-q", "-s", "1", conninfo_}, verbose_);
}

Pgbench::~Pgbench() {
  try {
    testing::PgCluster::instance().drop_database(conninfo_);
  } catch (const std::exception& e) {
    std::cerr << "bench_gate_api: could not drop the pgbench database: " << e.what() << "\n";
  }
}

double Pgbench::select_only_tps(int clients, int seconds) {
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  const std::string out = run({pgbench_path(), "-S", "-n", "-c", std::to_string(clients), "-j",
                               std::to_string(std::min(static_cast<unsigned>(clients), cores)),
                               "-T", std::to_string(seconds), conninfo_},
                              verbose_);
  static const std::regex without(R"(tps = ([0-9.]+) \(without initial connection time\))");
  static const std::regex any(R"(tps = ([0-9.]+))");
  std::smatch m;
  if (std::regex_search(out, m, without) || std::regex_search(out, m, any)) return std::stod(m[1]);
  throw std::runtime_error("pgbench printed no tps:\n" + out);
}

}  // namespace mlgate::bench
