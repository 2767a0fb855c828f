// The gate's statistical settings in .mlgate.yml (docs/config.md): `from`, `confidence`,
// `when_inconclusive`, `positive_label` on checks and the gate's `statistics:`, their errors at
// line:column, and how the rules in force record and compare them (core/gate_rules.cpp).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/config.h"
#include "core/gate_rules.h"

namespace mlgate::core {
namespace {

// Lines 1-6; the gate's body starts on line 7.
std::string gate(const std::string& body) {
  return "version: 1\nimage: img\ntiers:\n  validation: {run: eval}\ngates:\n  production:\n" +
         body;
}

GateConfig parse_gate(const std::string& body) {
  auto parsed = parse_config(gate(body));
  EXPECT_TRUE(parsed.ok()) << format_errors(parsed.errors);
  if (!parsed.ok()) return {};
  return parsed.config->gates.at(0);
}

// The one error of the config; fails when there is not exactly one.
ConfigError only_error(const std::string& body) {
  auto parsed = parse_config(gate(body));
  EXPECT_EQ(parsed.errors.size(), 1u) << format_errors(parsed.errors);
  return parsed.errors.empty() ? ConfigError{0, 0, ""} : parsed.errors.front();
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(GateStatisticsConfig, ChecksFromPredictionsWithTheirSettings) {
  const GateConfig g = parse_gate(
      "    metrics:\n"
      "      - {name: recall, from: predictions, confidence: 0.95, min: 0.85, max_drop: 0.03}\n"
      "      - {name: brier, from: predictions, lower_is_better: true, max_increase: 10%,\n"
      "         when_inconclusive: pass, confidence: 0.9, positive_label: spam}\n"
      "      - {name: latency_p95_ms, lower_is_better: true, max: 50}\n"
      "    slices:\n"
      "      - {metric: recall, by: size_band, from: predictions, min: 0.8, positive_label: 1}\n"
      "    fairness:\n"
      "      - {metric: tpr, by: sex, from: predictions, positive_label: \"1\"}\n"
      "    statistics: {confidence: 0.99, when_inconclusive: pass, correction: bonferroni,\n"
      "                 resamples: 500, positive_label: true}\n");
  ASSERT_EQ(g.metrics.size(), 3u);
  const MetricCheck& recall = g.metrics[0];
  EXPECT_EQ(recall.stats.from, MetricSource::predictions);
  EXPECT_EQ(recall.stats.confidence, 0.95);
  EXPECT_FALSE(recall.stats.when_inconclusive.has_value());
  EXPECT_EQ(g.metrics[1].stats.when_inconclusive, WhenInconclusive::pass);
  EXPECT_EQ(g.metrics[1].stats.positive_label, "\"spam\"");  // a string label's JSON text
  EXPECT_EQ(g.metrics[2].stats.from, MetricSource::metrics);
  EXPECT_EQ(g.slices.at(0).stats.positive_label, "1");
  EXPECT_EQ(g.fairness.at(0).stats.positive_label, "\"1\"");  // quoted: the string "1"
  ASSERT_TRUE(g.statistics.has_value());
  EXPECT_EQ(g.statistics->confidence, 0.99);
  EXPECT_EQ(g.statistics->when_inconclusive, WhenInconclusive::pass);
  EXPECT_EQ(g.statistics->correction, Correction::bonferroni);
  EXPECT_EQ(g.statistics->resamples, 500);
  EXPECT_EQ(g.statistics->positive_label, "true");
  EXPECT_EQ(g.statistics->line, 16);
}

TEST(GateStatisticsConfig, UnknownMetricFromPredictionsListsTheKnownOnesAtItsPosition) {
  const ConfigError e = only_error(
      "    metrics:\n"
      "      - {name: recal, from: predictions, min: 0.9}\n");
  EXPECT_EQ(e.line, 8);
  EXPECT_EQ(e.column, 16);
  EXPECT_TRUE(contains(e.message, "unknown metric 'recal' with 'from: predictions'")) << e.message;
  EXPECT_TRUE(contains(e.message, "did you mean 'recall'")) << e.message;
  EXPECT_TRUE(contains(e.message, "accuracy, error_rate, precision, recall")) << e.message;
  EXPECT_TRUE(contains(e.message, "mae, rmse, r2")) << e.message;
  // A slice's and a fairness check's metric too.
  EXPECT_EQ(
      only_error("    slices:\n      - {metric: f2, by: a, from: predictions, min: 1}\n").column,
      18);
  EXPECT_TRUE(contains(
      only_error("    fairness:\n      - {metric: auc, by: a, from: predictions}\n").message,
      "unknown metric 'auc'"));
  // From metrics.json any name goes.
  EXPECT_EQ(parse_gate("    metrics:\n      - {name: recal, min: 0.9}\n").metrics.size(), 1u);
}

TEST(GateStatisticsConfig, ConfidenceOnAReportedMetricNamesFromPredictions) {
  const ConfigError e = only_error(
      "    metrics:\n"
      "      - {name: recall, min: 0.9,\n"
      "         confidence: 0.95}\n");
  EXPECT_EQ(e.line, 9);
  EXPECT_EQ(e.column, 10);
  EXPECT_TRUE(contains(e.message,
                       "'confidence' in metrics[0] of gate 'production' needs "
                       "'from: predictions'"))
      << e.message;
  EXPECT_TRUE(contains(
      only_error("    slices:\n      - {metric: recall, by: a, min: 1, confidence: 0.9}\n").message,
      "needs 'from: predictions'"));
  EXPECT_TRUE(contains(
      only_error("    metrics:\n      - {name: recall, min: 0.9, positive_label: 1}\n").message,
      "'positive_label' in metrics[0] of gate 'production' needs 'from: predictions'"));
}

TEST(GateStatisticsConfig, ValuesOutOfRangeAreErrorsAtTheValue) {
  const std::string check = "    metrics:\n      - {name: recall, from: predictions, min: 0.9, ";
  ConfigError e = only_error(check + "confidence: 95}\n");
  EXPECT_EQ(e.line, 8);
  EXPECT_TRUE(contains(e.message, "between 0 and 1 (0.95 for 95%), not 95")) << e.message;
  EXPECT_TRUE(contains(only_error(check + "confidence: 1}\n").message, "not 1"));
  e = only_error(check + "confidence: 0.9, when_inconclusive: fial}\n");
  EXPECT_TRUE(contains(e.message, "must be fail or pass, not 'fial' (did you mean 'fail'?)"))
      << e.message;
  e = only_error(check + "from: predictions}\n");
  EXPECT_TRUE(contains(e.message, "duplicate key 'from'")) << e.message;
  e = only_error("    metrics:\n      - {name: recall, from: prediction, min: 0.9}\n");
  EXPECT_TRUE(contains(e.message, "did you mean 'predictions'")) << e.message;
  const std::string with_check = check + "confidence: 0.9}\n";
  EXPECT_TRUE(contains(only_error(with_check + "    statistics: {resamples: 10}\n").message,
                       "'resamples' in 'statistics' of gate 'production' must be between 100 "
                       "and 100000, not 10"));
  EXPECT_TRUE(contains(only_error(with_check + "    statistics: {correction: holm}\n").message,
                       "must be none or bonferroni"));
  EXPECT_TRUE(contains(only_error(with_check + "    statistics: {confidnce: 0.9}\n").message,
                       "did you mean 'confidence'"));
}

TEST(GateStatisticsConfig, WhenInconclusiveNeedsAConfidence) {
  const ConfigError e = only_error(
      "    metrics:\n"
      "      - {name: recall, from: predictions, min: 0.9, when_inconclusive: pass}\n");
  EXPECT_EQ(e.line, 8);
  EXPECT_EQ(e.column, 53);
  EXPECT_TRUE(contains(e.message,
                       "'when_inconclusive' in metrics[0] of gate 'production' has "
                       "nothing to decide"))
      << e.message;
  // The gate's confidence, given after the check, is one.
  const GateConfig g = parse_gate(
      "    metrics:\n"
      "      - {name: recall, from: predictions, min: 0.9, when_inconclusive: pass}\n"
      "    statistics: {confidence: 0.95}\n");
  EXPECT_EQ(g.metrics.at(0).stats.when_inconclusive, WhenInconclusive::pass);
}

TEST(GateStatisticsConfig, StatisticsWithoutACheckFromPredictionsIsAnError) {
  const ConfigError e = only_error(
      "    metrics:\n"
      "      - {name: recall, min: 0.9}\n"
      "    statistics: {confidence: 0.95}\n");
  EXPECT_EQ(e.line, 9);
  EXPECT_EQ(e.column, 5);
  EXPECT_TRUE(contains(e.message, "applies to checks 'from: predictions', and the gate has none"))
      << e.message;
}

TEST(GateStatisticsConfig, AComputedMetricsDirectionMustMatchTheConfig) {
  ConfigError e = only_error(
      "    metrics:\n"
      "      - {name: fpr, from: predictions, max: 0.1}\n");
  EXPECT_TRUE(contains(e.message, "fpr is lower-is-better; set 'lower_is_better: true'"))
      << e.message;
  e = only_error(
      "    metrics:\n"
      "      - {name: recall, from: predictions, lower_is_better: true, max: 1}\n");
  EXPECT_TRUE(contains(e.message, "recall is higher-is-better; remove 'lower_is_better: true'"))
      << e.message;
  EXPECT_EQ(e.column, 60);
}

// ---------------------------------------------------------------------------------------------
// The rules in force

GateRules rules(const std::string& body) {
  return GateRules{parse_gate(body), {}};
}

std::vector<std::string> texts(const GateRules& deployed, const GateRules& candidate) {
  std::vector<std::string> out;
  for (const auto& d : diff_gate_rules(deployed, candidate)) out.push_back(difference_text(d));
  return out;
}

TEST(GateStatisticsRules, EveryStatisticalSettingIsADifference) {
  const GateRules deployed = rules(
      "    metrics:\n"
      "      - {name: recall, from: predictions, confidence: 0.95, min: 0.85}\n"
      "    statistics: {confidence: 0.95}\n");
  const GateRules candidate = rules(
      "    metrics:\n"
      "      - {name: recall, from: predictions, confidence: 0.9, min: 0.85,\n"
      "         when_inconclusive: pass, positive_label: 1}\n"
      "    statistics: {confidence: 0.9, correction: bonferroni, resamples: 1000}\n");
  EXPECT_EQ(texts(deployed, candidate),
            (std::vector<std::string>{
                "recall: confidence 0.95 → 0.9, when_inconclusive none → pass, positive_label "
                "none → 1",
                "statistics: confidence 0.95 → 0.9, correction none → bonferroni, resamples 2000 "
                "→ 1000"}));
  const GateRules reported = rules("    metrics:\n      - {name: recall, min: 0.85}\n");
  EXPECT_EQ(texts(reported, deployed),
            (std::vector<std::string>{
                "recall: from metrics → predictions, confidence none → 0.95",
                "statistics: none → confidence 0.95, when_inconclusive fail, correction none, "
                "resamples 2000"}));
  EXPECT_TRUE(texts(deployed, deployed).empty());
}

TEST(GateStatisticsRules, JsonRoundTripsAndOlderRulesReadAsDefaults) {
  const GateRules r = rules(
      "    metrics:\n"
      "      - {name: recall, from: predictions, confidence: 0.9, min: 0.85,\n"
      "         when_inconclusive: pass, positive_label: yes}\n"
      "    slices:\n"
      "      - {metric: recall, by: band, from: predictions, confidence: 0.8, min: 0.5}\n"
      "    fairness:\n"
      "      - {metric: recall, by: group, from: predictions}\n"
      "    statistics: {confidence: 0.95, correction: bonferroni, resamples: 300}\n");
  auto back = parse_gate_rules_json(gate_rules_json(r));
  ASSERT_TRUE(back.has_value());
  EXPECT_TRUE(diff_gate_rules(r, *back).empty());
  EXPECT_EQ(gate_rules_json(*back), gate_rules_json(r));
  EXPECT_EQ(back->gate.metrics.at(0).stats.positive_label, "\"yes\"");
  EXPECT_EQ(back->gate.statistics->resamples, 300);

  // Rules recorded before these settings existed: no "stats", no "statistics".
  const std::string old_rules =
      R"({"gate":{"name":"production","require":[],"metrics":[{"name":"recall","min":0.9,)"
      R"("max":null,"max_drop":null,"max_increase":null,"lower_is_better":false,)"
      R"("optional":false,"line":8,"column":9}],"slices":[],"fairness":[],)"
      R"("predictions":null,"rubric":null,"line":6},"rubric":{"automated":{},"manual":{}}})";
  auto old = parse_gate_rules_json(old_rules);
  ASSERT_TRUE(old.has_value());
  EXPECT_EQ(old->gate.metrics.at(0).stats.from, MetricSource::metrics);
  EXPECT_FALSE(old->gate.statistics.has_value());
  // A setting this code never writes is not rules.
  std::string bad = gate_rules_json(r);
  bad.replace(bad.find("\"bonferroni\""), 12, "\"holm\"");
  EXPECT_FALSE(parse_gate_rules_json(bad).has_value());
}

}  // namespace
}  // namespace mlgate::core
