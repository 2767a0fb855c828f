#include "store/retention.h"

#include <functional>
#include <string>

#include "store/monitors.h"

namespace mlgate::store {
namespace {

// The finished pipelines `p` older than $1 days that retention may touch: not of a commit that
// was ever deployed (or rolled back to) in the repo, nor of a commit that heads a ref or a branch.
const std::string kAgedOut =
    "p.finished_at < now() - make_interval(days => $1) "
    "AND NOT EXISTS (SELECT 1 FROM deployments d WHERE d.repo_id = p.repo_id AND d.sha = p.sha) "
    "AND NOT EXISTS ("
    "  SELECT 1 FROM pipelines h WHERE h.repo_id = p.repo_id AND h.sha = p.sha AND ("
    "    h.id = (SELECT max(x.id) FROM pipelines x WHERE x.repo_id = h.repo_id AND x.ref = h.ref)"
    "    OR (h.branch <> '' AND h.id = (SELECT max(x.id) FROM pipelines x "
    "                                  WHERE x.repo_id = h.repo_id AND x.branch = h.branch))))";

}  // namespace

std::int64_t delete_old_pipelines(pqxx::work& tx, int days, int limit) {
  auto r = tx.exec_params("DELETE FROM pipelines WHERE id IN (SELECT p.id FROM pipelines p WHERE " +
                              kAgedOut + " ORDER BY p.id LIMIT $2)",
                          days, limit);
  return static_cast<std::int64_t>(r.affected_rows());
}

std::int64_t delete_old_job_logs(pqxx::work& tx, int days, int limit) {
  auto r = tx.exec_params(
      "WITH emptied AS ("
      "  SELECT j.id FROM jobs j JOIN pipelines p ON p.id = j.pipeline_id "
      "  WHERE j.logs_deleted_at IS NULL AND " +
          kAgedOut +
          "  ORDER BY j.id LIMIT $2 FOR UPDATE OF j), "
          "logs AS (DELETE FROM job_logs l USING emptied e WHERE l.job_id = e.id), "
          "preds AS (DELETE FROM predictions pr USING emptied e WHERE pr.job_id = e.id) "
          "UPDATE jobs j SET logs_deleted_at = now() FROM emptied e WHERE j.id = e.id",
      days, limit);
  return static_cast<std::int64_t>(r.affected_rows());
}

std::int64_t delete_old_gate_decisions(pqxx::work& tx, int days, int limit) {
  auto r = tx.exec_params(
      "DELETE FROM gate_decisions WHERE id IN ("
      "  SELECT g.id FROM gate_decisions g "
      "  WHERE g.created_at < now() - make_interval(days => $1) "
      "    AND NOT EXISTS (SELECT 1 FROM deployments d WHERE d.gate_decision_id = g.id) "
      "    AND NOT EXISTS (SELECT 1 FROM protection_requests q WHERE q.gate_decision_id = g.id) "
      "  ORDER BY g.id LIMIT $2)",
      days, limit);
  return static_cast<std::int64_t>(r.affected_rows());
}

RetentionCounts apply_retention(Database& db, const RetentionPolicy& policy, int batch) {
  RetentionCounts out;
  // Runs step in batches until it deletes less than a batch; false when another replica holds
  // the lock.
  auto drain = [&](std::int64_t& count, const std::function<std::int64_t(pqxx::work&)>& step) {
    for (;;) {
      auto n = db.with([&](pqxx::connection& c) -> std::int64_t {
        pqxx::work tx(c);
        if (!tx.exec_params1("SELECT pg_try_advisory_xact_lock($1)", kRetentionLockKey)[0]
                 .as<bool>()) {
          return -1;
        }
        auto deleted = step(tx);
        tx.commit();
        return deleted;
      });
      if (n < 0) return false;
      count += n;
      if (n < batch) return true;
    }
  };
  if (policy.pipeline_days > 0) {
    const int days = policy.pipeline_days;
    if (!drain(out.pipelines,
               [&](pqxx::work& tx) { return delete_old_pipelines(tx, days, batch); }) ||
        !drain(out.gate_decisions,
               [&](pqxx::work& tx) { return delete_old_gate_decisions(tx, days, batch); }) ||
        !drain(out.monitor_evaluations,
               [&](pqxx::work& tx) { return delete_old_monitor_evaluations(tx, days, batch); })) {
      return out;
    }
  }
  if (policy.log_days > 0) {
    const int days = policy.log_days;
    drain(out.jobs_emptied, [&](pqxx::work& tx) { return delete_old_job_logs(tx, days, batch); });
  }
  return out;
}

}  // namespace mlgate::store
