// A background thread that runs a tick, waits, and runs it again until stopped: the one loop the
// server's workers share (maintenance, forge feedback, the job listener, the scheduler, the
// planner's workers). RAII: the destructor stops the thread and joins it.
//
// The tick returns how long to wait before the next one: zero for "at once" (busy: there is more
// to do), kUntilWoken for "until wake() or stop()". wake() cuts any wait short (a wake() during a
// tick makes the next wait end at once, so it is never lost); stop() ends the wait at once and the
// loop after the tick that is running. A tick that blocks on something else (a LISTEN connection,
// a long batch) should check stopping() at least every few hundred milliseconds.
//
// An exception that escapes a tick is logged (spdlog, error level, with the worker's name) and
// the loop goes on after `after_error`. Ticks that want their own log lines catch for themselves.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace mlgate::util {

class PeriodicWorker {
 public:
  using Tick = std::function<std::chrono::milliseconds()>;
  static constexpr std::chrono::milliseconds kUntilWoken = std::chrono::milliseconds::max();

  PeriodicWorker(std::string name, Tick tick,
                 std::chrono::milliseconds after_error = std::chrono::seconds(1));
  ~PeriodicWorker();
  PeriodicWorker(const PeriodicWorker&) = delete;
  PeriodicWorker& operator=(const PeriodicWorker&) = delete;

  // Starts the thread; the first tick runs at once. No-op while it runs.
  void start();
  // Asks the loop to end without waiting for it (stop several workers at the same moment, then
  // join each with stop()).
  void request_stop();
  // request_stop() and join. The worker can be started again afterwards.
  void stop();
  // Runs the next tick now (or right after the one that is running).
  void wake();
  // True from request_stop() until the next start(): a long tick ends early when it sees it.
  bool stopping() const { return stopping_.load(); }
  bool running() const { return thread_.joinable(); }

 private:
  void loop();

  const std::string name_;
  const Tick tick_;
  const std::chrono::milliseconds after_error_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool woken_ = false;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace mlgate::util
