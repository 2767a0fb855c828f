#include "server/services/job_queue_groups.h"

#include <pqxx/pqxx>

#include "store/retries.h"

namespace mlgate::server {
namespace {

// fn(connection, requests) with `group`'s requests by value, run again when PostgreSQL rolled it
// back for a deadlock or a serialization failure (two groups, or a group and another writer,
// locking the same pipelines in another order).
template <typename In, typename F>
auto run_group(store::Database& db, const std::vector<const In*>& group, F&& fn) {
  std::vector<In> requests;
  requests.reserve(group.size());
  for (const In* in : group) requests.push_back(*in);
  return store::with_retries(db, [&](pqxx::connection& c) { return fn(c, requests); });
}

}  // namespace

JobQueueGroups::JobQueueGroups(store::Database& db, GroupOptions options)
    : db_(db),
      claims_([this](const auto& group) { return claim_group(group); }, options),
      finishes_([this](const auto& group) { return finish_group(group); }, options) {}

std::vector<JobQueueGroups::ClaimAnswer> JobQueueGroups::claim_group(
    const std::vector<const store::ClaimRequest*>& group) {
  // One statement, committed on its own: one round trip.
  return run_group(db_, group, [](pqxx::connection& c, const auto& requests) {
    pqxx::nontransaction tx(c);
    return store::claim_jobs(tx, requests);
  });
}

std::vector<JobQueueGroups::FinishAnswer> JobQueueGroups::finish_group(
    const std::vector<const store::FinishRequest*>& group) {
  // The pipelines' lock, then the statement, in one transaction.
  return run_group(db_, group, [](pqxx::connection& c, const auto& requests) {
    pqxx::work tx(c);
    auto out = store::finish_jobs_alone(tx, requests);
    tx.commit();
    return out;
  });
}

std::optional<store::ClaimedJob> JobQueueGroups::claim(const store::ClaimRequest& request) {
  return claims_.submit(request);
}

store::FinishResult JobQueueGroups::finish(const store::FinishRequest& request) {
  if (auto done = finishes_.submit(request)) return *done;
  // Not held any more, or its pipeline has blocked jobs: a transaction of its own answers it and
  // settles the pipeline's dependants.
  return db_.with([&](pqxx::connection& c) {
    pqxx::work tx(c);
    auto out =
        store::finish_job(tx, request.job_id, request.runner_id, request.attempt, request.finish);
    tx.commit();
    return out;
  });
}

}  // namespace mlgate::server
