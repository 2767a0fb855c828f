// Headers, Event enums, delivery ids and peek_repo_name.
#include <gtest/gtest.h>

#include <string>

#include "tests/support/temp_dir.h"
#include "util/hash.h"
#include "webhooks/event.h"
#include "webhooks/headers.h"
#include "webhooks/normalise.h"
#include "webhooks/signature.h"

namespace mlgate::webhooks {
namespace {

std::string fixture(const std::string& rel) {
  return mlgate::testing::read_file(std::string(MLGATE_SHARED_FIXTURES) + "/webhooks/" + rel);
}

TEST(Headers, LookupIgnoresCase) {
  Headers h{{"X-GitHub-Event", "push"}, {"content-type", "application/json"}};
  EXPECT_EQ(find_header(h, "x-github-event"), "push");
  EXPECT_EQ(find_header(h, "X-GITHUB-EVENT"), "push");
  EXPECT_EQ(find_header(h, "Content-Type"), "application/json");
  EXPECT_FALSE(find_header(h, "X-GitHub-Delivery").has_value());
  EXPECT_EQ(header_value(h, "X-Github-Event"), "push");
  EXPECT_EQ(header_value(h, "missing"), "");
  EXPECT_FALSE(find_header(h, "X-GitHub-Even").has_value());
  EXPECT_FALSE(find_header(h, "X-GitHub-Events").has_value());
}

TEST(Headers, KeysDifferingOnlyInCaseAreOneKey) {
  Headers h;
  h.emplace("X-Gitlab-Token", "a");
  const auto [it, inserted] = h.emplace("x-gitlab-token", "b");
  EXPECT_FALSE(inserted);
  EXPECT_EQ(h.size(), 1u);
  EXPECT_EQ(header_value(h, "X-GITLAB-TOKEN"), "a");
}

TEST(EventEnums, RoundTrip) {
  for (EventKind k :
       {EventKind::ping, EventKind::push, EventKind::tag, EventKind::branch_delete,
        EventKind::tag_delete, EventKind::pull_request_open, EventKind::pull_request_update,
        EventKind::pull_request_close, EventKind::deployment_protection_rule, EventKind::ignored}) {
    const auto back = event_kind_from_string(to_string(k));
    ASSERT_TRUE(back.has_value()) << to_string(k);
    EXPECT_EQ(*back, k);
  }
  EXPECT_EQ(to_string(EventKind::pull_request_open), "pull_request_open");
  EXPECT_EQ(to_string(EventKind::deployment_protection_rule), "deployment_protection_rule");
  EXPECT_FALSE(event_kind_from_string("Push").has_value());
  EXPECT_FALSE(event_kind_from_string("").has_value());
  EXPECT_FALSE(event_kind_from_string("unknown").has_value());

  EXPECT_EQ(to_string(Forge::github), "github");
  EXPECT_EQ(to_string(Forge::gitlab), "gitlab");
  EXPECT_EQ(forge_from_string("github"), Forge::github);
  EXPECT_EQ(forge_from_string("gitlab"), Forge::gitlab);
  EXPECT_FALSE(forge_from_string("GitHub").has_value());
  EXPECT_FALSE(forge_from_string("bitbucket").has_value());
}

TEST(DeliveryId, GithubUsesDeliveryHeader) {
  Headers h{{"X-GitHub-Delivery", "82f638c0-00f1-11ea-8a5a-03fe5a4959a9"}};
  EXPECT_EQ(delivery_id(Forge::github, h, "{}"), "82f638c0-00f1-11ea-8a5a-03fe5a4959a9");
  // GitLab's headers mean nothing for GitHub.
  Headers gl{{"X-Gitlab-Event-UUID", "abc"}, {"Idempotency-Key", "def"}};
  EXPECT_EQ(delivery_id(Forge::github, gl, "{}"), "sha256:" + util::sha256_hex("{}"));
}

TEST(DeliveryId, GitlabPrefersEventUuidThenIdempotencyKey) {
  Headers both{{"X-Gitlab-Event-UUID", "uuid-1"}, {"Idempotency-Key", "idem-1"}};
  EXPECT_EQ(delivery_id(Forge::gitlab, both, "{}"), "uuid-1");
  Headers idem{{"idempotency-key", "idem-1"}};
  EXPECT_EQ(delivery_id(Forge::gitlab, idem, "{}"), "idem-1");
  Headers invalid_uuid{{"X-Gitlab-Event-UUID", "has space"}, {"Idempotency-Key", "idem-1"}};
  EXPECT_EQ(delivery_id(Forge::gitlab, invalid_uuid, "{}"), "idem-1");
  // X-Gitlab-Webhook-UUID identifies the hook, not the delivery: never used.
  Headers hook{{"X-Gitlab-Webhook-UUID", "hook-uuid"}};
  EXPECT_EQ(delivery_id(Forge::gitlab, hook, "{}"), "sha256:" + util::sha256_hex("{}"));
  // The GitHub header means nothing for GitLab.
  Headers gh{{"X-GitHub-Delivery", "x"}};
  EXPECT_EQ(delivery_id(Forge::gitlab, gh, "{}"), "sha256:" + util::sha256_hex("{}"));
}

TEST(DeliveryId, FallsBackToBodyHash) {
  const std::string body = fixture("gitlab/push.json");
  const std::string expected = "sha256:" + util::sha256_hex(body);
  EXPECT_EQ(delivery_id(Forge::gitlab, Headers{}, body), expected);
  EXPECT_EQ(expected.size(), 7u + 64u);
  // The same bytes give the same id; different bytes another.
  EXPECT_EQ(delivery_id(Forge::gitlab, Headers{}, body), expected);
  EXPECT_NE(delivery_id(Forge::gitlab, Headers{}, body + " "), expected);

  for (const std::string& bad :
       {std::string(), std::string(201, 'a'), std::string("a b"), std::string("tab\there"),
        std::string("nl\n"), std::string("caf\xc3\xa9"), std::string("nul\0x", 5),
        std::string("\x7f")}) {
    Headers h{{"X-GitHub-Delivery", bad}};
    EXPECT_EQ(delivery_id(Forge::github, h, body), "sha256:" + util::sha256_hex(body)) << bad;
    EXPECT_FALSE(is_valid_delivery_id(bad));
  }
}

TEST(DeliveryId, ValidityBounds) {
  EXPECT_TRUE(is_valid_delivery_id("a"));
  EXPECT_TRUE(is_valid_delivery_id(std::string(200, 'z')));
  EXPECT_FALSE(is_valid_delivery_id(std::string(201, 'z')));
  EXPECT_TRUE(is_valid_delivery_id("!~{}[]:/=+"));
  Headers h{{"X-GitHub-Delivery", std::string(200, 'z')}};
  EXPECT_EQ(delivery_id(Forge::github, h, "{}"), std::string(200, 'z'));
}

TEST(PeekRepoName, ReadsTheRepositoryOfEveryFixture) {
  EXPECT_EQ(peek_repo_name(Forge::github, fixture("github/push.json")),
            "ailisp/gcbapp-buildconfig-example");
  EXPECT_EQ(peek_repo_name(Forge::github, fixture("github/pull_request.opened.fork.json")),
            "ailisp/gcbapp-buildconfig-example");
  EXPECT_EQ(peek_repo_name(Forge::github, fixture("github/ping.json")), "Octocoders/Hello-World");
  EXPECT_EQ(
      peek_repo_name(Forge::github, fixture("github/deployment_protection_rule.requested.json")),
      "oodles-noodles/juice-shop");
  EXPECT_EQ(peek_repo_name(Forge::gitlab, fixture("gitlab/push.json")), "mike/diaspora");
  EXPECT_EQ(peek_repo_name(Forge::gitlab, fixture("gitlab/push.branch_create.json")),
            "gitlab-org/hello-world");
  EXPECT_EQ(peek_repo_name(Forge::gitlab, fixture("gitlab/merge_request.open.json")),
            "gitlabhq/gitlab-test");
  // The other forge's field is not there.
  EXPECT_EQ(peek_repo_name(Forge::gitlab, fixture("github/push.json")), "");
  EXPECT_EQ(peek_repo_name(Forge::github, fixture("gitlab/push.json")), "");
}

TEST(PeekRepoName, OnlyTopLevelMemberCounts) {
  // A nested "repository" (like pull_request.head.repo... or an attacker's) is not the answer.
  EXPECT_EQ(peek_repo_name(Forge::github, R"({"x":{"repository":{"full_name":"evil/x"}}})"), "");
  EXPECT_EQ(peek_repo_name(
                Forge::github,
                R"({"x":{"repository":{"full_name":"evil/x"}},"repository":{"full_name":"a/b"}})"),
            "a/b");
  EXPECT_EQ(peek_repo_name(Forge::github, R"({"repository":{"x":{"full_name":"evil/x"}}})"), "");
}

TEST(PeekRepoName, ADuplicateCountsAsInAParsedDocument) {
  // The last member and the last field win, as in the document normalise() reads after the
  // signature: the peeked name and the normalised one cannot disagree.
  EXPECT_EQ(
      peek_repo_name(Forge::github,
                     R"({"repository":{"full_name":"a/b"},"repository":{"full_name":"c/d"}})"),
      "c/d");
  EXPECT_EQ(peek_repo_name(Forge::github, R"({"repository":{"full_name":"a/b"},"repository":5})"),
            "");
  EXPECT_EQ(
      peek_repo_name(Forge::github, R"({"repository":{"full_name":"a/b","full_name":{"x":"y"}}})"),
      "");
  EXPECT_EQ(peek_repo_name(Forge::github,
                           R"({"repository":{"full_name":"a/b","owner":{"full_name":"e/f"}}})"),
            "a/b");
}

TEST(PeekRepoName, AnInvalidTailAfterTheNameStillGivesEmpty) {
  for (const char* body : {R"({"repository":{"full_name":"a/b"}} x)",
                           R"({"repository":{"full_name":"a/b"},"n":1e999})",
                           R"({"repository":{"full_name":"a/b"},)"}) {
    EXPECT_EQ(peek_repo_name(Forge::github, body), "") << body;
  }
}

TEST(PeekRepoName, HostileBodiesGiveEmpty) {
  for (const char* body :
       {"", "{", "[]", "null", "\"repository\"", R"({"repository":5})",
        R"({"repository":{"full_name":5}})", R"({"repository":{"full_name":null}})",
        R"({"repository":[{"full_name":"a/b"}]})", "{\"repository\":{\"full_name\":\"a/b\"}"}) {
    EXPECT_EQ(peek_repo_name(Forge::github, body), "") << body;
  }
  EXPECT_EQ(peek_repo_name(Forge::gitlab, R"({"project":{"path_with_namespace":["a"]}})"), "");
  // Nested deeper than 64 levels anywhere: no name (the delivery is a 400 whatever it names).
  std::string deep(100000, '[');
  deep += std::string(100000, ']');
  EXPECT_EQ(
      peek_repo_name(Forge::github, R"({"a":)" + deep + R"(,"repository":{"full_name":"a/b"}})"),
      "");
  std::string within(60, '[');
  within += std::string(60, ']');
  EXPECT_EQ(
      peek_repo_name(Forge::github, R"({"a":)" + within + R"(,"repository":{"full_name":"a/b"}})"),
      "a/b");
}

}  // namespace
}  // namespace mlgate::webhooks
