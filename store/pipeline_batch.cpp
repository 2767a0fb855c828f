#include "store/pipeline_batch.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "store/pq.h"
#include "store/state_text.h"

namespace mlgate::store {
namespace {

using core::JobState;
using core::PipelineState;
using nlohmann::json;

json optional_json(const std::optional<std::string>& s) {
  return s ? json(*s) : json();
}

// `pipelines` and `jobs` fresh ids, each ascending, in one round trip.
std::pair<std::vector<std::int64_t>, std::vector<std::int64_t>> next_ids(pqxx::work& tx,
                                                                         std::size_t pipelines,
                                                                         std::size_t jobs) {
  std::pair<std::vector<std::int64_t>, std::vector<std::int64_t>> out;
  for (const auto& r :
       tx.exec_prepared(prepared(tx, "batch_next_ids",
                                 "SELECT false, nextval('pipelines_id_seq') FROM generate_series("
                                 "1, $1) UNION ALL SELECT true, nextval('jobs_id_seq') FROM "
                                 "generate_series(1, $2)"),
                        static_cast<long>(pipelines), static_cast<long>(jobs)))
    (r[0].as<bool>() ? out.second : out.first).push_back(r[1].as<std::int64_t>());
  std::sort(out.first.begin(), out.first.end());
  std::sort(out.second.begin(), out.second.end());
  return out;
}

json pipeline_record(std::int64_t id, const NewPipeline& p) {
  return {{"id", id},
          {"repo_id", p.repo_id},
          {"delivery_id", p.delivery_row_id ? json(*p.delivery_row_id) : json()},
          {"trigger", p.trigger},
          {"ref", p.ref},
          {"branch", p.branch},
          {"sha", p.sha},
          {"before_sha", p.before_sha.empty() ? json() : json(p.before_sha)},
          {"pr_number", p.pr_number ? json(*p.pr_number) : json()},
          {"commit_message", p.commit_message},
          {"author", p.author},
          {"state", state_text(p.state)},
          {"error", optional_json(p.error)},
          {"config", p.config_json.empty() ? json() : json(p.config_json)},
          {"from_fork", p.from_fork}};
}

json job_record(std::int64_t id, std::int64_t pipeline_id, const NewJob& j, JobState state) {
  json env = json::object();
  for (const auto& [k, v] : j.env) env[k] = v;
  return {{"id", id},
          {"pipeline_id", pipeline_id},
          {"tier", j.tier},
          {"priority", tier_priority(j.tier)},
          {"state", state_text(state)},
          {"needs", j.needs},
          {"image", j.image},
          {"command", j.command},
          {"timeout_seconds", j.timeout_seconds},
          {"resources", j.resources_json},
          {"network", j.network},
          {"env", env.dump()},
          {"cancel_superseded", j.cancel_superseded},
          {"repeat", j.repeat}};
}

std::string pipeline_detail(const NewPipeline& p) {
  if (p.error) return *p.error;
  return p.state == PipelineState::awaiting_approval
             ? "planned; a fork pull request: waiting for approval by a maintainer"
             : "planned";
}

// A parameter's text: invalid UTF-8 in a commit message or an env value is replaced, not thrown.
std::string dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

// A bigint[] literal for an array parameter.
std::string bigint_array(const std::vector<std::int64_t>& ids) {
  std::string out = "{";
  for (std::size_t i = 0; i < ids.size(); ++i) out += (i ? "," : "") + std::to_string(ids[i]);
  return out + "}";
}

// The batch's statements, each prepared once per connection (store::prepared).
constexpr const char* kInsertPipelines =
    "INSERT INTO pipelines (id, repo_id, delivery_id, trigger, ref, branch, sha, before_sha, "
    "pr_number, commit_message, author, state, error, config, from_fork, finished_at) "
    "SELECT id, repo_id, delivery_id, trigger, ref, branch, sha, before_sha, pr_number, "
    "commit_message, author, state, error, config::jsonb, from_fork, "
    "CASE WHEN state IN ('failed', 'error', 'passed') THEN now() END "
    "FROM jsonb_to_recordset($1::jsonb) AS x(id bigint, repo_id bigint, delivery_id bigint, "
    "trigger text, ref text, branch text, sha text, before_sha text, pr_number bigint, "
    "commit_message text, author text, state text, error text, config text, from_fork boolean) "
    "ORDER BY id";
constexpr const char* kInsertJobs =
    "INSERT INTO jobs (id, pipeline_id, tier, priority, state, needs, image, command, "
    "timeout_seconds, resources, network, env, cancel_superseded, repeat, queued_at) "
    "SELECT id, pipeline_id, tier, priority, state, needs, image, command, timeout_seconds, "
    "resources::jsonb, network, env::jsonb, cancel_superseded, repeat, "
    "CASE WHEN state = 'queued' THEN now() END "
    "FROM jsonb_to_recordset($1::jsonb) AS x(id bigint, pipeline_id bigint, tier text, "
    "priority smallint, state text, needs text[], image text, command text, "
    "timeout_seconds integer, resources text, network text, env text, "
    "cancel_superseded boolean, repeat integer) ORDER BY id";
constexpr const char* kInsertStateChanges =
    "INSERT INTO state_changes (pipeline_id, job_id, from_state, to_state, detail) "
    "SELECT pipeline_id, job_id, NULL, to_state, detail FROM jsonb_to_recordset($1::jsonb) "
    "AS x(n integer, pipeline_id bigint, job_id bigint, to_state text, detail text) ORDER BY n";

// Inserts the three record sets (pipelines, jobs, state changes) in three statements.
void insert_records(pqxx::work& tx, const json& pipelines, const json& jobs, const json& changes) {
  tx.exec_prepared(prepared(tx, "batch_insert_pipelines", kInsertPipelines), dump(pipelines));
  if (!jobs.empty()) tx.exec_prepared(prepared(tx, "batch_insert_jobs", kInsertJobs), dump(jobs));
  tx.exec_prepared(prepared(tx, "batch_insert_state_changes", kInsertStateChanges), dump(changes));
}

// Cancels every job the newer pipelines ($2) supersede and records those changes; returns each
// cancelled job's pipeline and the pipeline that superseded it.
constexpr const char* kCancelSuperseded =
    "WITH newer AS (SELECT * FROM jsonb_to_recordset($2::jsonb) "
    "  AS x(id bigint, trigger text, branch text, pr_number bigint)), "
    "open AS MATERIALIZED (SELECT id FROM jobs WHERE state IN ('queued', 'blocked')), "
    "victims AS (SELECT j.id, j.pipeline_id, j.state, s.by FROM open o "
    "  JOIN jobs j ON j.id = o.id JOIN pipelines p ON p.id = j.pipeline_id "
    "  CROSS JOIN LATERAL (SELECT min(n.id) AS by FROM newer n WHERE n.id > p.id "
    "    AND n.trigger = p.trigger AND (CASE WHEN n.trigger = 'pull_request' "
    "    THEN p.pr_number = n.pr_number ELSE p.branch = n.branch END)) s "
    "  WHERE p.repo_id = $1 AND s.by IS NOT NULL "
    "  AND (j.cancel_superseded OR p.state = 'awaiting_approval') "
    "  AND j.state IN ('queued', 'blocked') ORDER BY j.id FOR UPDATE OF j), "
    "done AS (UPDATE jobs SET state = 'cancelled', finished_at = now(), "
    "  message = 'superseded by pipeline ' || v.by FROM victims v WHERE jobs.id = v.id "
    "  RETURNING jobs.id, jobs.pipeline_id, v.state AS from_state, v.by), "
    "changes AS (INSERT INTO state_changes (pipeline_id, job_id, from_state, to_state, detail) "
    "  SELECT pipeline_id, id, from_state, 'cancelled', 'superseded by pipeline ' || by "
    "  FROM done ORDER BY id) "
    "SELECT pipeline_id, by FROM done ORDER BY id";

// Moves the pipelines ($1: id, from, to, finished) and records those changes.
constexpr const char* kMovePipelines =
    "WITH m AS (SELECT * FROM jsonb_to_recordset($1::jsonb) "
    "  AS x(id bigint, \"from\" text, \"to\" text, finished boolean)), "
    "moved AS (UPDATE pipelines p SET state = m.\"to\", "
    "  started_at = coalesce(started_at, CASE WHEN m.\"to\" = 'running' THEN now() END), "
    "  finished_at = CASE WHEN m.finished THEN now() END FROM m WHERE p.id = m.id RETURNING "
    "p.id) "
    "INSERT INTO state_changes (pipeline_id, job_id, from_state, to_state, detail) "
    "SELECT m.id, NULL, m.\"from\", m.\"to\", '' FROM m JOIN moved USING (id) ORDER BY m.id";

}  // namespace

std::vector<std::int64_t> create_pipelines(pqxx::work& tx,
                                           const std::vector<const NewPipeline*>& pipelines) {
  if (pipelines.empty()) return {};
  std::size_t job_count = 0;
  for (const auto* p : pipelines) job_count += p->jobs.size();
  const auto [pipeline_ids, job_ids] = next_ids(tx, pipelines.size(), job_count);
  json pipeline_rows = json::array(), job_rows = json::array(), changes = json::array();
  std::size_t next_job = 0;
  for (std::size_t i = 0; i < pipelines.size(); ++i) {
    const NewPipeline& p = *pipelines[i];
    const std::int64_t id = pipeline_ids[i];
    pipeline_rows.push_back(pipeline_record(id, p));
    changes.push_back({{"n", changes.size()},
                       {"pipeline_id", id},
                       {"job_id", nullptr},
                       {"to_state", state_text(p.state)},
                       {"detail", pipeline_detail(p)}});
    const bool awaiting = p.state == PipelineState::awaiting_approval;
    for (const auto& j : p.jobs) {
      const JobState state = j.needs.empty() && !awaiting ? JobState::queued : JobState::blocked;
      const std::int64_t job_id = job_ids[next_job++];
      job_rows.push_back(job_record(job_id, id, j, state));
      changes.push_back({{"n", changes.size()},
                         {"pipeline_id", id},
                         {"job_id", job_id},
                         {"to_state", state_text(state)},
                         {"detail", "planned"}});
    }
  }
  insert_records(tx, pipeline_rows, job_rows, changes);
  return pipeline_ids;
}

std::map<std::int64_t, int> cancel_superseded_by(pqxx::work& tx, std::int64_t repo_id,
                                                 const std::vector<Superseding>& newer) {
  std::map<std::int64_t, int> out;
  if (newer.empty()) return out;
  json rows = json::array();
  for (const auto& n : newer)
    rows.push_back({{"id", n.pipeline_id},
                    {"trigger", n.trigger},
                    {"branch", n.branch},
                    {"pr_number", n.pr_number ? json(*n.pr_number) : json()}});
  // From the open jobs (a few, jobs_open_pipeline) to their pipelines, as cancel_superseded; each
  // job goes to the first newer pipeline of its branch (or pull request), as one by one would.
  const auto cancelled = tx.exec_prepared(
      prepared(tx, "batch_cancel_superseded", kCancelSuperseded), repo_id, dump(rows));
  if (cancelled.empty()) return out;
  std::set<std::int64_t> pipelines;
  for (const auto& r : cancelled) {
    pipelines.insert(r[0].as<std::int64_t>());
    ++out[r[1].as<std::int64_t>()];
  }
  // As cancel_superseded: blocked jobs of those pipelines move on, then the pipelines' states.
  std::vector<std::int64_t> ids(pipelines.begin(), pipelines.end());
  for (const auto& r :
       tx.exec_prepared(prepared(tx, "batch_blocked_pipelines",
                                 "SELECT DISTINCT pipeline_id FROM jobs WHERE pipeline_id = "
                                 "ANY ($1::bigint[]) AND state = 'blocked' ORDER BY 1"),
                        bigint_array(ids)))
    advance_blocked_jobs(tx, r[0].as<std::int64_t>());
  refresh_pipeline_states(tx, ids);
  return out;
}

void refresh_pipeline_states(pqxx::work& tx, const std::vector<std::int64_t>& pipeline_ids) {
  if (pipeline_ids.empty()) return;
  json moves = json::array();
  static const std::string counts_sql = std::string(kPipelineCounts) +
                                        "WHERE p.id = ANY ($1::bigint[]) GROUP BY p.id, p.state "
                                        "ORDER BY p.id";
  for (const auto& r : tx.exec_prepared(prepared(tx, "batch_pipeline_counts", counts_sql),
                                        bigint_array(pipeline_ids))) {
    const PipelineCounts counts = pipeline_counts_of(r);
    const PipelineState next = next_pipeline_state(counts);
    if (next == counts.current) continue;
    moves.push_back({{"id", r[0].as<std::int64_t>()},
                     {"from", state_text(counts.current)},
                     {"to", state_text(next)},
                     {"finished", core::is_finished(next)}});
  }
  if (moves.empty()) return;
  tx.exec_prepared(prepared(tx, "batch_move_pipelines", kMovePipelines), dump(moves));
}

}  // namespace mlgate::store
