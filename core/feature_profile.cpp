#include "core/feature_profile.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <utility>

namespace mlgate::core {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

bool usable_number(double x) {
  return std::isfinite(x) && std::fabs(x) <= kProfileMaxMagnitude;
}

// The shortest text that reads back as x ("3", "2.5", "1e+20").
std::string number_category(double x) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, x);
  return std::string(buffer, result.ptr);
}

// At most kProfileMaxCategoryBytes bytes, never in the middle of a UTF-8 character.
std::string cut_name(const std::string& name) {
  if (name.size() <= kProfileMaxCategoryBytes) return name;
  std::size_t end = kProfileMaxCategoryBytes;
  while (end > 0 && (static_cast<unsigned char>(name[end]) & 0xC0) == 0x80) --end;
  return name.substr(0, end);
}

std::size_t named_categories(const FeatureProfile& f) {
  return f.counts.size() - (f.counts.contains(kProfileOther) ? 1 : 0);
}

void add_category(FeatureProfile& f, const std::string& name, std::uint64_t n) {
  if (n == 0) return;
  const auto it = f.counts.find(name);
  if (it != f.counts.end()) {
    it->second += n;
  } else if (name != kProfileOther && named_categories(f) < kProfileMaxCategories) {
    f.counts.emplace(name, n);
  } else {
    f.counts[kProfileOther] += n;
  }
}

// A numeric feature becomes categorical: its sample's numbers by their text, the numbers the
// sample did not keep as kProfileNumberCategory.
void make_categorical(FeatureProfile& f) {
  if (f.kind == FeatureKind::categorical) return;
  f.kind = FeatureKind::categorical;
  for (const double x : f.sample) add_category(f, number_category(x), 1);
  add_category(f, kProfileNumberCategory, f.count - f.sample.size());
  f.sample.clear();
  f.sample.shrink_to_fit();
  f.sum = f.sum_sq = f.min = f.max = 0;
}

void add_number(FeatureProfile& f, double x, SeededRng& rng) {
  if (f.kind == FeatureKind::categorical) {
    add_category(f, number_category(x), 1);
    ++f.count;
    return;
  }
  // Algorithm R: the (count + 1)-th value replaces a random slot with probability K / (count + 1).
  if (f.sample.size() < kProfileSampleSize) {
    f.sample.push_back(x);
  } else {
    const std::uint64_t slot = rng.below(f.count + 1);
    if (slot < kProfileSampleSize) f.sample[slot] = x;
  }
  f.min = f.count == 0 ? x : std::min(f.min, x);
  f.max = f.count == 0 ? x : std::max(f.max, x);
  f.sum += x;
  f.sum_sq += x * x;
  ++f.count;
}

// Keeps the kProfileMaxCategories most frequent names (ties by name); the rest join "(other)".
void cap_categories(std::map<std::string, std::uint64_t>& counts) {
  std::uint64_t other = 0;
  std::vector<std::pair<std::string, std::uint64_t>> named;
  for (auto& [name, n] : counts) {
    if (name == kProfileOther) {
      other += n;
    } else {
      named.emplace_back(name, n);
    }
  }
  if (named.size() <= kProfileMaxCategories) return;
  std::sort(named.begin(), named.end(), [](const auto& x, const auto& y) {
    return x.second != y.second ? x.second > y.second : x.first < y.first;
  });
  for (std::size_t i = kProfileMaxCategories; i < named.size(); ++i) other += named[i].second;
  named.resize(kProfileMaxCategories);
  counts = std::map<std::string, std::uint64_t>(named.begin(), named.end());
  counts[kProfileOther] = other;
}

// `take` values of `from`, uniformly without replacement (a partial Fisher-Yates shuffle).
void draw_from(std::vector<double> from, std::size_t take, SeededRng& rng,
               std::vector<double>& out) {
  for (std::size_t i = 0; i < take; ++i) {
    const std::size_t j = i + static_cast<std::size_t>(rng.below(from.size() - i));
    std::swap(from[i], from[j]);
    out.push_back(from[i]);
  }
}

// A sample of the union of two data sets from their samples: each slot goes to a side with
// probability proportional to the values that side still stands for (sampling the union without
// replacement), within what each sample holds.
std::vector<double> merge_samples(const FeatureProfile& a, const FeatureProfile& b,
                                  SeededRng& rng) {
  std::vector<double> out;
  if (a.sample.size() + b.sample.size() <= kProfileSampleSize) {
    out = a.sample;
    out.insert(out.end(), b.sample.begin(), b.sample.end());
    return out;
  }
  std::uint64_t left_a = a.count, left_b = b.count;
  std::size_t from_a = 0, from_b = 0;
  for (std::size_t i = 0; i < kProfileSampleSize && left_a + left_b > 0; ++i) {
    bool pick_a = rng.below(left_a + left_b) < left_a;
    if (pick_a && from_a == a.sample.size()) pick_a = false;
    if (!pick_a && from_b == b.sample.size()) pick_a = true;
    if (pick_a) {
      ++from_a;
      left_a -= left_a > 0 ? 1 : 0;
    } else {
      ++from_b;
      left_b -= left_b > 0 ? 1 : 0;
    }
  }
  out.reserve(from_a + from_b);
  draw_from(a.sample, from_a, rng, out);
  draw_from(b.sample, from_b, rng, out);
  return out;
}

