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

// One prepared statement, one round trip: check the runner and set mlgate.quiet_changes before
// any write, pick the job (mlgate_claim_pick: SKIP LOCKED, planned without bitmap scans), start
// its attempt, clear what an earlier lost attempt uploaded, record the attempt and the state
// changes (the job's first, then the pipeline's when it starts running), and read the pipeline
// and repository fields. The pipeline moves to running unless it is in error
// (refresh_pipeline_state's rule for a running job); its row lock makes a concurrent claim in the
// same pipeline see it running already.
constexpr const char* kClaimSql =
    "WITH me AS (SELECT id, set_config('mlgate.quiet_changes', 'on', true) AS quiet FROM runners "
    "  WHERE id = $1::bigint AND disabled_at IS NULL FOR SHARE), "
    "next AS (SELECT mlgate_claim_pick($2::text[], $4::boolean) AS id FROM me), "
    "claimed AS (UPDATE jobs j SET state = 'running', runner_id = $1::bigint, attempt = j.attempt "
    "+ 1, "
    "  lease_expires_at = now() + make_interval(secs => $3::float8), started_at = now(), "
    "  log_bytes = 0, log_truncated = false, exit_code = NULL, message = NULL, "
    "  results_error = NULL, results_files = '{}' "
    "  FROM next WHERE j.id = next.id "
    "  RETURNING j.id, j.pipeline_id, j.attempt, j.tier, j.image, j.command, j.network, "
    "    j.timeout_seconds, j.resources::text AS resources, j.env::text AS env, j.repeat), "
    "info AS (SELECT c.*, p.sha, p.ref, p.pr_number IS NOT NULL AS is_pr, r.id AS repo_id, "
    "  r.forge, r.full_name, r.clone_url, coalesce(r.forge_token, '') AS token, p.from_fork "
    "  FROM claimed c JOIN pipelines p ON p.id = c.pipeline_id JOIN repos r ON r.id = p.repo_id), "
    "stale AS (SELECT id FROM claimed WHERE attempt > 1), "
    "clear_cases AS (DELETE FROM test_cases WHERE job_id = (SELECT id FROM stale)), "
    "clear_metrics AS (DELETE FROM metrics WHERE job_id = (SELECT id FROM stale)), "
    "clear_predictions AS (DELETE FROM predictions WHERE job_id = (SELECT id FROM stale)), "
    "attempt_row AS (INSERT INTO job_attempts (job_id, attempt, runner_id) "
    "  SELECT id, attempt, $1::bigint FROM claimed), "
    "pipeline AS (UPDATE pipelines p SET state = 'running', "
    "  started_at = coalesce(p.started_at, now()), finished_at = NULL "
    "  FROM (SELECT pipeline_id FROM claimed) c "
    "  WHERE p.id = c.pipeline_id AND p.state NOT IN ('running', 'error') "
    "  RETURNING p.id, (SELECT state FROM pipelines o WHERE o.id = p.id) AS was), "
    "changes AS (INSERT INTO state_changes (pipeline_id, job_id, from_state, to_state, detail) "
    "  SELECT pipeline_id, job_id, from_state, to_state, detail FROM ("
    "    SELECT 1 AS ord, pipeline_id, id AS job_id, 'queued' AS from_state, 'running' AS "
    "to_state, "
    "      'attempt ' || attempt || ' on runner ' || $1::bigint AS detail FROM claimed "
    "    UNION ALL SELECT 2, id, NULL, was, 'running', '' FROM pipeline) s ORDER BY ord) "
    "SELECT id, pipeline_id, attempt, tier, image, command, network, timeout_seconds, resources, "
    "  env, sha, ref, is_pr, repo_id, forge, full_name, clone_url, token, from_fork, repeat "
    "FROM info";

