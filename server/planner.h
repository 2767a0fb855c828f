// The planner: turns accepted deliveries into pipelines, after the 202 was sent, in a small
// worker pool. Reads .mlgate.yml at the pushed commit through the mirror cache, validates it, and
// creates the pipeline and its jobs in one transaction (then NOTIFYs runners). A delivery whose
// planning did not finish (the process was killed) is still `pending` and is planned at the next
// start; the row lock taken while planning keeps two replicas from planning it twice.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/config.h"
#include "store/database.h"
#include "vcs/mirror.h"

namespace mlgate::server {

struct PlannerOptions {
  int workers = 2;
  // Server ceilings on the tiers' budgets (default: the design's 5 m / 1 h / 24 h). A config may
  // lower a budget; a server may lower the ceiling, which caps every job's timeout.
  core::ConfigLimits ceilings;
  std::string config_path = ".mlgate.yml";
};

struct PlanOutcome {
  std::string state;  // planned | failed | skipped (already planned, or locked by another planner)
  std::optional<std::int64_t> pipeline_id;
  std::string note;
};

class Planner {
 public:
  Planner(store::Database& db, vcs::MirrorCache& mirrors, PlannerOptions options = {});
  ~Planner();
  Planner(const Planner&) = delete;
  Planner& operator=(const Planner&) = delete;

  void start();
  void stop();
  // Queues a delivery row for planning.
  void enqueue(std::int64_t delivery_row_id);
  // Queues every pending delivery (at start, and periodically for crashed replicas' leftovers).
  void enqueue_pending();
  // Plans one delivery now, on the calling thread.
  PlanOutcome plan(std::int64_t delivery_row_id);
  // Blocks until the queue is empty and no worker is busy (tests, drain).
  void wait_idle();

 private:
  void work();

  store::Database& db_;
  vcs::MirrorCache& mirrors_;
  PlannerOptions options_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable idle_cv_;
  std::deque<std::int64_t> queue_;
  int busy_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

// The mirror key of a repo: "<forge>/<lowercased full name>".
std::string mirror_key(const std::string& forge, const std::string& full_name);

}  // namespace mlgate::server
