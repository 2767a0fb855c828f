// The HTTP application: the HTTP server (server/http/async_server.h), the database, the services,
// the routes of each room registered with the services they use, and the background workers. App
// only wires them (docs/architecture.md, "The rooms of server/").
#pragma once

#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "server/api/routes.h"
#include "server/http/async_server.h"
#include "server/http/auth.h"
#include "server/http/http_util.h"
#include "server/http/router.h"
#include "server/services/planner.h"
#include "server/workers/forge_feedback.h"
#include "server/workers/monitors.h"
#include "server/workers/rollouts.h"
#include "server/workers/scheduler.h"
#include "store/database.h"
#include "store/deliveries.h"
#include "store/migrations.h"
#include "store/retention.h"
#include "util/periodic_worker.h"

namespace mlgate::server {

struct AppConfig {
  HttpTuning http;
  std::filesystem::path data_dir;
  bool public_read = false;
  // Adds GET /debug/sleep?ms=N, used by the graceful-shutdown test. Never on in production.
  bool test_endpoints = false;
  size_t webhook_max_bytes = 25u << 20;  // larger deliveries get 413
  std::uint64_t spool_max_bytes = 1ull << 30;
  int delivery_retention_days = 14;
  int observation_retention_days = 90;  // serving observations' windows (0: for ever)
  // What deliveries whose signature was not verified may keep, overall and per repository.
  store::UnverifiedBound unverified_deliveries;
  store::RetentionPolicy retention;  // pipelines, logs, gate decisions: kept for ever by default
  PlannerOptions planner;
  RunnerProtocolConfig runners;
  ObservationConfig observations;  // serving observations' limits (docs/observations.md)
  // The nightly scheduler (docs/schedules.md); tests inject its clock.
  SchedulerOptions scheduler;
  // Commit statuses and protection-rule answers (docs/forge-feedback.md). An empty public_url
  // becomes http://<listen address> once bound.
  ForgeFeedbackOptions forge;
  // Production monitors (docs/monitoring.md): how often they are looked at; tests inject a clock.
  MonitorWorkerOptions monitors;
  // Staged rollouts (docs/rollouts.md): how often running rollouts are looked at.
  RolloutWorkerOptions rollouts;
};

class ForgeFeedback;
class GateService;
class Intake;
class JobWakeup;
class Spool;
class Maintenance;

class App {
 public:
  App(AppConfig config, store::Database& db,
      const std::vector<store::Migration>& migrations = store::embedded_migrations());
  ~App();
  App(const App&) = delete;
  App& operator=(const App&) = delete;

  // Starts the planner workers and the maintenance loop (spool drain, pending deliveries,
  // retention). Stopped by stop_background() or the destructor.
  void start_background();
  void stop_background();
  // One pass of the maintenance loop (tests call it directly).
  void maintenance_tick();
  // The authorizer every route and page asks (server/http/auth.h).
  const Authorizer& authorizer() const { return *auth_; }

  // Binds the listening socket; returns the bound port (useful with port 0).
  int bind(const ListenAddress& address);
  // Serves until stop(); in-flight requests finish before it returns.
  void run();
  // Stops accepting; parked long polls answer 204 now, requests under way finish.
  void stop();

  // Every route registered, in order (server/http/router.h).
  const std::vector<RouteEntry>& routes() const { return router_.routes(); }
  store::Database& db() { return db_; }
  const AppConfig& config() const { return config_; }
  const std::vector<store::Migration>& migrations() const { return migrations_; }
  Intake& intake() { return *intake_; }
  Planner& planner() { return *planner_; }
  Spool& spool() { return *spool_; }
  vcs::MirrorCache& mirrors() { return *mirrors_; }
  JobWakeup& job_wakeup() { return *wakeup_; }
  ChangeFeed& changes() { return *changes_; }
  Scheduler& scheduler() { return *scheduler_; }
  MonitorWorker& monitors() { return *monitors_; }
  RolloutWorker& rollouts() { return *rollouts_; }
  GateService& gate() { return *gate_; }
  ForgeFeedback& forge_feedback() { return *feedback_; }

 private:
  void register_routes();
  ServerHooks hooks();
  AppConfig config_;
  store::Database& db_;
  const std::vector<store::Migration>& migrations_;
  std::unique_ptr<vcs::MirrorCache> mirrors_;
  std::unique_ptr<Spool> spool_;
  std::unique_ptr<Planner> planner_;
  std::unique_ptr<ChangeFeed> changes_;  // before its users: destroyed after them
  std::unique_ptr<Authorizer> auth_;     // before intake_, which reads its repository rows
  std::unique_ptr<Intake> intake_;
  std::unique_ptr<JobWakeup> wakeup_;
  std::unique_ptr<ChangeNotices> notices_;
  std::unique_ptr<Scheduler> scheduler_;
  std::unique_ptr<MonitorWorker> monitors_;
  std::unique_ptr<RolloutWorker> rollouts_;
  std::unique_ptr<GateService> gate_;
  std::unique_ptr<ForgeFeedback> feedback_;
  Router router_;
  std::unique_ptr<AsyncServer> http_;
  std::unique_ptr<Maintenance> maintenance_;
};

}  // namespace mlgate::server
