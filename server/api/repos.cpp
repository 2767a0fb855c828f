// Repositories (POST: an unrestricted admin; GET read; a repository's notification targets and
// settings: admin) and webhook deliveries (admin: list, show,
// replay). A token restricted to a repository lists only that repository and its deliveries, and
// gets 404 for another one's delivery. Pipelines are read through api/status.cpp.
#include "store/repos.h"

#include <cctype>

#include "server/api/routes.h"
#include "server/http/auth.h"
#include "server/http/body.h"
#include "server/http/http_util.h"
#include "server/http/json_log.h"
#include "server/http/repo_lookup.h"
#include "server/services/audit.h"
#include "server/services/intake.h"
#include "server/services/notifications.h"
#include "store/deliveries.h"
#include "store/notifications.h"
#include "store/pr_comments.h"
#include "util/url.h"

namespace mlgate::server {
namespace {

// A notification URL may hold a secret (a Slack webhook's path does): readers see only where
// notifications go, scheme and host.
nlohmann::json notify_targets(const std::vector<std::string>& urls) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& u : urls) {
    auto host_at = u.find("://");
    auto end = u.find('/', host_at == std::string::npos ? 0 : host_at + 3);
    out.push_back(u.substr(0, end));
  }
  return out;
}

// The "notify_urls" field: at most 10 usable URLs (notify_url_problem), or an error.
std::vector<std::string> read_notify_urls(const nlohmann::json& body, std::string& error) {
  std::vector<std::string> urls;
  if (!body.contains("notify_urls") || body["notify_urls"].is_null()) return urls;
  const auto& v = body["notify_urls"];
  if (!v.is_array() || v.size() > 10) {
    if (error.empty()) error = "notify_urls: an array of at most 10 URLs";
    return urls;
  }
  for (const auto& u : v) {
    std::string problem =
        u.is_string() ? notify_url_problem(u.get<std::string>()) : "notify_urls: each one a string";
    if (!problem.empty()) {
      if (error.empty()) error = problem;
      return {};
    }
    urls.push_back(u.get<std::string>());
  }
  return urls;
}

nlohmann::json repo_json(const store::RepoSummary& r) {
  return {{"id", r.id},
          {"forge", r.forge},
          {"name", r.full_name},
          {"clone_url", r.clone_url},
          {"default_branch", r.default_branch},
          {"api_base_url", r.api_base_url},
          {"has_forge_token", r.has_forge_token},
          {"fork_pull_requests", core::to_string(r.fork_pull_requests)},
          {"notify_targets", notify_targets(r.notify_urls)},
          {"pr_comments", r.pr_comments}};
}

nlohmann::json delivery_json(const store::DeliveryRow& d) {
  auto opt = [](const std::optional<std::int64_t>& v) {
    return v ? nlohmann::json(*v) : nlohmann::json();
  };
  return {{"id", d.id},
          {"repo", d.repo_name},
          {"forge", d.forge},
          {"delivery_id", d.delivery_id},
          {"event", d.event},
          {"verdict", core::to_string(d.verdict)},
          {"http_status", d.http_status},
          {"reason", d.reason},
          {"received_at", d.received_at},
          {"answered_ms", d.answered_ms},
          {"spooled", d.spooled},
          {"plan_state", core::to_string(d.plan_state)},
          {"plan_note", d.plan_error},
          {"pipeline", opt(d.pipeline_id)},
          {"replay_of", opt(d.replay_of)},
          {"verified", d.verified},
          {"body_bytes", d.body_bytes},
          {"body_sha256", d.body_sha256},
          {"body_truncated", d.body_truncated}};
}

std::string read_string(const nlohmann::json& body, const char* key, bool required,
                        std::string& error) {
  if (!body.contains(key) || body[key].is_null()) {
    if (required && error.empty()) error = std::string("missing field '") + key + "'";
    return "";
  }
  if (!body[key].is_string()) {
    if (error.empty()) error = std::string("field '") + key + "' must be a string";
    return "";
  }
  return body[key].get<std::string>();
}

int limit_param(const httplib::Request& req, int fallback) {
  if (!req.has_param("limit")) return fallback;
  try {
    return std::clamp(std::stoi(req.get_param_value("limit")), 1, 1000);
  } catch (const std::exception&) {
    return fallback;
  }
}

constexpr std::size_t kMaxRepoNameBytes = 255;
constexpr std::size_t kMaxRepoUrlBytes = 2048;

// owner/name or group/subgroup/name: two or more non-empty segments of [A-Za-z0-9_.-].
bool is_repo_name(const std::string& name) {
  if (name.size() > kMaxRepoNameBytes) return false;
  std::size_t segments = 0, length = 0;
  for (char c : name) {
    if (c == '/') {
      if (length == 0) return false;
      ++segments;
      length = 0;
    } else if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-') {
      ++length;
    } else {
      return false;
    }
  }
  return segments >= 1 && length > 0;
}

