// Repeats for seed variance (docs/gate.md "Repeats"): `repeat:` and `max_spread:` in .mlgate.yml
// (errors at line:column), the Student-t and Welch intervals against hand computations, the
// repeats' results made one (core/repeats.h), and the gate on them: the mean, the spread, the
// interval verdicts, max_spread, a change against the baseline's repeats, and infra-1's credit.
#include "core/repeats.h"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/gate.h"
#include "core/gate_rules.h"
#include "core/stats.h"

namespace mlgate::core {
namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Line 4 holds the validation tier; the gate's checks start on line 8.
std::string config_with(const std::string& tier_extra, const std::string& checks) {
  return "version: 1\nimage: img\ntiers:\n  validation: {run: eval" + tier_extra +
         "}\ngates:\n  production:\n    metrics:\n" + checks;
}

ConfigError only_error(const std::string& text) {
  auto parsed = parse_config(text);
  EXPECT_EQ(parsed.errors.size(), 1u) << format_errors(parsed.errors);
  return parsed.errors.empty() ? ConfigError{0, 0, ""} : parsed.errors.front();
}

// ---------------------------------------------------------------------------------------------
// Config

TEST(RepeatsConfig, RepeatAndMaxSpreadAreRead) {
  auto parsed = parse_config(
      config_with(", repeat: 3", "      - {name: accuracy, min: 0.9, max_spread: 0.02}\n"));
  ASSERT_TRUE(parsed.ok()) << format_errors(parsed.errors);
  EXPECT_EQ(parsed.config->tiers.at(0).repeat, 3);
  EXPECT_EQ(parsed.config->gates.at(0).metrics.at(0).max_spread, 0.02);
  // Without `repeat:` a tier runs once; `repeat: 1` says the same.
  auto once = parse_config(config_with(", repeat: 1", "      - {name: accuracy, min: 0.9}\n"));
  ASSERT_TRUE(once.ok());
  EXPECT_EQ(once.config->tiers.at(0).repeat, 1);
  EXPECT_EQ(parse_config(config_with("", "      - {name: a, min: 1}\n")).config->tiers[0].repeat,
            1);
  // max_spread alone is a threshold.
  EXPECT_TRUE(parse_config(config_with(", repeat: 2", "      - {name: loss, max_spread: 0}\n")));
}

// Without a tier run with `repeat: N` a metric is reported once and has no spread: the check could
// only ever be missing (and deny), so it is refused at its key, for metrics and slices alike.
TEST(RepeatsConfig, MaxSpreadWithoutARepeatedTierIsAnErrorAtItsKey) {
  for (const char* tier : {"", ", repeat: 1"}) {
    const ConfigError e =
        only_error(config_with(tier, "      - {name: a, min: 0.5, max_spread: 0.1}\n"));
    EXPECT_EQ(e.line, 8) << tier;
    EXPECT_EQ(e.column, 29) << tier;
    EXPECT_TRUE(
        contains(e.message, "'max_spread' in metrics[0] of gate 'production' can never pass"))
        << e.message;
    EXPECT_TRUE(contains(e.message, "no tier runs with 'repeat: N'")) << e.message;
  }
  const ConfigError slice = only_error(
      "version: 1\nimage: img\ntiers:\n  validation: {run: eval}\ngates:\n"
      "  production:\n    slices:\n      - {metric: recall, by: band, max_spread: 0.1}\n");
  EXPECT_EQ(slice.line, 8);
  EXPECT_EQ(slice.column, 36);
  EXPECT_TRUE(contains(slice.message, "'max_spread' in slices[0] of gate 'production'"))
      << slice.message;
}

TEST(RepeatsConfig, RepeatOutOfRangeIsAnErrorAtTheValue) {
  for (const char* bad : {"0", "11", "-2"}) {
    const ConfigError e =
        only_error(config_with(std::string(", repeat: ") + bad, "      - {name: a, min: 1}\n"));
    EXPECT_EQ(e.line, 4) << bad;
    EXPECT_EQ(e.column, 35) << bad;
    EXPECT_TRUE(contains(e.message, "'repeat' in tier 'validation' must be from 1 to 10"))
        << e.message;
  }
  const ConfigError e = only_error(config_with(", repeat: 2.5", "      - {name: a, min: 1}\n"));
  EXPECT_EQ(e.column, 35);
  EXPECT_TRUE(contains(e.message, "must be a whole number")) << e.message;
}

TEST(RepeatsConfig, MaxSpreadErrorsAtTheirPosition) {
  ConfigError e = only_error(config_with(", repeat: 2", "      - {name: a, max_spread: -0.1}\n"));
  EXPECT_EQ(e.line, 8);
  EXPECT_EQ(e.column, 31);
  EXPECT_TRUE(contains(e.message,
                       "'max_spread' in metrics[0] of gate 'production' must not be "
                       "negative"))
      << e.message;
  e = only_error(config_with(", repeat: 2", "      - {name: a, max_spread: lots}\n"));
  EXPECT_EQ(e.column, 31);
}

TEST(RepeatsConfig, MaxSpreadGoesWithFromPredictionsAndOnSlices) {
  // Computed per repeat, a metric from predictions has a spread like one from metrics.json.
  auto parsed = parse_config(config_with(
      ", repeat: 2", "      - {name: accuracy, from: predictions, min: 0.8, max_spread: 0.1}\n"));
  ASSERT_TRUE(parsed.ok()) << format_errors(parsed.errors);
  EXPECT_EQ(parsed.config->gates.at(0).metrics.at(0).max_spread, 0.1);
  const std::string slices =
      "version: 1\nimage: img\ntiers:\n  validation: {run: eval, repeat: 2}\ngates:\n"
      "  production:\n    slices:\n      - {metric: recall, by: band, max_spread: ";
  auto slice = parse_config(slices + "0.05}\n");
  ASSERT_TRUE(slice.ok()) << format_errors(slice.errors);
  EXPECT_EQ(slice.config->gates.at(0).slices.at(0).max_spread, 0.05);  // alone, a threshold
  const ConfigError e = only_error(slices + "-1}\n");
  EXPECT_EQ(e.line, 8);
  EXPECT_TRUE(contains(e.message,
                       "'max_spread' in slices[0] of gate 'production' must not be "
                       "negative"))
      << e.message;
}

TEST(RepeatsConfig, ConfidenceOnAMetricsJsonCheckNeedsARepeatedTier) {
  const std::string check = "      - {name: accuracy, min: 0.9, confidence: 0.95}\n";
  EXPECT_TRUE(parse_config(config_with(", repeat: 5", check)).ok());
  const ConfigError e = only_error(config_with("", check));
  EXPECT_EQ(e.line, 8);
  EXPECT_TRUE(contains(e.message, "or give its tier 'repeat: N'")) << e.message;
}

TEST(RepeatsConfig, MaxSpreadIsPartOfTheRecordedRules) {
  auto parsed = parse_config(config_with(", repeat: 2", "      - {name: a, max_spread: 0.5}\n"));
  ASSERT_TRUE(parsed.ok());
  const GateRules rules{parsed.config->gates[0], parsed.config->rubric};
  auto back = parse_gate_rules_json(gate_rules_json(rules));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->gate.metrics.at(0).max_spread, 0.5);
  GateRules tighter = rules;
  tighter.gate.metrics[0].max_spread = 0.1;
  EXPECT_FALSE(diff_gate_rules(rules, tighter).empty());
}

