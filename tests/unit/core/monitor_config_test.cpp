// `monitors:` in .mlgate.yml (docs/config.md, docs/monitoring.md): what is read, the defaults, and
// every error at its line and column.
#include <gtest/gtest.h>

#include <string>

#include "core/config.h"

namespace mlgate::core {
namespace {

// Lines 1-5; the monitor's body starts on line 6.
std::string monitor(const std::string& body) {
  return "version: 1\nimage: img\ntiers:\n  validation: {run: eval}\nmonitors:\n  production:\n" +
         body;
}

MonitorConfig parse_monitor(const std::string& body) {
  auto parsed = parse_config(monitor(body));
  EXPECT_TRUE(parsed.ok()) << format_errors(parsed.errors);
  if (!parsed.ok() || parsed.config->monitors.empty()) return {};
  return parsed.config->monitors.at(0);
}

// The one error of the config; fails when there is not exactly one.
ConfigError only_error(const std::string& body) {
  auto parsed = parse_config(monitor(body));
  EXPECT_EQ(parsed.errors.size(), 1u) << format_errors(parsed.errors);
  return parsed.errors.empty() ? ConfigError{0, 0, ""} : parsed.errors.front();
}

void expect_error(const std::string& body, int line, int column, const std::string& part) {
  const ConfigError e = only_error(body);
  EXPECT_EQ(e.line, line) << e.message;
  EXPECT_EQ(e.column, column) << e.message;
  EXPECT_NE(e.message.find(part), std::string::npos) << e.message;
}

TEST(MonitorConfig, TheSpecExample) {
  const MonitorConfig m = parse_monitor(
      "    window: 1h\n"
      "    every: 10m\n"
      "    drift: [{feature: \"*\"}, {feature: income, test: psi, max: 0.2}]\n"
      "    prediction_drift: {}\n"
      "    missing: {max_share: 0.05}\n"
      "    quality: [{metric: accuracy, min: 0.90, min_n: 200}]\n"
      "    staleness: {max_age: 30d}\n"
      "    on_alert: [notify, retrain]\n");
  EXPECT_EQ(m.environment, "production");
  EXPECT_EQ(m.line, 6);
  EXPECT_EQ(m.window_seconds, 3600);
  EXPECT_EQ(m.every_seconds, 600);
  ASSERT_EQ(m.drift.size(), 2u);
  EXPECT_EQ(m.drift[0].feature, "*");
  EXPECT_FALSE(m.drift[0].test);
  EXPECT_FALSE(m.drift[0].threshold);
  EXPECT_EQ(m.drift[1].feature, "income");
  EXPECT_EQ(m.drift[1].test, DriftTest::psi);
  EXPECT_EQ(m.drift[1].threshold, 0.2);
  EXPECT_EQ(m.drift[1].line, 9);
  ASSERT_TRUE(m.prediction_drift);
  EXPECT_FALSE(m.prediction_drift->test);
  EXPECT_EQ(m.missing_max_share, 0.05);
  ASSERT_EQ(m.quality.size(), 1u);
  EXPECT_EQ(m.quality[0].metric, "accuracy");
  EXPECT_EQ(m.quality[0].min, 0.9);
  EXPECT_EQ(m.quality[0].min_n, 200);
  EXPECT_EQ(m.staleness_max_age_seconds, 30 * 86400);
  EXPECT_EQ(m.on_alert,
            (std::vector<MonitorAction>{MonitorAction::notify, MonitorAction::retrain}));
  EXPECT_EQ(m.retrain_every_seconds, 86400);
  EXPECT_EQ(m.share, 0.5);
}

TEST(MonitorConfig, Defaults) {
  const MonitorConfig m = parse_monitor("    drift: [{feature: age}]\n");
  EXPECT_EQ(m.window_seconds, 3600);
  EXPECT_EQ(m.every_seconds, 600);
  EXPECT_EQ(m.on_alert, std::vector<MonitorAction>{MonitorAction::notify});
  // A window shorter than the default `every`: every is the window.
  EXPECT_EQ(parse_monitor("    window: 5m\n    drift: [{feature: age}]\n").every_seconds, 300);
  const MonitorConfig other = parse_monitor(
      "    drift: [{feature: age, test: ks, threshold: 0.01}]\n"
      "    prediction_drift: {test: jensenshannon, max: 0.2}\n"
      "    quality: [{metric: brier, max: 0.2}, {metric: recall, min: 0.8, confidence: 0.95}]\n"
      "    on_alert: []\n    retrain_every: 7d\n    share: 30%\n");
  EXPECT_EQ(other.drift[0].threshold, 0.01);
  EXPECT_EQ(other.prediction_drift->threshold, 0.2);
  EXPECT_EQ(other.quality[1].confidence, 0.95);
  EXPECT_EQ(other.quality[1].min_n, 30);
  EXPECT_TRUE(other.on_alert.empty());
  EXPECT_EQ(other.retrain_every_seconds, 7 * 86400);
  EXPECT_EQ(other.share, 0.3);
  auto parsed = parse_config(monitor("    drift: [{feature: age}]\n"));
  EXPECT_NE(find_monitor(*parsed.config, "production"), nullptr);
  EXPECT_EQ(find_monitor(*parsed.config, "staging"), nullptr);
}

TEST(MonitorConfig, ErrorsAtTheirLineAndColumn) {
  expect_error("    windw: 1h\n    drift: [{feature: a}]\n", 7, 5, "did you mean 'window'");
  expect_error("    window: 1 hour\n    drift: [{feature: a}]\n", 7, 13, "bad 'window'");
  expect_error("    window: 1h\n    every: 2h\n    drift: [{feature: a}]\n", 8, 12,
               "'every' 2h of monitor 'production' is longer than its 'window' 1h");
  expect_error("    window: 1h\n", 6, 3, "checks nothing");
  expect_error("    drift: [{feature: a, test: kolmogorov}]\n", 7, 32, "unknown drift test");
  expect_error("    drift: [{test: ks}]\n", 7, 13, "needs 'feature'");
  expect_error("    drift: [{feature: a, test: ks, max: 0.2}]\n", 7, 36, "use 'threshold'");
  expect_error("    drift: [{feature: a, threshold: 0.2}]\n", 7, 26, "needs a 'test'");
  expect_error("    drift: [{feature: a, test: ks, threshold: 5}]\n", 7, 47, "between 0 and 1");
  expect_error("    drift: [{feature: a, test: psi, max: -1}]\n", 7, 42, "must be above 0");
  expect_error("    drift: [{feature: a, test: psi, max: 1, threshold: 1}]\n", 7, 37, "not both");
  expect_error("    drift: [{feature: a}, {feature: a}]\n", 7, 27, "second drift rule");
  expect_error("    prediction_drift: {feature: a}\n", 7, 24, "unknown key 'feature'");
  expect_error("    missing: {max_share: 5}\n", 7, 26, "is over 1");
  expect_error("    missing: {}\n", 7, 14, "needs 'max_share'");
  expect_error("    quality: [{metric: rmse, min: 1}]\n", 7, 24, "monitors compute the binary");
  expect_error("    quality: [{metric: accuracy}]\n", 7, 15, "has no threshold");
  expect_error("    quality: [{metric: accuracy, min: 0.9, max: 0.8}]\n", 7, 49, "below its 'min'");
  expect_error("    quality: [{metric: f1, min: 0.9, confidence: 0.95}]\n", 7, 15,
               "needs a proportion metric");
  expect_error("    staleness: {max_age: soon}\n", 7, 26, "bad 'max_age'");
  expect_error("    drift: [{feature: a}]\n    on_alert: [notify, page]\n", 8, 24,
               "unknown action 'page'");
  expect_error("    drift: [{feature: a}]\n    share: 0\n", 8, 12, "must be above 0");
  auto parsed = parse_config(
      "version: 1\nimage: img\ntiers:\n  validation: {run: eval}\nmonitors:\n"
      "  prod uction: {drift: [{feature: a}]}\n");
  ASSERT_EQ(parsed.errors.size(), 1u);
  EXPECT_NE(parsed.errors[0].message.find("bad monitor (environment) name"), std::string::npos);
}

}  // namespace
}  // namespace mlgate::core