FeatureProfile merge_feature(FeatureProfile a, FeatureProfile b, std::uint64_t rows,
                             SeededRng& rng) {
  FeatureProfile out;
  out.count = a.count + b.count;
  out.missing = rows - out.count;
  if (a.kind == FeatureKind::categorical || b.kind == FeatureKind::categorical) {
    make_categorical(a);
    make_categorical(b);
    out.kind = FeatureKind::categorical;
    out.counts = std::move(a.counts);
    for (const auto& [name, n] : b.counts) out.counts[name] += n;
    cap_categories(out.counts);
    return out;
  }
  out.sum = a.sum + b.sum;
  out.sum_sq = a.sum_sq + b.sum_sq;
  if (a.count > 0 && b.count > 0) {
    out.min = std::min(a.min, b.min);
    out.max = std::max(a.max, b.max);
  } else {
    out.min = a.count > 0 ? a.min : b.min;
    out.max = a.count > 0 ? a.max : b.max;
  }
  out.sample = merge_samples(a, b, rng);
  return out;
}

// Keeps the kProfileMaxFeatures features with the most values (ties by name).
void cap_features(DatasetProfile& p) {
  if (p.features.size() <= kProfileMaxFeatures) return;
  std::vector<std::pair<std::uint64_t, std::string>> order;
  for (const auto& [name, f] : p.features) order.emplace_back(f.count, name);
  std::sort(order.begin(), order.end(), [](const auto& x, const auto& y) {
    return x.first != y.first ? x.first > y.first : x.second < y.second;
  });
  for (std::size_t i = kProfileMaxFeatures; i < order.size(); ++i) {
    p.ignored_values += order[i].first;
    p.features.erase(order[i].second);
  }
}

}  // namespace

std::string to_string(FeatureKind kind) {
  return kind == FeatureKind::numeric ? "numeric" : "categorical";
}

double FeatureProfile::mean() const {
  if (kind != FeatureKind::numeric || count == 0) return kNaN;
  return sum / static_cast<double>(count);
}

double FeatureProfile::variance() const {
  if (kind != FeatureKind::numeric || count == 0) return kNaN;
  const double m = mean();
  return std::max(0.0, sum_sq / static_cast<double>(count) - m * m);
}

ProfileBuilder::ProfileBuilder(std::uint64_t seed) : rng_(seed) {}

void ProfileBuilder::add_value(const std::string& name, const nlohmann::json& value,
                               Features::iterator& next) {
  auto it =
      next != profile_.features.end() && next->first == name ? next : profile_.features.find(name);
  if (it == profile_.features.end()) {
    if (name.size() > kProfileMaxCategoryBytes || profile_.features.size() >= kProfileMaxFeatures) {
      ++profile_.ignored_values;
      return;
    }
    it = profile_.features.emplace(name, FeatureProfile{}).first;
  }
  next = std::next(it);
  FeatureProfile& f = it->second;
  if (value.is_number()) {
    const double x = value.get<double>();
    if (usable_number(x)) add_number(f, x, rng_);
  } else if (value.is_string() || value.is_boolean()) {
    make_categorical(f);
    add_category(f,
                 value.is_boolean() ? (value.get<bool>() ? "true" : "false")
                                    : cut_name(value.get_ref<const std::string&>()),
                 1);
    ++f.count;
  }
}

void ProfileBuilder::add_row(const nlohmann::json& features, const nlohmann::json* prediction) {
  auto next = profile_.features.begin();
  if (features.is_object()) {
    for (const auto& [name, value] : features.items()) add_value(name, value, next);
  }
  if (prediction != nullptr && prediction->is_object()) {
    for (const auto& [name, value] : prediction->items()) {
      prefixed_.assign("prediction.");
      prefixed_ += name;
      add_value(prefixed_, value, next);
    }
  }
  ++profile_.rows;
}

DatasetProfile ProfileBuilder::finish() && {
  for (auto& [name, f] : profile_.features) f.missing = profile_.rows - f.count;
  return std::move(profile_);
}

DatasetProfile merge_profiles(const DatasetProfile& a, const DatasetProfile& b,
                              std::uint64_t seed) {
  SeededRng rng(seed);
  DatasetProfile out;
  out.rows = a.rows + b.rows;
  out.ignored_values = a.ignored_values + b.ignored_values;
  for (const auto& [name, fa] : a.features) {
    const auto it = b.features.find(name);
    FeatureProfile empty;
    empty.kind = fa.kind;
    out.features[name] =
        merge_feature(fa, it != b.features.end() ? it->second : empty, out.rows, rng);
  }
  for (const auto& [name, fb] : b.features) {
    if (a.features.contains(name)) continue;
    FeatureProfile empty;
    empty.kind = fb.kind;
    out.features[name] = merge_feature(empty, fb, out.rows, rng);
  }
  cap_features(out);
  return out;
}

std::string profile_number_text(double x) {
  return number_category(x);
}

std::map<std::string, std::uint64_t> category_counts(const FeatureProfile& f) {
  FeatureProfile copy = f;
  make_categorical(copy);
  return std::move(copy.counts);
}

std::vector<double> profile_quantiles(const FeatureProfile& f, const std::vector<double>& qs) {
  std::vector<double> sorted = f.kind == FeatureKind::numeric ? f.sample : std::vector<double>{};
  std::sort(sorted.begin(), sorted.end());
  std::vector<double> out;
  out.reserve(qs.size());
  for (const double q : qs) {
    if (sorted.empty() || !(q >= 0.0 && q <= 1.0)) {
      out.push_back(kNaN);
      continue;
    }
    const double h = static_cast<double>(sorted.size() - 1) * q;
    const auto lo = static_cast<std::size_t>(std::floor(h));
    const std::size_t hi = std::min(lo + 1, sorted.size() - 1);
    out.push_back(sorted[lo] + (h - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]));
  }
  return out;
}

}  // namespace mlgate::core
