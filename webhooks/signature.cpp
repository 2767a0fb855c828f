#include "webhooks/signature.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <climits>
#include <cstddef>
#include <optional>

namespace mlgate::webhooks {

namespace {

constexpr std::size_t kDigestSize = 32;  // SHA-256
constexpr std::string_view kGithubPrefix = "sha256=";
using Digest = std::array<unsigned char, kDigestSize>;

std::string to_hex(const unsigned char* data, std::size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(n * 2, '\0');
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = kDigits[data[i] >> 4];
    out[2 * i + 1] = kDigits[data[i] & 0x0f];
  }
  return out;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes exactly 64 hex digits (either case) into 32 bytes. The header is the attacker's own
// input, so branching on it leaks nothing about the secret.
std::optional<Digest> decode_digest_hex(std::string_view hex) {
  if (hex.size() != 2 * kDigestSize) return std::nullopt;
  Digest out{};
  for (std::size_t i = 0; i < kDigestSize; ++i) {
    const int hi = hex_value(hex[2 * i]);
    const int lo = hex_value(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<unsigned char>((hi << 4) | lo);
  }
  return out;
}

std::optional<Digest> hmac_sha256(std::string_view secret, std::string_view body) {
  if (secret.size() > static_cast<std::size_t>(INT_MAX)) return std::nullopt;
  Digest out{};
  unsigned int len = 0;
  // OpenSSL wants a non-null data pointer even for an empty body.
  static const unsigned char kEmpty = 0;
  const auto* data = body.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(body.data());
  const void* key = secret.empty() ? static_cast<const void*>(&kEmpty) : secret.data();
  if (HMAC(EVP_sha256(), key, static_cast<int>(secret.size()), data, body.size(), out.data(),
           &len) == nullptr ||
      len != kDigestSize) {
    return std::nullopt;
  }
  return out;
}

std::optional<Digest> sha256(std::string_view data) {
  Digest out{};
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr) != 1 ||
      len != kDigestSize) {
    return std::nullopt;
  }
  return out;
}

}  // namespace

std::string hmac_sha256_hex(std::string_view secret, std::string_view body) {
  const auto mac = hmac_sha256(secret, body);
  return mac ? to_hex(mac->data(), mac->size()) : std::string();
}

std::string sha256_hex(std::string_view data) {
  const auto digest = sha256(data);
  return digest ? to_hex(digest->data(), digest->size()) : std::string();
}

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
