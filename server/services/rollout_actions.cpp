#include "server/services/rollout_actions.h"

#include "core/notification.h"
#include "server/services/forge_requests.h"
#include "server/services/notifications.h"
#include "store/audit.h"
#include "store/deployments.h"
#include "store/feedback.h"
#include "store/forge_outbox.h"

namespace mlgate::server {
namespace {

using nlohmann::json;

std::string stage_name(const store::RolloutRow& r, std::size_t stage) {
  return stage < r.config.stages.size() ? r.config.stages[stage].name : std::to_string(stage);
}

// The status of the candidate: pending while under way, success once deployed, failure after a
// rollback or an abort.
StatusReport status_of(const store::RolloutRow& r, core::RolloutPosition at,
                       const std::string& url) {
  const std::string where =
      "stage " + std::to_string(at.stage + 1) + "/" + std::to_string(r.config.stages.size()) + " " +
      (at.stage < r.config.stages.size() ? core::stage_text(r.config.stages[at.stage])
                                         : stage_name(r, at.stage));
  const std::string context = "mlgate/rollout/" + r.environment;
  switch (at.state) {
    case core::RolloutState::running:
      return {context, "pending", "rolling out: " + where, url};
    case core::RolloutState::paused:
      return {context, "pending", "paused at " + where, url};
    case core::RolloutState::completed:
      return {context, "success", "rolled out to every stage", url};
    case core::RolloutState::rolled_back:
      return {context, "failure", "rolled back at " + where, url};
    case core::RolloutState::aborted:
      return {context, "failure", "aborted at " + where, url};
  }
  return {context, "error", "unknown state", url};
}

std::optional<core::NotificationEvent> event_of(core::RolloutState s) {
  switch (s) {
    case core::RolloutState::paused:
      return core::NotificationEvent::rollout_paused;
    case core::RolloutState::rolled_back:
      return core::NotificationEvent::rollout_rolled_back;
    case core::RolloutState::aborted:
      return core::NotificationEvent::rollout_aborted;
    default:
      return std::nullopt;
  }
}

// The candidate recorded as deployed, as `mlgate deploy` records it.
std::int64_t deploy_candidate(pqxx::work& tx, const store::RolloutRow& r,
                              const std::string& actor) {
  store::lock_deployments(tx, r.repo_id);
  store::NewDeployment d;
  d.repo_id = r.repo_id;
  d.environment = r.environment;
  d.sha = r.candidate_sha;
  d.gate_decision_id = r.gate_decision_id;
  d.reason = "rollout " + std::to_string(r.id) + " completed";
  d.actor = actor;
  d.gate_rules_json = r.gate_rules;
  const auto id = store::insert_deployment(tx, d);
  store::mark_heads_due(tx, r.repo_id);  // the baseline changed: gate statuses are judged again
  return id;
}

}  // namespace

std::string rollout_url(const std::string& public_url, const store::RepoRow& repo,
                        const std::string& environment) {
  if (public_url.empty()) return "";
  return public_url + "/api/v1/repos/" + repo.full_name + "/environments/" + environment +
         "/rollout";
}

void queue_rollout_status(pqxx::work& tx, const RolloutActionContext& ctx,
                          const store::RepoRow& repo, const store::RolloutRow& rollout,
                          core::RolloutPosition at) {
  if (!ctx.commit_statuses || repo.forge_token.empty()) return;
  const StatusReport status =
      status_of(rollout, at, rollout_url(ctx.public_url, repo, rollout.environment));
  const auto req = commit_status_request(repo.forge, forge_api_base(repo.forge, repo.api_base_url),
                                         repo.full_name, store::forge_project_id(tx, repo.id),
                                         rollout.candidate_sha, status);
  store::enqueue_forge_request(tx, {repo.id, "commit_status", rollout.candidate_sha, status.context,
                                    req.method, req.url, req.body.dump()});
}

std::optional<std::int64_t> apply_rollout_step(pqxx::work& tx, const RolloutActionContext& ctx,
                                               const store::RepoRow& repo,
                                               const store::RolloutRow& rollout,
                                               const core::RolloutStep& step,
                                               const std::string& actor, const std::string& reason,
                                               std::optional<double> score, const json& judgement) {
  std::optional<std::int64_t> deployment;
  if (step.deploy_candidate) deployment = deploy_candidate(tx, rollout, actor);
  store::move_rollout(tx, rollout.id, step.next, step.stage_started, deployment);
  store::RolloutEvent e;
  e.rollout_id = rollout.id;
  e.stage = step.next.stage;
  e.kind = "transition";
  e.decision = step.action;
  e.score = score;
  e.state = step.next.state;
  e.actor = actor;
  e.reason = reason;
  e.evidence = judgement;
  const std::int64_t event_id = store::insert_rollout_event(tx, e);
  json details = {{"rollout", rollout.id},
                  {"environment", rollout.environment},
                  {"candidate_sha", rollout.candidate_sha},
                  {"stable_sha", rollout.stable_sha},
                  {"from_stage", stage_name(rollout, rollout.stage)},
                  {"stage", stage_name(rollout, step.next.stage)},
                  {"state", core::to_string(step.next.state)},
                  {"reason", reason},
                  {"score", score ? json(*score) : json()},
                  {"deployment", deployment ? json(*deployment) : json()}};
  store::insert_audit_entry(tx, actor, step.action, repo.id, details.dump());
  if (auto event = event_of(step.next.state); event && step.notify) {
    core::NotificationSubject s;
    s.repo = repo.full_name;
    s.sha = rollout.candidate_sha;
    s.environment = rollout.environment;
    s.url = rollout_url(ctx.public_url, repo, rollout.environment);
    const auto n = core::rollout_notification(s, *event, rollout.id, event_id,
                                              stage_name(rollout, step.next.stage), actor, reason);
    queue_notification(tx, ctx.notify_urls, repo.id, n);
  }
  queue_rollout_status(tx, ctx, repo, rollout, step.next);
  return deployment;
}

}  // namespace mlgate::server
