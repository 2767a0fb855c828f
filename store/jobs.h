// Jobs as the API and the metrics read them: one job with its attempts, which repository a job or
// pipeline belongs to, the jobs a cancel reaches, runner liveness, and the ends of jobs that ran.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "core/states.h"

namespace mlgate::store {

struct JobAttemptRow {
  int attempt = 0;
  std::optional<std::int64_t> runner_id;
  std::optional<core::AttemptOutcome> outcome;  // nullopt while the attempt runs
  std::string started_at;                       // ISO 8601 UTC
};

struct JobDetail {
  std::int64_t id = 0;
  std::int64_t pipeline_id = 0;
  std::string tier;
  core::JobState state = core::JobState::blocked;
  int attempt = 0;
  int max_attempts = 0;
  std::optional<std::int64_t> runner_id;
  std::optional<int> exit_code;
  std::string message;
  std::int64_t log_bytes = 0;
  bool log_truncated = false;
  std::string results_files_json;  // the stored JSON array
  std::string results_error;
  std::string image;
  std::int64_t timeout_seconds = 0;
  std::optional<double> duration_seconds;      // finished - started; nullopt unless both are set
  std::optional<std::string> logs_deleted_at;  // ISO 8601 UTC, when retention deleted the log
  std::vector<JobAttemptRow> attempts;         // by attempt
};
std::optional<JobDetail> get_job_detail(pqxx::transaction_base& tx, std::int64_t job_id);

bool job_exists(pqxx::transaction_base& tx, std::int64_t job_id);
core::JobState job_state(pqxx::transaction_base& tx, std::int64_t job_id);  // the job must exist
// The repository of a job (through its pipeline) or of a pipeline; nullopt when there is none.
std::optional<std::int64_t> repo_of_job(pqxx::transaction_base& tx, std::int64_t job_id);
std::optional<std::int64_t> repo_of_pipeline(pqxx::transaction_base& tx, std::int64_t pipeline_id);

// The pipeline's jobs a cancel reaches (running, queued, blocked): running ones first, then the
// waiting ones (whose cancel also skips their dependants), each group in tier order.
std::vector<std::int64_t> cancellable_jobs(pqxx::transaction_base& tx, std::int64_t pipeline_id);

struct RunnerJob {
  std::int64_t job_id = 0;
  std::int64_t repo_id = 0;
};
struct RunnerLiveness {
  bool seen_recently = false;  // a heartbeat in the last 90 seconds
  long running_jobs = 0;
  std::vector<RunnerJob> jobs;  // the jobs it runs now, by id
};
// Every runner's liveness, by runner id.
std::map<std::int64_t, RunnerLiveness> runner_liveness(pqxx::transaction_base& tx);

// A job that ran and ended: its final state and how long it ran (never negative).
struct EndedJob {
  std::string tier;
  core::JobState state = core::JobState::passed;
  double seconds = 0;
};
// The job's end; nullopt while it has not both started and finished.
std::optional<EndedJob> ended_job(pqxx::transaction_base& tx, std::int64_t job_id);
// The jobs this transaction failed as "runner lost" (their finished_at is the transaction's now()).
std::vector<EndedJob> jobs_lost_in_this_transaction(pqxx::transaction_base& tx);

}  // namespace mlgate::store
