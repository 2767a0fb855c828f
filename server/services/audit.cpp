#include "server/services/audit.h"

#include "store/audit.h"

namespace mlgate::server {

void audit(pqxx::work& tx, const Caller& caller, const std::string& action,
           std::optional<std::int64_t> repo_id, const nlohmann::json& details) {
  store::insert_audit_entry(tx, caller.name(), action, repo_id, details.dump());
}

}  // namespace mlgate::server
