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

 private:
  std::array<std::uint64_t, 4> s_;
};

// One splitmix64 step: the state advances by the golden-ratio increment; returns the mixed value.
std::uint64_t splitmix64(std::uint64_t& state);

// A seed from strings (e.g. candidate sha, baseline sha, check name): the first 8 bytes, big
// endian, of SHA-256 over each part as its length (8 bytes, big endian) followed by its bytes, so
// that ("ab", "c") and ("a", "bc") differ. Throws std::runtime_error when OpenSSL fails.
std::uint64_t seed_from(std::span<const std::string> parts);

}  // namespace mlgate::core
