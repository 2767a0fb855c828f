#include "server/services/planner.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/fork_policy.h"
#include "core/tier_selection.h"
#include "server/http/json_log.h"
#include "server/http/metrics.h"
#include "server/services/protection_rules.h"
#include "server/services/repo_remote.h"
#include "store/deliveries.h"
#include "store/pipeline_batch.h"
#include "store/pipelines.h"
#include "store/pq.h"
#include "store/repos.h"
#include "util/strings.h"
#include "webhooks/normalise.h"

namespace mlgate::server {
namespace {

// Events intake hands over with its deliveries, kept until planned: past this many (a backlog no
// worker drains), deliveries are queued without theirs and parsed again from the stored body.
constexpr std::size_t kEventsKept = 4096;

using core::PlanState;
using webhooks::EventKind;

std::string resources_json(const core::Resources& r) {
  nlohmann::json j = nlohmann::json::object();
  if (r.cpus) j["cpus"] = *r.cpus;
  if (r.memory_bytes) j["memory_bytes"] = *r.memory_bytes;
  if (r.gpus) j["gpus"] = *r.gpus;
  if (r.pids) j["pids"] = *r.pids;
  return j.dump();
}

// What the pipeline records of the config: tiers and gates by name, enough to explain a plan.
std::string config_summary(const core::Config& c) {
  nlohmann::json tiers = nlohmann::json::array();
  for (const auto& t : c.tiers) {
    tiers.push_back({{"name", t.name},
                     {"image", t.image},
                     {"on", t.on},
                     {"branches", t.branches},
                     {"needs", t.needs},
                     {"timeout_seconds", t.timeout_seconds},
                     {"network", t.network},
                     {"run", t.run}});
  }
  nlohmann::json gates = nlohmann::json::array();
  for (const auto& g : c.gates) gates.push_back(g.name);
  return nlohmann::json{{"version", c.version}, {"tiers", tiers}, {"gates", gates}}.dump();
}

std::string trigger_of(EventKind kind) {
  switch (kind) {
    case EventKind::tag:
      return "tag";
    case EventKind::pull_request_open:
    case EventKind::pull_request_update:
      return "pull_request";
    default:
      return "push";
  }
}

// The stored delivery as an event (or why it is none).
webhooks::NormaliseResult normalise_delivery(const store::PendingDelivery& delivery) {
  webhooks::Headers headers;
  auto hj = nlohmann::json::parse(delivery.headers_json, nullptr, false);
  if (hj.is_object()) {
    for (auto it = hj.begin(); it != hj.end(); ++it) {
      if (it.value().is_string()) headers[it.key()] = it.value().get<std::string>();
    }
  }
  auto forge = webhooks::forge_from_string(delivery.forge);
  return webhooks::normalise(forge.value_or(webhooks::Forge::github), headers, delivery.body);
}

// What a delivery's event asks to plan; a fork's pull request waits for approval when its
// repository says so.
CommitRequest commit_request(std::int64_t delivery_id, const webhooks::Event& event,
                             const store::RepoRow& repo) {
  CommitRequest request;
  request.delivery_row_id = delivery_id;
  request.trigger = trigger_of(event.kind);
  request.ref = event.ref;
  request.branch = event.kind == EventKind::tag ? "" : event.branch;
  request.sha = event.sha;
  request.before_sha = event.before;
  request.pr_number = event.pr_number;
  request.commit_message = event.commit_message;
  request.author = event.author;
  request.filter_branch = event.kind == EventKind::push ? event.branch : event.base_branch;
  request.from_fork = event.pr_number && event.from_fork;
  request.needs_approval =
      request.from_fork && repo.fork_pull_requests == core::ForkPullRequests::approve;
  return request;
}

// The delivery's note once its pipeline is stored: how many jobs, or the plan's problem.
std::string planned_note(const CommitPlan& plan, const StoredPlan& stored) {
  if (plan.problem != PlanProblem::none) return plan.message;
  const bool awaiting = plan.pipeline.state == core::PipelineState::awaiting_approval;
  return std::to_string(plan.pipeline.jobs.size()) + " job(s) planned" +
         (stored.superseded ? ", " + std::to_string(stored.superseded) + " superseded" : "") +
         (awaiting ? ", awaiting approval (pull request from a fork)" : "");
}

// Why a fork's pull request is not planned (its repository ignores them), or nothing.
std::optional<std::string> ignored_fork(const store::RepoRow& repo, const CommitRequest& request) {
  if (!request.from_fork || repo.fork_pull_requests != core::ForkPullRequests::ignore)
    return std::nullopt;
  return "ignored: pull request from a fork, and " + repo.full_name +
         " ignores them (--fork-pull-requests ignore)";
}

}  // namespace

std::string mirror_key(const std::string& forge, const std::string& full_name) {
  return forge + "/" + util::lower(full_name);
}

Planner::Planner(store::Database& db, vcs::MirrorCache& mirrors, PlannerOptions options)
    : db_(db), mirrors_(mirrors), options_(std::move(options)) {}

Planner::~Planner() {
  stop();
}

void Planner::start() {
  std::lock_guard lock(mu_);
  for (int i = 0; i < options_.workers; ++i) {
    workers_.push_back(
        std::make_unique<util::PeriodicWorker>("planner", [this] { return work(); }));
    workers_.back()->start();
  }
}

void Planner::stop() {
  std::vector<std::unique_ptr<util::PeriodicWorker>> workers;
  {
    std::lock_guard lock(mu_);
    workers.swap(workers_);
  }
  // All at once: no worker takes another delivery while an other one is being joined.
  for (auto& w : workers) w->request_stop();
  for (auto& w : workers) w->stop();
}

void Planner::enqueue(std::int64_t id, std::optional<webhooks::Event> event) {
  {
    std::lock_guard lock(mu_);
    if (event && events_.size() < kEventsKept) events_.insert_or_assign(id, std::move(*event));
    if (!queued_.insert(id).second) return;
    queue_.push_back(id);
    // Every idle worker looks; the first takes it (a busy one looks again when it is done).
    for (auto& w : workers_) w->wake();
  }
}

void Planner::enqueue_pending() {
  auto ids = db_.with([](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    return store::pending_deliveries(tx, 1000);
  });
  for (auto id : ids) enqueue(id);
}

void Planner::wait_idle() {
  std::unique_lock lock(mu_);
  idle_cv_.wait(lock, [&] { return queue_.empty() && busy_ == 0; });
}

namespace {

void log_outcome(std::int64_t id, const PlanOutcome& outcome) {
  if (!outcome.state) return;
  log_event(spdlog::level::info, "delivery planned",
            {{"delivery", id},
             {"state", core::to_string(*outcome.state)},
             {"note", outcome.note},
             {"pipeline",
              outcome.pipeline_id ? nlohmann::json(*outcome.pipeline_id) : nlohmann::json()}});
}

}  // namespace

std::chrono::milliseconds Planner::work() {
  std::int64_t id;
  {
    std::lock_guard lock(mu_);
    if (queue_.empty()) return util::PeriodicWorker::kUntilWoken;
    id = queue_.front();
    queue_.pop_front();
    queued_.erase(id);
    ++busy_;
  }
  try {
    const auto planned = plan_burst(id);
    for (const auto& [delivery, outcome] : planned) log_outcome(delivery, outcome);
    forget(planned);
    // A burst holds the oldest deliveries of the repository, up to burst_max: this one may not be
    // among them yet (a burst that took nothing means someone else holds or planned it).
    const bool took_it = std::any_of(planned.begin(), planned.end(),
                                     [&](const auto& entry) { return entry.first == id; });
    if (!planned.empty() && !took_it) {
      enqueue(id);
    } else if (planned.empty()) {
      drop_events({id});  // planned elsewhere, or no longer pending: its event is not needed
    }
  } catch (const std::exception& burst_error) {
    // One delivery of the burst failed the shared transaction: plan this one alone, so that one
    // bad delivery cannot hold the others back (they are planned alone as their turn comes).
    log_event(spdlog::level::warn, "planning a burst failed; planning the delivery alone",
              {{"delivery", id}, {"error", burst_error.what()}});
    try {
      log_outcome(id, plan(id));
    } catch (const std::exception& e) {
      // The delivery stays pending; the periodic sweep retries it.
      log_event(spdlog::level::err, "planning failed; will retry",
                {{"delivery", id}, {"error", e.what()}});
    }
  }
  {
    std::lock_guard lock(mu_);
    --busy_;
  }
  idle_cv_.notify_all();
  return std::chrono::milliseconds::zero();  // the queue may hold more
}

std::optional<webhooks::Event> Planner::handed_event(std::int64_t id) {
  std::lock_guard lock(mu_);
  auto it = events_.find(id);
  if (it == events_.end()) return std::nullopt;
  return it->second;
}

void Planner::drop_events(const std::vector<std::int64_t>& ids) {
  std::lock_guard lock(mu_);
  for (const auto id : ids) events_.erase(id);
}

void Planner::forget(const std::vector<std::pair<std::int64_t, PlanOutcome>>& planned) {
  std::lock_guard lock(mu_);
  bool any = false;
  for (const auto& entry : planned) any = queued_.erase(entry.first) > 0 || any;
  if (!any) return;
  std::erase_if(queue_, [&](std::int64_t queued) { return !queued_.contains(queued); });
}

PlanOutcome Planner::plan(std::int64_t id) {
  return db_.with([&](pqxx::connection& conn) -> PlanOutcome {
    pqxx::work tx(conn);
    const auto repo_id = store::lock_delivery_to_plan(tx, id);
    if (!repo_id) {
      drop_events({id});  // planned elsewhere, or no longer pending: its event is not needed
      return {std::nullopt, std::nullopt, "not pending, or being planned elsewhere"};
    }
    store::quiet_change_notifications(tx);
    auto repo = store::find_repo_by_id(tx, *repo_id);
    auto events = events_of(tx, {id});
    Burst burst;
    plan_pending(tx, id, events.front(), repo, burst);
    commit_burst(tx, *repo_id, burst);
    drop_events({id});  // planned: kept until now, so that a rolled-back try still had it
    return burst.out.front().second;
  });
}

std::vector<std::pair<std::int64_t, PlanOutcome>> Planner::plan_burst(std::int64_t id) {
  return db_.with([&](pqxx::connection& conn) {
    pqxx::work tx(conn);
    // One planner at a time per repository (a second one waits here, then finds what is left), so
    // its pushes are planned in their order: a later push supersedes an earlier one, never the
    // reverse.
    const auto repo_id = store::lock_planning_of_delivery(tx, id);
    if (!repo_id) return std::vector<std::pair<std::int64_t, PlanOutcome>>{};
    // Every pending delivery of the repository no other planner holds, oldest first: planned in
    // order, in this one transaction, each config read once per commit (and the mirror fetched at
    // most once for the lot: one fetch brings every branch and tag), their pipelines, jobs and
    // deliveries' ends stored together (flush_burst). Only the deliveries whose event is not in
    // memory have their stored body read.
    const auto claimed = store::lock_pending_of_repo(tx, *repo_id, options_.burst_max);
    if (claimed.empty()) return std::vector<std::pair<std::int64_t, PlanOutcome>>{};
    store::quiet_change_notifications(tx);
    const auto repo = store::find_repo_by_id(tx, *repo_id);
    auto events = events_of(tx, claimed);
    Burst burst;
    for (std::size_t i = 0; i < claimed.size(); ++i)
      plan_pending(tx, claimed[i], events[i], repo, burst);
    commit_burst(tx, *repo_id, burst);
    // Their events were only lent to this transaction: a burst rolled back (a failed statement, a
    // lost connection) leaves them in memory for the next try, which plans them without reading the
    // stored bodies.
    drop_events(claimed);
    bursts_.fetch_add(1);
    burst_deliveries_.fetch_add(burst.out.size());
    count_planner_burst(burst.out.size());
    return std::move(burst.out);
  });
}

std::vector<webhooks::NormaliseResult> Planner::events_of(pqxx::work& tx,
                                                          const std::vector<std::int64_t>& ids) {
  std::vector<std::optional<webhooks::Event>> handed;
  std::vector<std::int64_t> missing;
  for (const auto id : ids) {
    handed.push_back(handed_event(id));
    if (!handed.back()) missing.push_back(id);
  }
  const auto stored = store::pending_payloads(tx, missing);
  payloads_read_.fetch_add(stored.size());
  std::vector<webhooks::NormaliseResult> out;
  out.reserve(ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (handed[i]) {
      out.emplace_back(std::move(*handed[i]));
      continue;
    }
    const auto row = stored.find(ids[i]);
    out.push_back(row == stored.end() ? webhooks::NormaliseResult(webhooks::NormaliseError{
                                            400, "the delivery is no longer stored"})
                                      : normalise_delivery(row->second));
  }
  return out;
}

PlannerStats Planner::stats() const {
  return {bursts_.load(), burst_deliveries_.load(), payloads_read_.load()};
}

namespace {

// A delivery whose planning ended without a pipeline to store: its outcome and its end.
template <typename Burst>
void end_delivery(Burst& burst, std::int64_t id, PlanState state, const std::string& note) {
  burst.ends.push_back({id, state, note});
  burst.out.push_back({id, {state, std::nullopt, note}});
}

}  // namespace

void Planner::plan_pending(pqxx::work& tx, std::int64_t id,
                           const webhooks::NormaliseResult& normalised,
                           const std::optional<store::RepoRow>& repo, Burst& burst) {
  if (!repo) return end_delivery(burst, id, PlanState::failed, "repository no longer registered");
  if (auto* err = std::get_if<webhooks::NormaliseError>(&normalised))
    return end_delivery(burst, id, PlanState::failed, err->message);
  const auto& event = std::get<webhooks::Event>(normalised);
  switch (event.kind) {
    case EventKind::pull_request_close: {
      flush_burst(tx, repo->id, burst);  // the pull request's pipelines planned before it
      int n = event.pr_number ? store::cancel_pull_request_jobs(tx, repo->id, *event.pr_number) : 0;
      return end_delivery(burst, id, PlanState::planned,
                          "pull request closed: " + std::to_string(n) + " queued job(s) cancelled");
    }
    case EventKind::push:
    case EventKind::tag:
    case EventKind::pull_request_open:
    case EventKind::pull_request_update:
      return plan_commit_event(id, event, *repo, burst);
    case EventKind::deployment_protection_rule: {
      flush_burst(tx, repo->id, burst);
      auto intake = record_protection_rule(tx, *repo, event, id);
      return end_delivery(burst, id, intake.recorded ? PlanState::planned : PlanState::failed,
                          intake.note);
    }
    default:
      return end_delivery(burst, id, PlanState::planned,
                          "nothing to plan for " + webhooks::to_string(event.kind));
  }
}

void Planner::plan_commit_event(std::int64_t id, const webhooks::Event& event,
                                const store::RepoRow& repo, Burst& burst) {
  const CommitRequest request = commit_request(id, event, repo);
  if (auto ignored = ignored_fork(repo, request))
    return end_delivery(burst, id, PlanState::planned, *ignored);
  vcs::RepoRemote remote = repo_remote(repo);
  if (event.pr_number) {
    remote.fetch_ref = event.ref;  // refs/pull/N/head or refs/merge-requests/N/head
    if (event.from_fork) remote.fetch_url_override = event.head_clone_url;
  }
  const bool with_info = request.commit_message.empty() || request.author.empty();
  const std::string key = remote.key + '\n' + remote.fetch_ref + '\n' + remote.fetch_url_override +
                          '\n' + request.sha + (with_info ? "\ni" : "");
  auto cached = burst.configs.find(key);
  if (cached == burst.configs.end())
    cached =
        burst.configs
            .emplace(key, read_commit_config(mirrors_, remote, request.sha, options_, with_info))
            .first;
  CommitPlan plan = plan_from_config(repo.id, request, cached->second, options_);
  if (plan.problem == PlanProblem::nothing_to_run)
    return end_delivery(burst, id, PlanState::planned, plan.message);
  burst.plans.emplace_back(burst.out.size(), std::move(plan));
  burst.out.push_back({id, {}});  // filled in by flush_burst
}

void Planner::flush_burst(pqxx::work& tx, std::int64_t repo_id, Burst& burst) {
  std::vector<const store::NewPipeline*> pipelines;
  for (const auto& entry : burst.plans) pipelines.push_back(&entry.second.pipeline);
  const auto ids = store::create_pipelines(tx, pipelines);
  std::vector<store::Superseding> newer;
  bool any_jobs = false;
  for (std::size_t k = 0; k < ids.size(); ++k) {
    const auto& p = burst.plans[k].second.pipeline;
    if (p.jobs.empty()) continue;
    any_jobs = true;
    if (p.trigger != "manual") newer.push_back({ids[k], p.trigger, p.branch, p.pr_number});
  }
  const auto superseded = store::cancel_superseded_by(tx, repo_id, newer);
  if (any_jobs) store::notify_jobs(tx);  // once for the lot
  for (std::size_t k = 0; k < ids.size(); ++k) {
    const auto& [index, plan] = burst.plans[k];
    const auto cancelled = superseded.find(ids[k]);
    const StoredPlan stored{ids[k], cancelled == superseded.end() ? 0 : cancelled->second};
    const bool failed = plan.problem != PlanProblem::none;
    const std::string note = planned_note(plan, stored);
    const auto delivery = burst.out[index].first;
    burst.out[index].second = {failed ? PlanState::failed : PlanState::planned, ids[k], note};
    burst.ends.push_back({delivery, burst.out[index].second.state.value(), failed ? note : ""});
  }
  burst.plans.clear();
  store::finish_delivery_plans(tx, burst.ends);
  burst.ends.clear();
}

void Planner::commit_burst(pqxx::work& tx, std::int64_t repo_id, Burst& burst) {
  flush_burst(tx, repo_id, burst);
  // The triggers were quiet: what the burst changed (pipelines, jobs and state changes, all of this
  // repository) is one topic for the caches, sent once.
  store::notify_changes(tx, {"gate:" + std::to_string(repo_id)});
  tx.commit();
}

CommitConfig read_commit_config(vcs::MirrorCache& mirrors, const vcs::RepoRemote& remote,
                                const std::string& sha, const PlannerOptions& options,
                                bool with_commit_info) {
  const std::string& config_path = options.config_path;
  CommitConfig out;
  std::optional<std::string> text;
  try {
    mirrors.ensure_commit(remote, sha);
    text = mirrors.read_file(remote, sha, config_path, core::kMaxConfigBytes + 1);
    if (with_commit_info) {
      auto info = mirrors.commit_info(remote, sha);
      out.commit_message = info.message;
      out.author = info.author_name;
    }
  } catch (const std::exception& e) {
    out.problem = PlanProblem::unreadable_commit;
    out.message = std::string("cannot read the commit: ") + e.what();
    return out;
  }
  if (!text) {
    out.problem = PlanProblem::no_config;
    out.message = "no " + config_path + " at " + util::short_sha(sha);
    return out;
  }
  // The config is validated against the server's ceilings: timeouts, resources, images, networks.
  core::ConfigLimits limits = options.ceilings;
  limits.jobs = options.job_ceilings;
  auto parsed = core::parse_config(*text, limits);
  if (!parsed.ok()) {
    out.problem = PlanProblem::invalid_config;
    out.message = config_path + " is invalid:\n" + core::format_errors(parsed.errors, config_path);
    out.errors = std::move(parsed.errors);
    return out;
  }
  out.config = std::move(parsed.config);
  out.config_json = config_summary(*out.config);
  return out;
}

CommitPlan plan_from_config(std::int64_t repo_id, const CommitRequest& request,
                            const CommitConfig& commit, const PlannerOptions& options) {
  CommitPlan plan;
  store::NewPipeline& p = plan.pipeline;
  p.repo_id = repo_id;
  p.delivery_row_id = request.delivery_row_id;
  p.trigger = request.trigger;
  p.ref = request.ref;
  p.branch = request.branch;
  p.sha = request.sha;
  p.before_sha = request.before_sha;
  p.pr_number = request.pr_number;
  p.commit_message =
      request.commit_message.empty() ? commit.commit_message : request.commit_message;
  p.author = request.author.empty() ? commit.author : request.author;
  p.from_fork = request.from_fork;
  if (!commit.config) {
    plan.problem = commit.problem;
    plan.message = commit.message;
    plan.config_errors = commit.errors;
    p.state = commit.problem == PlanProblem::unreadable_commit ? core::PipelineState::error
                                                               : core::PipelineState::failed;
    p.error = commit.message;
    return plan;
  }
  const core::Config& config = *commit.config;
  p.config_json = commit.config_json;

  const bool by_event = request.tiers.empty();
  if (by_event) {
    plan.tiers = core::tiers_for_event(config, request.trigger, request.filter_branch);
  } else {
    auto selection = core::tiers_with_needs(config, request.tiers);
    if (!selection.unknown.empty()) {
      std::string declared;
      for (const auto& t : config.tiers) declared += (declared.empty() ? "" : ", ") + t.name;
      plan.problem = PlanProblem::unknown_tier;
      plan.message = "tier '" + selection.unknown.front() + "' is not declared in " +
                     options.config_path + " at " + util::short_sha(request.sha) +
                     " (it declares " + (declared.empty() ? "none" : declared) + ")";
      return plan;
    }
    plan.tiers = std::move(selection.tiers);
  }
  for (const auto& tier_name : plan.tiers) {
    const auto* tier = core::find_tier(config, tier_name);
    store::NewJob job;
    job.tier = tier->name;
    // Needs on tiers this event does not run are dropped: nothing would ever unblock them.
    for (const auto& need : tier->needs) {
      if (std::find(plan.tiers.begin(), plan.tiers.end(), need) != plan.tiers.end())
        job.needs.push_back(need);
    }
    job.image = tier->image;
    job.command = tier->run;
    job.timeout_seconds = std::min(tier->timeout_seconds, options.ceilings.ceiling_for(tier->name));
    job.resources_json = resources_json(tier->resources);
    // A fork's code never gets the network, whatever its config asks (docs/security.md).
    job.network = request.from_fork ? std::string(core::kForkJobNetwork) : tier->network;
    job.env = tier->env;
    job.cancel_superseded = tier->cancel_superseded;
    // `repeat: N`: N jobs of the tier, alike but for their repeat number (MLGATE_REPEAT).
    for (int r = 0; r < tier->repeat; ++r) {
      p.jobs.push_back(job);
      p.jobs.back().repeat = r;
    }
  }
  if (p.jobs.empty()) {
    plan.problem = PlanProblem::nothing_to_run;
    plan.message = "no tier runs on " + request.trigger +
                   (request.filter_branch.empty() ? "" : " to " + request.filter_branch);
  } else if (request.needs_approval) {
    p.state = core::PipelineState::awaiting_approval;
  }
  return plan;
}

CommitPlan plan_commit(vcs::MirrorCache& mirrors, const vcs::RepoRemote& remote,
                       std::int64_t repo_id, const CommitRequest& request,
                       const PlannerOptions& options) {
  return plan_from_config(
      repo_id, request,
      read_commit_config(mirrors, remote, request.sha, options,
                         request.commit_message.empty() || request.author.empty()),
      options);
}

StoredPlan store_plan(pqxx::work& tx, const CommitPlan& plan) {
  if (plan.problem == PlanProblem::unknown_tier || plan.problem == PlanProblem::nothing_to_run)
    throw std::logic_error("store_plan: nothing to store (" + plan.message + ")");
  const auto& p = plan.pipeline;
  StoredPlan out;
  out.pipeline_id = store::create_pipeline(tx, p);
  if (!p.jobs.empty()) {
    // A person asked for a manual run; a monitor's retraining must not cancel a push's jobs.
    if (p.trigger != "manual" && p.trigger != "monitor")
      out.superseded = store::cancel_superseded(tx, p.repo_id, p.trigger, p.branch, p.pr_number,
                                                out.pipeline_id);
    store::notify_jobs(tx);
  }
  return out;
}

}  // namespace mlgate::server