// ---------------------------------------------------------------------------------------------
// Statistics

// {0.90, 0.92, 0.94}: mean 0.92, s = 0.02, s/sqrt(3) = 0.011547005; t(0.975, df 2) in closed form
// (2p - 1) / sqrt(2p(1 - p)) = 4.302652729749462 (scipy.stats.t.ppf(0.975, 2) gives the same):
// 0.92 -/+ 0.049682754 = [0.8703172457649935, 0.9696827542350066].
TEST(RepeatsStatistics, StudentTIntervalOfTheMean) {
  const std::vector<double> v{0.90, 0.92, 0.94};
  EXPECT_NEAR(sample_mean(v), 0.92, 1e-15);
  EXPECT_NEAR(sample_sd(v), 0.02, 1e-15);
  const Interval i = student_t_mean_interval(v, 0.95);
  EXPECT_NEAR(i.lower, 0.8703172457649935, 1e-12);
  EXPECT_NEAR(i.upper, 0.9696827542350066, 1e-12);
  // Equal values: a point. Fewer than two: an error.
  const std::vector<double> same{0.5, 0.5};
  EXPECT_EQ(student_t_mean_interval(same, 0.95).lower, 0.5);
  EXPECT_THROW(student_t_mean_interval(std::vector<double>{1.0}, 0.95), std::invalid_argument);
}

