// Retention: what the server deletes as it ages (docs/operations.md, "Retention").
//
// Never deleted, whatever its age:
//   - everything of a commit that was ever deployed or rolled back to in its repo (the gate's
//     baselines, the audit trail of what shipped);
//   - everything of a commit that heads a ref or a branch (the newest pipeline of each ref and of
//     each branch names it: branch statuses, badges and the gate of open work stay as they are);
//   - a pipeline that has not finished;
//   - a gate decision a deployment or a deployment protection request points at;
//   - the audit log;
//   - a monitor's changes of state (its alert history; other evaluations go by pipeline_days).
// Deleting a pipeline deletes its jobs, attempts, state changes, logs, test cases, metrics and
// predictions (ON DELETE CASCADE). Each call deletes at most `limit` rows of its kind, in one
// transaction, so that a large backlog goes in short transactions.
#pragma once

#include <cstdint>
#include <pqxx/pqxx>

#include "store/database.h"

namespace mlgate::store {

// Days kept; 0 keeps for ever.
struct RetentionPolicy {
  int pipeline_days = 0;  // finished pipelines with their results, and unreferenced decisions
  int log_days = 0;       // job logs and per-example predictions of finished pipelines
};

struct RetentionCounts {
  std::int64_t pipelines = 0;       // deleted with everything they hold
  std::int64_t jobs_emptied = 0;    // jobs whose log and predictions were deleted
  std::int64_t gate_decisions = 0;  // deleted
  // monitor evaluations that did not change the state (store/monitors.h), by pipeline_days
  std::int64_t monitor_evaluations = 0;
  bool any() const { return pipelines || jobs_emptied || gate_decisions || monitor_evaluations; }
};

// Finished pipelines older than `days` (by finished_at) that are not kept (above).
std::int64_t delete_old_pipelines(pqxx::work& tx, int days, int limit);

// Deletes the log chunks and predictions of the jobs of finished pipelines older than `days` that
// are not kept (above), and sets the jobs' logs_deleted_at. Returns the jobs emptied.
std::int64_t delete_old_job_logs(pqxx::work& tx, int days, int limit);

// Gate decisions older than `days` that no deployment or protection request points at.
std::int64_t delete_old_gate_decisions(pqxx::work& tx, int days, int limit);

// pg_try_advisory_xact_lock key of a retention batch: "mlgretn" in ASCII. Replicas that run the
// pass at the same time take turns batch by batch instead of deleting the same rows.
inline constexpr std::int64_t kRetentionLockKey = 0x6d6c677265746eLL;

// Applies the policy in batches of `batch` rows, each in its own transaction, until nothing of
// a kind is left to delete (or another replica holds the lock: it is doing the same work).
RetentionCounts apply_retention(Database& db, const RetentionPolicy& policy, int batch = 200);

}  // namespace mlgate::store
