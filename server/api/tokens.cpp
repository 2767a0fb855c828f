// API tokens (docs/api.md, "Tokens"): admins create bearer tokens with scopes read, deploy and
// admin, optionally restricted to one repository and given an expiry; the token is answered once
// and only its SHA-256 is stored. Listing never shows a token; revoking is audited. An admin token
// restricted to a repository creates, lists and revokes only tokens restricted to that repository.
#include "store/tokens.h"

#include <nlohmann/json.hpp>

#include "server/api/routes.h"
#include "server/http/auth.h"
#include "server/http/body.h"
#include "server/http/http_util.h"
#include "server/http/repo_lookup.h"
#include "server/services/audit.h"
#include "util/time_format.h"

namespace mlgate::server {
namespace {

using nlohmann::json;

json token_json(const store::TokenListing& t) {
  auto text = [](const std::optional<std::string>& v) { return v ? json(*v) : json(); };
  return {{"id", t.id},
          {"name", t.name},
          {"scopes", t.scopes},
          {"repo", text(t.repo)},
          {"created_at", text(t.created_at)},
          {"last_used_at", text(t.last_used_at)},
          {"expires_at", text(t.expires_at)},
          {"revoked_at", text(t.revoked_at)}};
}

// What POST /api/v1/tokens asks for.
struct TokenRequest {
  std::string name;
  std::vector<std::string> scopes;
  std::optional<int> expires_days;
  std::string repo_name;  // empty: unrestricted
  std::string forge;
};

// The request's fields; nullopt after answering 400.
std::optional<TokenRequest> parse_token_request(const json& body, httplib::Response& res) {
  TokenRequest r;
  r.name = body.contains("name") && body["name"].is_string() ? body["name"].get<std::string>() : "";
  if (r.name.empty() || r.name.size() > 200) {
    send_error(res, 400, "bad_request", "name: 1 to 200 characters");
    return std::nullopt;
  }
  if (!body.contains("scopes") || !body["scopes"].is_array() || body["scopes"].empty()) {
    send_error(res, 400, "bad_request", "scopes: a non-empty list of read, deploy, admin, observe");
    return std::nullopt;
  }
  for (const auto& s : body["scopes"]) {
    if (!s.is_string() || (s != "read" && s != "deploy" && s != "admin" && s != "observe")) {
      send_error(res, 400, "bad_request",
                 "scopes: each one of read, deploy, admin, observe (got " + s.dump() + ")");
      return std::nullopt;
    }
    if (std::find(r.scopes.begin(), r.scopes.end(), s.get<std::string>()) == r.scopes.end())
      r.scopes.push_back(s.get<std::string>());
  }
  if (body.contains("expires_in_days") && !body["expires_in_days"].is_null()) {
    const auto& e = body["expires_in_days"];
    if (!e.is_number_integer() || e.get<long>() < 1 || e.get<long>() > 3650) {
      send_error(res, 400, "bad_request", "expires_in_days: an integer from 1 to 3650");
      return std::nullopt;
    }
    r.expires_days = e.get<int>();
  }
  if (body.contains("repo") && !body["repo"].is_null()) {
    if (!body["repo"].is_string()) {
      send_error(res, 400, "bad_request", "repo: owner/name");
      return std::nullopt;
    }
    r.repo_name = body["repo"].get<std::string>();
  }
  r.forge = body.value("forge", std::string());
  return r;
}

// 403: what the caller asked for is more than it may grant.
bool refuse_grant(const Caller& caller, httplib::Response& res) {
  const bool expires = caller.token && caller.token->expires_at;
  send_error(res, 403, "forbidden",
             caller.name() + " may grant only scopes it holds" +
                 (caller.restricted_to() ? ", only for its own repository (\"repo\")" : "") +
                 (expires ? ", and only a token that expires no later than itself (" +
                                util::iso8601(std::chrono::floor<std::chrono::seconds>(
                                    *caller.token->expires_at)) +
                                ": set \"expires_in_days\")"
                          : ""));
  return false;
}

// When the new token expires: `days` from now, or never.
std::optional<std::chrono::system_clock::time_point> expiry_of(std::optional<int> days) {
  if (!days) return std::nullopt;
  return std::chrono::system_clock::now() + std::chrono::hours(24) * *days;
}

// The repository the new token is restricted to (nullopt: none), within what the caller may grant
// (Caller::may_grant). A token restricted to a repository is answered 403 for anything but its own
// repository, whether or not a repository of that name exists. Answers 403, 404 or 409 and returns
// false when the token cannot be made.
bool token_repo(const TokenRoutes& deps, const Caller& caller, const TokenRequest& request,
                httplib::Response& res, std::optional<std::int64_t>& repo_id) {
  if (!request.repo_name.empty()) {
    const auto found =
        find_visible_repo(deps.auth, caller, request.repo_name, request.forge, false);
    if (found.matches > 1) {
      send_error(res, 409, "ambiguous_repo",
                 request.repo_name + " is registered for more than one forge: add \"forge\"");
      return false;
    }
    if (!found.repo) {
      if (caller.restricted_to()) return refuse_grant(caller, res);
      send_error(res, 404, "not_found", "no repository " + request.repo_name);
      return false;
    }
    repo_id = found.repo->id;
  }
  if (!caller.may_grant(request.scopes, repo_id, expiry_of(request.expires_days)))
    return refuse_grant(caller, res);
  return true;
}

void create_token(const TokenRoutes& deps, const httplib::Request& req, httplib::Response& res) {
  auto caller = deps.auth.authorize(req, res, "admin");
  if (!caller) return;
  auto body = json_object_body(req.body, res);
  if (!body) return;
  auto request = parse_token_request(*body, res);
  if (!request) return;
  std::optional<std::int64_t> repo_id;
  if (!token_repo(deps, *caller, *request, res, repo_id)) return;
  const auto token = store::generate_token();
  auto row = deps.db.with([&](pqxx::connection& c) {
    pqxx::work tx(c);
    auto id = store::insert_api_token(tx, request->name, token, request->scopes, repo_id);
    if (request->expires_days) store::set_token_expiry(tx, id, *request->expires_days);
    audit(tx, *caller, "token.create", repo_id,
          {{"token_id", id},
           {"name", request->name},
           {"scopes", request->scopes},
           {"expires_in_days", request->expires_days ? json(*request->expires_days) : json()}});
    auto out = token_json(*store::get_token_listing(tx, id));
    tx.commit();
    return out;
  });
  row["token"] = token;
  send_json(res, 201, row);
}

void list_tokens(const TokenRoutes& deps, const httplib::Request& req, httplib::Response& res) {
  auto caller = deps.auth.authorize(req, res, "admin");
  if (!caller) return;
  auto rows = deps.db.with([&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    json out = json::array();
    for (const auto& t :
         store::list_token_listings(tx, store::TokenKind::api, caller->restricted_to()))
      out.push_back(token_json(t));
    return out;
  });
  send_json(res, 200, {{"tokens", rows}});
}

void revoke_token(const TokenRoutes& deps, const httplib::Request& req, httplib::Response& res) {
  const auto id = std::stoll(req.matches[1]);
  auto caller = deps.auth.authorize(req, res, "admin", {ResourceKind::token, id});
  if (!caller) return;
  bool revoked = deps.db.with([&](pqxx::connection& c) {
    pqxx::work tx(c);
    auto name = store::revoke_token(tx, id);
    if (!name) return false;
    audit(tx, *caller, "token.revoke", std::nullopt, {{"token_id", id}, {"name", *name}});
    tx.commit();
    return true;
  });
  if (!revoked) return send_error(res, 404, "not_found", "no live token " + std::to_string(id));
  send_json(res, 200, {{"id", id}, {"revoked", true}});
}

}  // namespace

void register_token_routes(Router& http, const TokenRoutes& deps) {
  http.post("/api/v1/tokens",
            [deps](const httplib::Request& q, httplib::Response& s) { create_token(deps, q, s); });
  http.get("/api/v1/tokens",
           [deps](const httplib::Request& q, httplib::Response& s) { list_tokens(deps, q, s); });
  http.post(R"(/api/v1/tokens/(\d{1,18})/revoke)",
            [deps](const httplib::Request& q, httplib::Response& s) { revoke_token(deps, q, s); });
}

}  // namespace mlgate::server
