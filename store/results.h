// A job's parsed results (core/results.h) in `test_cases`, `metrics` and `predictions`. Storing a
// kind replaces what an earlier attempt of the job stored for it, so a re-run attempt never mixes
// with the one before. Beside the rows, each kind is also stored as one compact document per job
// (job_results_compact, core/results_binary.h), which is what readers read: the rows are read only
// for a kind without a document (stored before migration 0030, or whose rows were deleted since).
// Both give the same values in the same order (texts in byte order); a document that does not
// read back is an error (std::runtime_error naming the job), never a partial result.
#pragma once

#include <cstdint>
#include <map>
#include <pqxx/pqxx>
#include <vector>

#include "core/results.h"

namespace mlgate::store {

void replace_test_cases(pqxx::work& tx, std::int64_t job_id,
                        const std::vector<core::TestCase>& tests);
void replace_metrics(pqxx::work& tx, std::int64_t job_id, const std::vector<core::Metric>& metrics);
void replace_predictions(pqxx::work& tx, std::int64_t job_id,
                         const std::vector<core::Prediction>& predictions);

// Everything stored for a job.
core::JobResults load_results(pqxx::transaction_base& tx, std::int64_t job_id);
// Everything stored for each of the jobs, in three statements (one per kind) for all of them; a
// job with nothing stored has an empty entry.
std::map<std::int64_t, core::JobResults> load_results_of_jobs(
    pqxx::transaction_base& tx, const std::vector<std::int64_t>& job_ids);

}  // namespace mlgate::store
