#include "store/deliveries.h"

#include <nlohmann/json.hpp>
#include <tuple>
#include <utility>

#include "store/pq.h"
#include "store/state_text.h"

namespace mlgate::store {
namespace {

std::string headers_json(const std::map<std::string, std::string>& headers) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [k, v] : headers) j[k] = v;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

constexpr const char* kListColumns =
    "d.id, d.repo_id, coalesce(r.full_name, ''), d.forge, d.delivery_id, d.event, d.verdict, "
    "d.http_status, d.reason, to_char(d.received_at AT TIME ZONE 'UTC', "
    "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), coalesce(d.answered_ms, 0), d.spooled, d.plan_state, "
    "coalesce(d.plan_error, ''), p.id, d.replay_of, d.body_bytes, d.body_sha256, "
    "d.body_truncated, d.verified";

DeliveryRow to_row(const pqxx::row& r) {
  DeliveryRow d;
  d.id = r[0].as<std::int64_t>();
  d.repo_id = get_optional<std::int64_t>(r[1]);
  d.repo_name = r[2].as<std::string>();
  d.forge = r[3].as<std::string>();
  d.delivery_id = r[4].as<std::string>();
  d.event = r[5].as<std::string>();
  d.verdict = delivery_verdict_of(r[6]);
  d.http_status = r[7].as<int>();
  d.reason = r[8].as<std::string>();
  d.received_at = r[9].as<std::string>();
  d.answered_ms = r[10].as<double>();
  d.spooled = r[11].as<bool>();
  d.plan_state = plan_state_of(r[12]);
  d.plan_error = r[13].as<std::string>();
  d.pipeline_id = get_optional<std::int64_t>(r[14]);
  d.replay_of = get_optional<std::int64_t>(r[15]);
  d.body_bytes = r[16].as<std::int64_t>();
  d.body_sha256 = r[17].as<std::string>();
  d.body_truncated = r[18].as<bool>();
  d.verified = r[19].as<bool>();
  return d;
}

const char* kFrom =
    " FROM webhook_deliveries d LEFT JOIN repos r ON r.id = d.repo_id "
    "LEFT JOIN LATERAL (SELECT id FROM pipelines WHERE delivery_id = d.id ORDER BY id LIMIT 1) p "
    "ON true";

// NULL (computed by the database from the whole body) when the caller gave no hash.
std::optional<std::int64_t> body_bytes_of(const NewDelivery& d) {
  if (d.body_sha256.empty()) return std::nullopt;
  return d.body_bytes;
}
std::optional<std::string> body_sha256_of(const NewDelivery& d) {
  if (d.body_sha256.empty()) return std::nullopt;
  return d.body_sha256;
}

// pg_advisory_xact_lock key of an unverified delivery's insert and pruning: "mlgunvd" in ASCII.
constexpr std::int64_t kUnverifiedLockKey = 0x6d6c67756e7664;

// The bytes an unverified row keeps: its stored body and its headers as stored.
constexpr const char* kKeptBytes = "octet_length(body) + pg_column_size(headers)";

// Which unverified rows an allowance covers ($1 is the repository, or NULL).
constexpr const char* kOneRepo = "repo_id = $1";
constexpr const char* kNoRepo = "repo_id IS NULL AND $1::bigint IS NULL";
constexpr const char* kAll = "$1::bigint IS NULL";

// Deletes the oldest unverified rows of `scope` beyond `max_bytes`, keeping the newest whose sum
// fits; returns the rows and bytes deleted.
std::pair<std::int64_t, std::int64_t> prune_unverified(pqxx::work& tx, const char* scope,
                                                       std::optional<std::int64_t> repo_id,
                                                       std::int64_t max_bytes) {
  auto r = tx.exec_params1(
      std::string("WITH ranked AS (SELECT id, ") + kKeptBytes + " AS bytes, sum(" + kKeptBytes +
          ") OVER (ORDER BY id DESC) AS newer FROM webhook_deliveries WHERE NOT verified AND " +
          scope +
          "), gone AS (DELETE FROM webhook_deliveries d USING ranked r WHERE d.id = r.id AND "
          "r.newer > $2 RETURNING r.bytes) "
          "SELECT count(*)::bigint, coalesce(sum(bytes), 0)::bigint FROM gone",
      repo_id, max_bytes);
  return {r[0].as<std::int64_t>(), r[1].as<std::int64_t>()};
}

}  // namespace