// {1, 2, 3} - {2, 3, 4}: difference -1, s^2/n = 1/3 each, se = sqrt(2/3), Welch-Satterthwaite
// df = (2/3)^2 / (2 * (1/3)^2 / 2) = 4; t(0.975, 4) = 2.7764451051977987 (Student's t table,
// scipy.stats.t.ppf(0.975, 4)): -1 -/+ 2.266958 = [-3.266958, 1.266958].
TEST(RepeatsStatistics, WelchIntervalOfADifference) {
  const std::vector<double> a{1, 2, 3}, b{2, 3, 4};
  const Interval i = welch_difference_interval(a, b, 0.95);
  const double half = 2.7764451051977987 * std::sqrt(2.0 / 3.0);
  EXPECT_NEAR(i.lower, -1 - half, 1e-9);
  EXPECT_NEAR(i.upper, -1 + half, 1e-9);
  EXPECT_NEAR(half, 2.266958, 1e-6);
}

// ---------------------------------------------------------------------------------------------
// Results of repeats

JobResults run(std::vector<Metric> metrics) {
  JobResults r;
  r.metrics = std::move(metrics);
  return r;
}

TEST(RepeatsResults, MetricsBecomeTheirMeanWithTheValuesPerRepeat) {
  JobResults merged = merge_repeats(
      {run({{.name = "accuracy", .value = 0.90}, {.name = "loss", .value = 2}}),
       run({{.name = "accuracy", .value = 0.5}, {.name = "accuracy", .value = 0.94}}),
       run({{.name = "accuracy", .value = 0.92},
            {.name = "recall", .slice_key = "age", .slice_value = "<30", .value = 0.6}})});
  ASSERT_EQ(merged.metrics.size(), 3u);
  EXPECT_EQ(merged.metrics[0].name, "accuracy");
  EXPECT_NEAR(merged.metrics[0].value, 0.92, 1e-12);  // a repeat's last value counts
  EXPECT_EQ(merged.repeat_values.at("accuracy"), (std::vector<double>{0.90, 0.94, 0.92}));
  EXPECT_EQ(merged.repeat_values.at("loss"), (std::vector<double>{2}));
  EXPECT_EQ(merged.metrics[2].slice_value, "<30");
  EXPECT_EQ(merged.repeat_values.count("recall"), 0u);
  // One run is as it is.
  EXPECT_TRUE(merge_repeats({run({{.name = "a", .value = 1}})}).repeat_values.empty());
}

TEST(RepeatsResults, ALaterTiersValueReplacesTheRepeats) {
  JobResults merged;
  append_tier_results(merged, merge_repeats({run({{.name = "accuracy", .value = 0.9}}),
                                             run({{.name = "accuracy", .value = 0.8}})}));
  EXPECT_EQ(merged.repeat_values.count("accuracy"), 1u);
  append_tier_results(merged, run({{.name = "accuracy", .value = 0.7}}));
  EXPECT_EQ(merged.repeat_values.count("accuracy"), 0u);
  EXPECT_EQ(merged.metrics.back().value, 0.7);
}

TEST(RepeatsResults, PeopleSeeRepeatsNumberedFromOne) {
  EXPECT_EQ(tier_label("validation", 1, 3), "validation #2");
  EXPECT_EQ(tier_label("validation", 0, 3), "validation #1");
  EXPECT_EQ(tier_label("validation", 0, 1), "validation");
}

