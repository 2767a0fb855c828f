#include "tests/bench/gate_api/cpu.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace mlgate::bench {
namespace {

struct ProcStat {
  pid_t ppid = 0;
  double cpu_seconds = 0;  // utime + stime
};

// /proc/<pid>/stat: fields after the command name (which may hold spaces) are read after its ')'.
bool read_stat(pid_t pid, ProcStat& out) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!std::getline(in, text)) return false;
  const auto close = text.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream rest(text.substr(close + 2));
  std::vector<std::string> f;
  for (std::string s; rest >> s && f.size() < 13;) f.push_back(s);
  if (f.size() < 13) return false;  // f[0] is field 3 (state): ppid f[1], utime f[11], stime f[12]
  static const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  out.ppid = static_cast<pid_t>(std::stol(f[1]));
  out.cpu_seconds = (std::stod(f[11]) + std::stod(f[12])) / ticks;
  return true;
}

double tree_cpu_seconds(pid_t root) {
  std::map<pid_t, ProcStat> all;
  for (const auto& e : std::filesystem::directory_iterator("/proc")) {
    const std::string name = e.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    ProcStat s;
    if (read_stat(static_cast<pid_t>(std::stol(name)), s)) all[std::stoi(name)] = s;
  }
  double total = 0;
  for (const auto& [pid, s] : all) {
    for (pid_t p = pid; p > 1;) {
      if (p == root) {
        total += s.cpu_seconds;
        break;
      }
      auto it = all.find(p);
      if (it == all.end()) break;
      p = it->second.ppid;
    }
  }
  return total;
}

}  // namespace

CpuSnapshot cpu_snapshot(pid_t serve, pqxx::connection& db) {
  CpuSnapshot out;
  out.serve_seconds = tree_cpu_seconds(serve);
  pqxx::nontransaction tx(db);
  for (const auto& r :
       tx.exec("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
               "AND pid <> pg_backend_pid()")) {
    ProcStat s;
    const auto pid = r[0].as<pid_t>();
    if (read_stat(pid, s)) out.backends[pid] = s.cpu_seconds;
  }
  return out;
}

CpuUsed cpu_used(const CpuSnapshot& before, const CpuSnapshot& after) {
  CpuUsed out;
  out.serve_seconds = after.serve_seconds - before.serve_seconds;
  for (const auto& [pid, seconds] : after.backends) {
    auto it = before.backends.find(pid);
    out.postgres_seconds += seconds - (it == before.backends.end() ? 0 : it->second);
  }
  return out;
}

}  // namespace mlgate::bench
