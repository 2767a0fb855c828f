#include "server/workers/maintenance.h"

#include "server/http/json_log.h"
#include "server/http/metrics.h"
#include "store/deliveries.h"
#include "store/job_queue.h"
#include "store/observations.h"

namespace mlgate::server {

Maintenance::Maintenance(store::Database& db, Spool& spool, Intake& intake, Planner& planner,
                         MaintenanceOptions options)
    : db_(db), spool_(spool), intake_(intake), planner_(planner), options_(std::move(options)) {}

void Maintenance::expire_leases() {
  std::vector<JobEnd> lost;
  auto expired = db_.with([&](pqxx::connection& c) {
    pqxx::work tx(c);
    auto n = store::expire_leases(tx);
    if (n) lost = jobs_lost_in_this_transaction(tx);
    tx.commit();
    return n;
  });
  observe_job_ends(lost);
  if (expired) log_event(spdlog::level::warn, "job leases expired", {{"jobs", expired}});
}

// Merges finished windows' partial profiles and deletes windows past their retention, in batches.
void Maintenance::maintain_observations() {
  std::int64_t compacted = 0, deleted = 0;
  for (std::int64_t n = 1; n > 0;) {
    n = db_.with([&](pqxx::connection& c) {
      pqxx::work tx(c);
      auto done = store::compact_observation_windows(tx, 100);
      tx.commit();
      return done;
    });
    compacted += n;
  }
  for (std::int64_t n = 1; n > 0;) {
    n = db_.with([&](pqxx::connection& c) {
      pqxx::work tx(c);
      auto done = store::delete_old_observations(tx, options_.observation_retention_days, 1000);
      tx.commit();
      return done;
    });
    deleted += n;
  }
  if (compacted || deleted)
    log_event(spdlog::level::info, "observations maintained",
              {{"windows_compacted", compacted}, {"rows_deleted", deleted}});
}

void Maintenance::apply_retention() {
  maintain_observations();
  auto deleted = db_.with([&](pqxx::connection& c) {
    pqxx::work tx(c);
    auto n = store::delete_old_deliveries(tx, options_.delivery_retention_days);
    tx.commit();
    return n;
  });
  if (deleted) log_event(spdlog::level::info, "old deliveries deleted", {{"count", deleted}});
  auto aged = store::apply_retention(db_, options_.retention);
  if (aged.any()) {
    log_event(spdlog::level::info, "retention applied",
              {{"pipelines_deleted", aged.pipelines},
               {"jobs_logs_deleted", aged.jobs_emptied},
               {"gate_decisions_deleted", aged.gate_decisions}});
  }
}

void Maintenance::tick() {
  const auto now = Clock::now();
  try {
    if (spool_.has_pending()) {
      size_t n = intake_.drain_spool();
      if (n) log_event(spdlog::level::info, "spool drained", {{"deliveries", n}});
    }
    if (!last_lease_sweep_ || now - *last_lease_sweep_ >= std::chrono::seconds(1)) {
      expire_leases();
      last_lease_sweep_ = now;
    }
    if (!last_pending_sweep_ || now - *last_pending_sweep_ > std::chrono::seconds(10)) {
      planner_.enqueue_pending();
      last_pending_sweep_ = now;
    }
    if (!last_retention_ || now - *last_retention_ > std::chrono::hours(1)) {
      apply_retention();
      last_retention_ = now;
    }
  } catch (const store::DatabaseUnavailable&) {
    // Next tick; deliveries keep going to the spool meanwhile.
  } catch (const pqxx::broken_connection&) {
  } catch (const std::exception& e) {
    log_event(spdlog::level::err, "maintenance failed", {{"error", e.what()}});
  }
}

}  // namespace mlgate::server
