// What the gate reads from the database for one commit (docs/gate.md, "The gate API"): the latest
// pipeline of (repo, sha), its jobs' states, its results with every tier merged, and a marker that
// changes whenever any of that changes (the key of the server's decision cache).
#pragma once

#include <cstdint>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "core/gate.h"
#include "core/results.h"

namespace mlgate::store {

struct GatePipeline {
  std::int64_t id = 0;
  std::string state;
  std::vector<core::TierState> tiers;  // the pipeline's jobs, in tier order
  std::vector<std::int64_t> job_ids;   // same order
  // Changes with any state change, result upload or retry of the pipeline's jobs.
  std::string marker;
};

// The latest pipeline (highest id) of the commit; nullopt when none was created.
std::optional<GatePipeline> latest_pipeline_for_sha(pqxx::transaction_base& tx,
                                                    std::int64_t repo_id, const std::string& sha);

// Every stored result of the pipeline's jobs (each job's latest attempt), merged in tier order
// (functionality, validation, training): for a metric or prediction reported by two tiers, the
// later tier's wins (the engine takes the last occurrence).
core::JobResults load_pipeline_results(pqxx::transaction_base& tx, const GatePipeline& pipeline);

}  // namespace mlgate::store
