#include "store/crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <stdexcept>
#include <vector>

namespace mlgate::store {
namespace {

std::string to_hex(const unsigned char* p, size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = digits[p[i] >> 4];
    out[2 * i + 1] = digits[p[i] & 0xf];
  }
  return out;
}

void sha256(std::string_view data, unsigned char out[32]) {
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out, &len, EVP_sha256(), nullptr) != 1 || len != 32) {
    throw std::runtime_error("SHA-256 failed");
  }
}

}  // namespace

std::string sha256_hex(std::string_view data) {
  unsigned char digest[32];
  sha256(data, digest);
  return to_hex(digest, sizeof digest);
}

std::string random_hex(size_t bytes) {
  std::vector<unsigned char> buf(bytes);
  if (RAND_bytes(buf.data(), static_cast<int>(buf.size())) != 1) {
    throw std::runtime_error("OpenSSL RAND_bytes failed");
  }
  return to_hex(buf.data(), buf.size());
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  unsigned char da[32], db[32];
  sha256(a, da);
  sha256(b, db);
  return CRYPTO_memcmp(da, db, sizeof da) == 0;
}

}  // namespace mlgate::store
