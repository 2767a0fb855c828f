// CPU time spent during a measured run, from /proc (Linux): serve's (the process and its
// descendants: MLGATE_BENCH_MLGATE may be a script that runs serve under a profiler) and that of
// the PostgreSQL backends connected to the benchmark's database (serve's pool), so that a run
// reports CPU per request beside its rate.
#pragma once

#include <sys/types.h>

#include <map>
#include <pqxx/pqxx>

namespace mlgate::bench {

struct CpuSnapshot {
  double serve_seconds = 0;
  std::map<pid_t, double> backends;  // pid -> CPU seconds so far
};

// `db` is the benchmark's own connection to serve's database (left out of the backends).
CpuSnapshot cpu_snapshot(pid_t serve, pqxx::connection& db);

struct CpuUsed {
  double serve_seconds = 0;
  double postgres_seconds = 0;  // backends present at the end (a backend gone meanwhile is lost)
};

CpuUsed cpu_used(const CpuSnapshot& before, const CpuSnapshot& after);

}  // namespace mlgate::bench
