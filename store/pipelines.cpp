#include "store/pipelines.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "store/pq.h"
#include "store/state_text.h"

namespace mlgate::store {
namespace {

using core::JobState;
using core::PipelineState;

std::optional<std::string> non_empty(const std::string& s) {
  if (s.empty()) return std::nullopt;
  return s;
}

// Cancels the jobs `ids_sql` selects (a query returning job ids), recording each change.
int cancel_jobs(pqxx::work& tx, const pqxx::result& rows, const std::string& detail) {
  std::vector<std::int64_t> pipelines;
  for (const auto& r : rows) {
    auto job_id = r[0].as<std::int64_t>();
    auto pipeline_id = r[1].as<std::int64_t>();
    const auto from = job_state_of(r[2]);
    tx.exec_params(
        "UPDATE jobs SET state = 'cancelled', finished_at = now(), message = $2 WHERE id = $1",
        job_id, detail);
    record_state_change(tx, pipeline_id, job_id, from, JobState::cancelled, detail);
    pipelines.push_back(pipeline_id);
  }
  std::sort(pipelines.begin(), pipelines.end());
  pipelines.erase(std::unique(pipelines.begin(), pipelines.end()), pipelines.end());
  for (auto id : pipelines) {
    advance_blocked_jobs(tx, id);
    refresh_pipeline_state(tx, id);
  }
  return static_cast<int>(rows.size());
}

}  // namespace

namespace {

void insert_state_change(pqxx::work& tx, std::int64_t pipeline_id,
                         std::optional<std::int64_t> job_id, const std::optional<std::string>& from,
                         const std::string& to, const std::string& detail) {
  tx.exec_params(
      "INSERT INTO state_changes (pipeline_id, job_id, from_state, to_state, detail) "
      "VALUES ($1, $2, $3, $4, $5)",
      pipeline_id, job_id, from, to, detail);
}

template <typename State>
std::optional<std::string> optional_text(std::optional<State> s) {
  if (!s) return std::nullopt;
  return state_text(*s);
}

}  // namespace

void record_state_change(pqxx::work& tx, std::int64_t pipeline_id, std::int64_t job_id,
                         std::optional<JobState> from, JobState to, const std::string& detail) {
  insert_state_change(tx, pipeline_id, job_id, optional_text(from), state_text(to), detail);
}

void record_state_change(pqxx::work& tx, std::int64_t pipeline_id,
                         std::optional<PipelineState> from, PipelineState to,
                         const std::string& detail) {
  insert_state_change(tx, pipeline_id, std::nullopt, optional_text(from), state_text(to), detail);
}

int advance_blocked_jobs(pqxx::work& tx, std::int64_t pipeline_id) {
  int moved = 0;
  // A skipped job can block another one in turn: repeat until nothing moves (needs form a DAG
  // over at most three tiers, so this ends after a few rounds).
  for (bool again = true; again;) {
    again = false;
    auto rows = tx.exec_params(
        "SELECT b.id, "
        "  (SELECT coalesce(bool_and(n.state = 'passed'), true) FROM jobs n "
        "    WHERE n.pipeline_id = b.pipeline_id AND n.tier = ANY (b.needs)), "
        "  (SELECT string_agg(n.tier || ' ' || n.state, ', ' ORDER BY n.tier) FROM jobs n "
        "    WHERE n.pipeline_id = b.pipeline_id AND n.tier = ANY (b.needs) "
        "    AND n.state IN ('failed', 'timed_out', 'cancelled', 'error', 'skipped')), "
        "  p.state = 'awaiting_approval' "
        "FROM jobs b JOIN pipelines p ON p.id = b.pipeline_id "
        "WHERE b.pipeline_id = $1 AND b.state = 'blocked' ORDER BY b.id FOR UPDATE OF b",
        pipeline_id);
    for (const auto& r : rows) {
      auto job_id = r[0].as<std::int64_t>();
      bool all_passed = r[1].as<bool>();
      auto ended = get_optional<std::string>(r[2]);
      const bool awaiting_approval = r[3].as<bool>();
      if (ended) {
        std::string detail = "a need did not pass: " + *ended;
        tx.exec_params(
            "UPDATE jobs SET state = 'skipped', finished_at = now(), message = $2 WHERE id = $1",
            job_id, detail);
        record_state_change(tx, pipeline_id, job_id, JobState::blocked, JobState::skipped, detail);
      } else if (all_passed && !awaiting_approval) {
        tx.exec_params("UPDATE jobs SET state = 'queued', queued_at = now() WHERE id = $1", job_id);
        record_state_change(tx, pipeline_id, job_id, JobState::blocked, JobState::queued,
                            "needs passed");
        notify_jobs(tx);
      } else {
        continue;
      }
      ++moved;
      again = true;
    }
  }
  return moved;
}

int tier_priority(const std::string& tier) {
  if (tier == "functionality") return 0;
  if (tier == "validation") return 1;
  return 2;
}

std::int64_t create_pipeline(pqxx::work& tx, const NewPipeline& p) {
  auto id =
      tx.exec_params1(
            "INSERT INTO pipelines (repo_id, delivery_id, trigger, ref, branch, sha, before_sha,"
            " pr_number, commit_message, author, state, error, config, from_fork, finished_at) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::jsonb, $14,"
            " CASE WHEN $11 IN ('failed', 'error', 'passed') THEN now() END) RETURNING id",
            p.repo_id, p.delivery_row_id, p.trigger, p.ref, p.branch, p.sha,
            non_empty(p.before_sha), p.pr_number, p.commit_message, p.author, state_text(p.state),
            p.error, non_empty(p.config_json), p.from_fork)[0]
          .as<std::int64_t>();
  const bool awaiting = p.state == PipelineState::awaiting_approval;
  record_state_change(tx, id, std::nullopt, p.state,
                      p.error.value_or(awaiting ? "planned; a fork pull request: waiting for "
                                                  "approval by a maintainer"
                                                : "planned"));
  for (const auto& j : p.jobs) {
    nlohmann::json env = nlohmann::json::object();
    for (const auto& [k, v] : j.env) env[k] = v;
    const JobState state = j.needs.empty() && !awaiting ? JobState::queued : JobState::blocked;
    auto job_id =
        tx.exec_params1(
              "INSERT INTO jobs (pipeline_id, tier, priority, state, needs, image, command,"
              " timeout_seconds, resources, network, env, cancel_superseded, repeat, queued_at) "
              "VALUES ($1, $2, $3, $4, $5::text[], $6, $7, $8, $9::jsonb, $10, $11::jsonb, $12,"
              " $13, CASE WHEN $4 = 'queued' THEN now() END) RETURNING id",
              id, j.tier, tier_priority(j.tier), state_text(state), to_pg_array(j.needs), j.image,
              j.command, j.timeout_seconds, j.resources_json, j.network, env.dump(),
              j.cancel_superseded, j.repeat)[0]
            .as<std::int64_t>();
    record_state_change(tx, id, job_id, std::nullopt, state, "planned");
  }
  return id;
}

int cancel_superseded(pqxx::work& tx, std::int64_t repo_id, const std::string& trigger,
                      const std::string& branch, std::optional<std::int64_t> pr_number,
                      std::int64_t newer_pipeline_id) {
  // From the open jobs (a few, jobs_open_pipeline) to their pipelines, never from every older
  // pipeline of the branch to its jobs: the cost stays flat however many pipelines there were.
  auto rows = tx.exec_params(
      "WITH open AS MATERIALIZED (SELECT id FROM jobs WHERE state IN ('queued', 'blocked')) "
      "SELECT j.id, j.pipeline_id, j.state FROM open o JOIN jobs j ON j.id = o.id "
      "JOIN pipelines p ON p.id = j.pipeline_id "
      "WHERE p.repo_id = $1 AND p.id < $2 AND p.trigger = $3 "
      "AND (j.cancel_superseded OR p.state = 'awaiting_approval') "
      "AND j.state IN ('queued', 'blocked') "
      "AND (CASE WHEN $3 = 'pull_request' THEN p.pr_number = $5 ELSE p.branch = $4 END) "
      "ORDER BY j.id FOR UPDATE OF j",
      repo_id, newer_pipeline_id, trigger, branch, pr_number);
  return cancel_jobs(tx, rows, "superseded by pipeline " + std::to_string(newer_pipeline_id));
}

int cancel_pull_request_jobs(pqxx::work& tx, std::int64_t repo_id, std::int64_t pr_number) {
  auto rows = tx.exec_params(
      "SELECT j.id, j.pipeline_id, j.state FROM jobs j JOIN pipelines p ON p.id = j.pipeline_id "
      "WHERE p.repo_id = $1 AND p.trigger = 'pull_request' AND p.pr_number = $2 "
      "AND j.state IN ('queued', 'blocked') ORDER BY j.id FOR UPDATE OF j",
      repo_id, pr_number);
  return cancel_jobs(tx, rows, "pull request " + std::to_string(pr_number) + " closed");
}

PipelineState next_pipeline_state(const PipelineCounts& c) {
  const PipelineState current = c.current;
  if (current == PipelineState::error || c.total == 0) return current;
  if (c.running > 0) return PipelineState::running;
  if (c.waiting > 0 && current == PipelineState::awaiting_approval)
    return current;  // nothing runs before the approval (approve_pipeline moves it on)
  if (c.waiting > 0) {
    // Some jobs ran already: the pipeline is under way.
    return (current == PipelineState::running || c.failed + c.cancelled > 0)
               ? PipelineState::running
               : PipelineState::pending;
  }
  if (c.failed > 0) return PipelineState::failed;
  if (c.cancelled > 0) return PipelineState::cancelled;
  return PipelineState::passed;
}

const char* const kPipelineCounts =
    "SELECT p.id, p.state, count(j.*), "
    "count(*) FILTER (WHERE j.state = 'running'), "
    "count(*) FILTER (WHERE j.state IN ('queued', 'blocked')), "
    "count(*) FILTER (WHERE j.state IN ('failed', 'timed_out', 'error')), "
    "count(*) FILTER (WHERE j.state = 'cancelled') "
    "FROM pipelines p LEFT JOIN jobs j ON j.pipeline_id = p.id ";

PipelineCounts pipeline_counts_of(const pqxx::row& r) {
  return {pipeline_state_of(r[1]), r[2].as<long>(), r[3].as<long>(),
          r[4].as<long>(),         r[5].as<long>(), r[6].as<long>()};
}

PipelineState refresh_pipeline_state(pqxx::work& tx, std::int64_t pipeline_id) {
  auto r = tx.exec_params1(std::string(kPipelineCounts) + "WHERE p.id = $1 GROUP BY p.id, p.state",
                           pipeline_id);
  const PipelineCounts counts = pipeline_counts_of(r);
  const PipelineState next = next_pipeline_state(counts);
  if (next != counts.current) {
    const bool finished = core::is_finished(next);
    tx.exec_params(
        "UPDATE pipelines SET state = $2, "
        "started_at = coalesce(started_at, CASE WHEN $2 = 'running' THEN now() END), "
        "finished_at = CASE WHEN $3 THEN now() END WHERE id = $1",
        pipeline_id, state_text(next), finished);
    record_state_change(tx, pipeline_id, counts.current, next, "");
  }
  return next;
}

Approval approve_pipeline(pqxx::work& tx, std::int64_t pipeline_id, const std::string& actor) {
  Approval out;
  auto r = tx.exec_params("SELECT repo_id, sha, state FROM pipelines WHERE id = $1 FOR UPDATE",
                          pipeline_id);
  if (r.empty()) return out;
  out.found = true;
  out.repo_id = r[0][0].as<std::int64_t>();
  out.sha = r[0][1].as<std::string>();
  out.state = pipeline_state_of(r[0][2]);
  if (out.state != PipelineState::awaiting_approval) return out;
  tx.exec_params(
      "UPDATE pipelines SET state = 'pending', approved_by = $2, approved_at = now() "
      "WHERE id = $1",
      pipeline_id, actor);
  record_state_change(tx, pipeline_id, PipelineState::awaiting_approval, PipelineState::pending,
                      "approved by " + actor);
  advance_blocked_jobs(tx, pipeline_id);
  out.state = refresh_pipeline_state(tx, pipeline_id);
  out.approved = true;
  notify_jobs(tx);
  return out;
}

bool commit_only_from_forks(pqxx::transaction_base& tx, std::int64_t repo_id,
                            const std::string& sha) {
  return tx
      .exec_prepared1(prepared(tx, "commit_only_from_forks",
                               "SELECT coalesce(bool_and(from_fork), false) FROM pipelines "
                               "WHERE repo_id = $1 AND sha = $2"),
                      repo_id, sha)[0]
      .as<bool>();
}

bool commit_known_from_repository(pqxx::transaction_base& tx, std::int64_t repo_id,
                                  const std::string& sha) {
  return tx
      .exec_params1(
          "SELECT EXISTS (SELECT 1 FROM pipelines WHERE repo_id = $1 AND sha = $2 AND NOT "
          "from_fork)",
          repo_id, sha)[0]
      .as<bool>();
}

void notify_jobs(pqxx::work& tx) {
  tx.exec(std::string("NOTIFY ") + kJobsChannel);
}

void quiet_change_notifications(pqxx::work& tx) {
  tx.exec("SELECT set_config('mlgate.quiet_changes', 'on', true)");
}

void notify_changes(pqxx::work& tx, const std::vector<std::string>& topics) {
  if (topics.empty()) return;
  tx.exec_params("SELECT pg_notify('mlgate_changes', t) FROM unnest($1::text[]) AS t",
                 to_pg_array(topics));
}

}  // namespace mlgate::store
