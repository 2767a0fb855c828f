// Webhook authenticity checks, all constant-time in the secret (OpenSSL CRYPTO_memcmp).
//
// GitHub signs the raw request body with HMAC-SHA256 keyed by the webhook secret and sends
// "X-Hub-Signature-256: sha256=<64 hex digits>". The prefix must be exactly "sha256=" (lowercase,
// as GitHub sends it); the digits may be either case: they are decoded into the 32 digest bytes and
// the bytes are compared. GitLab sends the configured secret token verbatim in "X-Gitlab-Token";
// its SHA-256 digest is compared with the digest of the expected secret, so the comparison neither
// stops early nor reveals the secret's length. An empty secret never verifies anything.
#pragma once

#include <string>
#include <string_view>

#include "webhooks/event.h"
#include "webhooks/headers.h"

namespace mlgate::webhooks {

// True when header_value is "sha256=" followed by the 64 hex digits (any case) of
// HMAC-SHA256(secret, body). False for an empty secret, a missing or different prefix, a wrong
// length, non-hex digits, surrounding whitespace, or a different digest.
bool verify_github_signature(std::string_view secret, std::string_view body,
                             std::string_view header_value);

// True when header_value equals secret byte for byte. False for an empty secret or header.
bool verify_gitlab_token(std::string_view secret, std::string_view header_value);

// Checks the request with the forge's scheme: GitHub X-Hub-Signature-256 over body, GitLab
// X-Gitlab-Token. A missing header does not verify.
bool verify_request(Forge forge, std::string_view secret, const Headers& headers,
                    std::string_view body);

}  // namespace mlgate::webhooks