// One prepared statement for the attempt's end: the job (when runner $2 still holds attempt $3),
// its attempt row, and, when the pipeline has no blocked job, the pipeline's move
// (mlgate_next_pipeline_state over its job counts: this job with its new state, the others as the
// statement sees them), with the state changes of both in that order. It answers the pipeline,
// the job's state, whether blocked jobs may move now (then the caller settles the pipeline), the
// repository, and the job's tier and run time for the metrics. $4 is the state without a results
// error, $6 the message. With $8 it changes nothing when the pipeline has blocked jobs.
constexpr const char* kFinishSql =
    "WITH job AS (UPDATE jobs SET "
    "  state = CASE WHEN $4::text = 'passed' AND results_error IS NOT NULL THEN 'failed' "
    "    ELSE $4::text END, "
    "  message = CASE WHEN results_error IS NULL THEN $6::text WHEN $6::text = '' "
    "    THEN results_error ELSE results_error || '; ' || $6::text END, "
    "  exit_code = $5::integer, finished_at = now(), lease_expires_at = NULL, "
    "  log_truncated = log_truncated OR $7::boolean "
    "  WHERE id = $1::bigint AND state = 'running' AND runner_id = $2::bigint "
    "    AND attempt = $3::integer "
    "    AND (SELECT set_config('mlgate.quiet_changes', 'on', true)) = 'on' "
    "    AND NOT ($8::boolean AND EXISTS (SELECT 1 FROM jobs b "
    "      WHERE b.pipeline_id = jobs.pipeline_id AND b.state = 'blocked')) "
    "  RETURNING id, pipeline_id, state, message, tier, "
    "    extract(epoch FROM finished_at - started_at)::float8 AS seconds), "
    "ended AS (UPDATE job_attempts a SET ended_at = now(), outcome = job.state FROM job "
    "  WHERE a.job_id = job.id AND a.attempt = $3::integer), "
    "counted AS (SELECT job.*, p.repo_id, p.state AS was, c.blocked, "
    "  mlgate_next_pipeline_state(p.state, c.total, c.running, c.waiting, c.failed, c.cancelled) "
    "    AS next "
    "  FROM job JOIN pipelines p ON p.id = job.pipeline_id, LATERAL (SELECT count(*) AS total, "
    "    count(*) FILTER (WHERE s.state = 'running') AS running, "
    "    count(*) FILTER (WHERE s.state IN ('queued', 'blocked')) AS waiting, "
    "    count(*) FILTER (WHERE s.state IN ('failed', 'timed_out', 'error')) AS failed, "
    "    count(*) FILTER (WHERE s.state = 'cancelled') AS cancelled, "
    "    count(*) FILTER (WHERE s.state = 'blocked') AS blocked "
    "    FROM (SELECT o.state FROM jobs o WHERE o.pipeline_id = job.pipeline_id "
    "      AND o.id <> job.id UNION ALL SELECT job.state) s) c), "
    "moved AS (UPDATE pipelines p SET state = c.next, "
    "  started_at = coalesce(p.started_at, CASE WHEN c.next = 'running' THEN now() END), "
    "  finished_at = CASE WHEN c.next NOT IN ('pending', 'running', 'awaiting_approval') "
    "    THEN now() END "
    "  FROM counted c WHERE p.id = c.pipeline_id AND c.blocked = 0 AND c.next <> c.was "
    "  RETURNING p.id, c.was, c.next), "
    "change AS (INSERT INTO state_changes (pipeline_id, job_id, from_state, to_state, detail) "
    "  SELECT pipeline_id, job_id, from_state, to_state, detail FROM ("
    "    SELECT 1 AS ord, pipeline_id, id AS job_id, 'running' AS from_state, state AS to_state, "
    "      message AS detail FROM job "
    "    UNION ALL SELECT 2, id, NULL, was, next, '' FROM moved) s ORDER BY ord) "
    "SELECT pipeline_id, state, blocked > 0, repo_id, tier, seconds FROM counted";

}  // namespace

