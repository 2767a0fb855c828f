#include "server/workers/monitors.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "core/label_text.h"
#include "core/monitor_eval.h"
#include "core/monitor_evidence.h"
#include "core/notification.h"
#include "server/http/json_log.h"
#include "server/services/forge_requests.h"
#include "server/services/notifications.h"
#include "server/services/repo_remote.h"
#include "store/audit.h"
#include "store/deployments.h"
#include "store/forge_outbox.h"
#include "store/observations.h"
#include "store/repos.h"
#include "util/strings.h"

namespace mlgate::server {

// The windows before the current one that `drift` compares it with.
constexpr double kPreviousWindowsSeconds = 24 * 3600;

struct MonitorWorker::Target {
  store::RepoRow repo;
  std::string environment;
  std::string sha;
  core::MonitorConfig config;
};

namespace {

// The window's predictions that carry their truth, as quality judges them.
std::vector<core::Prediction> quality_rows(const std::vector<store::PredictionTruth>& pairs) {
  std::vector<core::Prediction> out;
  for (const auto& p : pairs) {
    if (p.truth.is_null() || !p.prediction.is_object() || !p.prediction.contains("label")) continue;
    core::Prediction row;
    row.id = p.id;
    row.label = core::observed_label_text(p.prediction["label"]);
    if (auto s = p.prediction.find("score"); s != p.prediction.end() && s->is_number())
      row.score = s->get<double>();
    row.truth = core::observed_label_text(p.truth);
    out.push_back(std::move(row));
  }
  return out;
}

bool has_action(const core::MonitorConfig& c, core::MonitorAction a) {
  return std::find(c.on_alert.begin(), c.on_alert.end(), a) != c.on_alert.end();
}

// Whether the monitor is due: never evaluated, another commit deployed since, or `every` passed.
bool due(const std::optional<store::MonitorStateRow>& state, const std::string& sha,
         const core::MonitorConfig& config, double now) {
  return !state || state->sha != sha ||
         now - state->evaluated_epoch >= static_cast<double>(config.every_seconds);
}

// Everything one evaluation reads, held while it runs.
struct Gathered {
  std::optional<core::DatasetProfile> reference;
  core::DatasetProfile current;
  core::DatasetProfile previous;
  std::vector<core::Prediction> quality;
  std::vector<const core::Prediction*> quality_ptrs;
  std::optional<double> trained_at;
};

Gathered gather(pqxx::work& tx, std::int64_t repo_id, const std::string& env,
                const std::string& sha, const core::MonitorConfig& config, double now) {
  Gathered g;
  const double start = now - static_cast<double>(config.window_seconds);
  g.reference = store::reference_profile(tx, repo_id, sha);
  g.current = store::observation_profile(tx, repo_id, env, start, now, sha);
  g.previous =
      store::observation_profile(tx, repo_id, env, start - kPreviousWindowsSeconds, start, sha);
  g.quality = quality_rows(store::prediction_truth_pairs(tx, repo_id, env, start, now, sha));
  for (const auto& p : g.quality) g.quality_ptrs.push_back(&p);
  g.trained_at = store::commit_trained_at(tx, repo_id, sha);
  return g;
}

std::optional<std::int64_t> seconds_of(const std::optional<double>& t) {
  if (!t) return std::nullopt;
  return static_cast<std::int64_t>(*t);
}

}  // namespace

MonitorWorker::MonitorWorker(store::Database& db, vcs::MirrorCache& mirrors, PlannerOptions planner,
                             const ForgeFeedbackOptions& forge, MonitorWorkerOptions options)
    : db_(db),
      mirrors_(mirrors),
      planner_(std::move(planner)),
      forge_(forge),
      options_(std::move(options)) {}

MonitorWorker::~MonitorWorker() {
  stop();
}

void MonitorWorker::start() {
  if (options_.enabled && !worker_.running()) worker_.start();
}

void MonitorWorker::stop() {
  worker_.stop();
}

double MonitorWorker::now() const {
  if (options_.clock) return options_.clock();
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::chrono::milliseconds MonitorWorker::loop_tick() {
  try {
    auto report = tick();
    for (const auto& p : report.problems)
      log_event(spdlog::level::warn, "monitor skipped", {{"problem", p}});
  } catch (const store::DatabaseUnavailable& e) {
    log_event(spdlog::level::warn, "monitors: database unavailable", {{"error", e.what()}});
  } catch (const std::exception& e) {
    log_event(spdlog::level::err, "monitors tick failed", {{"error", e.what()}});
  }
  return options_.period;
}

MonitorTickReport MonitorWorker::tick() {
  MonitorTickReport report;
  const double at = now();
  auto envs = db_.with([](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    return store::deployed_environments(tx);
  });
  for (const auto& env : envs) {
    try {
      evaluate(env, at, report);
    } catch (const store::DatabaseUnavailable&) {
      throw;
    } catch (const std::exception& e) {
      report.problems.push_back("repo " + std::to_string(env.repo_id) + " " + env.environment +
                                ": " + e.what());
    }
  }
  return report;
}

std::optional<core::MonitorConfig> MonitorWorker::monitor_at(const store::RepoRow& repo,
                                                             const std::string& sha,
                                                             const std::string& environment) {
  const auto key = std::make_pair(repo.id, sha);
  std::vector<core::MonitorConfig> monitors;
  bool cached = false;
  {
    std::lock_guard lock(configs_mu_);
    if (auto it = configs_.find(key); it != configs_.end()) {
      monitors = it->second;
      cached = true;
    }
  }
  if (!cached) {
    const CommitConfig commit = read_commit_config(mirrors_, repo_remote(repo), sha, planner_,
                                                   /*with_commit_info=*/false);
    if (commit.problem == PlanProblem::unreadable_commit)
      throw std::runtime_error("cannot read " + util::short_sha(sha) + ": " + commit.message);
    if (commit.config) monitors = commit.config->monitors;  // none for no or an invalid config
    std::lock_guard lock(configs_mu_);
    configs_[key] = monitors;
  }
  for (const auto& m : monitors)
    if (m.environment == environment) return m;
  return std::nullopt;
}

void MonitorWorker::evaluate(const store::DeployedEnvironment& env, double now,
                             MonitorTickReport& report) {
  struct Seen {
    std::optional<store::RepoRow> repo;
    std::optional<std::string> sha;
    std::optional<store::MonitorStateRow> state;
  };
  auto seen = db_.with([&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    return Seen{store::find_repo_by_id(tx, env.repo_id),
                store::deployment_state(tx, env.repo_id, env.environment).current_sha,
                store::monitor_state(tx, env.repo_id, env.environment)};
  });
  if (!seen.repo) return;
  std::optional<core::MonitorConfig> config;
  if (seen.sha) config = monitor_at(*seen.repo, *seen.sha, env.environment);
  if (!config) {
    if (seen.state) retire(env, seen.sha, report);
    return;
  }
  if (!due(seen.state, *seen.sha, *config, now)) return;
  const Target target{*seen.repo, env.environment, *seen.sha, *config};
  db_.with([&](pqxx::connection& c) {
    pqxx::work tx(c);
    if (!store::try_lock_monitor(tx, env.repo_id, env.environment)) return;  // another evaluates
    auto state = store::monitor_state(tx, env.repo_id, env.environment);
    if (!due(state, target.sha, target.config, now)) return;  // evaluated meanwhile
    const Gathered g = gather(tx, env.repo_id, env.environment, target.sha, target.config, now);
    core::MonitorInputs in;
    in.config = &target.config;
    in.reference = g.reference ? &*g.reference : nullptr;
    in.current = &g.current;
    in.previous = g.previous.rows > 0 ? &g.previous : nullptr;
    in.quality_rows = g.quality_ptrs;
    in.trained_at = seconds_of(g.trained_at);
    in.last_retrain_at = state ? seconds_of(state->last_retrain_epoch) : std::nullopt;
    in.now = static_cast<std::int64_t>(now);
    const core::MonitorEvaluation e = core::evaluate_monitor(in);
    store::MonitorRecord record{env.repo_id,
                                env.environment,
                                target.sha,
                                e.state,
                                core::monitor_kinds(target.config),
                                core::alerting_kinds(e),
                                core::data_kinds(e),
                                core::monitor_evidence_json(e),
                                now};
    const auto recorded = store::record_monitor_evaluation(tx, record);
    MonitorRun run{env.repo_id, env.environment, target.sha, e.state, recorded.changed, {}};
    act_on(tx, target, e, recorded, run);
    tx.commit();
    report.evaluated.push_back(run);
  });
}

// A monitor that no longer exists stops showing its last state: its state row is deleted (the
// gauge, the API and `mlgate monitor status` forget it) and the retirement is audited; its
// evaluations stay as the alert history.
void MonitorWorker::retire(const store::DeployedEnvironment& env,
                           const std::optional<std::string>& sha, MonitorTickReport& report) {
  db_.with([&](pqxx::connection& c) {
    pqxx::work tx(c);
    if (!store::try_lock_monitor(tx, env.repo_id, env.environment)) return;
    if (!store::retire_monitor_state(tx, env.repo_id, env.environment)) return;
    const nlohmann::json details = {
        {"environment", env.environment},
        {"deployed_sha", sha ? nlohmann::json(*sha) : nlohmann::json(nullptr)},
        {"reason", sha ? "no monitor for the environment in the deployed commit's .mlgate.yml"
                       : "nothing deployed"}};
    store::insert_audit_entry(tx, "monitor:" + env.environment, "monitor.removed", env.repo_id,
                              details.dump());
    tx.commit();
    report.retired.push_back(std::to_string(env.repo_id) + " " + env.environment);
  });
}

void MonitorWorker::act_on(pqxx::work& tx, const Target& t, const core::MonitorEvaluation& e,
                           const store::RecordedEvaluation& recorded, MonitorRun& run) {
  // The environment's page: the monitor's state, evidence and history (docs/pages.md).
  const std::string page =
      forge_.public_url.empty()
          ? ""
          : forge_.public_url + "/repos/" + t.repo.full_name + "/environments/" + t.environment;
  if (recorded.changed) {
    const bool alerting = e.state == core::MonitorState::alerting;
    const bool recovered =
        e.state == core::MonitorState::ok && recorded.previous == core::MonitorState::alerting;
    if ((alerting || recovered) && has_action(t.config, core::MonitorAction::notify)) {
      core::NotificationSubject s;
      s.repo = t.repo.full_name;
      s.sha = t.sha;
      s.environment = t.environment;
      s.url = page;
      queue_notification(
          tx, forge_.notify_urls, t.repo.id,
          core::monitor_notification(s, t.environment, alerting, recorded.transitions,
                                     core::alerting_reasons(e)));
    }
    if (forge_.enabled && !t.repo.forge_token.empty()) {
      const auto words = core::monitor_status_words(e);
      const StatusReport status{"mlgate/monitor/" + t.environment, words.state, words.description,
                                page};
      const auto req = commit_status_request(
          t.repo.forge, forge_api_base(t.repo.forge, t.repo.api_base_url), t.repo.full_name,
          store::forge_project_id(tx, t.repo.id), t.sha, status);
      store::enqueue_forge_request(tx, {t.repo.id, "commit_status", t.sha, status.context,
                                        req.method, req.url, req.body.dump()});
    }
  }
  if (e.state == core::MonitorState::alerting && has_action(t.config, core::MonitorAction::retrain))
    run.retrain_pipeline_id = retrain(tx, t, e);
}

std::optional<std::int64_t> MonitorWorker::retrain(pqxx::work& tx, const Target& t,
                                                   const core::MonitorEvaluation& e) {
  if (!store::claim_monitor_retrain(tx, t.repo.id, t.environment, t.config.retrain_every_seconds))
    return std::nullopt;
  const std::string reason = core::retrain_reason(t.environment, e);
  const vcs::RepoRemote remote = repo_remote(t.repo);
  const std::string ref = "refs/heads/" + t.repo.default_branch;
  CommitRequest request;
  request.trigger = "monitor";
  request.ref = ref;
  request.branch = t.repo.default_branch;
  request.sha = mirrors_.resolve(remote, ref, true);
  request.tiers = {"training"};
  const CommitConfig commit = read_commit_config(mirrors_, remote, request.sha, planner_, true);
  CommitPlan plan = plan_from_config(t.repo.id, request, commit, planner_);
  nlohmann::json details = {{"environment", t.environment},
                            {"deployed_sha", t.sha},
                            {"sha", request.sha},
                            {"reason", reason}};
  if (plan.problem == PlanProblem::unknown_tier || plan.problem == PlanProblem::nothing_to_run) {
    details["problem"] = plan.message;
    store::insert_audit_entry(tx, "monitor:" + t.environment, "monitor.retrain_refused", t.repo.id,
                              details.dump());
    return std::nullopt;
  }
  for (auto& job : plan.pipeline.jobs) job.env["MLGATE_TRIGGER_REASON"] = reason;
  const StoredPlan stored = store_plan(tx, plan);
  store::set_monitor_retrain_pipeline(tx, t.repo.id, t.environment, stored.pipeline_id);
  details["pipeline"] = stored.pipeline_id;
  store::insert_audit_entry(tx, "monitor:" + t.environment, "pipeline.retrain", t.repo.id,
                            details.dump());
  log_event(spdlog::level::info, "monitor retrain fired",
            {{"repo", t.repo.full_name},
             {"environment", t.environment},
             {"pipeline", stored.pipeline_id}});
  return stored.pipeline_id;
}

}  // namespace mlgate::server
