// The rules in force end to end (docs/gate.md, "The rules in force"): real pushes whose
// .mlgate.yml change the production gate's `min`, judged by a real `mlgate serve` against the
// rules its deployments recorded. A push that lowers its own threshold is denied by the deployed
// rule, with the difference shown in the API, the CLI and the page; forced with a reason (audited
// with the difference) its looser rule applies to the next candidate; a push that raises it is
// denied by its own rule; a deployment recorded before rules were kept is read from the mirror,
// and rules that cannot be read deny.
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
using testing::gate_results_script;
using testing::GateEnv;

// One tier writes the metrics; production requires it and a minimum accuracy.
std::string config_with_min(const std::string& min) {
  return "version: 1\nimage: mlgate/busybox:test\ntiers:\n  functionality:\n    run: sh "
         "results.sh\n"
         "gates:\n  production:\n    require: [functionality]\n    metrics:\n"
         "      - {name: accuracy, min: " +
         min + "}\n";
}

// The check of the gate answer with that threshold.
const json* with_threshold(const json& gate, const std::string& threshold) {
  for (const auto& c : gate["checks"])
    if (c["threshold"] == threshold) return &c;
  return nullptr;
}

std::vector<std::string> differences(const json& gate) {
  std::vector<std::string> out;
  for (const auto& d : gate["rules"]["differences"]) out.push_back(d["text"]);
  return out;
}

class RulesInForce : public ::testing::Test {
 protected:
  GateEnv env;

