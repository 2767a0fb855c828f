// What every part of bench_gate_api shares: the interrupt flag (SIGINT/SIGTERM/SIGHUP end the run
// through the normal path, so that destructors stop serve, the runner and the cluster), progress
// lines on stderr, and the options.
#pragma once

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <vector>

namespace mlgate::bench {

inline std::atomic<bool> g_interrupted{false};

struct Interrupted : std::runtime_error {
  Interrupted() : std::runtime_error("interrupted") {}
};

inline void check_interrupted() {
  if (g_interrupted) throw Interrupted();
}

// Sleeps in small steps so that a signal ends the wait at once.
void nap(std::chrono::milliseconds d);

void progress(const std::string& s);

struct Options {
  std::vector<int> concurrency = {1, 4, 16};
  int seconds = 5;         // each measured run: pgbench, /healthz, gate hits, gate misses
  int candidates = 800;    // candidate commits with a stored pipeline, for the uncached runs
  int predictions = 3000;  // predictions.jsonl lines of each commit
  bool verbose = false;
};

Options parse_options(int argc, char** argv);

}  // namespace mlgate::bench
