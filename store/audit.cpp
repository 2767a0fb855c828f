#include "store/audit.h"

namespace mlgate::store {

void insert_audit_entry(pqxx::transaction_base& tx, const std::string& actor,
                        const std::string& action, std::optional<std::int64_t> repo_id,
                        const std::string& details_json) {
  tx.exec_params(
      "INSERT INTO audit_log (actor, action, repo_id, details) VALUES ($1, $2, $3, $4::jsonb)",
      actor, action, repo_id, details_json);
}

}  // namespace mlgate::store
