// Forge-independent entry points: the delivery id used for deduplication, a cheap look at the
// repository name before the signature is checked (the server needs the repository to find its
// secret), and a dispatcher over normalise_github() / normalise_gitlab().
#pragma once

#include <string>
#include <string_view>

#include "webhooks/event.h"
#include "webhooks/github.h"
#include "webhooks/gitlab.h"
#include "webhooks/headers.h"

namespace mlgate::webhooks {

// Maximum length of a delivery id taken from a header.
inline constexpr std::size_t kMaxDeliveryIdLength = 200;

// True for a usable header-supplied delivery id: 1 to 200 characters, each visible ASCII
// (0x21-0x7E; no spaces, no control characters, no bytes >= 0x80).
bool is_valid_delivery_id(std::string_view id);

// The id the server deduplicates deliveries on:
//   GitHub: X-GitHub-Delivery (GitHub resends the same GUID on redelivery);
//   GitLab: X-Gitlab-Event-UUID, else Idempotency-Key (GitLab >= 17.4);
// the first of those that is present and valid; otherwise "sha256:" + sha256_hex(body), so a
// retried delivery with identical bytes still deduplicates.
std::string delivery_id(Forge forge, const Headers& headers, std::string_view body);

// The repository the (not yet verified) body claims to come from: GitHub repository.full_name,
// GitLab project.path_with_namespace. "" when the body is not JSON, the field is absent or not a
// string, or when the body is not an object of valid JSON at most kMaxJsonDepth levels deep.
// Reads the body once as a stream of tokens and keeps that one string: no document is built before
// the signature is checked. A duplicate member or field counts as a parsed document would count it
// (the last one). Never throws (except std::bad_alloc).
std::string peek_repo_name(Forge forge, std::string_view body);

// normalise_github() or normalise_gitlab().
NormaliseResult normalise(Forge forge, const Headers& headers, std::string_view body);

}  // namespace mlgate::webhooks