std::int64_t insert_delivery(pqxx::work& tx, const NewDelivery& d) {
  return tx
      .exec_params1(
          "INSERT INTO webhook_deliveries (repo_id, forge, delivery_id, event, headers, body, "
          "verdict, http_status, reason, answered_ms, spooled, plan_state, replay_of, body_bytes, "
          "body_sha256, body_truncated, verified) "
          "VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, "
          "$17) RETURNING id",
          d.repo_id, d.forge, d.delivery_id, d.event, headers_json(d.headers), to_bytea(d.body),
          state_text(d.verdict), d.http_status, d.reason, d.answered_ms, d.spooled,
          state_text(d.plan_state), d.replay_of, body_bytes_of(d), body_sha256_of(d),
          d.body_truncated, d.verified)[0]
      .as<std::int64_t>();
}

std::optional<std::int64_t> insert_accepted_once(pqxx::work& tx, const NewDelivery& d) {
  auto r = tx.exec_params(
      "INSERT INTO webhook_deliveries (repo_id, forge, delivery_id, event, headers, body, verdict,"
      " http_status, reason, answered_ms, spooled, plan_state, replay_of, body_bytes, "
      "body_sha256, body_truncated, verified) "
      "VALUES ($1, $2, $3, $4, $5::jsonb, $6, 'accepted', $7, $8, $9, $10, $11, $12, $13, $14, "
      "false, true) "
      "ON CONFLICT (repo_id, delivery_id) WHERE verdict = 'accepted' DO NOTHING RETURNING id",
      d.repo_id, d.forge, d.delivery_id, d.event, headers_json(d.headers), to_bytea(d.body),
      d.http_status, d.reason, d.answered_ms, d.spooled, state_text(d.plan_state), d.replay_of,
      body_bytes_of(d), body_sha256_of(d));
  if (r.empty()) return std::nullopt;
  return r[0][0].as<std::int64_t>();
}

std::int64_t insert_unverified_delivery(pqxx::work& tx, const NewDelivery& d,
                                        const UnverifiedBound& bound, UnverifiedDropped& dropped) {
  tx.exec_params("SELECT pg_advisory_xact_lock($1)", kUnverifiedLockKey);
  NewDelivery row = d;
  row.verified = false;
  const auto id = insert_delivery(tx, row);
  const auto repo =
      prune_unverified(tx, d.repo_id ? kOneRepo : kNoRepo, d.repo_id, bound.repo_max_bytes);
  dropped.repo_rows += repo.first;
  dropped.repo_bytes += repo.second;
  const auto total = prune_unverified(tx, kAll, std::nullopt, bound.max_bytes);
  dropped.total_rows += total.first;
  dropped.total_bytes += total.second;
  return id;
}

std::int64_t unverified_kept_bytes(pqxx::transaction_base& tx) {
  return tx
      .exec1(std::string("SELECT coalesce(sum(") + kKeptBytes +
             "), 0)::bigint FROM webhook_deliveries WHERE NOT verified")[0]
      .as<std::int64_t>();
}

std::int64_t unverified_kept_bytes(pqxx::transaction_base& tx,
                                   std::optional<std::int64_t> repo_id) {
  return tx
      .exec_params1(std::string("SELECT coalesce(sum(") + kKeptBytes +
                        "), 0)::bigint FROM webhook_deliveries WHERE NOT verified AND " +
                        (repo_id ? kOneRepo : kNoRepo),
                    repo_id)[0]
      .as<std::int64_t>();
}

