// Fork pull requests (docs/security.md, "Fork pull requests"): the repository policy's spellings
// and the gate's rule for a commit known only from forks.
#include "core/fork_policy.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace mlgate::core {
namespace {

// Every spelling the database CHECKs (migrations/0008) reads back as itself, and nothing else
// parses.
TEST(ForkPolicy, SpellingsRoundTrip) {
  for (const char* s : {"approve", "run", "ignore"})
    EXPECT_EQ(to_string(*parse_fork_pull_requests(s)), s);
  EXPECT_FALSE(parse_fork_pull_requests("Approve"));
  EXPECT_FALSE(parse_fork_pull_requests(""));
  EXPECT_FALSE(parse_fork_pull_requests("allow"));
}

// Whatever the metrics said, a fork's commit is denied, with the reason first and in the summary.
TEST(ForkPolicy, AForkCommitIsDeniedWhateverElseTheGateFound) {
  GateResult result;
  result.decision = Decision::allow;
  result.checks.push_back(CheckResult{.kind = CheckKind::metric,
                                      .name = "accuracy",
                                      .status = CheckStatus::pass,
                                      .value = 0.97,
                                      .threshold = "min 0.9"});
  result.summary = "allow: every check passed";
  deny_fork_commit(result);
  EXPECT_EQ(result.decision, Decision::deny);
  EXPECT_EQ(result.summary, "deny: commit from a fork pull request is never deployable");
  ASSERT_EQ(result.checks.size(), 2u);
  EXPECT_EQ(result.checks[0].kind, CheckKind::provenance);
  EXPECT_EQ(result.checks[0].status, CheckStatus::fail);
  EXPECT_TRUE(blocks(result.checks[0]));
  EXPECT_EQ(result.checks[0].reason, "commit from a fork pull request is never deployable");
  EXPECT_EQ(result.checks[1].name, "accuracy");
  auto json = nlohmann::json::parse(gate_result_json(result));
  EXPECT_EQ(json["decision"], "deny");
  EXPECT_EQ(json["checks"][0]["kind"], "provenance");
  EXPECT_EQ(json["checks"][0]["name"], "fork_pull_request");
}

}  // namespace
}  // namespace mlgate::core
