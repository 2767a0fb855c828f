// Rows of `deployments`: which commit of a repo is deployed to an environment, and how it got
// there. The history of (repo, environment) is a stack (docs/gate.md, "The gate API"):
//   - a `deploy` row pushes its sha;
//   - a `rollback` row pops the deployment on top (`rolled_back_from` = that row's id) and its sha
//     is the one that becomes current again (the entry below it).
// The current deployment is the top of the stack after replaying every row in id order. Callers
// that insert take lock_deployments() first, so that two deploys or rollbacks of one repo never
// interleave.
#pragma once

#include <cstdint>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

namespace mlgate::store {

struct DeploymentRow {
  std::int64_t id = 0;
  std::int64_t repo_id = 0;
  std::string environment;
  std::string sha;
  std::string kind;  // deploy | rollback
  std::optional<std::int64_t> rolled_back_from;
  std::optional<std::int64_t> gate_decision_id;
  bool forced = false;
  std::string reason;
  std::string actor;
  std::string created_at;  // ISO 8601, UTC
};

struct NewDeployment {
  std::int64_t repo_id = 0;
  std::string environment;
  std::string sha;
  std::string kind = "deploy";
  std::optional<std::int64_t> rolled_back_from;  // rollback only
  std::optional<std::int64_t> gate_decision_id;
  bool forced = false;
  std::string reason;  // required when forced
  std::string actor;
  // deploy only: the deployed commit's gate rules for the environment (core::gate_rules_json);
  // "" stores none.
  std::string gate_rules_json;
};

// The state of one (repo, environment).
struct DeploymentState {
  // The row that made the current sha current (a deploy, or the rollback that restored it); also
  // the latest row: any new deployment or rollback changes it. Empty: nothing ever deployed.
  std::optional<DeploymentRow> latest;
  // The sha deployed now (the top of the stack); empty when nothing is deployed.
  std::optional<std::string> current_sha;
  // The deploy row on top of the stack, and the sha a rollback would restore (below it).
  std::optional<std::int64_t> top_deploy_id;
  std::optional<std::string> rollback_sha;
  // The MD5 of the gate rules the top deploy row recorded (of '' when none): an answer that used
  // them is stale once they are edited, even by hand.
  std::string top_rules_digest;
};

// Serialises deployments of one repo (row lock on the repo) until the transaction ends.
void lock_deployments(pqxx::work& tx, std::int64_t repo_id);

DeploymentState deployment_state(pqxx::transaction_base& tx, std::int64_t repo_id,
                                 const std::string& environment);

std::int64_t insert_deployment(pqxx::work& tx, const NewDeployment& d);

// Newest first; every environment when `environment` is empty.
std::vector<DeploymentRow> list_deployments(pqxx::transaction_base& tx, std::int64_t repo_id,
                                            const std::string& environment, int limit = 200);

std::optional<DeploymentRow> get_deployment(pqxx::transaction_base& tx, std::int64_t id);

// The environments the repository has deployment rows for, in name order.
std::vector<std::string> deployed_environments(pqxx::transaction_base& tx, std::int64_t repo_id);

// The gate rules a deploy row recorded (NewDeployment::gate_rules_json); nullopt when it has none
// (a row from before they were recorded, or no such row).
std::optional<std::string> deployment_gate_rules(pqxx::transaction_base& tx, std::int64_t id);

}  // namespace mlgate::store