TEST(RepeatsResults, ATiersStateIsItsRepeatsTogether) {
  using S = JobState;
  auto states = tier_states_of_repeats({{"functionality", S::passed},
                                        {"validation", S::passed},
                                        {"validation", S::failed},
                                        {"validation", S::running},
                                        {"training", S::passed},
                                        {"training", S::passed}});
  ASSERT_EQ(states.size(), 3u);
  EXPECT_EQ(states[0].repeats, 1);
  EXPECT_EQ(states[1].state, S::running);  // not finished yet: pending, whatever else failed
  EXPECT_EQ(states[1].repeat, 2);
  EXPECT_EQ(states[1].repeats, 3);
  EXPECT_EQ(states[2].state, S::passed);
  auto failed = tier_states_of_repeats({{"validation", S::passed}, {"validation", S::failed}});
  EXPECT_EQ(failed[0].state, S::failed);
  EXPECT_EQ(failed[0].repeat, 1);
}

// ---------------------------------------------------------------------------------------------
// The gate on repeats

GateConfig gate_of(const std::string& checks) {
  auto parsed = parse_config(config_with(", repeat: 3", checks));
  EXPECT_TRUE(parsed.ok()) << format_errors(parsed.errors);
  return parsed.ok() ? parsed.config->gates.at(0) : GateConfig{};
}

JobResults repeats_of(const std::vector<double>& values) {
  std::vector<JobResults> runs;
  for (double v : values) runs.push_back(run({{.name = "accuracy", .value = v}}));
  return merge_repeats(std::move(runs));
}

GateResult evaluate(const GateConfig& gate, const JobResults& cand,
                    const JobResults* base = nullptr) {
  static const RubricMapping rubric;
  return evaluate_gate(GateInput{gate, rubric, cand, base});
}

TEST(RepeatsGate, TheValueIsTheMeanAndTheSpreadIsShown) {
  const GateResult r =
      evaluate(gate_of("      - {name: accuracy, min: 0.9}\n"), repeats_of({0.90, 0.92, 0.94}));
  ASSERT_EQ(r.checks.size(), 1u);
  const CheckResult& c = r.checks[0];
  EXPECT_EQ(c.status, CheckStatus::pass);
  EXPECT_NEAR(*c.value, 0.92, 1e-12);
  EXPECT_TRUE(contains(c.reason, "mean of 3 repeats: 0.9, 0.92, 0.94; spread 0.04")) << c.reason;
  const auto json = nlohmann::json::parse(gate_result_json(r))["checks"][0];
  EXPECT_EQ(json["repeats"]["n"], 3);
  EXPECT_NEAR(json["repeats"]["spread"].get<double>(), 0.04, 1e-12);
  EXPECT_EQ(json["repeats"]["min"], 0.90);
  EXPECT_EQ(json["n"], 3);
  EXPECT_EQ(json["n_of"], "repeats");
  EXPECT_EQ(json["method"], "mean of repeats");
  // One run: as before, no repeats.
  const GateResult once = evaluate(gate_of("      - {name: accuracy, min: 0.9}\n"),
                                   run({{"accuracy", "", "", {}, 0.92}}));
  EXPECT_TRUE(once.checks[0].repeats.empty());
  EXPECT_FALSE(nlohmann::json::parse(gate_result_json(once))["checks"][0].contains("repeats"));
}

TEST(RepeatsGate, ConfidenceJudgesTheStudentTInterval) {
  // [0.87032, 0.96968] of {0.90, 0.92, 0.94} (above): within [0.85, 1], straddles 0.9, under 0.98.
  const JobResults cand = repeats_of({0.90, 0.92, 0.94});
  auto status = [&](const std::string& bounds) {
    const GateResult r =
        evaluate(gate_of("      - {name: accuracy, " + bounds + ", confidence: 0.95}\n"), cand);
    return r.checks.at(0);
  };
  const CheckResult pass = status("min: 0.85");
  EXPECT_EQ(pass.status, CheckStatus::pass) << pass.reason;
  EXPECT_NEAR(pass.evidence->interval->lower, 0.8703172457649935, 1e-12);
  EXPECT_NEAR(pass.evidence->interval->upper, 0.9696827542350066, 1e-12);
  EXPECT_EQ(pass.evidence->method, "student_t");
  EXPECT_EQ(pass.evidence->n, 3);
  EXPECT_TRUE(contains(pass.reason, "95% Student t, n=3 repeats")) << pass.reason;
  EXPECT_EQ(status("min: 0.9").status, CheckStatus::inconclusive);
  EXPECT_EQ(status("min: 0.98").status, CheckStatus::fail);
}

