// The gate decides on evidence, end to end: pushed commits whose tier hands back a
// predictions.jsonl with the truth, run by a real `mlgate runner` and judged by the real
// `mlgate serve` with `from: predictions` and a confidence: pass, an inconclusive change that
// denies, the same regression allowed by nobody when only the candidate says
// `when_inconclusive: pass` (the rules in force), and a clear fail; interval fields in the API's
// JSON, the stored decision, the pipeline page and the CLI table.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/integration/server/gate_env.h"
#include "tests/support/temp_dir.h"
#include "util/child_process.h"

namespace mlgate {
namespace {

using nlohmann::json;

// The production gate: recall computed from the predictions, judged by its 95% interval.
std::string config(const std::string& when_inconclusive = "") {
  return R"(version: 1
image: mlgate/busybox:test
tiers:
  validation:
    run: cp predictions.jsonl "$MLGATE_RESULTS/"
gates:
  production:
    require: [validation]
    metrics:
      - {name: recall, from: predictions, confidence: 0.95, min: 0.85, max_drop: 0.03)" +
         when_inconclusive + R"(}
      - {name: accuracy, from: predictions, max_drop: 0.1}
)";
}

// 85 positives of which `found` are labelled 1, then 143 negatives labelled 0; the same ids in
// every commit, so that two commits pair example by example.
std::string predictions(int found) {
  std::string out;
  for (int i = 0; i < 85; ++i)
    out += R"({"id": "p)" + std::to_string(i) + R"(", "label": )" + (i < found ? "1" : "0") +
           R"(, "truth": 1})" + "\n";
  for (int i = 0; i < 143; ++i)
    out += R"({"id": "n)" + std::to_string(i) + R"(", "label": 0, "truth": 0})" + "\n";
  return out;
}

const json& check(const json& gate, const std::string& name, const std::string& threshold) {
  for (const auto& c : gate["checks"])
    if (c["name"] == name && c["threshold"].get<std::string>().starts_with(threshold)) return c;
  static const json none;
  ADD_FAILURE() << "no check " << name << " " << threshold << " in " << gate.dump(2);
  return none;
}

class GateEvidence : public ::testing::Test {
 protected:
  testing::GateEnv env;

  std::string push(int found, const std::string& when = "") {
    const std::string sha = env.push(config(when), {{"predictions.jsonl", predictions(found)}});
    EXPECT_EQ(env.wait_pipeline_end(sha)["state"], "passed");
    return sha;
  }
  json gate(const std::string& sha) {
    auto r = env.gate(sha);
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body, nullptr, false);
  }
  std::pair<int, std::string> cli(std::vector<std::string> args) const {
    return env.cli(std::move(args));
  }
};

