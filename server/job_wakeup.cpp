#include "server/job_wakeup.h"

#include <pqxx/pqxx>

#include "server/json_log.h"
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
  thread_ = std::thread([this] { run(); });
}

void JobWakeup::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
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

void JobWakeup::run() {
  bool logged_failure = false;
  while (true) {
    {
      std::lock_guard lock(mu_);
      if (stop_) return;
    }
    try {
      auto conn = db_.connect_dedicated();
      Receiver receiver(*conn, *this);
      bump();  // anything that happened while not listening
      logged_failure = false;
      while (true) {
        {
          std::lock_guard lock(mu_);
          if (stop_) return;
        }
        conn->await_notification(0, 250'000);
      }
    } catch (const std::exception& e) {
      if (!logged_failure) {
        log_event(spdlog::level::warn, "job listener lost its connection; retrying",
                  {{"error", e.what()}});
        logged_failure = true;
      }
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, std::chrono::seconds(1), [&] { return stop_; });
    }
  }
}

}  // namespace mlgate::server
