// The HTTP application: one cpp-httplib server, the database, and the routes registered on it.
// Routes live in one file per area (routes_health.cpp, ...); App only wires them.
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

#include "server/forge_feedback.h"
#include "server/http_util.h"
#include "server/planner.h"
#include "server/scheduler.h"
#include "store/database.h"
#include "store/migrations.h"
#include "store/retention.h"
#include "util/periodic_worker.h"

namespace mlgate::server {

// The runner protocol's timing and limits (docs/runners.md).
struct RunnerProtocolConfig {
  int lease_seconds = 60;      // a claim or heartbeat holds the job this long
  int heartbeat_seconds = 20;  // runners are told to heartbeat this often
  int max_claim_wait_seconds = 30;
  std::int64_t log_max_bytes = 8 << 20;  // the server's ceiling per attempt (runners cap at 4 MiB)
  std::size_t junit_max_bytes = std::size_t{16} << 20;
  std::size_t metrics_max_bytes = std::size_t{4} << 20;
  std::size_t predictions_max_bytes = std::size_t{64} << 20;
  // Limits a job gets when its tier sets none (sent with every claim; a tier's own value wins).
  double default_cpus = 2.0;
  std::int64_t default_memory_bytes = std::int64_t{4} << 30;
  std::int64_t default_pids = 1024;
};

struct AppConfig {
  HttpTuning http;
  std::filesystem::path data_dir;
  bool public_read = false;
  // Adds GET /debug/sleep?ms=N, used by the graceful-shutdown test. Never on in production.
  bool test_endpoints = false;
  size_t webhook_max_bytes = 25u << 20;  // larger deliveries get 413
  std::uint64_t spool_max_bytes = 1ull << 30;
  int delivery_retention_days = 14;
  store::RetentionPolicy retention;  // pipelines, logs, gate decisions: kept for ever by default
  PlannerOptions planner;
  RunnerProtocolConfig runners;
  // The nightly scheduler (docs/schedules.md); tests inject its clock.
  SchedulerOptions scheduler;
  // Commit statuses and protection-rule answers (docs/forge-feedback.md). An empty public_url
  // becomes http://<listen address> once bound.
  ForgeFeedbackOptions forge;
};

class ForgeFeedback;
class GateService;
class Intake;
class JobWakeup;
class Spool;

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

  // Binds the listening socket; returns the bound port (useful with port 0).
  int bind(const ListenAddress& address);
  // Serves until stop(); in-flight requests finish before it returns.
  void run();
  void stop();

  httplib::Server& http() { return http_; }
  store::Database& db() { return db_; }
  const AppConfig& config() const { return config_; }
  const std::vector<store::Migration>& migrations() const { return migrations_; }
  Intake& intake() { return *intake_; }
  Planner& planner() { return *planner_; }
  Spool& spool() { return *spool_; }
  vcs::MirrorCache& mirrors() { return *mirrors_; }
  JobWakeup& job_wakeup() { return *wakeup_; }
  Scheduler& scheduler() { return *scheduler_; }
  GateService& gate() { return *gate_; }
  ForgeFeedback& forge_feedback() { return *feedback_; }

 private:
  AppConfig config_;
  store::Database& db_;
  const std::vector<store::Migration>& migrations_;
  std::unique_ptr<vcs::MirrorCache> mirrors_;
  std::unique_ptr<Spool> spool_;
  std::unique_ptr<Planner> planner_;
  std::unique_ptr<Intake> intake_;
  std::unique_ptr<JobWakeup> wakeup_;
  std::unique_ptr<Scheduler> scheduler_;
  std::unique_ptr<GateService> gate_;
  std::unique_ptr<ForgeFeedback> feedback_;
  httplib::Server http_;
  // maintenance_tick() every second.
  util::PeriodicWorker maintenance_{"maintenance", [this] {
                                      maintenance_tick();
                                      return std::chrono::milliseconds(1000);
                                    }};
  // Empty until the first run: the first maintenance tick does everything (the steady clock counts
  // from boot, so a zero time point would hold retention back for an hour after a boot).
  std::optional<std::chrono::steady_clock::time_point> last_pending_sweep_;
  std::optional<std::chrono::steady_clock::time_point> last_retention_;
  std::optional<std::chrono::steady_clock::time_point> last_lease_sweep_;
};

void register_health_routes(App& app);
void register_webhook_routes(App& app);
void register_repo_routes(App& app);
void register_runner_routes(App& app);
void register_job_routes(App& app);
void register_gate_routes(App& app);
void register_trigger_routes(App& app);
void register_metrics_routes(App& app);
void register_badge_routes(App& app);
void register_status_routes(App& app);
void register_token_routes(App& app);
void register_page_routes(App& app);  // status pages (server/routes_pages.cpp)

}  // namespace mlgate::server
