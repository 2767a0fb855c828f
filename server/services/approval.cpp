#include "server/services/approval.h"

#include "core/states.h"
#include "server/http/json_log.h"
#include "server/services/audit.h"
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
    const store::Approval a = store::approve_pipeline(tx, pipeline_id, caller.name());
    // The route asked the Authorizer with this pipeline already; should the pipeline be another
    // repository's, the answer is that of an id that does not exist, and nothing is committed.
    if (!a.found || !caller.may_access_repo(a.repo_id))
      return refusal(404, "not_found", "no pipeline " + id_text);
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
