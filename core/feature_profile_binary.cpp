// DatasetProfile to and from compact bytes (core/feature_profile_binary.h), checked on the way in.
#include "core/feature_profile_binary.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <stdexcept>

namespace mlgate::core {
namespace {

constexpr std::string_view kMagic = "MGP1";

[[noreturn]] void bad(const std::string& where, const std::string& what) {
  throw std::invalid_argument("profile (binary): " + where + ": " + what);
}

class Writer {
 public:
  void raw(std::string_view s) { out_.append(s); }
  template <typename T>
  void uint(T v) {
    for (std::size_t i = 0; i < sizeof(T); ++i)
      out_.push_back(static_cast<char>((static_cast<std::uint64_t>(v) >> (8 * i)) & 0xff));
  }
  void f64(double x) { uint(std::bit_cast<std::uint64_t>(x)); }
  void text(const std::string& s) {
    uint(static_cast<std::uint16_t>(s.size()));
    raw(s);
  }
  std::string take() && { return std::move(out_); }
  void reserve(std::size_t n) { out_.reserve(n); }

 private:
  std::string out_;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
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
  double finite(const std::string& where) {
    const double x = std::bit_cast<double>(uint<std::uint64_t>());
    if (!std::isfinite(x)) bad(where, "the number is not finite");
    return x;
  }
  std::string text(const std::string& where) {
    const auto n = uint<std::uint16_t>();
    if (n > kProfileMaxCategoryBytes) bad(where, "a name is too long");
    return std::string(raw(n));
  }
  bool done() const { return in_.empty(); }

 private:
  std::string_view in_;
};

void write_feature(Writer& w, const std::string& name, const FeatureProfile& f) {
  w.text(name);
  w.uint(static_cast<std::uint8_t>(f.kind == FeatureKind::numeric ? 0 : 1));
  w.uint(f.count);
  w.uint(f.missing);
  if (f.kind == FeatureKind::numeric) {
    for (const double x : {f.sum, f.sum_sq, f.min, f.max}) w.f64(x);
    w.uint(static_cast<std::uint32_t>(f.sample.size()));
    for (const double x : f.sample) w.f64(x);
  } else {
    w.uint(static_cast<std::uint32_t>(f.counts.size()));
    for (const auto& [category, n] : f.counts) {
      w.text(category);
      w.uint(n);
    }
  }
}

void read_numeric(Reader& r, FeatureProfile& f, const std::string& where) {
  f.sum = r.finite(where + ".sum");
  f.sum_sq = r.finite(where + ".sum_sq");
  f.min = r.finite(where + ".min");
  f.max = r.finite(where + ".max");
  const auto n = r.uint<std::uint32_t>();
  const std::uint64_t expected = std::min<std::uint64_t>(f.count, kProfileSampleSize);
  if (n != expected)
    bad(where,
        "the sample holds " + std::to_string(n) + " values, not " + std::to_string(expected));
  f.sample.reserve(n);
  for (std::uint32_t i = 0; i < n; ++i) f.sample.push_back(r.finite(where + ".sample"));
}

void read_categorical(Reader& r, FeatureProfile& f, const std::string& where) {
  const auto n = r.uint<std::uint32_t>();
  if (n > kProfileMaxCategories + 1) bad(where, "too many categories");
  std::uint64_t total = 0;
  for (std::uint32_t i = 0; i < n; ++i) {
    auto name = r.text(where);
    const auto value = r.uint<std::uint64_t>();
    if (value > f.count - std::min(total, f.count)) bad(where, "the category counts exceed count");
    if (!f.counts.emplace(std::move(name), value).second) bad(where, "a category twice");
    total += value;
  }
  if (total != f.count) bad(where, "the category counts do not add up to count");
}

FeatureProfile read_feature(Reader& r, std::uint64_t rows, const std::string& where) {
  FeatureProfile f;
  const auto kind = r.uint<std::uint8_t>();
  f.count = r.uint<std::uint64_t>();
  f.missing = r.uint<std::uint64_t>();
  if (f.count > rows || f.missing != rows - f.count) bad(where, "count + missing != rows");
  if (kind == 0) {
    read_numeric(r, f, where);
  } else if (kind == 1) {
    f.kind = FeatureKind::categorical;
    read_categorical(r, f, where);
  } else {
    bad(where, "unknown kind " + std::to_string(kind));
  }
  return f;
}

}  // namespace

std::string profile_to_binary(const DatasetProfile& p) {
  Writer w;
  std::size_t size = 24;
  for (const auto& [name, f] : p.features) size += 64 + name.size() + 8 * f.sample.size();
  w.reserve(size);
  w.raw(kMagic);
  w.uint(p.rows);
  w.uint(p.ignored_values);
  w.uint(static_cast<std::uint32_t>(p.features.size()));
  for (const auto& [name, f] : p.features) write_feature(w, name, f);
  return std::move(w).take();
}

DatasetProfile profile_from_binary(std::string_view bytes) {
  Reader r(bytes);
  if (r.raw(kMagic.size()) != kMagic) bad("document", "not a binary profile");
  DatasetProfile p;
  p.rows = r.uint<std::uint64_t>();
  p.ignored_values = r.uint<std::uint64_t>();
  const auto n = r.uint<std::uint32_t>();
  if (n > kProfileMaxFeatures) bad("document", "too many features");
  for (std::uint32_t i = 0; i < n; ++i) {
    auto name = r.text("document");
    auto f = read_feature(r, p.rows, "feature \"" + name + "\"");
    if (!p.features.emplace(std::move(name), std::move(f)).second)
      bad("document", "a feature twice");
  }
  if (!r.done()) bad("document", "bytes after the profile");
  return p;
}

}  // namespace mlgate::core
