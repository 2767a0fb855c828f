#include "util/hash.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <climits>
#include <stdexcept>

#include "util/hex.h"

namespace mlgate::util {

std::optional<Sha256Digest> sha256(std::string_view data) {
  Sha256Digest out{};
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr) != 1 ||
      len != out.size()) {
    return std::nullopt;
  }
  return out;
}

std::optional<Sha256Digest> hmac_sha256(std::string_view secret, std::string_view body) {
  if (secret.size() > static_cast<std::size_t>(INT_MAX)) return std::nullopt;
  Sha256Digest out{};
  unsigned int len = 0;
  // OpenSSL wants a non-null data pointer even for an empty body.
  static const unsigned char kEmpty = 0;
  const auto* data = body.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(body.data());
  const void* key = secret.empty() ? static_cast<const void*>(&kEmpty) : secret.data();
  if (HMAC(EVP_sha256(), key, static_cast<int>(secret.size()), data, body.size(), out.data(),
           &len) == nullptr ||
      len != out.size()) {
    return std::nullopt;
  }
  return out;
}

std::string sha256_hex(std::string_view data) {
  const auto digest = sha256(data);
  if (!digest) throw std::runtime_error("SHA-256 failed");
  return to_hex(digest->data(), digest->size());
}

std::string hmac_sha256_hex(std::string_view secret, std::string_view body) {
  const auto mac = hmac_sha256(secret, body);
  return mac ? to_hex(mac->data(), mac->size()) : std::string();
}

}  // namespace mlgate::util
