// `mlgate gate evaluate`: the offline gate on real result files, through the real binary.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/support/temp_dir.h"
#include "util/child_process.h"

namespace mlgate {
namespace {

namespace fs = std::filesystem;

const char* kConfig = R"(version: 1
image: x
tiers:
  functionality:
    run: pytest
gates:
  production:
    require: [functionality]
    metrics:
      - {name: accuracy, min: 0.90, max_drop: 0.01}
    slices:
      - {metric: recall, by: age_group, min: 0.80}
    predictions: {max_flip_rate: 2%}
)";

const char* kBaselineMetrics =
    R"({"metrics": {"accuracy": 0.93}, "slices": {"age_group": {"<30": {"recall": 0.85, "n": 412}, "30+": {"recall": 0.84, "n": 300}}}})";

struct CliRun {
  int exit_code = -1;
  std::string output;
};

class GateEvaluate : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::write_file(dir_.path() / ".mlgate.yml", kConfig);
    fs::create_directories(dir_.path() / "base");
    fs::create_directories(dir_.path() / "cand");
    testing::write_file(dir_.path() / "base" / "metrics.json", kBaselineMetrics);
    std::string preds;
    for (int i = 0; i < 100; ++i)
      preds += R"({"id": ")" + std::to_string(i) +
               R"(", "label": 1, "score": 0.9})"
               "\n";
    testing::write_file(dir_.path() / "base" / "predictions.jsonl", preds);
    testing::write_file(dir_.path() / "cand" / "predictions.jsonl", preds);
  }
  CliRun evaluate(std::vector<std::string> extra, const std::string& environment = "production") {
    std::vector<std::string> argv = {MLGATE_BINARY,
                                     "gate",
                                     "evaluate",
                                     "--config",
                                     (dir_.path() / ".mlgate.yml").string(),
                                     "--environment",
                                     environment,
                                     "--candidate",
                                     (dir_.path() / "cand").string()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    CliRun r;
    int status = util::run_capture(argv, r.output);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
  }
  std::string base() const { return (dir_.path() / "base").string(); }
  testing::TempDir dir_{"mlgate-gate"};
};

