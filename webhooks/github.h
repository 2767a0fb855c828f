// GitHub webhook deliveries (X-GitHub-Event + JSON body) normalised into an Event.
#pragma once

#include <string_view>

#include "webhooks/event.h"
#include "webhooks/headers.h"

namespace mlgate::webhooks {

// Normalises one GitHub delivery. Does not verify the signature: call verify_github_signature()
// (or verify_request()) first. Handles:
//   ping                       -> ping
//   push                       -> push (branch, including a newly created branch), tag,
//                                 branch_delete / tag_delete (deleted: true or after = zeros);
//                                 other refs (refs/notes/...) -> ignored
//   pull_request               -> opened|reopened: pull_request_open, synchronize:
//                                 pull_request_update, closed: pull_request_close; others ignored
//   deployment_protection_rule -> deployment_protection_rule
//   anything else              -> ignored
// Errors (400): no X-GitHub-Event header, malformed JSON, a body that is not an object, a missing
// required field or any field of the wrong JSON type (the message names the field).
// Event::delivery_id is filled by delivery_id(Forge::github, ...).
NormaliseResult normalise_github(const Headers& headers, std::string_view body);

}  // namespace mlgate::webhooks
