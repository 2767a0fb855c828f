// normalise_github() on every GitHub fixture, each compared field by field with the values in the
// file (tests/fixtures/webhooks/github, provenance in SOURCES.md).
#include "webhooks/github.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "tests/support/temp_dir.h"
#include "webhooks/normalise.h"

namespace mlgate::webhooks {

void PrintTo(const Event& e, std::ostream* os);  // event_printer.cpp
void PrintTo(const NormaliseError& e, std::ostream* os);

namespace {

constexpr const char* kZero = "0000000000000000000000000000000000000000";

std::string fixture(const std::string& name) {
  return mlgate::testing::read_file(std::string(MLGATE_SHARED_FIXTURES) + "/webhooks/github/" +
                                    name);
}

Headers headers(const std::string& event, const std::string& delivery = "d-1") {
  Headers h{{"X-GitHub-Event", event}};
  if (!delivery.empty()) h.emplace("X-GitHub-Delivery", delivery);
  return h;
}

Event normalised(const std::string& event, const std::string& body,
                 const std::string& delivery = "d-1") {
  const NormaliseResult r = normalise_github(headers(event, delivery), body);
  if (const auto* err = std::get_if<NormaliseError>(&r)) {
    ADD_FAILURE() << "unexpected error: " << err->message;
    return {};
  }
  return std::get<Event>(r);
}

Event base(const std::string& event, const std::string& repo, const std::string& id) {
  Event e;
  e.forge = Forge::github;
  e.event_name = event;
  e.repo = repo;
  e.repo_forge_id = id;
  e.delivery_id = "d-1";
  e.default_branch = "master";
  e.clone_url = "https://github.com/" + repo + ".git";
  return e;
}

TEST(GithubNormalise, PushToExistingBranch) {
  Event want = base("push", "ailisp/gcbapp-buildconfig-example", "219188321");
  want.kind = EventKind::push;
  want.ref = "refs/heads/ailisp-patch-1";
  want.branch = "ailisp-patch-1";
  want.before = "605521c5616094f95e459bca22a40c6babc3f9bb";
  want.sha = "e238171456e973f696a972b80599a849db5fe540";
  want.sender = "ailisp";
  want.commit_message = "Update README.md";
  want.author = "Bo Yao";
  want.delivery_id = "82f638c0-00f1-11ea-8a5a-03fe5a4959a9";  // the captured header
  EXPECT_EQ(normalised("push", fixture("push.json"), "82f638c0-00f1-11ea-8a5a-03fe5a4959a9"), want);
}

TEST(GithubNormalise, PushOfManyCommitsUsesTheHeadCommit) {
  Event want = base("push", "ailisp/gcbapp-buildconfig-example", "219188321");
  want.kind = EventKind::push;
  want.ref = "refs/heads/master";
  want.branch = "master";
  want.before = "8357af6fef17bd180014e419f049944cb491238f";
  want.sha = "a21683865c088b5fe1906cf6552d15a285a4986d";
  want.sender = "ailisp";
  want.commit_message = "Merge pull request #3 from byao1276/byao1276-patch-1\n\nByao1276 patch 1";
  want.author = "Bo Yao";
  EXPECT_EQ(normalised("push", fixture("push.many_commits.json")), want);
}

TEST(GithubNormalise, AnnotatedTagResolvesToTheTaggedCommit) {
  const Event e = normalised("push", fixture("push.tag.json"));
  Event want = base("push", "gagbo/app-test-repo", "680143540");
  want.default_branch = "main";
  want.kind = EventKind::tag;
  want.ref = "refs/tags/v0.2.1";
  want.tag = "v0.2.1";
  want.before = kZero;
  // after is f19c884a… (the tag object); head_commit.id is the commit.
  want.sha = "bd7a63727468ca899e6a43e40fe9d76b3501f3f4";
  want.sender = "gagbo";
  want.commit_message = "Merge pull request #2 from gagbo/add_slow_route\n\nAdd slow route";
  want.author = "Gerry Agbobada";
  EXPECT_EQ(e, want);
  EXPECT_NE(e.sha, "f19c884ab35c8d243bf9d857d631a5d4f190079f");
}

TEST(GithubNormalise, TagPushWithoutHeadCommitFallsBackToAfter) {
  auto j = nlohmann::json::parse(fixture("push.tag.json"));
  j["head_commit"] = nullptr;
  const Event e = normalised("push", j.dump());
  EXPECT_EQ(e.kind, EventKind::tag);
  EXPECT_EQ(e.sha, "f19c884ab35c8d243bf9d857d631a5d4f190079f");
  EXPECT_EQ(e.commit_message, "");
}

TEST(GithubNormalise, BranchCreateIsAPush) {
  Event want = base("push", "bradrydzewski/drone-test-go", "13933572");
  want.kind = EventKind::push;
  want.ref = "refs/heads/feature-branch";
  want.branch = "feature-branch";
  want.before = kZero;
  want.sha = "d2b75aa7797ec26b088fa2dd527e9d2c052fcedd";
  want.sender = "bradrydzewski";
  want.commit_message = "Update .drone.yml";
  want.author = "Brad Rydzewski";
  EXPECT_EQ(normalised("push", fixture("push.branch_create.json")), want);
}

TEST(GithubNormalise, BranchDelete) {
  Event want = base("push", "bradrydzewski/drone-test-go", "13933572");
  want.kind = EventKind::branch_delete;
  want.ref = "refs/heads/feature-branch";
  want.branch = "feature-branch";
  want.before = "d2b75aa7797ec26b088fa2dd527e9d2c052fcedd";
  want.sha = "";  // nothing to test
  want.sender = "bradrydzewski";
  EXPECT_EQ(normalised("push", fixture("push.branch_delete.json")), want);
}

TEST(GithubNormalise, TagDelete) {
  auto j = nlohmann::json::parse(fixture("push.branch_delete.json"));
  j["ref"] = "refs/tags/v9";
  const Event e = normalised("push", j.dump());
  EXPECT_EQ(e.kind, EventKind::tag_delete);
  EXPECT_EQ(e.tag, "v9");
  EXPECT_EQ(e.branch, "");
  EXPECT_EQ(e.sha, "");
  EXPECT_EQ(e.before, "d2b75aa7797ec26b088fa2dd527e9d2c052fcedd");
}

TEST(GithubNormalise, ZeroAfterMeansDeletedEvenWithoutTheFlag) {
  auto j = nlohmann::json::parse(fixture("push.branch_delete.json"));
  j.erase("deleted");
  EXPECT_EQ(normalised("push", j.dump()).kind, EventKind::branch_delete);
}

TEST(GithubNormalise, PushToOtherRefsIsIgnored) {
  auto j = nlohmann::json::parse(fixture("push.json"));
  j["ref"] = "refs/notes/commits";
  const Event e = normalised("push", j.dump());
  EXPECT_EQ(e.kind, EventKind::ignored);
  EXPECT_NE(e.ignored_reason.find("refs/notes/commits"), std::string::npos);
  EXPECT_EQ(e.sha, "");
  j["ref"] = "refs/heads/";
  EXPECT_EQ(normalised("push", j.dump()).kind, EventKind::ignored);
}

TEST(GithubNormalise, UppercaseShaIsLowercased) {
  auto j = nlohmann::json::parse(fixture("push.json"));
  j["after"] = "E238171456E973F696A972B80599A849DB5FE540";
  EXPECT_EQ(normalised("push", j.dump()).sha, "e238171456e973f696a972b80599a849db5fe540");
}

TEST(GithubNormalise, PullRequestOpened) {
  Event want = base("pull_request", "Codertocat/Hello-World", "186853002");
  want.kind = EventKind::pull_request_open;
  want.action = "opened";
  want.pr_number = 2;
  want.ref = "refs/pull/2/head";
  want.branch = "changes";
  want.base_branch = "master";
  want.sha = "ec26c3e57ca3a959ca5aad62de7213c562f8c821";
  want.head_clone_url = "https://github.com/Codertocat/Hello-World.git";
  want.from_fork = false;
  want.sender = "Codertocat";
  EXPECT_EQ(normalised("pull_request", fixture("pull_request.opened.json")), want);
}

TEST(GithubNormalise, PullRequestReopenedIsOpen) {
  auto j = nlohmann::json::parse(fixture("pull_request.opened.json"));
  j["action"] = "reopened";
  const Event e = normalised("pull_request", j.dump());
  EXPECT_EQ(e.kind, EventKind::pull_request_open);
  EXPECT_EQ(e.action, "reopened");
}

TEST(GithubNormalise, PullRequestFromFork) {
  Event want = base("pull_request", "ailisp/gcbapp-buildconfig-example", "219188321");
  want.kind = EventKind::pull_request_open;
  want.action = "opened";
  want.pr_number = 3;
  want.ref = "refs/pull/3/head";
  want.branch = "byao1276-patch-1";
  want.base_branch = "master";
  want.sha = "7b5a809ab03679215c55926f7d111156ec98b865";
  want.clone_url = "https://github.com/ailisp/gcbapp-buildconfig-example.git";
  want.head_clone_url = "https://github.com/byao1276/gcbapp-buildconfig-example.git";
  want.from_fork = true;
  want.sender = "byao1276";
  EXPECT_EQ(normalised("pull_request", fixture("pull_request.opened.fork.json")), want);
}

TEST(GithubNormalise, PullRequestWhoseForkWasDeletedCountsAsFork) {
  auto j = nlohmann::json::parse(fixture("pull_request.opened.fork.json"));
  j["pull_request"]["head"]["repo"] = nullptr;
  const Event e = normalised("pull_request", j.dump());
  EXPECT_EQ(e.kind, EventKind::pull_request_open);
  EXPECT_TRUE(e.from_fork);
  EXPECT_EQ(e.head_clone_url, "");
  EXPECT_EQ(e.ref, "refs/pull/3/head");
}

TEST(GithubNormalise, PullRequestSynchronize) {
  Event want = base("pull_request", "Codertocat/Hello-World", "186853002");
  want.kind = EventKind::pull_request_update;
  want.action = "synchronize";
  want.pr_number = 2;
  want.ref = "refs/pull/2/head";
  want.branch = "changes";
  want.base_branch = "master";
  want.before = "f95f852bd8fca8fcc58a9a2d6c842781e32a215e";
  want.sha = "ec26c3e57ca3a959ca5aad62de7213c562f8c821";  // == top-level after
  want.head_clone_url = "https://github.com/Codertocat/Hello-World.git";
  want.sender = "Codertocat";
  EXPECT_EQ(normalised("pull_request", fixture("pull_request.synchronize.json")), want);
}

TEST(GithubNormalise, PullRequestClosedWithoutMerge) {
  Event want = base("pull_request", "Codertocat/Hello-World", "186853002");
  want.kind = EventKind::pull_request_close;
  want.action = "closed";
  want.pr_number = 2;
  want.ref = "refs/pull/2/head";
  want.branch = "changes";
  want.base_branch = "master";
  want.sha = "ec26c3e57ca3a959ca5aad62de7213c562f8c821";
  want.head_clone_url = "https://github.com/Codertocat/Hello-World.git";
  want.sender = "Codertocat";
  EXPECT_EQ(normalised("pull_request", fixture("pull_request.closed.json")), want);
}

TEST(GithubNormalise, PullRequestClosedMergedFromFork) {
  Event want = base("pull_request", "ailisp/gcbapp-buildconfig-example", "219188321");
  want.kind = EventKind::pull_request_close;
  want.action = "closed";
  want.pr_number = 3;
  want.ref = "refs/pull/3/head";
  want.branch = "byao1276-patch-1";
  want.base_branch = "master";
  want.sha = "7b5a809ab03679215c55926f7d111156ec98b865";
  want.head_clone_url = "https://github.com/byao1276/gcbapp-buildconfig-example.git";
  want.from_fork = true;
  want.sender = "ailisp";
  EXPECT_EQ(normalised("pull_request", fixture("pull_request.closed.merged.json")), want);
}

TEST(GithubNormalise, OtherPullRequestActionsAreIgnored) {
  auto j = nlohmann::json::parse(fixture("pull_request.opened.json"));
  for (const char* action :
       {"labeled", "unlabeled", "edited", "assigned", "review_requested", "ready_for_review",
        "converted_to_draft", "auto_merge_enabled", "locked", "milestoned"}) {
    j["action"] = action;
    const Event e = normalised("pull_request", j.dump());
    EXPECT_EQ(e.kind, EventKind::ignored) << action;
    EXPECT_EQ(e.action, action);
    EXPECT_NE(e.ignored_reason.find(action), std::string::npos) << e.ignored_reason;
    EXPECT_EQ(e.repo, "Codertocat/Hello-World");
    EXPECT_EQ(e.pr_number, 2);
    EXPECT_EQ(e.sha, "");
  }
}

TEST(GithubNormalise, Ping) {
  Event want = base("ping", "Octocoders/Hello-World", "186853261");
  want.kind = EventKind::ping;
  want.sender = "Codertocat";
  EXPECT_EQ(normalised("ping", fixture("ping.json")), want);
}

TEST(GithubNormalise, PingWithoutRepositoryFromAnOrganizationHook) {
  auto j = nlohmann::json::parse(fixture("ping.json"));
  j.erase("repository");
  const Event e = normalised("ping", j.dump());
  EXPECT_EQ(e.kind, EventKind::ping);
  EXPECT_EQ(e.repo, "");
  EXPECT_EQ(e.repo_forge_id, "");
}

TEST(GithubNormalise, DeploymentProtectionRuleForAPush) {
  Event want = base("deployment_protection_rule", "oodles-noodles/juice-shop", "629055611");
  want.kind = EventKind::deployment_protection_rule;
  want.action = "requested";
  want.environment = "production";
  want.deployment_callback_url =
      "https://api.github.com/repos/oodles-noodles/juice-shop/actions/runs/5417285903/"
      "deployment_protection_rule";
  want.deployment_id = 966115830;
  want.sha = "6266b1bb2a58aff37f3ef9c66ad2802d6bef8a8a";
  want.branch = "master";  // deployment.ref, a short name
  want.sender = "david-wiggs";
  EXPECT_EQ(normalised("deployment_protection_rule",
                       fixture("deployment_protection_rule.requested.json")),
            want);
}

TEST(GithubNormalise, DeploymentProtectionRuleForAPullRequest) {
  Event want = base("deployment_protection_rule", "product-os/deploynaut", "874847246");
  want.default_branch = "main";
  want.kind = EventKind::deployment_protection_rule;
  want.action = "requested";
  want.environment = "test";
  want.deployment_callback_url =
      "https://api.github.com/repos/product-os/deploynaut/actions/runs/12201231746/"
      "deployment_protection_rule";
  want.deployment_id = 2018818995;
  want.sha = "8a7d3b7f56830f91e5c0c02ab44d3215b29ad086";
  want.pr_number = 14;
  want.ref = "refs/pull/14/head";
  want.branch = "develop";
  want.base_branch = "main";
  want.sender = "klutchell";
  EXPECT_EQ(normalised("deployment_protection_rule",
                       fixture("deployment_protection_rule.requested.pull_request.json")),
            want);
}

TEST(GithubNormalise, DeploymentProtectionRuleWithFullRef) {
  auto j = nlohmann::json::parse(fixture("deployment_protection_rule.requested.json"));
  j["deployment"]["ref"] = "refs/tags/v1.2";
  const Event e = normalised("deployment_protection_rule", j.dump());
  EXPECT_EQ(e.ref, "refs/tags/v1.2");
  EXPECT_EQ(e.tag, "v1.2");
  EXPECT_EQ(e.branch, "");
}

TEST(GithubNormalise, CheckSuiteIsIgnored) {
  const Event e = normalised("check_suite", fixture("check_suite.requested.json"));
  EXPECT_EQ(e.kind, EventKind::ignored);
  EXPECT_EQ(e.event_name, "check_suite");
  EXPECT_EQ(e.action, "requested");
  EXPECT_EQ(e.repo, "Codertocat/Hello-World");
  EXPECT_EQ(e.repo_forge_id, "186853002");
  EXPECT_EQ(e.sender, "Codertocat");
  EXPECT_NE(e.ignored_reason.find("check_suite"), std::string::npos);
}

TEST(GithubNormalise, UnknownEventsAreIgnoredEvenWithAnOddBody) {
  const Event e = normalised("star", "{}");
  EXPECT_EQ(e.kind, EventKind::ignored);
  EXPECT_EQ(e.repo, "");
  EXPECT_FALSE(e.ignored_reason.empty());
}

TEST(GithubNormalise, MissingEventHeaderIs400) {
  const NormaliseResult r = normalise_github(Headers{}, fixture("push.json"));
  const auto* err = std::get_if<NormaliseError>(&r);
  ASSERT_NE(err, nullptr);
  EXPECT_EQ(err->http_status, 400);
  EXPECT_NE(err->message.find("X-GitHub-Event"), std::string::npos);
}

TEST(GithubNormalise, EventHeaderIsCaseInsensitiveButValueIsNot) {
  Headers h{{"x-github-event", "push"}};
  EXPECT_TRUE(std::holds_alternative<Event>(normalise_github(h, fixture("push.json"))));
  Headers upper{{"X-GitHub-Event", "PUSH"}};
  const NormaliseResult r = normalise_github(upper, fixture("push.json"));
  ASSERT_TRUE(std::holds_alternative<Event>(r));
  EXPECT_EQ(std::get<Event>(r).kind, EventKind::ignored);
}

TEST(GithubNormalise, DeliveryIdFallsBackToBodyHash) {
  const std::string body = fixture("ping.json");
  const Event e = normalised("ping", body, "");
  EXPECT_EQ(e.delivery_id, delivery_id(Forge::github, Headers{}, body));
  EXPECT_EQ(e.delivery_id.rfind("sha256:", 0), 0u);
}

TEST(GithubNormalise, DispatcherMatches) {
  const std::string body = fixture("push.json");
  EXPECT_EQ(normalise(Forge::github, headers("push"), body),
            normalise_github(headers("push"), body));
}

}  // namespace
}  // namespace mlgate::webhooks