std::optional<AcceptedRef> find_accepted(pqxx::transaction_base& tx, std::int64_t repo_id,
                                         const std::string& delivery_id) {
  auto r = tx.exec_params(
      "SELECT d.id, (SELECT id FROM pipelines WHERE delivery_id = d.id ORDER BY id LIMIT 1), "
      "d.plan_state FROM webhook_deliveries d "
      "WHERE d.repo_id = $1 AND d.delivery_id = $2 AND d.verdict = 'accepted'",
      repo_id, delivery_id);
  if (r.empty()) return std::nullopt;
  return AcceptedRef{r[0][0].as<std::int64_t>(), get_optional<std::int64_t>(r[0][1]),
                     plan_state_of(r[0][2])};
}

namespace {

// The accepted-once INSERT of `rows` rows, one prepared statement per size: 14 parameters a row,
// the body a binary parameter (no escaping, no literal for PostgreSQL to scan).
constexpr int kAcceptParams = 14;

std::string accept_sql(std::size_t rows) {
  std::string sql =
      "INSERT INTO webhook_deliveries (repo_id, forge, delivery_id, event, headers, body, "
      "http_status, reason, answered_ms, spooled, plan_state, replay_of, body_bytes, "
      "body_sha256, verdict, body_truncated, verified) VALUES ";
  for (std::size_t i = 0; i < rows; ++i) {
    const auto p = [&](int n) {
      return "$" + std::to_string(static_cast<int>(i) * kAcceptParams + n);
    };
    sql += (i ? ", (" : "(") + p(1) + "::bigint, " + p(2) + ", " + p(3) + ", " + p(4) + ", " +
           p(5) + "::jsonb, " + p(6) + "::bytea, " + p(7) + "::int, " + p(8) + ", " + p(9) +
           "::double precision, " + p(10) + "::boolean, " + p(11) + ", " + p(12) + "::bigint, " +
           p(13) + "::bigint, " + p(14) + ", 'accepted', false, true)";
  }
  return sql +
         " ON CONFLICT (repo_id, delivery_id) WHERE verdict = 'accepted' DO NOTHING "
         "RETURNING id, repo_id, delivery_id";
}

auto accept_params(const NewDelivery& d) {
  return std::make_tuple(d.repo_id, d.forge, d.delivery_id, d.event, headers_json(d.headers),
                         to_bytea(d.body), d.http_status, d.reason, d.answered_ms, d.spooled,
                         std::string(state_text(d.plan_state)), d.replay_of, body_bytes_of(d),
                         body_sha256_of(d));
}

// Inserts rows[0, N) with the prepared statement for N rows.
template <std::size_t... I>
pqxx::result insert_accepted(pqxx::work& tx, const NewDelivery* const* rows,
                             std::index_sequence<I...>) {
  constexpr std::size_t n = sizeof...(I);
  static const std::string name = "accept_deliveries_" + std::to_string(n);
  const std::string& stmt = prepared(tx, name, accept_sql(n));
  return std::apply([&](const auto&... p) { return tx.exec_prepared(stmt, p...); },
                    std::tuple_cat(accept_params(*rows[I])...));
}

// Statement sizes a group is cut into, largest first: a group of n rows costs at most one
// statement per set bit of n (below 16) plus one per 16 rows.
template <std::size_t N>
std::size_t insert_chunk(pqxx::work& tx, const std::vector<const NewDelivery*>& rows,
                         std::size_t at, pqxx::result& out) {
  if (rows.size() - at < N) return at;
  out = insert_accepted(tx, rows.data() + at, std::make_index_sequence<N>{});
  return at + N;
}

// Stores `row` as a duplicate of the accepted delivery with its id.
void record_duplicate(pqxx::work& tx, const NewDelivery& row, AcceptOutcome& res) {
  res.original = find_accepted(tx, *row.repo_id, row.delivery_id);
  NewDelivery dup = row;
  dup.verdict = core::DeliveryVerdict::duplicate;
  dup.http_status = 200;
  dup.plan_state = core::PlanState::none;
  dup.reason =
      res.original ? "redelivery of delivery " + std::to_string(res.original->id) : "redelivery";
  res.duplicate_row = insert_delivery(tx, dup);
}

}  // namespace

