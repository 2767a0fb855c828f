#include "server/services/accept_group.h"

#include <vector>

#include "server/http/metrics.h"
#include "store/retries.h"

namespace mlgate::server {

AcceptGroup::AcceptGroup(store::Database& db, GroupOptions options)
    : db_(db),
      runner_([this](const auto& rows) { return commit(rows); }, options,
              [](const store::NewDelivery& row) { return row.body.size(); }) {}

std::vector<store::AcceptOutcome> AcceptGroup::commit(
    const std::vector<const store::NewDelivery*>& rows) {
  // Two groups (here, or of another replica) holding the same delivery ids in another order can
  // deadlock on the accepted-once index; PostgreSQL then rolls one back whole, and it runs again.
  auto outcomes = store::with_retries(db_, [&](pqxx::connection& c) {
    pqxx::work tx(c);
    auto out = store::accept_deliveries(tx, rows);
    tx.commit();
    return out;
  });
  count_accept_group(rows.size());
  return outcomes;
}

}  // namespace mlgate::server