bool is_clone_url(const std::string& url) {
  if (url.size() > kMaxRepoUrlBytes) return false;
  for (const char* scheme : {"https://", "http://", "file://"}) {
    const std::string_view s(scheme);
    if (url.size() > s.size() && url.compare(0, s.size(), s) == 0) return true;
  }
  return false;
}

// POST /api/v1/repos: registers a repository (an admin token for the whole server).
void add_repo(const RepoRoutes& deps, const httplib::Request& req, httplib::Response& res) {
  auto caller = deps.auth.authorize_server(req, res, "admin");
  if (!caller) return;
  auto parsed = json_object_body(req.body, res);
  if (!parsed) return;
  const nlohmann::json& body = *parsed;
  std::string error;
  store::NewRepo repo;
  repo.forge = read_string(body, "forge", true, error);
  repo.full_name = read_string(body, "name", true, error);
  repo.clone_url = read_string(body, "clone_url", true, error);
  repo.webhook_secret = read_string(body, "secret", true, error);
  repo.forge_token = read_string(body, "token", false, error);
  repo.default_branch = read_string(body, "default_branch", false, error);
  repo.api_base_url = read_string(body, "api_base_url", false, error);
  const std::string forks = read_string(body, "fork_pull_requests", false, error);
  const auto notify_urls = read_notify_urls(body, error);
  if (body.contains("pr_comments") && !body["pr_comments"].is_null()) {
    if (body["pr_comments"].is_boolean())
      repo.pr_comments = body["pr_comments"].get<bool>();
    else if (error.empty())
      error = "field 'pr_comments' must be true or false";
  }
  if (error.empty() && repo.forge != "github" && repo.forge != "gitlab") {
    error = "forge must be 'github' or 'gitlab'";
  }
  if (error.empty() && !forks.empty()) {
    if (auto policy = core::parse_fork_pull_requests(forks))
      repo.fork_pull_requests = *policy;
    else
      error = "fork_pull_requests must be 'approve', 'run' or 'ignore'";
  }
  if (error.empty() && !is_repo_name(repo.full_name)) {
    error = "name must look like owner/name (GitLab: group/subgroup/name), at most " +
            std::to_string(kMaxRepoNameBytes) + " bytes";
  }
  if (error.empty() && !is_clone_url(repo.clone_url)) {
    error = "clone_url must be an https://, http:// or file:// URL of at most " +
            std::to_string(kMaxRepoUrlBytes) + " bytes";
  }
  if (error.empty() && !repo.api_base_url.empty() &&
      (repo.api_base_url.size() > kMaxRepoUrlBytes || !util::split_http_url(repo.api_base_url))) {
    error = "api_base_url must be an https:// or http:// URL of at most " +
            std::to_string(kMaxRepoUrlBytes) + " bytes";
  }
  if (error.empty() && repo.webhook_secret.size() < 8)
    error = "secret must be at least 8 characters";
  if (!error.empty()) return send_error(res, 400, "bad_request", error);
  try {
    auto id = deps.db.with([&](pqxx::connection& c) {
      pqxx::work tx(c);
      auto id = store::insert_repo(tx, repo);
      store::set_repo_notify_urls(tx, id, notify_urls);
      audit(tx, *caller, "repo.add", id,
            {{"name", repo.full_name},
             {"forge", repo.forge},
             {"fork_pull_requests", core::to_string(repo.fork_pull_requests)}});
      tx.commit();
      return id;
    });
    auto row = deps.db.with([&](pqxx::connection& c) {
      pqxx::read_transaction tx(c);
      return store::find_repo_by_id(tx, id);
    });
    log_event(spdlog::level::info, "repo registered",
              {{"repo", repo.full_name}, {"forge", repo.forge}});
    send_json(res, 201, repo_json(*row));
  } catch (const pqxx::unique_violation&) {
    send_error(res, 409, "exists",
               repo.forge + " repository " + repo.full_name + " is already registered");
  }
}

// POST /api/v1/repos/{name}/notify-urls {"notify_urls": [...]}: replaces the repository's own
// notification targets (admin; a token restricted to the repository may).
void set_notify_urls(const RepoRoutes& deps, const httplib::Request& req, httplib::Response& res) {
  auto caller = deps.auth.authorize(req, res, "admin");
  if (!caller) return;
  auto repo = find_repo_in_path(deps.auth, req, res, *caller);
  if (!repo) return;
  auto parsed = json_object_body(req.body, res);
  if (!parsed) return;
  std::string error;
  if (!parsed->contains("notify_urls")) error = "missing field 'notify_urls'";
  auto urls = read_notify_urls(*parsed, error);
  if (!error.empty()) return send_error(res, 400, "bad_request", error);
  auto row = deps.db.with([&](pqxx::connection& c) {
    pqxx::work tx(c);
    store::set_repo_notify_urls(tx, repo->id, urls);
    audit(tx, *caller, "repo.notify_urls", repo->id, {{"targets", notify_targets(urls)}});
    auto out = store::find_repo_by_id(tx, repo->id);
    tx.commit();
    return out;
  });
  send_json(res, 200, repo_json(*row));
}

