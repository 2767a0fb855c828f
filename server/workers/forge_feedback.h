// Forge feedback (docs/forge-feedback.md): a background worker that turns
// pipeline changes into commit statuses (one per tier, one per gate environment, and
// mlgate/config for a commit whose config is unusable), answers GitHub deployment protection rules
// once the gate decides, and sends everything through forge_outbox with retries and backoff. Every
// replica runs one; PostgreSQL row locks keep them from doing the same work twice.
#pragma once

#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include "server/services/forge_requests.h"
#include "store/database.h"
#include "util/periodic_worker.h"

namespace mlgate::server {

class GateService;

struct ForgeFeedbackOptions {
  bool enabled = true;  // false: no commit statuses or protection answers; notifications still go
  // The server's address as people reach it: statuses link to <public_url>/pipelines/<id>.
  std::string public_url;
  RetryPolicy retry;
  std::chrono::milliseconds period{500};  // how often the worker looks for work
  int connect_timeout_seconds = 5;
  int read_timeout_seconds = 15;
  std::vector<std::string> notify_urls;  // notification targets of every repository
  std::string notify_secret;             // signs notifications when not empty
};

class ForgeFeedback {
 public:
  ForgeFeedback(store::Database& db, GateService& gate, ForgeFeedbackOptions options);
  ~ForgeFeedback();
  ForgeFeedback(const ForgeFeedback&) = delete;
  ForgeFeedback& operator=(const ForgeFeedback&) = delete;

  void start();
  void stop();
  // One pass: report due pipelines, answer due protection rules, send due requests. Returns how
  // many things it did (tests and the loop use it).
  int tick();

  void set_public_url(const std::string& url);

 private:
  std::string public_url();

  store::Database& db_;
  GateService& gate_;
  ForgeFeedbackOptions options_;
  std::chrono::milliseconds loop_tick();

  // Vacuums feedback_due once this worker has reported enough pipelines since its last vacuum
  // (store::vacuum_feedback_due says why).
  void vacuum_after(int reported);

  std::mutex mu_;         // guards options_.public_url
  std::mutex vacuum_mu_;  // guards the two below
  int reported_since_vacuum_ = 0;
  std::chrono::steady_clock::time_point last_vacuum_{};
  util::PeriodicWorker worker_{"forge feedback", [this] { return loop_tick(); }};
};

}  // namespace mlgate::server
