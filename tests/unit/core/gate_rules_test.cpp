// How two gate rule sets differ, in words (deployed → candidate), and the rules' JSON round trip
// (docs/gate.md, "The rules in force").
#include "core/gate_rules.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/config.h"

namespace mlgate::core {
namespace {

// The production rules of a config whose gate section is `gate` (indented under production:).
GateRules rules(const std::string& gate, const std::string& rubric = "") {
  const std::string yaml =
      "version: 1\nimage: python:3.12\ntiers:\n  functionality:\n    run: pytest\n"
      "  validation:\n    run: python eval.py\ngates:\n  production:\n" +
      gate + rubric;
  auto parsed = parse_config(yaml);
  EXPECT_TRUE(parsed.ok()) << format_errors(parsed.errors) << yaml;
  if (!parsed.ok()) return {};
  return GateRules{*find_gate(*parsed.config, "production"), parsed.config->rubric};
}

std::vector<std::string> texts(const GateRules& deployed, const GateRules& candidate) {
  std::vector<std::string> out;
  for (const auto& d : diff_gate_rules(deployed, candidate)) out.push_back(difference_text(d));
  return out;
}

using Lines = std::vector<std::string>;

TEST(GateRulesDiff, ALoweredMinIsOneLineDeployedToCandidate) {
  const auto deployed = rules("    metrics:\n      - {name: accuracy, min: 0.93}\n");
  const auto candidate = rules("    metrics:\n      - {name: accuracy, min: 0.85}\n");
  auto diff = diff_gate_rules(deployed, candidate);
  ASSERT_EQ(diff.size(), 1u);
  EXPECT_EQ(diff[0].rule, "accuracy");
  ASSERT_EQ(diff[0].changes.size(), 1u);
  EXPECT_EQ(diff[0].changes[0].key, "min");
  EXPECT_EQ(diff[0].changes[0].deployed, "0.93");
  EXPECT_EQ(diff[0].changes[0].candidate, "0.85");
  EXPECT_EQ(difference_text(diff[0]), "accuracy: min 0.93 → 0.85");
}

TEST(GateRulesDiff, SameRulesHaveNoDifferenceWhateverTheirLinesOrRequireOrder) {
  const auto a = rules(
      "    require: [functionality, validation]\n"
      "    metrics:\n      - {name: accuracy, min: 0.93, max_drop: 1%}\n");
  const auto b = rules(
      "    # moved down a line\n    require: [validation, functionality]\n"
      "    metrics:\n      - {name: accuracy, min: 0.93, max_drop: 1%}\n");
  EXPECT_TRUE(diff_gate_rules(a, b).empty()) << texts(a, b).front();
  EXPECT_TRUE(diff_gate_rules(a, a).empty());
}

TEST(GateRulesDiff, EverySettingThatDiffersIsNamedOnTheRulesLine) {
  const auto deployed = rules(
      "    metrics:\n      - {name: accuracy, min: 0.93, max_drop: 1%}\n"
      "      - {name: latency, lower_is_better: true, max: 50}\n");
  const auto candidate = rules(
      "    metrics:\n      - {name: accuracy, min: 0.9, max_drop: 0.02}\n"
      "      - {name: latency, lower_is_better: true, max: 50, optional: true}\n");
  EXPECT_EQ(texts(deployed, candidate), (Lines{"accuracy: min 0.93 → 0.9, max_drop 1% → 0.02",
                                               "latency: optional false → true"}));
}

TEST(GateRulesDiff, ARuleOnOneSideOnlyIsShownWholeAgainstNone) {
  const auto deployed =
      rules("    metrics:\n      - {name: accuracy, min: 0.93}\n      - {name: f1, min: 0.8}\n");
  const auto candidate = rules(
      "    metrics:\n      - {name: accuracy, min: 0.93}\n"
      "      - {name: auc, min: 0.7, max_drop: 2%}\n");
  EXPECT_EQ(texts(deployed, candidate),
            (Lines{"f1: min 0.8 → none", "auc: none → min 0.7, max_drop 2%"}));
}

TEST(GateRulesDiff, RequireSlicesFairnessPredictionsRubricAndTheMapping) {
  const auto deployed = rules(
      "    require: [functionality, validation]\n"
      "    slices:\n      - {metric: recall, by: age_group, min: 0.8}\n"
      "    fairness:\n      - {metric: fpr, by: sex}\n"
      "    predictions: {max_flip_rate: 2%}\n"
      "    rubric: {min_score: 4}\n",
      "rubric:\n  automated:\n    data-1: ['tests/data/*']\n");
  const auto candidate = rules(
      "    require: [functionality]\n"
      "    slices:\n      - {metric: recall, by: age_group, min: 0.7, min_n: 50}\n"
      "    fairness:\n      - {metric: fpr, by: sex, disparity: [0.7, 1.4]}\n"
      "    predictions: {max_flip_rate: 5%}\n"
      "    rubric: {min_score: 3}\n",
      "rubric:\n  automated:\n    data-1: ['tests/*']\n");
  EXPECT_EQ(
      texts(deployed, candidate),
      (Lines{"require: functionality, validation → functionality",
             "recall[age_group]: min 0.8 → 0.7, min_n 30 → 50",
             "fpr[sex]: disparity [0.8, 1.25] → [0.7, 1.4]", "predictions: max_flip_rate 2% → 5%",
             "rubric: min_score 4 → 3", "rubric data-1: automated tests/data/* → tests/*"}));
}

TEST(GateRulesDiff, NumbersThatPrintAlikeGetTheDigitsThatTellThemApart) {
  const auto deployed = rules("    metrics:\n      - {name: accuracy, min: 0.9}\n");
  const auto candidate = rules("    metrics:\n      - {name: accuracy, min: 0.8999999}\n");
  EXPECT_EQ(texts(deployed, candidate), (Lines{"accuracy: min 0.9 → 0.8999999"}));
}

TEST(GateRulesDiff, ARepeatedMetricIsPairedByOccurrence) {
  const auto deployed = rules(
      "    metrics:\n      - {name: accuracy, min: 0.9}\n      - {name: accuracy, max_drop: 1%}\n");
  const auto candidate = rules(
      "    metrics:\n      - {name: accuracy, min: 0.9}\n      - {name: accuracy, max_drop: 5%}\n");
  EXPECT_EQ(texts(deployed, candidate), (Lines{"accuracy #2: max_drop 1% → 5%"}));
}

TEST(GateRulesJson, RoundTripsEverySetting) {
  const auto r = rules(
      "    require: [functionality, validation]\n"
      "    metrics:\n      - {name: accuracy, min: 0.93, max: 1, max_drop: 1%, optional: true}\n"
      "      - {name: latency, lower_is_better: true, max_increase: 3}\n"
      "    slices:\n      - {metric: recall, by: age_group, min: 0.8, max_gap: 0.1, min_n: 40}\n"
      "    fairness:\n      - {metric: fpr, by: sex, reference: male, disparity: [0.7, 1.4]}\n"
      "    predictions: {max_flip_rate: 2%, max_score_delta: 0.5}\n"
      "    rubric: {min_score: 4.5}\n",
      "rubric:\n  automated:\n    data-1: ['tests/data/*', 'x::y']\n"
      "  manual:\n    model-7: docs/model_card.md\n");
  auto back = parse_gate_rules_json(gate_rules_json(r));
  ASSERT_TRUE(back.has_value());
  EXPECT_TRUE(diff_gate_rules(r, *back).empty());
  EXPECT_EQ(gate_rules_json(*back), gate_rules_json(r));
  EXPECT_EQ(back->gate.name, "production");
  EXPECT_EQ(back->gate.metrics.at(0).line, r.gate.metrics.at(0).line);
  EXPECT_EQ(back->rubric.manual.at("model-7"), "docs/model_card.md");
}

TEST(GateRulesJson, TextThatIsNotRulesReadsAsNone) {
  EXPECT_FALSE(parse_gate_rules_json("").has_value());
  EXPECT_FALSE(parse_gate_rules_json("[]").has_value());
  EXPECT_FALSE(parse_gate_rules_json(R"({"gate": {}})").has_value());
  EXPECT_FALSE(parse_gate_rules_json(R"({"gate": 1, "rubric": 2})").has_value());
}

}  // namespace
}  // namespace mlgate::core
