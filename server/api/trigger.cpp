// On-demand runs (docs/schedules.md): POST
// /api/v1/repos/{owner}/{name}/trigger {"tier": T, "ref": REF} (scope deploy) resolves the ref to
// a commit through the mirror and creates a pipeline with trigger `manual` running tier T and,
// transitively, what it needs. A fork's code runs contained, as its own pipeline would. Audited.
#include <nlohmann/json.hpp>

#include "core/config.h"
#include "server/api/routes.h"
#include "server/http/auth.h"
#include "server/http/body.h"
#include "server/http/http_util.h"
#include "server/http/repo_lookup.h"
#include "server/services/audit.h"
#include "server/services/planner.h"
#include "server/services/repo_remote.h"
#include "store/pipeline_queries.h"
#include "store/pipelines.h"
#include "store/repos.h"
#include "vcs/validate.h"

namespace mlgate::server {
namespace {

using nlohmann::json;

constexpr const char* kRepoPattern = kApiRepoPattern;
constexpr std::size_t kMaxRefBytes = 1024;

struct ResolvedRef {
  std::string ref;     // what the pipeline records: a full ref, or the sha itself
  std::string branch;  // "" unless the ref is a branch
  std::string sha;
};

// No ref: the default branch. A full ref ("refs/heads/x", "refs/tags/v1", "refs/pull/3/head")
// as it is; a full sha as it is; a short name is a branch first, then a tag. Throws with git's
// message when nothing matches.
ResolvedRef resolve_ref(vcs::MirrorCache& mirrors, const vcs::RepoRemote& remote,
                        const store::RepoRow& repo, const std::string& ref) {
  const std::string heads = "refs/heads/";
  if (ref.empty()) {
    const std::string full = heads + repo.default_branch;
    return {full, repo.default_branch, mirrors.resolve(remote, full, true)};
  }
  if (ref.rfind("refs/", 0) == 0) {
    vcs::RepoRemote with_ref = remote;
    if (ref.rfind(heads, 0) != 0 && ref.rfind("refs/tags/", 0) != 0) with_ref.fetch_ref = ref;
    std::string sha = mirrors.resolve(with_ref, ref, true);
    return {ref, ref.rfind(heads, 0) == 0 ? ref.substr(heads.size()) : "", sha};
  }
  if (vcs::is_valid_sha(ref)) {
    mirrors.ensure_commit(remote, ref);
    return {ref, "", ref};
  }
  try {
    return {heads + ref, ref, mirrors.resolve(remote, heads + ref, true)};
  } catch (const std::exception&) {
    // Not a branch: a tag, looked up in the mirror that was just refreshed.
  }
  return {"refs/tags/" + ref, "", mirrors.resolve(remote, "refs/tags/" + ref, false)};
}

// Whether a manual run of `resolved` runs a fork's code: a commit known only from fork pull
// requests, or a pull/merge request ref whose commit the repository's own pipelines never had. It
// is then contained like the fork's own pipeline (no network, no forge token) and stays
// undeployable (docs/security.md, "Fork pull requests").
bool runs_fork_code(store::Database& db, std::int64_t repo_id, const ResolvedRef& resolved) {
  const bool pull_ref = resolved.ref.rfind("refs/pull/", 0) == 0 ||
                        resolved.ref.rfind("refs/merge-requests/", 0) == 0;
  return db.with([&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    if (store::commit_known_from_repository(tx, repo_id, resolved.sha)) return false;
    return pull_ref || store::commit_only_from_forks(tx, repo_id, resolved.sha);
  });
}

json config_errors_json(const std::vector<core::ConfigError>& errors) {
  json out = json::array();
  for (const auto& e : errors)
    out.push_back({{"line", e.line}, {"column", e.column}, {"message", e.message}});
  return out;
}

// Answers a commit plan that cannot run (no such commit, no or a bad config, nothing to run).
void answer_plan_problem(const CommitPlan& plan, httplib::Response& res) {
  switch (plan.problem) {
    case PlanProblem::none:
      break;
    case PlanProblem::unreadable_commit:
      return send_error(res, 404, "unknown_commit", plan.message);
    case PlanProblem::no_config:
      return send_error(res, 422, "no_config", plan.message);
    case PlanProblem::invalid_config:
      return send_json(res, 422,
                       {{"error", {{"code", "invalid_config"}, {"message", plan.message}}},
                        {"errors", config_errors_json(plan.config_errors)}});
    case PlanProblem::unknown_tier:
      return send_error(res, 422, "unknown_tier", plan.message);
    case PlanProblem::nothing_to_run:
      return send_error(res, 422, "nothing_to_run", plan.message);
  }
}

// The 201 answer: the new pipeline and its jobs.
json created_json(const store::PipelineStatus& row, const std::string& repo_name,
                  const std::string& tier, const std::vector<std::string>& tiers) {
  json jobs = json::array();
  for (const auto& j : row.jobs)
    jobs.push_back(
        {{"id", j.id}, {"tier", j.tier}, {"state", core::to_string(j.state)}, {"needs", j.needs}});
  const std::string id = std::to_string(row.id);
  return {{"id", row.id},
          {"repo", repo_name},
          {"trigger", row.trigger},
          {"tier", tier},
          {"tiers", tiers},
          {"ref", row.ref},
          {"branch", row.branch},
          {"sha", row.sha},
          {"state", core::to_string(row.state)},
          {"commit_message", row.commit_message},
          {"jobs", jobs},
          {"url", "/api/v1/pipelines/" + id},
          {"web_url", "/pipelines/" + id}};
}

void trigger(const TriggerRoutes& deps, const httplib::Request& req, httplib::Response& res) {
  auto caller = deps.auth.authorize(req, res, "deploy");
  if (!caller) return;
  auto repo = find_repo_in_path(deps.auth, req, res, *caller);
  if (!repo) return;
  auto parsed = json_object_body(req.body, res);
  if (!parsed) return;
  json& body = *parsed;
  if (!body.contains("tier") || !body["tier"].is_string() || body["tier"].get<std::string>() == "")
    return send_error(res, 400, "bad_request",
                      "tier: the tier to run (functionality, validation or training)");
  if (body.contains("ref") && !body["ref"].is_null() && !body["ref"].is_string())
    return send_error(res, 400, "bad_request", "ref: a branch, tag, full ref or full commit sha");
  const std::string tier = body["tier"];
  const std::string ref = body.contains("ref") && body["ref"].is_string() ? body["ref"] : "";
  if (ref.size() > kMaxRefBytes)
    return send_error(res, 400, "bad_request", "ref: at most 1024 bytes");
  bool known_name = false;
  for (auto name : core::kTierNames) known_name = known_name || name == tier;
  if (!known_name)
    return send_error(
        res, 422, "unknown_tier",
        "unknown tier '" + tier + "' (tiers are functionality, validation, training)");

  const vcs::RepoRemote remote = repo_remote(*repo);
  ResolvedRef resolved;
  try {
    resolved = resolve_ref(deps.mirrors, remote, *repo, ref);
  } catch (const std::exception& e) {
    const std::string shown = ref.empty() ? "default branch " + repo->default_branch : ref;
    return send_error(res, 404, "unknown_ref",
                      "cannot resolve " + shown + " in " + repo->full_name + ": " + e.what());
  }

  CommitRequest request;
  request.trigger = "manual";
  request.ref = resolved.ref;
  request.branch = resolved.branch;
  request.sha = resolved.sha;
  request.tiers = {tier};
  request.from_fork = runs_fork_code(deps.db, repo->id, resolved);
  const auto& options = deps.planner;
  const CommitPlan plan = plan_commit(deps.mirrors, remote, repo->id, request, options);
  if (plan.problem != PlanProblem::none) return answer_plan_problem(plan, res);

  auto row = deps.db.with([&](pqxx::connection& c) {
    pqxx::work tx(c);
    const StoredPlan stored = store_plan(tx, plan);
    json details = {{"pipeline", stored.pipeline_id},
                    {"tier", tier},
                    {"tiers", plan.tiers},
                    {"ref", resolved.ref},
                    {"sha", resolved.sha},
                    {"requested_ref", ref}};
    audit(tx, *caller, "pipeline.trigger", repo->id, details);
    auto out = store::get_pipeline_status(tx, stored.pipeline_id);
    tx.commit();
    return out;
  });
  if (!row) return send_error(res, 500, "internal", "the new pipeline vanished");
  send_json(res, 201, created_json(*row, repo->full_name, tier, plan.tiers));
}

}  // namespace

void register_trigger_routes(Router& http, const TriggerRoutes& deps) {
  http.post(std::string(kRepoPattern) + "/trigger",
            [deps](const httplib::Request& q, httplib::Response& s) { trigger(deps, q, s); });
}

}  // namespace mlgate::server
