#include "store/pipeline_queries.h"

#include <algorithm>
#include <map>
#include <stdexcept>

#include "store/pq.h"
#include "store/state_text.h"

namespace mlgate::store {
namespace {

// ISO 8601 UTC of a timestamptz column, NULL stays NULL.
std::string iso(const std::string& column) {
  return "to_char(" + column + " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')";
}

std::string duration(const std::string& alias) {
  return "extract(epoch FROM coalesce(" + alias + ".finished_at, now()) - " + alias +
         ".started_at)::float8";
}

const std::string kPipelineColumns =
    "p.id, p.repo_id, r.full_name, p.trigger, p.ref, p.branch, p.sha, p.pr_number, p.state, "
    "coalesce(p.error, ''), p.commit_message, p.author, " +
    iso("p.created_at") + ", " + iso("p.started_at") + ", " + iso("p.finished_at") + ", " +
    duration("p") + ", extract(epoch FROM now() - p.created_at)::float8, p.from_fork, " +
    "coalesce(p.approved_by, ''), " + iso("p.approved_at");

PipelineStatus to_pipeline(const pqxx::row& r) {
  PipelineStatus p;
  p.id = r[0].as<std::int64_t>();
  p.repo_id = r[1].as<std::int64_t>();
  p.repo_name = r[2].as<std::string>();
  p.trigger = r[3].as<std::string>();
  p.ref = r[4].as<std::string>();
  p.branch = r[5].as<std::string>();
  p.sha = r[6].as<std::string>();
  p.pr_number = get_optional<std::int64_t>(r[7]);
  p.state = pipeline_state_of(r[8]);
  p.error = r[9].as<std::string>();
  p.commit_message = r[10].as<std::string>();
  p.author = r[11].as<std::string>();
  p.created_at = r[12].as<std::string>();
  p.started_at = get_optional<std::string>(r[13]).value_or("");
  p.finished_at = get_optional<std::string>(r[14]).value_or("");
  p.duration_seconds = get_optional<double>(r[15]);
  p.age_seconds = std::max(0.0, r[16].as<double>());
  p.from_fork = r[17].as<bool>();
  p.approved_by = r[18].as<std::string>();
  p.approved_at = get_optional<std::string>(r[19]).value_or("");
  return p;
}

// Fills the jobs of every pipeline in `pipelines` with one query.
void load_jobs(pqxx::transaction_base& tx, std::vector<PipelineStatus>& pipelines) {
  if (pipelines.empty()) return;
  std::vector<std::string> ids;
  std::map<std::int64_t, PipelineStatus*> by_id;
  for (auto& p : pipelines) {
    ids.push_back(std::to_string(p.id));
    by_id[p.id] = &p;
  }
  const std::string sql =
      "SELECT j.pipeline_id, j.id, j.tier, j.state, j.needs, j.image, j.network, "
      "j.timeout_seconds, j.attempt, j.max_attempts, j.runner_id, coalesce(ru.name, ''), " +
      iso("j.started_at") + ", " + iso("j.finished_at") + ", " + duration("j") +
      ", j.exit_code, coalesce(j.message, ''), "
      "tc.total, tc.passed, tc.failed, tc.skipped, j.command, j.repeat, "
      "count(*) OVER (PARTITION BY j.pipeline_id, j.tier) "
      "FROM jobs j LEFT JOIN runners ru ON ru.id = j.runner_id "
      "CROSS JOIN LATERAL (SELECT count(*) AS total, "
      "  count(*) FILTER (WHERE t.status = 'passed') AS passed, "
      "  count(*) FILTER (WHERE t.status IN ('failed', 'error')) AS failed, "
      "  count(*) FILTER (WHERE t.status = 'skipped') AS skipped "
      "  FROM test_cases t WHERE t.job_id = j.id) tc "
      "WHERE j.pipeline_id = ANY ($1::bigint[]) ORDER BY j.pipeline_id, j.priority, j.repeat, j.id";
  for (const auto& r : tx.exec_params(sql, to_pg_array(ids))) {
    JobStatus j;
    j.id = r[1].as<std::int64_t>();
    j.tier = r[2].as<std::string>();
    j.state = job_state_of(r[3]);
    j.needs = from_pg_array(r[4]);
    j.image = r[5].as<std::string>();
    j.network = r[6].as<std::string>();
    j.timeout_seconds = r[7].as<std::int64_t>();
    j.attempt = r[8].as<int>();
    j.max_attempts = r[9].as<int>();
    j.runner_id = get_optional<std::int64_t>(r[10]);
    j.runner_name = r[11].as<std::string>();
    j.started_at = get_optional<std::string>(r[12]).value_or("");
    j.finished_at = get_optional<std::string>(r[13]).value_or("");
    j.duration_seconds = get_optional<double>(r[14]);
    j.exit_code = get_optional<int>(r[15]);
    j.message = r[16].as<std::string>();
    j.tests.total = r[17].as<int>();
    j.tests.passed = r[18].as<int>();
    j.tests.failed = r[19].as<int>();
    j.tests.skipped = r[20].as<int>();
    j.command = r[21].as<std::string>();
    j.repeat = r[22].as<int>();
    j.repeats = r[23].as<int>();
    by_id.at(r[0].as<std::int64_t>())->jobs.push_back(std::move(j));
  }
}

}  // namespace

std::vector<PipelineStatus> list_pipeline_status(pqxx::transaction_base& tx,
                                                 const PipelineFilter& filter) {
  std::vector<PipelineStatus> out;
  for (const auto& r :
       tx.exec_params("SELECT " + kPipelineColumns +
                          " FROM pipelines p JOIN repos r ON r.id = p.repo_id "
                          "WHERE ($1::bigint IS NULL OR p.repo_id = $1) "
                          "AND ($2::text IS NULL OR p.branch = $2) ORDER BY p.id DESC LIMIT $3",
                      filter.repo_id, filter.branch, std::max(filter.limit, 0))) {
    out.push_back(to_pipeline(r));
  }
  load_jobs(tx, out);
  return out;
}

std::optional<PipelineStatus> get_pipeline_status(pqxx::transaction_base& tx, std::int64_t id) {
  auto r = tx.exec_params("SELECT " + kPipelineColumns +
                              " FROM pipelines p JOIN repos r ON r.id = p.repo_id WHERE p.id = $1",
                          id);
  if (r.empty()) return std::nullopt;
  std::vector<PipelineStatus> one{to_pipeline(r[0])};
  load_jobs(tx, one);
  return std::move(one[0]);
}

std::vector<PipelineStatus> latest_pipeline_per_branch(pqxx::transaction_base& tx,
                                                       const PipelineFilter& filter) {
  std::vector<PipelineStatus> out;
  // The pipelines_repo_branch index (repo_id, branch, id DESC) serves the DISTINCT ON.
  for (const auto& r : tx.exec_params(
           "SELECT * FROM (SELECT DISTINCT ON (p.repo_id, p.branch) " + kPipelineColumns +
               " FROM pipelines p JOIN repos r ON r.id = p.repo_id "
               "WHERE p.branch <> '' AND ($1::bigint IS NULL OR p.repo_id = $1) "
               "AND ($2::text IS NULL OR p.branch = $2) "
               "ORDER BY p.repo_id, p.branch, p.id DESC) latest ORDER BY 3, 6",
           filter.repo_id, filter.branch)) {
    out.push_back(to_pipeline(r));
  }
  load_jobs(tx, out);
  return out;
}

std::vector<FailingTest> failing_tests(pqxx::transaction_base& tx, std::int64_t pipeline_id,
                                       int limit) {
  std::vector<FailingTest> out;
  for (const auto& r :
       tx.exec_params("SELECT j.id, j.tier, t.name, t.classname, t.status, t.message, j.repeat, "
                      "(SELECT count(*) FROM jobs s WHERE s.pipeline_id = j.pipeline_id "
                      "AND s.tier = j.tier) "
                      "FROM test_cases t JOIN jobs j ON j.id = t.job_id "
                      "WHERE j.pipeline_id = $1 AND t.status IN ('failed', 'error') "
                      "ORDER BY j.priority, j.repeat, t.id LIMIT $2",
                      pipeline_id, limit)) {
    out.push_back({r[0].as<std::int64_t>(), r[1].as<std::string>(), r[2].as<std::string>(),
                   r[3].as<std::string>(), r[4].as<std::string>(), r[5].as<std::string>(),
                   r[6].as<int>(), r[7].as<int>()});
  }
  return out;
}

std::vector<GateDecisionRow> latest_gate_decisions(pqxx::transaction_base& tx, std::int64_t repo_id,
                                                   const std::string& sha) {
  std::vector<GateDecisionRow> out;
  for (const auto& r : tx.exec_params("SELECT DISTINCT ON (environment) id, environment, decision, "
                                      "coalesce(baseline_sha, ''), "
                                      "checks::text, " +
                                          iso("created_at") + ", inputs::text, source" +
                                          " FROM gate_decisions WHERE repo_id = $1 AND sha = $2 "
                                          "ORDER BY environment, id DESC",
                                      repo_id, sha)) {
    out.push_back({r[0].as<std::int64_t>(), r[1].as<std::string>(), r[2].as<std::string>(),
                   r[3].as<std::string>(), r[4].as<std::string>(), r[5].as<std::string>(),
                   r[6].as<std::string>(), r[7].as<std::string>()});
  }
  return out;
}

std::vector<std::int64_t> repo_ids_by_name(pqxx::transaction_base& tx, const std::string& name,
                                           const std::string& forge) {
  std::vector<std::int64_t> out;
  for (const auto& r : tx.exec_params(
           "SELECT id FROM repos WHERE lower(full_name) = lower($1) AND ($2 = '' OR forge = $2) "
           "ORDER BY id",
           name, forge))
    out.push_back(r[0].as<std::int64_t>());
  return out;
}

LogChunk read_log_chunk(pqxx::transaction_base& tx, std::int64_t job_id, int attempt,
                        std::int64_t offset, std::int64_t max_bytes) {
  LogChunk out;
  auto job = tx.exec_params(
      "SELECT state, attempt, coalesce(" + iso("logs_deleted_at") + ", '') FROM jobs WHERE id = $1",
      job_id);
  if (job.empty()) return out;
  out.found = true;
  out.state = job_state_of(job[0][0]);
  out.current_attempt = job[0][1].as<int>();
  out.logs_deleted_at = job[0][2].as<std::string>();
  out.attempt = attempt > 0 ? attempt : out.current_attempt;
  out.offset = std::max<std::int64_t>(offset, 0);
  if (out.attempt == 0 || max_bytes <= 0) return out;
  // Chunks are contiguous per attempt (append_log refuses gaps): take those that reach past
  // `offset`, cut the first one, and stop at max_bytes.
  for (const auto& r : tx.exec_params(
           "SELECT substring(data FROM (greatest($3 - byte_offset, 0) + 1)::int) FROM job_logs "
           "WHERE job_id = $1 AND attempt = $2 AND byte_offset + length(data) > $3 "
           "AND byte_offset < $3 + $4 ORDER BY byte_offset",
           job_id, out.attempt, out.offset, max_bytes)) {
    out.data += from_bytea(r[0]);
    if (static_cast<std::int64_t>(out.data.size()) >= max_bytes) break;
  }
  if (static_cast<std::int64_t>(out.data.size()) > max_bytes) out.data.resize(max_bytes);
  return out;
}

std::optional<BranchHead> latest_branch_head(pqxx::transaction_base& tx, std::int64_t repo_id,
                                             const std::string& branch) {
  auto p = tx.exec_params(
      "SELECT state, sha FROM pipelines WHERE repo_id = $1 AND branch = $2 "
      "AND trigger IN ('push', 'schedule', 'manual') ORDER BY id DESC LIMIT 1",
      repo_id, branch);
  if (p.empty()) return std::nullopt;
  const auto state = p[0][0].as<std::string>();
  auto parsed = core::parse_pipeline_state(state);
  if (!parsed) throw std::runtime_error("unknown pipeline state '" + state + "'");
  return BranchHead{*parsed, p[0][1].as<std::string>()};
}
std::optional<std::int64_t> newest_pipeline_of_commit(pqxx::transaction_base& tx,
                                                      std::int64_t repo_id,
                                                      const std::string& sha) {
  auto r =
      tx.exec_params("SELECT max(id) FROM pipelines WHERE repo_id = $1 AND sha = $2", repo_id, sha);
  if (r.empty() || r[0][0].is_null()) return std::nullopt;
  return r[0][0].as<std::int64_t>();
}

}  // namespace mlgate::store
