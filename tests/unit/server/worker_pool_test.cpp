// WorkerPool: no thread before a task, a free thread is reused rather than a new one started,
// tasks that block run at once on as many threads as there are tasks up to the maximum (none waits
// for a thread that is never started), past it they wait in order, join() runs what was queued and
// stop() drops it. Timeouts are generous functional bounds, not measurements.
#include "server/http/worker_pool.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "tests/support/mlgate_process.h"

namespace mlgate::server {
namespace {

using namespace std::chrono_literals;

// Tasks that block until `expected` of them are running at once, or until release().
class Meeting {
 public:
  explicit Meeting(std::size_t expected) : expected_(expected) {}

  // In a task: true when all `expected` were running together before the bound passed.
  bool arrive() {
    std::unique_lock lock(mu_);
    ++running_;
    most_ = std::max(most_, running_);
    cv_.notify_all();
    const bool met = cv_.wait_for(lock, 30s, [&] { return released_ || most_ >= expected_; });
    const bool together = met && most_ >= expected_;
    cv_.wait_for(lock, 60s, [&] { return released_; });
    --running_;
    return together;
  }
  void release() {
    {
      std::lock_guard lock(mu_);
      released_ = true;
    }
    cv_.notify_all();
  }
  std::size_t running() {
    std::lock_guard lock(mu_);
    return running_;
  }

 private:
  const std::size_t expected_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::size_t running_ = 0;
  std::size_t most_ = 0;
  bool released_ = false;
};

TEST(WorkerPool, StartsNoThreadUntilATaskIsPosted) {
  WorkerPool pool(32);
  EXPECT_EQ(pool.threads(), 0u);
  std::atomic<int> ran{0};
  pool.post([&] { ++ran; });
  ASSERT_TRUE(testing::eventually([&] { return ran == 1; }));
  EXPECT_EQ(pool.threads(), 1u);
}

TEST(WorkerPool, AFreeThreadTakesTheNextTaskInsteadOfANewOne) {
  WorkerPool pool(32);
  std::atomic<int> ran{0};
  for (int i = 1; i <= 20; ++i) {
    pool.post([&] { ++ran; });
    ASSERT_TRUE(testing::eventually([&] { return ran == i && pool.idle_threads() == 1; }));
  }
  EXPECT_EQ(pool.threads(), 1u);
}

TEST(WorkerPool, BlockingTasksUpToTheMaximumAllRunAtOnce) {
  constexpr std::size_t kMax = 24;
  WorkerPool pool(kMax);
  Meeting meeting(kMax);
  std::atomic<std::size_t> together{0};
  std::atomic<std::size_t> done{0};
  for (std::size_t i = 0; i < kMax; ++i) {
    pool.post([&] {
      if (meeting.arrive()) ++together;
      ++done;
    });
  }
  ASSERT_TRUE(testing::eventually([&] { return meeting.running() == kMax; }));
  EXPECT_EQ(pool.threads(), kMax);
  meeting.release();
  ASSERT_TRUE(testing::eventually([&] { return done == kMax; }));
  EXPECT_EQ(together, kMax);
}

TEST(WorkerPool, PastTheMaximumATaskWaitsForAThreadToFinish) {
  WorkerPool pool(3);
  Meeting meeting(3);
  std::atomic<int> blocked_done{0};
  for (int i = 0; i < 3; ++i) {
    pool.post([&] {
      meeting.arrive();
      ++blocked_done;
    });
  }
  ASSERT_TRUE(testing::eventually([&] { return meeting.running() == 3; }));
  std::atomic<bool> fourth{false};
  pool.post([&] { fourth = true; });
  EXPECT_EQ(pool.threads(), 3u);
  EXPECT_FALSE(fourth);
  meeting.release();
  ASSERT_TRUE(testing::eventually([&] { return fourth && blocked_done == 3; }));
  EXPECT_EQ(pool.threads(), 3u);
}

TEST(WorkerPool, JoinRunsEveryQueuedTaskAlsoThosePostedByTasksThenEndsTheThreads) {
  WorkerPool pool(2);
  std::atomic<int> ran{0};
  for (int i = 0; i < 50; ++i) {
    pool.post([&] {
      ++ran;
      pool.post([&] { ++ran; });
    });
  }
  pool.join();
  EXPECT_EQ(ran, 100);
  EXPECT_EQ(pool.threads(), 0u);
}

TEST(WorkerPool, StopDropsTheTasksNotStartedAndWaitsForThoseUnderWay) {
  WorkerPool pool(1);
  Meeting meeting(1);
  std::atomic<bool> first_done{false};
  std::atomic<bool> second{false};
  pool.post([&] {
    meeting.arrive();
    first_done = true;
  });
  ASSERT_TRUE(testing::eventually([&] { return meeting.running() == 1; }));
  // The queued task holds `token`: stop() releasing it is how the test sees stop() under way.
  auto token = std::make_shared<int>(0);
  const std::weak_ptr<int> held = token;
  pool.post([&second, token] { second = true; });
  token.reset();
  std::thread stopper([&] { pool.stop(); });
  EXPECT_TRUE(testing::eventually([&] { return held.expired(); }));
  EXPECT_FALSE(first_done);  // stop() is waiting for it
  meeting.release();
  stopper.join();
  EXPECT_TRUE(first_done);
  EXPECT_FALSE(second);
  EXPECT_EQ(pool.threads(), 0u);
}

}  // namespace
}  // namespace mlgate::server
