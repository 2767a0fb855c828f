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

// Ends the running attempts in `rows` (id, pipeline_id, attempt, max_attempts, runner_id,
// cancel_requested, message): a job whose cancel was requested ends cancelled (its runner was lost
// before it stopped it: the cancel stands, the job does not run again); any other is queued again,
// or fails with "runner lost" once it has used up its attempts. What a requeued
// job's lost attempt uploaded is deleted with it, so that the next attempt starts without it (an
// upload of the lost attempt after this commits finds its attempt not held and stores nothing).
int requeue_lost(pqxx::work& tx, const pqxx::result& rows, const std::string& why) {
  std::vector<std::int64_t> pipelines;
  std::vector<std::string> requeued;
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
    if (r[5].as<bool>()) {
      const auto reason = get_optional<std::string>(r[6]).value_or("");
      std::string msg = (reason.empty() ? std::string("cancelled") : reason) +
                        "; runner lost: " + why + on + " before it stopped the job";
      tx.exec_params(
          "UPDATE jobs SET state = 'cancelled', lease_expires_at = NULL, finished_at = now(), "
          "message = $2 WHERE id = $1",
          job_id, msg);
      record_state_change(tx, pipeline_id, job_id, JobState::running, JobState::cancelled, msg);
    } else if (attempt >= max_attempts) {
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
      requeued.push_back(std::to_string(job_id));
    }
    pipelines.push_back(pipeline_id);
  }
  if (!requeued.empty()) {
    const auto ids = to_pg_array(requeued);
    for (const char* table : {"test_cases", "metrics", "predictions"}) {
      tx.exec_params(std::string("DELETE FROM ") + table + " WHERE job_id = ANY ($1::bigint[])",
                     ids);
    }
  }
  std::sort(pipelines.begin(), pipelines.end());
  pipelines.erase(std::unique(pipelines.begin(), pipelines.end()), pipelines.end());
  for (auto id : pipelines) settle_pipeline(tx, id);
  if (!rows.empty()) notify_jobs(tx);
  return static_cast<int>(rows.size());
}

// One prepared statement, one round trip, for a group of claims: the picks (mlgate_claim_picks:
// each runner checked and its job picked in the group's order, SKIP LOCKED, planned without bitmap
// scans; mlgate.quiet_changes set before any write), each attempt started (what an earlier lost
// attempt uploaded was deleted when it was queued again: requeue_lost), the attempts recorded, the
// state changes (the jobs' first, then the pipelines' that start running), and the pipelines' and
// repositories' fields. A pipeline moves to running unless it is in error (refresh_pipeline_state's
// rule for a running job); its row lock makes a concurrent claim in the same pipeline see it
// running already. $1 the runners, $2 their leases in seconds, $3 their tiers (comma-separated), $4
// whether each may run a fork's code.
constexpr const char* kClaimSql =
    "WITH input AS (SELECT runner_id, lease, slot::integer AS slot "
    "  FROM unnest($1::bigint[], $2::float8[]) WITH ORDINALITY AS i(runner_id, lease, slot)), "
    "next AS (SELECT n.slot, n.job_id, i.runner_id, i.lease "
    "  FROM mlgate_claim_picks($1::bigint[], $3::text[], $4::boolean[]) n "
    "  JOIN input i ON i.slot = n.slot), "
    "claimed AS (UPDATE jobs j SET state = 'running', runner_id = next.runner_id, "
    "  attempt = j.attempt + 1, "
    "  lease_expires_at = now() + make_interval(secs => next.lease), started_at = now(), "
    "  log_bytes = 0, log_truncated = false, exit_code = NULL, message = NULL, "
    "  results_error = NULL, results_files = '{}' "
    "  FROM next WHERE j.id = next.job_id "
    "  RETURNING j.id, j.pipeline_id, j.attempt, j.tier, j.image, j.command, j.network, "
    "    j.timeout_seconds, j.resources::text AS resources, j.env::text AS env, j.repeat, "
    "    next.slot, next.runner_id), "
    "info AS (SELECT c.*, p.sha, p.ref, p.pr_number IS NOT NULL AS is_pr, r.id AS repo_id, "
    "  r.forge, r.full_name, r.clone_url, coalesce(r.forge_token, '') AS token, p.from_fork "
    "  FROM claimed c JOIN pipelines p ON p.id = c.pipeline_id JOIN repos r ON r.id = p.repo_id), "
    "attempt_row AS (INSERT INTO job_attempts (job_id, attempt, runner_id) "
    "  SELECT id, attempt, runner_id FROM claimed ORDER BY slot), "
    "pipeline AS (UPDATE pipelines p SET state = 'running', "
    "  started_at = coalesce(p.started_at, now()), finished_at = NULL "
    "  FROM (SELECT DISTINCT pipeline_id FROM claimed ORDER BY pipeline_id) c "
    "  WHERE p.id = c.pipeline_id AND p.state NOT IN ('running', 'error') "
    "  RETURNING p.id, (SELECT state FROM pipelines o WHERE o.id = p.id) AS was), "
    "changes AS (INSERT INTO state_changes (pipeline_id, job_id, from_state, to_state, detail) "
    "  SELECT pipeline_id, job_id, from_state, to_state, detail FROM ("
    "    SELECT 1 AS ord, slot::bigint AS sub, pipeline_id, id AS job_id, 'queued' AS from_state, "
    "      'running' AS to_state, 'attempt ' || attempt || ' on runner ' || runner_id AS detail "
    "    FROM claimed "
    "    UNION ALL SELECT 2, id, id, NULL, was, 'running', '' FROM pipeline) s ORDER BY ord, sub) "
    "SELECT id, pipeline_id, attempt, tier, image, command, network, timeout_seconds, resources, "
    "  env, sha, ref, is_pr, repo_id, forge, full_name, clone_url, token, from_fork, repeat, slot "
    "FROM info";

