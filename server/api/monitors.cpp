// Production monitors seen through the API (docs/api.md, docs/monitoring.md "Alerts, retraining
// and status"): GET /api/v1/repos/{owner}/{name}/monitors (every environment's state) and
// GET …/environments/{env}/monitors (one environment's state, evidence and history). Scope read.
#include "store/monitors.h"

#include <nlohmann/json.hpp>
#include <string>

#include "server/api/routes.h"
#include "server/http/auth.h"
#include "server/http/http_util.h"
#include "server/http/repo_lookup.h"

namespace mlgate::server {
namespace {

using nlohmann::json;

constexpr int kDefaultHistory = 50;
constexpr int kMaxHistory = 500;

json state_json(const store::MonitorStateRow& s) {
  return {{"environment", s.environment},
          {"state", core::to_string(s.state)},
          {"since", s.since},
          {"evaluated_at", s.evaluated_at},
          {"sha", s.sha},
          {"transitions", s.transitions},
          {"kinds", s.kinds},
          {"alerting_kinds", s.alerting_kinds},
          {"evidence", s.evidence},
          {"last_retrain_at", s.last_retrain_at ? json(*s.last_retrain_at) : json(nullptr)},
          {"retrain_pipeline_id",
           s.retrain_pipeline_id ? json(*s.retrain_pipeline_id) : json(nullptr)}};
}

json evaluation_json(const store::MonitorEvaluationRow& e) {
  return {{"id", e.id},
          {"sha", e.sha},
          {"state", core::to_string(e.state)},
          {"previous_state",
           e.previous_state ? json(core::to_string(*e.previous_state)) : json(nullptr)},
          {"changed", e.changed},
          {"transition", e.transition},
          {"alerting_kinds", e.alerting_kinds},
          {"evidence", e.evidence},
          {"evaluated_at", e.evaluated_at}};
}

// ?limit= (1..500, default 50); nullopt after answering 400.
std::optional<int> history_limit(const httplib::Request& req, httplib::Response& res) {
  if (!req.has_param("limit")) return kDefaultHistory;
  try {
    std::size_t used = 0;
    const std::string text = req.get_param_value("limit");
    const int n = std::stoi(text, &used);
    if (used == text.size() && n >= 1 && n <= kMaxHistory) return n;
  } catch (const std::exception&) {
  }
  send_error(res, 400, "bad_request", "limit: 1 to 500");
  return std::nullopt;
}

void list_monitors(const MonitorRoutes& deps, const httplib::Request& req, httplib::Response& res) {
  auto caller = deps.auth.authorize(req, res, "read");
  if (!caller) return;
  auto repo = find_repo_in_path(deps.auth, req, res, *caller);
  if (!repo) return;
  auto rows = deps.db.with([&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    return store::list_monitor_states(tx, repo->id);
  });
  json monitors = json::array();
  bool alerting = false;
  for (const auto& r : rows) {
    monitors.push_back(state_json(r));
    alerting = alerting || r.state == core::MonitorState::alerting;
  }
  send_json(res, 200, {{"repo", repo->full_name}, {"alerting", alerting}, {"monitors", monitors}});
}

void environment_monitor(const MonitorRoutes& deps, const httplib::Request& req,
                         httplib::Response& res) {
  auto caller = deps.auth.authorize(req, res, "read");
  if (!caller) return;
  auto repo = find_repo_in_path(deps.auth, req, res, *caller);
  if (!repo) return;
  const std::string env = req.matches[2].str();
  auto limit = history_limit(req, res);
  if (!limit) return;
  const bool changes_only = req.get_param_value("changes") == "true";
  struct Loaded {
    std::optional<store::MonitorStateRow> state;
    std::vector<store::MonitorEvaluationRow> history;
  };
  auto loaded = deps.db.with([&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    return Loaded{store::monitor_state(tx, repo->id, env),
                  store::monitor_history(tx, repo->id, env, *limit, changes_only)};
  });
  json history = json::array();
  for (const auto& e : loaded.history) history.push_back(evaluation_json(e));
  send_json(res, 200,
            {{"repo", repo->full_name},
             {"environment", env},
             {"monitor", loaded.state ? state_json(*loaded.state) : json(nullptr)},
             {"history", history}});
}

}  // namespace

void register_monitor_routes(Router& http, const MonitorRoutes& deps) {
  const std::string repo = kApiRepoPattern;
  // The environment's route first: the list's pattern would take "environments/x" as part of a
  // GitLab group path.
  http.get(
      repo + R"(/environments/([A-Za-z0-9_.-]{1,100})/monitors)",
      [deps](const httplib::Request& q, httplib::Response& s) { environment_monitor(deps, q, s); });
  http.get(repo + "/monitors",
           [deps](const httplib::Request& q, httplib::Response& s) { list_monitors(deps, q, s); });
}

}  // namespace mlgate::server
