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