std::vector<AcceptOutcome> accept_deliveries(pqxx::work& tx,
                                             const std::vector<const NewDelivery*>& rows) {
  std::vector<AcceptOutcome> out(rows.size());
  if (rows.empty()) return out;
  // Rows are inserted in the order given (ids ascending); a row whose (repo, delivery id) is taken
  // — in the table, or by an earlier row of the group — is not.
  std::map<std::pair<std::int64_t, std::string>, std::int64_t> inserted;
  const auto keep = [&](const pqxx::result& r) {
    for (const auto& row : r)
      inserted.emplace(std::make_pair(row[1].as<std::int64_t>(), row[2].as<std::string>()),
                       row[0].as<std::int64_t>());
  };
  for (std::size_t at = 0; at < rows.size();) {
    pqxx::result r;
    std::size_t next = insert_chunk<16>(tx, rows, at, r);
    if (next == at) next = insert_chunk<8>(tx, rows, at, r);
    if (next == at) next = insert_chunk<4>(tx, rows, at, r);
    if (next == at) next = insert_chunk<2>(tx, rows, at, r);
    if (next == at) next = insert_chunk<1>(tx, rows, at, r);
    keep(r);
    at = next;
  }
  // The first row with each key is the one inserted; the others are duplicates of it.
  for (std::size_t i = 0; i < rows.size(); ++i) {
    auto it = inserted.find({*rows[i]->repo_id, rows[i]->delivery_id});
    if (it != inserted.end()) {
      out[i].id = it->second;
      inserted.erase(it);
    } else {
      record_duplicate(tx, *rows[i], out[i]);
    }
  }
  return out;
}

std::vector<DeliveryRow> list_deliveries(pqxx::transaction_base& tx, int limit,
                                         std::optional<std::int64_t> repo_id) {
  std::vector<DeliveryRow> out;
  auto r = tx.exec_params(
      std::string("SELECT ") + kListColumns + kFrom +
          " WHERE ($2::bigint IS NULL OR d.repo_id = $2) ORDER BY d.id DESC LIMIT $1",
      limit, repo_id);
  for (const auto& row : r) out.push_back(to_row(row));
  return out;
}

std::optional<DeliveryRow> get_delivery(pqxx::transaction_base& tx, std::int64_t id) {
  auto r = tx.exec_params(std::string("SELECT ") + kListColumns + ", d.headers::text, d.body" +
                              kFrom + " WHERE d.id = $1",
                          id);
  if (r.empty()) return std::nullopt;
  DeliveryRow d = to_row(r[0]);
  auto headers = nlohmann::json::parse(r[0][20].as<std::string>(), nullptr, false);
  if (headers.is_object()) {
    for (auto it = headers.begin(); it != headers.end(); ++it) {
      if (it.value().is_string()) d.headers[it.key()] = it.value().get<std::string>();
    }
  }
  d.body = from_bytea(r[0][21]);
  return d;
}

std::optional<RepoOwner> delivery_owner(pqxx::transaction_base& tx, std::int64_t id) {
  auto r = tx.exec_params("SELECT repo_id FROM webhook_deliveries WHERE id = $1", id);
  if (r.empty()) return std::nullopt;
  return RepoOwner{get_optional<std::int64_t>(r[0][0])};
}

std::vector<std::int64_t> pending_deliveries(pqxx::transaction_base& tx, int limit) {
  std::vector<std::int64_t> out;
  for (const auto& r : tx.exec_params(
           "SELECT id FROM webhook_deliveries WHERE plan_state = 'pending' ORDER BY id LIMIT $1",
           limit)) {
    out.push_back(r[0].as<std::int64_t>());
  }
  return out;
}

std::int64_t delete_old_deliveries(pqxx::work& tx, int days) {
  auto r = tx.exec_params(
      "DELETE FROM webhook_deliveries WHERE received_at < now() - make_interval(days => $1)", days);
  return static_cast<std::int64_t>(r.affected_rows());
}

