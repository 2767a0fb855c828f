// A one-shot stop request shared between a signal-handling thread and the serve loop.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>

namespace mlgate::server {

class StopSignal {
 public:
  void request(std::string reason) {
    std::lock_guard lock(mu_);
    if (!requested_) {
      requested_ = true;
      reason_ = std::move(reason);
    }
    cv_.notify_all();
  }
  bool requested() const {
    std::lock_guard lock(mu_);
    return requested_;
  }
  // True when a stop was requested before the timeout.
  bool wait_for(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return requested_; });
  }
  std::string reason() const {
    std::lock_guard lock(mu_);
    return reason_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool requested_ = false;
  std::string reason_;
};

}  // namespace mlgate::server
