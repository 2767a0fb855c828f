// Read-only queries behind the status API and the CLI (docs/cli.md): pipelines with their timings,
// jobs with runner, attempts and test counts, the latest pipeline per branch, the gate decisions of
// a commit, and a job's log from a byte offset. Durations and ages are computed by PostgreSQL, so
// they follow the database's clock, not a client's.
#pragma once

#include <cstdint>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "core/states.h"

namespace mlgate::store {

struct TestCounts {
  int total = 0;
  int passed = 0;
  int failed = 0;  // failures and errors
  int skipped = 0;
};

struct JobStatus {
  std::int64_t id = 0;
  std::string tier;
  int repeat = 0;   // MLGATE_REPEAT of a tier with `repeat: N`; else 0
  int repeats = 1;  // the pipeline's jobs of this tier (N)
  core::JobState state = core::JobState::queued;
  std::vector<std::string> needs;
  std::string image;
  std::string command;
  std::string network;
  std::int64_t timeout_seconds = 0;
  int attempt = 0;
  int max_attempts = 0;
  std::optional<std::int64_t> runner_id;
  std::string runner_name;  // "" without a runner
  std::string started_at;   // ISO 8601 UTC, "" when not started
  std::string finished_at;  // "" while not finished
  // finished - started; for a running job the time so far; empty when it never started.
  std::optional<double> duration_seconds;
  std::optional<int> exit_code;
  std::string message;
  TestCounts tests;
};

struct PipelineStatus {
  std::int64_t id = 0;
  std::int64_t repo_id = 0;
  std::string repo_name;
  std::string trigger;
  std::string ref;
  std::string branch;
  std::string sha;
  std::optional<std::int64_t> pr_number;
  core::PipelineState state = core::PipelineState::pending;
  std::string error;
  std::string commit_message;
  std::string author;
  std::string created_at;
  std::string started_at;
  std::string finished_at;
  std::optional<double> duration_seconds;  // as for a job
  double age_seconds = 0;                  // now - created_at
  bool from_fork = false;                  // a pull request from another repository
  std::string approved_by;                 // who approved it ("" when not approved)
  std::string approved_at;                 // ISO 8601 UTC, "" when not approved
  std::vector<JobStatus> jobs;             // functionality, validation, training order
};

struct PipelineFilter {
  std::optional<std::int64_t> repo_id;
  std::optional<std::string> branch;
  int limit = 50;
};

// Newest first.
std::vector<PipelineStatus> list_pipeline_status(pqxx::transaction_base& tx,
                                                 const PipelineFilter& filter);
std::optional<PipelineStatus> get_pipeline_status(pqxx::transaction_base& tx, std::int64_t id);

// The newest pipeline of every branch (tags, which have no branch, are left out), by repo id then
// branch. `filter.limit` is ignored.
std::vector<PipelineStatus> latest_pipeline_per_branch(pqxx::transaction_base& tx,
                                                       const PipelineFilter& filter);

struct FailingTest {
  std::int64_t job_id = 0;
  std::string tier;
  std::string name;
  std::string classname;
  std::string status;  // failed | error
  std::string message;
  int repeat = 0;   // 0-based; which of the tier's `repeats` jobs ran it
  int repeats = 1;  // the tier's jobs in this pipeline
};
// At most `limit` failed or errored test cases of the pipeline's jobs, in tier order.
std::vector<FailingTest> failing_tests(pqxx::transaction_base& tx, std::int64_t pipeline_id,
                                       int limit);

struct GateDecisionRow {
  std::int64_t id = 0;
  std::string environment;
  std::string decision;
  std::string baseline_sha;  // "" without a baseline
  std::string checks_json;   // the stored checks array
  std::string created_at;
  std::string inputs_json;  // the stored inputs object
  std::string source;       // who asked: api, protection rule, ...
};
// The latest stored decision of each environment for this commit.
std::vector<GateDecisionRow> latest_gate_decisions(pqxx::transaction_base& tx, std::int64_t repo_id,
                                                   const std::string& sha);

// Repos whose full name matches case-insensitively (one per forge that has it), of `forge` when it
// is not empty.
std::vector<std::int64_t> repo_ids_by_name(pqxx::transaction_base& tx, const std::string& name,
                                           const std::string& forge);

// The newest pipeline of a branch started by a push, a schedule or a manual trigger (what a branch
// badge shows): pull requests and a monitor's retraining left out.
struct BranchHead {
  core::PipelineState state = core::PipelineState::pending;
  std::string sha;
};
std::optional<BranchHead> latest_branch_head(pqxx::transaction_base& tx, std::int64_t repo_id,
                                             const std::string& branch);

// The newest pipeline of a commit (by id); nullopt when it has none.
std::optional<std::int64_t> newest_pipeline_of_commit(pqxx::transaction_base& tx,
                                                      std::int64_t repo_id, const std::string& sha);

struct LogChunk {
  bool found = false;                             // the job exists
  core::JobState state = core::JobState::queued;  // the job's state, read before the log
  int current_attempt = 0;
  int attempt = 0;  // the attempt these bytes belong to (0: the job never started)
  std::int64_t offset = 0;
  std::string data;             // at most max_bytes from offset
  std::string logs_deleted_at;  // when retention deleted the log (ISO 8601 UTC); "" if it did not
};
// The bytes of an attempt's log (the current one when attempt is 0) from `offset` on. The job's
// state is read first, so a chunk read with an ended state holds everything up to the log's end.
LogChunk read_log_chunk(pqxx::transaction_base& tx, std::int64_t job_id, int attempt,
                        std::int64_t offset, std::int64_t max_bytes);

}  // namespace mlgate::store
