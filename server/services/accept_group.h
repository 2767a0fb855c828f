// Group commit of accepted webhook deliveries: concurrent senders whose deliveries are verified
// hand their rows to one transaction (a GroupRunner, server/services/group_runner.h). A sender
// that finds fewer than two commits under way leads: it takes every row waiting (at most 256 rows
// and 16 MiB of bodies), accepts them in one transaction — one WAL flush — and wakes the others; a
// row that arrived while the commits were running goes with the next group.
// Each sender returns only once the group holding its row has committed, so a 202 is never sent
// for a row that is not durable. A group that fails hands the same error to each of its senders
// (docs/intake.md, "Group commit").
#pragma once

#include "server/services/group_runner.h"
#include "store/database.h"
#include "store/deliveries.h"

namespace mlgate::server {

// Groups committing at once: while one waits for its WAL flush, the next is inserted (PostgreSQL
// flushes concurrent commits together). Each group still answers only after its own commit.
inline constexpr GroupOptions kAcceptGroupOptions{
    .max_in_flight = 2, .max_group = 256, .max_weight = 16 * 1024 * 1024};

class AcceptGroup {
 public:
  // `options.max_weight` bounds the bodies' bytes in one transaction.
  explicit AcceptGroup(store::Database& db, GroupOptions options = kAcceptGroupOptions);

  // Accepts `row` (verified, repo_id set) in the next group and returns once that group committed;
  // rethrows the group's error (store::DatabaseUnavailable when PostgreSQL could not be reached).
  store::AcceptOutcome accept(const store::NewDelivery& row) { return runner_.submit(row); }

  GroupStats stats() const { return runner_.stats(); }

 private:
  // Accepts one group's rows in one transaction.
  std::vector<store::AcceptOutcome> commit(const std::vector<const store::NewDelivery*>& rows);

  store::Database& db_;
  GroupRunner<store::NewDelivery, store::AcceptOutcome> runner_;
};

}  // namespace mlgate::server
