#include "store/forge_outbox.h"

#include <algorithm>

#include "store/pq.h"

namespace mlgate::store {

std::optional<std::int64_t> enqueue_forge_request(pqxx::work& tx, const NewOutboxRequest& r) {
  auto last = tx.exec_params(
      "SELECT url, body = $4::jsonb FROM forge_outbox WHERE repo_id = $1 AND sha = $2 AND "
      "context = $3 ORDER BY id DESC LIMIT 1",
      r.repo_id, r.sha, r.context, r.body_json);
  if (!last.empty() && last[0][0].as<std::string>() == r.url && last[0][1].as<bool>())
    return std::nullopt;
  tx.exec_params(
      "UPDATE forge_outbox SET gave_up_at = now(), last_error = 'superseded by a newer status' "
      "WHERE repo_id = $1 AND sha = $2 AND context = $3 AND sent_at IS NULL AND gave_up_at IS "
      "NULL AND (claimed_until IS NULL OR claimed_until < now())",
      r.repo_id, r.sha, r.context);
  return tx
      .exec_params1(
          "INSERT INTO forge_outbox (repo_id, kind, sha, context, method, url, body) "
          "VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb) RETURNING id",
          r.repo_id, r.kind, r.sha, r.context, r.method, r.url, r.body_json)[0]
      .as<std::int64_t>();
}

std::vector<OutboxItem> claim_forge_requests(pqxx::work& tx, int limit, std::chrono::seconds lease,
                                             bool notifications_only) {
  auto rows = tx.exec_prepared(
      prepared(tx, "mlgate_claim_forge_requests",
               "WITH due AS ("
               "  SELECT o.id FROM forge_outbox o"
               "  WHERE o.sent_at IS NULL AND o.gave_up_at IS NULL AND o.next_attempt_at <= now()"
               "    AND (o.claimed_until IS NULL OR o.claimed_until < now())"
               "    AND (NOT $3 OR o.kind = 'notification')"
               "    AND NOT EXISTS (SELECT 1 FROM forge_outbox p WHERE p.repo_id = o.repo_id"
               "      AND p.sha = o.sha AND p.context = o.context AND p.id < o.id"
               "      AND p.sent_at IS NULL AND p.gave_up_at IS NULL)"
               "  ORDER BY o.id LIMIT $1 FOR UPDATE SKIP LOCKED) "
               "UPDATE forge_outbox f SET attempts = f.attempts + 1,"
               "  claimed_until = now() + make_interval(secs => $2) "
               "FROM due WHERE f.id = due.id "
               "RETURNING f.id, f.repo_id, f.kind, f.context, f.method, f.url, f.body::text, "
               "f.attempts"),
      limit, static_cast<double>(lease.count()), notifications_only);
  std::vector<OutboxItem> out;
  for (const auto& r : rows) {
    OutboxItem i;
    i.id = r[0].as<std::int64_t>();
    i.repo_id = r[1].as<std::int64_t>();
    i.kind = r[2].as<std::string>();
    i.context = r[3].as<std::string>();
    i.method = r[4].as<std::string>();
    i.url = r[5].as<std::string>();
    i.body_json = r[6].as<std::string>();
    i.attempts = r[7].as<int>();
    out.push_back(std::move(i));
  }
  std::sort(out.begin(), out.end(),
            [](const OutboxItem& a, const OutboxItem& b) { return a.id < b.id; });
  return out;
}

namespace {
std::optional<int> status_or_null(int http_status) {
  return http_status ? std::optional<int>(http_status) : std::nullopt;
}
}  // namespace

void mark_forge_request_sent(pqxx::work& tx, std::int64_t id, int http_status) {
  tx.exec_params(
      "UPDATE forge_outbox SET sent_at = now(), claimed_until = NULL, last_status = $2, "
      "last_error = NULL WHERE id = $1",
      id, status_or_null(http_status));
}

void mark_forge_request_retry(pqxx::work& tx, std::int64_t id, int http_status,
                              const std::string& error, std::chrono::milliseconds delay) {
  tx.exec_params(
      "UPDATE forge_outbox SET claimed_until = NULL, last_status = $2, last_error = $3, "
      "next_attempt_at = now() + make_interval(secs => $4) WHERE id = $1",
      id, status_or_null(http_status), error, static_cast<double>(delay.count()) / 1000.0);
}

void mark_forge_request_given_up(pqxx::work& tx, std::int64_t id, int http_status,
                                 const std::string& error) {
  tx.exec_params(
      "UPDATE forge_outbox SET claimed_until = NULL, gave_up_at = now(), last_status = $2, "
      "last_error = $3 WHERE id = $1",
      id, status_or_null(http_status), error);
}

}  // namespace mlgate::store
