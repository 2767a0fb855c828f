// Serving observations (docs/observations.md, "Observations"): the JSON lines a batch carries, the
// commit each row belongs to, and the per-window partial profiles a batch folds into. Pure: no
// I/O, no clock.
//
// A row: {"id": "...", "ts": 1767225600.5 | "2026-01-01T00:00:00Z", "features": {...},
// "prediction": {...}, "truth": ..., "sha": "..."}; id, ts and features are required. A truth
// row: {"id": "...", "truth": ...}. Rows are attributed to their own `sha` when they name one,
// otherwise to the commit deployed at `ts`; a row no deployment explains is kept, attributed to
// the empty sha ("unattributed").
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/feature_profile.h"
#include "core/parse_error.h"

namespace mlgate::core {

// Storage windows are this many seconds, aligned on the epoch; monitors' windows sum over them.
inline constexpr std::int64_t kObservationWindowSeconds = 300;
// Rows per (environment, window) kept with their id and prediction for late truth.
inline constexpr std::size_t kObservationSamplePerWindow = 1000;
inline constexpr std::size_t kObservationMaxIdBytes = 200;
// A row's `metrics` (what a staged rollout's judge compares: docs/rollouts.md): at most this many
// numbers, each name at most this many bytes.
inline constexpr std::size_t kObservationMaxMetrics = 32;
inline constexpr std::size_t kObservationMaxMetricNameBytes = 100;

struct ObservationLimits {
  std::size_t max_rows = 10000;                    // per batch
  std::size_t max_features = kProfileMaxFeatures;  // per row
  int max_depth = 8;                               // JSON nesting of one line
  // The latest ts a row may have (seconds since the epoch; 0: any). The server allows its clock
  // plus kObservationMaxAheadSeconds: a row from the far future would sit in a window that
  // compaction and retention never reach.
  double max_ts = 0;
};
inline constexpr double kObservationMaxAheadSeconds = 24 * 3600;

struct ObservationRow {
  std::string id;
  double ts = 0;    // seconds since the epoch, UTC
  std::string sha;  // "" unless the row named one
  nlohmann::json features;
  nlohmann::json prediction;              // null when the row had none
  nlohmann::json truth;                   // null when the row had none
  std::map<std::string, double> metrics;  // the row's "metrics": {"error_rate": 0, ...}
};

struct TruthRow {
  std::string id;
  nlohmann::json truth;
};

// A refusal of a batch: the HTTP status it deserves (400 malformed, 413 too many rows) and a
// message naming the 1-based line.
struct ObservationError {
  int status = 400;
  std::size_t line = 0;
  std::string message;
};

template <typename Row>
struct ParsedLines {
  std::vector<Row> rows;
  std::optional<ObservationError> error;  // set: no rows are to be stored
};

// Blank lines are skipped. The first problem refuses the whole batch.
ParsedLines<ObservationRow> parse_observation_lines(std::string_view body,
                                                    const ObservationLimits& limits);
ParsedLines<TruthRow> parse_truth_lines(std::string_view body, const ObservationLimits& limits);

// A timestamp: a number of seconds since the epoch, or an ISO 8601 UTC text
// (YYYY-MM-DDTHH:MM:SS[.fff](Z|+00:00)); nullopt otherwise.
std::optional<double> parse_observation_ts(const nlohmann::json& value);
std::int64_t observation_window(double ts);  // the start of ts's storage window

// An environment's deployment history as (seconds since the epoch, the sha deployed from then
// on; "" when nothing is), in time order.
struct DeployedSince {
  double since = 0;
  std::string sha;
};
std::string sha_deployed_at(const std::vector<DeployedSince>& history, double ts);

struct ObservationKey {
  std::int64_t window = 0;
  std::string sha;
  auto operator<=>(const ObservationKey&) const = default;
};

// A batch folded: one partial profile per (window, sha), and the rows of the batch attributed
// (row.sha filled in).
std::map<ObservationKey, DatasetProfile> fold_observations(
    std::vector<ObservationRow>& rows, const std::vector<DeployedSince>& history,
    std::uint64_t seed);

// reference.jsonl, a tier's reference rows: {"features": {...}, "prediction": {...}, "truth": ...}
// per line (blank lines skipped). The first max_rows rows are profiled, later ones only counted
// (skipped_rows); a line that is not such an object is an error naming it.
struct ReferenceProfile {
  DatasetProfile profile;
  std::size_t skipped_rows = 0;
};
Parsed<ReferenceProfile> parse_reference_jsonl(std::string_view body, std::size_t max_rows,
                                               std::uint64_t seed);

}  // namespace mlgate::core
