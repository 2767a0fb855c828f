// The gate's reports: Markdown for job summaries and comments, OpenMetrics for GitLab.
#include "core/gate_report.h"

#include <gtest/gtest.h>

namespace mlgate::core {
namespace {

using nlohmann::json;

json denied() {
  return json{{"decision", "deny"},
              {"summary", "deny: 1 check failed"},
              {"checks",
               {{{"kind", "metric"},
                 {"name", "accuracy"},
                 {"status", "pass"},
                 {"value", 0.95},
                 {"threshold", "min 0.9"},
                 {"reason", "ok"}},
                {{"kind", "metric"},
                 {"name", "recall"},
                 {"status", "fail"},
                 {"blocks", true},
                 {"value", 0.81},
                 {"baseline", 0.9},
                 {"method", "wilson"},
                 {"interval", {0.7, 0.88}},
                 {"n", 85},
                 {"n_of", "positives"},
                 {"threshold", "max_drop 0.03"},
                 {"reason", "the interval | straddles\nit"}}}},
              {"rubric", {{"score", 3.5}, {"band", "reasonably tested"}}},
              {"rules", {{"differences", {{{"text", "recall: min 0.9 → 0.8"}}}}}}};
}

TEST(GateReport, MarkdownPutsTheVerdictFirstAndTheBlockingCheckAtTheTopOfTheTable) {
  const auto md = gate_markdown(denied(), "production", "https://ci.example/pipelines/2");
  EXPECT_EQ(md.rfind("### ❌ mlgate: production — deny\n\ndeny: 1 check failed\n", 0), 0u) << md;
  const auto recall = md.find("| ❌ fail | metric recall |");
  const auto accuracy = md.find("| ✅ pass | metric accuracy |");
  ASSERT_NE(recall, std::string::npos) << md;
  ASSERT_NE(accuracy, std::string::npos) << md;
  EXPECT_LT(recall, accuracy);
  EXPECT_NE(md.find("[0.7, 0.88] | 85 positives |"), std::string::npos) << md;
  // A cell cannot end the row early or start a new line.
  EXPECT_NE(md.find("the interval \\| straddles it"), std::string::npos) << md;
  EXPECT_NE(md.find("- recall: min 0.9 → 0.8"), std::string::npos) << md;
  EXPECT_NE(md.find("ML Test Score: **3.5**"), std::string::npos) << md;
  EXPECT_NE(md.find("(https://ci.example/pipelines/2)"), std::string::npos) << md;
}

TEST(GateReport, MarkdownCellsEscapeHtmlAndAreCutAtACharacter) {
  EXPECT_EQ(markdown_cell("<img src=x onerror=alert(1)> & co"),
            "&lt;img src=x onerror=alert(1)&gt; &amp; co");
  std::string long_text;
  for (int i = 0; i < 200; ++i) long_text += "é";
  const auto cut = markdown_cell(long_text);
  EXPECT_NO_THROW((void)json(cut).dump());  // valid UTF-8
  EXPECT_LE(cut.size(), 304u);
}

TEST(GateReport, OpenMetricsHasOneSampleALineWithoutSpacesInLabelsAndEndsInEof) {
  auto result = denied();
  result["checks"][0]["name"] = "recall[size band=small]";
  const auto text = gate_openmetrics(result, "production");
  EXPECT_NE(text.find("mlgate_gate_allowed{environment=\"production\"} 0\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("mlgate_check_passed{environment=\"production\",kind=\"metric\",check="
                      "\"recall[size_band=small]\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("mlgate_check_baseline{environment=\"production\",kind=\"metric\",check="
                      "\"recall\"} 0.9\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("mlgate_rubric_score{environment=\"production\"} 3.5\n"), std::string::npos);
  EXPECT_EQ(text.substr(text.size() - 6), "# EOF\n");
}

}  // namespace
}  // namespace mlgate::core
