// The audit log: who did what to which repository, for every action an operator may have to
// explain later (deployments, forced deployments, rollbacks, tokens, cancels, triggers, repos).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <pqxx/pqxx>
#include <string>

#include "server/http/auth.h"

namespace mlgate::server {

// One audit_log row in the caller's transaction: it commits with the action or not at all.
void audit(pqxx::work& tx, const Caller& caller, const std::string& action,
           std::optional<std::int64_t> repo_id, const nlohmann::json& details);

}  // namespace mlgate::server
