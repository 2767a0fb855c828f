// The planner: turns accepted deliveries into pipelines, after the 202 was sent, in a small
// worker pool. Reads .mlgate.yml at the pushed commit through the mirror cache, validates it, and
// creates the pipeline and its jobs in one transaction (then NOTIFYs runners). A delivery whose
// planning did not finish (the process was killed) is still `pending` and is planned at the next
// start; the row lock taken while planning keeps two replicas from planning it twice.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "core/config.h"
#include "core/states.h"
#include "store/database.h"
#include "store/deliveries.h"
#include "store/pipelines.h"
#include "store/repos.h"
#include "util/periodic_worker.h"
#include "vcs/mirror.h"
#include "webhooks/event.h"

namespace mlgate::server {

struct PlannerOptions {
  int workers = 2;
  // Server ceilings on the tiers' budgets (default: the design's 5 m / 1 h / 24 h). A config may
  // lower a budget; asking more than the ceiling is a config error at the timeout's line.
  core::ConfigLimits ceilings;
  // What a tier may ask for (resources, images, networks); a config that asks for more is invalid.
  core::JobCeilings job_ceilings;
  std::string config_path = ".mlgate.yml";
  // Pending deliveries of one repository a worker plans together, at most (one transaction).
  int burst_max = 500;
};

// What a pipeline is planned for: one commit, the event that asks for it, and which tiers run.
// Shared by the three ways a pipeline starts: a webhook delivery, a schedule and a trigger.
struct CommitRequest {
  std::string trigger;  // push | tag | pull_request | schedule | manual | monitor
  std::string ref;
  std::string branch;  // "" for a tag or a bare sha
  std::string sha;
  std::string before_sha;
  std::optional<std::int64_t> pr_number;
  std::string commit_message;  // "" = read from the commit
  std::string author;          // "" = read from the commit
  std::optional<std::int64_t> delivery_row_id;
  // Which tiers run. Empty: the tiers whose `on` has `trigger` (push, pull_request, tag), with
  // `branches` matched against filter_branch; a need on a tier that does not run is dropped. Else
  // exactly these tiers and, transitively, every tier they need (schedule, manual).
  std::vector<std::string> tiers;
  std::string filter_branch;  // the pushed branch, or a pull request's target branch
  // A pull request whose head is another repository: its jobs get no network (and, when claimed,
  // no forge token); with `needs_approval`, the pipeline awaits a maintainer's approval.
  bool from_fork = false;
  bool needs_approval = false;
};

enum class PlanProblem {
  none,
  unreadable_commit,  // fetching or reading the commit failed: the pipeline is `error`
  no_config,          // no config file at the commit: the pipeline is `failed`
  invalid_config,     // the config has errors (line and column): the pipeline is `failed`
  unknown_tier,       // an asked tier is not declared in the config: no pipeline
  nothing_to_run,     // no tier runs on this event: no pipeline
};

// The config at a commit, read and validated, and the commit's message and author.
struct CommitConfig {
  std::optional<core::Config> config;
  PlanProblem problem = PlanProblem::none;  // none, unreadable_commit, no_config, invalid_config
  std::string message;                      // the problem, for people
  std::vector<core::ConfigError> errors;    // invalid_config: every error with line and column
  std::string config_json;  // what a pipeline records of `config` (its tiers and gates by name)
  std::string commit_message;
  std::string author;
};

// A pipeline ready to be stored. With a problem, `pipeline` records it (state and error) and has
// no jobs; unknown_tier and nothing_to_run are not stored at all.
struct CommitPlan {
  store::NewPipeline pipeline;
  PlanProblem problem = PlanProblem::none;
  std::string message;
  std::vector<core::ConfigError> config_errors;
  std::vector<std::string> tiers;  // the tiers planned, in config order
};

// Fetches the commit when the mirror lacks it and reads and validates `options.config_path` there,
// against the design's budgets and the server's job ceilings; with `with_commit_info`, also its
// message and author (a webhook usually brings both).
CommitConfig read_commit_config(vcs::MirrorCache& mirrors, const vcs::RepoRemote& remote,
                                const std::string& sha, const PlannerOptions& options,
                                bool with_commit_info);

// The pipeline and its jobs for `request` from the commit's config (no I/O). Budgets are capped by
// the server's ceilings.
CommitPlan plan_from_config(std::int64_t repo_id, const CommitRequest& request,
                            const CommitConfig& commit, const PlannerOptions& options);

// read_commit_config, then plan_from_config.
CommitPlan plan_commit(vcs::MirrorCache& mirrors, const vcs::RepoRemote& remote,
                       std::int64_t repo_id, const CommitRequest& request,
                       const PlannerOptions& options);

struct StoredPlan {
  std::int64_t pipeline_id = 0;
  int superseded = 0;  // older jobs cancelled by this pipeline
};

// Creates the plan's pipeline and jobs, cancels the jobs it supersedes (not for `manual`: a person
// asked for each of those) and wakes the runners, all in `tx`. The plan must not be unknown_tier
// or nothing_to_run.
StoredPlan store_plan(pqxx::work& tx, const CommitPlan& plan);

struct PlanOutcome {
  // planned or failed; none: skipped (already planned, or locked by another planner)
  std::optional<core::PlanState> state;
  std::optional<std::int64_t> pipeline_id;
  std::string note;
};

// What the planner's bursts did since the start (tests, the bench).
struct PlannerStats {
  std::uint64_t bursts = 0;      // transactions that planned pending deliveries of one repository
  std::uint64_t deliveries = 0;  // deliveries those planned
  // Deliveries whose stored body was read and normalised again (their event was not in memory).
  std::uint64_t payloads_read = 0;
};

class Planner {
 public:
  Planner(store::Database& db, vcs::MirrorCache& mirrors, PlannerOptions options = {});
  ~Planner();
  Planner(const Planner&) = delete;
  Planner& operator=(const Planner&) = delete;

