// Staged rollouts (docs/rollouts.md, "On the server"; docs/api.md): POST …/rollouts starts one
// (deploy scope) when the gate allows the candidate and its `.mlgate.yml` has a `rollouts:` entry
// for the environment; GET …/environments/{env}/rollout shows it (stage, split, history, the
// verdict an Argo AnalysisTemplate reads; `rollout` null when there never was one); POST
// …/environments/{env}/rollout/{promote|pause|resume|abort} are people's commands (deploy scope,
// audited with their reason). What routers poll is server/api/routing.cpp.
#include "store/rollouts.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>

#include "core/config.h"
#include "core/gate_in_force.h"
#include "core/rollout_in_force.h"
#include "core/rollout_state.h"
#include "server/api/routes.h"
#include "server/http/auth.h"
#include "server/http/body.h"
#include "server/http/http_util.h"
#include "server/http/repo_lookup.h"
#include "server/services/audit.h"
#include "server/services/repo_remote.h"
#include "server/services/rollout_actions.h"
#include "store/deployments.h"
#include "store/feedback.h"
#include "util/strings.h"
#include "vcs/validate.h"

namespace mlgate::server {
namespace {

using nlohmann::json;

const std::string kEnvPattern = R"(/environments/([A-Za-z0-9_.-]{1,100}))";

RolloutActionContext context_of(const RolloutRoutes& deps) {
  return {deps.notify_urls, deps.public_url, deps.commit_statuses};
}

json event_json(const store::RolloutEvent& e, const store::RolloutRow& r) {
  return {{"id", e.id},
          {"at", e.at},
          {"stage", e.stage < r.config.stages.size() ? r.config.stages[e.stage].name : ""},
          {"kind", e.kind},
          {"decision", e.decision},
          {"score", e.score ? json(*e.score) : json()},
          {"state", core::to_string(e.state)},
          {"actor", e.actor},
          {"reason", e.reason},
          {"evidence", e.evidence}};
}

// The rules the rollout runs under (core/rollout_in_force.h), shaped as the gate's
// `rules_in_force`: in_force, note, the differences deployed → candidate.
json rules_json(const store::RolloutRow& r) {
  core::RulesInForce rules;
  if (!r.candidate_config)
    rules.note = "started before rollouts followed the rules in force: the candidate's own entry";
  else
    rules = core::rollout_rules_in_force(
        *r.candidate_config, r.deployed_config ? &*r.deployed_config : nullptr, r.environment);
  return json::parse(core::rules_in_force_json(rules));
}

// The verdict on `stage` (by index) that an Argo AnalysisTemplate reads: "passed" once the
// rollout moved past it (or completed), "failed" after a rollback or an abort, "paused" while held,
// "running" while the judge has not decided.
std::string verdict_of(const store::RolloutRow& r, std::size_t stage) {
  if (r.state == core::RolloutState::completed || r.stage > stage) return "passed";
  if (r.state == core::RolloutState::rolled_back || r.state == core::RolloutState::aborted)
    return "failed";
  if (r.state == core::RolloutState::paused) return "paused";
  return "running";
}

json rollout_body(const store::RolloutRow& r, const std::vector<store::RolloutEvent>& events,
                  std::size_t verdict_stage) {
  json stages = json::array();
  for (std::size_t i = 0; i < r.config.stages.size(); ++i)
    stages.push_back({{"name", r.config.stages[i].name},
                      {"text", core::stage_text(r.config.stages[i])},
                      {"verdict", verdict_of(r, i)}});
  json history = json::array();
  json last_judgement;
  for (const auto& e : events) {
    history.push_back(event_json(e, r));
    if (e.kind == "judgement" && e.stage == r.stage) last_judgement = e.evidence;
  }
  const auto split = core::routing_split(r.config, r.position(), r.stable_sha, r.candidate_sha);
  return {{"id", r.id},
          {"environment", r.environment},
          {"candidate_sha", r.candidate_sha},
          {"stable_sha", r.stable_sha},
          {"state", core::to_string(r.state)},
          {"stage", r.config.stages[std::min(r.stage, r.config.stages.size() - 1)].name},
          {"stage_index", r.stage},
          {"stage_started_at", r.stage_started_at},
          {"stages", stages},
          {"routing", core::routing_json(split)},
          {"analysis", core::rollout_config_json(r.config)["analysis"]},
          {"deployed_analysis",
           r.deployed_config ? core::rollout_config_json(*r.deployed_config)["analysis"] : json()},
          {"rules", rules_json(r)},
          {"last_judgement", last_judgement},
          {"verdict",
           {{"stage",
             verdict_stage < r.config.stages.size() ? r.config.stages[verdict_stage].name : ""},
            {"result", verdict_of(r, verdict_stage)}}},
          {"actor", r.actor},
          {"created_at", r.created_at},
          {"finished_at", r.finished_at ? json(*r.finished_at) : json()},
          {"deployment_id", r.deployment_id ? json(*r.deployment_id) : json()},
          {"history", history}};
}

// Every answer about a rollout: {repo, environment, rollout} (rollout null when there never was
// one).
json rollout_json(const store::RepoRow& repo, const std::string& env, const store::RolloutRow* r,
                  const std::vector<store::RolloutEvent>& events, std::size_t verdict_stage) {
  return {{"repo", repo.full_name},
          {"environment", env},
          {"rollout", r ? rollout_body(*r, events, verdict_stage) : json()}};
}

std::string text_field(const json& body, const char* key) {
  return body.contains(key) && body[key].is_string() ? body[key].get<std::string>() : "";
}

// A commit's `rollouts:` entry for the environment: unset when it has none; `readable` false with
// the reason in `message` when its config cannot be used (`no_file`: it has no config file).
struct RolloutEntry {
  std::optional<core::RolloutConfig> entry;
  bool readable = true;
  bool no_file = false;
  std::string message;
};

RolloutEntry rollout_entry_at(const RolloutRoutes& deps, const store::RepoRow& repo,
                              const std::string& sha, const std::string& env) {
  const CommitConfig commit =
      read_commit_config(deps.mirrors, repo_remote(repo), sha, deps.planner, false);
  if (!commit.config)
    return {std::nullopt, false, commit.problem == PlanProblem::no_config, commit.message};
  for (const auto& r : commit.config->rollouts)
    if (r.environment == env) return {r};
  return {};
}

// The candidate's `rollouts:` entry for the environment, or why there is none (sent).
std::optional<core::RolloutConfig> rollout_config_at(const RolloutRoutes& deps,
                                                     const store::RepoRow& repo,
                                                     const std::string& sha, const std::string& env,
                                                     httplib::Response& res) {
  auto at = rollout_entry_at(deps, repo, sha, env);
  if (!at.readable) {
    send_error(res, 409, "no_config", "the candidate's config is not usable: " + at.message);
    return std::nullopt;
  }
  if (!at.entry)
    send_error(res, 409, "no_rollout",
               "the candidate's .mlgate.yml has no `rollouts:` entry for " + env);
  return at.entry;
}

// What POST …/rollouts checked before it starts one.
struct StartRequest {
  std::string sha;
  std::string env;
  std::string reason;
};

std::optional<StartRequest> start_request(const httplib::Request& req, httplib::Response& res) {
  auto parsed = json_object_body(req.body, res);
  if (!parsed) return std::nullopt;
  StartRequest in{util::lower(text_field(*parsed, "sha")), text_field(*parsed, "environment"),
                  text_field(*parsed, "reason")};
  if (!vcs::is_valid_sha(in.sha)) {
    send_error(res, 400, "bad_request", "sha: a full 40 (or 64) hex digit commit id");
    return std::nullopt;
  }
  if (!core::is_environment_name(in.env)) {
    send_error(res, 400, "bad_request", "environment: 1 to 100 of A-Z a-z 0-9 _ . -");
    return std::nullopt;
  }
  if (in.reason.size() > 2000) {
    send_error(res, 400, "bad_request", "reason: at most 2000 characters");
    return std::nullopt;
  }
  return in;
}

// The commit deployed to the environment (the rollout's stable), or why a rollout cannot start.
std::optional<std::string> stable_sha_of(const RolloutRoutes& deps, const store::RepoRow& repo,
                                         const StartRequest& in, std::string& problem) {
  auto current = deps.db.with([&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    return store::deployment_state(tx, repo.id, in.env).current_sha;
  });
  if (!current)
    problem = "nothing is deployed to " + in.env + ": deploy a stable commit first";
  else if (*current == in.sha)
    problem = util::short_sha(in.sha) + " is deployed to " + in.env + " already";
  return problem.empty() ? current : std::nullopt;
}

// Inserts the rollout (the stable commit still deployed, no other under way), its first event,
// audit entry and commit status; nullopt with `problem` set when it cannot start.
std::optional<store::RolloutRow> insert_started(const RolloutRoutes& deps, const Caller& caller,
                                                const store::RepoRow& repo, const StartRequest& in,
                                                store::NewRollout rollout, std::string& problem) {
  return deps.db.with([&](pqxx::connection& c) -> std::optional<store::RolloutRow> {
    pqxx::work tx(c);
    store::lock_deployments(tx, repo.id);
    if (store::deployment_state(tx, repo.id, in.env).current_sha != rollout.stable_sha) {
      problem = "the deployment of " + in.env + " changed while the rollout started: try again";
      return std::nullopt;
    }
    const auto id = store::insert_rollout(tx, rollout);
    if (!id) {
      problem = "a rollout to " + in.env + " is under way: promote, wait or abort it first";
      return std::nullopt;
    }
    auto r = store::get_rollout(tx, *id);
    store::insert_rollout_event(tx, {0, *id, "", 0, "transition", "rollout.start", std::nullopt,
                                     r->state, caller.name(), in.reason, json()});
    audit(
        tx, caller, "rollout.start", repo.id,
        {{"rollout", *id},
         {"environment", in.env},
         {"candidate_sha", in.sha},
         {"stable_sha", rollout.stable_sha},
         {"gate_decision_id", rollout.gate_decision_id ? json(*rollout.gate_decision_id) : json()},
         {"rules", rules_json(*r)},
         {"reason", in.reason}});
    queue_rollout_status(tx, context_of(deps), repo, *r, r->position());
    tx.commit();
    return r;
  });
}

void start(const RolloutRoutes& deps, const httplib::Request& req, httplib::Response& res) {
  auto caller = deps.auth.authorize(req, res, "deploy");
  if (!caller) return;
  auto repo = find_repo_in_path(deps.auth, req, res, *caller);
  if (!repo) return;
  auto in = start_request(req, res);
  if (!in) return;
  auto outcome = deps.gate.evaluate(*repo, in->sha, in->env);
  if (outcome.refusal)
    return send_error(res, outcome.refusal->status, outcome.refusal->code,
                      outcome.refusal->message);
  const std::string decision = outcome.body["decision"];
  if (decision != "allow")
    return send_error(res, 409, "gate_refused",
                      "the gate says " + decision + " for " + util::short_sha(in->sha) + " in " +
                          in->env + ": " + outcome.body.value("summary", ""));
  auto config = rollout_config_at(deps, *repo, in->sha, in->env, res);
  if (!config) return;
  std::string problem;
  const auto stable = stable_sha_of(deps, *repo, *in, problem);
  if (!stable) return send_error(res, 409, "rollout_refused", problem);
  // The stable commit's entry; a stable commit without a config file has none.
  const RolloutEntry theirs = rollout_entry_at(deps, *repo, *stable, in->env);
  if (!theirs.readable && !theirs.no_file)
    return send_error(res, 409, "stable_config_unreadable",
                      "the stable commit " + util::short_sha(*stable) +
                          "'s config cannot be read (" + theirs.message +
                          "): its `rollouts:` entry is part of the rules in force");
  const core::RolloutConfig* deployed = theirs.entry ? &*theirs.entry : nullptr;
  store::NewRollout rollout{repo->id,
                            in->env,
                            in->sha,
                            *stable,
                            core::rollout_in_force(*config, deployed),
                            caller->name(),
                            outcome.body["decision_id"].get<std::int64_t>(),
                            outcome.candidate_rules_json,
                            *config,
                            theirs.entry};
  auto row = insert_started(deps, *caller, *repo, *in, std::move(rollout), problem);
  if (!row) return send_error(res, 409, "rollout_refused", problem);
  send_json(res, 201, rollout_json(*repo, in->env, &*row, {}, 0));
}

// The repository and environment of a …/environments/{env}/… route, for a caller with `scope`.
struct EnvTarget {
  Caller caller;
  store::RepoRow repo;
  std::string env;
};

std::optional<EnvTarget> env_target(const RolloutRoutes& deps, const httplib::Request& req,
                                    httplib::Response& res, const std::string& scope) {
  auto caller = deps.auth.authorize(req, res, scope);
  if (!caller) return std::nullopt;
  auto repo = find_repo_in_path(deps.auth, req, res, *caller);
  if (!repo) return std::nullopt;
  return EnvTarget{*caller, *repo, req.matches[2].str()};
}

void show(const RolloutRoutes& deps, const httplib::Request& req, httplib::Response& res) {
  auto t = env_target(deps, req, res, "read");
  if (!t) return;
  auto found = deps.db.with([&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    std::optional<std::pair<store::RolloutRow, std::vector<store::RolloutEvent>>> out;
    if (auto r = store::latest_rollout(tx, t->repo.id, t->env))
      out.emplace(*r, store::rollout_events(tx, r->id));
    return out;
  });
  if (!found) return send_json(res, 200, rollout_json(t->repo, t->env, nullptr, {}, 0));
  const auto& r = found->first;
  std::size_t verdict_stage = r.stage;
  if (req.has_param("stage")) {
    const std::string name = req.get_param_value("stage");
    verdict_stage = r.config.stages.size();
    for (std::size_t i = 0; i < r.config.stages.size(); ++i)
      if (r.config.stages[i].name == name) verdict_stage = i;
    if (verdict_stage == r.config.stages.size())
      return send_error(res, 400, "bad_request", "stage: no stage called " + name);
  }
  send_json(res, 200, rollout_json(t->repo, t->env, &r, found->second, verdict_stage));
}

void command(const RolloutRoutes& deps, core::RolloutCommand cmd, const httplib::Request& req,
             httplib::Response& res) {
  auto t = env_target(deps, req, res, "deploy");
  if (!t) return;
  auto parsed = json_object_body(req.body.empty() ? "{}" : req.body, res);
  if (!parsed) return;
  const std::string reason = text_field(*parsed, "reason");
  if (reason.size() > 2000)
    return send_error(res, 400, "bad_request", "reason: at most 2000 characters");
  std::string refusal;
  auto row = deps.db.with([&](pqxx::connection& c) -> std::optional<store::RolloutRow> {
    pqxx::work tx(c);
    auto r = store::lock_active_rollout(tx, t->repo.id, t->env);
    if (!r) {
      refusal = "no rollout of " + t->repo.full_name + " to " + t->env + " is under way";
      return std::nullopt;
    }
    const auto step = core::step_on_command(r->position(), r->config.stages.size(), cmd);
    if (step.refusal) {
      refusal = *step.refusal;
      return std::nullopt;
    }
    apply_rollout_step(tx, context_of(deps), t->repo, *r, step, t->caller.name(), reason,
                       std::nullopt, json());
    auto out = store::get_rollout(tx, r->id);
    tx.commit();
    return out;
  });
  if (!row) return send_error(res, 409, "rollout_refused", refusal);
  auto events = deps.db.with([&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    return store::rollout_events(tx, row->id);
  });
  send_json(res, 200, rollout_json(t->repo, t->env, &*row, events, row->stage));
}

}  // namespace

void register_rollout_routes(Router& http, const RolloutRoutes& deps) {
  const std::string repo = kApiRepoPattern;
  for (const auto cmd : {core::RolloutCommand::promote, core::RolloutCommand::pause,
                         core::RolloutCommand::resume, core::RolloutCommand::abort})
    http.post(
        repo + kEnvPattern + "/rollout/" + std::string(core::to_string(cmd)),
        [deps, cmd](const httplib::Request& q, httplib::Response& s) { command(deps, cmd, q, s); });
  http.get(repo + kEnvPattern + "/rollout",
           [deps](const httplib::Request& q, httplib::Response& s) { show(deps, q, s); });
  http.post(repo + "/rollouts",
            [deps](const httplib::Request& q, httplib::Response& s) { start(deps, q, s); });
}

}  // namespace mlgate::server
