// The `.mlgate.yml` model (docs/config.md) and its validation. Pure: the caller reads the file
// and hands its text in. The reference for every key is docs/config.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/cron.h"
#include "core/drift_test_names.h"

namespace mlgate::core {

inline constexpr std::string_view kTierFunctionality = "functionality";
inline constexpr std::string_view kTierValidation = "validation";
inline constexpr std::string_view kTierTraining = "training";
// The only tier names, in their fixed order (Config::tiers keeps this order).
inline constexpr std::string_view kTierNames[] = {kTierFunctionality, kTierValidation,
                                                  kTierTraining};
// The only events a tier can run on.
inline constexpr std::string_view kEventNames[] = {"push", "pull_request", "tag", "schedule"};

inline constexpr std::size_t kMaxConfigBytes = 256 * 1024;
// What a config's aliases (`*name`, merge keys `<<: *name` included) may add to it, expanded: the
// bytes of the scalars they reach plus one per node they reach. With the file's own limit, a parsed
// config is at most about twice kMaxConfigBytes however its aliases nest.
inline constexpr std::size_t kMaxConfigAliasBytes = kMaxConfigBytes;

// What an operator grants a tier at most (serve --max-job-cpus, --max-job-memory, --max-job-pids,
// --max-job-gpus, --allowed-images, --allowed-networks; docs/security.md, "Operator ceilings").
// A tier that asks for more is a config error that names the ceiling, at the line that asks.
struct JobCeilings {
  double cpus = 8;
  std::int64_t memory_bytes = std::int64_t{16} << 30;  // 16 GiB
  std::int64_t pids = 4096;
  int gpus = 0;
  // Glob patterns (core/glob.h, '*' crosses '/') a tier's image must match. The default: the
  // images mlgate's own scripts build (scripts/images); runners announce none.
  std::vector<std::string> images = {"mlgate/*"};
  // Of none and bridge. `none`, what a tier gets when it sets no network, is always allowed.
  std::vector<std::string> networks = {"none"};

  bool image_allowed(std::string_view image) const;
  bool network_allowed(std::string_view network) const;
};

// Hard-kill budgets, and the operator's ceilings on what a tier may ask for. A tier's timeout
// defaults to its ceiling and may only be lowered.
struct ConfigLimits {
  std::int64_t functionality_timeout_seconds = 5 * 60;
  std::int64_t validation_timeout_seconds = 60 * 60;
  std::int64_t training_timeout_seconds = 24 * 60 * 60;
  // nullopt: resources, images and networks are not held to ceilings (reading a config for its
  // gates only). The planner and `mlgate config validate` always set them.
  std::optional<JobCeilings> jobs;

  // The ceiling of a tier name; 0 for a name that is not a tier.
  std::int64_t ceiling_for(std::string_view tier) const;
};

// "4g", "512m", "1024k", "4Gi", "2GB", "1.5g" or plain bytes, in binary units (like Docker);
// nullopt for anything else.
std::optional<std::int64_t> parse_memory_size(std::string_view text);
// Bytes as the largest binary unit that divides them: "16g", "512m", "1536k", "100".
std::string format_memory_size(std::int64_t bytes);

struct Resources {
  std::optional<double> cpus;                // > 0, e.g. 2 or 0.5 (docker --cpus)
  std::optional<std::int64_t> memory_bytes;  // from "4g", "512m", "1024k", "4Gi", plain bytes
  std::optional<int> gpus;                   // >= 0 (docker --gpus N)
  std::optional<int> pids;                   // >= 1 (docker --pids-limit)

  friend bool operator==(const Resources&, const Resources&) = default;
};

struct TierConfig {
  std::string name;                   // functionality | validation | training
  std::string image;                  // the tier's image, else the top-level one
  std::vector<std::string> on;        // events, subset of kEventNames, in file order
  std::vector<std::string> branches;  // glob filters (core/glob.h); empty = every branch
  std::vector<std::string> needs;     // tier names that must pass first
  std::int64_t timeout_seconds = 0;   // <= the tier's ceiling
  Resources resources;
  std::string network = "none";         // "none" | "bridge"
  std::string run;                      // the command, non-empty
  std::optional<std::string> schedule;  // cron text; set iff `on` contains "schedule"
  std::optional<CronExpr> cron;         // parsed `schedule`
  bool cancel_superseded = false;       // default: true for functionality only
  std::map<std::string, std::string> env;
  // `repeat: N`: the tier runs as N jobs, MLGATE_REPEAT = 0..N-1 (docs/gate.md "Repeats"); 1 (the
  // default) runs it once.
  int repeat = 1;
  int line = 0;  // 1-based line of the tier's key in the file
};

inline constexpr int kMaxRepeat = 10;

// A change threshold: `value` is an absolute amount, or, when `percent` is true, a FRACTION of the
// baseline ("10%" -> value 0.10, percent true; allowed change = value * |baseline|).
struct Threshold {
  double value = 0.0;
  bool percent = false;

