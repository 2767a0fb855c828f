// Bearer-token authorisation for the API: `Authorization: Bearer <token>`, scopes read < deploy,
// admin (admin implies all). With --public-read, anonymous callers get `read`.
#pragma once

#include <httplib.h>

#include <optional>
#include <string>

#include "store/tokens.h"

namespace mlgate::server {

class App;

struct Caller {
  std::optional<store::ApiToken> token;  // empty for an anonymous reader
  std::string name() const { return token ? "token:" + token->name : "anonymous"; }
};

// The caller when allowed `scope`; otherwise answers 401 (no or bad token) or 403 (scope) and
// returns nullopt.
std::optional<Caller> authorize(App& app, const httplib::Request& req, httplib::Response& res,
                                const std::string& scope);

}  // namespace mlgate::server
