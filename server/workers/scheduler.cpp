#include "server/workers/scheduler.h"

#include <ctime>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "core/schedule.h"
#include "server/http/json_log.h"
#include "server/services/repo_remote.h"
#include "store/pq.h"
#include "store/repos.h"
#include "store/schedules.h"
#include "util/strings.h"
#include "util/time_format.h"

namespace mlgate::server {
namespace {

using std::chrono::sys_seconds;

struct Due {
  const core::TierConfig* tier;
  sys_seconds at;
  std::int64_t schedule_id = 0;
};

// Moves the cursors of the scheduled tiers on (forgetting those of tiers no longer scheduled at the
// head: scheduled again later, they start anew) and claims each minute due now; another instance
// that claimed a minute first wins (and fires it). The claimed runs.
std::vector<Due> claim_due_runs(pqxx::work& tx, std::int64_t repo_id,
                                const std::vector<const core::TierConfig*>& scheduled,
                                const std::string& sha, sys_seconds now) {
  auto cursors = store::load_schedule_cursors(tx, repo_id);
  std::vector<Due> due;
  for (const auto* tier : scheduled) {
    std::optional<core::ScheduleCursor> cursor;
    if (auto it = cursors.find(tier->name); it != cursors.end()) cursor = it->second;
    const auto decision = core::due_schedule(*tier->cron, cursor, now);
    if (decision.restart_cursor)
      store::save_schedule_cursor(tx, repo_id, tier->name, tier->cron->text, now, sha);
    if (decision.fire) due.push_back({tier, *decision.fire});
    cursors.erase(tier->name);
  }
  for (const auto& [tier, cursor] : cursors) store::forget_schedule_cursor(tx, repo_id, tier);
  std::vector<Due> claimed;
  for (auto& d : due) {
    auto id = store::claim_scheduled_run(tx, repo_id, d.tier->name, d.tier->cron->text, d.at);
    if (!id) continue;
    d.schedule_id = *id;
    claimed.push_back(d);
  }
  return claimed;
}

}  // namespace

Scheduler::Scheduler(store::Database& db, vcs::MirrorCache& mirrors, PlannerOptions planner,
                     SchedulerOptions options)
    : db_(db), mirrors_(mirrors), planner_(std::move(planner)), options_(std::move(options)) {}

Scheduler::~Scheduler() {
  stop();
}

std::chrono::sys_seconds Scheduler::now() const {
  auto t = options_.clock ? options_.clock() : std::chrono::system_clock::now();
  return std::chrono::floor<std::chrono::seconds>(t);
}

void Scheduler::start() {
  if (!options_.enabled || worker_.running()) return;
  stop_requested_ = false;
  worker_.start();
}

void Scheduler::stop() {
  stop_requested_ = true;
  worker_.stop();
  resign();
}

std::chrono::milliseconds Scheduler::loop_tick() {
  try {
    auto report = tick();
    for (const auto& p : report.problems)
      log_event(spdlog::level::warn, "schedule skipped", {{"problem", p}});
  } catch (const store::DatabaseUnavailable& e) {
    log_event(spdlog::level::warn, "scheduler: database unavailable", {{"error", e.what()}});
  } catch (const std::exception& e) {
    log_event(spdlog::level::err, "scheduler tick failed", {{"error", e.what()}});
  }
  // The start of the next minute on the real clock (a little after it, so that the minute has
  // begun on every replica's clock too).
  const auto now = std::chrono::system_clock::now();
  const auto next = std::chrono::ceil<std::chrono::minutes>(now + std::chrono::milliseconds(1)) +
                    std::chrono::milliseconds(500);
  return std::chrono::ceil<std::chrono::milliseconds>(next - now);
}

bool Scheduler::leader() {
  std::lock_guard lock(tick_mu_);
  return leader_;
}

void Scheduler::resign() {
  std::lock_guard lock(tick_mu_);
  if (leader_) log_event(spdlog::level::info, "scheduler leadership released");
  leader_conn_.reset();  // closing the session releases its advisory lock
  leader_ = false;
}

// Called with tick_mu_ held.
bool Scheduler::hold_leadership() {
  try {
    if (!leader_conn_) leader_conn_ = db_.connect_dedicated();
    pqxx::nontransaction tx(*leader_conn_);
    if (leader_) {
      store::ping_session(tx);  // a live session still holds its lock
      return true;
    }
    leader_ = store::try_session_lock(tx, options_.leader_lock_key);
    if (leader_) log_event(spdlog::level::info, "scheduler leadership taken");
    return leader_;
  } catch (const std::exception& e) {
    if (leader_) log_event(spdlog::level::warn, "scheduler leadership lost", {{"error", e.what()}});
    leader_conn_.reset();
    leader_ = false;
    return false;
  }
}

TickReport Scheduler::tick() {
  std::lock_guard lock(tick_mu_);
  if (!options_.enabled || !hold_leadership()) return {};
  TickReport report = fire_due(now());
  report.leader = true;
  return report;
}

TickReport Scheduler::fire_due(std::chrono::sys_seconds now) {
  TickReport report;
  auto repos = db_.with([](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    return store::list_repos(tx);
  });
  for (const auto& repo : repos) {
    if (stop_requested_) break;  // shutting down: the next leader's tick does the rest
    try {
      fire_repo(repo.id, now, report);
    } catch (const store::DatabaseUnavailable&) {
      throw;
    } catch (const std::exception& e) {
      report.problems.push_back(repo.full_name + ": " + e.what());
    }
  }
  for (const auto& run : report.fired) {
    log_event(spdlog::level::info, "schedule fired",
              {{"repo", run.repo},
               {"tier", run.tier},
               {"scheduled_for", util::iso8601(run.scheduled_for)},
               {"sha", run.sha},
               {"pipeline", run.pipeline_id}});
  }
  return report;
}

void Scheduler::fire_repo(std::int64_t repo_id, std::chrono::sys_seconds now, TickReport& report) {
  auto repo = db_.with([&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    return store::find_repo_by_id(tx, repo_id);
  });
  if (!repo) return;  // deleted meanwhile
  const vcs::RepoRemote remote = repo_remote(*repo);
  const std::string branch_ref = "refs/heads/" + repo->default_branch;
  std::string sha;
  try {
    sha = mirrors_.resolve(remote, branch_ref, true);
  } catch (const std::exception& e) {
    report.problems.push_back(repo->full_name + ": cannot resolve the default branch " +
                              repo->default_branch + ": " + e.what());
    return;
  }
  const CommitConfig commit = read_commit_config(mirrors_, remote, sha, planner_,
                                                 /*with_commit_info=*/false);
  if (commit.problem == PlanProblem::unreadable_commit ||
      commit.problem == PlanProblem::invalid_config) {
    // What the schedules are is unknown: keep what is remembered, fire nothing.
    report.problems.push_back(repo->full_name + " at " + util::short_sha(sha) + ": " +
                              commit.message);
    return;
  }
  std::vector<const core::TierConfig*> scheduled;  // none when the branch has no config
  if (commit.config) {
    for (const auto& tier : commit.config->tiers)
      if (tier.cron) scheduled.push_back(&tier);
  }

  std::vector<ScheduledRun> fired;
  db_.with([&](pqxx::connection& c) {
    pqxx::work tx(c);
    const std::vector<Due> claimed = claim_due_runs(tx, repo->id, scheduled, sha, now);
    if (!claimed.empty()) {
      CommitRequest request;
      request.trigger = "schedule";
      request.ref = branch_ref;
      request.branch = repo->default_branch;
      request.sha = sha;
      // Read only when a run fires: the config is read every minute.
      const auto info = mirrors_.commit_info(remote, sha);
      request.commit_message = info.message;
      request.author = info.author_name;
      for (const auto& d : claimed) request.tiers.push_back(d.tier->name);
      const CommitPlan plan = plan_from_config(repo->id, request, commit, planner_);
      if (plan.problem != PlanProblem::none)
        throw std::runtime_error("cannot plan the scheduled run: " + plan.message);
      const StoredPlan stored = store_plan(tx, plan);
      for (const auto& d : claimed) {
        store::set_schedule_pipeline(tx, d.schedule_id, stored.pipeline_id);
        fired.push_back({repo->id, repo->full_name, d.tier->name, d.at, sha, stored.pipeline_id});
      }
    }
    tx.commit();
  });
  report.fired.insert(report.fired.end(), fired.begin(), fired.end());
}

}  // namespace mlgate::server
