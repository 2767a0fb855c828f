// A deterministic random number generator: the same seed gives the same numbers on every platform
// and standard library (the bootstrap's resamples, core/bootstrap.h, must be reproducible from a
// decision). xoshiro256** (Blackman & Vigna 2018) seeded through splitmix64; bounded integers by
// Lemire's multiply-and-reject method, never std::uniform_int_distribution (whose output differs
// between standard libraries). Pure.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>

namespace mlgate::core {

class SeededRng {
 public:
  explicit SeededRng(std::uint64_t seed);

  std::uint64_t next();
  // Uniform in [0, bound); bound > 0 (0 gives 0).
  std::uint64_t below(std::uint64_t bound);
  // Uniform in [0, 1) with 53 random bits.
  double uniform();
  // 32 bits: the high half of next(), then the low half of the same output.
  std::uint32_t next32();
  // Uniform in [0, bound) from next32(): two draws per 64-bit output (the bootstrap's resamples
  // draw millions). bound > 0 (0 gives 0).
  std::uint32_t below32(std::uint32_t bound);

 private:
  std::array<std::uint64_t, 4> s_;
  std::uint32_t spare_ = 0;
  bool has_spare_ = false;
};

// The hot paths, inline: a resample draws n of them in a row.

inline std::uint64_t SeededRng::next() {
  const auto rotl = [](std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); };
  const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const std::uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

inline std::uint32_t SeededRng::next32() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_;
  }
  const std::uint64_t x = next();
  spare_ = static_cast<std::uint32_t>(x);
  has_spare_ = true;
  return static_cast<std::uint32_t>(x >> 32);
}

// Lemire (2019): the high word of x * bound, rejecting the low words below 2^32 mod bound.
inline std::uint32_t SeededRng::below32(std::uint32_t bound) {
  if (bound == 0) return 0;
  std::uint64_t m = std::uint64_t{next32()} * bound;
  auto low = static_cast<std::uint32_t>(m);
  if (low < bound) {
    const std::uint32_t threshold = (0u - bound) % bound;
    while (low < threshold) {
      m = std::uint64_t{next32()} * bound;
      low = static_cast<std::uint32_t>(m);
    }
  }
  return static_cast<std::uint32_t>(m >> 32);
}

// One splitmix64 step: the state advances by the golden-ratio increment; returns the mixed value.
std::uint64_t splitmix64(std::uint64_t& state);

// A seed from strings (e.g. candidate sha, baseline sha, check name): the first 8 bytes, big
// endian, of SHA-256 over each part as its length (8 bytes, big endian) followed by its bytes, so
// that ("ab", "c") and ("a", "bc") differ. Throws std::runtime_error when OpenSSL fails.
std::uint64_t seed_from(std::span<const std::string> parts);

}  // namespace mlgate::core
