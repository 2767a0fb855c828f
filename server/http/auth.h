// Bearer-token authorisation for the API: `Authorization: Bearer <token>`, scopes read < deploy,
// admin (admin implies all). With --public-read, anonymous callers get `read`.
#pragma once

#include <httplib.h>

#include <optional>
#include <string>

#include "store/database.h"
#include "store/tokens.h"

namespace mlgate::server {

struct Caller {
  std::optional<store::ApiToken> token;  // empty for an anonymous reader
  std::string name() const { return token ? "token:" + token->name : "anonymous"; }
};

// The one authentication and authorization entry point of the API and the pages
// (docs/architecture.md): every route asks it before it reads anything else of the request.
class Authorizer {
 public:
  Authorizer(store::Database& db, bool public_read) : db_(db), public_read_(public_read) {}

  // The caller when allowed `scope`; otherwise answers 401 (no or bad token) or 403 (scope) and
  // returns nullopt.
  std::optional<Caller> authorize(const httplib::Request& req, httplib::Response& res,
                                  const std::string& scope) const;
  // Whether the request carries a valid bearer token with `scope`. Answers nothing, never throws
  // (false when the token cannot be checked, e.g. while the database is down), ignores
  // --public-read: for public endpoints that tell a token's holder more than anyone else.
  bool token_grants(const httplib::Request& req, const std::string& scope) const noexcept;
  // The token a bearer string names, when it is valid (not revoked, not expired).
  std::optional<store::ApiToken> find_token(const std::string& token) const;
  bool public_read() const { return public_read_; }

 private:
  store::Database& db_;
  bool public_read_;
};

}  // namespace mlgate::server