std::optional<ClaimedJob> claim_job(pqxx::transaction_base& tx, std::int64_t runner_id,
                                    const std::vector<std::string>& tiers,
                                    std::chrono::seconds lease, bool isolated) {
  // The pick walks jobs_claimable in its order and stops at the first free row whatever the
  // statistics say (migration 0027): the statement needs no plan settings around it, and the
  // rest of it finds rows by primary key, so its prepared plan stays right.
  auto r = tx.exec_prepared(prepared(tx, "mlgate_claim_job", kClaimSql), runner_id,
                            to_pg_array(tiers), static_cast<double>(lease.count()), isolated);
  if (r.empty()) return std::nullopt;
  const auto& row = r[0];
  ClaimedJob job;
  job.job_id = row[0].as<std::int64_t>();
  job.pipeline_id = row[1].as<std::int64_t>();
  job.attempt = row[2].as<int>();
  job.tier = row[3].as<std::string>();
  job.image = row[4].as<std::string>();
  job.command = row[5].as<std::string>();
  job.network = row[6].as<std::string>();
  job.timeout_seconds = row[7].as<std::int64_t>();
  job.resources_json = row[8].as<std::string>();
  job.env_json = row[9].as<std::string>();
  job.sha = row[10].as<std::string>();
  job.ref = row[11].as<std::string>();
  if (row[12].as<bool>()) job.fetch_ref = job.ref;
  job.repo_id = row[13].as<std::int64_t>();
  job.forge = row[14].as<std::string>();
  job.repo = row[15].as<std::string>();
  job.clone_url = row[16].as<std::string>();
  job.forge_token = row[17].as<std::string>();
  job.repeat = row[19].as<int>();
  if (row[18].as<bool>()) {
    // A fork's code (docs/security.md, "Fork pull requests"): fetched anonymously, and no network,
    // whatever was planned.
    job.forge_token.clear();
    job.network = std::string(core::kForkJobNetwork);
  }
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

namespace {

// kFinishSql's answer for a held attempt.
FinishResult finish_answer(const pqxx::row& row) {
  FinishResult out;
  out.held = true;
  out.repo_id = row[3].as<std::int64_t>();
  out.state = job_state_of(row[1]);
  out.tier = row[4].as<std::string>();
  out.seconds = get_optional<double>(row[5]);
  return out;
}

pqxx::result exec_finish(pqxx::transaction_base& tx, std::int64_t job_id, std::int64_t runner_id,
                         int attempt, const Finish& finish, bool alone) {
  // No results error: the state and message of finished_state and finished_message; with one, the
  // statement applies their rule for it (a pass becomes a failure, the error leads the message).
  const JobState state = finished_state(finish, std::nullopt);
  std::optional<int> exit_code;
  if (finish.kind == FinishKind::exited) exit_code = finish.exit_code;
  return tx.exec_prepared(prepared(tx, "mlgate_finish_job", kFinishSql), job_id, runner_id, attempt,
                          state_text(state), exit_code, finished_message(finish, std::nullopt),
                          finish.log_truncated, alone);
}

}  // namespace

FinishResult finish_job(pqxx::work& tx, std::int64_t job_id, std::int64_t runner_id, int attempt,
                        const Finish& finish) {
  auto r = exec_finish(tx, job_id, runner_id, attempt, finish, false);
  if (r.empty()) {
    FinishResult out;
    auto s = tx.exec_params("SELECT state FROM jobs WHERE id = $1", job_id);
    if (!s.empty()) out.state = job_state_of(s[0][0]);
    return out;
  }
  // Jobs are blocked only from planning on: a pipeline with none has no dependant to move, and
  // the statement moved it already.
  if (r[0][2].as<bool>()) settle_pipeline(tx, r[0][0].as<std::int64_t>());
  return finish_answer(r[0]);
}

std::optional<FinishResult> finish_job_alone(pqxx::transaction_base& tx, std::int64_t job_id,
                                             std::int64_t runner_id, int attempt,
                                             const Finish& finish) {
  auto r = exec_finish(tx, job_id, runner_id, attempt, finish, true);
  if (r.empty()) return std::nullopt;
  return finish_answer(r[0]);
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
