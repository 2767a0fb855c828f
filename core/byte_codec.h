// Little-endian bytes for the compact stored forms (core/feature_profile_binary.h,
// core/results_binary.h): unsigned integers of 1 to 8 bytes, doubles as their IEEE 754 bits, texts
// as a length and their bytes. The reader checks that every read has its bytes and throws
// std::invalid_argument naming the document and the place; it never reads past its input. Pure.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace mlgate::core {

class ByteWriter {
 public:
  void reserve(std::size_t n) { out_.reserve(n); }
  void raw(std::string_view s) { out_.append(s); }
  template <typename T>
  void uint(T v) {
    for (std::size_t i = 0; i < sizeof(T); ++i)
      out_.push_back(static_cast<char>((static_cast<std::uint64_t>(v) >> (8 * i)) & 0xff));
  }
  void f64(double x) { uint(std::bit_cast<std::uint64_t>(x)); }
  // A text of at most 65,535 bytes after its u16 length (the caller keeps to that bound).
  void text16(std::string_view s) {
    uint(static_cast<std::uint16_t>(s.size()));
    raw(s);
  }
  // A text after its u32 length.
  void text32(std::string_view s) {
    uint(static_cast<std::uint32_t>(s.size()));
    raw(s);
  }
  std::string take() && { return std::move(out_); }

 private:
  std::string out_;
};

class ByteReader {
 public:
  // `document` starts every error message ("profile (binary)").
  ByteReader(std::string_view in, std::string document) : in_(in), document_(std::move(document)) {}

  [[noreturn]] void bad(std::string_view where, const std::string& what) const {
    throw std::invalid_argument(document_ + ": " + std::string(where) + ": " + what);
  }
  std::string_view raw(std::size_t n) {
    if (in_.size() < n) bad("document", "the bytes end early");
    auto s = in_.substr(0, n);
    in_.remove_prefix(n);
    return s;
  }
  template <typename T>
  T uint() {
    const auto s = raw(sizeof(T));
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i)
      v |= static_cast<std::uint64_t>(static_cast<unsigned char>(s[i])) << (8 * i);
    return static_cast<T>(v);
  }
  double f64() { return std::bit_cast<double>(uint<std::uint64_t>()); }
  // A u16 length and that many bytes; longer than `max`: an error at `where`.
  std::string_view text16(std::size_t max, std::string_view where) {
    const auto n = uint<std::uint16_t>();
    if (n > max) bad(where, "a text is too long");
    return raw(n);
  }
  std::string_view text32(std::string_view where) {
    const auto n = uint<std::uint32_t>();
    if (n > in_.size()) bad(where, "a text runs past the end");
    return raw(n);
  }
  // How many bytes are left: a bound on any count read next (each item takes at least one).
  std::size_t left() const { return in_.size(); }
  bool done() const { return in_.empty(); }

 private:
  std::string_view in_;
  std::string document_;
};

}  // namespace mlgate::core
