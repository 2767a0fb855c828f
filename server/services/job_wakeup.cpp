#include "server/services/job_wakeup.h"

#include <pqxx/pqxx>

#include "server/http/json_log.h"
#include "store/pipelines.h"

namespace mlgate::server {
namespace {

class Receiver : public pqxx::notification_receiver {
 public:
  Receiver(pqxx::connection_base& c, JobWakeup& wakeup)
      : pqxx::notification_receiver(c, store::kJobsChannel), wakeup_(wakeup) {}
  void operator()(const std::string&, int) override { wakeup_.bump(); }

 private:
  JobWakeup& wakeup_;
};

}  // namespace

JobWakeup::JobWakeup(store::Database& db) : db_(db) {}

JobWakeup::~JobWakeup() {
  stop();
}

void JobWakeup::start() {
  {
    std::lock_guard lock(mu_);
    stop_ = false;
  }
  logged_failure_ = false;
  worker_.start();
}

void JobWakeup::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  worker_.stop();
}

std::uint64_t JobWakeup::generation() {
  std::lock_guard lock(mu_);
  return generation_;
}

std::uint64_t JobWakeup::wait_for_change(std::uint64_t seen,
                                         std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mu_);
  cv_.wait_until(lock, deadline, [&] { return stop_ || generation_ != seen; });
  return generation_;
}

bool JobWakeup::stopping() {
  std::lock_guard lock(mu_);
  return stop_;
}

void JobWakeup::bump() {
  {
    std::lock_guard lock(mu_);
    ++generation_;
  }
  cv_.notify_all();
}

std::chrono::milliseconds JobWakeup::listen() {
  if (stopping()) return std::chrono::milliseconds::zero();
  try {
    auto conn = db_.connect_dedicated();
    Receiver receiver(*conn, *this);
    bump();  // anything that happened while not listening
    logged_failure_ = false;
    while (true) {
      {
        std::lock_guard lock(mu_);
        if (stop_) return std::chrono::milliseconds::zero();
      }
      conn->await_notification(0, 250'000);
    }
  } catch (const std::exception& e) {
    if (!logged_failure_) {
      log_event(spdlog::level::warn, "job listener lost its connection; retrying",
                {{"error", e.what()}});
      logged_failure_ = true;
    }
    return std::chrono::seconds(1);
  }
}

}  // namespace mlgate::server
