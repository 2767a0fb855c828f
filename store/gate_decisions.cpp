#include "store/gate_decisions.h"

#include "store/pq.h"

namespace mlgate::store {

std::int64_t insert_gate_decision(pqxx::transaction_base& tx, const NewGateDecision& d) {
  auto r = tx.exec_prepared1(
      prepared(tx, "insert_gate_decision",
               "INSERT INTO gate_decisions (repo_id, sha, environment, decision, baseline_sha, "
               "baseline_deployment_id, checks, inputs, source) "
               "VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb, $9) RETURNING id"),
      d.repo_id, d.sha, d.environment, d.decision, d.baseline_sha, d.baseline_deployment_id,
      d.checks_json, d.inputs_json, d.source);
  return r[0].as<std::int64_t>();
}

std::optional<std::string> latest_decision(pqxx::transaction_base& tx, std::int64_t repo_id,
                                           const std::string& sha, const std::string& environment) {
  auto r = tx.exec_params(
      "SELECT decision FROM gate_decisions WHERE repo_id = $1 AND sha = $2 "
      "AND environment = $3 ORDER BY id DESC LIMIT 1",
      repo_id, sha, environment);
  if (r.empty()) return std::nullopt;
  return r[0][0].as<std::string>();
}

}  // namespace mlgate::store
