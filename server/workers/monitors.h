// Production monitors at work (docs/monitoring.md, "Alerts, retraining and status"). Every
// period, for each environment with a current deployment: the `monitors:` entry of the deployed
// commit's config, when due (`every` since its last evaluation, or the deployed commit changed),
// is evaluated (core/monitor_eval.h) on the window of observations, the windows before it, the
// commit's reference profile and the window's predictions with truth (store/observations.h), and
// recorded (store/monitors.h). On a change of state: a notification (monitor.alerting /
// monitor.ok, with `notify` in on_alert), and the commit status mlgate/monitor/<env> on the
// deployed commit (repos with a forge token). While alerting with `retrain` in on_alert: the
// training tier at the head of the default branch, trigger `monitor`, MLGATE_TRIGGER_REASON in its
// jobs' environment, at most once per retrain_every (store::claim_monitor_retrain), audited. One
// evaluator at a time per (repo, environment), on any number of replicas (an advisory lock).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/config.h"
#include "core/monitor_eval.h"
#include "server/services/planner.h"
#include "server/workers/forge_feedback.h"
#include "store/database.h"
#include "store/monitors.h"
#include "util/periodic_worker.h"
#include "vcs/mirror.h"

namespace mlgate::server {

struct MonitorWorkerOptions {
  bool enabled = true;
  std::chrono::milliseconds period{30000};  // serve --monitor-period
  // The current time, seconds since the epoch. Empty: the system clock.
  std::function<double()> clock;
};

// One evaluation a tick made.
struct MonitorRun {
  std::int64_t repo_id = 0;
  std::string environment;
  std::string sha;
  core::MonitorState state = core::MonitorState::ok;
  bool changed = false;
  std::optional<std::int64_t> retrain_pipeline_id;
};

struct MonitorTickReport {
  std::vector<MonitorRun> evaluated;
  std::vector<std::string> problems;  // environments skipped, with why
  // Monitors retired ("<repo id> <environment>"): removed from the deployed commit's config, or
  // nothing deployed any more; their state rows are gone, their history stays.
  std::vector<std::string> retired;
};

class MonitorWorker {
 public:
  // `forge` (notification targets, the public URL, whether statuses are sent) is read at each
  // evaluation: the public URL is known once the server is bound.
  MonitorWorker(store::Database& db, vcs::MirrorCache& mirrors, PlannerOptions planner,
                const ForgeFeedbackOptions& forge, MonitorWorkerOptions options = {});
  ~MonitorWorker();
  MonitorWorker(const MonitorWorker&) = delete;
  MonitorWorker& operator=(const MonitorWorker&) = delete;

  void start();
  void stop();
  // Evaluates every monitor that is due now.
  MonitorTickReport tick();

 private:
  struct Target;
  std::chrono::milliseconds loop_tick();
  double now() const;
  // The deployed commit's monitor for the environment (the config read once per commit).
  std::optional<core::MonitorConfig> monitor_at(const store::RepoRow& repo, const std::string& sha,
                                                const std::string& environment);
  void evaluate(const store::DeployedEnvironment& env, double now, MonitorTickReport& report);
  void retire(const store::DeployedEnvironment& env, const std::optional<std::string>& sha,
              MonitorTickReport& report);
  void act_on(pqxx::work& tx, const Target& t, const core::MonitorEvaluation& e,
              const store::RecordedEvaluation& recorded, MonitorRun& run);
  std::optional<std::int64_t> retrain(pqxx::work& tx, const Target& t,
                                      const core::MonitorEvaluation& e);

  store::Database& db_;
  vcs::MirrorCache& mirrors_;
  PlannerOptions planner_;
  const ForgeFeedbackOptions& forge_;
  MonitorWorkerOptions options_;
  std::mutex configs_mu_;
  // (repo id, sha) -> the commit's monitors; a commit's config does not change.
  std::map<std::pair<std::int64_t, std::string>, std::vector<core::MonitorConfig>> configs_;
  util::PeriodicWorker worker_{"monitors", [this] { return loop_tick(); }};
};

}  // namespace mlgate::server
