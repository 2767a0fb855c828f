// Wakes long-polling runners the moment a job becomes claimable: one thread per server holds a
// dedicated connection that LISTENs on the jobs channel (store::kJobsChannel), and every NOTIFY —
// from this replica or any other — bumps a generation that waiting claims watch. When the listener
// loses its connection it reconnects, and waiters fall back to re-checking the queue every few
// seconds, so a missed notification delays a claim, never loses a job.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

#include "store/database.h"
#include "util/periodic_worker.h"

namespace mlgate::server {

class JobWakeup {
 public:
  explicit JobWakeup(store::Database& db);
  ~JobWakeup();
  JobWakeup(const JobWakeup&) = delete;
  JobWakeup& operator=(const JobWakeup&) = delete;

  void start();
  void stop();

  std::uint64_t generation();
  // Waits until the generation differs from `seen`, the deadline passes, or stop(); returns the
  // generation then.
  std::uint64_t wait_for_change(std::uint64_t seen, std::chrono::steady_clock::time_point deadline);
  // Wakes every waiter now (after this process made a job claimable, before its NOTIFY arrives).
  void bump();
  // True once stop() was called: waiting claims answer "no job" at once so shutdown is quick.
  bool stopping();

 private:
  // One LISTEN session: until the connection fails (then the worker retries a second later) or
  // stop().
  std::chrono::milliseconds listen();

  store::Database& db_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::uint64_t generation_ = 0;
  bool stop_ = false;
  bool logged_failure_ = false;  // a lost connection is logged once until it is back
  util::PeriodicWorker worker_{"job listener", [this] { return listen(); }};
};

}  // namespace mlgate::server
