// The gate API (docs/gate.md, "The gate API"): the decision for (repo, sha,
// environment) against the commit deployed there now (read), deployments refused for a denied or
// pending commit unless forced with a reason (deploy; audited with how the candidate's rules differ
// from the deployed commit's), rollback (deploy; audited), and the deployment history (read). A
// deployment records the deployed commit's gate rules: the rules in force from then on. The
// decisions themselves come from GateService (gate_service.h).
#include <cctype>
#include <nlohmann/json.hpp>

#include "core/config.h"
#include "core/fork_policy.h"
#include "server/api/routes.h"
#include "server/http/auth.h"
#include "server/http/body.h"
#include "server/http/http_util.h"
#include "server/http/repo_lookup.h"
#include "server/services/audit.h"
#include "server/services/gate_service.h"
#include "server/services/notifications.h"
#include "store/deployments.h"
#include "store/feedback.h"
#include "store/pipelines.h"
#include "store/repos.h"
#include "util/strings.h"
#include "vcs/validate.h"

namespace mlgate::server {
namespace {

using nlohmann::json;

constexpr const char* kRepoPattern = kApiRepoPattern;

void send_outcome_refusal(httplib::Response& res, const GateRefusal& r) {
  send_error(res, r.status, r.code, r.message);
}

json deployment_json(const store::DeploymentRow& d, bool current, const std::string& repo) {
  auto opt = [](const std::optional<std::int64_t>& v) { return v ? json(*v) : json(); };
  return {{"id", d.id},
          {"environment", d.environment},
          {"sha", d.sha},
          {"kind", d.kind},
          {"rolled_back_from", opt(d.rolled_back_from)},
          {"gate_decision_id", opt(d.gate_decision_id)},
          {"forced", d.forced},
          {"reason", d.reason.empty() ? json() : json(d.reason)},
          {"actor", d.actor},
          {"created_at", d.created_at},
          {"current", current},
          {"model_card", "/repos/" + repo + "/commits/" + d.sha + "/model-card"}};
}

void get_gate(const GateRoutes& deps, const httplib::Request& req, httplib::Response& res) {
  auto caller = deps.auth.authorize(req, res, "read");
  if (!caller) return;
  auto repo = find_repo_in_path(deps.auth, req, res, *caller);
  if (!repo) return;
  const std::string sha = util::lower(req.get_param_value("sha"));
  const std::string env = req.get_param_value("environment");
  if (!vcs::is_valid_sha(sha))
    return send_error(res, 400, "bad_request", "sha: a full 40 (or 64) hex digit commit id");
  if (!core::is_environment_name(env))
    return send_error(res, 400, "bad_request", "environment: 1 to 100 of A-Z a-z 0-9 _ . -");
  // A hit: the bytes sent last time, no JSON work (the caller was authorized above).
  if (auto bytes = deps.gate.api_answer_bytes(*repo, sha, env)) {
    res.set_header("X-Mlgate-Cache", "hit");
    return send_json_text(res, 200, *bytes);
  }
  auto outcome = deps.gate.evaluate(*repo, sha, env, "api", true);
  if (outcome.refusal) return send_outcome_refusal(res, *outcome.refusal);
  res.set_header("X-Mlgate-Cache", outcome.cached ? "hit" : "miss");
  if (outcome.api_bytes) return send_json_text(res, 200, *outcome.api_bytes);
  outcome.body["cached"] = outcome.cached;
  send_json(res, 200, outcome.body);
}

// 409 for a deployment the gate denies or has pending (and that is not forced): the checks that
// block it, how the rules differ from the deployed commit's, and the gate's whole answer. `gate`
// is a copy: operator[] adds a missing key to it.
void send_gate_refusal(httplib::Response& res, json gate, const std::string& sha,
                       const std::string& env) {
  const std::string decision = gate["decision"];
  const bool rules_differ = !rule_difference_texts(gate).empty();
  json reasons = json::array();
  for (const auto& c : gate["checks"])
    if (c.value("blocks", false) || c.value("status", "") == "pending")
      reasons.push_back(c["kind"].get<std::string>() + " " + c["name"].get<std::string>() + ": " +
                        c["reason"].get<std::string>() +
                        (rules_differ ? rule_set_suffix(c.value("rule_set", "")) : ""));
  send_json(res, 409,
            {{"error",
              {{"code", "gate_" + decision},
               {"message", "the gate says " + decision + " for " + util::short_sha(sha) + " to " +
                               env + " (deploy with force and a reason to override): " +
                               gate["summary"].get<std::string>()}}},
             {"decision", decision},
             {"reasons", reasons},
             {"rule_differences", rule_difference_texts(gate)},
             {"gate", gate}});
}

// A commit known only from fork pull requests is never recorded as deployed, not even forced
// (docs/security.md, "Fork pull requests"): answers 409 and returns true for one.
bool refuse_fork_commit(const GateRoutes& deps, const store::RepoRow& repo, const std::string& sha,
                        httplib::Response& res) {
  const bool fork_only = deps.db.with([&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    return store::commit_only_from_forks(tx, repo.id, sha);
  });
  if (!fork_only) return false;
  send_error(res, 409, "fork_commit",
             util::short_sha(sha) +
                 " is known only from fork pull requests: " + std::string(core::kForkCommitReason) +
                 ", not even with force (merge it into " + repo.full_name + " first)");
  return true;
}

// What a deployment's notification is about; it links to the repository's page.
core::NotificationSubject deployment_subject(const GateRoutes& deps, const store::RepoRow& repo,
                                             const std::string& env, const std::string& sha,
                                             std::int64_t deployment_id) {
  core::NotificationSubject s;
  s.repo = repo.full_name;
  s.sha = sha;
  s.environment = env;
  s.deployment_id = deployment_id;
  if (!deps.public_url.empty()) s.url = deps.public_url + "/repos/" + repo.full_name;
  return s;
}

void notify_forced(pqxx::work& tx, const GateRoutes& deps, const store::RepoRow& repo,
                   const store::NewDeployment& d, std::int64_t id, const std::string& decision) {
  queue_notification(
      tx, deps.notify_urls, repo.id,
      core::deployment_forced_notification(deployment_subject(deps, repo, d.environment, d.sha, id),
                                           decision, d.actor, d.reason));
}

void create_deployment(const GateRoutes& deps, const httplib::Request& req,
                       httplib::Response& res) {
  auto caller = deps.auth.authorize(req, res, "deploy");
  if (!caller) return;
  auto repo = find_repo_in_path(deps.auth, req, res, *caller);
  if (!repo) return;
  auto parsed = json_object_body(req.body, res);
  if (!parsed) return;
  json& body = *parsed;
  auto str = [&](const char* key) {
    return body.contains(key) && body[key].is_string() ? body[key].get<std::string>() : "";
  };
  const std::string sha = util::lower(str("sha"));
  const std::string env = str("environment");
  const std::string reason = str("reason");
  if (body.contains("force") && !body["force"].is_boolean())
    return send_error(res, 400, "bad_request", "force: true or false");
  const bool force = body.value("force", false);
  if (!vcs::is_valid_sha(sha))
    return send_error(res, 400, "bad_request", "sha: a full 40 (or 64) hex digit commit id");
  if (!core::is_environment_name(env))
    return send_error(res, 400, "bad_request", "environment: 1 to 100 of A-Z a-z 0-9 _ . -");
  bool blank = reason.find_first_not_of(" \t\r\n") == std::string::npos;
  if (force && blank)
    return send_error(res, 400, "reason_required",
                      "force needs a non-empty reason (it is audited)");
  if (reason.size() > 2000)
    return send_error(res, 400, "bad_request", "reason: at most 2000 characters");
  if (refuse_fork_commit(deps, *repo, sha, res)) return;
  auto outcome = deps.gate.evaluate(*repo, sha, env);
  if (outcome.refusal) return send_outcome_refusal(res, *outcome.refusal);
  const std::string decision = outcome.body["decision"];
  if (decision != "allow" && !force) return send_gate_refusal(res, outcome.body, sha, env);
  const bool forced = force && decision != "allow";
  const std::int64_t decision_id = outcome.body["decision_id"];
  auto inserted = deps.db.with([&](pqxx::connection& c) -> std::optional<store::DeploymentRow> {
    pqxx::work tx(c);
    store::lock_deployments(tx, repo->id);
    auto state = store::deployment_state(tx, repo->id, env);
    std::optional<std::int64_t> latest =
        state.latest ? std::optional<std::int64_t>(state.latest->id) : std::nullopt;
    if (latest != outcome.latest_deployment_id) return std::nullopt;  // decided on a stale baseline
    store::NewDeployment d;
    d.repo_id = repo->id;
    d.environment = env;
    d.sha = sha;
    d.gate_decision_id = decision_id;
    d.forced = forced;
    d.reason = blank ? "" : reason;
    d.actor = caller->name();
    d.gate_rules_json = outcome.candidate_rules_json;  // the rules in force from now on
    auto id = store::insert_deployment(tx, d);
    store::mark_heads_due(tx, repo->id);  // the baseline changed: gate statuses are judged again
    audit(tx, *caller, forced ? "deployment.force" : "deployment.create", repo->id,
          {{"deployment", id},
           {"environment", env},
           {"sha", sha},
           {"decision", decision},
           {"gate_decision_id", decision_id},
           {"forced", forced},
           {"reason", d.reason.empty() ? json() : json(d.reason)},
           {"previous_sha", state.current_sha ? json(*state.current_sha) : json()},
           {"rule_differences", rule_difference_texts(outcome.body)}});
    auto row = store::get_deployment(tx, id);
    if (forced) notify_forced(tx, deps, *repo, d, id, decision);
    tx.commit();
    return row;
  });
  if (!inserted)
    return send_error(res, 409, "deployment_changed",
                      "another deployment to " + env + " happened meanwhile; evaluate again");
  auto out = deployment_json(*inserted, true, repo->full_name);
  out["decision"] = decision;
  out["summary"] = outcome.body["summary"];
  out["rule_differences"] = rule_difference_texts(outcome.body);
  send_json(res, 201, out);
}

void rollback(const GateRoutes& deps, const httplib::Request& req, httplib::Response& res) {
  auto caller = deps.auth.authorize(req, res, "deploy");
  if (!caller) return;
  auto repo = find_repo_in_path(deps.auth, req, res, *caller);
  if (!repo) return;
  auto parsed = json_object_body(req.body, res);
  if (!parsed) return;
  const json& body = *parsed;
  const std::string env = body.contains("environment") && body["environment"].is_string()
                              ? body["environment"].get<std::string>()
                              : "";
  if (!core::is_environment_name(env))
    return send_error(res, 400, "bad_request", "environment: 1 to 100 of A-Z a-z 0-9 _ . -");
  auto row = deps.db.with([&](pqxx::connection& c) -> std::optional<store::DeploymentRow> {
    pqxx::work tx(c);
    store::lock_deployments(tx, repo->id);
    auto state = store::deployment_state(tx, repo->id, env);
    if (!state.rollback_sha) return std::nullopt;
    store::NewDeployment d;
    d.repo_id = repo->id;
    d.environment = env;
    d.sha = *state.rollback_sha;
    d.kind = "rollback";
    d.rolled_back_from = state.top_deploy_id;
    d.actor = caller->name();
    auto id = store::insert_deployment(tx, d);
    store::mark_heads_due(tx, repo->id);  // the baseline changed: gate statuses are judged again
    audit(tx, *caller, "deployment.rollback", repo->id,
          {{"deployment", id},
           {"environment", env},
           {"sha", d.sha},
           {"rolled_back_sha", *state.current_sha},
           {"rolled_back_from", *state.top_deploy_id}});
    auto out = store::get_deployment(tx, id);
    queue_notification(tx, deps.notify_urls, repo->id,
                       core::rollback_notification(deployment_subject(deps, *repo, env, d.sha, id),
                                                   *state.current_sha, caller->name(), ""));
    tx.commit();
    return out;
  });
  if (!row)
    return send_error(
        res, 409, "nothing_to_roll_back",
        "no previous deployment of " + repo->full_name + " to " + env + " to roll back to");
  auto out = deployment_json(*row, true, repo->full_name);
  send_json(res, 201, out);
}

void list(const GateRoutes& deps, const httplib::Request& req, httplib::Response& res) {
  auto caller = deps.auth.authorize(req, res, "read");
  if (!caller) return;
  auto repo = find_repo_in_path(deps.auth, req, res, *caller);
  if (!repo) return;
  const std::string env = req.get_param_value("environment");
  if (!env.empty() && !core::is_environment_name(env))
    return send_error(res, 400, "bad_request", "environment: 1 to 100 of A-Z a-z 0-9 _ . -");
  auto rows = deps.db.with([&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    return store::list_deployments(tx, repo->id, env);
  });
  json out = json::array();
  json current = json::object();
  for (const auto& d : rows) {
    const bool is_current = !current.contains(d.environment);  // newest first
    if (is_current) current[d.environment] = d.sha;
    out.push_back(deployment_json(d, is_current, repo->full_name));
  }
  send_json(res, 200, {{"repo", repo->full_name}, {"deployments", out}, {"current", current}});
}

}  // namespace

void register_gate_routes(Router& http, const GateRoutes& deps) {
  const std::string repo = kRepoPattern;
  http.get(repo + "/gate",
           [deps](const httplib::Request& q, httplib::Response& s) { get_gate(deps, q, s); });
  http.post(repo + "/deployments/rollback",
            [deps](const httplib::Request& q, httplib::Response& s) { rollback(deps, q, s); });
  http.post(repo + "/deployments", [deps](const httplib::Request& q, httplib::Response& s) {
    create_deployment(deps, q, s);
  });
  http.get(repo + "/deployments",
           [deps](const httplib::Request& q, httplib::Response& s) { list(deps, q, s); });
}

}  // namespace mlgate::server
