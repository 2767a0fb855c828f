#include "server/http/auth.h"

#include "server/http/http_util.h"
#include "server/http/json_log.h"

namespace mlgate::server {

std::optional<store::ApiToken> Authorizer::find_token(const std::string& token) const {
  return db_.with([&](pqxx::connection& c) {
    pqxx::work tx(c);
    auto t = store::find_api_token(tx, token);
    tx.commit();
    return t;
  });
}

bool Authorizer::token_grants(const httplib::Request& req,
                              const std::string& scope) const noexcept {
  try {
    const std::string header = req.get_header_value("Authorization");
    const std::string prefix = "Bearer ";
    if (header.size() <= prefix.size() || header.compare(0, prefix.size(), prefix) != 0) {
      return false;
    }
    auto found = find_token(header.substr(prefix.size()));
    return found && found->has_scope(scope);
  } catch (const std::exception&) {
    return false;
  }
}

std::optional<Caller> Authorizer::authorize(const httplib::Request& req, httplib::Response& res,
                                            const std::string& scope) const {
  std::string header = req.get_header_value("Authorization");
  const std::string prefix = "Bearer ";
  if (header.empty()) {
    if (scope == "read" && public_read_) return Caller{};
    res.set_header("WWW-Authenticate", "Bearer");
    send_error(res, 401, "unauthorized", "missing bearer token (Authorization: Bearer <token>)");
    return std::nullopt;
  }
  if (header.compare(0, prefix.size(), prefix) != 0 || header.size() == prefix.size()) {
    send_error(res, 401, "unauthorized", "Authorization header must be 'Bearer <token>'");
    return std::nullopt;
  }
  std::string token = header.substr(prefix.size());
  auto found = find_token(token);
  if (!found) {
    log_event(spdlog::level::warn, "rejected API token",
              {{"path", req.path}, {"remote", req.remote_addr}});
    send_error(res, 401, "unauthorized", "unknown, revoked or expired token");
    return std::nullopt;
  }
  if (!found->has_scope(scope)) {
    send_error(res, 403, "forbidden",
               "token '" + found->name + "' lacks the '" + scope + "' scope");
    return std::nullopt;
  }
  return Caller{found};
}

}  // namespace mlgate::server
