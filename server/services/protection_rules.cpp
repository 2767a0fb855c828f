#include "server/services/protection_rules.h"

#include "server/services/forge_requests.h"
#include "store/feedback.h"
#include "util/strings.h"

namespace mlgate::server {

ProtectionIntake record_protection_rule(pqxx::work& tx, const store::RepoRow& repo,
                                        const webhooks::Event& event,
                                        std::int64_t delivery_row_id) {
  ProtectionIntake out;
  const std::string api = forge_api_base(repo.forge, repo.api_base_url);
  if (repo.forge_token.empty()) {
    out.note = "deployment protection rule not answered: " + repo.full_name +
               " has no forge token to answer with";
    return out;
  }
  if (!same_origin(event.deployment_callback_url, api)) {
    out.note = "deployment protection rule not answered: its callback URL is not on " + api +
               " (the repo's api_base_url), and the token is only sent there";
    return out;
  }
  store::NewProtectionRequest r;
  r.repo_id = repo.id;
  r.delivery_id = delivery_row_id;
  r.sha = event.sha;
  r.environment = event.environment;
  r.callback_url = event.deployment_callback_url;
  r.deployment_id = event.deployment_id;
  auto id = store::record_protection_request(tx, r);
  out.recorded = true;
  out.note = "deployment protection rule " + std::to_string(id) + " for " + event.environment +
             " at " + util::short_sha(event.sha) + ": answered when the gate decides";
  return out;
}

}  // namespace mlgate::server
