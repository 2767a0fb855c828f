// Repeats for seed variance, end to end: a tier with `repeat: 2` runs as two jobs of one pipeline,
// each with its MLGATE_REPEAT, on a real `mlgate runner`; each reports a different accuracy, and
// the real `mlgate serve` judges their mean by its Student-t interval and their spread by
// max_spread, in the API's JSON, the CLI's job listing and the pipeline page.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/integration/server/gate_env.h"

namespace mlgate {
namespace {

using nlohmann::json;

// Repeat 0 reports accuracy 0.92, repeat 1 reports 0.921.
const char* const kConfig = R"(version: 1
image: mlgate/busybox:test
tiers:
  validation:
    repeat: 2
    run: sh metrics.sh
gates:
  production:
    require: [validation]
    metrics:
      - {name: accuracy, min: 0.85, confidence: 0.95, max_spread: 0.01}
  strict:
    metrics:
      - {name: accuracy, max_spread: 0.0005}
)";

const char* const kScript =
    "if [ \"$MLGATE_REPEAT\" = 0 ]; then a=0.92; else a=0.921; fi\n"
    "echo \"{\\\"metrics\\\": {\\\"accuracy\\\": $a}}\" > \"$MLGATE_RESULTS/metrics.json\"\n";

const json& check(const json& gate, const std::string& threshold) {
  for (const auto& c : gate["checks"])
    if (c["threshold"].get<std::string>().starts_with(threshold)) return c;
  static const json none;
  ADD_FAILURE() << "no check " << threshold << " in " << gate.dump(2);
  return none;
}

TEST(GateRepeats, TwoRepeatsAreJudgedByTheirMeanIntervalAndSpread) {
  testing::GateEnv env;
  env.start_runner("r1");
  const std::string sha = env.push(kConfig, {{"metrics.sh", kScript}});
  const json pipeline = env.wait_pipeline_end(sha);
  ASSERT_EQ(pipeline["state"], "passed") << pipeline.dump(2);
  ASSERT_EQ(pipeline["jobs"].size(), 2u);
  for (int r = 0; r < 2; ++r) {
    EXPECT_EQ(pipeline["jobs"][r]["tier"], "validation");
    EXPECT_EQ(pipeline["jobs"][r]["repeat"], r);
    EXPECT_EQ(pipeline["jobs"][r]["repeats"], 2);
  }

  auto r = env.gate(sha);
  ASSERT_EQ(r.status, 200) << r.body;
  const json gate = json::parse(r.body);
  EXPECT_EQ(gate["decision"], "allow") << gate.dump(2);
  const json& tier = gate["checks"][0];
  EXPECT_EQ(tier["reason"], "passed (all 2 repeats)");
  // Mean 0.9205; s = 0.000707107, s/sqrt(2) = 0.0005, t(0.975, 1) = 12.7062047361747:
  // 0.9205 -/+ 0.00635310 = [0.91414690, 0.92685310], above min 0.85.
  const json& bounds = check(gate, "min 0.85");
  EXPECT_EQ(bounds["status"], "pass") << bounds.dump(2);
  EXPECT_NEAR(bounds["value"].get<double>(), 0.9205, 1e-12);
  EXPECT_EQ(bounds["method"], "student_t");
  EXPECT_EQ(bounds["n"], 2);
  EXPECT_EQ(bounds["n_of"], "repeats");
  EXPECT_NEAR(bounds["interval"][0].get<double>(), 0.9205 - 0.0063531024, 1e-9);
  EXPECT_NEAR(bounds["interval"][1].get<double>(), 0.9205 + 0.0063531024, 1e-9);
  EXPECT_EQ(bounds["repeats"]["values"], (json{0.92, 0.921}));
  EXPECT_NEAR(bounds["repeats"]["spread"].get<double>(), 0.001, 1e-12);
  const json& spread = check(gate, "max_spread 0.01");
  EXPECT_EQ(spread["status"], "pass") << spread.dump(2);
  EXPECT_NEAR(spread["value"].get<double>(), 0.001, 1e-12);

  // A tighter spread denies, and says why.
  auto strict = env.gate(sha, "strict");
  ASSERT_EQ(strict.status, 200) << strict.body;
  const json denied = json::parse(strict.body);
  EXPECT_EQ(denied["decision"], "deny");
  EXPECT_EQ(check(denied, "max_spread")["reason"],
            "spread 0.001 > max_spread 0.0005 (max 0.921 - min 0.92 over 2 repeats: 0.92, 0.921)");

  // The CLI lists the jobs with their repeat; the page too.
  auto [code, out] = env.cli({"pipeline", std::to_string(pipeline["id"].get<long>())});
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("validation #0"), std::string::npos) << out;
  EXPECT_NE(out.find("validation #1"), std::string::npos) << out;
  auto page = testing::http_get(
      env.host(), "/pipelines/" + std::to_string(pipeline["id"].get<long>()), env.admin());
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("validation #1"), std::string::npos);
}

}  // namespace
}  // namespace mlgate
