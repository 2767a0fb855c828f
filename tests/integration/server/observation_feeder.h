// A serving fleet in a test: posts observation batch n (n = 0, 1, ...) to `path_prefix + n` every
// 150 ms on a thread of its own, until stop() or its destruction.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "tests/support/mlgate_process.h"

namespace mlgate::testing {

class ObservationFeeder {
 public:
  ObservationFeeder() = default;
  ObservationFeeder(const ObservationFeeder&) = delete;
  ObservationFeeder& operator=(const ObservationFeeder&) = delete;
  ~ObservationFeeder() { stop(); }

  // `batch(n)` is the n-th batch's JSON lines; `path_prefix` ends with "?batch_id=<prefix>".
  void start(std::string host_port, std::string path_prefix, std::function<std::string(int)> batch,
             std::vector<std::pair<std::string, std::string>> headers) {
    stop();
    running_ = true;
    thread_ =
        std::thread([this, host_port = std::move(host_port), path_prefix = std::move(path_prefix),
                     batch = std::move(batch), headers = std::move(headers)] {
          for (int n = 0; running_; ++n) {
            http_post(host_port, path_prefix + std::to_string(n), batch(n), "application/x-ndjson",
                      headers);
            std::this_thread::sleep_for(std::chrono::milliseconds(150));
          }
        });
  }
  void stop() {
    running_ = false;
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::atomic<bool> running_{false};
  std::thread thread_;
};

}  // namespace mlgate::testing
