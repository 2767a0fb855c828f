// Stored gate decisions (gate_decisions): every evaluation the online gate answered, with its
// checks and the inputs it judged (docs/gate.md). The latest decision of each environment of a
// commit is read by store::latest_gate_decisions (store/pipeline_queries.h).
#pragma once

#include <cstdint>
#include <optional>
#include <pqxx/pqxx>
#include <string>

namespace mlgate::store {

struct NewGateDecision {
  std::int64_t repo_id = 0;
  std::string sha;
  std::string environment;
  std::string decision;  // allow | deny | pending
  std::optional<std::string> baseline_sha;
  std::optional<std::int64_t> baseline_deployment_id;
  std::string checks_json;  // a JSON array
  std::string inputs_json;  // a JSON object
  std::string source;
};
// Stores one decision; its id. One statement: in a pqxx::nontransaction it commits by itself (one
// round trip instead of BEGIN, INSERT, COMMIT), which is all the gate needs.
std::int64_t insert_gate_decision(pqxx::transaction_base& tx, const NewGateDecision& d);

// The decision last stored for (repo, sha, environment); nullopt when there is none.
std::optional<std::string> latest_decision(pqxx::transaction_base& tx, std::int64_t repo_id,
                                           const std::string& sha, const std::string& environment);

}  // namespace mlgate::store
