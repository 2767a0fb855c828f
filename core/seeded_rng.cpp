#include "core/seeded_rng.h"

#include <stdexcept>

#include "util/hash.h"

namespace mlgate::core {
std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

SeededRng::SeededRng(std::uint64_t seed) {
  // splitmix64 never gives four zero words in a row, the one state xoshiro must avoid.
  for (auto& word : s_) word = splitmix64(seed);
}

std::uint64_t SeededRng::below(std::uint64_t bound) {
  if (bound == 0) return 0;
  // Lemire (2019): the high word of x * bound, rejecting the low words below 2^64 mod bound.
  unsigned __int128 m = static_cast<unsigned __int128>(next()) * bound;
  auto low = static_cast<std::uint64_t>(m);
  if (low < bound) {
    const std::uint64_t threshold = (0 - bound) % bound;
    while (low < threshold) {
      m = static_cast<unsigned __int128>(next()) * bound;
      low = static_cast<std::uint64_t>(m);
    }
  }
  return static_cast<std::uint64_t>(m >> 64);
}

double SeededRng::uniform() {
  return static_cast<double>(next() >> 11) * 0x1.0p-53;
}

std::uint64_t seed_from(std::span<const std::string> parts) {
  std::string message;
  for (const std::string& part : parts) {
    const std::uint64_t size = part.size();
    for (int shift = 56; shift >= 0; shift -= 8) {
      message.push_back(static_cast<char>((size >> shift) & 0xFF));
    }
    message += part;
  }
  const auto digest = util::sha256(message);
  if (!digest) throw std::runtime_error("seed_from: SHA-256 failed (OpenSSL)");
  std::uint64_t seed = 0;
  for (int i = 0; i < 8; ++i) seed = (seed << 8) | (*digest)[i];
  return seed;
}

}  // namespace mlgate::core
