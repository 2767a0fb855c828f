#include "store/schedules.h"

namespace mlgate::store {
namespace {

using std::chrono::sys_seconds;

sys_seconds from_epoch(std::int64_t s) {
  return sys_seconds{std::chrono::seconds{s}};
}

std::int64_t epoch(sys_seconds t) {
  return t.time_since_epoch().count();
}

}  // namespace

std::map<std::string, core::ScheduleCursor> load_schedule_cursors(pqxx::transaction_base& tx,
                                                                  std::int64_t repo_id) {
  std::map<std::string, core::ScheduleCursor> cursors;
  for (const auto& r : tx.exec_params(
           "SELECT tier, cron, extract(epoch FROM known_since)::bigint FROM schedule_cursors "
           "WHERE repo_id = $1",
           repo_id)) {
    cursors[r[0].as<std::string>()] = {r[1].as<std::string>(), from_epoch(r[2].as<std::int64_t>()),
                                       std::nullopt};
  }
  for (const auto& r :
       tx.exec_params("SELECT tier, extract(epoch FROM max(scheduled_for))::bigint FROM schedules "
                      "WHERE repo_id = $1 GROUP BY tier",
                      repo_id)) {
    auto it = cursors.find(r[0].as<std::string>());
    if (it != cursors.end()) it->second.last_fired = from_epoch(r[1].as<std::int64_t>());
  }
  return cursors;
}

void save_schedule_cursor(pqxx::transaction_base& tx, std::int64_t repo_id, const std::string& tier,
                          const std::string& cron, std::chrono::sys_seconds known_since,
                          const std::string& sha) {
  tx.exec_params(
      "INSERT INTO schedule_cursors (repo_id, tier, cron, known_since, sha) "
      "VALUES ($1, $2, $3, to_timestamp($4), $5) ON CONFLICT (repo_id, tier) DO UPDATE "
      "SET cron = EXCLUDED.cron, known_since = EXCLUDED.known_since, sha = EXCLUDED.sha, "
      "updated_at = now()",
      repo_id, tier, cron, epoch(known_since), sha);
}

void forget_schedule_cursor(pqxx::transaction_base& tx, std::int64_t repo_id,
                            const std::string& tier) {
  tx.exec_params("DELETE FROM schedule_cursors WHERE repo_id = $1 AND tier = $2", repo_id, tier);
}

std::optional<std::int64_t> claim_scheduled_run(pqxx::transaction_base& tx, std::int64_t repo_id,
                                                const std::string& tier, const std::string& cron,
                                                std::chrono::sys_seconds at) {
  auto r = tx.exec_params(
      "INSERT INTO schedules (repo_id, tier, cron, scheduled_for) "
      "VALUES ($1, $2, $3, to_timestamp($4)) "
      "ON CONFLICT (repo_id, tier, scheduled_for) DO NOTHING RETURNING id",
      repo_id, tier, cron, epoch(at));
  if (r.empty()) return std::nullopt;
  return r[0][0].as<std::int64_t>();
}

void set_schedule_pipeline(pqxx::transaction_base& tx, std::int64_t schedule_id,
                           std::int64_t pipeline_id) {
  tx.exec_params("UPDATE schedules SET pipeline_id = $2 WHERE id = $1", schedule_id, pipeline_id);
}

bool try_session_lock(pqxx::transaction_base& tx, std::int64_t key) {
  return tx.exec_params1("SELECT pg_try_advisory_lock($1)", key)[0].as<bool>();
}

void ping_session(pqxx::transaction_base& tx) {
  tx.exec("SELECT 1");
}

}  // namespace mlgate::store