  friend bool operator==(const Threshold&, const Threshold&) = default;
};

// Where a check's metric comes from (docs/gate.md "Evidence"): the job's own metrics.json, or
// computed by mlgate from the examples of predictions.jsonl that carry their truth, the same code
// for the candidate and its baseline.
enum class MetricSource : std::uint8_t { metrics, predictions };
// What an inconclusive interval check does to the decision: block it (fail) or not (pass). The
// check's status stays `inconclusive` either way.
enum class WhenInconclusive : std::uint8_t { fail, pass };
std::string_view to_string(MetricSource s);
std::string_view to_string(WhenInconclusive w);

// A check's statistical settings. `confidence` (two-sided, in (0, 1)) makes the check judge an
// interval instead of a point value: pass, fail or inconclusive. Unset settings fall back to the
// gate's `statistics:` (GateStatistics), which applies to checks `from: predictions` only.
struct CheckStatistics {
  MetricSource from = MetricSource::metrics;
  std::optional<double> confidence;
  std::optional<WhenInconclusive> when_inconclusive;
  std::optional<std::string> positive_label;  // binary metrics: the positive label, as label text

  friend bool operator==(const CheckStatistics&, const CheckStatistics&) = default;
};

struct MetricCheck {
  std::string name;
  std::optional<double> min;
  std::optional<double> max;
  std::optional<Threshold> max_drop;      // only when higher is better (lower_is_better false)
  std::optional<Threshold> max_increase;  // only when lower_is_better is true
  // The largest max - min of the metric over the repeats of the tier that reports it (>= 0;
  // docs/gate.md "Repeats"). A metric reported by one run only is missing for this threshold.
  std::optional<double> max_spread;
  bool lower_is_better = false;
  bool optional = false;
  int line = 0;  // 1-based source position of the check
  int column = 0;
  CheckStatistics stats;
};

struct SliceCheck {
  std::string metric;
  std::string by;  // the slicing attribute, e.g. "age_group"
  std::optional<double> min;
  std::optional<double> max;
  std::optional<double> max_gap;  // best slice minus worst slice
  std::int64_t min_n = 30;        // slices with a reported n below this are not judged
  bool optional = false;
  int line = 0;
  int column = 0;
  CheckStatistics stats;
};

inline constexpr std::string_view kReferenceMajority = "majority";

struct FairnessCheck {
  std::string metric;
  std::string by;
  std::string reference = std::string(kReferenceMajority);  // "majority" = the largest group
  double lo = 0.8;                                          // disparity: [lo, hi]
  double hi = 1.25;
  std::int64_t min_n = 30;  // groups (and the reference) with a reported n below this are skipped
  bool optional = false;
  int line = 0;
  int column = 0;
  CheckStatistics stats;
};

struct PredictionsCheck {
  std::optional<double> max_flip_rate;    // a fraction 0..1 ("2%" -> 0.02)
  std::optional<double> max_score_delta;  // largest |score - baseline score|, >= 0
  bool optional = false;
  int line = 0;
  int column = 0;
};

struct RubricGate {
  double min_score = 0.0;  // 0..7
  int line = 0;
  int column = 0;
};

enum class Correction : std::uint8_t { none, bonferroni };
std::string_view to_string(Correction c);

inline constexpr int kDefaultResamples = 2000;
inline constexpr int kMinResamples = 100;
inline constexpr int kMaxResamples = 100000;

// A gate's `statistics:` (docs/gate.md "Evidence"): the defaults of its checks `from: predictions`
// and what holds for all its interval checks. With `correction: bonferroni`, each of the k
// interval checks of one evaluation is judged at 1 - (1 - confidence) / k.
struct GateStatistics {
  std::optional<double> confidence;  // for every check from predictions without its own
  WhenInconclusive when_inconclusive = WhenInconclusive::fail;
  Correction correction = Correction::none;
  int resamples = kDefaultResamples;          // per bootstrap
  std::optional<std::string> positive_label;  // label text
  int line = 0;
  int column = 0;
};

// A gate and the checks in it are the rules a deployment records (docs/gate.md, "The rules in
// force"): a setting added to them must also be written and read by core/gate_rules.cpp
// (gate_rules_json, parse_gate_rules_json) and compared there (diff_gate_rules).
struct GateConfig {
  std::string name;                  // the environment, e.g. "production"
  std::vector<std::string> require;  // tier names that must have passed
  std::vector<MetricCheck> metrics;
  std::vector<SliceCheck> slices;
  std::vector<FairnessCheck> fairness;
  std::optional<PredictionsCheck> predictions;
  std::optional<RubricGate> rubric;
  int line = 0;
  std::optional<GateStatistics> statistics;
};

struct RubricMapping {
  // rubric id -> glob patterns over test ids ("classname::name" style; see docs/config.md).
  std::map<std::string, std::vector<std::string>> automated;
  // rubric id -> path of an evidence file in the repository (relative, no "..").
  std::map<std::string, std::string> manual;
};

// Production monitoring (docs/monitoring.md): `monitors:`, one per environment, read at the
// deployed commit.
enum class MonitorAction : std::uint8_t { notify, retrain };
std::string_view to_string(MonitorAction a);

inline constexpr std::string_view kEveryFeature = "*";

// Input drift of a feature (or of every feature: kEveryFeature) against the reference. test:
// nullopt for Evidently's default choice; threshold: the test's default when not given (a
// p-value for ks, chi2 and z, a distance for the others).
struct DriftRule {
  std::string feature;
  std::optional<DriftTest> test;
  std::optional<double> threshold;
  int line = 0;
  int column = 0;

