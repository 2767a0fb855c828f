#include "store/tokens.h"

#include <algorithm>

#include "store/crypto.h"
#include "store/pq.h"

namespace mlgate::store {

bool ApiToken::has_scope(const std::string& scope) const {
  return std::find(scopes.begin(), scopes.end(), "admin") != scopes.end() ||
         std::find(scopes.begin(), scopes.end(), scope) != scopes.end();
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
      name, sha256_hex(token), to_pg_array(scopes), repo_id);
  return row[0].as<std::int64_t>();
}

std::optional<ApiToken> find_api_token(pqxx::work& tx, const std::string& token) {
  auto r = tx.exec_params(
      "UPDATE api_tokens SET last_used_at = now() WHERE token_hash = $1 AND revoked_at IS NULL "
      "AND (expires_at IS NULL OR expires_at > now()) RETURNING id, name, scopes, repo_id",
      sha256_hex(token));
  if (r.empty()) return std::nullopt;
  ApiToken t;
  t.id = r[0][0].as<std::int64_t>();
  t.name = r[0][1].as<std::string>();
  t.scopes = from_pg_array(r[0][2]);
  t.repo_id = get_optional<std::int64_t>(r[0][3]);
  return t;
}

bool any_admin_token(pqxx::work& tx) {
  return tx
      .exec1(
          "SELECT EXISTS (SELECT 1 FROM api_tokens WHERE 'admin' = ANY (scopes) "
          "AND revoked_at IS NULL)")[0]
      .as<bool>();
}

}  // namespace mlgate::store
