// The `rollouts:` section of `.mlgate.yml` (docs/rollouts.md, docs/config.md "rollouts"): per
// environment, the stages of a staged rollout and the analysis that judges each one. Pure model;
// parsed by core/config_parse.cpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mlgate::core {

// Kayenta's NetflixACAJudge settings mlgate keeps fixed (docs/rollouts.md).
inline constexpr double kJudgeConfidence = 0.98;
inline constexpr double kJudgeTolerance = 0.25;  // of |Hodges–Lehmann shift|
inline constexpr double kOutlierFactor = 3.0;    // Tukey's fences at factor x IQR

struct RolloutStage {
  std::string name;
  // The share of live traffic the candidate serves (0..100), or, with `mirror`, the share of
  // stable's traffic copied to it (its answers are not served). Exactly one is set.
  std::optional<double> traffic_percent;
  std::optional<double> mirror_percent;
  std::optional<std::int64_t> for_seconds;  // unset only on the last stage
  int line = 0;
  int column = 0;

  bool mirror() const { return mirror_percent.has_value(); }
};

struct RolloutMetric {
  std::string name;
  bool lower_is_better = false;  // true: only an increase fails; false: only a decrease fails
  bool critical = false;         // a failure makes the score 0
  // Kayenta's effect sizes as mean(candidate) / mean(stable): an increase fails only when the
  // ratio is >= allowed_increase, a decrease only when it is <= allowed_decrease (1: any).
  double allowed_increase = 1.0;
  double allowed_decrease = 1.0;
  int line = 0;
  int column = 0;
};

struct RolloutAnalysis {
  std::int64_t every_seconds = 600;
  std::vector<RolloutMetric> metrics;
  double pass = 90;      // score >= pass after the stage's time: promote
  double marginal = 75;  // score < marginal: roll back
};

struct RolloutConfig {
  std::string environment;  // the gate (environment) name, e.g. "production"
  std::vector<RolloutStage> stages;
  RolloutAnalysis analysis;
  int line = 0;
};

}  // namespace mlgate::core
