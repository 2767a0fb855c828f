// The maintenance loop of every replica, once a second: drain the spool into PostgreSQL, expire
// lost runners' leases (their jobs are re-queued), enqueue deliveries still waiting to be planned,
// and hourly apply the retention of deliveries, pipelines, logs and gate decisions
// (docs/operations.md, "Retention") and compact and age serving observations (docs/observations.md).
// Every step is safe on several replicas at once.
#pragma once

#include <chrono>
#include <optional>

#include "server/services/intake.h"
#include "server/services/planner.h"
#include "server/services/spool.h"
#include "store/database.h"
#include "store/retention.h"
#include "util/periodic_worker.h"

namespace mlgate::server {

struct MaintenanceOptions {
  int delivery_retention_days = 14;
  store::RetentionPolicy retention;
  int observation_retention_days = 90;  // 0 keeps observation windows for ever
};

class Maintenance {
 public:
  Maintenance(store::Database& db, Spool& spool, Intake& intake, Planner& planner,
              MaintenanceOptions options);
  Maintenance(const Maintenance&) = delete;
  Maintenance& operator=(const Maintenance&) = delete;

  void start() { worker_.start(); }
  void stop() { worker_.stop(); }
  // One pass (tests call it directly).
  void tick();

 private:
  using Clock = std::chrono::steady_clock;
  void expire_leases();
  void apply_retention();
  void maintain_observations();

  store::Database& db_;
  Spool& spool_;
  Intake& intake_;
  Planner& planner_;
  MaintenanceOptions options_;
  // Empty until the first run: the first tick does everything (the steady clock counts from boot,
  // so a zero time point would hold retention back for an hour after a boot).
  std::optional<Clock::time_point> last_pending_sweep_;
  std::optional<Clock::time_point> last_retention_;
  std::optional<Clock::time_point> last_lease_sweep_;
  util::PeriodicWorker worker_{"maintenance", [this] {
                                 tick();
                                 return std::chrono::milliseconds(1000);
                               }};
};

}  // namespace mlgate::server