  void start();
  void stop();
  // Queues a delivery row for planning. With `event` (the delivery as intake normalised it), the
  // planner does not parse the stored body again; without it (another replica's delivery, the
  // periodic sweep, a memo full), it does.
  void enqueue(std::int64_t delivery_row_id, std::optional<webhooks::Event> event = std::nullopt);
  // Queues every pending delivery (at start, and periodically for crashed replicas' leftovers).
  void enqueue_pending();
  // Plans one delivery now, on the calling thread.
  PlanOutcome plan(std::int64_t delivery_row_id);
  // Plans, on the calling thread and in one transaction, every pending delivery of the repository
  // of `delivery_row_id` that no other planner holds (up to burst_max), oldest first: a burst of
  // pushes costs one mirror fetch and one commit. Empty when that delivery is no longer pending.
  // Throws (nothing planned) when one of them fails the transaction.
  std::vector<std::pair<std::int64_t, PlanOutcome>> plan_burst(std::int64_t delivery_row_id);
  PlannerStats stats() const;
  // Blocks until the queue is empty and no worker is busy (tests, drain).
  void wait_idle();

 private:
  // A worker's tick: plans the next queued delivery; when the queue is empty, waits for
  // enqueue().
  std::chrono::milliseconds work();
  // Drops planned deliveries from the queue.
  void forget(const std::vector<std::pair<std::int64_t, PlanOutcome>>& planned);
  // A copy of the event intake handed over with the delivery, if any. It stays in memory until the
  // transaction that plans the delivery has committed (drop_events), so a try that rolls back
  // leaves it for the next one.
  std::optional<webhooks::Event> handed_event(std::int64_t id);
  // Forgets the events of deliveries that are planned (or no longer pending).
  void drop_events(const std::vector<std::int64_t>& ids);

  // What one transaction plans: configs read (by mirror, fetch and commit), the plans and the
  // deliveries' ends not stored yet (flush_burst stores them together), the outcomes so far.
  struct Burst {
    std::map<std::string, CommitConfig> configs;
    std::vector<std::pair<std::size_t, CommitPlan>> plans;  // index in `out`, the plan
    std::vector<store::DeliveryPlanEnd> ends;
    std::vector<std::pair<std::int64_t, PlanOutcome>> out;
  };
  // The events of deliveries `ids` (locked in `tx`), in their order: the ones intake handed over,
  // else their stored payloads normalised again (read in one statement, only for those).
  std::vector<webhooks::NormaliseResult> events_of(pqxx::work& tx,
                                                   const std::vector<std::int64_t>& ids);
  // Plans a delivery locked in `tx`, as normalised, into `burst` (nothing stored before
  // flush_burst; no commit).
  void plan_pending(pqxx::work& tx, std::int64_t id, const webhooks::NormaliseResult& normalised,
                    const std::optional<store::RepoRow>& repo, Burst& burst);
  void plan_commit_event(std::int64_t id, const webhooks::Event& event, const store::RepoRow& repo,
                         Burst& burst);
  // Stores the burst's plans (pipelines, jobs, what they supersede) and the deliveries' ends.
  static void flush_burst(pqxx::work& tx, std::int64_t repo_id, Burst& burst);
  // flush_burst, the repository's change notification (the burst's triggers were quiet), commit.
  static void commit_burst(pqxx::work& tx, std::int64_t repo_id, Burst& burst);

  store::Database& db_;
  vcs::MirrorCache& mirrors_;
  PlannerOptions options_;
  std::mutex mu_;
  std::condition_variable idle_cv_;
  std::deque<std::int64_t> queue_;
  std::unordered_set<std::int64_t> queued_;  // what queue_ holds
  // Events intake normalised, by delivery row, until planned or dropped (at most kEventsKept).
  std::unordered_map<std::int64_t, webhooks::Event> events_;
  std::atomic<std::uint64_t> bursts_{0};
  std::atomic<std::uint64_t> burst_deliveries_{0};
  std::atomic<std::uint64_t> payloads_read_{0};
  int busy_ = 0;
  std::vector<std::unique_ptr<util::PeriodicWorker>> workers_;
};

// The mirror key of a repo: "<forge>/<lowercased full name>".
std::string mirror_key(const std::string& forge, const std::string& full_name);

}  // namespace mlgate::server
