#include "store/tokens.h"

#include <algorithm>
#include <string_view>

#include "store/crypto.h"
#include "store/pq.h"
#include "util/hash.h"

namespace mlgate::store {

// read < deploy < admin (docs/api.md, "Conventions"): a deploy token reads what it deploys, and
// admin implies every scope. `observe` stands apart: a serving system's token posts observations
// and reads nothing.
bool ApiToken::has_scope(const std::string& scope) const {
  const auto holds = [&](std::string_view s) {
    return std::find(scopes.begin(), scopes.end(), s) != scopes.end();
  };
  return holds("admin") || holds(scope) || (scope == "read" && holds("deploy"));
}

std::string generate_token() {
  return "mlg_" + random_hex(32);
}

std::int64_t insert_api_token(pqxx::work& tx, const std::string& name, const std::string& token,
                              const std::vector<std::string>& scopes,
                              std::optional<std::int64_t> repo_id) {
  auto row = tx.exec_params1(
      "INSERT INTO api_tokens (name, token_hash, scopes, repo_id) VALUES ($1, $2, $3::text[], $4) "
      "RETURNING id",
      name, util::sha256_hex(token), to_pg_array(scopes), repo_id);
  return row[0].as<std::int64_t>();
}

std::optional<ApiToken> find_api_token(pqxx::work& tx, const std::string& token) {
  // last_used_at is written at most once a minute per token: a lookup is a read most of the time.
  auto r = tx.exec_params(
      "WITH live AS (SELECT id, name, scopes, repo_id, expires_at, last_used_at FROM api_tokens "
      "  WHERE token_hash = $1 AND revoked_at IS NULL "
      "  AND (expires_at IS NULL OR expires_at > now())), "
      "used AS (UPDATE api_tokens t SET last_used_at = now() FROM live "
      "  WHERE t.id = live.id AND (live.last_used_at IS NULL "
      "  OR live.last_used_at < now() - interval '1 minute')) "
      "SELECT id, name, scopes, repo_id, extract(epoch FROM expires_at)::float8 FROM live",
      util::sha256_hex(token));
  if (r.empty()) return std::nullopt;
  ApiToken t;
  t.id = r[0][0].as<std::int64_t>();
  t.name = r[0][1].as<std::string>();
  t.scopes = from_pg_array(r[0][2]);
  t.repo_id = get_optional<std::int64_t>(r[0][3]);
  if (!r[0][4].is_null()) {
    const std::chrono::duration<double> since_epoch(r[0][4].as<double>());
    t.expires_at = std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(since_epoch));
  }
  return t;
}

bool any_admin_token(pqxx::work& tx) {
  return tx
      .exec1(
          "SELECT EXISTS (SELECT 1 FROM api_tokens WHERE 'admin' = ANY (scopes) "
          "AND revoked_at IS NULL)")[0]
      .as<bool>();
}

bool token_hash_exists(pqxx::transaction_base& tx, const std::string& token_hash) {
  return !tx.exec_params("SELECT 1 FROM api_tokens WHERE token_hash = $1", token_hash).empty();
}

void lock_admin_bootstrap(pqxx::work& tx) {
  tx.exec("SELECT pg_advisory_xact_lock(7236828125544756590)");
}

void set_token_expiry(pqxx::work& tx, std::int64_t id, int days) {
  tx.exec_params(
      "UPDATE api_tokens SET expires_at = now() + make_interval(days => $2) WHERE id = $1", id,
      days);
}

void set_token_expiry(pqxx::work& tx, std::int64_t id, std::chrono::seconds after) {
  tx.exec_params(
      "UPDATE api_tokens SET expires_at = now() + make_interval(secs => $2) WHERE id = $1", id,
      static_cast<double>(after.count()));
}

namespace {

constexpr const char* kTokenColumns =
    "t.id, t.name, t.scopes, r.full_name, "
    "to_char(t.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
    "to_char(t.last_used_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
    "to_char(t.expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
    "to_char(t.revoked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
    "FROM api_tokens t LEFT JOIN repos r ON r.id = t.repo_id";

TokenListing token_listing(const pqxx::row& r) {
  TokenListing t;
  t.id = r[0].as<std::int64_t>();
  t.name = r[1].as<std::string>();
  t.scopes = from_pg_array(r[2]);
  t.repo = get_optional<std::string>(r[3]);
  t.created_at = get_optional<std::string>(r[4]);
  t.last_used_at = get_optional<std::string>(r[5]);
  t.expires_at = get_optional<std::string>(r[6]);
  t.revoked_at = get_optional<std::string>(r[7]);
  return t;
}

}  // namespace

std::optional<TokenListing> get_token_listing(pqxx::transaction_base& tx, std::int64_t id) {
  auto r = tx.exec_params(std::string("SELECT ") + kTokenColumns + " WHERE t.id = $1", id);
  if (r.empty()) return std::nullopt;
  return token_listing(r[0]);
}

bool is_runner_registration(const TokenListing& token) {
  return std::find(token.scopes.begin(), token.scopes.end(), "runner-register") !=
         token.scopes.end();
}

std::vector<TokenListing> list_token_listings(pqxx::transaction_base& tx, TokenKind kind,
                                              std::optional<std::int64_t> repo_id) {
  std::vector<TokenListing> out;
  for (const auto& r :
       tx.exec_params(std::string("SELECT ") + kTokenColumns +
                          " WHERE ('runner-register' = ANY (t.scopes)) = $1"
                          " AND ($2::bigint IS NULL OR t.repo_id = $2) ORDER BY t.id",
                      kind == TokenKind::runner_registration, repo_id))
    out.push_back(token_listing(r));
  return out;
}

std::optional<RepoOwner> token_owner(pqxx::transaction_base& tx, std::int64_t id) {
  auto r = tx.exec_params("SELECT repo_id FROM api_tokens WHERE id = $1", id);
  if (r.empty()) return std::nullopt;
  return RepoOwner{get_optional<std::int64_t>(r[0][0])};
}

std::optional<std::string> revoke_token(pqxx::work& tx, std::int64_t id) {
  auto r = tx.exec_params(
      "UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL "
      "RETURNING name",
      id);
  if (r.empty()) return std::nullopt;
  return r[0][0].as<std::string>();
}
}  // namespace mlgate::store
