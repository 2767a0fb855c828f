#include "util/periodic_worker.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace mlgate::util {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Polls `done` for up to five seconds.
template <typename F>
bool eventually(F done) {
  const auto deadline = Clock::now() + 5s;
  while (!done()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

TEST(PeriodicWorker, FirstTickRunsAtOnceAndStopIsPrompt) {
  std::atomic<int> ticks{0};
  PeriodicWorker worker("test", [&] {
    ++ticks;
    return std::chrono::milliseconds(std::chrono::hours(1));
  });
  worker.start();
  ASSERT_TRUE(eventually([&] { return ticks == 1; }));
  const auto start = Clock::now();
  worker.stop();
  EXPECT_LT(Clock::now() - start, 1s);
  EXPECT_FALSE(worker.running());
  EXPECT_EQ(ticks, 1);
}

TEST(PeriodicWorker, WakeRunsATickEarly) {
  std::atomic<int> ticks{0};
  PeriodicWorker worker("test", [&] {
    ++ticks;
    return PeriodicWorker::kUntilWoken;
  });
  worker.start();
  ASSERT_TRUE(eventually([&] { return ticks == 1; }));
  worker.wake();
  EXPECT_TRUE(eventually([&] { return ticks == 2; }));
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(ticks, 2);  // one wake, one tick
}

TEST(PeriodicWorker, WakeDuringATickIsNotLost) {
  std::atomic<int> ticks{0};
  std::atomic<bool> in_tick{false};
  std::atomic<bool> release{false};
  PeriodicWorker worker("test", [&] {
    if (++ticks == 1) {
      in_tick = true;
      while (!release) std::this_thread::sleep_for(1ms);
    }
    return PeriodicWorker::kUntilWoken;
  });
  worker.start();
  ASSERT_TRUE(eventually([&] { return in_tick.load(); }));
  worker.wake();
  release = true;
  EXPECT_TRUE(eventually([&] { return ticks == 2; }));
}

TEST(PeriodicWorker, TheReturnedWaitIsThePeriod) {
  std::atomic<int> ticks{0};
  PeriodicWorker worker("test", [&] {
    ++ticks;
    return std::chrono::milliseconds(10);
  });
  worker.start();
  EXPECT_TRUE(eventually([&] { return ticks >= 5; }));
}

TEST(PeriodicWorker, AnExceptionIsLoggedAndTheLoopGoesOn) {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("test", sink));
  std::atomic<int> ticks{0};
  {
    PeriodicWorker worker(
        "flaky worker",
        [&]() -> std::chrono::milliseconds {
          if (++ticks == 1) throw std::runtime_error("first tick fails");
          return PeriodicWorker::kUntilWoken;
        },
        10ms);
    worker.start();
    EXPECT_TRUE(eventually([&] { return ticks == 2; }));
  }
  spdlog::set_default_logger(previous);
  EXPECT_NE(out.str().find("flaky worker: first tick fails"), std::string::npos) << out.str();
}

TEST(PeriodicWorker, CanBeStartedAgain) {
  std::atomic<int> ticks{0};
  PeriodicWorker worker("test", [&] {
    ++ticks;
    return PeriodicWorker::kUntilWoken;
  });
  worker.start();
  ASSERT_TRUE(eventually([&] { return ticks == 1; }));
  worker.stop();
  EXPECT_TRUE(worker.stopping());
  worker.start();
  EXPECT_FALSE(worker.stopping());
  EXPECT_TRUE(eventually([&] { return ticks == 2; }));
}

TEST(PeriodicWorker, DestructorStops) {
  std::atomic<int> ticks{0};
  const auto start = Clock::now();
  {
    PeriodicWorker worker("test", [&] {
      ++ticks;
      return std::chrono::milliseconds(std::chrono::hours(1));
    });
    worker.start();
    ASSERT_TRUE(eventually([&] { return ticks == 1; }));
  }
  EXPECT_LT(Clock::now() - start, 2s);
}

}  // namespace
}  // namespace mlgate::util
