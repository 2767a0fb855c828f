#include "util/periodic_worker.h"

#include <spdlog/spdlog.h>

#include <exception>
#include <utility>

namespace mlgate::util {

PeriodicWorker::PeriodicWorker(std::string name, Tick tick, std::chrono::milliseconds after_error)
    : name_(std::move(name)), tick_(std::move(tick)), after_error_(after_error) {}

PeriodicWorker::~PeriodicWorker() {
  stop();
}

void PeriodicWorker::start() {
  if (thread_.joinable()) return;
  {
    std::lock_guard lock(mu_);
    stopping_ = false;
    woken_ = false;
  }
  thread_ = std::thread([this] { loop(); });
}

void PeriodicWorker::request_stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
}

void PeriodicWorker::stop() {
  request_stop();
  if (thread_.joinable()) thread_.join();
}

void PeriodicWorker::wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

void PeriodicWorker::loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    std::chrono::milliseconds wait = after_error_;
    try {
      wait = tick_();
    } catch (const std::exception& e) {
      spdlog::error("{}: {}", name_, e.what());
    } catch (...) {
      spdlog::error("{}: unknown exception", name_);
    }
    lock.lock();
    const auto done = [&] { return stopping_ || woken_; };
    if (wait == kUntilWoken) {
      cv_.wait(lock, done);
    } else if (wait > std::chrono::milliseconds::zero()) {
      cv_.wait_for(lock, wait, done);
    }
    woken_ = false;
  }
}

}  // namespace mlgate::util
