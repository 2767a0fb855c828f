// Runners as people manage them (docs/api.md, "Runners and registration tokens"): the runner list
// (read), disabling and enabling a runner, and the registration tokens runners register with
// (create, list, revoke). Runners serve every repository, so everything here but the list needs an
// unrestricted admin token (Authorizer::authorize_server); all changes are audited.
#include <nlohmann/json.hpp>

#include "server/api/routes.h"
#include "server/http/auth.h"
#include "server/http/body.h"
#include "server/http/http_util.h"
#include "server/http/json_log.h"
#include "server/services/audit.h"
#include "store/job_queue.h"
#include "store/jobs.h"
#include "store/runners.h"
#include "store/tokens.h"

namespace mlgate::server {
namespace {

using nlohmann::json;

// The longest a registration token may live: ten years, as API tokens.
constexpr std::int64_t kMaxExpirySeconds = std::int64_t{3650} * 86400;

std::int64_t path_id(const httplib::Request& req) {
  return std::stoll(req.matches[1].str());
}

json text_or_null(const std::optional<std::string>& v) {
  return v ? json(*v) : json();
}

// A runner as listed: `jobs` holds only the jobs of repositories the caller may access.
json runner_json(const store::RunnerRow& r, const store::RunnerLiveness& live,
                 const Caller& caller) {
  json jobs = json::array();
  for (const auto& j : live.jobs)
    if (caller.may_access_repo(j.repo_id)) jobs.push_back(j.job_id);
  const char* state = r.disabled ? "disabled" : (live.seen_recently ? "online" : "offline");
  return {{"id", r.id},
          {"name", r.name},
          {"tiers", r.tiers},
          {"capacity", r.capacity},
          {"executor", r.executor},
          {"version", r.version},
          {"last_seen_at", r.last_seen_at},
          {"online", live.seen_recently && !r.disabled},
          {"disabled", r.disabled},
          {"state", state},
          {"running_jobs", live.running_jobs},
          {"jobs", jobs}};
}

void list_runners(const RunnerAdminRoutes& deps, const httplib::Request& req,
                  httplib::Response& res) {
  auto caller = deps.auth.authorize(req, res, "read");
  if (!caller) return;
  auto rows = deps.db.with([&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    auto liveness = store::runner_liveness(tx);
    json out = json::array();
    for (const auto& r : store::list_runners(tx))
      out.push_back(runner_json(r, liveness[r.id], *caller));
    return out;
  });
  send_json(res, 200, {{"runners", rows}});
}

// POST /api/v1/runners/{id}/disable and /enable. Disabling re-queues the runner's running jobs
// at once (their attempts end as lease_expired) and refuses its next protocol call with 403.
void switch_runner(const RunnerAdminRoutes& deps, const httplib::Request& req,
                   httplib::Response& res, bool disable) {
  auto caller = deps.auth.authorize_server(req, res, "admin");
  if (!caller) return;
  const auto id = path_id(req);
  struct Switched {
    store::RunnerRow runner;
    int released = 0;
  };
  auto out = deps.db.with([&](pqxx::connection& c) -> std::optional<Switched> {
    pqxx::work tx(c);
    auto sw = store::set_runner_disabled(tx, id, disable);
    if (!sw) return std::nullopt;
    Switched s{sw->runner, 0};
    if (sw->changed) {
      if (disable) s.released = store::release_runner_jobs(tx, id, "runner disabled");
      audit(tx, *caller, disable ? "runner.disable" : "runner.enable", std::nullopt,
            {{"runner", id}, {"name", sw->runner.name}, {"jobs_requeued", s.released}});
    }
    tx.commit();
    return s;
  });
  if (!out) return send_error(res, 404, "not_found", "no runner " + std::to_string(id));
  log_event(spdlog::level::info, disable ? "runner disabled" : "runner enabled",
            {{"runner", id}, {"by", caller->name()}, {"jobs_requeued", out->released}});
  send_json(res, 200,
            {{"id", id},
             {"name", out->runner.name},
             {"disabled", out->runner.disabled},
             {"jobs_requeued", out->released}});
}

// "expires_in_seconds": absent or null for a token that does not expire.
std::optional<std::optional<std::chrono::seconds>> expiry_field(const json& body,
                                                                httplib::Response& res) {
  if (!body.contains("expires_in_seconds") || body["expires_in_seconds"].is_null())
    return std::optional<std::chrono::seconds>();
  const auto& v = body["expires_in_seconds"];
  if (!v.is_number_integer() || v.get<std::int64_t>() < 1 ||
      v.get<std::int64_t>() > kMaxExpirySeconds) {
    send_error(res, 400, "bad_request",
               "expires_in_seconds: an integer from 1 to " + std::to_string(kMaxExpirySeconds));
    return std::nullopt;
  }
  return std::optional<std::chrono::seconds>(v.get<std::int64_t>());
}

json runner_token_json(const store::TokenListing& t) {
  return {{"id", t.id},
          {"name", t.name},
          {"scopes", t.scopes},
          {"created_at", text_or_null(t.created_at)},
          {"last_used_at", text_or_null(t.last_used_at)},
          {"expires_at", text_or_null(t.expires_at)},
          {"revoked_at", text_or_null(t.revoked_at)}};
}

void create_runner_token(const RunnerAdminRoutes& deps, const httplib::Request& req,
                         httplib::Response& res) {
  auto caller = deps.auth.authorize_server(req, res, "admin");
  if (!caller) return;
  auto body = json_object_body(req.body, res);
  if (!body) return;
  const std::string name = body->value("name", std::string("runners"));
  if (name.empty() || name.size() > 200)
    return send_error(res, 400, "bad_request", "name: 1 to 200 characters");
  auto expiry = expiry_field(*body, res);
  if (!expiry) return;
  const auto token = store::generate_token();
  auto row = deps.db.with([&](pqxx::connection& c) {
    pqxx::work tx(c);
    auto id = store::insert_api_token(tx, name, token, {"runner-register"});
    if (*expiry) store::set_token_expiry(tx, id, **expiry);
    audit(tx, *caller, "runner-token.create", std::nullopt,
          {{"token_id", id},
           {"name", name},
           {"expires_in_seconds", *expiry ? json((*expiry)->count()) : json()}});
    auto out = runner_token_json(*store::get_token_listing(tx, id));
    tx.commit();
    return out;
  });
  row["token"] = token;
  send_json(res, 201, row);
}

void list_runner_tokens(const RunnerAdminRoutes& deps, const httplib::Request& req,
                        httplib::Response& res) {
  if (!deps.auth.authorize_server(req, res, "admin")) return;
  auto rows = deps.db.with([&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    json out = json::array();
    for (const auto& t : store::list_token_listings(tx, store::TokenKind::runner_registration))
      out.push_back(runner_token_json(t));
    return out;
  });
  send_json(res, 200, {{"runner_tokens", rows}});
}

void revoke_runner_token(const RunnerAdminRoutes& deps, const httplib::Request& req,
                         httplib::Response& res) {
  auto caller = deps.auth.authorize_server(req, res, "admin");
  if (!caller) return;
  const auto id = path_id(req);
  bool revoked = deps.db.with([&](pqxx::connection& c) {
    pqxx::work tx(c);
    auto token = store::get_token_listing(tx, id);
    if (!token || !store::is_runner_registration(*token)) return false;
    auto name = store::revoke_token(tx, id);
    if (!name) return false;
    audit(tx, *caller, "runner-token.revoke", std::nullopt, {{"token_id", id}, {"name", *name}});
    tx.commit();
    return true;
  });
  if (!revoked)
    return send_error(res, 404, "not_found",
                      "no live runner registration token " + std::to_string(id));
  send_json(res, 200, {{"id", id}, {"revoked", true}});
}

}  // namespace

void register_runner_admin_routes(Router& http, const RunnerAdminRoutes& deps) {
  using Req = httplib::Request;
  using Res = httplib::Response;
  http.get("/api/v1/runners", [deps](const Req& q, Res& s) { list_runners(deps, q, s); });
  http.post(R"(/api/v1/runners/(\d{1,18})/disable)",
            [deps](const Req& q, Res& s) { switch_runner(deps, q, s, true); });
  http.post(R"(/api/v1/runners/(\d{1,18})/enable)",
            [deps](const Req& q, Res& s) { switch_runner(deps, q, s, false); });
  http.post("/api/v1/runner-tokens",
            [deps](const Req& q, Res& s) { create_runner_token(deps, q, s); });
  http.get("/api/v1/runner-tokens",
           [deps](const Req& q, Res& s) { list_runner_tokens(deps, q, s); });
  http.post(R"(/api/v1/runner-tokens/(\d{1,18})/revoke)",
            [deps](const Req& q, Res& s) { revoke_runner_token(deps, q, s); });
}

}  // namespace mlgate::server
