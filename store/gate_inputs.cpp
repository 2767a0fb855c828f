#include "store/gate_inputs.h"

#include "core/repeats.h"
#include "store/pq.h"
#include "store/results.h"
#include "store/state_text.h"

namespace mlgate::store {

std::optional<GatePipeline> gate_view_of_commit(pqxx::transaction_base& tx, std::int64_t repo_id,
                                                const std::string& sha) {
  auto p =
      tx.exec_prepared(prepared(tx, "gate_view_pipeline",
                                "SELECT id, state FROM pipelines WHERE repo_id = $1 AND sha = $2 "
                                "ORDER BY id DESC LIMIT 1"),
                       repo_id, sha);
  if (p.empty()) return std::nullopt;
  GatePipeline out;
  out.id = p[0][0].as<std::int64_t>();
  out.state = pipeline_state_of(p[0][1]);
  std::string marker = "p" + std::to_string(out.id) + ":" + state_text(out.state);
  // Per tier, the newest job among all of the commit's pipelines; a cancelled or skipped one only
  // when the tier has nothing else (a run that never happened does not hide one that did); and
  // with it the tier's other repeats in its pipeline.
  std::vector<core::TierState> jobs;
  for (const auto& j : tx.exec_prepared(
           prepared(
               tx, "gate_view_jobs",
               "WITH chosen AS ("
               "  SELECT DISTINCT ON (j.tier) j.tier, j.pipeline_id "
               "  FROM jobs j JOIN pipelines p ON p.id = j.pipeline_id "
               "  WHERE p.repo_id = $1 AND p.sha = $2 "
               "  ORDER BY j.tier, j.state IN ('cancelled', 'skipped'), j.id DESC) "
               "SELECT j.id, j.tier, j.state, j.attempt, j.results_files::text, "
               "  j.xmin::text, j.repeat "
               "FROM jobs j JOIN chosen c ON c.tier = j.tier AND c.pipeline_id = j.pipeline_id "
               "ORDER BY j.priority, j.repeat, j.id"),
           repo_id, sha)) {
    out.job_ids.push_back(j[0].as<std::int64_t>());
    out.job_tiers.push_back(j[1].as<std::string>());
    jobs.push_back({j[1].as<std::string>(), job_state_of(j[2])});
    marker += "|j" + j[0].as<std::string>() + ":" + j[2].as<std::string>() + ":" +
              j[3].as<std::string>() + ":" + j[4].as<std::string>() + ":x" + j[5].as<std::string>();
  }
  out.tiers = core::tier_states_of_repeats(jobs);
  // Result rows get new ids whenever a kind is replaced (store/results.h); the state changes
  // cover retries and ends; a job row's xmin changes with every update of it, and every result
  // upload updates it (results_files) in the transaction that stores the results.
  auto m = tx.exec_prepared1(
      prepared(tx, "gate_view_marker",
               "SELECT (SELECT coalesce(max(s.id), 0) FROM state_changes s JOIN pipelines p "
               "        ON p.id = s.pipeline_id WHERE p.repo_id = $1 AND p.sha = $2), "
               "(SELECT coalesce(max(m.id), 0) FROM metrics m JOIN jobs j ON j.id = m.job_id "
               " JOIN pipelines p ON p.id = j.pipeline_id WHERE p.repo_id = $1 AND p.sha = $2), "
               "(SELECT coalesce(max(t.id), 0) FROM test_cases t JOIN jobs j ON j.id = t.job_id "
               " JOIN pipelines p ON p.id = j.pipeline_id WHERE p.repo_id = $1 AND p.sha = $2)"),
      repo_id, sha);
  marker +=
      "|s" + m[0].as<std::string>() + "|m" + m[1].as<std::string>() + "|t" + m[2].as<std::string>();
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
