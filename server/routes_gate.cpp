// The gate API (docs/gate.md, "The gate API"; issue 5 point 3): the decision for (repo, sha,
// environment) against the commit deployed there now (read), deployments refused for a denied or
// pending commit unless forced with a reason (deploy; audited), rollback (deploy; audited), and the
// deployment history (read). Decisions are stored with their inputs, and served from an in-process
// cache whose key is read from the database, so that any new result, job state change or
// deployment (on any replica) misses it.
#include <cctype>
#include <mutex>
#include <nlohmann/json.hpp>
#include <regex>
#include <unordered_map>

#include "core/config.h"
#include "core/gate.h"
#include "server/app.h"
#include "server/auth.h"
#include "server/http_util.h"
#include "server/planner.h"
#include "store/deployments.h"
#include "store/gate_inputs.h"
#include "store/repos.h"

namespace mlgate::server {
namespace {

using nlohmann::json;

// A repository's full name: owner/name, or group/subgroup/name on GitLab.
constexpr const char* kRepoPattern = R"(/api/v1/repos/([A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)+))";
constexpr std::size_t kCacheMaxEntries = 4096;

struct GateCache {
  std::mutex mu;
  std::unordered_map<std::string, json> entries;  // key -> response body (without "cached")

  std::optional<json> get(const std::string& key) {
    std::lock_guard lock(mu);
    auto it = entries.find(key);
    if (it == entries.end()) return std::nullopt;
    return it->second;
  }
  void put(const std::string& key, const json& body) {
    std::lock_guard lock(mu);
    if (entries.size() >= kCacheMaxEntries) entries.clear();  // keys never come back: no LRU
    entries[key] = body;
  }
};

// An answer that is not a decision: status, error code and message.
struct Refusal {
  int status = 400;
  std::string code;
  std::string message;
};

struct GateOutcome {
  std::optional<Refusal> refusal;
  json body;  // the response, with "decision", "summary", "decision_id"
  bool cached = false;
  std::optional<std::int64_t> latest_deployment_id;  // the deployment state it was decided on
};

bool valid_sha(const std::string& s) {
  static const std::regex re("^[0-9a-f]{40}([0-9a-f]{24})?$");
  return std::regex_match(s, re);
}

bool valid_environment(const std::string& s) {
  static const std::regex re("^[A-Za-z0-9_.-]{1,100}$");
  return std::regex_match(s, re);
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The repo named in the path (case-insensitive; ?forge= picks one when the name exists on both
// forges). Answers 404/409/403 itself and returns nullopt.
std::optional<store::RepoRow> find_repo(App& app, const httplib::Request& req,
                                        httplib::Response& res, const Caller& caller) {
  const std::string name = req.matches[1].str();
  const std::string forge = req.has_param("forge") ? req.get_param_value("forge") : "";
  auto ids = app.db().with([&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    std::vector<std::int64_t> out;
    for (const auto& r : tx.exec_params(
             "SELECT id FROM repos WHERE lower(full_name) = lower($1) AND ($2 = '' OR forge = $2) "
             "ORDER BY id",
             name, forge))
      out.push_back(r[0].as<std::int64_t>());
    return out;
  });
  if (ids.empty()) {
    send_error(res, 404, "not_found", "no repository " + name);
    return std::nullopt;
  }
  if (ids.size() > 1) {
    send_error(res, 409, "ambiguous_repo",
               name + " is registered for more than one forge: add ?forge=github or ?forge=gitlab");
    return std::nullopt;
  }
  if (caller.token && caller.token->repo_id && *caller.token->repo_id != ids[0]) {
    send_error(res, 403, "forbidden", "this token is restricted to another repository");
    return std::nullopt;
  }
  auto repo = app.db().with([&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    return store::find_repo_by_id(tx, ids[0]);
  });
  if (!repo) send_error(res, 404, "not_found", "no repository " + name);
  return repo;
}

// Evaluates the gate of `env` for `sha` (or serves the cached decision), storing a new decision.
GateOutcome evaluate(App& app, GateCache& cache, const store::RepoRow& repo, const std::string& sha,
                     const std::string& env) {
  GateOutcome out;
  // One snapshot: the deployment state, both pipelines, the cache key and the results.
  struct Snapshot {
    store::DeploymentState deployment;
    std::optional<store::GatePipeline> candidate;
    std::optional<store::GatePipeline> baseline;
    std::string key;
    std::optional<json> hit;
    core::JobResults candidate_results;
    core::JobResults baseline_results;
  };
  auto snap = app.db().with([&](pqxx::connection& c) {
    pqxx::transaction<pqxx::repeatable_read, pqxx::read_only> tx(c);
    Snapshot s;
    s.deployment = store::deployment_state(tx, repo.id, env);
    s.candidate = store::latest_pipeline_for_sha(tx, repo.id, sha);
    if (s.deployment.current_sha)
      s.baseline = store::latest_pipeline_for_sha(tx, repo.id, *s.deployment.current_sha);
    s.key = std::to_string(repo.id) + "\n" + sha + "\n" + env + "\n" +
            (s.deployment.latest ? std::to_string(s.deployment.latest->id) : "-") + "\n" +
            s.deployment.current_sha.value_or("-") + "\n" +
            (s.candidate ? s.candidate->marker : "-") + "\n" +
            (s.baseline ? s.baseline->marker : "-");
    s.hit = cache.get(s.key);
    if (s.hit) return s;
    if (s.candidate) s.candidate_results = store::load_pipeline_results(tx, *s.candidate);
    if (s.baseline) s.baseline_results = store::load_pipeline_results(tx, *s.baseline);
    return s;
  });
  out.latest_deployment_id = snap.deployment.latest
                                 ? std::optional<std::int64_t>(snap.deployment.latest->id)
                                 : std::nullopt;
  if (snap.hit) {
    out.body = std::move(*snap.hit);
    out.cached = true;
    return out;
  }

  // The gate config is the candidate commit's own .mlgate.yml.
  vcs::RepoRemote remote;
  remote.key = mirror_key(repo.forge, repo.full_name);
  remote.clone_url = repo.clone_url;
  remote.token = repo.forge_token;
  remote.token_user = repo.forge == "gitlab" ? "oauth2" : "x-access-token";
  const std::string& config_path = app.config().planner.config_path;
  std::optional<std::string> text;
  try {
    app.mirrors().ensure_commit(remote, sha);
    text = app.mirrors().read_file(remote, sha, config_path, core::kMaxConfigBytes + 1);
  } catch (const std::exception& e) {
    out.refusal = Refusal{404, "unknown_commit",
                          "cannot read commit " + sha + " of " + repo.full_name + ": " + e.what()};
    return out;
  }
  if (!text) {
    out.refusal = Refusal{422, "no_config", "no " + config_path + " at " + sha.substr(0, 12)};
    return out;
  }
  auto parsed = core::parse_config(*text);
  if (!parsed) {
    out.refusal = Refusal{422, "invalid_config",
                          config_path + " at " + sha.substr(0, 12) + " is invalid:\n" +
                              core::format_errors(parsed.errors, config_path)};
    return out;
  }
  const auto* gate = core::find_gate(*parsed.config, env);
  if (!gate) {
    std::string known;
    for (const auto& g : parsed.config->gates) known += (known.empty() ? "" : ", ") + g.name;
    out.refusal = Refusal{404, "unknown_environment",
                          "no gate for environment '" + env + "' in " + config_path + " at " +
                              sha.substr(0, 12) +
                              (known.empty() ? " (it has none)" : " (it has " + known + ")")};
    return out;
  }

  std::vector<core::TierState> tiers;
  if (snap.candidate) tiers = snap.candidate->tiers;
  auto& mirrors = app.mirrors();
  core::PathExists exists = [&mirrors, remote, sha](std::string_view path) {
    try {
      return mirrors.path_exists(remote, sha, path);
    } catch (const std::exception&) {
      return false;
    }
  };
  core::GateInput input{*gate,
                        parsed.config->rubric,
                        snap.candidate_results,
                        snap.deployment.current_sha ? &snap.baseline_results : nullptr,
                        &tiers,
                        exists};
  auto result = core::evaluate_gate(input);
  if (!snap.candidate) {
    // No pipeline yet: nothing to judge but the (pending) required tiers.
    std::vector<core::CheckResult> kept;
    for (auto& c : result.checks)
      if (c.kind == core::CheckKind::tier) kept.push_back(std::move(c));
    result.checks = std::move(kept);
    result.decision = core::Decision::pending;
    result.summary = "pending: no pipeline for " + sha.substr(0, 12) +
                     " yet (it is created when the push reaches mlgate)";
  }

  json body = json::parse(core::gate_result_json(result));
  for (std::size_t i = 0; i < result.checks.size(); ++i)
    body["checks"][i]["blocks"] = core::blocks(result.checks[i]);
  body["summary"] = result.summary;
  body["repo"] = repo.full_name;
  body["sha"] = sha;
  body["environment"] = env;
  body["baseline_sha"] = snap.deployment.current_sha ? json(*snap.deployment.current_sha) : json();
  body["pipeline_id"] = snap.candidate ? json(snap.candidate->id) : json();
  body["pipeline_state"] = snap.candidate ? json(snap.candidate->state) : json();

  json tiers_json = json::array();
  for (const auto& t : tiers) tiers_json.push_back({{"tier", t.tier}, {"state", t.state}});
  json inputs = {{"gate", gate->name},
                 {"config_path", config_path},
                 {"candidate_pipeline", body["pipeline_id"]},
                 {"candidate_tiers", tiers_json},
                 {"candidate_marker", snap.candidate ? json(snap.candidate->marker) : json()},
                 {"baseline_sha", body["baseline_sha"]},
                 {"baseline_pipeline", snap.baseline ? json(snap.baseline->id) : json()},
                 {"baseline_deployment_id",
                  out.latest_deployment_id ? json(*out.latest_deployment_id) : json()},
                 {"summary", result.summary},
                 {"rubric", body["rubric"]}};
  auto id = app.db().with([&](pqxx::connection& c) {
    pqxx::work tx(c);
    auto r = tx.exec_params1(
        "INSERT INTO gate_decisions (repo_id, sha, environment, decision, baseline_sha, "
        "baseline_deployment_id, checks, inputs, source) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb, 'api') RETURNING id",
        repo.id, sha, env, std::string(core::to_string(result.decision)),
        snap.deployment.current_sha, out.latest_deployment_id,
        body["checks"].dump(-1, ' ', false, json::error_handler_t::replace),
        inputs.dump(-1, ' ', false, json::error_handler_t::replace));
    tx.commit();
    return r[0].as<std::int64_t>();
  });
  body["decision_id"] = id;
  cache.put(snap.key, body);
  out.body = std::move(body);
  return out;
}

void send_outcome_refusal(httplib::Response& res, const Refusal& r) {
  send_error(res, r.status, r.code, r.message);
}

json deployment_json(const store::DeploymentRow& d, bool current) {
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
          {"current", current}};
}

void audit(pqxx::work& tx, const Caller& caller, const std::string& action, std::int64_t repo_id,
           const json& details) {
  tx.exec_params("INSERT INTO audit_log (actor, action, repo_id, details) VALUES ($1, $2, $3, $4)",
                 caller.name(), action, repo_id, details.dump());
}

void get_gate(App& app, GateCache& cache, const httplib::Request& req, httplib::Response& res) {
  auto caller = authorize(app, req, res, "read");
  if (!caller) return;
  const std::string sha = lower(req.get_param_value("sha"));
  const std::string env = req.get_param_value("environment");
  if (!valid_sha(sha))
    return send_error(res, 400, "bad_request", "sha: a full 40 (or 64) hex digit commit id");
  if (!valid_environment(env))
    return send_error(res, 400, "bad_request", "environment: 1 to 100 of A-Z a-z 0-9 _ . -");
  auto repo = find_repo(app, req, res, *caller);
  if (!repo) return;
  auto outcome = evaluate(app, cache, *repo, sha, env);
  if (outcome.refusal) return send_outcome_refusal(res, *outcome.refusal);
  outcome.body["cached"] = outcome.cached;
  res.set_header("X-Mlgate-Cache", outcome.cached ? "hit" : "miss");
  send_json(res, 200, outcome.body);
}

void create_deployment(App& app, GateCache& cache, const httplib::Request& req,
                       httplib::Response& res) {
  auto caller = authorize(app, req, res, "deploy");
  if (!caller) return;
  auto body = json::parse(req.body.empty() ? "{}" : req.body, nullptr, false);
  if (!body.is_object())
    return send_error(res, 400, "bad_request", "the body must be a JSON object");
  auto str = [&](const char* key) {
    return body.contains(key) && body[key].is_string() ? body[key].get<std::string>() : "";
  };
  const std::string sha = lower(str("sha"));
  const std::string env = str("environment");
  const std::string reason = str("reason");
  if (body.contains("force") && !body["force"].is_boolean())
    return send_error(res, 400, "bad_request", "force: true or false");
  const bool force = body.value("force", false);
  if (!valid_sha(sha))
    return send_error(res, 400, "bad_request", "sha: a full 40 (or 64) hex digit commit id");
  if (!valid_environment(env))
    return send_error(res, 400, "bad_request", "environment: 1 to 100 of A-Z a-z 0-9 _ . -");
  bool blank = reason.find_first_not_of(" \t\r\n") == std::string::npos;
  if (force && blank)
    return send_error(res, 400, "reason_required",
                      "force needs a non-empty reason (it is audited)");
  if (reason.size() > 2000)
    return send_error(res, 400, "bad_request", "reason: at most 2000 characters");
  auto repo = find_repo(app, req, res, *caller);
  if (!repo) return;
  auto outcome = evaluate(app, cache, *repo, sha, env);
  if (outcome.refusal) return send_outcome_refusal(res, *outcome.refusal);
  const std::string decision = outcome.body["decision"];
  if (decision != "allow" && !force) {
    json reasons = json::array();
    for (const auto& c : outcome.body["checks"])
      if (c.value("blocks", false) || c.value("status", "") == "pending")
        reasons.push_back(c["kind"].get<std::string>() + " " + c["name"].get<std::string>() + ": " +
                          c["reason"].get<std::string>());
    return send_json(
        res, 409,
        {{"error",
          {{"code", "gate_" + decision},
           {"message", "the gate says " + decision + " for " + sha.substr(0, 12) + " to " + env +
                           " (deploy with force and a reason to override): " +
                           outcome.body["summary"].get<std::string>()}}},
         {"decision", decision},
         {"reasons", reasons},
         {"gate", outcome.body}});
  }
  const bool forced = force && decision != "allow";
  const std::int64_t decision_id = outcome.body["decision_id"];
  auto inserted = app.db().with([&](pqxx::connection& c) -> std::optional<store::DeploymentRow> {
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
    auto id = store::insert_deployment(tx, d);
    audit(tx, *caller, forced ? "deployment.force" : "deployment.create", repo->id,
          {{"deployment", id},
           {"environment", env},
           {"sha", sha},
           {"decision", decision},
           {"gate_decision_id", decision_id},
           {"forced", forced},
           {"reason", d.reason.empty() ? json() : json(d.reason)},
           {"previous_sha", state.current_sha ? json(*state.current_sha) : json()}});
    auto row = store::get_deployment(tx, id);
    tx.commit();
    return row;
  });
  if (!inserted)
    return send_error(res, 409, "deployment_changed",
                      "another deployment to " + env + " happened meanwhile; evaluate again");
  auto out = deployment_json(*inserted, true);
  out["decision"] = decision;
  out["summary"] = outcome.body["summary"];
  send_json(res, 201, out);
}

void rollback(App& app, const httplib::Request& req, httplib::Response& res) {
  auto caller = authorize(app, req, res, "deploy");
  if (!caller) return;
  auto body = json::parse(req.body.empty() ? "{}" : req.body, nullptr, false);
  const std::string env =
      body.is_object() && body.contains("environment") && body["environment"].is_string()
          ? body["environment"].get<std::string>()
          : "";
  if (!valid_environment(env))
    return send_error(res, 400, "bad_request", "environment: 1 to 100 of A-Z a-z 0-9 _ . -");
  auto repo = find_repo(app, req, res, *caller);
  if (!repo) return;
  auto row = app.db().with([&](pqxx::connection& c) -> std::optional<store::DeploymentRow> {
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
    audit(tx, *caller, "deployment.rollback", repo->id,
          {{"deployment", id},
           {"environment", env},
           {"sha", d.sha},
           {"rolled_back_sha", *state.current_sha},
           {"rolled_back_from", *state.top_deploy_id}});
    auto out = store::get_deployment(tx, id);
    tx.commit();
    return out;
  });
  if (!row)
    return send_error(
        res, 409, "nothing_to_roll_back",
        "no previous deployment of " + repo->full_name + " to " + env + " to roll back to");
  auto out = deployment_json(*row, true);
  send_json(res, 201, out);
}

void list(App& app, const httplib::Request& req, httplib::Response& res) {
  auto caller = authorize(app, req, res, "read");
  if (!caller) return;
  const std::string env = req.get_param_value("environment");
  if (!env.empty() && !valid_environment(env))
    return send_error(res, 400, "bad_request", "environment: 1 to 100 of A-Z a-z 0-9 _ . -");
  auto repo = find_repo(app, req, res, *caller);
  if (!repo) return;
  auto rows = app.db().with([&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    return store::list_deployments(tx, repo->id, env);
  });
  json out = json::array();
  json current = json::object();
  for (const auto& d : rows) {
    const bool is_current = !current.contains(d.environment);  // newest first
    if (is_current) current[d.environment] = d.sha;
    out.push_back(deployment_json(d, is_current));
  }
  send_json(res, 200, {{"repo", repo->full_name}, {"deployments", out}, {"current", current}});
}

}  // namespace

void register_gate_routes(App& app) {
  auto cache = std::make_shared<GateCache>();  // lives as long as the routes, i.e. the App
  auto& http = app.http();
  const std::string repo = kRepoPattern;
  http.Get(repo + "/gate", [&app, cache](const httplib::Request& q, httplib::Response& s) {
    get_gate(app, *cache, q, s);
  });
  http.Post(repo + "/deployments/rollback",
            [&app](const httplib::Request& q, httplib::Response& s) { rollback(app, q, s); });
  http.Post(repo + "/deployments", [&app, cache](const httplib::Request& q, httplib::Response& s) {
    create_deployment(app, *cache, q, s);
  });
  http.Get(repo + "/deployments",
           [&app](const httplib::Request& q, httplib::Response& s) { list(app, q, s); });
}

}  // namespace mlgate::server