// One prepared statement for the ends of a group of attempts: each job (when its runner still
// holds that attempt), its attempt row, and, for each pipeline without a blocked job, its move
// (mlgate_next_pipeline_state over its job counts: the group's jobs with their new states, the
// others as the statement sees them), with the state changes of the jobs, then of the pipelines.
// It answers, per job ended, its position in the group, the pipeline, the job's state, whether
// blocked jobs may move now (then the caller settles the pipeline), the repository, and the job's
// tier and run time for the metrics. Arrays of the group: $1 jobs, $2 runners, $3 attempts, $4 the
// states without a results error, $5 exit codes ('' for none), $6 messages, $7 whether the runner
// cut the log. With $8 a job whose pipeline has blocked jobs is left as it is (not answered).
// The jobs are found by primary key (j.id = ANY ($1)): joined to the unnested input alone, the
// generic plan read every running job through jobs_running_lease, dead entries included, and
// hashed them.
constexpr const char* kFinishSql =
    "WITH input AS (SELECT job_id, runner_id, attempt, state, "
    "    nullif(exit_code, '')::integer AS exit_code, message, log_truncated, slot::integer AS "
    "slot "
    "  FROM unnest($1::bigint[], $2::bigint[], $3::integer[], $4::text[], $5::text[], $6::text[], "
    "    $7::boolean[]) WITH ORDINALITY "
    "    AS i(job_id, runner_id, attempt, state, exit_code, message, log_truncated, slot)), "
    "job AS (UPDATE jobs j SET "
    "  state = CASE WHEN i.state = 'passed' AND j.results_error IS NOT NULL THEN 'failed' "
    "    ELSE i.state END, "
    "  message = CASE WHEN j.results_error IS NULL THEN i.message WHEN i.message = '' "
    "    THEN j.results_error ELSE j.results_error || '; ' || i.message END, "
    "  exit_code = i.exit_code, finished_at = now(), lease_expires_at = NULL, "
    "  log_truncated = j.log_truncated OR i.log_truncated "
    "  FROM input i "
    "  WHERE j.id = ANY ($1::bigint[]) AND j.id = i.job_id AND j.state = 'running' "
    "    AND j.runner_id = i.runner_id AND j.attempt = i.attempt "
    "    AND (SELECT set_config('mlgate.quiet_changes', 'on', true)) = 'on' "
    "    AND NOT ($8::boolean AND EXISTS (SELECT 1 FROM jobs b "
    "      WHERE b.pipeline_id = j.pipeline_id AND b.state = 'blocked')) "
    "  RETURNING j.id, j.pipeline_id, j.state, j.message, j.tier, j.attempt, i.slot, "
    "    extract(epoch FROM j.finished_at - j.started_at)::float8 AS seconds), "
    "ended AS (UPDATE job_attempts a SET ended_at = now(), outcome = job.state FROM job "
    "  WHERE a.job_id = job.id AND a.attempt = job.attempt), "
    "counted AS (SELECT p.id AS pipeline_id, p.repo_id, p.state AS was, c.blocked, "
    "  mlgate_next_pipeline_state(p.state, c.total, c.running, c.waiting, c.failed, c.cancelled) "
    "    AS next "
    "  FROM pipelines p, LATERAL (SELECT count(*) AS total, "
    "    count(*) FILTER (WHERE s.state = 'running') AS running, "
    "    count(*) FILTER (WHERE s.state IN ('queued', 'blocked')) AS waiting, "
    "    count(*) FILTER (WHERE s.state IN ('failed', 'timed_out', 'error')) AS failed, "
    "    count(*) FILTER (WHERE s.state = 'cancelled') AS cancelled, "
    "    count(*) FILTER (WHERE s.state = 'blocked') AS blocked "
    "    FROM (SELECT o.state FROM jobs o WHERE o.pipeline_id = p.id "
    "      AND NOT EXISTS (SELECT 1 FROM job d WHERE d.id = o.id) "
    "      UNION ALL SELECT d.state FROM job d WHERE d.pipeline_id = p.id) s) c "
    "  WHERE p.id IN (SELECT pipeline_id FROM job)), "
    "moved AS (UPDATE pipelines p SET state = c.next, "
    "  started_at = coalesce(p.started_at, CASE WHEN c.next = 'running' THEN now() END), "
    "  finished_at = CASE WHEN c.next NOT IN ('pending', 'running', 'awaiting_approval') "
    "    THEN now() END "
    "  FROM counted c WHERE p.id = c.pipeline_id AND c.blocked = 0 AND c.next <> c.was "
    "  RETURNING p.id, c.was, c.next), "
    "change AS (INSERT INTO state_changes (pipeline_id, job_id, from_state, to_state, detail) "
    "  SELECT pipeline_id, job_id, from_state, to_state, detail FROM ("
    "    SELECT 1 AS ord, slot::bigint AS sub, pipeline_id, id AS job_id, "
    "      'running' AS from_state, state AS to_state, message AS detail FROM job "
    "    UNION ALL SELECT 2, id, id, NULL, was, next, '' FROM moved) s ORDER BY ord, sub) "
    "SELECT job.slot, job.pipeline_id, job.state, c.blocked > 0, c.repo_id, job.tier, job.seconds "
    "FROM job JOIN counted c ON c.pipeline_id = job.pipeline_id";

}  // namespace

