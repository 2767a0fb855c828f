// Staged rollouts judged (docs/rollouts.md, "On the server"). Every period, for each running
// rollout whose analysis interval (`every`) has passed since its last judgement: the judge
// (core/online_judge.h) on the observations kept for the current stage (store/rollouts.h), the
// judgement recorded, and what it decides applied (server/services/rollout_actions.h): promote to
// the next stage or complete, pause and notify, or roll back to stable, audited and notified. One
// judge at a time per rollout, on any number of replicas (an advisory lock, and the interval
// checked again under it).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "core/online_judge.h"
#include "server/workers/forge_feedback.h"
#include "store/database.h"
#include "store/rollouts.h"
#include "util/periodic_worker.h"

namespace mlgate::server {

struct RolloutWorkerOptions {
  bool enabled = true;
  std::chrono::milliseconds period{5000};  // serve --rollout-period
};

// One judgement a tick made.
struct RolloutJudged {
  std::int64_t rollout_id = 0;
  core::StageDecision decision = core::StageDecision::no_data;
  bool changed = false;
};

struct RolloutTickReport {
  std::vector<RolloutJudged> judged;
  std::vector<std::string> problems;
};

class RolloutWorker {
 public:
  // `forge` (notification targets, the public URL, whether statuses are sent) is read at each
  // judgement: the public URL is known once the server is bound.
  RolloutWorker(store::Database& db, const ForgeFeedbackOptions& forge,
                RolloutWorkerOptions options = {});
  ~RolloutWorker();
  RolloutWorker(const RolloutWorker&) = delete;
  RolloutWorker& operator=(const RolloutWorker&) = delete;

  void start();
  void stop();
  // Judges every running rollout that is due now.
  RolloutTickReport tick();

 private:
  std::chrono::milliseconds loop_tick();
  void judge(const store::RolloutRow& rollout, RolloutTickReport& report);

  store::Database& db_;
  const ForgeFeedbackOptions& forge_;
  RolloutWorkerOptions options_;
  util::PeriodicWorker worker_{"rollouts", [this] { return loop_tick(); }};
};

}  // namespace mlgate::server
