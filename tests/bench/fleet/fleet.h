// What the parts of bench_fleet share: its options, the figures of one measured phase, the check
// of the jobs queued for the parked polls, and the report (report.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tests/bench/common/bench_run.h"
#include "tests/bench/fleet/fleet_load.h"
#include "tests/bench/fleet/probes.h"
#include "tests/bench/gate_api/load.h"

namespace mlgate::bench {

struct FleetOptions {
  int seconds = 10;  // each measured run
  int runners = 250;
  int polls_per_runner = 4;
  int drips = 1000;
  int drip_ms = 2000;
  int jobs = 50;
  int jobs_wait = 90;  // seconds the parked polls get to claim and finish the jobs
  int clients = 16;    // wrk connections and gate clients
  int predictions = 1000;
  int http_threads = 0;  // 0: serve's default
  bool verbose = false;

  int slots() const { return runners * polls_per_runner; }
};

FleetOptions parse_options(int argc, char** argv);

// One measured phase: without the load, or under it.
struct Phase {
  WrkRun healthz, webhooks;
  LoadRun gate;
  ProcSample serve;  // at the start of the phase
  std::string load;  // load average at its end
};

// The jobs queued for the parked polls under the load.
struct JobsCheck {
  int queued = 0;
  std::vector<std::int64_t> ids;
  double seconds = 0;  // until all had passed, or the wait ran out
  long passed = 0;     // jobs
  long attempts = 0, passed_attempts = 0;
  long extra_attempts = 0;  // attempts beyond the first, over all jobs
  long max_passed = 0;      // the most passed attempts of one job
};

struct Result {
  std::string load_before, load_during;
  Phase unloaded, loaded;
  FleetStats at_start;  // when the loaded measurements began
  FleetStats fleet;     // when the load stopped
  JobsCheck jobs;
  ProcSample loaded_end, after_stop, peak;
  double peak_load1 = 0;
  double load_seconds = 0;  // from starting the load to stopping it
};

void report(const FleetOptions& o, const Result& r);
// Appends what is functionally wrong (never a wall-clock figure) to failures.
void verdict(const FleetOptions& o, const Result& r, std::vector<std::string>& failures);

}  // namespace mlgate::bench
