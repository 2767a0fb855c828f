#include "store/observations.h"

#include "core/feature_profile_binary.h"
#include "store/pq.h"

namespace mlgate::store {
namespace {

using nlohmann::json;

// The seed of merges made by readers and compaction: fixed, so a range reads the same twice.
constexpr std::uint64_t kMergeSeed = 0x6f627365727665ULL;  // "observe"

// A partial's profile: its bytes (profile_bin, migration 0026) or, when written before, its jsonb.
core::DatasetProfile partial_profile(const pqxx::row& row) {
  if (!row[1].is_null()) return core::profile_from_binary(from_bytea(row[1]));
  return core::profile_from_json(json::parse(row[0].c_str()));
}

// Rows of (profile::text, profile_bin) merged into one profile.
core::DatasetProfile merge_rows(const pqxx::result& r) {
  core::DatasetProfile merged;
  bool first = true;
  for (const auto& row : r) {
    auto p = partial_profile(row);
    merged = first ? std::move(p) : core::merge_profiles(merged, p, kMergeSeed);
    first = false;
  }
  return merged;
}

const char* kind_text(BatchKind kind) {
  return kind == BatchKind::rows ? "rows" : "truth";
}

}  // namespace

std::optional<JobCommit> job_commit(pqxx::transaction_base& tx, std::int64_t job_id) {
  auto r = tx.exec_params(
      "SELECT p.repo_id, p.sha, j.tier FROM jobs j JOIN pipelines p ON p.id = j.pipeline_id "
      "WHERE j.id = $1",
      job_id);
  if (r.empty()) return std::nullopt;
  return JobCommit{r[0][0].as<std::int64_t>(), r[0][1].as<std::string>(),
                   r[0][2].as<std::string>()};
}

void store_reference_profile(pqxx::work& tx, std::int64_t job_id, const core::DatasetProfile& p) {
  tx.exec_params(
      "INSERT INTO reference_profiles (job_id, repo_id, sha, tier, rows, profile) "
      "SELECT j.id, p.repo_id, p.sha, j.tier, $2, $3::jsonb FROM jobs j "
      "JOIN pipelines p ON p.id = j.pipeline_id WHERE j.id = $1 "
      "ON CONFLICT (job_id) DO UPDATE SET rows = EXCLUDED.rows, profile = EXCLUDED.profile, "
      "created_at = now()",
      job_id, static_cast<std::int64_t>(p.rows), core::profile_to_json(p).dump());
}

std::optional<core::DatasetProfile> reference_profile(pqxx::transaction_base& tx,
                                                      std::int64_t repo_id,
                                                      const std::string& sha) {
  auto r = tx.exec_params(
      "SELECT profile FROM reference_profiles WHERE repo_id = $1 AND sha = $2 "
      "ORDER BY created_at DESC, job_id DESC LIMIT 1",
      repo_id, sha);
  if (r.empty()) return std::nullopt;
  return core::profile_from_json(json::parse(r[0][0].c_str()));
}

std::optional<core::DatasetProfile> deployed_reference_profile(pqxx::transaction_base& tx,
                                                               std::int64_t repo_id,
                                                               const std::string& environment) {
  auto history = deployment_history(tx, repo_id, environment);
  if (history.empty() || history.back().sha.empty()) return std::nullopt;
  return reference_profile(tx, repo_id, history.back().sha);
}

std::vector<core::DeployedSince> deployment_history(pqxx::transaction_base& tx,
                                                    std::int64_t repo_id,
                                                    const std::string& environment) {
  auto r = tx.exec_prepared(
      prepared(tx, "observation_deployment_history",
               "SELECT kind, sha, extract(epoch FROM created_at)::float8 FROM deployments "
               "WHERE repo_id = $1 AND environment = $2 ORDER BY id"),
      repo_id, environment);
  std::vector<core::DeployedSince> history;
  std::vector<std::string> stack;
  for (const auto& row : r) {
    if (row[0].as<std::string>() == "rollback") {
      if (!stack.empty()) stack.pop_back();
    } else {
      stack.push_back(row[1].as<std::string>());
    }
    history.push_back({row[2].as<double>(), stack.empty() ? std::string() : stack.back()});
  }
  return history;
}

bool claim_observation_batch(pqxx::work& tx, std::int64_t repo_id, const std::string& environment,
                             BatchKind kind, const std::string& batch_id, std::size_t rows) {
  auto r = tx.exec_prepared(
      prepared(tx, "observation_claim_batch",
               "INSERT INTO observation_batches (repo_id, environment, kind, batch_id, rows) "
               "VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING"),
      repo_id, environment, kind_text(kind), batch_id, static_cast<std::int64_t>(rows));
  return r.affected_rows() == 1;
}

void insert_observation_partials(pqxx::work& tx, std::int64_t repo_id,
                                 const std::string& environment,
                                 const std::map<core::ObservationKey, core::DatasetProfile>& p) {
  for (const auto& [key, profile] : p)
    tx.exec_prepared(
        prepared(tx, "observation_insert_partial",
                 "INSERT INTO observation_partials (repo_id, environment, sha, window_start, "
                 "rows, profile_bin) VALUES ($1, $2, $3, to_timestamp($4), $5, $6)"),
        repo_id, environment, key.sha, key.window, static_cast<std::int64_t>(profile.rows),
        to_bytea(core::profile_to_binary(profile)));
}

namespace {

// Room left per window of the batch's rows (windows in `full` have none and are not counted);
// adds to `full` the windows found full.
std::map<std::int64_t, std::size_t> sample_room(pqxx::work& tx, std::int64_t repo_id,
                                                const std::string& environment,
                                                const std::vector<core::ObservationRow>& rows,
                                                std::set<std::int64_t>& full) {
  std::map<std::int64_t, std::size_t> room;
  json windows = json::array();
  for (const auto& row : rows) {
    const auto w = core::observation_window(row.ts);
    if (full.contains(w) || room.contains(w)) continue;
    room[w] = core::kObservationSamplePerWindow;
    windows.push_back(w);
  }
  if (room.empty()) return room;
  auto counts = tx.exec_prepared(
      prepared(tx, "observation_sample_counts",
               "SELECT extract(epoch FROM window_start)::bigint, count(*) FROM "
               "observation_samples WHERE repo_id = $1 AND environment = $2 AND window_start IN "
               "(SELECT to_timestamp(w::bigint) FROM json_array_elements_text($3::json) w) "
               "GROUP BY window_start"),
      repo_id, environment, windows.dump());
  for (const auto& c : counts) {
    const auto w = c[0].as<std::int64_t>();
    const auto used = c[1].as<std::size_t>();
    auto& n = room[w];
    n = used >= n ? 0 : n - used;
    if (n == 0) full.insert(w);
  }
  return room;
}

}  // namespace

std::size_t insert_observation_samples(pqxx::work& tx, std::int64_t repo_id,
                                       const std::string& environment,
                                       const std::vector<core::ObservationRow>& rows,
                                       std::set<std::int64_t>& full) {
  auto room = sample_room(tx, repo_id, environment, rows, full);
  json kept = json::array();
  for (const auto& row : rows) {
    const auto w = core::observation_window(row.ts);
    auto it = room.find(w);
    if (it == room.end() || it->second == 0) continue;
    --it->second;
    kept.push_back({{"id", row.id},
                    {"w", w},
                    {"ts", row.ts},
                    {"sha", row.sha},
                    {"prediction", row.prediction.is_null() ? json::object() : row.prediction},
                    {"truth", row.truth}});
  }
  if (kept.empty()) return 0;
  auto r = tx.exec_prepared(
      prepared(tx, "observation_insert_samples",
               "INSERT INTO observation_samples (repo_id, environment, row_id, window_start, ts, "
               "sha, prediction, truth) SELECT $1, $2, r.id, to_timestamp(r.w), "
               "to_timestamp(r.ts), r.sha, r.prediction, NULLIF(r.truth, 'null'::jsonb) FROM "
               "jsonb_to_recordset($3::jsonb) AS r(id text, w bigint, ts float8, sha text, "
               "prediction jsonb, truth jsonb) ON CONFLICT DO NOTHING"),
      repo_id, environment, kept.dump());
  return static_cast<std::size_t>(r.affected_rows());
}

std::size_t attach_truth(pqxx::work& tx, std::int64_t repo_id, const std::string& environment,
                         const std::vector<core::TruthRow>& rows) {
  json items = json::array();
  for (const auto& row : rows) items.push_back({{"id", row.id}, {"truth", row.truth}});
  auto r = tx.exec_params(
      "UPDATE observation_samples s SET truth = r.truth "
      "FROM jsonb_to_recordset($3::jsonb) AS r(id text, truth jsonb) "
      "WHERE s.repo_id = $1 AND s.environment = $2 AND s.row_id = r.id",
      repo_id, environment, items.dump());
  return static_cast<std::size_t>(r.affected_rows());
}

core::DatasetProfile observation_profile(pqxx::transaction_base& tx, std::int64_t repo_id,
                                         const std::string& environment, double from, double to,
                                         const std::optional<std::string>& sha) {
  return merge_rows(tx.exec_params(
      "SELECT profile::text, profile_bin FROM observation_partials WHERE repo_id = $1 "
      "AND environment = $2 "
      "AND window_start >= to_timestamp($3) AND window_start < to_timestamp($4) "
      "AND ($5::text IS NULL OR sha = $5) ORDER BY window_start, sha, id",
      repo_id, environment, from, to, sha));
}

std::vector<PredictionTruth> prediction_truth_pairs(pqxx::transaction_base& tx,
                                                    std::int64_t repo_id,
                                                    const std::string& environment, double from,
                                                    double to, const std::string& sha) {
  auto r = tx.exec_params(
      "SELECT row_id, extract(epoch FROM ts)::float8, sha, prediction::text, truth::text "
      "FROM observation_samples WHERE repo_id = $1 AND environment = $2 AND truth IS NOT NULL "
      "AND ts >= to_timestamp($3) AND ts < to_timestamp($4) AND sha = $5 ORDER BY ts, row_id",
      repo_id, environment, from, to, sha);
  std::vector<PredictionTruth> pairs;
  for (const auto& row : r)
    pairs.push_back({row[0].as<std::string>(), row[1].as<double>(), row[2].as<std::string>(),
                     json::parse(row[3].c_str()), json::parse(row[4].c_str())});
  return pairs;
}

std::int64_t compact_observation_windows(pqxx::work& tx, int limit) {
  auto groups = tx.exec_params(
      "SELECT repo_id, environment, window_start, sha FROM observation_partials "
      "WHERE window_start < now() - make_interval(secs => $1) "
      "GROUP BY repo_id, environment, window_start, sha HAVING count(*) > 1 LIMIT $2",
      2 * core::kObservationWindowSeconds, limit);
  for (const auto& g : groups) {
    auto parts = tx.exec_params(
        "DELETE FROM observation_partials WHERE repo_id = $1 AND environment = $2 "
        "AND window_start = $3::timestamptz AND sha = $4 RETURNING profile::text, profile_bin",
        g[0].as<std::int64_t>(), g[1].as<std::string>(), g[2].as<std::string>(),
        g[3].as<std::string>());
    auto merged = merge_rows(parts);
    tx.exec_params(
        "INSERT INTO observation_partials (repo_id, environment, sha, window_start, rows, "
        "profile_bin, compacted) VALUES ($1, $2, $3, $4::timestamptz, $5, $6, true)",
        g[0].as<std::int64_t>(), g[1].as<std::string>(), g[3].as<std::string>(),
        g[2].as<std::string>(), static_cast<std::int64_t>(merged.rows),
        to_bytea(core::profile_to_binary(merged)));
  }
  return static_cast<std::int64_t>(groups.size());
}

std::int64_t delete_old_observations(pqxx::work& tx, int days, int limit) {
  if (days <= 0) return 0;
  std::int64_t n = 0;
  for (const char* sql :
       {"DELETE FROM observation_partials WHERE id IN (SELECT id FROM observation_partials "
        "WHERE window_start < now() - make_interval(days => $1) LIMIT $2)",
        "DELETE FROM observation_samples WHERE ctid IN (SELECT ctid FROM observation_samples "
        "WHERE window_start < now() - make_interval(days => $1) LIMIT $2)",
        "DELETE FROM observation_batches WHERE ctid IN (SELECT ctid FROM observation_batches "
        "WHERE created_at < now() - make_interval(days => $1) LIMIT $2)"})
    n += tx.exec_params(sql, days, limit).affected_rows();
  return n;
}

}  // namespace mlgate::store
