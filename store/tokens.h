// API tokens: random bearer tokens, stored only as their SHA-256 hash, with scopes
// (read, deploy, admin, runner-register) and an optional repo restriction.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "store/repos.h"

namespace mlgate::store {

struct ApiToken {
  std::int64_t id = 0;
  std::string name;
  std::vector<std::string> scopes;
  std::optional<std::int64_t> repo_id;
  std::optional<std::chrono::system_clock::time_point> expires_at;  // nullopt: never
  bool has_scope(const std::string& scope) const;  // deploy implies read; admin, every scope
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

// Whether a token with this hash is stored (live or not).
bool token_hash_exists(pqxx::transaction_base& tx, const std::string& token_hash);

// Waits for the transaction-level lock that lets one replica at a time bootstrap the admin token.
void lock_admin_bootstrap(pqxx::work& tx);

// Makes the token expire `days` days from now.
void set_token_expiry(pqxx::work& tx, std::int64_t id, int days);
// Makes the token expire `after` from now.
void set_token_expiry(pqxx::work& tx, std::int64_t id, std::chrono::seconds after);

// A token as the token API lists it (never the token itself). Times are ISO 8601 UTC; nullopt when
// not set.
struct TokenListing {
  std::int64_t id = 0;
  std::string name;
  std::vector<std::string> scopes;
  std::optional<std::string> repo;  // the restricted repository's full name
  std::optional<std::string> created_at;
  std::optional<std::string> last_used_at;
  std::optional<std::string> expires_at;
  std::optional<std::string> revoked_at;
};
// The token with this id, if any.
std::optional<TokenListing> get_token_listing(pqxx::transaction_base& tx, std::int64_t id);
bool is_runner_registration(const TokenListing& token);

// API tokens (read, deploy, admin), or the runner registration tokens.
enum class TokenKind { api, runner_registration };
// The tokens of `kind`, by id; with `repo_id`, only those restricted to that repository.
std::vector<TokenListing> list_token_listings(pqxx::transaction_base& tx, TokenKind kind,
                                              std::optional<std::int64_t> repo_id = std::nullopt);
// The repository token `id` is restricted to (none for an unrestricted token); nullopt when there
// is no such token.
std::optional<RepoOwner> token_owner(pqxx::transaction_base& tx, std::int64_t id);

// Revokes a live token; its name, nullopt when there is no such token or it was revoked already.
std::optional<std::string> revoke_token(pqxx::work& tx, std::int64_t id);

}  // namespace mlgate::store
