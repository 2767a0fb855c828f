#include "store/gate_inputs.h"

#include "core/repeats.h"
#include "store/pq.h"
#include "store/results.h"
#include "store/state_text.h"

namespace mlgate::store {

namespace {

// The commit's newest pipeline, its judged jobs and the marker's maxima in one statement (one round
// trip): one row per judged job in tier order, the pipeline's columns and the maxima on each; one
// row with NULL job columns when it has no jobs; no row without a pipeline. Per tier, the newest
// job among all of the commit's pipelines; a cancelled or skipped one only when the tier has
// nothing else (a run that never happened does not hide one that did); and with it the tier's other
// repeats in its pipeline. The maxima (uncorrelated: computed once): result rows get new ids
// whenever a kind is replaced (store/results.h); the state changes cover retries and ends. Each
// job's newest result row is the last entry of its range in the (job_id, id) indexes (migration
// 0037), not the maximum of all its rows. A fork pull request's pipelines count only for a commit
// the repository has no pipeline of its own for (docs/security.md, "Fork pull requests"): a fork
// whose head is one of the repository's commits neither holds its gate pending nor judges it by
// a run without network. The last column says whether the commit is known only from forks.
constexpr const char* kGateViewSql =
    "WITH own AS ("
    "  SELECT EXISTS (SELECT 1 FROM pipelines WHERE repo_id = $1 AND sha = $2 AND NOT from_fork) "
    "    AS known), "
    "newest AS ("
    "  SELECT id, state FROM pipelines WHERE repo_id = $1 AND sha = $2 "
    "    AND (NOT from_fork OR NOT (SELECT known FROM own)) ORDER BY id DESC LIMIT 1), "
    "chosen AS ("
    "  SELECT DISTINCT ON (j.tier) j.tier, j.pipeline_id "
    "  FROM jobs j JOIN pipelines p ON p.id = j.pipeline_id "
    "  WHERE p.repo_id = $1 AND p.sha = $2 AND (NOT p.from_fork OR NOT (SELECT known FROM own)) "
    "  ORDER BY j.tier, j.state IN ('cancelled', 'skipped'), j.id DESC), "
    "judged AS ("
    "  SELECT j.id, j.tier, j.state, j.attempt, j.results_files::text AS files, "
    "    j.xmin::text AS row_version, j.repeat, j.priority "
    "  FROM jobs j JOIN chosen c ON c.tier = j.tier AND c.pipeline_id = j.pipeline_id) "
    "SELECT newest.id, newest.state, "
    "  (SELECT coalesce(max(s.id), 0) FROM state_changes s JOIN pipelines p "
    "   ON p.id = s.pipeline_id WHERE p.repo_id = $1 AND p.sha = $2), "
    "  (SELECT coalesce(max(m.newest), 0) FROM jobs j JOIN pipelines p ON p.id = j.pipeline_id "
    "   CROSS JOIN LATERAL (SELECT max(id) AS newest FROM metrics WHERE job_id = j.id) m "
    "   WHERE p.repo_id = $1 AND p.sha = $2), "
    "  (SELECT coalesce(max(t.newest), 0) FROM jobs j JOIN pipelines p ON p.id = j.pipeline_id "
    "   CROSS JOIN LATERAL (SELECT max(id) AS newest FROM test_cases WHERE job_id = j.id) t "
    "   WHERE p.repo_id = $1 AND p.sha = $2), "
    "  judged.id, judged.tier, judged.state, judged.attempt, judged.files, judged.row_version, "
    "  NOT (SELECT known FROM own) "
    "FROM newest LEFT JOIN judged ON true "
    "ORDER BY judged.priority, judged.repeat, judged.id";

}  // namespace

std::optional<GatePipeline> gate_view_of_commit(pqxx::transaction_base& tx, std::int64_t repo_id,
                                                const std::string& sha) {
  const auto rows =
      tx.exec_prepared(prepared(tx, "gate_view_of_commit", kGateViewSql), repo_id, sha);
  if (rows.empty()) return std::nullopt;
  GatePipeline out;
  out.id = rows[0][0].as<std::int64_t>();
  out.state = pipeline_state_of(rows[0][1]);
  out.only_from_forks = rows[0][11].as<bool>();
  std::string marker = "p" + std::to_string(out.id) + ":" + state_text(out.state);
  std::vector<core::TierState> jobs;
  for (const auto& j : rows) {
    if (j[5].is_null()) continue;  // a pipeline without jobs
    out.job_ids.push_back(j[5].as<std::int64_t>());
    out.job_tiers.push_back(j[6].as<std::string>());
    jobs.push_back({j[6].as<std::string>(), job_state_of(j[7])});
    // A job row's xmin changes with every update of it, and every result upload updates it
    // (results_files) in the transaction that stores the results.
    marker += "|j" + std::string(j[5].c_str()) + ":" + j[7].c_str() + ":" + j[8].c_str() + ":" +
              j[9].c_str() + ":x" + j[10].c_str();
  }
  out.tiers = core::tier_states_of_repeats(jobs);
  marker += "|s" + std::string(rows[0][2].c_str()) + "|m" + rows[0][3].c_str() + "|t" +
            rows[0][4].c_str();
  out.marker = std::move(marker);
  return out;
}

core::JobResults load_pipeline_results(pqxx::transaction_base& tx, const GatePipeline& pipeline) {
  core::JobResults merged;
  auto by_job = load_results_of_jobs(tx, pipeline.job_ids);
  std::vector<core::JobResults> repeats;  // of the tier at hand
  for (std::size_t i = 0; i < pipeline.job_ids.size(); ++i) {
    repeats.push_back(std::move(by_job[pipeline.job_ids[i]]));
    // Without tiers known, each job is its own.
    const bool tier_ends = i + 1 == pipeline.job_ids.size() ||
                           pipeline.job_tiers.size() != pipeline.job_ids.size() ||
                           pipeline.job_tiers[i + 1] != pipeline.job_tiers[i];
    if (!tier_ends) continue;
    core::append_tier_results(merged, core::merge_repeats(std::move(repeats)));
    repeats.clear();
  }
  return merged;
}

}  // namespace mlgate::store
