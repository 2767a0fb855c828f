// Production monitoring's rows (docs/observations.md): reference profiles of commits, serving
// observations as per-window partial profiles with a bounded sample for late truth, idempotent
// batch ids, compaction and retention. What monitors read: a range of windows merged into one
// profile, the prediction/truth pairs of a range, the reference profile of the deployed commit.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <pqxx/pqxx>
#include <set>
#include <string>
#include <vector>

#include "core/feature_profile.h"
#include "core/observations.h"

namespace mlgate::store {

// ---- reference profiles (reference.jsonl of a tier) ----

struct JobCommit {
  std::int64_t repo_id = 0;
  std::string sha;
  std::string tier;
};
std::optional<JobCommit> job_commit(pqxx::transaction_base& tx, std::int64_t job_id);

// Stores (or replaces) the job's reference profile.
void store_reference_profile(pqxx::work& tx, std::int64_t job_id, const core::DatasetProfile& p);
// The reference profile of a commit: the newest one any of its tiers wrote.
std::optional<core::DatasetProfile> reference_profile(pqxx::transaction_base& tx,
                                                      std::int64_t repo_id, const std::string& sha);
// The reference of the commit deployed to `environment` now; nullopt when nothing is deployed or
// it wrote none.
std::optional<core::DatasetProfile> deployed_reference_profile(pqxx::transaction_base& tx,
                                                               std::int64_t repo_id,
                                                               const std::string& environment);

// ---- observation intake ----

// The environment's deployment history in time order (the stack of store/deployments replayed).
std::vector<core::DeployedSince> deployment_history(pqxx::transaction_base& tx,
                                                    std::int64_t repo_id,
                                                    const std::string& environment);

enum class BatchKind { rows, truth };
// Records the batch id; false when it was recorded before (the batch is not stored again). A
// concurrent batch with the same id waits for the first to commit or roll back.
bool claim_observation_batch(pqxx::work& tx, std::int64_t repo_id, const std::string& environment,
                             BatchKind kind, const std::string& batch_id, std::size_t rows);

// One append-only row per (window, sha).
void insert_observation_partials(pqxx::work& tx, std::int64_t repo_id,
                                 const std::string& environment,
                                 const std::map<core::ObservationKey, core::DatasetProfile>& p);
// Keeps rows of the batch (id, ts, sha, prediction, truth) while their window holds fewer than
// core::kObservationSamplePerWindow (concurrent batches may overshoot by a batch each); a row id
// already kept is not replaced. Returns the rows kept. `full` holds windows (of this repository
// and environment) already known to hold that many: they are neither counted nor kept in, and
// the windows this call finds full are added to it (a window's kept rows only ever grow until
// retention deletes the window).
std::size_t insert_observation_samples(pqxx::work& tx, std::int64_t repo_id,
                                       const std::string& environment,
                                       const std::vector<core::ObservationRow>& rows,
                                       std::set<std::int64_t>& full);
// Sets the truth of kept rows by id; returns how many matched.
std::size_t attach_truth(pqxx::work& tx, std::int64_t repo_id, const std::string& environment,
                         const std::vector<core::TruthRow>& rows);

// ---- what monitors read ----

// The windows starting in [from, to) (seconds since the epoch) merged into one profile; only
// the rows of `sha` when given (the unattributed ones with "").
core::DatasetProfile observation_profile(pqxx::transaction_base& tx, std::int64_t repo_id,
                                         const std::string& environment, double from, double to,
                                         const std::optional<std::string>& sha = std::nullopt);

struct PredictionTruth {
  std::string id;
  double ts = 0;
  std::string sha;
  nlohmann::json prediction;
  nlohmann::json truth;
};
// The kept rows of commit `sha` ("": the unattributed ones) with truth whose ts is in [from, to),
// by ts.
std::vector<PredictionTruth> prediction_truth_pairs(pqxx::transaction_base& tx,
                                                    std::int64_t repo_id,
                                                    const std::string& environment, double from,
                                                    double to, const std::string& sha);

// ---- compaction and retention ----

// Merges the partials of up to `limit` (environment, window, sha) groups whose window ended more
// than a window ago into one row each. Returns the groups compacted.
std::int64_t compact_observation_windows(pqxx::work& tx, int limit);
// Deletes windows (partials and kept rows) older than `days`, and batch ids older than `days`.
std::int64_t delete_old_observations(pqxx::work& tx, int days, int limit);

}  // namespace mlgate::store
