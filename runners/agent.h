// The runner agent (`mlgate runner`): registers once (keeping its id and credential in
// <work_dir>/runner.json so that a restart is the same runner), removes the containers and
// re-queues the jobs an earlier life of it left behind, then runs `capacity` claim loops. Each
// claimed attempt is checked out into a fresh workspace, run by the executor with its lease
// heartbeated, its log streamed (capped) and its cancel polled, its results uploaded, and
// finished; the workspace is removed afterwards. SIGTERM/SIGINT: no new claims; running attempts
// are stopped and handed back to the queue, so nothing is lost.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "runners/docker_executor.h"
#include "runners/local_executor.h"

namespace mlgate::runners {

struct AgentOptions {
  std::string server_url;
  std::string registration_token;  // only needed for the first start (no runner.json yet)
  std::string name;
  std::vector<std::string> tiers = {"functionality", "validation", "training"};
  int capacity = 1;
  std::string executor = "docker";  // docker | local
  std::filesystem::path work_dir;   // mirrors, workspaces, runner.json
  std::size_t log_max_bytes = std::size_t{4} << 20;
  int claim_wait_seconds = 30;
  // How often a running attempt asks whether it was cancelled (a heartbeat every
  // heartbeat_seconds extends the lease; this cheaper read makes a cancel land within seconds).
  std::chrono::milliseconds cancel_poll{2000};
  std::chrono::milliseconds log_flush{500};
  // Stop after this many finished attempts (0: never); for tests and one-shot CI runners.
  long max_jobs = 0;
  DockerOptions docker;
  LocalOptions local;
  std::string version;
};

// Runs until `stop` turns true (or max_jobs); returns the process exit code. Prints a clear message
// and returns 2 when it cannot start (Docker missing without --executor local, no registration
// token, server refuses the credential).
int run_agent(AgentOptions options, const std::atomic<bool>& stop);

}  // namespace mlgate::runners
