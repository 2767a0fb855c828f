#include "server/audit.h"

namespace mlgate::server {

void audit(pqxx::work& tx, const Caller& caller, const std::string& action,
           std::optional<std::int64_t> repo_id, const nlohmann::json& details) {
  tx.exec_params(
      "INSERT INTO audit_log (actor, action, repo_id, details) VALUES ($1, $2, $3, $4::jsonb)",
      caller.name(), action, repo_id, details.dump());
}

}  // namespace mlgate::server
