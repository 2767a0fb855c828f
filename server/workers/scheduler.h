// The nightly scheduler (docs/schedules.md). Once a minute, on the leader replica
// only (the one whose dedicated session holds a PostgreSQL advisory lock; when that session ends,
// another replica takes the lock at its next tick), for each repository: fetch the default branch
// head through the mirror, read the config there, and for each tier with a `schedule` fire the
// most recent scheduled minute when it is due (core/schedule.h): a row in `schedules` (UNIQUE
// (repo, tier, scheduled_for): a double fire is impossible, also across replicas) and a pipeline
// with trigger `schedule` running the due tiers and what they need, at that head.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <thread>
#include <vector>

#include "server/services/planner.h"
#include "store/database.h"
#include "util/periodic_worker.h"
#include "vcs/mirror.h"

namespace mlgate::server {

// pg_try_advisory_lock key of the scheduler's leader: "mlgsched" in ASCII.
inline constexpr std::int64_t kSchedulerLockKey = 0x6d6c677363686564LL;

struct SchedulerOptions {
  bool enabled = true;
  // The current time (UTC). Empty: the system clock. Tests inject their own.
  std::function<std::chrono::system_clock::time_point()> clock;
  std::int64_t leader_lock_key = kSchedulerLockKey;
};

// One scheduled run that fired.
struct ScheduledRun {
  std::int64_t repo_id = 0;
  std::string repo;  // full name
  std::string tier;
  std::chrono::sys_seconds scheduled_for;
  std::string sha;
  std::int64_t pipeline_id = 0;
};

// What one tick did.
struct TickReport {
  bool leader = false;              // this instance held the lock during the tick
  std::vector<ScheduledRun> fired;  // in repo, tier order
  // Repositories skipped this tick, with why (unreachable remote, invalid config...).
  std::vector<std::string> problems;
};

class Scheduler {
 public:
  Scheduler(store::Database& db, vcs::MirrorCache& mirrors, PlannerOptions planner,
            SchedulerOptions options = {});
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // A thread that ticks now, then at the start of every minute, until stop(). No-op when disabled.
  void start();
  // Stops the thread and ends the leader session (another replica takes over).
  void stop();

  // Takes (or checks) leadership; when leader, fire_due(now).
  TickReport tick();
  // The leader's work at `now`, without the leadership check. Safe to run on several instances
  // at once: the unique key lets one of them fire each scheduled minute.
  TickReport fire_due(std::chrono::sys_seconds now);

  // Whether the last tick held the lock (the session may have ended since).
  bool leader();
  // Ends the leader session now, releasing the lock.
  void resign();

  std::chrono::sys_seconds now() const;

 private:
  bool hold_leadership();
  void fire_repo(std::int64_t repo_id, std::chrono::sys_seconds now, TickReport& report);
  // One pass of the loop: tick() with its problems logged; returns the wait until the start of
  // the next minute.
  std::chrono::milliseconds loop_tick();

  store::Database& db_;
  vcs::MirrorCache& mirrors_;
  PlannerOptions planner_;
  SchedulerOptions options_;

  std::mutex tick_mu_;  // one tick at a time per instance; guards the leader session
  std::unique_ptr<pqxx::connection> leader_conn_;
  bool leader_ = false;

  std::atomic<bool> stop_requested_{false};  // ends a tick between repositories
  util::PeriodicWorker worker_{"scheduler", [this] { return loop_tick(); }};
};

}  // namespace mlgate::server
