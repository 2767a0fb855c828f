// Group commit of accepted webhook deliveries: concurrent senders whose deliveries are verified
// hand their rows to one transaction. A sender that finds fewer than max_in_flight commits under
// way leads: it takes every row waiting (bounded in count and bytes), accepts them in one
// transaction — one WAL flush — and wakes the others; a row that arrived while the commits were
// running goes with the next group.
// Each sender returns only once the group holding its row has committed, so a 202 is never sent
// for a row that is not durable. A group that fails hands the same error to each of its senders
// (docs/intake.md, "Group commit").
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <mutex>

#include "store/database.h"
#include "store/deliveries.h"

namespace mlgate::server {

struct AcceptGroupOptions {
  // Groups committing at once: while one waits for its WAL flush, the next is inserted (PostgreSQL
  // flushes concurrent commits together). Each group still answers only after its own commit.
  int max_in_flight = 2;
  std::size_t max_rows = 256;  // rows in one transaction, at most
  std::size_t max_bytes =
      16 * 1024 * 1024;  // their bodies' bytes, at most (a row over it goes alone)
};

// What group commits did since the start (metrics and tests).
struct AcceptGroupStats {
  std::uint64_t groups = 0;
  std::uint64_t rows = 0;
  std::size_t largest = 0;
};

class AcceptGroup {
 public:
  explicit AcceptGroup(store::Database& db, AcceptGroupOptions options = {});
  AcceptGroup(const AcceptGroup&) = delete;
  AcceptGroup& operator=(const AcceptGroup&) = delete;

  // Accepts `row` (verified, repo_id set) in the next group and returns once that group committed;
  // rethrows the group's error (store::DatabaseUnavailable when PostgreSQL could not be reached).
  store::AcceptOutcome accept(const store::NewDelivery& row);

  AcceptGroupStats stats() const;

 private:
  struct Waiter {
    const store::NewDelivery* row = nullptr;
    bool done = false;
    store::AcceptOutcome outcome;
    std::exception_ptr error;
  };
  // Takes the next group off the queue (under mu_).
  std::deque<Waiter*> take_group();
  // Commits `group` and hands each waiter its outcome or the error (without mu_ held).
  void commit(const std::deque<Waiter*>& group);

  store::Database& db_;
  AcceptGroupOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Waiter*> queue_;
  int leading_ = 0;  // groups being committed
  AcceptGroupStats stats_;
};

}  // namespace mlgate::server
