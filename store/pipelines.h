// Pipelines and their jobs: created in one transaction by the planner; superseded and cancelled
// jobs; a pipeline's state follows its jobs. Every state change is recorded in state_changes.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "core/states.h"

namespace mlgate::store {

struct NewJob {
  std::string tier;
  std::vector<std::string> needs;
  std::string image;
  std::string command;
  std::int64_t timeout_seconds = 300;
  std::string resources_json = "{}";
  std::string network = "none";
  std::map<std::string, std::string> env;
  bool cancel_superseded = false;
  int repeat = 0;  // 0..N-1 for a tier with `repeat: N` (docs/gate.md "Repeats"); else 0
};

struct NewPipeline {
  std::int64_t repo_id = 0;
  std::optional<std::int64_t> delivery_row_id;
  std::string trigger;  // push | tag | pull_request | schedule | manual | monitor
  std::string ref;
  std::string branch;
  std::string sha;
  std::string before_sha;
  std::optional<std::int64_t> pr_number;
  std::string commit_message;
  std::string author;
  // failed for a config error, error when planning broke, awaiting_approval for a fork's pipeline
  // that waits for a maintainer (its jobs are then all blocked)
  core::PipelineState state = core::PipelineState::pending;
  bool from_fork = false;            // a pull request whose head is another repository
  std::optional<std::string> error;  // the message shown on the pipeline
  std::string config_json;           // the parsed config, for the record ("" = none)
  std::vector<NewJob> jobs;
};

// The priority that orders claims: functionality before validation before training.
int tier_priority(const std::string& tier);

// Inserts the pipeline and its jobs (queued when they need nothing, else blocked; all blocked while
// the pipeline awaits approval); returns its id.
std::int64_t create_pipeline(pqxx::work& tx, const NewPipeline& p);

// Cancels the queued and blocked jobs, of tiers with cancel_superseded, of older pipelines of the
// same repo and branch (for pull requests: the same PR), and every job of an older pipeline that
// still awaits approval (nobody approves code that was pushed over). Returns how many jobs were
// cancelled.
int cancel_superseded(pqxx::work& tx, std::int64_t repo_id, const std::string& trigger,
                      const std::string& branch, std::optional<std::int64_t> pr_number,
                      std::int64_t newer_pipeline_id);

// Cancels every queued or blocked job of a closed pull request's pipelines; returns the count.
int cancel_pull_request_jobs(pqxx::work& tx, std::int64_t repo_id, std::int64_t pr_number);

// A pipeline's state and how many of its jobs are in which state (refresh_pipeline_state).
struct PipelineCounts {
  core::PipelineState current = core::PipelineState::pending;
  long total = 0, running = 0, waiting = 0, failed = 0, cancelled = 0;
};
// The state a pipeline with these jobs is in (no I/O).
core::PipelineState next_pipeline_state(const PipelineCounts& counts);
// The query behind PipelineCounts (p.id, p.state and the counts; add WHERE and GROUP BY p.id,
// p.state), and its row read back.
extern const char* const kPipelineCounts;
PipelineCounts pipeline_counts_of(const pqxx::row& r);

// Records a job's state change (from empty: the job was just created), timestamped.
void record_state_change(pqxx::work& tx, std::int64_t pipeline_id, std::int64_t job_id,
                         std::optional<core::JobState> from, core::JobState to,
                         const std::string& detail);
// The same for the pipeline itself.
void record_state_change(pqxx::work& tx, std::int64_t pipeline_id,
                         std::optional<core::PipelineState> from, core::PipelineState to,
                         const std::string& detail);

// Moves the pipeline's blocked jobs on: queued when every need passed (never while the pipeline
// awaits approval), skipped (with the reason) when a need ended without passing; repeats so that a
// skip reaches jobs further down. Returns how many jobs moved.
int advance_blocked_jobs(pqxx::work& tx, std::int64_t pipeline_id);

// Recomputes a pipeline's state from its jobs (recording the change when it changes).
core::PipelineState refresh_pipeline_state(pqxx::work& tx, std::int64_t pipeline_id);

// What approving a pipeline did.
struct Approval {
  bool found = false;
  std::int64_t repo_id = 0;
  std::string sha;
  core::PipelineState state = core::PipelineState::pending;  // before the call when not approved
  bool approved = false;  // false: it was not awaiting approval (state says what it is)
};
// Approves a fork's pipeline that awaits approval: records who (`actor`) and when, moves it to
// pending and queues its jobs that need nothing (then wakes the runners). Locks the pipeline row,
// so two approvals approve once.
Approval approve_pipeline(pqxx::work& tx, std::int64_t pipeline_id, const std::string& actor);

// True when the repository's pipelines know `sha` only from fork pull requests: at least one
// pipeline of a fork has it and no other pipeline does. Such a commit is never deployable.
bool commit_only_from_forks(pqxx::transaction_base& tx, std::int64_t repo_id,
                            const std::string& sha);

// True when a pipeline that is not a fork's has `sha`: the commit came to the repository itself
// (pushed, tagged, or a pull request from a branch of the repository).
bool commit_known_from_repository(pqxx::transaction_base& tx, std::int64_t repo_id,
                                  const std::string& sha);

// Wakes runners waiting for jobs (delivered when the transaction commits).
void notify_jobs(pqxx::work& tx);

// The rest of `tx` sends no gate notification of its own (migrations/0017_quiet_claims.sql): its
// caller sends the topics after the commit (server/services/change_notices.h).
void quiet_change_notifications(pqxx::work& tx);
// Notifies each topic on the change feed's channel (delivered when the transaction commits).
void notify_changes(pqxx::work& tx, const std::vector<std::string>& topics);
inline constexpr const char* kJobsChannel = "mlgate_jobs";

}  // namespace mlgate::store