  std::string push(const std::string& min, double accuracy) {
    const auto sha =
        env.push(config_with_min(min), {{"results.sh", gate_results_script(accuracy, 0.85)}});
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

TEST_F(RulesInForce, APushCannotLoosenTheGateUntilItIsDeployed) {
  env.start_runner("r1");

  // First deployment: only the candidate's own rules apply, and the decision says so.
  const auto strict = push("0.93", 0.94);
  auto first = gate(strict);
  EXPECT_EQ(first["decision"], "allow") << first.dump(2);
  EXPECT_EQ(first["rules"]["in_force"], "candidate");
  EXPECT_EQ(first["rules"]["note"],
            "no deployment to production yet: the candidate's own rules apply");
  EXPECT_TRUE(first["rules"]["differences"].empty());
  ASSERT_EQ(env.deploy({{"sha", strict}, {"environment", "production"}}).status, 201);
  // The deployment recorded the rules it brought.
  EXPECT_EQ(env.sql_text("SELECT gate_rules->'gate'->'metrics'->0->>'min' FROM deployments "
                         "WHERE sha = '" +
                         strict + "'"),
            "0.93");

  // A push that lowers its own min: its rule passes, the deployed one still fails it.
  const auto loose = push("0.85", 0.88);
  auto denied = gate(loose);
  EXPECT_EQ(denied["decision"], "deny") << denied.dump(2);
  EXPECT_EQ(denied["rules"]["in_force"], "deployed_and_candidate");
  EXPECT_EQ(differences(denied), std::vector<std::string>{"accuracy: min 0.93 → 0.85"});
  EXPECT_EQ(denied["rules"]["differences"][0]["changes"][0],
            (json{{"key", "min"}, {"deployed", "0.93"}, {"candidate", "0.85"}}));
  const json* old_rule = with_threshold(denied, "min 0.93");
  const json* own_rule = with_threshold(denied, "min 0.85");
  ASSERT_TRUE(old_rule && own_rule) << denied.dump(2);
  EXPECT_EQ((*old_rule)["rule_set"], "deployed");
  EXPECT_EQ((*old_rule)["status"], "fail");
  EXPECT_EQ((*old_rule)["blocks"], true);
  EXPECT_EQ((*own_rule)["rule_set"], "candidate");
  EXPECT_EQ((*own_rule)["status"], "pass");
  EXPECT_NE(denied["summary"].get<std::string>().find("< min 0.93 (deployed rule)"),
            std::string::npos)
      << denied["summary"];
  // The decision is stored with both rule sets.
  EXPECT_EQ(env.sql_long("SELECT count(*) FROM gate_decisions WHERE id = " +
                         std::to_string(denied["decision_id"].get<long>()) +
                         " AND inputs->'rules'->'deployed'->'gate'->'metrics'->0->>'min' = '0.93'"
                         " AND inputs->'rules'->'candidate'->'gate'->'metrics'->0->>'min' = '0.85'"
                         " AND inputs->'rules'->>'deployed_from' = 'deployment'"
                         " AND checks->0->>'rule_set' IS NOT NULL"),
            1);

  // The stored inputs, read back: the answer's rules in force, rubric and summary, and both rule
  // sets (put together as text, without parsing them again).
  const json inputs =
      json::parse(env.sql_text("SELECT inputs::text FROM gate_decisions WHERE id = " +
                               std::to_string(denied["decision_id"].get<long>())));
  json in_force = inputs["rules"];
  for (const char* key : {"candidate", "deployed", "deployed_from"}) in_force.erase(key);
  EXPECT_EQ(in_force, denied["rules"]);
  EXPECT_EQ(inputs["rubric"], denied["rubric"]);
  EXPECT_EQ(inputs["summary"], denied["summary"]);
  EXPECT_EQ(inputs["baseline_sha"], denied["baseline_sha"]);
  EXPECT_EQ(inputs["candidate_pipeline"], denied["pipeline_id"]);
  std::vector<std::string> keys;
  for (const auto& [k, v] : inputs.items()) keys.push_back(k);
  EXPECT_EQ(keys,
            (std::vector<std::string>{"baseline_deployment_id", "baseline_pipeline", "baseline_sha",
                                      "candidate_marker", "candidate_pipeline", "candidate_tiers",
                                      "config_path", "gate", "rubric", "rules", "summary"}));

  // The CLI and the page show the difference.
  auto [code, output] =
      cli({"gate", "--repo", "acme/model", "--sha", loose, "--environment", "production"});
  EXPECT_EQ(code, 1) << output;
  EXPECT_NE(output.find("rules that differ (deployed → candidate):\n  accuracy: min 0.93 → 0.85"),
            std::string::npos)
      << output;
  EXPECT_NE(output.find("RULES"), std::string::npos) << output;
  auto [deploy_code, deploy_output] =
      cli({"deploy", "--repo", "acme/model", "--sha", loose, "--environment", "production"});
  EXPECT_EQ(deploy_code, 1) << deploy_output;
  EXPECT_NE(deploy_output.find("(deployed rule)"), std::string::npos) << deploy_output;
  EXPECT_NE(deploy_output.find("accuracy: min 0.93 → 0.85"), std::string::npos) << deploy_output;
  auto page = testing::http_get(
      env.host(), "/pipelines/" + std::to_string(env.pipeline_of(loose)["id"].get<long>()),
      env.admin());
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("<code>accuracy: min 0.93 → 0.85</code>"), std::string::npos);

  // Refused unless forced; forced with a reason, audited with the difference.
  auto refused = env.deploy({{"sha", loose}, {"environment", "production"}});
  ASSERT_EQ(refused.status, 409) << refused.body;
  auto rb = json::parse(refused.body);
  EXPECT_EQ(rb["rule_differences"], json::array({"accuracy: min 0.93 → 0.85"}));
  EXPECT_NE(rb["reasons"].dump().find("(deployed rule)"), std::string::npos) << rb.dump(2);
  auto forced = env.deploy({{"sha", loose},
                            {"environment", "production"},
                            {"force", true},
                            {"reason", "the new threshold was agreed with the model owners"}});
  ASSERT_EQ(forced.status, 201) << forced.body;
  EXPECT_EQ(json::parse(forced.body)["forced"], true);
  EXPECT_EQ(
      env.sql_long("SELECT count(*) FROM audit_log WHERE action = 'deployment.force' AND "
                   "details->>'sha' = '" +
                   loose + "' AND details->'rule_differences'->>0 = 'accuracy: min 0.93 → 0.85'"),
      1);

  // From that deployment on, the looser rule is the one in force.
  const auto next = push("0.85", 0.87);
  auto allowed = gate(next);
  EXPECT_EQ(allowed["decision"], "allow") << allowed.dump(2);
  EXPECT_EQ(allowed["rules"]["in_force"], "deployed_and_candidate");
  EXPECT_TRUE(allowed["rules"]["differences"].empty());
  EXPECT_TRUE(allowed["rules"]["note"].is_null());
  for (const auto& c : allowed["checks"]) EXPECT_EQ(c["rule_set"], "both") << c.dump();

  // Tightening applies at once: the candidate's own stricter rule fails it.
  const auto tight = push("0.9", 0.88);
  auto tightened = gate(tight);
  EXPECT_EQ(tightened["decision"], "deny") << tightened.dump(2);
  EXPECT_EQ(differences(tightened), std::vector<std::string>{"accuracy: min 0.85 → 0.9"});
  ASSERT_TRUE(with_threshold(tightened, "min 0.9"));
  EXPECT_EQ((*with_threshold(tightened, "min 0.9"))["rule_set"], "candidate");
  EXPECT_EQ((*with_threshold(tightened, "min 0.9"))["status"], "fail");

  // A deployment recorded before rules were kept: the deployed commit's .mlgate.yml is read
  // through the mirror.
  env.sql("UPDATE deployments SET gate_rules = NULL WHERE sha = '" + loose + "'");
  auto legacy = gate(strict);  // not asked since the forced deployment: judged afresh
  EXPECT_EQ(legacy["decision"], "allow") << legacy.dump(2);
  EXPECT_EQ(differences(legacy), std::vector<std::string>{"accuracy: min 0.85 → 0.93"});
  EXPECT_EQ(env.sql_text("SELECT inputs->'rules'->>'deployed_from' FROM gate_decisions WHERE id "
                         "= " +
                         std::to_string(legacy["decision_id"].get<long>())),
            "mirror");

  // Recorded rules that cannot be read deny (the gate fails closed).
  env.sql(R"(UPDATE deployments SET gate_rules = '{"gate": 1}' WHERE sha = ')" + loose + "'");
  // A change made in SQL reaches serve's caches through its notification (milliseconds): ask until
  // the answer is no longer the one from before the change (an `allow`). It may be a decision that
  // forge feedback's reporter made in the background since, served from the cache.
  json unreadable;
  EXPECT_TRUE(testing::eventually([&] {
    unreadable = gate(loose);  // the deployed commit itself
    return unreadable["decision"] != "allow";
  })) << "an answer decided on the rules before the edit was still served";
  EXPECT_EQ(unreadable["decision"], "deny") << unreadable.dump(2);
  ASSERT_FALSE(unreadable["checks"].empty());
  EXPECT_EQ(unreadable["checks"].back()["kind"], "rules");
  EXPECT_EQ(unreadable["checks"].back()["status"], "fail");

  // A rollback brings back the restored deployment's rules.
  ASSERT_EQ(env.rollback("production").status, 201);
  auto rolled_back = gate(next);
  EXPECT_EQ(rolled_back["decision"], "deny") << rolled_back.dump(2);
  EXPECT_EQ(differences(rolled_back), std::vector<std::string>{"accuracy: min 0.93 → 0.85"});
}

// The candidate's own rules are written once per config and environment (docs/gate.md, "The rules
// in force"): one .mlgate.yml with two gates of different thresholds, judged for each environment
// in turn and again, stores each environment's own rules, never the other's.
TEST_F(RulesInForce, EachEnvironmentStoresItsOwnRulesOfOneConfig) {
  env.start_runner("r1");
  std::string config = config_with_min("0.5");
  config +=
      "  staging:\n    require: [functionality]\n    metrics:\n"
      "      - {name: accuracy, min: 0.25}\n";
  const auto sha = env.push(config, {{"results.sh", gate_results_script(0.9, 0.85)}});
  ASSERT_EQ(env.wait_pipeline_end(sha)["state"], "passed");
  for (const char* environment : {"staging", "production", "staging"}) {
    SCOPED_TRACE(environment);
    const std::string min = std::string(environment) == "staging" ? "0.25" : "0.5";
    auto r = env.gate(sha, environment);
    ASSERT_EQ(r.status, 200) << r.body;
    const json answer = json::parse(r.body);
    ASSERT_NE(with_threshold(answer, "min " + min), nullptr) << r.body;
    EXPECT_EQ(env.sql_long("SELECT count(*) FROM gate_decisions WHERE id = " +
                           std::to_string(answer["decision_id"].get<long>()) +
                           " AND inputs->'rules'->'candidate'->'gate'->>'name' = '" + environment +
                           "' AND inputs->'rules'->'candidate'->'gate'->'metrics'->0->>'min' = '" +
                           min + "'"),
              1);
  }
}

}  // namespace
}  // namespace mlgate
