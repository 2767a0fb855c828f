// The audit log's rows (audit_log): who did what to which repository.
#pragma once

#include <cstdint>
#include <optional>
#include <pqxx/pqxx>
#include <string>

namespace mlgate::store {

// Appends one audit_log row in the caller's transaction; `details_json` is a JSON object's text.
void insert_audit_entry(pqxx::transaction_base& tx, const std::string& actor,
                        const std::string& action, std::optional<std::int64_t> repo_id,
                        const std::string& details_json);

}  // namespace mlgate::store
