#include "server/services/approval.h"

#include "core/states.h"
#include "server/http/json_log.h"
#include "server/services/audit.h"
#include "store/jobs.h"
#include "store/pipelines.h"

namespace mlgate::server {
namespace {

ApprovalAnswer refusal(int status, const std::string& code, const std::string& message) {
  return {status, {{"error", {{"code", code}, {"message", message}}}}};
}

}  // namespace

ApprovalAnswer approve_pipeline(store::Database& db, const Caller& caller,
                                std::int64_t pipeline_id) {
  const std::string id_text = std::to_string(pipeline_id);
  auto answer = db.with([&](pqxx::connection& c) {
    pqxx::work tx(c);
    auto repo_id = store::repo_of_pipeline(tx, pipeline_id);
    if (!repo_id) return refusal(404, "not_found", "no pipeline " + id_text);
    // The route asked the Authorizer with this pipeline already; a token restricted to another
    // repository gets the same answer as an id that does not exist.
    if (!caller.may_access_repo(*repo_id))
      return refusal(404, "not_found", "no pipeline " + id_text);
    const store::Approval a = store::approve_pipeline(tx, pipeline_id, caller.name());
    if (!a.found) return refusal(404, "not_found", "no pipeline " + id_text);
    if (!a.approved)
      return refusal(409, "not_awaiting_approval",
                     "pipeline " + id_text + " is " + std::string(core::to_string(a.state)) +
                         ", not awaiting approval");
    audit(tx, caller, "pipeline.approve", a.repo_id, {{"pipeline", pipeline_id}, {"sha", a.sha}});
    tx.commit();
    return ApprovalAnswer{
        200,
        {{"id", pipeline_id}, {"state", core::to_string(a.state)}, {"approved_by", caller.name()}}};
  });
  if (answer.status == 200)
    log_event(spdlog::level::info, "pipeline approved",
              {{"pipeline", pipeline_id}, {"by", caller.name()}});
  return answer;
}

}  // namespace mlgate::server
