#include "store/runners.h"

#include "store/crypto.h"
#include "store/pq.h"
#include "util/hash.h"

namespace mlgate::store {
namespace {

constexpr const char* kRunnerColumns =
    "id, name, tiers, capacity, executor, coalesce(version, ''), "
    "to_char(last_seen_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
    "disabled_at IS NOT NULL";

RunnerRow to_runner(const pqxx::row& r) {
  RunnerRow out;
  out.id = r[0].as<std::int64_t>();
  out.name = r[1].as<std::string>();
  out.tiers = from_pg_array(r[2]);
  out.capacity = r[3].as<int>();
  out.executor = r[4].as<std::string>();
  out.version = r[5].as<std::string>();
  out.last_seen_at = r[6].as<std::string>();
  out.disabled = r[7].as<bool>();
  return out;
}

}  // namespace

std::string generate_runner_credential() {
  return "mlgr_" + random_hex(32);
}

std::int64_t insert_runner(pqxx::work& tx, const NewRunner& runner, const std::string& credential) {
  return tx
      .exec_params1(
          "INSERT INTO runners (name, token_hash, tiers, capacity, executor, version) "
          "VALUES ($1, $2, $3::text[], $4, $5, $6) RETURNING id",
          runner.name, util::sha256_hex(credential), to_pg_array(runner.tiers), runner.capacity,
          runner.executor, runner.version)[0]
      .as<std::int64_t>();
}

std::optional<RunnerRow> authenticate_runner(pqxx::work& tx, const std::string& credential) {
  const std::string hash = util::sha256_hex(credential);
  // Marking the runner seen is a write; doing it at most every 5 s keeps a busy runner's calls
  // from queueing on its row lock. It comes before the share lock below: a transaction never
  // waits for the row while holding it, so two calls of one runner cannot deadlock.
  tx.exec_params(
      "UPDATE runners SET last_seen_at = now() WHERE token_hash = $1 AND disabled_at IS NULL "
      "AND last_seen_at < now() - interval '5 seconds'",
      hash);
  auto r = tx.exec_params(
      std::string("SELECT ") + kRunnerColumns + " FROM runners WHERE token_hash = $1 FOR SHARE",
      hash);
  if (r.empty()) return std::nullopt;
  return to_runner(r[0]);
}

std::vector<RunnerRow> list_runners(pqxx::transaction_base& tx) {
  std::vector<RunnerRow> out;
  for (const auto& r :
       tx.exec(std::string("SELECT ") + kRunnerColumns + " FROM runners ORDER BY id")) {
    out.push_back(to_runner(r));
  }
  return out;
}

std::optional<RunnerSwitch> set_runner_disabled(pqxx::work& tx, std::int64_t id, bool disabled) {
  // Waits for the protocol calls in flight (authenticate_runner's share lock); FK checks of other
  // rows (a claim inserting an attempt) take a key-share lock and do not conflict.
  auto before = tx.exec_params(
      "SELECT disabled_at IS NOT NULL FROM runners WHERE id = $1 FOR NO KEY UPDATE", id);
  if (before.empty()) return std::nullopt;
  const bool changed = before[0][0].as<bool>() != disabled;
  if (changed) {
    tx.exec_params("UPDATE runners SET disabled_at = CASE WHEN $2 THEN now() END WHERE id = $1", id,
                   disabled);
  }
  auto r =
      tx.exec_params(std::string("SELECT ") + kRunnerColumns + " FROM runners WHERE id = $1", id);
  return RunnerSwitch{to_runner(r[0]), changed};
}

long count_runners_seen_within(pqxx::transaction_base& tx, int seconds) {
  return tx
      .exec_params1(
          "SELECT count(*) FROM runners WHERE disabled_at IS NULL "
          "AND last_seen_at > now() - make_interval(secs => $1)",
          seconds)[0]
      .as<long>();
}

}  // namespace mlgate::store
