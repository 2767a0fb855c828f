// Approving a fork pull request's pipeline (docs/security.md, "Fork pull requests"): shared by the
// API (POST /api/v1/pipelines/{id}/approve) and the pipeline page's button. The caller has the
// deploy scope already (the route asked the Authorizer); this checks its repository restriction
// again, approves once, and audits who approved.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>

#include "server/http/auth.h"
#include "store/database.h"

namespace mlgate::server {

struct ApprovalAnswer {
  int status = 200;  // 200 approved; 404 no such pipeline or another repository's; 409 not
                     // awaiting approval
  // 200: {"id", "state", "approved_by"}; otherwise {"error": {"code", "message"}}.
  nlohmann::json body;
};

ApprovalAnswer approve_pipeline(store::Database& db, const Caller& caller,
                                std::int64_t pipeline_id);

}  // namespace mlgate::server
