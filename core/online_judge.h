// The online judge of a staged rollout (docs/rollouts.md): a candidate commit's observations
// against the stable commit's over the analysis intervals of the current stage, metric by metric
// (NaNs removed, outliers removed by Tukey's fences, a Mann–Whitney U test with the
// Hodges–Lehmann shift and its confidence interval), a score, and what the stage does next. Pure
// and deterministic: the same inputs give the same verdict.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/rollout_config.h"

namespace mlgate::core {

// The two-sided Mann–Whitney U test of x against y by the normal approximation, with the tie
// correction of the variance and a continuity correction of 0.5 (scipy.stats.mannwhitneyu with
// method="asymptotic", use_continuity=True). `u` is the U statistic of x.
struct MannWhitneyTest {
  double u = 0;
  double z = 0;
  double p_value = 1;  // 1 when every value is tied (no evidence of a shift)
};
// Both samples non-empty and NaN-free.
MannWhitneyTest mann_whitney_u(std::span<const double> x, std::span<const double> y);

// The Hodges–Lehmann estimate of the shift of x against y: the median of the pairwise differences
// x_i - y_j (the mean of the two middle ones for an even count). Both samples non-empty.
double hodges_lehmann_shift(std::span<const double> x, std::span<const double> y);

// The confidence interval of the shift as Kayenta (and R's wilcox.test, exact = FALSE) computes
// it: the shifts mu at which the continuity-corrected normal statistic of x - mu against y
// crosses -z and +z, searched between min(x) - max(y) and max(x) - min(y).
struct ShiftInterval {
  double lower = 0;
  double upper = 0;
};
ShiftInterval shift_confidence_interval(std::span<const double> x, std::span<const double> y,
                                        double confidence);

// `values` without NaNs (and infinities) and without the values outside the wider of Tukey's
// fences (Q1 - factor * IQR, Q3 + factor * IQR) and the 1st/99th percentiles, as Kayenta's
// IQRDetector with reduceSensitivity. Percentiles as R-7 (numpy's default). Order kept.
std::vector<double> clean_observations(std::span<const double> values, double factor = 3.0);

enum class MetricVerdict : std::uint8_t { pass, high, low, no_data };
std::string_view to_string(MetricVerdict v);

enum class StageDecision : std::uint8_t { promote, rollback, pause, keep_going, no_data };
// "promote", "rollback", "pause", "continue", "no_data".
std::string_view to_string(StageDecision d);

struct MetricSamples {
  std::string name;
  std::vector<double> candidate;  // one value per observation, as recorded (NaNs allowed)
  std::vector<double> stable;
};

// One metric's judgement. The statistics are set when both cleaned samples hold values that are
// not all the same.
struct MetricJudgement {
  std::string name;
  MetricVerdict verdict = MetricVerdict::no_data;
  bool critical = false;        // a critical metric whose verdict counts against the candidate
  std::size_t candidate_n = 0;  // after cleaning
  std::size_t stable_n = 0;
  std::optional<double> p_value;
  std::optional<double> shift;  // Hodges–Lehmann, candidate - stable
  std::optional<ShiftInterval> interval;
  std::optional<double> mean_ratio;  // mean(candidate) / mean(stable); unset when a mean is 0
  std::string reason;
};

// Judges one metric by its rule (direction, effect-size thresholds) at `confidence`.
MetricJudgement judge_metric(const RolloutMetric& rule, const MetricSamples& samples,
                             double confidence = kJudgeConfidence);

// Shadow traffic: the candidate and stable answers to the same request id.
struct ShadowAnswer {
  std::string id;
  std::string label;
  std::optional<double> score;
};
struct ShadowComparison {
  std::size_t paired = 0;              // ids both answered
  std::optional<double> flip_rate;     // share of paired ids whose labels differ
  std::size_t scored = 0;              // paired ids where both carry a score
  std::optional<double> score_change;  // mean of candidate score - stable score over them
};
// Ids are matched exactly; an id repeated on one side counts with its first answer.
ShadowComparison compare_shadow(const std::vector<ShadowAnswer>& candidate,
                                const std::vector<ShadowAnswer>& stable);

struct StageJudgement {
  std::vector<MetricJudgement> metrics;  // in the analysis' order
  std::optional<double> score;           // 0..100; unset when the data is too thin to score
  StageDecision decision = StageDecision::no_data;
  std::string reason;
  std::optional<ShadowComparison> shadow;
};

struct StageInput {
  std::vector<MetricSamples> samples;  // by metric name; a metric without samples has no data
  std::int64_t elapsed_seconds = 0;    // since the stage started
  std::optional<std::vector<ShadowAnswer>> shadow_candidate;  // mirror stages only
  std::optional<std::vector<ShadowAnswer>> shadow_stable;
};

// The verdict on a stage of a rollout at this moment (docs/rollouts.md "The decision").
StageJudgement judge_stage(const RolloutConfig& rollout, const RolloutStage& stage,
                           const StageInput& input);

}  // namespace mlgate::core