TEST_F(GateEvidence, PassInconclusiveAndFailWithTheirIntervals) {
  env.start_runner("r1");

  // Commit 1: 81 of 85 positives found; Wilson 95% [0.885, 0.981] clears min 0.85.
  const std::string first = push(81);
  json g = gate(first);
  EXPECT_EQ(g["decision"], "allow") << g.dump(2);
  const json& value = check(g, "recall", "min");
  EXPECT_EQ(value["status"], "pass");
  EXPECT_EQ(value["method"], "wilson");
  EXPECT_EQ(value["n"], 85);
  EXPECT_EQ(value["n_of"], "positives");
  EXPECT_EQ(value["confidence"], 0.95);
  EXPECT_EQ(value["inconclusive"], "fail");
  ASSERT_EQ(value["interval"].size(), 2u);
  EXPECT_NEAR(value["interval"][0].get<double>(), 0.8852, 1e-4);
  EXPECT_NEAR(value["interval"][1].get<double>(), 0.9815, 1e-4);
  EXPECT_TRUE(value["delta_interval"].is_null());
  EXPECT_EQ(check(g, "recall", "max_drop")["status"], "skipped");
  // A point check from predictions carries what it rests on, without an interval.
  const json& accuracy = check(g, "accuracy", "max_drop");
  EXPECT_EQ(accuracy["method"], "point");
  EXPECT_EQ(accuracy["n"], 228);
  ASSERT_EQ(env.deploy({{"sha", first}, {"environment", "production"}}).status, 201);

  // Commit 2: 5 of those positives lost. The paired interval of the change straddles -0.03:
  // inconclusive, which fails by default.
  const std::string second = push(76);
  g = gate(second);
  EXPECT_EQ(g["decision"], "deny") << g.dump(2);
  EXPECT_EQ(g["baseline_sha"], first);
  const json& change = check(g, "recall", "max_drop");
  EXPECT_EQ(change["status"], "inconclusive") << change.dump(2);
  EXPECT_EQ(change["blocks"], true);
  EXPECT_EQ(change["method"], "paired bootstrap");
  EXPECT_EQ(change["n"], 85);
  ASSERT_EQ(change["delta_interval"].size(), 2u);
  const double lower = change["delta_interval"][0], upper = change["delta_interval"][1];
  EXPECT_LT(lower, -0.03);
  EXPECT_GE(upper, -0.03);
  EXPECT_NE(change["reason"].get<std::string>().find("straddles -0.03"), std::string::npos);
  // recall's own interval, [0.811, 0.943], now straddles min 0.85 too.
  EXPECT_EQ(check(g, "recall", "min")["status"], "inconclusive");
  EXPECT_NE(g["summary"].get<std::string>().find("deny: 2 checks inconclusive: metric recall"),
            std::string::npos)
      << g["summary"];
  // The same commits give the same interval: the decision stored with it says so too.
  const long id = g["decision_id"];
  const json stored = json::parse(
      env.sql_text("SELECT checks FROM gate_decisions WHERE id = " + std::to_string(id)));
  bool found = false;
  for (const auto& c : stored)
    if (c["name"] == "recall" && c["threshold"] == "max_drop 0.03") {
      found = true;
      EXPECT_EQ(c["delta_interval"][0].get<double>(), lower);
      EXPECT_EQ(c["delta_interval"][1].get<double>(), upper);
    }
  EXPECT_TRUE(found) << stored.dump(2);
  // The pipeline page shows the interval and what it rests on; the CLI table too.
  auto page = testing::http_get(
      env.host(), "/pipelines/" + std::to_string(g["pipeline_id"].get<long>()), env.admin());
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("<td class=\"interval\" data-interval>change ["), std::string::npos);
  EXPECT_NE(page.body.find("95% paired bootstrap, n=85 positives"), std::string::npos);
  auto [code, table] =
      cli({"gate", "--repo", "acme/model", "--sha", second, "--environment", "production"});
  EXPECT_EQ(code, 1) << table;
  EXPECT_NE(table.find("INTERVAL"), std::string::npos) << table;
  EXPECT_NE(table.find("inconclusive"), std::string::npos) << table;
  EXPECT_NE(table.find("85 positives"), std::string::npos) << table;

  // Commit 3: the same regression, its own rule now saying when_inconclusive: pass. The deployed
  // rule still fails it: loosening applies only once deployed.
  const std::string third = push(76, ", when_inconclusive: pass");
  g = gate(third);
  EXPECT_EQ(g["decision"], "deny") << g.dump(2);
  EXPECT_EQ(g["rules"]["differences"][0]["text"], "recall: when_inconclusive none → pass");
  int inconclusive = 0;
  for (const auto& c : g["checks"])
    if (c["name"] == "recall" && c["status"] == "inconclusive") {
      ++inconclusive;
      EXPECT_EQ(c["blocks"], c["rule_set"] == "deployed") << c.dump(2);
      EXPECT_EQ(c["inconclusive"], c["rule_set"] == "deployed" ? "fail" : "pass");
    }
  EXPECT_EQ(inconclusive, 4) << g.dump(2);  // min and max_drop, by each rule set

  // Commit 4: 50 of 85: the whole interval is under min 0.85, and the change clearly over -0.03.
  const std::string fourth = push(50);
  g = gate(fourth);
  EXPECT_EQ(g["decision"], "deny");
  EXPECT_EQ(check(g, "recall", "min")["status"], "fail");
  EXPECT_LT(check(g, "recall", "min")["interval"][1].get<double>(), 0.85);
  EXPECT_EQ(check(g, "recall", "max_drop")["status"], "fail");
  EXPECT_LT(check(g, "recall", "max_drop")["delta_interval"][1].get<double>(), -0.03);
}

}  // namespace
}  // namespace mlgate
