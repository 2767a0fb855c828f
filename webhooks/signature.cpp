#include "webhooks/signature.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <climits>
#include <cstddef>
#include <optional>

#include "util/hash.h"
#include "util/hex.h"

namespace mlgate::webhooks {

namespace {

constexpr std::size_t kDigestSize = 32;  // SHA-256
constexpr std::string_view kGithubPrefix = "sha256=";
using Digest = util::Sha256Digest;
using util::hmac_sha256;
using util::sha256;

// Decodes exactly 64 hex digits (either case) into 32 bytes. The header is the attacker's own
// input, so branching on it leaks nothing about the secret.
std::optional<Digest> decode_digest_hex(std::string_view hex) {
  if (hex.size() != 2 * kDigestSize) return std::nullopt;
  Digest out{};
  for (std::size_t i = 0; i < kDigestSize; ++i) {
    const int hi = util::hex_digit_value(hex[2 * i]);
    const int lo = util::hex_digit_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<unsigned char>((hi << 4) | lo);
  }
  return out;
}

}  // namespace

bool verify_github_signature(std::string_view secret, std::string_view body,
                             std::string_view header_value) {
  if (secret.empty()) return false;
  if (!header_value.starts_with(kGithubPrefix)) return false;
  const auto given = decode_digest_hex(header_value.substr(kGithubPrefix.size()));
  if (!given) return false;
  const auto expected = hmac_sha256(secret, body);
  if (!expected) return false;
  return CRYPTO_memcmp(given->data(), expected->data(), kDigestSize) == 0;
}

bool verify_gitlab_token(std::string_view secret, std::string_view header_value) {
  if (secret.empty() || header_value.empty()) return false;
  const auto a = sha256(secret);
  const auto b = sha256(header_value);
  if (!a || !b) return false;
  return CRYPTO_memcmp(a->data(), b->data(), kDigestSize) == 0;
}

bool verify_request(Forge forge, std::string_view secret, const Headers& headers,
                    std::string_view body) {
  switch (forge) {
    case Forge::github: {
      const auto sig = find_header(headers, kGithubSignatureHeader);
      return sig && verify_github_signature(secret, body, *sig);
    }
    case Forge::gitlab: {
      const auto token = find_header(headers, kGitlabTokenHeader);
      return token && verify_gitlab_token(secret, *token);
    }
  }
  return false;
}

}  // namespace mlgate::webhooks