TEST_F(GateEvaluate, ARegressedSliceDeniesWithExitOneAndIsNamedFirst) {
  testing::write_file(
      dir_.path() / "cand" / "metrics.json",
      R"({"metrics": {"accuracy": 0.925}, "slices": {"age_group": {"<30": {"recall": 0.71, "n": 412}, "30+": {"recall": 0.84, "n": 300}}}})");
  auto r = evaluate({"--baseline", base()});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  // The failing check is the first row under the header.
  auto first_row = r.output.substr(r.output.find('\n') + 1);
  first_row = first_row.substr(0, first_row.find('\n'));
  EXPECT_NE(first_row.find("fail"), std::string::npos) << r.output;
  EXPECT_NE(first_row.find("recall[age_group=<30]"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("production: deny"), std::string::npos) << r.output;
}

// The results directory was written by the code under test: a symbolic link to a host file is not
// followed (its content must not reach a CI log through an error message), a FIFO is not waited
// on, and a file over its cap is refused from its size without being read.
TEST_F(GateEvaluate, ResultsFilesAreReadWithoutTrustingTheDirectory) {
  const auto cand = dir_.path() / "cand";
  testing::write_file(dir_.path() / "secret.txt", "the host's secret\n");
  auto timed = [&] {
    CliRun r;
    int status = util::run_capture({"timeout", "20", MLGATE_BINARY, "gate", "evaluate", "--config",
                                    (dir_.path() / ".mlgate.yml").string(), "--environment",
                                    "production", "--candidate", cand.string()},
                                   r.output);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
  };
  fs::create_symlink(dir_.path() / "secret.txt", cand / "metrics.json");
  auto link = timed();
  EXPECT_EQ(link.exit_code, 2) << link.output;
  EXPECT_NE(link.output.find("metrics.json is a symbolic link (not followed)"), std::string::npos)
      << link.output;
  EXPECT_EQ(link.output.find("secret"), std::string::npos) << link.output;
  fs::remove(cand / "metrics.json");

  ASSERT_EQ(::mkfifo((cand / "junit.xml").c_str(), 0600), 0);
  auto fifo = timed();
  EXPECT_EQ(fifo.exit_code, 2) << fifo.output;
  EXPECT_NE(fifo.output.find("junit.xml is not a regular file"), std::string::npos) << fifo.output;
  fs::remove(cand / "junit.xml");

  testing::write_file(cand / "junit.xml", "<testsuite/>");
  fs::resize_file(cand / "junit.xml", 1ull << 30);
  auto big = timed();
  EXPECT_EQ(big.exit_code, 2) << big.output;
  EXPECT_NE(big.output.find("junit.xml: file is 1073741824 bytes, over the cap of 16777216 bytes"),
            std::string::npos)
      << big.output;
}

TEST_F(GateEvaluate, AGoodCandidateIsAllowedAndTheJsonHasTheDocumentedShape) {
  testing::write_file(dir_.path() / "cand" / "metrics.json", kBaselineMetrics);
  auto r = evaluate({"--baseline", base(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j["decision"], "allow");
  ASSERT_FALSE(j["checks"].empty());
  for (const auto& c : j["checks"]) {
    for (const char* key : {"kind", "name", "status", "value", "baseline", "threshold", "reason"}) {
      EXPECT_TRUE(c.contains(key)) << key << " in " << c;
    }
    if (c["kind"] == "tier") {
      EXPECT_EQ(c["status"], "skipped");  // offline
    }
  }
  EXPECT_TRUE(j["rubric"].contains("score"));
  EXPECT_TRUE(j["rubric"].contains("sections"));
  EXPECT_TRUE(j["rubric"].contains("band"));
}

TEST_F(GateEvaluate, MarkdownReportLeadsWithTheVerdictAndListsTheFailingCheckFirst) {
  testing::write_file(
      dir_.path() / "cand" / "metrics.json",
      R"({"metrics": {"accuracy": 0.925}, "slices": {"age_group": {"<30": {"recall": 0.71, "n": 412}, "30+": {"recall": 0.84, "n": 300}}}})");
  auto r = evaluate({"--baseline", base(), "--format", "markdown"});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_EQ(r.output.rfind("### ❌ mlgate: production — deny\n", 0), 0u) << r.output;
  // The first table row is the failing slice; `<` of its name is escaped for HTML.
  auto table = r.output.substr(r.output.find("|---"));
  auto first_row = table.substr(table.find('\n') + 1);
  first_row = first_row.substr(0, first_row.find('\n'));
  EXPECT_NE(first_row.find("❌ fail"), std::string::npos) << r.output;
  EXPECT_NE(first_row.find("recall[age_group=&lt;30]"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("ML Test Score: **"), std::string::npos) << r.output;
}

TEST_F(GateEvaluate, OpenMetricsReportIsWhatGitLabsMetricsReportReads) {
  testing::write_file(dir_.path() / "cand" / "metrics.json", kBaselineMetrics);
  auto r = evaluate({"--baseline", base(), "--format", "openmetrics"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("mlgate_gate_allowed{environment=\"production\"} 1\n"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("mlgate_check_value{environment=\"production\",kind=\"metric\","
                          "check=\"accuracy\"} 0.93\n"),
            std::string::npos)
      << r.output;
  EXPECT_EQ(r.output.substr(r.output.size() - 6), "# EOF\n");
  // GitLab's parser splits a sample line on spaces: a sample line has exactly one.
  std::istringstream lines(r.output);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == '#') continue;
    EXPECT_EQ(std::count(line.begin(), line.end(), ' '), 1) << line;
  }
}

TEST_F(GateEvaluate, AnUnknownFormatIsRefused) {
  testing::write_file(dir_.path() / "cand" / "metrics.json", kBaselineMetrics);
  auto r = evaluate({"--format", "yaml"});
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("yaml"), std::string::npos) << r.output;
}

TEST_F(GateEvaluate, WithoutABaselineOnlyAbsoluteThresholdsApply) {
  testing::write_file(dir_.path() / "cand" / "metrics.json", kBaselineMetrics);
  auto r = evaluate({"--json"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto j = nlohmann::json::parse(r.output);
  int skipped_changes = 0;
  for (const auto& c : j["checks"])
    if (c["status"] == "skipped" && c["kind"] != "tier") ++skipped_changes;
  EXPECT_GE(skipped_changes, 2);  // max_drop and the flip rate
}

TEST_F(GateEvaluate, AMalformedResultsFileIsExitTwoWithItsPosition) {
  testing::write_file(dir_.path() / "cand" / "metrics.json", "{\"metrics\": {\n  \"accuracy\": }");
  auto r = evaluate({});
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("metrics.json:2:"), std::string::npos) << r.output;
}

TEST_F(GateEvaluate, AnUnknownEnvironmentIsExitTwoNamingTheGatesThereAre) {
  testing::write_file(dir_.path() / "cand" / "metrics.json", kBaselineMetrics);
  auto r = evaluate({}, "staging");
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("no gate for environment 'staging'"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("production"), std::string::npos) << r.output;
}

// Offline intervals: roc_auc from predictions with truth, by the bootstrap seeded from the shas
// given, so that the server's intervals can be reproduced; the table shows INTERVAL and N.
TEST_F(GateEvaluate, IntervalChecksAreSeededFromTheShasGivenAndShownInTheTable) {
  testing::write_file(dir_.path() / ".mlgate.yml", R"(version: 1
image: x
tiers:
  functionality:
    run: pytest
gates:
  production:
    metrics:
      - {name: roc_auc, from: predictions, confidence: 0.95, min: 0.5}
)");
  std::string preds;
  for (int i = 0; i < 200; ++i)
    preds += R"({"id": ")" + std::to_string(i) + R"(", "label": 1, "score": )" +
             std::to_string(((i * 37) % 100) / 100.0) + R"(, "truth": )" +
             ((i * 37) % 100 > 40 || i % 7 == 0 ? "1" : "0") + "}\n";
  testing::write_file(dir_.path() / "cand" / "predictions.jsonl", preds);
  auto interval = [&](const std::string& sha) {
    auto r = evaluate({"--json", "--candidate-sha", sha});
    EXPECT_EQ(r.exit_code, 0) << r.output;
    const auto j = nlohmann::json::parse(r.output, nullptr, false);
    const auto& c = j["checks"][0];
    EXPECT_EQ(c["method"], "bootstrap") << r.output;
    EXPECT_EQ(c["n"], 200);
    return c["interval"];
  };
  const auto a = interval("1111111111111111111111111111111111111111");
  EXPECT_EQ(interval("1111111111111111111111111111111111111111"), a);
  EXPECT_NE(interval("2222222222222222222222222222222222222222"), a);
  auto table = evaluate({});
  EXPECT_EQ(table.exit_code, 0) << table.output;
  EXPECT_NE(table.output.find("INTERVAL"), std::string::npos) << table.output;
  EXPECT_NE(table.output.find("200 examples"), std::string::npos) << table.output;
  EXPECT_NE(table.output.find("(95% bootstrap, n=200 examples)"), std::string::npos)
      << table.output;
}

// One results directory per repeat (a tier with `repeat: N`): each metric is their mean, and
// max_spread judges max - min over them.
TEST_F(GateEvaluate, RepeatDirectoriesAreJudgedByTheirMeanAndSpread) {
  testing::write_file(dir_.path() / "repeats.yml", R"(version: 1
image: x
tiers:
  validation: {run: train, repeat: 2}
gates:
  production:
    metrics:
      - {name: accuracy, min: 0.9, max_spread: 0.01}
)");
  for (const auto& [name, accuracy] : {std::pair{"r0", "0.92"}, std::pair{"r1", "0.94"}}) {
    fs::create_directories(dir_.path() / name);
    testing::write_file(dir_.path() / name / "metrics.json",
                        std::string(R"({"metrics": {"accuracy": )") + accuracy + "}}");
  }
  std::vector<std::string> argv = {MLGATE_BINARY,
                                   "gate",
                                   "evaluate",
                                   "--config",
                                   (dir_.path() / "repeats.yml").string(),
                                   "--environment",
                                   "production",
                                   "--candidate",
                                   (dir_.path() / "r0").string(),
                                   (dir_.path() / "r1").string(),
                                   "--json"};
  std::string output;
  const int status = util::run_capture(argv, output);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1) << output;  // spread 0.02 > 0.01
  auto j = nlohmann::json::parse(output);
  ASSERT_EQ(j["checks"].size(), 2u) << output;
  EXPECT_EQ(j["checks"][0]["status"], "pass");
  EXPECT_NEAR(j["checks"][0]["value"].get<double>(), 0.93, 1e-12);
  EXPECT_EQ(j["checks"][0]["repeats"]["n"], 2);
  EXPECT_EQ(j["checks"][1]["threshold"], "max_spread 0.01");
  EXPECT_EQ(j["checks"][1]["status"], "fail");
}

// Each repeat directory's predictions.jsonl is that repeat's: a check from predictions computes
// its metric per directory and judges the mean (0.5 and 1: 0.75, not the last directory's 1).
TEST_F(GateEvaluate, RepeatDirectoriesPredictionsAreComputedPerRepeat) {
  testing::write_file(dir_.path() / "predicted.yml", R"(version: 1
image: x
tiers:
  validation: {run: train, repeat: 2}
gates:
  production:
    metrics:
      - {name: accuracy, from: predictions, min: 0.7, max_spread: 0.4}
)");
  for (const auto& [name, second] : {std::pair{"p0", "1"}, std::pair{"p1", "0"}}) {
    fs::create_directories(dir_.path() / name);
    testing::write_file(dir_.path() / name / "predictions.jsonl",
                        std::string(R"({"id": "a", "label": 1, "truth": 1})") + "\n" +
                            R"({"id": "b", "label": )" + second + R"(, "truth": 0})" + "\n");
  }
  std::vector<std::string> argv = {MLGATE_BINARY,
                                   "gate",
                                   "evaluate",
                                   "--config",
                                   (dir_.path() / "predicted.yml").string(),
                                   "--environment",
                                   "production",
                                   "--candidate",
                                   (dir_.path() / "p0").string(),
                                   (dir_.path() / "p1").string(),
                                   "--json"};
  std::string output;
  const int status = util::run_capture(argv, output);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1) << output;  // spread 0.5 > 0.4
  auto j = nlohmann::json::parse(output);
  ASSERT_EQ(j["checks"].size(), 2u) << output;
  EXPECT_EQ(j["checks"][0]["status"], "pass") << output;
  EXPECT_NEAR(j["checks"][0]["value"].get<double>(), 0.75, 1e-12);
  EXPECT_EQ(j["checks"][0]["repeats"]["values"], (nlohmann::json{0.5, 1}));
  EXPECT_EQ(j["checks"][1]["threshold"], "max_spread 0.4");
  EXPECT_EQ(j["checks"][1]["status"], "fail");
}

}  // namespace
}  // namespace mlgate
