// `rollouts:` in .mlgate.yml (docs/rollouts.md, docs/config.md "rollouts"): the stages and the
// analysis as parsed, and each refusal at its line and column.
#include <gtest/gtest.h>

#include <string>

#include "core/config.h"

namespace mlgate::core {
namespace {

// Lines 1-5; the rollout's body starts on line 6.
std::string with_rollout(const std::string& body) {
  return "version: 1\nimage: img\ntiers:\n  validation: {run: eval}\nrollouts:\n" + body;
}

const std::string kSpecExample =
    "  production:\n"                                  // 6
    "    stages:\n"                                    // 7
    "      - {name: shadow, mirror: 100%, for: 1h}\n"  // 8
    "      - {name: canary, traffic: 5%, for: 2h}\n"   // 9
    "      - {name: half, traffic: 50%, for: 2h}\n"    // 10
    "      - {name: full, traffic: 100%}\n"            // 11
    "    analysis:\n"                                  // 12
    "      every: 10m\n"                               // 13
    "      metrics:\n"                                 // 14
    "        - {name: error_rate, lower_is_better: true, critical: true}\n"
    "        - {name: latency_ms, lower_is_better: true, allowed_increase: 1.1}\n"
    "        - {name: accuracy, allowed_decrease: 0.95}\n"
    "      pass: 90\n"
    "      marginal: 75\n";

// The one error of the config; fails when there is not exactly one.
ConfigError only_error(const std::string& body) {
  auto parsed = parse_config(with_rollout(body));
  EXPECT_EQ(parsed.errors.size(), 1u) << format_errors(parsed.errors);
  return parsed.errors.empty() ? ConfigError{0, 0, ""} : parsed.errors.front();
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The spec's example, with the first stage's value replaced by `stage`.
std::string spec_with(const std::string& from, const std::string& to) {
  std::string text = kSpecExample;
  text.replace(text.find(from), from.size(), to);
  return text;
}

TEST(RolloutConfig, TheSpecExampleParses) {
  auto parsed = parse_config(with_rollout(kSpecExample));
  ASSERT_TRUE(parsed.ok()) << format_errors(parsed.errors);
  const RolloutConfig* r = find_rollout(*parsed.config, "production");
  ASSERT_NE(r, nullptr);
  ASSERT_EQ(r->stages.size(), 4u);
  EXPECT_EQ(r->stages[0].name, "shadow");
  EXPECT_TRUE(r->stages[0].mirror());
  EXPECT_EQ(r->stages[0].mirror_percent, 100.0);
  EXPECT_EQ(r->stages[0].for_seconds, 3600);
  EXPECT_EQ(r->stages[1].traffic_percent, 5.0);
  EXPECT_EQ(r->stages[1].line, 9);
  EXPECT_EQ(r->stages[3].traffic_percent, 100.0);
  EXPECT_FALSE(r->stages[3].for_seconds.has_value());
  EXPECT_EQ(r->analysis.every_seconds, 600);
  ASSERT_EQ(r->analysis.metrics.size(), 3u);
  EXPECT_TRUE(r->analysis.metrics[0].critical);
  EXPECT_TRUE(r->analysis.metrics[0].lower_is_better);
  EXPECT_EQ(r->analysis.metrics[1].allowed_increase, 1.1);
  EXPECT_FALSE(r->analysis.metrics[2].lower_is_better);
  EXPECT_EQ(r->analysis.metrics[2].allowed_decrease, 0.95);
  EXPECT_EQ(r->analysis.pass, 90);
  EXPECT_EQ(r->analysis.marginal, 75);
  EXPECT_EQ(find_rollout(*parsed.config, "staging"), nullptr);
}

TEST(RolloutConfig, BlueGreenIsTwoStagesWithDefaults) {
  auto parsed = parse_config(
      with_rollout("  production:\n"
                   "    stages: [{traffic: 0%, for: 30m}, {traffic: 100%}]\n"
                   "    analysis: {metrics: [{name: error_rate, lower_is_better: true}]}\n"));
  ASSERT_TRUE(parsed.ok()) << format_errors(parsed.errors);
  const RolloutConfig& r = parsed.config->rollouts.at(0);
  EXPECT_EQ(r.stages[0].name, "stage1");
  EXPECT_EQ(r.stages[1].name, "stage2");
  EXPECT_EQ(r.analysis.every_seconds, 600);
  EXPECT_EQ(r.analysis.pass, 90);
  EXPECT_EQ(r.analysis.marginal, 75);
}

TEST(RolloutConfig, StageErrorsAtTheirPosition) {
  ConfigError e = only_error(spec_with("traffic: 5%", "traffic: 5%, mirror: 5%"));
  EXPECT_EQ(e.line, 9);
  EXPECT_EQ(e.column, 9);
  EXPECT_TRUE(contains(e.message, "both 'traffic' and 'mirror'")) << e.message;

  e = only_error(spec_with("traffic: 50%", "traffic: 150%"));
  EXPECT_EQ(e.line, 10);
  EXPECT_TRUE(contains(e.message, "between 0% and 100%")) << e.message;

  e = only_error(spec_with("traffic: 50%", "traffic: 50"));
  EXPECT_TRUE(contains(e.message, "must be a percentage like 5%")) << e.message;

  e = only_error(spec_with("for: 1h}", "for: 1 hour}"));
  EXPECT_EQ(e.line, 8);
  EXPECT_TRUE(contains(e.message, "bad 'for' in stages[0]")) << e.message;

  e = only_error(spec_with("name: canary, traffic: 5%, for: 2h", "name: canary, traffic: 5%"));
  EXPECT_TRUE(contains(e.message, "needs 'for'")) << e.message;

  e = only_error(spec_with("traffic: 100%}", "traffic: 100%, for: 1h}"));
  EXPECT_EQ(e.line, 11);
  EXPECT_TRUE(contains(e.message, "takes no 'for'")) << e.message;

  e = only_error(spec_with("name: canary, traffic: 5%", "name: canary, trafic: 5%"));
  EXPECT_TRUE(contains(e.message, "unknown key 'trafic'")) << e.message;

  e = only_error(spec_with("name: half", "name: canary"));
  EXPECT_EQ(e.line, 10);
  EXPECT_TRUE(contains(e.message, "duplicate stage 'canary'")) << e.message;
}

TEST(RolloutConfig, StagesOnlyRaiseTrafficAndEndOnFull) {
  ConfigError e = only_error(spec_with("traffic: 50%", "traffic: 2%"));
  EXPECT_EQ(e.line, 10);
  EXPECT_TRUE(contains(e.message, "lowers the candidate's traffic to 2% from 5%")) << e.message;

  e = only_error(spec_with("traffic: 100%}", "traffic: 90%}"));
  EXPECT_TRUE(contains(e.message, "must serve 'traffic: 100%'")) << e.message;

  e = only_error(spec_with("name: half, traffic: 50%", "name: half, mirror: 50%"));
  EXPECT_TRUE(contains(e.message, "mirror stages come first")) << e.message;

  e = only_error(spec_with("for: 1h}", "for: 5m}"));
  EXPECT_TRUE(contains(e.message, "less than the analysis interval 'every' 10m")) << e.message;

  e = only_error("  production:\n    stages: []\n    analysis: {metrics: [{name: x}]}\n");
  EXPECT_EQ(e.line, 7);
  EXPECT_TRUE(contains(e.message, "non-empty list of stages")) << e.message;
}

TEST(RolloutConfig, AnalysisErrors) {
  ConfigError e = only_error(spec_with("marginal: 75", "marginal: 95"));
  EXPECT_TRUE(contains(e.message, "'marginal' 95")) << e.message;
  EXPECT_TRUE(contains(e.message, "over 'pass' 90")) << e.message;

  e = only_error(spec_with("pass: 90", "pass: 101"));
  EXPECT_TRUE(contains(e.message, "score from 0 to 100")) << e.message;

  e = only_error(spec_with("every: 10m", "every: 10"));
  EXPECT_EQ(e.line, 13);
  EXPECT_TRUE(contains(e.message, "bad 'every'")) << e.message;

  e = only_error(spec_with("name: accuracy,", "name: error_rate,"));
  EXPECT_TRUE(contains(e.message, "duplicate metric 'error_rate'")) << e.message;

  e = only_error(spec_with("critical: true", "critical: yes"));
  EXPECT_TRUE(contains(e.message, "must be true or false")) << e.message;

  e = only_error(spec_with("allowed_increase: 1.1", "allowed_increase: 0.9"));
  EXPECT_TRUE(contains(e.message, "of at least 1")) << e.message;

  e = only_error(spec_with("allowed_decrease: 0.95", "allowed_decrease: 1.5"));
  EXPECT_TRUE(contains(e.message, "in (0, 1]")) << e.message;

  e = only_error(spec_with("{name: accuracy, ", "{nam: accuracy, "));
  EXPECT_TRUE(contains(e.message, "unknown key 'nam'")) << e.message;

  e = only_error(spec_with("{name: accuracy, ", "{"));
  EXPECT_TRUE(contains(e.message, "has no 'name'")) << e.message;

  e = only_error("  production:\n    stages: [{traffic: 100%}]\n    analysis: {every: 5m}\n");
  EXPECT_TRUE(contains(e.message, "has no 'metrics'")) << e.message;

  e = only_error("  production:\n    stages: [{traffic: 100%}]\n");
  EXPECT_EQ(e.line, 6);
  EXPECT_TRUE(contains(e.message, "has no 'analysis'")) << e.message;
}

TEST(RolloutConfig, EnvironmentNames) {
  const std::string rest = "    stages: [{traffic: 100%}]\n    analysis: {metrics: [{name: x}]}\n";
  ConfigError e = only_error("  prod/eu:\n" + rest);
  EXPECT_TRUE(contains(e.message, "bad rollout environment name")) << e.message;
  e = only_error("  production:\n" + rest + "  Production:\n" + rest);
  EXPECT_EQ(e.line, 9);
  EXPECT_TRUE(contains(e.message, "only by case")) << e.message;
}

}  // namespace
}  // namespace mlgate::core
