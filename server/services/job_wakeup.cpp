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
  worker_.stop();
}

std::uint64_t JobWakeup::generation() {
  std::lock_guard lock(mu_);
  return generation_;
}

bool JobWakeup::stopping() {
  std::lock_guard lock(mu_);
  return stop_;
}

void JobWakeup::bump() {
  std::uint64_t now = 0;
  std::function<void(std::uint64_t)> subscriber;
  {
    std::lock_guard lock(mu_);
    now = ++generation_;
    subscriber = subscriber_;
  }
  if (subscriber) subscriber(now);
}

void JobWakeup::on_change(std::function<void(std::uint64_t)> fn) {
  std::lock_guard lock(mu_);
  subscriber_ = std::move(fn);
}

bool JobWakeup::listening() {
  std::lock_guard lock(mu_);
  return listening_;
}

void JobWakeup::set_listening(bool on) {
  std::lock_guard lock(mu_);
  listening_ = on;
}

std::chrono::milliseconds JobWakeup::listen() {
  if (stopping()) return std::chrono::milliseconds::zero();
  try {
    auto conn = db_.connect_dedicated();
    Receiver receiver(*conn, *this);
    set_listening(true);
    bump();  // anything that happened while not listening
    logged_failure_ = false;
    while (true) {
      {
        std::lock_guard lock(mu_);
        if (stop_) {
          listening_ = false;
          return std::chrono::milliseconds::zero();
        }
      }
      conn->await_notification(0, 250'000);
    }
  } catch (const std::exception& e) {
    set_listening(false);
    if (!logged_failure_) {
      log_event(spdlog::level::warn, "job listener lost its connection; retrying",
                {{"error", e.what()}});
      logged_failure_ = true;
    }
    return std::chrono::seconds(1);
  }
}

}  // namespace mlgate::server
