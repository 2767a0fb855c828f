// A job's parsed results (core/results.h) in `test_cases`, `metrics` and `predictions`. Storing a
// kind replaces what an earlier attempt of the job stored for it, so a re-run attempt never mixes
// with the one before.
#pragma once

#include <cstdint>
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

}  // namespace mlgate::store
