// GitLab webhook deliveries (X-Gitlab-Event + JSON body) normalised into an Event.
#pragma once

#include <string_view>

#include "webhooks/event.h"
#include "webhooks/headers.h"

namespace mlgate::webhooks {

// Normalises one GitLab delivery. Does not check X-Gitlab-Token: call verify_gitlab_token() (or
// verify_request()) first. Handles:
//   Push Hook          -> push; branch_delete when after is all zeros
//   Tag Push Hook      -> tag (sha = checkout_sha, the tagged commit); tag_delete when after is
//                         all zeros
//   Merge Request Hook -> object_attributes.action open|reopen: pull_request_open; update:
//                         pull_request_update only when object_attributes.oldrev is present (new
//                         commits), else ignored; close|merge: pull_request_close; others ignored
//   System Hook        -> dispatched on object_kind (push, tag_push, merge_request) as above
//   anything else      -> ignored
// Errors (400) as for normalise_github(). Event::delivery_id is filled by
// delivery_id(Forge::gitlab, ...).
NormaliseResult normalise_gitlab(const Headers& headers, std::string_view body);

}  // namespace mlgate::webhooks