TEST(RepeatsGate, MaxSpreadFailsWhenMaxMinusMinExceedsIt) {
  const JobResults cand = repeats_of({0.90, 0.93, 0.91});
  const GateResult ok = evaluate(gate_of("      - {name: accuracy, max_spread: 0.03}\n"), cand);
  ASSERT_EQ(ok.checks.size(), 1u);
  EXPECT_EQ(ok.checks[0].status, CheckStatus::pass) << ok.checks[0].reason;
  EXPECT_EQ(ok.checks[0].threshold, "max_spread 0.03");
  const GateResult bad = evaluate(gate_of("      - {name: accuracy, max_spread: 0.02}\n"), cand);
  EXPECT_EQ(bad.checks[0].status, CheckStatus::fail);
  EXPECT_EQ(bad.decision, Decision::deny);
  EXPECT_TRUE(contains(bad.checks[0].reason,
                       "spread 0.03 > max_spread 0.02 (max 0.93 - min 0.9 over 3 repeats: 0.9, "
                       "0.93, 0.91)"))
      << bad.checks[0].reason;
  // Reported by one run: the spread is missing, which blocks.
  const GateResult once = evaluate(gate_of("      - {name: accuracy, max_spread: 0.02}\n"),
                                   run({{.name = "accuracy", .value = 0.9}}));
  EXPECT_EQ(once.checks[0].status, CheckStatus::missing);
  EXPECT_TRUE(contains(once.checks[0].reason, "reported by one run only")) << once.checks[0].reason;
}

TEST(RepeatsGate, AChangeAgainstTheBaselinesRepeatsIsWelchs) {
  // Candidate {1, 2, 3} - baseline {2, 3, 4}: -1 in [-3.267, 1.267] (above); max_drop 5 passes,
  // max_drop 0.5 is inconclusive.
  const JobResults cand = repeats_of({1, 2, 3}), base = repeats_of({2, 3, 4});
  const GateResult r =
      evaluate(gate_of("      - {name: accuracy, max_drop: 5, confidence: 0.95}\n"), cand, &base);
  const CheckResult& check = r.checks.at(0);
  EXPECT_EQ(check.status, CheckStatus::pass) << check.reason;
  EXPECT_EQ(check.evidence->method, "welch_t");
  EXPECT_NEAR(check.evidence->delta_interval->lower, -1 - 2.7764451051977987 * std::sqrt(2.0 / 3),
              1e-9);
  EXPECT_EQ(
      evaluate(gate_of("      - {name: accuracy, max_drop: 0.5, confidence: 0.95}\n"), cand, &base)
          .checks.at(0)
          .status,
      CheckStatus::inconclusive);
  // A baseline run once: the candidate's interval minus its value, [0.5161, 4.4839] - 2.
  const JobResults once = run({{.name = "accuracy", .value = 2}});
  const CheckResult minus =
      evaluate(gate_of("      - {name: accuracy, max_drop: 2, confidence: 0.95}\n"), cand, &once)
          .checks.at(0);
  EXPECT_EQ(minus.evidence->method, "student_t");
  EXPECT_NEAR(minus.evidence->delta_interval->upper, 4.302652729749462 / std::sqrt(3.0),
              1e-9);  // mean 2 - 2 + t * s / sqrt(3), s = 1
}

TEST(RepeatsGate, APassingMaxSpreadCreditsReproducibleTraining) {
  const GateResult r =
      evaluate(gate_of("      - {name: accuracy, max_spread: 0.1}\n"), repeats_of({0.90, 0.92}));
  const auto item = std::find_if(r.rubric.items.begin(), r.rubric.items.end(),
                                 [](const RubricItemScore& i) { return i.id == "infra-1"; });
  ASSERT_NE(item, r.rubric.items.end());
  EXPECT_EQ(item->points, 1);
  EXPECT_TRUE(contains(item->evidence, "metric accuracy spread 0.02 <= max_spread 0.1"))
      << item->evidence;
  EXPECT_EQ(r.rubric.sections.at("infra"), 1);
  const GateResult failing =
      evaluate(gate_of("      - {name: accuracy, max_spread: 0.01}\n"), repeats_of({0.90, 0.92}));
  EXPECT_EQ(failing.rubric.sections.at("infra"), 0);
}

}  // namespace
}  // namespace mlgate::core