namespace {

// kClaimSql's row for one claimed job.
ClaimedJob claimed_of(const pqxx::row& row) {
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

// Each item of `items` as text, for to_pg_array (a number or a boolean reads back from its text).
template <typename T, typename F>
std::string pg_array_of(const std::vector<T>& items, F&& text_of) {
  std::vector<std::string> texts;
  texts.reserve(items.size());
  for (const auto& item : items) texts.push_back(text_of(item));
  return to_pg_array(texts);
}

std::string joined(const std::vector<std::string>& items, char sep) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += sep;
    out += item;
  }
  return out;
}

}  // namespace

std::vector<std::optional<ClaimedJob>> claim_jobs(pqxx::transaction_base& tx,
                                                  const std::vector<ClaimRequest>& requests) {
  std::vector<std::optional<ClaimedJob>> out(requests.size());
  if (requests.empty()) return out;
  // The picks walk jobs_claimable in its order and stop at the first free row whatever the
  // statistics say (migration 0029): the statement needs no plan settings around it, and the
  // rest of it finds rows by primary key, so its prepared plan stays right.
  auto r = tx.exec_prepared(
      prepared(tx, "mlgate_claim_jobs", kClaimSql),
      pg_array_of(requests, [](const ClaimRequest& c) { return std::to_string(c.runner_id); }),
      pg_array_of(requests, [](const ClaimRequest& c) { return std::to_string(c.lease.count()); }),
      pg_array_of(requests, [](const ClaimRequest& c) { return joined(c.tiers, ','); }),
      pg_array_of(requests, [](const ClaimRequest& c) { return c.isolated ? "t" : "f"; }));
  for (const auto& row : r) {
    const auto slot = row[20].as<std::size_t>();
    if (slot >= 1 && slot <= out.size()) out[slot - 1] = claimed_of(row);
  }
  return out;
}

std::optional<ClaimedJob> claim_job(pqxx::transaction_base& tx, std::int64_t runner_id,
                                    const std::vector<std::string>& tiers,
                                    std::chrono::seconds lease, bool isolated) {
  return claim_jobs(tx, {ClaimRequest{runner_id, tiers, lease, isolated}}).front();
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
  out.state = job_state_of(row[2]);
  out.repo_id = row[4].as<std::int64_t>();
  out.tier = row[5].as<std::string>();
  out.seconds = get_optional<double>(row[6]);
  return out;
}

