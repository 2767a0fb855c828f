#include "store/jobs.h"

#include <algorithm>
#include <stdexcept>

#include "store/pq.h"

namespace mlgate::store {
namespace {

core::JobState job_state_of(const pqxx::field& f) {
  const auto s = f.as<std::string>();
  auto state = core::parse_job_state(s);
  if (!state) throw std::runtime_error("unknown job state '" + s + "'");
  return *state;
}

std::optional<core::AttemptOutcome> outcome_of(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  const auto s = f.as<std::string>();
  auto outcome = core::parse_attempt_outcome(s);
  if (!outcome) throw std::runtime_error("unknown attempt outcome '" + s + "'");
  return outcome;
}

std::vector<EndedJob> read_ends(const pqxx::result& rows) {
  std::vector<EndedJob> out;
  for (const auto& r : rows)
    out.push_back({r[0].as<std::string>(), job_state_of(r[1]),
                   r[2].is_null() ? 0.0 : std::max(0.0, r[2].as<double>())});
  return out;
}

std::vector<JobAttemptRow> job_attempts(pqxx::transaction_base& tx, std::int64_t job_id) {
  std::vector<JobAttemptRow> out;
  for (const auto& a :
       tx.exec_params("SELECT attempt, runner_id, outcome, "
                      "to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
                      "FROM job_attempts WHERE job_id = $1 ORDER BY attempt",
                      job_id))
    out.push_back({a[0].as<int>(), get_optional<std::int64_t>(a[1]), outcome_of(a[2]),
                   a[3].as<std::string>()});
  return out;
}

}  // namespace

std::optional<JobDetail> get_job_detail(pqxx::transaction_base& tx, std::int64_t job_id) {
  auto r = tx.exec_params(
      "SELECT j.id, j.pipeline_id, j.tier, j.state, j.attempt, j.max_attempts, j.runner_id, "
      "j.exit_code, coalesce(j.message, ''), j.log_bytes, j.log_truncated, "
      "j.results_files::text, coalesce(j.results_error, ''), j.image, j.timeout_seconds, "
      "extract(epoch FROM j.finished_at - j.started_at), "
      "to_char(j.logs_deleted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
      "FROM jobs j WHERE j.id = $1",
      job_id);
  if (r.empty()) return std::nullopt;
  const auto& row = r[0];
  JobDetail d;
  d.id = row[0].as<std::int64_t>();
  d.pipeline_id = row[1].as<std::int64_t>();
  d.tier = row[2].as<std::string>();
  d.state = job_state_of(row[3]);
  d.attempt = row[4].as<int>();
  d.max_attempts = row[5].as<int>();
  d.runner_id = get_optional<std::int64_t>(row[6]);
  d.exit_code = get_optional<int>(row[7]);
  d.message = row[8].as<std::string>();
  d.log_bytes = row[9].as<std::int64_t>();
  d.log_truncated = row[10].as<bool>();
  d.results_files_json = row[11].as<std::string>();
  d.results_error = row[12].as<std::string>();
  d.image = row[13].as<std::string>();
  d.timeout_seconds = row[14].as<std::int64_t>();
  d.duration_seconds = get_optional<double>(row[15]);
  d.logs_deleted_at = get_optional<std::string>(row[16]);
  d.attempts = job_attempts(tx, job_id);
  return d;
}

bool job_exists(pqxx::transaction_base& tx, std::int64_t job_id) {
  return !tx.exec_params("SELECT 1 FROM jobs WHERE id = $1", job_id).empty();
}

core::JobState job_state(pqxx::transaction_base& tx, std::int64_t job_id) {
  return job_state_of(tx.exec_params1("SELECT state FROM jobs WHERE id = $1", job_id)[0]);
}

std::optional<std::int64_t> repo_of_job(pqxx::transaction_base& tx, std::int64_t job_id) {
  auto r = tx.exec_params(
      "SELECT p.repo_id FROM jobs j JOIN pipelines p ON p.id = j.pipeline_id WHERE j.id = $1",
      job_id);
  if (r.empty()) return std::nullopt;
  return r[0][0].as<std::int64_t>();
}

std::optional<std::int64_t> repo_of_pipeline(pqxx::transaction_base& tx, std::int64_t pipeline_id) {
  auto r = tx.exec_params("SELECT repo_id FROM pipelines WHERE id = $1", pipeline_id);
  if (r.empty()) return std::nullopt;
  return r[0][0].as<std::int64_t>();
}

std::vector<std::int64_t> cancellable_jobs(pqxx::transaction_base& tx, std::int64_t pipeline_id) {
  std::vector<std::int64_t> out;
  for (const auto& r : tx.exec_params(
           "SELECT id FROM jobs WHERE pipeline_id = $1 AND state IN ('running', 'queued', "
           "'blocked') ORDER BY state = 'running' DESC, priority",
           pipeline_id))
    out.push_back(r[0].as<std::int64_t>());
  return out;
}

std::map<std::int64_t, RunnerLiveness> runner_liveness(pqxx::transaction_base& tx) {
  std::map<std::int64_t, RunnerLiveness> out;
  for (const auto& r :
       tx.exec("SELECT id, last_seen_at > now() - interval '90 seconds' FROM runners ORDER BY id"))
    out[r[0].as<std::int64_t>()].seen_recently = r[1].as<bool>();
  for (const auto& r : tx.exec(
           "SELECT j.runner_id, j.id, p.repo_id FROM jobs j JOIN pipelines p ON p.id = "
           "j.pipeline_id WHERE j.state = 'running' AND j.runner_id IS NOT NULL ORDER BY j.id")) {
    auto& live = out[r[0].as<std::int64_t>()];
    ++live.running_jobs;
    live.jobs.push_back({r[1].as<std::int64_t>(), r[2].as<std::int64_t>()});
  }
  return out;
}

std::optional<EndedJob> ended_job(pqxx::transaction_base& tx, std::int64_t job_id) {
  auto ends = read_ends(tx.exec_params(
      "SELECT tier, state, extract(epoch FROM finished_at - started_at)::float8 FROM jobs "
      "WHERE id = $1 AND finished_at IS NOT NULL AND started_at IS NOT NULL",
      job_id));
  if (ends.empty()) return std::nullopt;
  return ends.front();
}

std::vector<EndedJob> jobs_lost_in_this_transaction(pqxx::transaction_base& tx) {
  // now() is the transaction's start time: the rows this transaction ended carry it exactly.
  return read_ends(
      tx.exec("SELECT tier, state, extract(epoch FROM finished_at - started_at)::float8 FROM jobs "
              "WHERE state = 'failed' AND finished_at = now() AND started_at IS NOT NULL "
              "AND message LIKE 'runner lost:%'"));
}

}  // namespace mlgate::store
