// Hashing and random tokens (OpenSSL).
#pragma once

#include <string>
#include <string_view>

namespace mlgate::store {

std::string sha256_hex(std::string_view data);
// `bytes` random bytes from OpenSSL's CSPRNG, hex-encoded (so 2*bytes characters).
std::string random_hex(size_t bytes);
// Equal without leaking where they differ (CRYPTO_memcmp over SHA-256 digests).
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace mlgate::store
