// API tokens (docs/cli.md, tokens): admins create bearer tokens with scopes read,
// deploy and admin, optionally restricted to one repository and given an expiry; the token is
// answered once and only its SHA-256 is stored. Listing never shows a token; revoking is audited.
#include "store/tokens.h"

#include <nlohmann/json.hpp>
#include <regex>

#include "server/api/routes.h"
#include "server/http/auth.h"
#include "server/http/body.h"
#include "server/http/http_util.h"
#include "server/services/audit.h"
#include "store/pipeline_queries.h"

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

void create_token(const TokenRoutes& deps, const httplib::Request& req, httplib::Response& res) {
  auto caller = deps.auth.authorize(req, res, "admin");
  if (!caller) return;
  auto parsed = json_object_body(req.body, res);
  if (!parsed) return;
  json& body = *parsed;
  const std::string name =
      body.contains("name") && body["name"].is_string() ? body["name"].get<std::string>() : "";
  if (name.empty() || name.size() > 200)
    return send_error(res, 400, "bad_request", "name: 1 to 200 characters");
  std::vector<std::string> scopes;
  if (!body.contains("scopes") || !body["scopes"].is_array() || body["scopes"].empty())
    return send_error(res, 400, "bad_request", "scopes: a non-empty list of read, deploy, admin");
  for (const auto& s : body["scopes"]) {
    if (!s.is_string() || (s != "read" && s != "deploy" && s != "admin"))
      return send_error(res, 400, "bad_request",
                        "scopes: each one of read, deploy, admin (got " + s.dump() + ")");
    if (std::find(scopes.begin(), scopes.end(), s.get<std::string>()) == scopes.end())
      scopes.push_back(s.get<std::string>());
  }
  std::optional<int> expires_days;
  if (body.contains("expires_in_days") && !body["expires_in_days"].is_null()) {
    if (!body["expires_in_days"].is_number_integer() || body["expires_in_days"].get<long>() < 1 ||
        body["expires_in_days"].get<long>() > 3650)
      return send_error(res, 400, "bad_request", "expires_in_days: an integer from 1 to 3650");
    expires_days = body["expires_in_days"].get<int>();
  }
  std::string repo_name;
  if (body.contains("repo") && !body["repo"].is_null()) {
    if (!body["repo"].is_string()) return send_error(res, 400, "bad_request", "repo: owner/name");
    repo_name = body["repo"].get<std::string>();
  }
  const std::string forge = body.value("forge", std::string());
  const auto token = store::generate_token();
  struct Created {
    int status = 201;
    std::string code, message;
    json row;
  };
  auto out = deps.db.with([&](pqxx::connection& c) {
    pqxx::work tx(c);
    Created created;
    std::optional<std::int64_t> repo_id;
    if (!repo_name.empty()) {
      const auto ids = store::repo_ids_by_name(tx, repo_name, forge);
      if (ids.empty()) return Created{404, "not_found", "no repository " + repo_name, {}};
      if (ids.size() > 1)
        return Created{409,
                       "ambiguous_repo",
                       repo_name + " is registered for more than one forge: add \"forge\"",
                       {}};
      repo_id = ids[0];
    }
    auto id = store::insert_api_token(tx, name, token, scopes, repo_id);
    if (expires_days) store::set_token_expiry(tx, id, *expires_days);
    audit(tx, *caller, "token.create", repo_id,
          {{"token_id", id},
           {"name", name},
           {"scopes", scopes},
           {"expires_in_days", expires_days ? json(*expires_days) : json()}});
    created.row = token_json(*store::get_token_listing(tx, id));
    tx.commit();
    return created;
  });
  if (out.status != 201) return send_error(res, out.status, out.code, out.message);
  out.row["token"] = token;
  send_json(res, 201, out.row);
}

void list_tokens(const TokenRoutes& deps, const httplib::Request& req, httplib::Response& res) {
  if (!deps.auth.authorize(req, res, "admin")) return;
  auto rows = deps.db.with([&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    json out = json::array();
    for (const auto& t : store::list_token_listings(tx)) out.push_back(token_json(t));
    return out;
  });
  send_json(res, 200, {{"tokens", rows}});
}

void revoke_token(const TokenRoutes& deps, const httplib::Request& req, httplib::Response& res) {
  auto caller = deps.auth.authorize(req, res, "admin");
  if (!caller) return;
  const auto id = std::stoll(req.matches[1]);
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

void register_token_routes(httplib::Server& http, const TokenRoutes& deps) {
  http.Post("/api/v1/tokens",
            [deps](const httplib::Request& q, httplib::Response& s) { create_token(deps, q, s); });
  http.Get("/api/v1/tokens",
           [deps](const httplib::Request& q, httplib::Response& s) { list_tokens(deps, q, s); });
  http.Post(R"(/api/v1/tokens/(\d{1,18})/revoke)",
            [deps](const httplib::Request& q, httplib::Response& s) { revoke_token(deps, q, s); });
}

}  // namespace mlgate::server