namespace {

// The planning lock of the repository of the delivery `$1`, taken for the one row the WHERE keeps,
// if any: the lock's two-key form, "mlgp" in ASCII and the repository id.
constexpr const char* kLockPlanningOfDelivery =
    "SELECT repo_id, pg_advisory_xact_lock(1835820912, (repo_id % 2147483647)::int) "
    "FROM webhook_deliveries WHERE id = $1 AND plan_state = 'pending' AND repo_id IS NOT NULL";

}  // namespace

std::optional<std::int64_t> lock_delivery_to_plan(pqxx::work& tx, std::int64_t id) {
  // With the row lock in the same statement: a row another planner planned while this one waited
  // for the repository's lock is checked again once that planner committed (no longer pending: no
  // row), as a row it still holds is skipped.
  auto r =
      tx.exec_prepared(prepared(tx, "lock_delivery_to_plan",
                                std::string(kLockPlanningOfDelivery) + " FOR UPDATE SKIP LOCKED"),
                       id);
  if (r.empty()) return std::nullopt;
  return r[0][0].as<std::int64_t>();
}

std::optional<std::int64_t> lock_planning_of_delivery(pqxx::work& tx, std::int64_t id) {
  auto r = tx.exec_prepared(prepared(tx, "lock_planning_of_delivery", kLockPlanningOfDelivery), id);
  if (r.empty()) return std::nullopt;
  return r[0][0].as<std::int64_t>();
}

std::vector<std::int64_t> lock_pending_of_repo(pqxx::work& tx, std::int64_t repo_id, int limit) {
  std::vector<std::int64_t> out;
  for (const auto& r : tx.exec_prepared(
           prepared(tx, "lock_pending_of_repo",
                    "SELECT id FROM webhook_deliveries WHERE repo_id = $1 AND plan_state = "
                    "'pending' ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED"),
           repo_id, limit))
    out.push_back(r[0].as<std::int64_t>());
  return out;
}

std::map<std::int64_t, PendingDelivery> pending_payloads(pqxx::transaction_base& tx,
                                                         const std::vector<std::int64_t>& ids) {
  std::map<std::int64_t, PendingDelivery> out;
  if (ids.empty()) return out;
  std::vector<std::string> texts;
  for (const auto id : ids) texts.push_back(std::to_string(id));
  for (const auto& r :
       tx.exec_prepared(prepared(tx, "pending_payloads",
                                 "SELECT id, forge, headers::text, body FROM webhook_deliveries "
                                 "WHERE id = ANY ($1::bigint[])"),
                        to_pg_array(texts)))
    out.emplace(r[0].as<std::int64_t>(),
                PendingDelivery{r[1].as<std::string>(), r[2].as<std::string>(), from_bytea(r[3])});
  return out;
}

void finish_delivery_plan(pqxx::work& tx, std::int64_t id, core::PlanState state,
                          const std::string& note) {
  tx.exec_params(
      "UPDATE webhook_deliveries SET plan_state = $2, planned_at = now(), plan_error = $3 WHERE id "
      "= $1",
      id, std::string(core::to_string(state)),
      note.empty() ? std::optional<std::string>() : std::optional<std::string>(note));
}

void finish_delivery_plans(pqxx::work& tx, const std::vector<DeliveryPlanEnd>& ends) {
  if (ends.empty()) return;
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& e : ends)
    rows.push_back({{"id", e.id},
                    {"state", std::string(core::to_string(e.state))},
                    {"note", e.note.empty() ? nlohmann::json() : nlohmann::json(e.note)}});
  tx.exec_prepared(
      prepared(tx, "finish_delivery_plans",
               "UPDATE webhook_deliveries d SET plan_state = x.state, planned_at = now(), "
               "plan_error = x.note FROM jsonb_to_recordset($1::jsonb) AS x(id bigint, "
               "state text, note text) WHERE d.id = x.id"),
      rows.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace mlgate::store
