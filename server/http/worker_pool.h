// The threads that run the HTTP server's handlers (server/http/async_server.h;
// docs/architecture.md, "The HTTP server"). A thread is started only when a task is posted and no
// started thread is free to take it, up to `max_threads`; a started thread then stays, waiting for
// the next task. So a server at rest holds no handler thread, and a burst of N blocking handlers (N
// ≤ the maximum) runs on N threads at once, as with a pool started whole. Past the maximum, tasks
// wait in order for a thread to finish its task.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace mlgate::server {

class WorkerPool {
 public:
  explicit WorkerPool(std::size_t max_threads);
  // stop(), then waits for the threads.
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // From any thread: runs `task` on a free thread, a new one when none is free and fewer than the
  // maximum were started, else once one is free. Throws std::system_error only when no thread at
  // all could be started.
  void post(std::function<void()> task);
  // Runs every task posted (also those posted by running tasks), then ends the threads; returns
  // once they ended.
  void join();
  // Drops the tasks not yet started; returns once the tasks under way finished.
  void stop();

  // Threads started and not ended.
  std::size_t threads() const;
  // Of those, the ones waiting for a task.
  std::size_t idle_threads() const;
  std::size_t max_threads() const { return max_; }

 private:
  void work();
  void join_all();

  const std::size_t max_;
  mutable std::mutex mu_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> tasks_;
  std::vector<std::thread> started_;  // joined by join_all()
  std::size_t live_ = 0;              // threads started and not ended
  std::size_t idle_ = 0;              // of those, the ones waiting for a task
  bool draining_ = false;             // join(): a thread ends once nothing is queued
  bool stopped_ = false;              // stop(): a thread ends after its task
};

}  // namespace mlgate::server
