// Repeats for seed variance, end to end: a tier with `repeat: 2` runs as two jobs of one pipeline,
// each with its MLGATE_REPEAT, on a real `mlgate runner`; each reports a different accuracy, and
// the real `mlgate serve` judges their mean by its Student-t interval and their spread by
// max_spread, in the API's JSON, the CLI's job listing, the pipeline page and the job page (which
// number repeats from 1). The checks `from: predictions` compute their metric on each repeat's own
// predictions.jsonl and judge the mean, and max_spread on a slice names the slice.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/integration/server/gate_env.h"

namespace mlgate {
namespace {

using nlohmann::json;

// Repeat 0 reports accuracy 0.92, repeat 1 reports 0.921. Their predictions: repeat 0 gets 3 of
// 4 examples right (accuracy 0.75; band a 1, band b 0.5), repeat 1 all 4 (1; 1 and 1).
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
  predicted:
    metrics:
      - {name: accuracy, from: predictions, min: 0.8}
    slices:
      - {metric: accuracy, by: band, from: predictions, min_n: 1, max_spread: 0.2}
)";

const char* const kScript =
    "if [ \"$MLGATE_REPEAT\" = 0 ]; then a=0.92; else a=0.921; fi\n"
    "echo \"{\\\"metrics\\\": {\\\"accuracy\\\": $a}}\" > \"$MLGATE_RESULTS/metrics.json\"\n"
    R"SH(w=$((1 - MLGATE_REPEAT))
printf '{"id":"e1","label":1,"truth":1,"slices":{"band":"a"}}\n' > "$MLGATE_RESULTS/predictions.jsonl"
printf '{"id":"e2","label":1,"truth":1,"slices":{"band":"a"}}\n' >> "$MLGATE_RESULTS/predictions.jsonl"
printf '{"id":"e3","label":0,"truth":0,"slices":{"band":"b"}}\n' >> "$MLGATE_RESULTS/predictions.jsonl"
printf '{"id":"e4","label":%s,"truth":0,"slices":{"band":"b"}}\n' "$w" >> "$MLGATE_RESULTS/predictions.jsonl"
)SH";

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

  // The checks from predictions use both repeats' predictions: the mean of 0.75 and 1, not the
  // last repeat's 1; band b's spread 0.5 exceeds 0.2.
  auto predicted = env.gate(sha, "predicted");
  ASSERT_EQ(predicted.status, 200) << predicted.body;
  const json from_predictions = json::parse(predicted.body);
  const json& accuracy = check(from_predictions, "min 0.8");
  EXPECT_EQ(accuracy["status"], "pass") << accuracy.dump(2);
  EXPECT_NEAR(accuracy["value"].get<double>(), 0.875, 1e-12);
  EXPECT_EQ(accuracy["repeats"]["values"], (json{0.75, 1}));
  EXPECT_EQ(accuracy["method"], "mean of repeats");
  EXPECT_EQ(from_predictions["decision"], "deny") << from_predictions.dump(2);
  std::vector<std::string> spreads;
  for (const auto& c : from_predictions["checks"])
    if (c["threshold"] == "max_spread 0.2")
      spreads.push_back(c["name"].get<std::string>() + " " + c["status"].get<std::string>() + ": " +
                        c["reason"].get<std::string>());
  EXPECT_EQ(spreads, (std::vector<std::string>{
                         "accuracy[band=a] pass: spread 0 <= max_spread 0.2 (max 1 - min 1 over "
                         "2 repeats: 1, 1)",
                         "accuracy[band=b] fail: spread 0.5 > max_spread 0.2 (max 1 - min 0.5 "
                         "over 2 repeats: 0.5, 1)"}));

  // The CLI lists the jobs with their repeat, numbered from 1; the pages too.
  auto [code, out] = env.cli({"pipeline", std::to_string(pipeline["id"].get<long>())});
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("validation #1"), std::string::npos) << out;
  EXPECT_NE(out.find("validation #2"), std::string::npos) << out;
  auto page = testing::http_get(
      env.host(), "/pipelines/" + std::to_string(pipeline["id"].get<long>()), env.admin());
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("validation #2"), std::string::npos);
  auto job_page = testing::http_get(
      env.host(), "/jobs/" + std::to_string(pipeline["jobs"][1]["id"].get<long>()), env.admin());
  EXPECT_EQ(job_page.status, 200);
  EXPECT_NE(job_page.body.find("validation #2"), std::string::npos) << job_page.body;
}

// A test that fails in one repeat only is listed with that repeat (numbered from 1) in the API,
// the CLI's failing-tests table and the pipeline page: which seed broke it is the first question.
TEST(GateRepeats, AFailingTestNamesTheRepeatThatFailedIt) {
  testing::GateEnv env;
  env.start_runner("r1");
  const char* const config = R"(version: 1
image: mlgate/busybox:test
tiers:
  validation:
    repeat: 2
    run: sh tests.sh
)";
  const char* const script = R"SH(if [ "$MLGATE_REPEAT" = 1 ]; then
  f='<failure message="seed-dependent">boom</failure>'
fi
printf '<testsuite><testcase classname="seeds" name="test_stable">%s</testcase></testsuite>' "$f" > "$MLGATE_RESULTS/junit.xml"
)SH";
  const std::string sha = env.push(config, {{"tests.sh", script}});
  const json pipeline = env.wait_pipeline_end(sha);
  const std::string id = std::to_string(pipeline["id"].get<long>());
  auto status = testing::http_get(env.host(), "/api/v1/pipelines/" + id, env.admin());
  ASSERT_EQ(status.status, 200) << status.body;
  const json failing = json::parse(status.body)["failing_tests"];
  ASSERT_EQ(failing.size(), 1u) << status.body;
  EXPECT_EQ(failing[0]["name"], "test_stable");
  EXPECT_EQ(failing[0]["repeat"], 1);
  EXPECT_EQ(failing[0]["repeats"], 2);

  auto [code, out] = env.cli({"pipeline", id});
  const auto table = out.find("failing tests:");
  ASSERT_NE(table, std::string::npos) << out;
  EXPECT_NE(out.find("validation #2  seeds::test_stable", table), std::string::npos) << out;
  auto page = testing::http_get(env.host(), "/pipelines/" + id, env.admin());
  EXPECT_EQ(page.status, 200);
  const auto listed = page.body.find("seeds::test_stable");
  ASSERT_NE(listed, std::string::npos);
  EXPECT_NE(page.body.rfind("validation #2", listed), std::string::npos);
}

}  // namespace
}  // namespace mlgate
