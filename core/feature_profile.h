// Profiles of a data set for production monitoring (docs/monitoring.md): per feature, numeric
// moments, extremes and a bounded deterministic sample (quantiles, drift tests), categorical
// counts, and the share of rows without a value. A tier's reference.jsonl and each window of
// serving observations become one DatasetProfile; windows merge. Memory is bounded by the
// constants below whatever the rows hold. Pure: no I/O.
//
// Values, decided once for every caller:
//   - numbers are numeric; strings and bools are categorical (bools as "true" / "false");
//   - null, an absent key, an array or an object, NaN, +/-inf and numbers of magnitude above
//     kProfileMaxMagnitude count as missing (so sums and sums of squares stay finite);
//   - a feature is numeric until its first string or bool; from then on it is categorical: the
//     numbers it had become categories of their shortest round-trip text (the ones in the sample
//     exactly, the rest as kProfileNumberCategory) and later numbers are counted by their text;
//   - a category name longer than kProfileMaxCategoryBytes is cut there (at a UTF-8 character
//     boundary); past kProfileMaxCategories distinct names, new names count as kProfileOther;
//   - a feature name longer than kProfileMaxCategoryBytes, or a new name once
//     kProfileMaxFeatures features are known, is not profiled: its values are counted in
//     DatasetProfile::ignored_values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/seeded_rng.h"

namespace mlgate::core {

inline constexpr std::size_t kProfileSampleSize = 1000;    // numeric: bounded reservoir per feature
inline constexpr std::size_t kProfileMaxCategories = 200;  // categorical: beyond this, "(other)"
inline constexpr std::size_t kProfileMaxFeatures = 500;    // more: not profiled, counted ignored
inline constexpr std::size_t kProfileMaxCategoryBytes = 256;  // category and feature names
inline constexpr double kProfileMaxMagnitude = 1e100;         // larger numbers count as missing
inline constexpr const char* kProfileOther = "(other)";
inline constexpr const char* kProfileNumberCategory = "(number)";

enum class FeatureKind { numeric, categorical };

std::string to_string(FeatureKind kind);  // "numeric", "categorical"

struct FeatureProfile {
  FeatureKind kind = FeatureKind::numeric;
  std::uint64_t count = 0;    // rows with a value
  std::uint64_t missing = 0;  // rows where it is absent, null or refused (count + missing = rows)
  double sum = 0, sum_sq = 0, min = 0, max = 0;  // numeric (min, max: 0 while count is 0)
  std::vector<double> sample;                    // numeric, <= kProfileSampleSize, deterministic
  std::map<std::string, std::uint64_t> counts;   // categorical; the counts sum to count

  // numeric: the mean and the population variance from sum and sum_sq (NaN without values).
  double mean() const;
  double variance() const;
  bool operator==(const FeatureProfile&) const = default;
};

struct DatasetProfile {
  std::uint64_t rows = 0;
  // Features by name; the prediction's keys as "prediction.label", "prediction.score", ...
  std::map<std::string, FeatureProfile> features;
  std::uint64_t ignored_values = 0;  // values of features that were not profiled (see above)
  bool operator==(const DatasetProfile&) const = default;
};

// Folds rows one at a time; memory bounded by the constants. Deterministic for the same rows in
// the same order and the same seed (reservoir sampling, Vitter's algorithm R, on SeededRng).
class ProfileBuilder {
 public:
  explicit ProfileBuilder(std::uint64_t seed);
  // features: an object of feature values (anything else counts as a row without features);
  // prediction: an object ({"label": ..., "score": ...}) or nullptr, its keys profiled as
  // "prediction.<key>".
  void add_row(const nlohmann::json& features, const nlohmann::json* prediction);
  DatasetProfile finish() &&;

 private:
  using Features = std::map<std::string, FeatureProfile>;
  // `next`: where the feature is looked for before a search, moved past the one found (rows of a
  // batch mostly have the same features, and a row's object is in name order like the profile's).
  void add_value(const std::string& name, const nlohmann::json& value, Features::iterator& next);
  DatasetProfile profile_;
  SeededRng rng_;
  std::string prefixed_;  // "prediction.<key>", reused
};

// The profile of both data sets: counts add, a feature absent from one side is missing in all its
// rows, the reservoirs are merged in proportion to their counts (a sample of the union), category
// and feature caps applied again (the most frequent kept, ties by name). Deterministic for the
// same inputs and seed.
DatasetProfile merge_profiles(const DatasetProfile& a, const DatasetProfile& b, std::uint64_t seed);

// {"rows": n, "ignored_values": n, "features": {"name": {"kind": "numeric", "count", "missing",
// "sum", "sum_sq", "min", "max", "sample": [...]} | {"kind": "categorical", "count", "missing",
// "counts": {...}}}}
nlohmann::json profile_to_json(const DatasetProfile&);
// Throws std::invalid_argument naming the first problem: a bad shape, a non-finite number, a cap
// exceeded, counts that do not add up (count + missing != rows, categories not summing to count,
// a sample larger than count).
DatasetProfile profile_from_json(const nlohmann::json&);

// A number as a category: its shortest round-trip text ("3", "2.5", "1e+20").
std::string profile_number_text(double x);

// A feature's values as categories: a categorical feature's counts; a numeric feature's sample by
// profile_number_text, the values the sample did not keep as
// kProfileNumberCategory (none while count <= kProfileSampleSize).
std::map<std::string, std::uint64_t> category_counts(const FeatureProfile&);

// Quantiles of a numeric feature's sample, linear interpolation between order statistics
// (numpy's default, Hyndman & Fan type 7); each q in [0, 1]. NaN for each q when the feature has
// no sample or is categorical, or for a q outside [0, 1].
std::vector<double> profile_quantiles(const FeatureProfile&, const std::vector<double>& qs);

}  // namespace mlgate::core
