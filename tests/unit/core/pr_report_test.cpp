#include "core/pr_report.h"

#include <gtest/gtest.h>

namespace mlgate::core {
namespace {

using nlohmann::json;

PrReport sample() {
  PrReport r;
  r.sha = "0123456789abcdef0123456789abcdef01234567";
  r.pipeline_state = "passed";
  r.tiers = {{"validation", "passed", ""}, {"evaluation", "failed", "2 tests failed"}};
  json answer = {
      {"decision", "deny"},
      {"summary", "deny: 1 check failed"},
      {"checks", json::array({{{"kind", "metric"},
                               {"name", "accuracy"},
                               {"status", "pass"},
                               {"value", 0.93},
                               {"baseline", 0.92},
                               {"threshold", "min 0.9"},
                               {"blocks", false}},
                              {{"kind", "slice"},
                               {"name", "recall[age=<30]"},
                               {"status", "fail"},
                               {"value", 0.7},
                               {"baseline", 0.8},
                               {"delta_interval", {-0.15, -0.05}},
                               {"threshold", "min 0.75"},
                               {"reason", "0.7 < min 0.75"},
                               {"blocks", true}},
                              {{"kind", "predictions"},
                               {"name", "flip_rate"},
                               {"status", "pass"},
                               {"value", 0.02},
                               {"reason", "2% of 500 examples flipped"},
                               {"blocks", false}}})},
      {"rules", {{"differences", json::array({{{"text", "accuracy: min 0.95 → 0.9"}}})}}}};
  r.gates = {{"production", answer, ""}};
  r.link = "https://ci.example/pipelines/7";
  return r;
}

TEST(PrReport, HasVerdictMetricsSlicesFlipsRulesAndLink) {
  const auto md = pr_report_markdown(sample());
  EXPECT_EQ(md.rfind(std::string(kPrReportMarker), 0), 0u) << md;
  EXPECT_NE(md.find("`0123456789ab`"), std::string::npos) << md;
  EXPECT_NE(md.find("### ❌ production — deny"), std::string::npos) << md;
  EXPECT_NE(md.find("| status | check | baseline | candidate | change [interval] |"),
            std::string::npos);
  // The blocking slice comes first, with its change and paired interval.
  const auto slice_row =
      md.find("| ❌ fail | slice recall\\[age=&lt;30\\] | 0.8 | 0.7 | -0.1 [-0.15, -0.05] |");
  const auto metric_row = md.find("| ✅ pass | metric accuracy | 0.92 | 0.93 | +0.01 |");
  ASSERT_NE(slice_row, std::string::npos) << md;
  ASSERT_NE(metric_row, std::string::npos) << md;
  EXPECT_LT(slice_row, metric_row);
  EXPECT_NE(md.find("**Failing slices**"), std::string::npos);
  EXPECT_NE(md.find("predictions flip\\_rate: 2% of 500 examples flipped"), std::string::npos)
      << md;
  EXPECT_NE(md.find("accuracy\\: min 0.95 → 0.9"), std::string::npos) << md;
  EXPECT_NE(md.find("evaluation failed (2 tests failed)"), std::string::npos) << md;
  EXPECT_NE(md.find("(https://ci.example/pipelines/7)"), std::string::npos);
}

TEST(PrReport, UntrustedTextCannotLinkMentionOrInjectHtml) {
  auto r = sample();
  r.tiers[0].tier = "x](https://evil.example) ![img](https://evil.example/p.png)";
  r.tiers[1].message = "<script>alert(1)</script> @octocat\n# heading | cell";
  const auto md = pr_report_markdown(r);
  EXPECT_EQ(md.find("](https://evil"), std::string::npos) << md;
  EXPECT_EQ(md.find("![img]"), std::string::npos) << md;
  EXPECT_EQ(md.find("<script>"), std::string::npos) << md;
  EXPECT_EQ(md.find("@octocat"), std::string::npos) << md;
  EXPECT_NE(md.find("@\u200boctocat"), std::string::npos);
  EXPECT_NE(md.find("&lt;script&gt;"), std::string::npos);
  EXPECT_NE(md.find("\\# heading \\| cell"), std::string::npos) << md;
}

// The sample's flip_rate check with flipped examples, as the gate's answer carries them.
PrReport with_examples(json examples) {
  auto r = sample();
  r.gates[0].answer["checks"][2]["examples"] = std::move(examples);
  return r;
}

TEST(PrReport, FlippedExamplesAreATableUnderThePredictionsCheck) {
  const auto md = pr_report_markdown(with_examples(
      json::array({{{"id", "ex-1"}, {"baseline", "cat"}, {"candidate", "dog"}, {"truth", "cat"}},
                   {{"id", "ex-2"}, {"baseline", ""}, {"candidate", "1"}, {"truth", nullptr}}})));
  const auto heading = md.find("**Predictions (flipped examples)**");
  const auto table = md.find(
      "| flipped example | baseline | candidate | truth |\n|---|---|---|---|\n"
      "| ex-1 | cat | dog | cat |\n"
      "| ex-2 | (no label) | 1 | - |\n");
  ASSERT_NE(heading, std::string::npos) << md;
  ASSERT_NE(table, std::string::npos) << md;
  EXPECT_LT(heading, table);
  EXPECT_LT(table, md.find("**Rules that differ"));
  // Without examples there is no table.
  EXPECT_EQ(pr_report_markdown(sample()).find("flipped example |"), std::string::npos);
}

TEST(PrReport, FlippedExamplesAreEscapedAndBounded) {
  json examples = json::array();
  examples.push_back({{"id", "|<script>alert(1)</script>\n| injected | row |"},
                      {"baseline", "[x](https://evil.example)"},
                      {"candidate", "@octocat"},
                      {"truth", "a\nb"}});
  examples.push_back({{"id", std::string(500, 'x')}, {"baseline", "0"}, {"candidate", "1"}});
  for (int i = 0; i < 6; ++i)
    examples.push_back(
        {{"id", "more-" + std::to_string(i)}, {"baseline", "0"}, {"candidate", "1"}});
  const auto md = pr_report_markdown(with_examples(examples));
  EXPECT_EQ(md.find("<script>"), std::string::npos) << md;
  EXPECT_EQ(md.find("](https://evil"), std::string::npos) << md;
  EXPECT_EQ(md.find("@octocat"), std::string::npos) << md;
  EXPECT_NE(md.find("| \\|&lt;script&gt;alert\\(1\\)&lt;/script&gt; \\| injected \\| row \\| |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| a b |"), std::string::npos) << md;  // the newline is a space: one row
  // An id is cut to 60 bytes; at most five rows.
  EXPECT_NE(md.find("| " + std::string(60, 'x') + "… |"), std::string::npos) << md;
  EXPECT_EQ(md.find(std::string(61, 'x')), std::string::npos);
  EXPECT_NE(md.find("| more-2 |"), std::string::npos);
  EXPECT_EQ(md.find("| more-3 |"), std::string::npos);
}

TEST(PrReport, AMalformedExampleIsSkippedNotTheRestOfTheTable) {
  json examples = json::array();
  examples.push_back({{"id", "first"}, {"baseline", "0"}, {"candidate", "1"}});
  examples.push_back("not an example");
  examples.push_back({{"id", "after"}, {"baseline", "1"}, {"candidate", "0"}});
  const auto md = pr_report_markdown(with_examples(examples));
  EXPECT_NE(md.find("| first |"), std::string::npos) << md;
  EXPECT_NE(md.find("| after |"), std::string::npos) << md;
  EXPECT_EQ(md.find("not an example"), std::string::npos) << md;
}

TEST(PrReport, AnUnsafeLinkIsLeftOut) {
  auto r = sample();
  r.link = "javascript:alert(1)";
  EXPECT_EQ(pr_report_markdown(r).find("javascript"), std::string::npos);
}

TEST(PrReport, CutToTheLimitWithANote) {
  auto r = sample();
  json checks = json::array();
  for (int i = 0; i < 200; ++i)
    checks.push_back({{"kind", "predictions"},
                      {"name", "check" + std::to_string(i)},
                      {"status", "fail"},
                      {"reason", std::string(250, 'x')},
                      {"blocks", true}});
  for (int i = 0; i < 40; ++i) {
    r.gates.push_back({"env" + std::to_string(i), {{"decision", "deny"}, {"checks", checks}}, ""});
    r.gates.back().answer["summary"] = std::string(600, 'y');
  }
  for (int i = 0; i < 400; ++i)
    r.tiers.push_back({"tier" + std::to_string(i), "failed", std::string(200, 'z')});
  const auto md = pr_report_markdown(r);
  EXPECT_LE(md.size(), kPrReportLimit);
  EXPECT_GT(md.size(), kPrReportLimit - 1000);
  EXPECT_NE(md.find("this report was cut to fit the forge's limit of 65536 characters; [the whole "
                    "report](https://ci.example/pipelines/7)"),
            std::string::npos);
  const auto small = pr_report_markdown(r, 500);
  EXPECT_LE(small.size(), 500u);
}

TEST(PrReport, AGateThatCannotBeEvaluatedSaysWhy) {
  PrReport r;
  r.sha = "abc";
  r.pipeline_state = "running";
  r.gates = {{"staging", json(), "the config has no gate for staging"}};
  const auto md = pr_report_markdown(r);
  EXPECT_NE(md.find("### ⚠️ staging — error"), std::string::npos) << md;
  EXPECT_NE(md.find("the config has no gate for staging"), std::string::npos);
}

}  // namespace
}  // namespace mlgate::core
