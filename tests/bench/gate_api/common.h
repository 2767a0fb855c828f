// What every part of bench_gate_api shares: its options, and (tests/bench/common/bench_run.h) the
// interrupt flag and progress lines of every benchmark.
#pragma once

#include <vector>

#include "tests/bench/common/bench_run.h"

namespace mlgate::bench {

struct Options {
  std::vector<int> concurrency = {1, 4, 16};
  int seconds = 5;         // each measured run: pgbench, /healthz, gate hits, gate misses
  int candidates = 800;    // candidate commits with a stored pipeline, for the uncached runs
  int predictions = 3000;  // predictions.jsonl lines of each commit
  bool verbose = false;
};

Options parse_options(int argc, char** argv);

}  // namespace mlgate::bench
