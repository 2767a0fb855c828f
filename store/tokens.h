// API tokens: random bearer tokens, stored only as their SHA-256 hash, with scopes
// (read, deploy, admin, runner-register) and an optional repo restriction.
#pragma once

#include <cstdint>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

namespace mlgate::store {

struct ApiToken {
  std::int64_t id = 0;
  std::string name;
  std::vector<std::string> scopes;
  std::optional<std::int64_t> repo_id;
  bool has_scope(const std::string& scope) const;  // admin implies every scope
};

// A new random token ("mlg_" + 64 hex characters); the returned string is the only copy.
std::string generate_token();

// Stores the hash of `token`; returns the row id.
std::int64_t insert_api_token(pqxx::work& tx, const std::string& name, const std::string& token,
                              const std::vector<std::string>& scopes,
                              std::optional<std::int64_t> repo_id = std::nullopt);

// The live (not revoked, not expired) token matching `token`, if any.
std::optional<ApiToken> find_api_token(pqxx::work& tx, const std::string& token);

bool any_admin_token(pqxx::work& tx);

}  // namespace mlgate::store
