// What scripts/bench fleet measures besides its own load: wrk runs (the BENCH line of
// tests/bench/webhooks/report.lua), serve's resident memory, threads and open descriptors from
// /proc, and the machine's load average, sampled in the background while the load runs.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace mlgate::bench {

struct WrkRun {
  long requests = 0, duration_us = 0, p50_us = 0, p99_us = 0;
  long connect = 0, read = 0, write = 0, timeout = 0;  // wrk's socket errors
  long status = 0;                                     // answers >= 400
  long unexpected = 0;  // answers whose status is not the expected one
  std::string first_unexpected;

  double rate() const { return duration_us > 0 ? requests / (duration_us / 1e6) : 0; }
  long errors() const { return connect + read + write + timeout; }
};

// wrk -t2 -c<connections> -d<seconds>s --latency --timeout <timeout>s -s <script> <url> [-- args]
WrkRun run_wrk(const std::string& script, const std::string& url, int connections, int seconds,
               int timeout_seconds, const std::vector<std::string>& script_args = {});

struct ProcSample {
  long rss_kib = 0;
  long threads = 0;
  long fds = 0;
};
ProcSample sample_process(pid_t pid);

// The 1-, 5- and 15-minute load averages, as /proc/loadavg writes them.
std::string loadavg();
double loadavg1();

// Samples serve's process and the load average every 500 ms while it lives; keeps the largest.
class Sampler {
 public:
  explicit Sampler(pid_t pid);
  ~Sampler();
  Sampler(const Sampler&) = delete;
  Sampler& operator=(const Sampler&) = delete;
  ProcSample peak() const;
  double peak_load1() const;

 private:
  pid_t pid_;
  std::atomic<bool> stop_{false};
  mutable std::mutex m_;
  ProcSample peak_;
  double peak_load1_ = 0;
  std::thread thread_;
};

}  // namespace mlgate::bench
