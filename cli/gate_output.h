// The gate's decision as a person reads it, shared by `mlgate gate evaluate` (offline) and
// `mlgate gate --repo …` (online): an aligned table with the blocking checks first (with a RULES
// column, whose rule each check is, when the deployed commit's rules and the candidate's differ),
// the rubric score, the rules in force (a note, the differences deployed → candidate) and the
// one-line summary.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace mlgate::cli {

// `result` is the gate JSON (core::gate_result_json, or the server's GET …/gate): checks may carry
// "blocks" (else fail and missing count as blocking); "summary" is printed when present.
void print_gate_table(const nlohmann::json& result, const std::string& environment);

// The process exit code of a decision: 0 allow, 1 deny, 2 pending (or anything else).
int gate_exit_code(const nlohmann::json& result);

}  // namespace mlgate::cli
