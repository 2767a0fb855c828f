// GitHub custom deployment protection rules (docs/forge-feedback.md): a
// `deployment_protection_rule` delivery is recorded as a request that the forge reporter answers
// once the gate decides.
#pragma once

#include <cstdint>
#include <pqxx/pqxx>
#include <string>

#include "store/repos.h"
#include "webhooks/event.h"

namespace mlgate::server {

struct ProtectionIntake {
  bool recorded = false;
  std::string note;  // what the delivery's record says
};

// Records the request when it can be answered: the repo has a forge token, and the callback URL
// is on the repo's forge API (the token is never sent anywhere else). Otherwise says why not.
ProtectionIntake record_protection_rule(pqxx::work& tx, const store::RepoRow& repo,
                                        const webhooks::Event& event, std::int64_t delivery_row_id);

}  // namespace mlgate::server
