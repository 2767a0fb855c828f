// DatasetProfile to and from JSON (core/feature_profile.h), checked on the way in.
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "core/feature_profile.h"

namespace mlgate::core {
namespace {

using nlohmann::json;

[[noreturn]] void bad(const std::string& where, const std::string& what) {
  throw std::invalid_argument("profile: " + where + ": " + what);
}

std::uint64_t read_count(const json& object, const char* key, const std::string& where) {
  const auto it = object.find(key);
  if (it == object.end() || !it->is_number_unsigned()) {
    bad(where, std::string("\"") + key + "\" must be a non-negative integer");
  }
  return it->get<std::uint64_t>();
}

double read_finite(const json& value, const std::string& where) {
  if (!value.is_number()) bad(where, "a number is expected");
  const double x = value.get<double>();
  if (!std::isfinite(x)) bad(where, "the number is not finite");
  return x;
}

double read_number(const json& object, const char* key, const std::string& where) {
  const auto it = object.find(key);
  if (it == object.end()) bad(where, std::string("\"") + key + "\" is missing");
  return read_finite(*it, where + "." + key);
}

void read_numeric(const json& j, FeatureProfile& f, const std::string& where) {
  f.sum = read_number(j, "sum", where);
  f.sum_sq = read_number(j, "sum_sq", where);
  f.min = read_number(j, "min", where);
  f.max = read_number(j, "max", where);
  const auto sample = j.find("sample");
  if (sample == j.end() || !sample->is_array()) bad(where, "\"sample\" must be an array");
  const std::uint64_t expected = std::min<std::uint64_t>(f.count, kProfileSampleSize);
  if (sample->size() != expected) {
    bad(where, "the sample holds " + std::to_string(sample->size()) + " values, not " +
                   std::to_string(expected));
  }
  f.sample.reserve(sample->size());
  for (const json& x : *sample) f.sample.push_back(read_finite(x, where + ".sample"));
}

void read_categorical(const json& j, FeatureProfile& f, const std::string& where) {
  const auto counts = j.find("counts");
  if (counts == j.end() || !counts->is_object()) bad(where, "\"counts\" must be an object");
  if (counts->size() > kProfileMaxCategories + 1) bad(where, "too many categories");
  std::uint64_t total = 0;
  for (const auto& [name, n] : counts->items()) {
    if (name.size() > kProfileMaxCategoryBytes) bad(where, "a category name is too long");
    if (!n.is_number_unsigned()) bad(where + ".counts", "counts must be non-negative integers");
    const auto value = n.get<std::uint64_t>();
    if (value > f.count - std::min(total, f.count)) bad(where, "the category counts exceed count");
    f.counts.emplace(name, value);
    total += value;
  }
  if (total != f.count) bad(where, "the category counts do not add up to count");
}

FeatureProfile read_feature(const json& j, std::uint64_t rows, const std::string& where) {
  if (!j.is_object()) bad(where, "an object is expected");
  FeatureProfile f;
  const auto kind = j.find("kind");
  if (kind == j.end() || !kind->is_string()) bad(where, "\"kind\" must be a string");
  f.count = read_count(j, "count", where);
  f.missing = read_count(j, "missing", where);
  if (f.count > rows || f.missing != rows - f.count) bad(where, "count + missing != rows");
  if (*kind == "numeric") {
    read_numeric(j, f, where);
  } else if (*kind == "categorical") {
    f.kind = FeatureKind::categorical;
    read_categorical(j, f, where);
  } else {
    bad(where, "unknown kind \"" + kind->get<std::string>() + "\"");
  }
  return f;
}

}  // namespace

json profile_to_json(const DatasetProfile& p) {
  json features = json::object();
  for (const auto& [name, f] : p.features) {
    json j = {{"kind", to_string(f.kind)}, {"count", f.count}, {"missing", f.missing}};
    if (f.kind == FeatureKind::numeric) {
      j["sum"] = f.sum;
      j["sum_sq"] = f.sum_sq;
      j["min"] = f.min;
      j["max"] = f.max;
      j["sample"] = f.sample;
    } else {
      j["counts"] = f.counts;
    }
    features[name] = std::move(j);
  }
  return {{"rows", p.rows}, {"ignored_values", p.ignored_values}, {"features", features}};
}

DatasetProfile profile_from_json(const json& j) {
  if (!j.is_object()) bad("document", "an object is expected");
  DatasetProfile p;
  p.rows = read_count(j, "rows", "document");
  p.ignored_values = j.contains("ignored_values") ? read_count(j, "ignored_values", "document") : 0;
  const auto features = j.find("features");
  if (features == j.end() || !features->is_object()) bad("document", "\"features\" is missing");
  if (features->size() > kProfileMaxFeatures) bad("document", "too many features");
  for (const auto& [name, f] : features->items()) {
    if (name.size() > kProfileMaxCategoryBytes) bad("document", "a feature name is too long");
    p.features.emplace(name, read_feature(f, p.rows, "feature \"" + name + "\""));
  }
  return p;
}

}  // namespace mlgate::core
