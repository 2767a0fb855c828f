// GroupRunner: concurrent requests run in groups, each caller gets its own answer after its group
// ran, a request alone runs at once, and a group's error reaches each of its callers.
#include "server/services/group_runner.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

#include "tests/support/mlgate_process.h"

namespace mlgate::server {
namespace {

// Runs groups of ints, answering each with ten times itself; records every group. While `hold`
// is set, a group waits in `run` until release() (so that others queue behind it).
class Groups {
 public:
  explicit Groups(GroupOptions options, GroupRunner<int, int>::Weight weight = {})
      : runner_([this](const std::vector<const int*>& group) { return run(group); }, options,
                std::move(weight)) {}

  int submit(int in) { return runner_.submit(in); }
  GroupRunner<int, int>& runner() { return runner_; }

  void hold() {
    std::lock_guard lock(mu_);
    held_ = true;
  }
  void release() {
    {
      std::lock_guard lock(mu_);
      held_ = false;
    }
    cv_.notify_all();
  }
  // A group holding `in` waits in `run` until release_group_with(in), whatever hold() says.
  void hold_group_with(int in) {
    std::lock_guard lock(mu_);
    held_ins_.insert(in);
  }
  void release_group_with(int in) {
    {
      std::lock_guard lock(mu_);
      held_ins_.erase(in);
    }
    cv_.notify_all();
  }
  std::size_t running() {
    std::lock_guard lock(mu_);
    return running_;
  }
  std::vector<std::vector<int>> groups() {
    std::lock_guard lock(mu_);
    return groups_;
  }

 private:
  std::vector<int> run(const std::vector<const int*>& group) {
    std::vector<int> ins;
    for (const int* in : group) ins.push_back(*in);
    std::unique_lock lock(mu_);
    groups_.push_back(ins);
    ++running_;
    cv_.wait(lock, [&] {
      return !held_ &&
             std::none_of(ins.begin(), ins.end(), [&](int in) { return held_ins_.count(in); });
    });
    --running_;
    if (ins.front() < 0) throw std::runtime_error("the database went away");
    std::vector<int> out;
    for (int in : ins) out.push_back(in * 10);
    return out;
  }

