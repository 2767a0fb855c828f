#include "server/services/accept_group.h"

#include <algorithm>
#include <vector>

#include "server/http/metrics.h"

namespace mlgate::server {
namespace {

// Attempts of a group rolled back by a deadlock or a serialization failure.
constexpr int kAttempts = 5;

}  // namespace

AcceptGroup::AcceptGroup(store::Database& db, AcceptGroupOptions options)
    : db_(db), options_(options) {}

store::AcceptOutcome AcceptGroup::accept(const store::NewDelivery& row) {
  Waiter me;
  me.row = &row;
  std::unique_lock lock(mu_);
  queue_.push_back(&me);
  while (!me.done) {
    if (leading_ >= options_.max_in_flight || queue_.empty()) {
      // Another leader took this row (or enough commits are under way): wait for one to end.
      cv_.wait(lock);
      continue;
    }
    // Lead the next group: it holds the oldest rows waiting, this one among them unless the group
    // is full (then this sender leads again, or another leader takes it).
    ++leading_;
    std::deque<Waiter*> group = take_group();
    lock.unlock();
    commit(group);
    lock.lock();
    --leading_;
    cv_.notify_all();
  }
  if (me.error) std::rethrow_exception(me.error);
  return std::move(me.outcome);
}

std::deque<AcceptGroup::Waiter*> AcceptGroup::take_group() {
  std::deque<Waiter*> group;
  std::size_t bytes = 0;
  while (!queue_.empty() && group.size() < options_.max_rows) {
    const std::size_t next = queue_.front()->row->body.size();
    if (!group.empty() && bytes + next > options_.max_bytes) break;
    bytes += next;
    group.push_back(queue_.front());
    queue_.pop_front();
  }
  return group;
}

void AcceptGroup::commit(const std::deque<Waiter*>& group) {
  std::vector<const store::NewDelivery*> rows;
  rows.reserve(group.size());
  for (const Waiter* w : group) rows.push_back(w->row);
  std::vector<store::AcceptOutcome> outcomes;
  std::exception_ptr error;
  // Two groups (here, or of another replica) holding the same delivery ids in another order can
  // deadlock on the accepted-once index; PostgreSQL then rolls one back whole, and it runs again.
  for (int attempt = 1;; ++attempt) {
    try {
      outcomes = db_.with([&](pqxx::connection& c) {
        pqxx::work tx(c);
        auto out = store::accept_deliveries(tx, rows);
        tx.commit();
        return out;
      });
      error = nullptr;
      break;
    } catch (const pqxx::transaction_rollback&) {
      error = std::current_exception();
      if (attempt == kAttempts) break;
    } catch (...) {
      error = std::current_exception();
      break;
    }
  }
  std::lock_guard lock(mu_);
  for (std::size_t i = 0; i < group.size(); ++i) {
    if (error) {
      group[i]->error = error;
    } else {
      group[i]->outcome = std::move(outcomes[i]);
    }
    group[i]->done = true;
  }
  if (!error) {
    ++stats_.groups;
    stats_.rows += group.size();
    stats_.largest = std::max(stats_.largest, group.size());
  }
  if (!error) count_accept_group(group.size());
}

AcceptGroupStats AcceptGroup::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

}  // namespace mlgate::server
