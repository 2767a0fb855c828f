// SHA-256 and HMAC-SHA-256 (OpenSSL), raw and as lower-case hex.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace mlgate::util {

using Sha256Digest = std::array<unsigned char, 32>;

// nullopt only when OpenSSL fails.
std::optional<Sha256Digest> sha256(std::string_view data);
// nullopt when OpenSSL fails or the secret is longer than INT_MAX bytes.
std::optional<Sha256Digest> hmac_sha256(std::string_view secret, std::string_view body);

// 64 hex digits; throws std::runtime_error when OpenSSL fails.
std::string sha256_hex(std::string_view data);
// 64 hex digits, or "" when hmac_sha256 gives nullopt.
std::string hmac_sha256_hex(std::string_view secret, std::string_view body);

}  // namespace mlgate::util
