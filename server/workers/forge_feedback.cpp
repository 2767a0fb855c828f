#include "server/workers/forge_feedback.h"

#include "server/http/json_log.h"
#include "server/services/forge_reporter.h"
#include "server/services/forge_sender.h"
#include "store/feedback.h"

namespace mlgate::server {

ForgeFeedback::ForgeFeedback(store::Database& db, GateService& gate, ForgeFeedbackOptions options)
    : db_(db), gate_(gate), options_(std::move(options)) {}

ForgeFeedback::~ForgeFeedback() {
  stop();
}

void ForgeFeedback::set_public_url(const std::string& url) {
  std::lock_guard lock(mu_);
  options_.public_url = url;
  while (!options_.public_url.empty() && options_.public_url.back() == '/')
    options_.public_url.pop_back();
}

std::string ForgeFeedback::public_url() {
  std::lock_guard lock(mu_);
  return options_.public_url;
}

void ForgeFeedback::vacuum_after(int reported) {
  // At most every 2 s, after 1,000 reports: at 1,000 pipeline changes a second the lease reads
  // past at most a few thousand deleted rows, and a vacuum of the small table costs milliseconds.
  constexpr int kReportsPerVacuum = 1000;
  constexpr auto kVacuumEvery = std::chrono::seconds(2);
  std::lock_guard lock(vacuum_mu_);
  reported_since_vacuum_ += reported;
  const auto now = std::chrono::steady_clock::now();
  if (reported_since_vacuum_ < kReportsPerVacuum || now - last_vacuum_ < kVacuumEvery) return;
  db_.with([](pqxx::connection& c) { store::vacuum_feedback_due(c); });
  reported_since_vacuum_ = 0;
  last_vacuum_ = now;
}

int ForgeFeedback::tick() {
  const int reported =
      report_due_pipelines(db_, gate_, {public_url(), options_.notify_urls, options_.enabled});
  vacuum_after(reported);
  int done = reported;
  if (options_.enabled) done += answer_due_protection_rules(db_, gate_);
  SenderOptions sender{options_.retry, options_.connect_timeout_seconds,
                       options_.read_timeout_seconds, options_.notify_secret, options_.enabled};
  done += send_due_forge_requests(db_, sender);
  return done;
}

void ForgeFeedback::start() {
  worker_.start();
}

void ForgeFeedback::stop() {
  worker_.stop();
}

std::chrono::milliseconds ForgeFeedback::loop_tick() {
  int done = 0;
  try {
    done = tick();
  } catch (const store::DatabaseUnavailable&) {
    // PostgreSQL is down: /readyz says so; the work waits in the database.
  } catch (const std::exception& e) {
    log_event(spdlog::level::err, "forge feedback pass failed", {{"error", e.what()}});
  }
  // Busy: go on at once; idle: wait a period.
  return done == 0 ? options_.period : std::chrono::milliseconds::zero();
}

}  // namespace mlgate::server