pqxx::result exec_finish(pqxx::transaction_base& tx, const std::vector<FinishRequest>& requests,
                         bool alone) {
  // No results error: the state and message of finished_state and finished_message; with one, the
  // statement applies their rule for it (a pass becomes a failure, the error leads the message).
  using R = FinishRequest;
  return tx.exec_prepared(
      prepared(tx, "mlgate_finish_jobs", kFinishSql),
      pg_array_of(requests, [](const R& f) { return std::to_string(f.job_id); }),
      pg_array_of(requests, [](const R& f) { return std::to_string(f.runner_id); }),
      pg_array_of(requests, [](const R& f) { return std::to_string(f.attempt); }),
      pg_array_of(requests,
                  [](const R& f) { return state_text(finished_state(f.finish, std::nullopt)); }),
      pg_array_of(requests,
                  [](const R& f) {
                    return f.finish.kind == FinishKind::exited ? std::to_string(f.finish.exit_code)
                                                               : std::string();
                  }),
      pg_array_of(requests, [](const R& f) { return finished_message(f.finish, std::nullopt); }),
      pg_array_of(requests, [](const R& f) { return f.finish.log_truncated ? "t" : "f"; }), alone);
}

// Locks the rows of the pipelines of `job_ids`, in id order, until the transaction ends. Without
// it, two statements ending the last two running jobs of one pipeline at once would each count the
// other's job as running (each sees the database as it was at its start) and neither would end
// the pipeline; with it, the second waits for the first's commit and its statement counts after
// it. FOR NO KEY UPDATE: rows that only reference the pipeline (state changes, new jobs) are not
// held up.
void lock_pipelines_of(pqxx::work& tx, const std::vector<std::int64_t>& job_ids) {
  tx.exec_prepared(prepared(tx, "mlgate_lock_finish_pipelines",
                            "SELECT p.id FROM pipelines p WHERE p.id IN (SELECT j.pipeline_id "
                            "FROM jobs j WHERE j.id = ANY ($1::bigint[])) "
                            "ORDER BY p.id FOR NO KEY UPDATE OF p"),
                   pg_array_of(job_ids, [](std::int64_t id) { return std::to_string(id); }));
}

// The row of `r` answering position `slot` (1-based) of the group, if any.
std::optional<pqxx::row> row_of_slot(const pqxx::result& r, std::size_t slot) {
  for (const auto& row : r) {
    if (row[0].as<std::size_t>() == slot) return pqxx::row(row);
  }
  return std::nullopt;
}

}  // namespace

FinishResult finish_job(pqxx::work& tx, std::int64_t job_id, std::int64_t runner_id, int attempt,
                        const Finish& finish) {
  lock_pipelines_of(tx, {job_id});
  auto r = exec_finish(tx, {FinishRequest{job_id, runner_id, attempt, finish}}, false);
  if (r.empty()) {
    FinishResult out;
    auto s = tx.exec_params("SELECT state FROM jobs WHERE id = $1", job_id);
    if (!s.empty()) out.state = job_state_of(s[0][0]);
    return out;
  }
  // Jobs are blocked only from planning on: a pipeline with none has no dependant to move, and
  // the statement moved it already.
  if (r[0][3].as<bool>()) settle_pipeline(tx, r[0][1].as<std::int64_t>());
  return finish_answer(r[0]);
}

std::vector<std::optional<FinishResult>> finish_jobs_alone(
    pqxx::work& tx, const std::vector<FinishRequest>& requests) {
  std::vector<std::optional<FinishResult>> out(requests.size());
  if (requests.empty()) return out;
  std::vector<std::int64_t> jobs;
  for (const auto& f : requests) jobs.push_back(f.job_id);
  // PostgreSQL's plan_cache_mode=auto planned the lock and the finish anew on every execution
  // (pg_prepared_statements: 0 generic plans of 10 on a queue of 20,000 jobs): a generic plan's
  // estimate for arrays of unknown length looks costlier than one planned for the group's values.
  // Both find their rows by primary key whatever the values, so the generic plan is right, and
  // planning the finish was most of PostgreSQL's planning time in the claims benchmark.
  tx.exec("SET LOCAL plan_cache_mode = force_generic_plan");
  lock_pipelines_of(tx, jobs);
  auto r = exec_finish(tx, requests, true);
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (auto row = row_of_slot(r, i + 1)) out[i] = finish_answer(*row);
  }
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
      "SELECT id, pipeline_id, attempt, max_attempts, runner_id, cancel_requested, message "
      "FROM jobs WHERE state = 'running' AND lease_expires_at < now() "
      "ORDER BY id FOR UPDATE SKIP LOCKED");
  return requeue_lost(tx, rows, "lease expired");
}

int release_runner_jobs(pqxx::work& tx, std::int64_t runner_id, const std::string& why) {
  auto rows = tx.exec_params(
      "SELECT id, pipeline_id, attempt, max_attempts, runner_id, cancel_requested, message "
      "FROM jobs WHERE state = 'running' AND runner_id = $1 ORDER BY id FOR UPDATE",
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
