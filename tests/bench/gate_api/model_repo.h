// The model repository the gate API benchmark registers: a realistic .mlgate.yml (two required
// tiers, 10 metric checks, 2 slice checks over 10 slices each, a fairness check over 5 groups,
// predictions, the rubric) and the result files its two tiers copy into $MLGATE_RESULTS: junit.xml
// (200 test cases) from functionality, metrics.json and predictions.jsonl from validation. The
// same sizes as the engine benchmark (tests/bench/gate/gate_bench.cpp), except the predictions.
#pragma once

#include <map>
#include <string>

namespace mlgate::bench {

enum class ModelVersion { baseline, candidate };

// Every file of the commit (path -> content), .mlgate.yml included. The candidate is slightly
// worse than the baseline on most metrics and flips 1% of the labels, all within the gate.
std::map<std::string, std::string> model_files(ModelVersion version, int predictions);

// What the production gate decides for the candidate against the baseline.
inline constexpr const char* kExpectedDecision = "allow";

}  // namespace mlgate::bench