  friend bool operator==(const DriftRule&, const DriftRule&) = default;
};

// A quality metric computed from the window's predictions that carry their truth (a binary
// metric of core/example_metrics.h); judged only with at least min_n of them. With confidence,
// the metric's Wilson interval is judged instead of its value (as the gate does).
struct QualityRule {
  std::string metric;
  std::optional<double> min;
  std::optional<double> max;
  std::int64_t min_n = 30;
  std::optional<double> confidence;
  int line = 0;
  int column = 0;

  friend bool operator==(const QualityRule&, const QualityRule&) = default;
};

struct MonitorConfig {
  std::string environment;
  std::int64_t window_seconds = 3600;  // `window`: the observations one evaluation looks at
  std::int64_t every_seconds = 600;    // `every`: how often (at most the window)
  std::vector<DriftRule> drift;        // inputs against the reference, and against past windows
  std::optional<DriftRule> prediction_drift;  // "prediction.*" against the reference; feature ""
  std::optional<double> missing_max_share;    // `missing: {max_share}`: per feature, 0..1
  std::vector<QualityRule> quality;
  std::optional<std::int64_t> staleness_max_age_seconds;  // since the deployed commit's training
  std::vector<MonitorAction> on_alert = {MonitorAction::notify};
  std::int64_t retrain_every_seconds = 24 * 3600;  // at most one retraining per this
  double share = 0.5;  // dataset drift when at least this share of the features drift
  int line = 0;
  int column = 0;

  friend bool operator==(const MonitorConfig&, const MonitorConfig&) = default;
};

struct Config {
  int version = 1;
  std::string image;              // top-level default image; may be empty
  std::vector<TierConfig> tiers;  // functionality, validation, training order; only those declared
  std::vector<GateConfig> gates;  // file order
  RubricMapping rubric;
  std::vector<MonitorConfig> monitors;  // file order
};

struct ConfigError {
  int line = 1;  // 1-based
  int column = 1;
  std::string message;

  friend bool operator==(const ConfigError&, const ConfigError&) = default;
};

// Either a valid Config or a non-empty list of errors (sorted by position); never both.
struct ConfigParseResult {
  std::optional<Config> config;
  std::vector<ConfigError> errors;

  bool ok() const { return config.has_value(); }
  explicit operator bool() const { return ok(); }
};

// Parses and validates the text of a .mlgate.yml. Collects every error it can find (up to 100).
// Never throws; hostile input (deep nesting, aliases that expand past kMaxConfigAliasBytes, junk,
// > kMaxConfigBytes) yields errors.
ConfigParseResult parse_config(std::string_view yaml, const ConfigLimits& limits = {});

// "  .mlgate.yml:12:5: message\n" per error.
std::string format_errors(const std::vector<ConfigError>& errors,
                          std::string_view filename = ".mlgate.yml");

const TierConfig* find_tier(const Config& config, std::string_view name);
const GateConfig* find_gate(const Config& config, std::string_view name);
const MonitorConfig* find_monitor(const Config& config, std::string_view environment);

// What a gate (environment) name may be: 1 to 100 of [A-Za-z0-9_.-], as the API's paths and
// the deployments table take it.
bool is_environment_name(std::string_view name);
bool equal_ignoring_case(std::string_view a, std::string_view b);  // ASCII
// The gate name among `gate_names` for an environment named by a forge: the exact name, else the
// one that equals it ignoring case (GitHub's environment names are not case-sensitive:
// "Production" is the gate `production`; the parser refuses two gates that differ only by case).
// `name` itself when none matches.
std::string gate_for_environment(const std::vector<std::string>& gate_names, std::string_view name);

// The tiers (in Config order) that an event starts. `event` is push, pull_request, tag or
// schedule (anything else: none). `branch` is the short branch name ("main", not
// "refs/heads/main"): the pushed branch for push, the PR's TARGET branch for pull_request; it is
// ignored for tag and schedule. A tier runs when `on` contains the event and, for
// push/pull_request, `branches` is empty or one of its globs matches.
std::vector<std::string> tiers_for_event(const Config& config, std::string_view event,
                                         std::string_view branch);

}  // namespace mlgate::core
