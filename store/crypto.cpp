#include "store/crypto.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <stdexcept>
#include <vector>

#include "util/hash.h"
#include "util/hex.h"

namespace mlgate::store {
std::string random_hex(size_t bytes) {
  std::vector<unsigned char> buf(bytes);
  if (RAND_bytes(buf.data(), static_cast<int>(buf.size())) != 1) {
    throw std::runtime_error("OpenSSL RAND_bytes failed");
  }
  return util::to_hex(buf.data(), buf.size());
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  const auto da = util::sha256(a);
  const auto db = util::sha256(b);
  if (!da || !db) throw std::runtime_error("SHA-256 failed");
  return CRYPTO_memcmp(da->data(), db->data(), da->size()) == 0;
}

}  // namespace mlgate::store
