// Wakes long-polling runners the moment a job becomes claimable: one thread per server holds a
// dedicated connection that LISTENs on the jobs channel (store::kJobsChannel), and every NOTIFY —
// from this replica or any other — bumps a generation. The HTTP server subscribes (on_change) and
// wakes the claims it parked (server/http/router.h, Park). When the listener loses its connection
// it reconnects, and while it is down (listening() false) parked claims re-check the queue every
// few seconds, so a missed notification delays a claim, never loses a job.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
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
  // Tells the subscriber now (after this process made a job claimable, before its NOTIFY arrives).
  void bump();
  // True once stop() was called: waiting claims answer "no job" at once so shutdown is quick.
  bool stopping();
  // `fn` is called with the new generation after every change, on the thread that made it (the
  // listener, or a request's); it must be quick and thread-safe. One subscriber; empty: none.
  void on_change(std::function<void(std::uint64_t)> fn);
  // True while the LISTEN session is up; while false, waiters look at the queue on their own.
  bool listening();

 private:
  // One LISTEN session: until the connection fails (then the worker retries a second later) or
  // stop().
  std::chrono::milliseconds listen();
  void set_listening(bool on);

  store::Database& db_;
  std::mutex mu_;
  std::uint64_t generation_ = 0;
  bool stop_ = false;
  bool listening_ = false;
  std::function<void(std::uint64_t)> subscriber_;
  bool logged_failure_ = false;  // a lost connection is logged once until it is back
  util::PeriodicWorker worker_{"job listener", [this] { return listen(); }};
};

}  // namespace mlgate::server
