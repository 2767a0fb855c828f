// Random tokens and constant-time comparison (OpenSSL); hashing is util/hash.h.
#pragma once

#include <string>
#include <string_view>

#include "util/hash.h"

namespace mlgate::store {

// `bytes` random bytes from OpenSSL's CSPRNG, hex-encoded (so 2*bytes characters).
std::string random_hex(size_t bytes);
// Equal without leaking where they differ (CRYPTO_memcmp over SHA-256 digests).
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace mlgate::store
