// DatasetProfile to and from compact bytes (core/feature_profile_binary.h), checked on the way in.
#include "core/feature_profile_binary.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "core/byte_codec.h"

namespace mlgate::core {
namespace {

constexpr std::string_view kMagic = "MGP1";

class Writer : public ByteWriter {
 public:
  void text(const std::string& s) { text16(s); }
};

class Reader : public ByteReader {
 public:
  explicit Reader(std::string_view in) : ByteReader(in, "profile (binary)") {}
  double finite(const std::string& where) {
    const double x = f64();
    if (!std::isfinite(x)) bad(where, "the number is not finite");
    return x;
  }
  std::string text(const std::string& where) {
    return std::string(text16(kProfileMaxCategoryBytes, where));
  }
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
    r.bad(where,
          "the sample holds " + std::to_string(n) + " values, not " + std::to_string(expected));
  f.sample.reserve(n);
  for (std::uint32_t i = 0; i < n; ++i) f.sample.push_back(r.finite(where + ".sample"));
}

void read_categorical(Reader& r, FeatureProfile& f, const std::string& where) {
  const auto n = r.uint<std::uint32_t>();
  if (n > kProfileMaxCategories + 1) r.bad(where, "too many categories");
  std::uint64_t total = 0;
  for (std::uint32_t i = 0; i < n; ++i) {
    auto name = r.text(where);
    const auto value = r.uint<std::uint64_t>();
    if (value > f.count - std::min(total, f.count))
      r.bad(where, "the category counts exceed count");
    if (!f.counts.emplace(std::move(name), value).second) r.bad(where, "a category twice");
    total += value;
  }
  if (total != f.count) r.bad(where, "the category counts do not add up to count");
}

FeatureProfile read_feature(Reader& r, std::uint64_t rows, const std::string& where) {
  FeatureProfile f;
  const auto kind = r.uint<std::uint8_t>();
  f.count = r.uint<std::uint64_t>();
  f.missing = r.uint<std::uint64_t>();
  if (f.count > rows || f.missing != rows - f.count) r.bad(where, "count + missing != rows");
  if (kind == 0) {
    read_numeric(r, f, where);
  } else if (kind == 1) {
    f.kind = FeatureKind::categorical;
    read_categorical(r, f, where);
  } else {
    r.bad(where, "unknown kind " + std::to_string(kind));
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
  if (r.raw(kMagic.size()) != kMagic) r.bad("document", "not a binary profile");
  DatasetProfile p;
  p.rows = r.uint<std::uint64_t>();
  p.ignored_values = r.uint<std::uint64_t>();
  const auto n = r.uint<std::uint32_t>();
  if (n > kProfileMaxFeatures) r.bad("document", "too many features");
  for (std::uint32_t i = 0; i < n; ++i) {
    auto name = r.text("document");
    auto f = read_feature(r, p.rows, "feature \"" + name + "\"");
    if (!p.features.emplace(std::move(name), std::move(f)).second)
      r.bad("document", "a feature twice");
  }
  if (!r.done()) r.bad("document", "bytes after the profile");
  return p;
}

}  // namespace mlgate::core