// POST /api/v1/repos/{name}/settings {"pr_comments": true|false}: changes the repository's
// settings (admin; a token restricted to the repository may). Only the fields given change.
void set_settings(const RepoRoutes& deps, const httplib::Request& req, httplib::Response& res) {
  auto caller = deps.auth.authorize(req, res, "admin");
  if (!caller) return;
  auto repo = find_repo_in_path(deps.auth, req, res, *caller);
  if (!repo) return;
  auto parsed = json_object_body(req.body, res);
  if (!parsed) return;
  std::optional<bool> pr_comments;
  for (auto it = parsed->begin(); it != parsed->end(); ++it) {
    if (it.key() != "pr_comments")
      return send_error(res, 400, "bad_request", "unknown setting '" + it.key() + "'");
    if (!it->is_boolean())
      return send_error(res, 400, "bad_request", "field 'pr_comments' must be true or false");
    pr_comments = it->get<bool>();
  }
  if (!pr_comments) return send_error(res, 400, "bad_request", "no setting given (pr_comments)");
  auto row = deps.db.with([&](pqxx::connection& c) {
    pqxx::work tx(c);
    store::set_repo_pr_comments(tx, repo->id, *pr_comments);
    audit(tx, *caller, "repo.settings", repo->id, {{"pr_comments", *pr_comments}});
    auto out = store::find_repo_by_id(tx, repo->id);
    tx.commit();
    return out;
  });
  log_event(spdlog::level::info, "repo settings changed",
            {{"repo", row->full_name}, {"pr_comments", *pr_comments}});
  send_json(res, 200, repo_json(*row));
}

void list_repos(const RepoRoutes& deps, const httplib::Request& req, httplib::Response& res) {
  auto caller = deps.auth.authorize(req, res, "read");
  if (!caller) return;
  auto repos = deps.db.with([](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    return store::list_repos(tx);
  });
  nlohmann::json out = nlohmann::json::array();
  for (const auto& r : repos)
    if (caller->may_access_repo(r.id)) out.push_back(repo_json(r));
  send_json(res, 200, {{"repos", out}});
}

void list_deliveries(const RepoRoutes& deps, const httplib::Request& req, httplib::Response& res) {
  auto caller = deps.auth.authorize(req, res, "admin");
  if (!caller) return;
  int limit = limit_param(req, 50);
  auto rows = deps.db.with([&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    return store::list_deliveries(tx, limit, caller->restricted_to());
  });
  nlohmann::json out = nlohmann::json::array();
  for (const auto& d : rows) out.push_back(delivery_json(d));
  send_json(res, 200, {{"deliveries", out}});
}

void get_delivery(const RepoRoutes& deps, const httplib::Request& req, httplib::Response& res) {
  auto id = std::stoll(req.matches[1]);
  if (!deps.auth.authorize(req, res, "admin", {ResourceKind::delivery, id})) return;
  auto d = deps.db.with([&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    return store::get_delivery(tx, id);
  });
  if (!d) return send_error(res, 404, "not_found", "no delivery " + std::to_string(id));
  auto j = delivery_json(*d);
  j["headers"] = d->headers;
  j["body"] = d->body;
  send_json(res, 200, j);
}

void replay_delivery(const RepoRoutes& deps, const httplib::Request& req, httplib::Response& res) {
  auto id = std::stoll(req.matches[1]);
  auto caller = deps.auth.authorize(req, res, "admin", {ResourceKind::delivery, id});
  if (!caller) return;
  auto answer = deps.intake.replay(id);
  log_event(spdlog::level::info, "delivery replayed",
            {{"delivery", id}, {"by", caller->name()}, {"status", answer.status}});
  send_json(res, answer.status, answer.body);
}

}  // namespace

void register_repo_routes(Router& http, const RepoRoutes& deps) {
  using Req = httplib::Request;
  using Res = httplib::Response;
  http.post("/api/v1/repos", [deps](const Req& q, Res& s) { add_repo(deps, q, s); });
  http.get("/api/v1/repos", [deps](const Req& q, Res& s) { list_repos(deps, q, s); });
  http.post(std::string(kApiRepoPattern) + "/notify-urls",
            [deps](const Req& q, Res& s) { set_notify_urls(deps, q, s); });
  http.post(std::string(kApiRepoPattern) + "/settings",
            [deps](const Req& q, Res& s) { set_settings(deps, q, s); });
  http.get("/api/v1/webhooks/deliveries",
           [deps](const Req& q, Res& s) { list_deliveries(deps, q, s); });
  http.get(R"(/api/v1/webhooks/deliveries/(\d{1,18}))",
           [deps](const Req& q, Res& s) { get_delivery(deps, q, s); });
  http.post(R"(/api/v1/webhooks/deliveries/(\d{1,18})/replay)",
            [deps](const Req& q, Res& s) { replay_delivery(deps, q, s); });
  // The pipeline GET routes are in api/status.cpp.
}

}  // namespace mlgate::server
