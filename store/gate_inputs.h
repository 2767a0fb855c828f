// What the gate reads from the database for one commit (docs/gate.md, "What the gate reads"): per
// tier, the newest job of that tier among all of the commit's pipelines (a push, a pull request, a
// nightly run, a manual trigger), its state and results, every tier merged, and a marker that
// changes whenever any of that changes (the key of the server's decision cache).
#pragma once

#include <cstdint>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "core/gate.h"
#include "core/results.h"
#include "core/states.h"

namespace mlgate::store {

struct GatePipeline {
  std::int64_t id = 0;                                       // the commit's newest pipeline
  core::PipelineState state = core::PipelineState::pending;  // its state
  // One per tier, in tier order; a tier run with `repeat: N` has the state of its N jobs together
  // (passed when all passed; else the first that has not finished, else the first that failed).
  std::vector<core::TierState> tiers;
  // The jobs judged, in tier order, a tier's repeats in repeat order; their tiers.
  std::vector<std::int64_t> job_ids;
  std::vector<std::string> job_tiers;
  // Changes with any state change, result upload or retry of the pipeline's jobs.
  std::string marker;
  // The commit is known only from fork pull requests (store::commit_only_from_forks): its
  // pipelines then are the fork's, and it is never deployable.
  bool only_from_forks = false;
};

// The commit as the gate judges it: per tier, the newest job of that tier among all of the
// commit's pipelines, a cancelled or skipped one only when the tier has no other, with the other
// repeats of that tier in the same pipeline (`repeat: N`). Fork pull requests' pipelines count
// only when the repository has none of its own for the commit. A nightly run of
// the training tier alone therefore does not hide the push's functionality and validation results,
// and a re-run of a tier replaces the earlier run of that tier. nullopt when the commit has no
// pipeline.
std::optional<GatePipeline> gate_view_of_commit(pqxx::transaction_base& tx, std::int64_t repo_id,
                                                const std::string& sha);

// Every stored result of the judged jobs (each job's latest attempt), merged in tier order
// (functionality, validation, training): for a metric or prediction reported by two tiers, the
// later tier's wins (the engine takes the last occurrence). A tier's repeats are made one first
// (core::merge_repeats: each metric's mean, and its values per repeat).
core::JobResults load_pipeline_results(pqxx::transaction_base& tx, const GatePipeline& pipeline);

}  // namespace mlgate::store
