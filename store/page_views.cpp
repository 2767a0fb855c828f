#include "store/page_views.h"

#include <algorithm>
#include <map>
#include <stdexcept>

#include "core/repeats.h"
#include "store/gate_inputs.h"
#include "store/pq.h"

namespace mlgate::store {
namespace {

constexpr const char* kIsoCreated =
    "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')";

core::JobState job_state_of(const pqxx::field& f) {
  const auto s = f.as<std::string>();
  auto state = core::parse_job_state(s);
  if (!state) throw std::runtime_error("unknown job state '" + s + "'");
  return *state;
}

core::PipelineState pipeline_state_of(const pqxx::field& f) {
  const auto s = f.as<std::string>();
  auto state = core::parse_pipeline_state(s);
  if (!state) throw std::runtime_error("unknown pipeline state '" + s + "'");
  return *state;
}

std::vector<TierStateRow> tier_states(pqxx::transaction_base& tx, std::int64_t pipeline_id) {
  std::vector<core::TierState> jobs;
  for (const auto& j : tx.exec_params(
           "SELECT tier, state FROM jobs WHERE pipeline_id = $1 ORDER BY priority, repeat, id",
           pipeline_id))
    jobs.push_back({j[0].as<std::string>(), job_state_of(j[1])});
  // A tier run with `repeat: N`: its jobs' state together.
  std::vector<TierStateRow> out;
  for (const auto& t : core::tier_states_of_repeats(jobs)) out.push_back({t.tier, t.state});
  return out;
}

// The newest stored decision of each (sha, environment) of the repository's `shas`, in one
// statement.
std::map<std::string, std::vector<GateBadge>> gate_badges(pqxx::transaction_base& tx,
                                                          std::int64_t repo_id,
                                                          const std::vector<std::string>& shas) {
  std::map<std::string, std::vector<GateBadge>> out;
  if (shas.empty()) return out;
  for (const auto& r : tx.exec_params(
           "SELECT DISTINCT ON (sha, environment) sha, environment, decision FROM gate_decisions "
           "WHERE repo_id = $1 AND sha = ANY($2::text[]) ORDER BY sha, environment, id DESC",
           repo_id, to_pg_array(shas)))
    out[r[0].as<std::string>()].push_back({r[1].as<std::string>(), r[2].as<std::string>()});
  return out;
}

std::optional<DashboardPipeline> branch_head(pqxx::transaction_base& tx, std::int64_t repo_id,
                                             const std::string& branch) {
  auto p = tx.exec_params(std::string("SELECT id, state, sha, commit_message, ") + kIsoCreated +
                              " FROM pipelines WHERE repo_id = $1 AND branch = $2 "
                              "ORDER BY id DESC LIMIT 1",
                          repo_id, branch);
  if (p.empty()) return std::nullopt;
  DashboardPipeline out{p[0][0].as<std::int64_t>(), pipeline_state_of(p[0][1]),
                        p[0][2].as<std::string>(),  p[0][3].as<std::string>(),
                        p[0][4].as<std::string>(),  {}};
  out.tiers = tier_states(tx, out.id);
  out.gates = gate_badges(tx, repo_id, {out.sha})[out.sha];
  return out;
}

std::vector<QueueDepth> queue_depth(pqxx::transaction_base& tx) {
  std::vector<QueueDepth> out;
  for (const auto& q :
       tx.exec("SELECT t.tier, count(j.id) FILTER (WHERE j.state = 'queued'), "
               "count(j.id) FILTER (WHERE j.state = 'running') "
               "FROM unnest(ARRAY['functionality', 'validation', 'training']) WITH ORDINALITY AS "
               "t(tier, o) "
               "LEFT JOIN jobs j ON j.tier = t.tier AND j.state IN ('queued', 'running') "
               "GROUP BY t.tier, t.o ORDER BY t.o"))
    out.push_back({q[0].as<std::string>(), q[1].as<long>(), q[2].as<long>()});
  return out;
}

std::vector<DashboardRunner> dashboard_runners(pqxx::transaction_base& tx) {
  std::vector<DashboardRunner> out;
  for (const auto& r :
       tx.exec("SELECT r.name, r.executor, r.capacity, "
               "r.last_seen_at > now() - interval '90 seconds' AND r.disabled_at IS NULL, "
               "to_char(r.last_seen_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
               "(SELECT count(*) FROM jobs j WHERE j.runner_id = r.id AND j.state = 'running') "
               "FROM runners r ORDER BY r.id"))
    out.push_back({r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<long>(), r[3].as<bool>(),
                   r[4].as<std::string>(), r[5].as<long>()});
  return out;
}

}  // namespace

DashboardView load_dashboard(pqxx::transaction_base& tx,
                             const std::function<bool(std::int64_t repo_id)>& visible) {
  DashboardView out;
  for (auto& r : list_repos(tx)) {
    if (!visible(r.id)) continue;
    auto head = branch_head(tx, r.id, r.default_branch);
    out.repos.push_back({std::move(r), std::move(head)});
  }
  out.queue = queue_depth(tx);
  out.runners = dashboard_runners(tx);
  return out;
}

namespace {

std::vector<core::TrendCommit> trend_commits(pqxx::transaction_base& tx, std::int64_t repo_id,
                                             const std::string& branch, int n) {
  std::vector<core::TrendCommit> out;
  for (const auto& r :
       tx.exec_params("SELECT id, sha FROM (SELECT DISTINCT ON (sha) id, sha FROM pipelines "
                      "WHERE repo_id = $1 AND branch = $2 ORDER BY sha, id DESC) latest "
                      "ORDER BY id DESC LIMIT $3",
                      repo_id, branch, n))
    out.push_back({r[0].as<std::int64_t>(), r[1].as<std::string>()});
  std::reverse(out.begin(), out.end());
  return out;
}

std::vector<core::MetricSample> trend_samples(pqxx::transaction_base& tx,
                                              const std::vector<core::TrendCommit>& commits) {
  std::vector<std::string> ids;
  for (const auto& c : commits) ids.push_back(std::to_string(c.pipeline_id));
  std::vector<core::MetricSample> out;
  for (const auto& r : tx.exec_params(
           "SELECT j.pipeline_id, m.name, m.value FROM metrics m JOIN jobs j ON j.id = m.job_id "
           "WHERE j.pipeline_id = ANY($1::bigint[]) AND m.slice_key = '' "
           "ORDER BY j.pipeline_id, j.priority, m.id",
           to_pg_array(ids)))
    out.push_back({r[0].as<std::int64_t>(), r[1].as<std::string>(), r[2].as<double>()});
  return out;
}

std::vector<RepoPipelineRow> repo_pipelines(pqxx::transaction_base& tx, std::int64_t repo_id,
                                            int limit) {
  std::vector<RepoPipelineRow> out;
  for (const auto& p :
       tx.exec_params("SELECT id, state, sha, commit_message, author, branch, "
                      "extract(epoch FROM coalesce(finished_at, now()) - started_at) "
                      "FROM pipelines WHERE repo_id = $1 ORDER BY id DESC LIMIT $2",
                      repo_id, limit)) {
    RepoPipelineRow row{p[0].as<std::int64_t>(),    pipeline_state_of(p[1]),
                        p[2].as<std::string>(),     p[3].as<std::string>(),
                        p[4].as<std::string>(),     p[5].as<std::string>(),
                        get_optional<double>(p[6]), {}};
    row.tiers = tier_states(tx, row.id);
    out.push_back(std::move(row));
  }
  std::vector<std::string> shas;
  for (const auto& p : out) shas.push_back(p.sha);
  auto badges = gate_badges(tx, repo_id, shas);
  for (auto& p : out) p.gates = badges[p.sha];
  return out;
}

}  // namespace

RepoPageView load_repo_page(pqxx::transaction_base& tx, std::int64_t repo_id,
                            const std::string& branch, int trend_commit_count, int pipelines) {
  RepoPageView out;
  out.deployments = list_deployments(tx, repo_id, "");
  std::vector<std::string> environments;
  for (const auto& d : out.deployments) environments.push_back(d.environment);
  for (auto i : core::current_per_environment(environments)) {
    const auto& sha = out.deployments[i].sha;
    auto p = tx.exec_params(
        "SELECT max(id) FROM pipelines WHERE repo_id = $1 AND sha = $2 HAVING max(id) IS NOT "
        "NULL",
        repo_id, sha);
    if (!p.empty()) out.current_pipelines[sha] = p[0][0].as<std::int64_t>();
  }
  for (const auto& r : tx.exec_params(
           "SELECT branch FROM pipelines WHERE repo_id = $1 AND branch <> '' GROUP BY branch "
           "ORDER BY max(id) DESC LIMIT 20",
           repo_id))
    out.branches.push_back(r[0].as<std::string>());
  out.trend_commits = trend_commits(tx, repo_id, branch, trend_commit_count);
  out.trend_samples = trend_samples(tx, out.trend_commits);
  out.pipelines = repo_pipelines(tx, repo_id, pipelines);
  return out;
}

namespace {

std::vector<JobPageAttempt> job_page_attempts(pqxx::transaction_base& tx, std::int64_t job_id) {
  std::vector<JobPageAttempt> out;
  for (const auto& a : tx.exec_params(
           "SELECT a.attempt, coalesce(rn.name, ''), "
           "to_char(a.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
           "a.outcome, a.ended_at IS NOT NULL "
           "FROM job_attempts a LEFT JOIN runners rn ON rn.id = a.runner_id WHERE a.job_id = $1 "
           "ORDER BY a.attempt",
           job_id)) {
    JobPageAttempt row{a[0].as<int>(), a[1].as<std::string>(), a[2].as<std::string>(), std::nullopt,
                       a[4].as<bool>()};
    if (!a[3].is_null()) {
      row.outcome = core::parse_attempt_outcome(a[3].as<std::string>());
      if (!row.outcome)
        throw std::runtime_error("unknown attempt outcome " + a[3].as<std::string>());
    }
    out.push_back(std::move(row));
  }
  return out;
}

}  // namespace

std::optional<JobPageView> load_job_page(pqxx::transaction_base& tx, std::int64_t job_id) {
  auto r = tx.exec_params(
      "SELECT j.tier, j.state, j.pipeline_id, p.sha, rp.full_name, j.image, j.attempt, "
      "j.max_attempts, coalesce(rn.name, ''), j.exit_code, coalesce(j.message, ''), "
      "coalesce(j.results_error, ''), results_files::text, j.log_bytes, j.log_truncated, "
      "extract(epoch FROM coalesce(j.finished_at, now()) - j.started_at), j.timeout_seconds, "
      "p.repo_id, "
      "to_char(j.logs_deleted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
      "(SELECT count(*) FROM test_cases WHERE job_id = j.id), "
      "(SELECT count(*) FROM metrics WHERE job_id = j.id), "
      "(SELECT count(*) FROM predictions WHERE job_id = j.id), j.repeat, "
      "(SELECT count(*) FROM jobs o WHERE o.pipeline_id = j.pipeline_id AND o.tier = j.tier) "
      "FROM jobs j JOIN pipelines p ON p.id = j.pipeline_id JOIN repos rp ON rp.id = p.repo_id "
      "LEFT JOIN runners rn ON rn.id = coalesce(j.runner_id, (SELECT a.runner_id FROM "
      "  job_attempts a WHERE a.job_id = j.id ORDER BY a.attempt DESC LIMIT 1)) "
      "WHERE j.id = $1",
      job_id);
  if (r.empty()) return std::nullopt;
  const auto& row = r[0];
  JobPageView v;
  v.id = job_id;
  v.tier = row[0].as<std::string>();
  v.state = job_state_of(row[1]);
  v.pipeline_id = row[2].as<std::int64_t>();
  v.sha = row[3].as<std::string>();
  v.repo_name = row[4].as<std::string>();
  v.image = row[5].as<std::string>();
  v.attempt = row[6].as<int>();
  v.max_attempts = row[7].as<int>();
  v.runner = row[8].as<std::string>();
  v.exit_code = get_optional<int>(row[9]);
  v.message = row[10].as<std::string>();
  v.results_error = row[11].as<std::string>();
  v.results_files_json = row[12].as<std::string>();
  v.log_bytes = row[13].as<std::int64_t>();
  v.log_truncated = row[14].as<bool>();
  v.duration_seconds = get_optional<double>(row[15]);
  v.timeout_seconds = row[16].as<double>();
  v.repo_id = row[17].as<std::int64_t>();
  v.logs_deleted_at = get_optional<std::string>(row[18]);
  v.tests = row[19].as<long>();
  v.metrics = row[20].as<long>();
  v.predictions = row[21].as<long>();
  v.repeat = row[22].as<int>();
  v.repeats = row[23].as<int>();
  v.attempts = job_page_attempts(tx, job_id);
  return v;
}

namespace {

std::vector<PipelineJobRow> pipeline_jobs(pqxx::transaction_base& tx, std::int64_t id) {
  std::vector<PipelineJobRow> out;
  for (const auto& j : tx.exec_params(
           "SELECT j.id, j.tier, j.state, j.attempt, j.max_attempts, "
           "coalesce(r.name, ''), j.exit_code, "
           "extract(epoch FROM coalesce(j.finished_at, now()) - j.started_at), "
           "coalesce(j.results_error, j.message, ''), j.repeat, "
           "count(*) OVER (PARTITION BY j.tier) "
           "FROM jobs j LEFT JOIN runners r ON r.id = coalesce(j.runner_id, "
           "  (SELECT a.runner_id FROM job_attempts a WHERE a.job_id = j.id ORDER BY a.attempt "
           "   DESC LIMIT 1)) "
           "WHERE j.pipeline_id = $1 ORDER BY j.priority, j.repeat, j.id",
           id))
    out.push_back({j[0].as<std::int64_t>(), j[1].as<std::string>(), job_state_of(j[2]),
                   j[3].as<int>(), j[4].as<int>(), j[5].as<std::string>(), get_optional<int>(j[6]),
                   get_optional<double>(j[7]), j[8].as<std::string>(), j[9].as<int>(),
                   j[10].as<int>()});
  return out;
}

}  // namespace

PipelinePageView load_pipeline_page(pqxx::transaction_base& tx, const PipelineStatus& pipeline) {
  PipelinePageView out;
  out.jobs = pipeline_jobs(tx, pipeline.id);
  for (const auto& r :
       tx.exec_params("SELECT t.status, count(*) FROM test_cases t JOIN jobs j ON j.id = t.job_id "
                      "WHERE j.pipeline_id = $1 GROUP BY t.status",
                      pipeline.id))
    out.test_counts[r[0].as<std::string>()] = r[1].as<long>();
  out.failing = failing_tests(tx, pipeline.id, 200);
  out.decisions = latest_gate_decisions(tx, pipeline.repo_id, pipeline.sha);
  for (const auto& r :
       tx.exec_params("SELECT environment FROM deployments WHERE repo_id = $1 GROUP BY environment "
                      "ORDER BY max(id) DESC",
                      pipeline.repo_id))
    out.deployed_environments.push_back(r[0].as<std::string>());
  GatePipeline self;
  self.id = pipeline.id;
  for (const auto& j : pipeline.jobs) {
    self.job_ids.push_back(j.id);
    self.job_tiers.push_back(j.tier);
  }
  out.results = load_pipeline_results(tx, self);
  return out;
}

PageBaseline load_page_baseline(pqxx::transaction_base& tx, std::int64_t repo_id,
                                const std::string& environment) {
  PageBaseline out;
  if (environment.empty()) return out;
  out.sha = deployment_state(tx, repo_id, environment).current_sha;
  if (!out.sha) return out;
  if (auto bp = gate_view_of_commit(tx, repo_id, *out.sha)) {
    out.pipeline_id = bp->id;
    out.results = load_pipeline_results(tx, *bp);
  }
  return out;
}

}  // namespace mlgate::store
