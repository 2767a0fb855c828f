// normalise_gitlab() on every GitLab fixture, each compared field by field with the values in the
// file (tests/fixtures/webhooks/gitlab, provenance in SOURCES.md).
#include "webhooks/gitlab.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "tests/support/temp_dir.h"
#include "util/hash.h"
#include "webhooks/normalise.h"
#include "webhooks/signature.h"

namespace mlgate::webhooks {

void PrintTo(const Event& e, std::ostream* os);  // event_printer.cpp
void PrintTo(const NormaliseError& e, std::ostream* os);

namespace {

constexpr const char* kZero = "0000000000000000000000000000000000000000";

std::string fixture(const std::string& name) {
  return mlgate::testing::read_file(std::string(MLGATE_SHARED_FIXTURES) + "/webhooks/gitlab/" +
                                    name);
}

Headers headers(const std::string& event) {
  return Headers{{"X-Gitlab-Event", event}, {"X-Gitlab-Event-UUID", "u-1"}};
}

Event normalised(const std::string& event, const std::string& body) {
  const NormaliseResult r = normalise_gitlab(headers(event), body);
  if (const auto* err = std::get_if<NormaliseError>(&r)) {
    ADD_FAILURE() << "unexpected error: " << err->message;
    return {};
  }
  return std::get<Event>(r);
}

Event base(const std::string& event, const std::string& repo, const std::string& id,
           const std::string& clone_url) {
  Event e;
  e.forge = Forge::gitlab;
  e.event_name = event;
  e.repo = repo;
  e.repo_forge_id = id;
  e.delivery_id = "u-1";
  e.default_branch = "master";
  e.clone_url = clone_url;
  return e;
}

TEST(GitlabNormalise, Push) {
  Event want = base("Push Hook", "mike/diaspora", "15", "http://example.com/mike/diaspora.git");
  want.kind = EventKind::push;
  want.ref = "refs/heads/master";
  want.branch = "master";
  want.before = "95790bf891e76fee5e1747ab589903a6a1f80f22";
  want.sha = "da1560886d4f094c3e6c9ef40349f7d38b5d27d7";
  want.sender = "jsmith";
  // The listed commit whose id is the new tip (the last of the two in the file).
  want.commit_message = "fixed readme";
  want.author = "GitLab dev user";
  EXPECT_EQ(normalised("Push Hook", fixture("push.json")), want);
}

TEST(GitlabNormalise, HeadCommitFoundWhateverTheOrder) {
  auto j = nlohmann::json::parse(fixture("push.json"));
  std::swap(j["commits"][0], j["commits"][1]);
  const Event e = normalised("Push Hook", j.dump());
  EXPECT_EQ(e.commit_message, "fixed readme");
  EXPECT_EQ(e.author, "GitLab dev user");
  j["commits"] = nlohmann::json::array();
  const Event none = normalised("Push Hook", j.dump());
  EXPECT_EQ(none.commit_message, "");
  EXPECT_EQ(none.sha, "da1560886d4f094c3e6c9ef40349f7d38b5d27d7");
}

TEST(GitlabNormalise, BranchCreate) {
  Event want = base("Push Hook", "gitlab-org/hello-world", "4861503",
                    "https://gitlab.com/gitlab-org/hello-world.git");
  want.kind = EventKind::push;
  want.ref = "refs/heads/feature";
  want.branch = "feature";
  want.before = kZero;
  want.sha = "c4c79227ed610f1151f05bbc5be33b4f340d39c8";
  want.sender = "sytses";
  want.commit_message = "update readme\n";
  want.author = "Sid Sijbrandij";
  EXPECT_EQ(normalised("Push Hook", fixture("push.branch_create.json")), want);
}

TEST(GitlabNormalise, BranchDelete) {
  Event want = base("Push Hook", "gitlab-org/hello-world", "4861503",
                    "https://gitlab.com/gitlab-org/hello-world.git");
  want.kind = EventKind::branch_delete;
  want.ref = "refs/heads/feature";
  want.branch = "feature";
  want.before = "c4c79227ed610f1151f05bbc5be33b4f340d39c8";
  want.sha = "";
  want.sender = "sytses";
  EXPECT_EQ(normalised("Push Hook", fixture("push.branch_delete.json")), want);
}

TEST(GitlabNormalise, TagPush) {
  Event want =
      base("Tag Push Hook", "jsmith/example", "1", "http://example.com/jsmith/example.git");
  want.kind = EventKind::tag;
  want.ref = "refs/tags/v1.0.0";
  want.tag = "v1.0.0";
  want.before = kZero;
  want.sha = "82b3d5ae55f7080f1e6022629cdb57bfae7cccc7";  // checkout_sha
  // The documented example has no user_username; user_name is used instead.
  want.sender = "John Smith";
  EXPECT_EQ(normalised("Tag Push Hook", fixture("tag_push.json")), want);
}

TEST(GitlabNormalise, AnnotatedTagResolvesToCheckoutSha) {
  auto j = nlohmann::json::parse(fixture("tag_push.json"));
  j["after"] = "1111111111111111111111111111111111111111";  // the tag object
  j["checkout_sha"] = "82b3d5ae55f7080f1e6022629cdb57bfae7cccc7";
  EXPECT_EQ(normalised("Tag Push Hook", j.dump()).sha, "82b3d5ae55f7080f1e6022629cdb57bfae7cccc7");
  j["checkout_sha"] = nullptr;
  EXPECT_EQ(normalised("Tag Push Hook", j.dump()).sha, "1111111111111111111111111111111111111111");
}

TEST(GitlabNormalise, TagDelete) {
  auto j = nlohmann::json::parse(fixture("tag_push.json"));
  j["before"] = "82b3d5ae55f7080f1e6022629cdb57bfae7cccc7";
  j["after"] = kZero;
  j["checkout_sha"] = nullptr;
  const Event e = normalised("Tag Push Hook", j.dump());
  EXPECT_EQ(e.kind, EventKind::tag_delete);
  EXPECT_EQ(e.tag, "v1.0.0");
  EXPECT_EQ(e.sha, "");
  EXPECT_EQ(e.before, "82b3d5ae55f7080f1e6022629cdb57bfae7cccc7");
}

TEST(GitlabNormalise, MergeRequestOpen) {
  Event want = base("Merge Request Hook", "gitlabhq/gitlab-test", "1",
                    "http://example.com/gitlabhq/gitlab-test.git");
  want.kind = EventKind::pull_request_open;
  want.action = "open";
  want.pr_number = 1;  // iid, not the global id 99
  want.ref = "refs/merge-requests/1/head";
  want.branch = "ms-viewport";
  want.base_branch = "master";
  want.sha = "da1560886d4f094c3e6c9ef40349f7d38b5d27d7";
  want.head_clone_url = "http://example.com/awesome_space/awesome_project.git";
  want.from_fork = false;  // source_project_id == target_project_id == 14
  want.sender = "root";
  want.commit_message = "fixed readme";
  want.author = "GitLab dev user";
  EXPECT_EQ(normalised("Merge Request Hook", fixture("merge_request.open.json")), want);
}

TEST(GitlabNormalise, MergeRequestReopenIsOpen) {
  auto j = nlohmann::json::parse(fixture("merge_request.open.json"));
  j["object_attributes"]["action"] = "reopen";
  EXPECT_EQ(normalised("Merge Request Hook", j.dump()).kind, EventKind::pull_request_open);
}

TEST(GitlabNormalise, MergeRequestFromFork) {
  auto j = nlohmann::json::parse(fixture("merge_request.open.json"));
  j["object_attributes"]["source_project_id"] = 15;
  const Event e = normalised("Merge Request Hook", j.dump());
  EXPECT_TRUE(e.from_fork);
  EXPECT_EQ(e.head_clone_url, "http://example.com/awesome_space/awesome_project.git");
}

TEST(GitlabNormalise, MergeRequestUpdateWithNewCommits) {
  auto j = nlohmann::json::parse(fixture("merge_request.open.json"));
  j["object_attributes"]["action"] = "update";
  j["object_attributes"]["oldrev"] = "95790bf891e76fee5e1747ab589903a6a1f80f22";
  const Event e = normalised("Merge Request Hook", j.dump());
  EXPECT_EQ(e.kind, EventKind::pull_request_update);
  EXPECT_EQ(e.action, "update");
  EXPECT_EQ(e.before, "95790bf891e76fee5e1747ab589903a6a1f80f22");
  EXPECT_EQ(e.sha, "da1560886d4f094c3e6c9ef40349f7d38b5d27d7");
  EXPECT_EQ(e.pr_number, 1);
}

TEST(GitlabNormalise, MergeRequestUpdateWithoutOldrevIsIgnored) {
  auto j = nlohmann::json::parse(fixture("merge_request.open.json"));
  j["object_attributes"]["action"] = "update";  // e.g. a title or label change
  const Event e = normalised("Merge Request Hook", j.dump());
  EXPECT_EQ(e.kind, EventKind::ignored);
  EXPECT_EQ(e.action, "update");
  EXPECT_NE(e.ignored_reason.find("oldrev"), std::string::npos);
  EXPECT_EQ(e.sha, "");
  EXPECT_EQ(e.repo, "gitlabhq/gitlab-test");
  EXPECT_EQ(e.pr_number, 1);
  // null counts as absent.
  j["object_attributes"]["oldrev"] = nullptr;
  EXPECT_EQ(normalised("Merge Request Hook", j.dump()).kind, EventKind::ignored);
}

TEST(GitlabNormalise, MergeRequestMergeIsClose) {
  Event want = base("Merge Request Hook", "gitlab-org/hello-world", "4861503",
                    "https://gitlab.com/gitlab-org/hello-world.git");
  want.kind = EventKind::pull_request_close;
  want.action = "merge";
  want.pr_number = 1;
  want.ref = "refs/merge-requests/1/head";
  want.branch = "feature";
  want.base_branch = "master";
  want.sha = "c4c79227ed610f1151f05bbc5be33b4f340d39c8";
  want.head_clone_url = "https://gitlab.com/gitlab-org/hello-world.git";
  want.from_fork = false;
  want.sender = "sytses";
  want.commit_message = "update readme\n";
  want.author = "Sid Sijbrandij";
  EXPECT_EQ(normalised("Merge Request Hook", fixture("merge_request.merge.json")), want);
}

TEST(GitlabNormalise, MergeRequestCloseIsClose) {
  auto j = nlohmann::json::parse(fixture("merge_request.merge.json"));
  j["object_attributes"]["action"] = "close";
  EXPECT_EQ(normalised("Merge Request Hook", j.dump()).kind, EventKind::pull_request_close);
}

TEST(GitlabNormalise, OtherMergeRequestActionsAreIgnored) {
  auto j = nlohmann::json::parse(fixture("merge_request.open.json"));
  for (const char* action : {"approved", "unapproved", "approval", "unapproval", "Open"}) {
    j["object_attributes"]["action"] = action;
    const Event e = normalised("Merge Request Hook", j.dump());
    EXPECT_EQ(e.kind, EventKind::ignored) << action;
    EXPECT_NE(e.ignored_reason.find(action), std::string::npos);
  }
}

TEST(GitlabNormalise, SystemHookDispatchesOnObjectKind) {
  const Event push = normalised("System Hook", fixture("push.json"));
  EXPECT_EQ(push.kind, EventKind::push);
  EXPECT_EQ(push.event_name, "System Hook");
  EXPECT_EQ(normalised("System Hook", fixture("tag_push.json")).kind, EventKind::tag);
  EXPECT_EQ(normalised("System Hook", fixture("merge_request.open.json")).kind,
            EventKind::pull_request_open);
  EXPECT_EQ(normalised("System Hook", R"({"event_name":"project_create"})").kind,
            EventKind::ignored);
}

TEST(GitlabNormalise, OtherEventsAreIgnored) {
  for (const char* event : {"Pipeline Hook", "Job Hook", "Note Hook", "Issue Hook", "push"}) {
    const Event e = normalised(event, fixture("push.json"));
    EXPECT_EQ(e.kind, EventKind::ignored) << event;
    EXPECT_EQ(e.repo, "mike/diaspora");
    EXPECT_FALSE(e.ignored_reason.empty());
  }
}

TEST(GitlabNormalise, MissingEventHeaderIs400) {
  const NormaliseResult r =
      normalise_gitlab(Headers{{"X-Gitlab-Token", "x"}}, fixture("push.json"));
  const auto* err = std::get_if<NormaliseError>(&r);
  ASSERT_NE(err, nullptr);
  EXPECT_EQ(err->http_status, 400);
  EXPECT_NE(err->message.find("X-Gitlab-Event"), std::string::npos);
}

TEST(GitlabNormalise, DeliveryIdRules) {
  const std::string body = fixture("push.json");
  const auto id = [&](Headers h) {
    h.emplace("X-Gitlab-Event", "Push Hook");
    return std::get<Event>(normalise_gitlab(h, body)).delivery_id;
  };
  EXPECT_EQ(id({{"X-Gitlab-Event-UUID", "a"}, {"Idempotency-Key", "b"}}), "a");
  EXPECT_EQ(id({{"Idempotency-Key", "b"}}), "b");
  EXPECT_EQ(id({}), "sha256:" + util::sha256_hex(body));
}

}  // namespace
}  // namespace mlgate::webhooks
