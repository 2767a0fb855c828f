// Runs concurrent requests of one kind in groups, for group commit: a caller that finds fewer than
// max_in_flight groups running leads one. It takes every request waiting (at most max_group, the
// oldest first, its own among them), runs them together with one call of `run`, and hands each
// waiter its answer; a request that arrives while the groups are running goes with a later group.
// A request that finds nothing running runs at once, alone: grouping adds no wait of its own.
// An optional weight (bytes, say) bounds a group's sum too; a request over it goes alone.
// Each caller returns only once the group holding its request has run, so an answer sent after
// submit() returns is never ahead of the group's commit. A group whose `run` throws hands the
// same error to each of its callers.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <limits>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

namespace mlgate::server {

struct GroupOptions {
  // Groups running at once: while one waits for its commit's WAL flush, the next is executed
  // (PostgreSQL flushes concurrent commits together).
  int max_in_flight = 2;
  std::size_t max_group = 64;  // requests in one group, at most
  // The group's summed weight, at most (with a Weight function; a heavier request goes alone).
  std::size_t max_weight = std::numeric_limits<std::size_t>::max();
};

// What the groups did since the start (tests and measurements).
struct GroupStats {
  std::uint64_t groups = 0;
  std::uint64_t requests = 0;
  std::size_t largest = 0;
  // Times a waiting request was woken: by its group's end, or to lead the next group.
  std::uint64_t wakeups = 0;
};

template <typename In, typename Out>
class GroupRunner {
 public:
  // Answers the requests of one group, one answer each, in their order.
  using Run = std::function<std::vector<Out>(const std::vector<const In*>&)>;
  // A request's weight towards max_weight.
  using Weight = std::function<std::size_t(const In&)>;

  GroupRunner(Run run, GroupOptions options, Weight weight = {})
      : run_(std::move(run)), options_(options), weight_(std::move(weight)) {}
  GroupRunner(const GroupRunner&) = delete;
  GroupRunner& operator=(const GroupRunner&) = delete;

  // Runs `in` in the next group and returns its answer; rethrows the group's error.
  Out submit(const In& in) {
    Waiter me;
    me.in = &in;
    std::unique_lock lock(mu_);
    queue_.push_back(&me);
    while (!me.done) {
      if (leading_ >= options_.max_in_flight || queue_.empty()) {
        // Woken by the group that ran this request, or to lead the next one (hand_on_lead).
        me.wake.wait(lock);
        ++stats_.wakeups;
        continue;
      }
      ++leading_;
      std::vector<Waiter*> group = take_group();
      hand_on_lead();  // a group slot still free and requests left over: another leader
      lock.unlock();
      run_group(group);
      lock.lock();
      --leading_;
      hand_on_lead();
    }
    if (me.error) std::rethrow_exception(me.error);
    return std::move(*me.out);
  }

  GroupStats stats() const {
    std::lock_guard lock(mu_);
    return stats_;
  }
  // Requests queued for a later group.
  std::size_t waiting() const {
    std::lock_guard lock(mu_);
    return queue_.size();
  }

 private:
  // Each waiter sleeps on its own condition: a group's end wakes its members and at most one
  // waiter to lead next, not every thread waiting (which then contend for mu_ and sleep again).
  struct Waiter {
    const In* in = nullptr;
    std::condition_variable wake;
    bool done = false;
    std::optional<Out> out;
    std::exception_ptr error;
  };

  // The oldest requests waiting, within max_group and max_weight (under mu_).
  std::vector<Waiter*> take_group() {
    std::vector<Waiter*> group;
    std::size_t weight = 0;
    while (!queue_.empty() && group.size() < options_.max_group) {
      const std::size_t next = weight_ ? weight_(*queue_.front()->in) : 0;
      if (!group.empty() && next > options_.max_weight - weight) break;
      weight += std::min(next, options_.max_weight - weight);
      group.push_back(queue_.front());
      queue_.pop_front();
    }
    return group;
  }

  // A group ended (under mu_): the oldest request still waiting leads the next one.
  void hand_on_lead() {
    if (leading_ < options_.max_in_flight && !queue_.empty()) queue_.front()->wake.notify_one();
  }

  // Runs `group` without mu_ held, then hands each waiter its answer or the error.
  void run_group(const std::vector<Waiter*>& group) {
    std::vector<const In*> ins;
    ins.reserve(group.size());
    for (const Waiter* w : group) ins.push_back(w->in);
    std::vector<Out> outs;
    std::exception_ptr error;
    try {
      outs = run_(ins);
      if (outs.size() != ins.size()) throw std::logic_error("a group's answers do not match it");
    } catch (...) {
      error = std::current_exception();
    }
    std::lock_guard lock(mu_);
    for (std::size_t i = 0; i < group.size(); ++i) {
      if (error) {
        group[i]->error = error;
      } else {
        group[i]->out = std::move(outs[i]);
      }
      group[i]->done = true;
      group[i]->wake.notify_one();
    }
    if (error) return;
    ++stats_.groups;
    stats_.requests += group.size();
    stats_.largest = std::max(stats_.largest, group.size());
  }

  Run run_;
  GroupOptions options_;
  Weight weight_;
  mutable std::mutex mu_;
  std::deque<Waiter*> queue_;
  int leading_ = 0;  // groups running
  GroupStats stats_;
};

}  // namespace mlgate::server
