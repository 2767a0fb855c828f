#include "store/deployments.h"

#include "store/pq.h"

namespace mlgate::store {
namespace {

const char* kColumns =
    "id, repo_id, environment, sha, kind, rolled_back_from, gate_decision_id, forced, "
    "coalesce(reason, ''), actor, "
    "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') ";

DeploymentRow row_of(const pqxx::row& r) {
  DeploymentRow d;
  d.id = r[0].as<std::int64_t>();
  d.repo_id = r[1].as<std::int64_t>();
  d.environment = r[2].as<std::string>();
  d.sha = r[3].as<std::string>();
  d.kind = r[4].as<std::string>();
  d.rolled_back_from = get_optional<std::int64_t>(r[5]);
  d.gate_decision_id = get_optional<std::int64_t>(r[6]);
  d.forced = r[7].as<bool>();
  d.reason = r[8].as<std::string>();
  d.actor = r[9].as<std::string>();
  d.created_at = r[10].as<std::string>();
  return d;
}

}  // namespace

void lock_deployments(pqxx::work& tx, std::int64_t repo_id) {
  tx.exec_params("SELECT id FROM repos WHERE id = $1 FOR UPDATE", repo_id);
}

DeploymentState deployment_state(pqxx::transaction_base& tx, std::int64_t repo_id,
                                 const std::string& environment) {
  DeploymentState state;
  struct Entry {
    std::int64_t id;
    std::string sha;
    std::string rules_digest;
  };
  std::vector<Entry> stack;
  static const std::string sql = std::string("SELECT ") + kColumns +
                                 ", gate_rules_md5 "
                                 "FROM deployments WHERE repo_id = $1 AND environment = $2 "
                                 "ORDER BY id";
  auto rows = tx.exec_prepared(prepared(tx, "deployment_state", sql), repo_id, environment);
  for (const auto& r : rows) {
    auto d = row_of(r);
    if (d.kind == "deploy") {
      stack.push_back({d.id, d.sha, r[r.size() - 1].as<std::string>()});
    } else if (!stack.empty()) {
      stack.pop_back();
    }
    state.latest = std::move(d);
  }
  if (!stack.empty()) {
    state.current_sha = stack.back().sha;
    state.top_deploy_id = stack.back().id;
    state.top_rules_digest = stack.back().rules_digest;
  }
  if (stack.size() >= 2) state.rollback_sha = stack[stack.size() - 2].sha;
  return state;
}

std::int64_t insert_deployment(pqxx::work& tx, const NewDeployment& d) {
  return tx
      .exec_params1(
          "INSERT INTO deployments (repo_id, environment, sha, kind, rolled_back_from, "
          "gate_decision_id, forced, reason, actor, gate_rules) "
          "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb) RETURNING id",
          d.repo_id, d.environment, d.sha, d.kind, d.rolled_back_from, d.gate_decision_id, d.forced,
          d.reason.empty() ? std::optional<std::string>() : std::optional<std::string>(d.reason),
          d.actor,
          d.gate_rules_json.empty() ? std::optional<std::string>()
                                    : std::optional<std::string>(d.gate_rules_json))[0]
      .as<std::int64_t>();
}

std::vector<DeploymentRow> list_deployments(pqxx::transaction_base& tx, std::int64_t repo_id,
                                            const std::string& environment, int limit) {
  std::vector<DeploymentRow> out;
  auto rows = tx.exec_params(std::string("SELECT ") + kColumns +
                                 "FROM deployments WHERE repo_id = $1 AND ($2 = '' OR "
                                 "environment = $2) ORDER BY id DESC LIMIT $3",
                             repo_id, environment, limit);
  for (const auto& r : rows) out.push_back(row_of(r));
  return out;
}

std::optional<DeploymentRow> get_deployment(pqxx::transaction_base& tx, std::int64_t id) {
  auto rows =
      tx.exec_params(std::string("SELECT ") + kColumns + "FROM deployments WHERE id = $1", id);
  if (rows.empty()) return std::nullopt;
  return row_of(rows[0]);
}

std::vector<std::string> deployed_environments(pqxx::transaction_base& tx, std::int64_t repo_id) {
  std::vector<std::string> out;
  for (const auto& r : tx.exec_params(
           "SELECT DISTINCT environment FROM deployments WHERE repo_id = $1 ORDER BY environment",
           repo_id))
    out.push_back(r[0].as<std::string>());
  return out;
}

std::optional<std::string> deployment_gate_rules(pqxx::transaction_base& tx, std::int64_t id) {
  auto rows = tx.exec_prepared(prepared(tx, "deployment_gate_rules",
                                        "SELECT gate_rules::text FROM deployments WHERE id = $1"),
                               id);
  if (rows.empty()) return std::nullopt;
  return get_optional<std::string>(rows[0][0]);
}

}  // namespace mlgate::store
