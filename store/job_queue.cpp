#include "store/job_queue.h"

#include <algorithm>

#include "core/fork_policy.h"
#include "store/pipelines.h"
#include "store/pq.h"
#include "store/state_text.h"

namespace mlgate::store {
namespace {

using core::JobState;

// The WHERE clause that says "runner $2 still holds attempt $3 of job $1".
constexpr const char* kHeld = "id = $1 AND state = 'running' AND runner_id = $2 AND attempt = $3";

JobState finished_state(const Finish& f, const std::optional<std::string>& results_error) {
  switch (f.kind) {
    case FinishKind::exited:
      return f.exit_code == 0 && !results_error ? JobState::passed : JobState::failed;
    case FinishKind::timed_out:
      return JobState::timed_out;
    case FinishKind::cancelled:
      return JobState::cancelled;
    case FinishKind::error:
      return JobState::error;
  }
  return JobState::error;
}

std::string finished_message(const Finish& f, const std::optional<std::string>& results_error) {
  std::string msg = f.message;
  if (f.kind == FinishKind::exited && f.exit_code != 0 && msg.empty()) {
    msg = "exited with " + std::to_string(f.exit_code);
  }
  if (results_error) msg = msg.empty() ? *results_error : *results_error + "; " + msg;
  return msg;
}

void settle_pipeline(pqxx::work& tx, std::int64_t pipeline_id) {
  advance_blocked_jobs(tx, pipeline_id);
  refresh_pipeline_state(tx, pipeline_id);
}

// Ends the running attempts in `rows` (id, pipeline_id, attempt, max_attempts, runner_id): each job
// is queued again, or fails with "runner lost" once it has used up its attempts.
int requeue_lost(pqxx::work& tx, const pqxx::result& rows, const std::string& why) {
  std::vector<std::int64_t> pipelines;
  for (const auto& r : rows) {
    auto job_id = r[0].as<std::int64_t>();
    auto pipeline_id = r[1].as<std::int64_t>();
    auto attempt = r[2].as<int>();
    auto max_attempts = r[3].as<int>();
    auto runner = get_optional<std::int64_t>(r[4]);
    std::string on = " (attempt " + std::to_string(attempt) +
                     (runner ? " on runner " + std::to_string(*runner) : std::string()) + ")";
    tx.exec_params(
        "UPDATE job_attempts SET ended_at = now(), outcome = 'lease_expired' "
        "WHERE job_id = $1 AND attempt = $2",
        job_id, attempt);
    if (attempt >= max_attempts) {
      std::string msg =
          "runner lost: " + why + " on all " + std::to_string(max_attempts) + " attempts" + on;
      tx.exec_params(
          "UPDATE jobs SET state = 'failed', lease_expires_at = NULL, finished_at = now(), "
          "message = $2 WHERE id = $1",
          job_id, msg);
      record_state_change(tx, pipeline_id, job_id, JobState::running, JobState::failed, msg);
    } else {
      tx.exec_params(
          "UPDATE jobs SET state = 'queued', runner_id = NULL, lease_expires_at = NULL, "
          "cancel_requested = false WHERE id = $1",
          job_id);
      record_state_change(tx, pipeline_id, job_id, JobState::running, JobState::queued, why + on);
    }
    pipelines.push_back(pipeline_id);
  }
  std::sort(pipelines.begin(), pipelines.end());
  pipelines.erase(std::unique(pipelines.begin(), pipelines.end()), pipelines.end());
  for (auto id : pipelines) settle_pipeline(tx, id);
  if (!rows.empty()) notify_jobs(tx);
  return static_cast<int>(rows.size());
}

}  // namespace

std::optional<ClaimedJob> claim_job(pqxx::work& tx, std::int64_t runner_id,
                                    const std::vector<std::string>& tiers,
                                    std::chrono::seconds lease, bool isolated) {
  auto r = tx.exec_params(
      "WITH next AS (SELECT id FROM jobs WHERE state = 'queued' AND tier = ANY ($2::text[]) "
      "  AND ($4 OR NOT EXISTS (SELECT 1 FROM pipelines p WHERE p.id = jobs.pipeline_id "
      "    AND p.from_fork)) "
      "  ORDER BY priority, queued_at, id LIMIT 1 FOR UPDATE SKIP LOCKED) "
      "UPDATE jobs j SET state = 'running', runner_id = $1, attempt = j.attempt + 1, "
      "  lease_expires_at = now() + make_interval(secs => $3), started_at = now(), "
      "  log_bytes = 0, log_truncated = false, exit_code = NULL, message = NULL, "
      "  results_error = NULL, results_files = '{}' "
      "FROM next WHERE j.id = next.id "
      "RETURNING j.id, j.pipeline_id, j.attempt, j.tier, j.image, j.command, j.network, "
      "  j.timeout_seconds, j.resources::text, j.env::text, j.repeat",
      runner_id, to_pg_array(tiers), static_cast<double>(lease.count()), isolated);
  if (r.empty()) return std::nullopt;
  ClaimedJob job;
  job.job_id = r[0][0].as<std::int64_t>();
  job.pipeline_id = r[0][1].as<std::int64_t>();
  job.attempt = r[0][2].as<int>();
  job.tier = r[0][3].as<std::string>();
  job.image = r[0][4].as<std::string>();
  job.command = r[0][5].as<std::string>();
  job.network = r[0][6].as<std::string>();
  job.timeout_seconds = r[0][7].as<std::int64_t>();
  job.resources_json = r[0][8].as<std::string>();
  job.env_json = r[0][9].as<std::string>();
  job.repeat = r[0][10].as<int>();

  auto p = tx.exec_params1(
      "SELECT p.sha, p.ref, p.pr_number IS NOT NULL, r.id, r.forge, r.full_name, r.clone_url, "
      "coalesce(r.forge_token, ''), p.from_fork FROM pipelines p "
      "JOIN repos r ON r.id = p.repo_id WHERE p.id = $1",
      job.pipeline_id);
  job.sha = p[0].as<std::string>();
  job.ref = p[1].as<std::string>();
  if (p[2].as<bool>()) job.fetch_ref = job.ref;
  job.repo_id = p[3].as<std::int64_t>();
  job.forge = p[4].as<std::string>();
  job.repo = p[5].as<std::string>();
  job.clone_url = p[6].as<std::string>();
  job.forge_token = p[7].as<std::string>();
  if (p[8].as<bool>()) {
    // A fork's code (docs/security.md, "Fork pull requests"): fetched anonymously, and no network,
    // whatever was planned.
    job.forge_token.clear();
    job.network = std::string(core::kForkJobNetwork);
  }

  if (job.attempt > 1) {
    // A new attempt starts clean: nothing an earlier, lost attempt uploaded counts.
    for (const char* table : {"test_cases", "metrics", "predictions"}) {
      tx.exec_params(std::string("DELETE FROM ") + table + " WHERE job_id = $1", job.job_id);
    }
  }
  tx.exec_params("INSERT INTO job_attempts (job_id, attempt, runner_id) VALUES ($1, $2, $3)",
                 job.job_id, job.attempt, runner_id);
  record_state_change(
      tx, job.pipeline_id, job.job_id, JobState::queued, JobState::running,
      "attempt " + std::to_string(job.attempt) + " on runner " + std::to_string(runner_id));
  refresh_pipeline_state(tx, job.pipeline_id);
  return job;
}

LeaseState heartbeat(pqxx::work& tx, std::int64_t job_id, std::int64_t runner_id, int attempt,
                     std::chrono::seconds lease) {
  auto r = tx.exec_params(std::string("UPDATE jobs SET lease_expires_at = now() + "
                                      "make_interval(secs => $4) WHERE ") +
                              kHeld + " RETURNING cancel_requested",
                          job_id, runner_id, attempt, static_cast<double>(lease.count()));
  if (r.empty()) return {};
  return {true, r[0][0].as<bool>()};
}

LeaseState lease_state(pqxx::transaction_base& tx, std::int64_t job_id, std::int64_t runner_id,
                       int attempt) {
  auto r = tx.exec_params(std::string("SELECT cancel_requested FROM jobs WHERE ") + kHeld, job_id,
                          runner_id, attempt);
  if (r.empty()) return {};
  return {true, r[0][0].as<bool>()};
}

LogAppend append_log(pqxx::work& tx, std::int64_t job_id, std::int64_t runner_id, int attempt,
                     std::int64_t offset, std::string_view data, std::int64_t max_bytes) {
  LogAppend out;
  auto r = tx.exec_params(
      std::string("SELECT log_bytes, log_truncated FROM jobs WHERE ") + kHeld + " FOR UPDATE",
      job_id, runner_id, attempt);
  if (r.empty()) return out;
  out.held = true;
  const auto stored = r[0][0].as<std::int64_t>();
  out.truncated = r[0][1].as<bool>();
  out.log_bytes = stored;
  if (offset < 0 || offset > stored) {
    out.gap = true;
    return out;
  }
  const auto end = offset + static_cast<std::int64_t>(data.size());
  if (end <= stored) return out;  // already stored: a retried chunk
  std::string_view tail = data.substr(static_cast<size_t>(stored - offset));
  const auto room = std::max<std::int64_t>(0, max_bytes - stored);
  const auto keep = std::min<std::int64_t>(room, static_cast<std::int64_t>(tail.size()));
  const bool cut = keep < static_cast<std::int64_t>(tail.size());
  if (keep > 0) {
    tx.exec_params(
        "INSERT INTO job_logs (job_id, attempt, byte_offset, data) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT DO NOTHING",
        job_id, attempt, stored, to_bytea(std::string(tail.substr(0, static_cast<size_t>(keep)))));
  }
  tx.exec_params(
      "UPDATE jobs SET log_bytes = $2, log_truncated = log_truncated OR $3 WHERE id = $1", job_id,
      stored + keep, cut);
  out.log_bytes = stored + keep;
  out.truncated = out.truncated || cut;
  return out;
}

std::string read_log(pqxx::transaction_base& tx, std::int64_t job_id, int attempt) {
  std::string out;
  for (const auto& r :
       tx.exec_params("SELECT data FROM job_logs WHERE job_id = $1 AND attempt = "
                      "CASE WHEN $2 > 0 THEN $2 ELSE (SELECT attempt FROM jobs WHERE id = $1) END "
                      "ORDER BY byte_offset",
                      job_id, attempt)) {
    out += from_bytea(r[0]);
  }
  return out;
}

std::optional<FinishKind> finish_kind_from_string(const std::string& s) {
  if (s == "exited") return FinishKind::exited;
  if (s == "timed_out") return FinishKind::timed_out;
  if (s == "cancelled") return FinishKind::cancelled;
  if (s == "error") return FinishKind::error;
  return std::nullopt;
}

FinishResult finish_job(pqxx::work& tx, std::int64_t job_id, std::int64_t runner_id, int attempt,
                        const Finish& finish) {
  FinishResult out;
  auto r = tx.exec_params(
      std::string("SELECT pipeline_id, results_error FROM jobs WHERE ") + kHeld + " FOR UPDATE",
      job_id, runner_id, attempt);
  if (r.empty()) {
    auto s = tx.exec_params("SELECT state FROM jobs WHERE id = $1", job_id);
    if (!s.empty()) out.state = job_state_of(s[0][0]);
    return out;
  }
  out.held = true;
  const auto pipeline_id = r[0][0].as<std::int64_t>();
  const auto results_error = get_optional<std::string>(r[0][1]);
  const JobState state = finished_state(finish, results_error);
  out.state = state;
  const std::string message = finished_message(finish, results_error);
  std::optional<int> exit_code;
  if (finish.kind == FinishKind::exited) exit_code = finish.exit_code;
  tx.exec_params(
      "UPDATE jobs SET state = $2, exit_code = $3, message = $4, finished_at = now(), "
      "lease_expires_at = NULL, log_truncated = log_truncated OR $5 WHERE id = $1",
      job_id, state_text(state), exit_code, message, finish.log_truncated);
  tx.exec_params(
      "UPDATE job_attempts SET ended_at = now(), outcome = $3 WHERE job_id = $1 AND attempt = $2",
      job_id, attempt, state_text(state));
  record_state_change(tx, pipeline_id, job_id, JobState::running, state, message);
  settle_pipeline(tx, pipeline_id);
  return out;
}

bool record_results_error(pqxx::work& tx, std::int64_t job_id, std::int64_t runner_id, int attempt,
                          const std::string& message) {
  auto r = tx.exec_params(
      std::string("UPDATE jobs SET results_error = "
                  "CASE WHEN results_error IS NULL THEN $4 ELSE results_error || '; ' || $4 END "
                  "WHERE ") +
          kHeld + " RETURNING id",
      job_id, runner_id, attempt, message);
  return !r.empty();
}

bool record_results_file(pqxx::work& tx, std::int64_t job_id, std::int64_t runner_id, int attempt,
                         const std::string& name, std::int64_t bytes) {
  auto r = tx.exec_params(
      std::string("UPDATE jobs SET results_files = results_files || jsonb_build_object($4::text, "
                  "$5::bigint) WHERE ") +
          kHeld + " RETURNING id",
      job_id, runner_id, attempt, name, bytes);
  return !r.empty();
}

int expire_leases(pqxx::work& tx) {
  auto rows = tx.exec(
      "SELECT id, pipeline_id, attempt, max_attempts, runner_id FROM jobs "
      "WHERE state = 'running' AND lease_expires_at < now() ORDER BY id FOR UPDATE SKIP LOCKED");
  return requeue_lost(tx, rows, "lease expired");
}

int release_runner_jobs(pqxx::work& tx, std::int64_t runner_id, const std::string& why) {
  auto rows = tx.exec_params(
      "SELECT id, pipeline_id, attempt, max_attempts, runner_id FROM jobs "
      "WHERE state = 'running' AND runner_id = $1 ORDER BY id FOR UPDATE",
      runner_id);
  return requeue_lost(tx, rows, why);
}

bool request_job_cancel(pqxx::work& tx, std::int64_t job_id, const std::string& reason) {
  auto r = tx.exec_params("SELECT state, pipeline_id FROM jobs WHERE id = $1 FOR UPDATE", job_id);
  if (r.empty()) return false;
  const JobState state = job_state_of(r[0][0]);
  const auto pipeline_id = r[0][1].as<std::int64_t>();
  if (state == JobState::queued || state == JobState::blocked) {
    tx.exec_params(
        "UPDATE jobs SET state = 'cancelled', finished_at = now(), message = $2 WHERE id = $1",
        job_id, reason);
    record_state_change(tx, pipeline_id, job_id, state, JobState::cancelled, reason);
    settle_pipeline(tx, pipeline_id);
    return true;
  }
  if (state == JobState::running) {
    tx.exec_params("UPDATE jobs SET cancel_requested = true, message = $2 WHERE id = $1", job_id,
                   reason);
    record_state_change(tx, pipeline_id, job_id, JobState::running, JobState::running,
                        "cancel requested: " + reason);
    return true;
  }
  return false;
}

std::vector<std::pair<std::string, long>> queue_depth(pqxx::transaction_base& tx) {
  std::vector<std::pair<std::string, long>> out;
  for (const auto& r :
       tx.exec("SELECT t.tier, count(j.id) FROM unnest(ARRAY['functionality', 'validation', "
               "'training']) WITH ORDINALITY AS t(tier, ord) LEFT JOIN jobs j ON j.tier = t.tier "
               "AND j.state = 'queued' GROUP BY t.tier, t.ord ORDER BY t.ord")) {
    out.emplace_back(r[0].as<std::string>(), r[1].as<long>());
  }
  return out;
}

}  // namespace mlgate::store