  std::mutex mu_;
  std::condition_variable cv_;
  bool held_ = false;
  std::set<int> held_ins_;
  std::size_t running_ = 0;
  std::vector<std::vector<int>> groups_;
  GroupRunner<int, int> runner_;
};

TEST(GroupRunner, ARequestAloneRunsAtOnceInAGroupOfOne) {
  Groups g({});
  EXPECT_EQ(g.submit(4), 40);
  EXPECT_EQ(g.groups(), (std::vector<std::vector<int>>{{4}}));
  EXPECT_EQ(g.runner().stats().groups, 1u);
  EXPECT_EQ(g.runner().stats().largest, 1u);
}

// With one group at a time, the requests that arrive while a group runs go together in the next,
// and each caller gets its own answer.
TEST(GroupRunner, RequestsArrivingWhileAGroupRunsGoTogetherInTheNext) {
  Groups g({.max_in_flight = 1, .max_group = 64});
  g.hold();
  auto first = std::async(std::launch::async, [&] { return g.submit(1); });
  ASSERT_TRUE(testing::eventually([&] { return g.running() == 1; }));
  std::vector<std::future<int>> later;
  for (int i = 2; i <= 5; ++i) {
    later.push_back(std::async(std::launch::async, [&g, i] { return g.submit(i); }));
    ASSERT_TRUE(testing::eventually([&] { return g.runner().waiting() == later.size(); }));
  }
  g.release();
  EXPECT_EQ(first.get(), 10);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(later[i].get(), (i + 2) * 10);
  EXPECT_EQ(g.groups(), (std::vector<std::vector<int>>{{1}, {2, 3, 4, 5}}));
  EXPECT_EQ(g.runner().stats().requests, 5u);
  EXPECT_EQ(g.runner().stats().largest, 4u);
}

// While fewer than max_in_flight groups run, a new request does not wait for them.
TEST(GroupRunner, ARequestDoesNotWaitForAGroupWhenAnotherMayRun) {
  Groups g({.max_in_flight = 2, .max_group = 64});
  g.hold();
  auto first = std::async(std::launch::async, [&] { return g.submit(1); });
  ASSERT_TRUE(testing::eventually([&] { return g.running() == 1; }));
  auto second = std::async(std::launch::async, [&] { return g.submit(2); });
  ASSERT_TRUE(testing::eventually([&] { return g.running() == 2; }));
  g.release();
  EXPECT_EQ(first.get(), 10);
  EXPECT_EQ(second.get(), 20);
  EXPECT_EQ(g.groups(), (std::vector<std::vector<int>>{{1}, {2}}));
}

TEST(GroupRunner, AGroupHoldsAtMostMaxGroupRequests) {
  Groups g({.max_in_flight = 1, .max_group = 2});
  g.hold();
  auto first = std::async(std::launch::async, [&] { return g.submit(1); });
  ASSERT_TRUE(testing::eventually([&] { return g.running() == 1; }));
  std::vector<std::future<int>> later;
  for (int i = 2; i <= 4; ++i) {
    later.push_back(std::async(std::launch::async, [&g, i] { return g.submit(i); }));
    ASSERT_TRUE(testing::eventually([&] { return g.runner().waiting() == later.size(); }));
  }
  g.release();
  for (auto& f : later) f.get();
  first.get();
  EXPECT_EQ(g.groups(), (std::vector<std::vector<int>>{{1}, {2, 3}, {4}}));
}

// With a weight (an intake's body bytes), a group stops before the request that would take it over
// max_weight; a request heavier than max_weight on its own goes alone.
TEST(GroupRunner, AGroupsWeightStaysWithinMaxWeightAndAHeavyRequestGoesAlone) {
  Groups g({.max_in_flight = 1, .max_group = 64, .max_weight = 10},
           [](const int& in) { return static_cast<std::size_t>(in); });
  g.hold();
  auto first = std::async(std::launch::async, [&] { return g.submit(1); });
  ASSERT_TRUE(testing::eventually([&] { return g.running() == 1; }));
  std::vector<std::future<int>> later;
  for (int i : {4, 5, 3, 12, 2}) {
    later.push_back(std::async(std::launch::async, [&g, i] { return g.submit(i); }));
    ASSERT_TRUE(testing::eventually([&] { return g.runner().waiting() == later.size(); }));
  }
  g.release();
  std::vector<int> answers;
  for (auto& f : later) answers.push_back(f.get());
  EXPECT_EQ(first.get(), 10);
  EXPECT_EQ(answers, (std::vector<int>{40, 50, 30, 120, 20}));
  EXPECT_EQ(g.groups(), (std::vector<std::vector<int>>{{1}, {4, 5}, {3}, {12}, {2}}));
}

// A group's end wakes its own members and one request to lead the next group, not every request
// waiting (which then contend for the lock and mostly sleep again): with fifteen requests queued
// behind a running group, its end wakes one of them, which leads the other fourteen; that group's
// end wakes those fourteen.
TEST(GroupRunner, AGroupsEndWakesItsMembersAndOneNextLeaderOnly) {
  Groups g({.max_in_flight = 1, .max_group = 64});
  g.hold();
  auto first = std::async(std::launch::async, [&] { return g.submit(1); });
  ASSERT_TRUE(testing::eventually([&] { return g.running() == 1; }));
  std::vector<std::future<int>> later;
  for (int i = 2; i <= 16; ++i) {
    later.push_back(std::async(std::launch::async, [&g, i] { return g.submit(i); }));
    ASSERT_TRUE(testing::eventually([&] { return g.runner().waiting() == later.size(); }));
  }
  g.hold_group_with(2);
  g.release();
  EXPECT_EQ(first.get(), 10);
  ASSERT_TRUE(testing::eventually([&] { return g.runner().waiting() == 0 && g.running() == 1; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // time for any other waiter to wake
  EXPECT_EQ(g.runner().stats().wakeups, 1u);                    // only the next leader
  g.release_group_with(2);
  for (int i = 0; i < 15; ++i) EXPECT_EQ(later[i].get(), (i + 2) * 10);
  EXPECT_EQ(g.groups().size(), 2u);
  EXPECT_EQ(g.runner().stats().wakeups, 15u);  // and then the fourteen others, once each
}

// With two groups allowed at once, requests queued behind two running groups fill both slots as
// the groups end: {5, 6} runs to its end while {3, 4} is still running.
TEST(GroupRunner, QueuedRequestsFillEveryFreeSlot) {
  Groups g({.max_in_flight = 2, .max_group = 2});
  g.hold();
  auto first = std::async(std::launch::async, [&] { return g.submit(1); });
  ASSERT_TRUE(testing::eventually([&] { return g.running() == 1; }));
  auto second = std::async(std::launch::async, [&] { return g.submit(2); });
  ASSERT_TRUE(testing::eventually([&] { return g.running() == 2; }));
  std::vector<std::future<int>> later;
  for (int i = 3; i <= 6; ++i) {
    later.push_back(std::async(std::launch::async, [&g, i] { return g.submit(i); }));
    ASSERT_TRUE(testing::eventually([&] { return g.runner().waiting() == later.size(); }));
  }
  g.hold_group_with(3);
  g.release();
  EXPECT_EQ(first.get(), 10);
  EXPECT_EQ(second.get(), 20);
  EXPECT_EQ(later[2].get(), 50);
  EXPECT_EQ(later[3].get(), 60);
  // {3, 4}, still held (its leader may still be on its way into `run`)
  EXPECT_TRUE(testing::eventually([&] { return g.running() == 1; }));
  g.release_group_with(3);
  EXPECT_EQ(later[0].get(), 30);
  EXPECT_EQ(later[1].get(), 40);
  // The groups, in the order they entered `run` (two running at once may enter in either order).
  auto groups = g.groups();
  std::sort(groups.begin(), groups.end());
  EXPECT_EQ(groups, (std::vector<std::vector<int>>{{1}, {2}, {3, 4}, {5, 6}}));
}

// A group that fails hands its error to each of its callers; the next group runs as usual.
TEST(GroupRunner, AGroupsErrorReachesEachOfItsCallersAndOnlyThem) {
  Groups g({.max_in_flight = 1, .max_group = 64});
  g.hold();
  auto first = std::async(std::launch::async, [&] { return g.submit(1); });
  ASSERT_TRUE(testing::eventually([&] { return g.running() == 1; }));
  auto failing = std::async(std::launch::async, [&] { return g.submit(-1); });
  ASSERT_TRUE(testing::eventually([&] { return g.runner().waiting() == 1; }));
  auto with_it = std::async(std::launch::async, [&] { return g.submit(7); });
  ASSERT_TRUE(testing::eventually([&] { return g.runner().waiting() == 2; }));
  g.release();
  EXPECT_EQ(first.get(), 10);
  EXPECT_THROW(failing.get(), std::runtime_error);
  EXPECT_THROW(with_it.get(), std::runtime_error);
  EXPECT_EQ(g.submit(3), 30);
  EXPECT_EQ(g.runner().stats().groups, 2u);  // the failed group is not counted
}

}  // namespace
}  // namespace mlgate::server
