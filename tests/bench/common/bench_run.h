// What the benchmark programs share (tests/bench/runners, tests/bench/gate_api): the interrupt
// flag (SIGINT/SIGTERM/SIGHUP end a run through the normal path, so that destructors stop serve,
// runners, docker and the clusters they started), progress lines on stderr, integer arguments, and
// registering the benchmark's repository on a running server.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
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

// "==> s" in bold on stderr.
void progress(const std::string& s);

// v as an integer in [lo, hi]; nullopt when it is not one.
std::optional<int> int_in(const std::string& v, int lo, int hi);

// main() of a benchmark: blocks the stop signals in every thread but one, which sets
// g_interrupted; runs `run`; 130 when interrupted, 1 with "<name>: FAIL: ..." on an exception.
int run_bench(const std::string& name, const std::function<int()>& run);

// Registers the GitHub repository `name` (clone_url, webhook secret) on the server at host with
// the admin token, and creates a runner registration token named runner_token_name; returns that
// token. Throws with the server's answer when either is refused.
std::string register_bench_repo(const std::string& host,
                                const std::vector<std::pair<std::string, std::string>>& admin,
                                const std::string& name, const std::string& clone_url,
                                const std::string& secret, const std::string& runner_token_name);

}  // namespace mlgate::bench
