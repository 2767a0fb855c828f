#include "server/http/worker_pool.h"

#include <algorithm>
#include <cstdint>
#include <system_error>
#include <utility>

#include "server/http/json_log.h"

namespace mlgate::server {

WorkerPool::WorkerPool(std::size_t max_threads) : max_(std::max<std::size_t>(1, max_threads)) {}

WorkerPool::~WorkerPool() {
  stop();
}

void WorkerPool::post(std::function<void()> task) {
  std::lock_guard lock(mu_);
  tasks_.push_back(std::move(task));
  // Every queued task has a waiting thread to take it, or a thread is started for it; past the
  // maximum it waits for a thread to finish, as in a pool started whole.
  if (tasks_.size() <= idle_) {
    ready_.notify_one();
    return;
  }
  if (live_ >= max_) return;
  try {
    started_.emplace_back([this] { work(); });
  } catch (const std::system_error& e) {
    if (live_ == 0) {
      tasks_.pop_back();
      throw;
    }
    // The threads already running will take it in turn.
    log_event(spdlog::level::warn, "could not start an HTTP worker thread",
              {{"error", e.what()}, {"threads", static_cast<std::uint64_t>(live_)}});
    return;
  }
  ++live_;
}

void WorkerPool::work() {
  std::unique_lock lock(mu_);
  for (;;) {
    ++idle_;
    ready_.wait(lock, [this] { return stopped_ || draining_ || !tasks_.empty(); });
    --idle_;
    if (stopped_ || tasks_.empty()) break;
    auto task = std::move(tasks_.front());
    tasks_.pop_front();
    lock.unlock();
    task();
    task = nullptr;  // the task's captures are released outside the lock
    lock.lock();
  }
  --live_;
}

void WorkerPool::join() {
  {
    std::lock_guard lock(mu_);
    draining_ = true;
  }
  ready_.notify_all();
  join_all();
}

void WorkerPool::stop() {
  std::deque<std::function<void()>> dropped;
  {
    std::lock_guard lock(mu_);
    stopped_ = true;
    dropped.swap(tasks_);
  }
  ready_.notify_all();
  dropped.clear();  // outside the lock, before waiting for the tasks under way
  join_all();
}

void WorkerPool::join_all() {
  // A running task may post and so start a thread while the others are joined: join until none
  // is left.
  for (;;) {
    std::vector<std::thread> started;
    {
      std::lock_guard lock(mu_);
      started.swap(started_);
    }
    if (started.empty()) return;
    for (auto& t : started) t.join();
  }
}

std::size_t WorkerPool::threads() const {
  std::lock_guard lock(mu_);
  return live_;
}

std::size_t WorkerPool::idle_threads() const {
  std::lock_guard lock(mu_);
  return idle_;
}

}  // namespace mlgate::server
