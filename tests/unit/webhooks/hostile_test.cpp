// Hostile and malformed payloads: every one ends in an Event or a 400 NormaliseError naming the
// field, never an exception or a crash.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/temp_dir.h"
#include "webhooks/json_fields.h"
#include "webhooks/normalise.h"

namespace mlgate::webhooks {
namespace {

using Json = nlohmann::json;

std::string fixture(const std::string& rel) {
  return mlgate::testing::read_file(std::string(MLGATE_SHARED_FIXTURES) + "/webhooks/" + rel);
}

Headers gh(const std::string& event) {
  return Headers{{"X-GitHub-Event", event}};
}
Headers gl(const std::string& event) {
  return Headers{{"X-Gitlab-Event", event}};
}

// The error of a result that must be one, or a failure.
NormaliseError error_of(const NormaliseResult& r) {
  if (const auto* e = std::get_if<NormaliseError>(&r)) return *e;
  ADD_FAILURE() << "expected a 400, got an event of kind " << to_string(std::get<Event>(r).kind);
  return {};
}

// What an ignored event's reason quotes from outside (an event name from an unsigned header, a
// ref) is stored in a UTF-8 text column: cut between characters, its invalid bytes escaped.
TEST(Hostile, AQuotedNameIsCutBetweenCharactersAndEscaped) {
  std::string long_name;
  while (long_name.size() < 300) long_name += "\xE2\x82\xAC";  // €, 3 bytes
  const std::string cut = detail::printable(long_name);
  EXPECT_EQ(cut.substr(cut.size() - 3), "...");
  EXPECT_EQ((cut.size() - 3) % 3, 0u) << cut.size();
  EXPECT_LE(cut.size(), 103u);
  EXPECT_EQ(detail::printable("a\xFF\x01"
                              "b"),
            "a\\xFF?b");
}

TEST(Hostile, MalformedJsonIs400) {
  for (const std::string& body :
       {std::string(), std::string("{"), std::string("{\"ref\":"), std::string("not json"),
        std::string("{\"a\":1,}"), std::string("{} trailing"), std::string("\xff\xfe{}"),
        std::string("{\"ref\":\"\xc3\x28\"}"), std::string("{\"a\":\"\0\"}", 10)}) {
    for (const auto& r :
         {normalise_github(gh("push"), body), normalise_gitlab(gl("Push Hook"), body)}) {
      const NormaliseError e = error_of(r);
      EXPECT_EQ(e.http_status, 400);
      EXPECT_NE(e.message.find("malformed JSON"), std::string::npos) << e.message;
    }
  }
}

TEST(Hostile, DeepNestingIs400AndNamesNoRepository) {
  const std::string deep = "{\"repository\": " + std::string(100000, '[');
  for (const auto& r :
       {normalise_github(gh("push"), deep), normalise_gitlab(gl("Push Hook"), deep)}) {
    const NormaliseError e = error_of(r);
    EXPECT_EQ(e.http_status, 400);
    EXPECT_NE(e.message.find("nested deeper than 64 levels at byte 78"), std::string::npos)
        << e.message;
  }
  EXPECT_EQ(peek_repo_name(Forge::github, deep), "");
  EXPECT_EQ(peek_repo_name(Forge::github, std::string(1 << 20, '[')), "");
}

TEST(Hostile, FormEncodedBodyGetsAHint) {
  const NormaliseError e = error_of(normalise_github(gh("push"), "payload=%7B%22ref%22%7D"));
  EXPECT_EQ(e.http_status, 400);
  EXPECT_NE(e.message.find("application/json"), std::string::npos) << e.message;
}

TEST(Hostile, NonObjectPayloadIs400) {
  for (const char* body : {"[]", "null", "5", "\"push\"", "true", "[{\"ref\":\"refs/heads/x\"}]"}) {
    const NormaliseError e = error_of(normalise_github(gh("push"), body));
    EXPECT_EQ(e.http_status, 400);
    EXPECT_NE(e.message.find("JSON object"), std::string::npos) << e.message;
    // Even for an event we would ignore: the body is not a webhook payload at all.
    EXPECT_EQ(error_of(normalise_gitlab(gl("Note Hook"), body)).http_status, 400);
  }
}

struct Case {
  std::string name;
  Forge forge;
  std::string event;
  std::string fixture;
  std::function<void(Json&)> mutate;
  std::string field;  // must appear in the message
};

std::vector<Case> cases() {
  return {
      {"ref number", Forge::github, "push", "github/push.json", [](Json& j) { j["ref"] = 5; },
       "ref"},
      {"ref null", Forge::github, "push", "github/push.json", [](Json& j) { j["ref"] = nullptr; },
       "ref"},
      {"ref array", Forge::github, "push", "github/push.json",
       [](Json& j) { j["ref"] = Json::array({"refs/heads/x"}); }, "ref"},
      {"ref empty", Forge::github, "push", "github/push.json", [](Json& j) { j["ref"] = ""; },
       "ref"},
      {"ref newline", Forge::github, "push", "github/push.json",
       [](Json& j) { j["ref"] = "refs/heads/a\nb"; }, "ref"},
      {"after missing", Forge::github, "push", "github/push.json",
       [](Json& j) { j.erase("after"); }, "after"},
      {"after not hex", Forge::github, "push", "github/push.json",
       [](Json& j) { j["after"] = "--upload-pack=touch /tmp/x"; }, "after"},
      {"after short", Forge::github, "push", "github/push.json",
       [](Json& j) { j["after"] = "e238171"; }, "after"},
      {"before object", Forge::github, "push", "github/push.json",
       [](Json& j) { j["before"] = Json::object(); }, "before"},
      {"deleted string", Forge::github, "push", "github/push.json",
       [](Json& j) { j["deleted"] = "true"; }, "deleted"},
      {"head_commit number", Forge::github, "push", "github/push.tag.json",
       [](Json& j) { j["head_commit"] = 7; }, "head_commit"},
      {"head_commit.id bad", Forge::github, "push", "github/push.tag.json",
       [](Json& j) { j["head_commit"]["id"] = 7; }, "head_commit.id"},
      {"head_commit.message number", Forge::github, "push", "github/push.json",
       [](Json& j) { j["head_commit"]["message"] = 7; }, "head_commit.message"},
      {"repository array", Forge::github, "push", "github/push.json",
       [](Json& j) { j["repository"] = Json::array(); }, "repository"},
      {"repository missing", Forge::github, "push", "github/push.json",
       [](Json& j) { j.erase("repository"); }, "repository.full_name"},
      {"full_name number", Forge::github, "push", "github/push.json",
       [](Json& j) { j["repository"]["full_name"] = 1; }, "repository.full_name"},
      {"repository.id string", Forge::github, "push", "github/push.json",
       [](Json& j) { j["repository"]["id"] = "219188321"; }, "repository.id"},
      {"repository.id float", Forge::github, "push", "github/push.json",
       [](Json& j) { j["repository"]["id"] = 1.5; }, "repository.id"},
      {"repository.id huge", Forge::github, "push", "github/push.json",
       [](Json& j) { j["repository"]["id"] = 18446744073709551615ull; }, "repository.id"},
      {"sender.login number", Forge::github, "push", "github/push.json",
       [](Json& j) { j["sender"]["login"] = 3; }, "sender.login"},
      {"pr action number", Forge::github, "pull_request", "github/pull_request.opened.json",
       [](Json& j) { j["action"] = 1; }, "action"},
      {"pr action missing", Forge::github, "pull_request", "github/pull_request.opened.json",
       [](Json& j) { j.erase("action"); }, "action"},
      {"pull_request string", Forge::github, "pull_request", "github/pull_request.opened.json",
       [](Json& j) { j["pull_request"] = "x"; }, "pull_request"},
      {"pull_request missing", Forge::github, "pull_request", "github/pull_request.opened.json",
       [](Json& j) { j.erase("pull_request"); }, "pull_request"},
      {"number string", Forge::github, "pull_request", "github/pull_request.opened.json",
       [](Json& j) { j["number"] = "2"; }, "number"},
      {"number negative", Forge::github, "pull_request", "github/pull_request.opened.json",
       [](Json& j) { j["number"] = -2; }, "number"},
      {"head null", Forge::github, "pull_request", "github/pull_request.opened.json",
       [](Json& j) { j["pull_request"]["head"] = nullptr; }, "pull_request.head.ref"},
      {"head array", Forge::github, "pull_request", "github/pull_request.opened.json",
       [](Json& j) { j["pull_request"]["head"] = Json::array(); }, "pull_request.head"},
      {"head.sha number", Forge::github, "pull_request", "github/pull_request.synchronize.json",
       [](Json& j) { j["pull_request"]["head"]["sha"] = 12; }, "pull_request.head.sha"},
      {"head.repo string", Forge::github, "pull_request", "github/pull_request.opened.fork.json",
       [](Json& j) { j["pull_request"]["head"]["repo"] = "fork"; }, "pull_request.head.repo"},
      {"head.repo.id bool", Forge::github, "pull_request", "github/pull_request.opened.fork.json",
       [](Json& j) { j["pull_request"]["head"]["repo"]["id"] = true; },
       "pull_request.head.repo.id"},
      {"base.ref missing", Forge::github, "pull_request", "github/pull_request.opened.json",
       [](Json& j) { j["pull_request"]["base"].erase("ref"); }, "pull_request.base.ref"},
      {"sync before bad", Forge::github, "pull_request", "github/pull_request.synchronize.json",
       [](Json& j) { j["before"] = 0; }, "before"},
      {"dpr environment missing", Forge::github, "deployment_protection_rule",
       "github/deployment_protection_rule.requested.json", [](Json& j) { j.erase("environment"); },
       "environment"},
      {"dpr deployment.id string", Forge::github, "deployment_protection_rule",
       "github/deployment_protection_rule.requested.json",
       [](Json& j) { j["deployment"]["id"] = "966115830"; }, "deployment.id"},
      {"dpr deployment null", Forge::github, "deployment_protection_rule",
       "github/deployment_protection_rule.requested.json",
       [](Json& j) { j["deployment"] = nullptr; }, "deployment."},
      {"dpr callback number", Forge::github, "deployment_protection_rule",
       "github/deployment_protection_rule.requested.json",
       [](Json& j) { j["deployment_callback_url"] = 1; }, "deployment_callback_url"},
      {"dpr pull_requests object", Forge::github, "deployment_protection_rule",
       "github/deployment_protection_rule.requested.json",
       [](Json& j) { j["pull_requests"] = Json::object(); }, "pull_requests"},
      {"dpr pull_requests[0] number", Forge::github, "deployment_protection_rule",
       "github/deployment_protection_rule.requested.json",
       [](Json& j) { j["pull_requests"] = Json::array({5}); }, "pull_requests[0]"},
      {"dpr pull_requests[0].number string", Forge::github, "deployment_protection_rule",
       "github/deployment_protection_rule.requested.pull_request.json",
       [](Json& j) { j["pull_requests"][0]["number"] = "14"; }, "pull_requests[0].number"},
      {"ignored event, mistyped repository", Forge::github, "check_suite",
       "github/check_suite.requested.json", [](Json& j) { j["repository"]["full_name"] = 5; },
       "repository.full_name"},

      {"gl ref number", Forge::gitlab, "Push Hook", "gitlab/push.json",
       [](Json& j) { j["ref"] = 1; }, "ref"},
      {"gl after missing", Forge::gitlab, "Push Hook", "gitlab/push.json",
       [](Json& j) { j.erase("after"); }, "after"},
      {"gl project string", Forge::gitlab, "Push Hook", "gitlab/push.json",
       [](Json& j) { j["project"] = "mike/diaspora"; }, "project"},
      {"gl project.id string", Forge::gitlab, "Push Hook", "gitlab/push.json",
       [](Json& j) { j["project"]["id"] = "15"; }, "project.id"},
      {"gl path_with_namespace null", Forge::gitlab, "Push Hook", "gitlab/push.json",
       [](Json& j) { j["project"]["path_with_namespace"] = nullptr; },
       "project.path_with_namespace"},
      {"gl commits object", Forge::gitlab, "Push Hook", "gitlab/push.json",
       [](Json& j) { j["commits"] = Json::object(); }, "commits"},
      {"gl commits[1] number", Forge::gitlab, "Push Hook", "gitlab/push.json",
       [](Json& j) { j["commits"][1] = 5; }, "commits[1]"},
      {"gl commits[0].id number", Forge::gitlab, "Push Hook", "gitlab/push.json",
       [](Json& j) { j["commits"][0]["id"] = 5; }, "commits[0].id"},
      {"gl checkout_sha number", Forge::gitlab, "Tag Push Hook", "gitlab/tag_push.json",
       [](Json& j) { j["checkout_sha"] = 5; }, "checkout_sha"},
      {"gl user_username array", Forge::gitlab, "Push Hook", "gitlab/push.json",
       [](Json& j) { j["user_username"] = Json::array(); }, "user_username"},
      {"gl object_attributes array", Forge::gitlab, "Merge Request Hook",
       "gitlab/merge_request.open.json", [](Json& j) { j["object_attributes"] = Json::array(); },
       "object_attributes"},
      {"gl object_attributes missing", Forge::gitlab, "Merge Request Hook",
       "gitlab/merge_request.open.json", [](Json& j) { j.erase("object_attributes"); },
       "object_attributes"},
      {"gl action null", Forge::gitlab, "Merge Request Hook", "gitlab/merge_request.open.json",
       [](Json& j) { j["object_attributes"]["action"] = nullptr; }, "object_attributes.action"},
      {"gl iid string", Forge::gitlab, "Merge Request Hook", "gitlab/merge_request.open.json",
       [](Json& j) { j["object_attributes"]["iid"] = "1"; }, "object_attributes.iid"},
      {"gl iid zero", Forge::gitlab, "Merge Request Hook", "gitlab/merge_request.open.json",
       [](Json& j) { j["object_attributes"]["iid"] = 0; }, "object_attributes.iid"},
      {"gl last_commit missing", Forge::gitlab, "Merge Request Hook",
       "gitlab/merge_request.open.json",
       [](Json& j) { j["object_attributes"].erase("last_commit"); },
       "object_attributes.last_commit.id"},
      {"gl oldrev number", Forge::gitlab, "Merge Request Hook", "gitlab/merge_request.open.json",
       [](Json& j) {
         j["object_attributes"]["action"] = "update";
         j["object_attributes"]["oldrev"] = 5;
       },
       "object_attributes.oldrev"},
      {"gl source_project_id string", Forge::gitlab, "Merge Request Hook",
       "gitlab/merge_request.open.json",
       [](Json& j) { j["object_attributes"]["source_project_id"] = "14"; },
       "object_attributes.source_project_id"},
      {"gl source string", Forge::gitlab, "Merge Request Hook", "gitlab/merge_request.open.json",
       [](Json& j) { j["object_attributes"]["source"] = "x"; }, "object_attributes.source"},
      {"gl user array", Forge::gitlab, "Merge Request Hook", "gitlab/merge_request.open.json",
       [](Json& j) { j["user"] = Json::array(); }, "user"},
      {"gl system hook object_kind number", Forge::gitlab, "System Hook", "gitlab/push.json",
       [](Json& j) { j["object_kind"] = 5; }, "object_kind"},
  };
}

TEST(Hostile, TypeConfusedFieldsAre400NamingTheField) {
  for (const Case& c : cases()) {
    Json j = Json::parse(fixture(c.fixture));
    c.mutate(j);
    const std::string body = j.dump();
    NormaliseResult r;
    ASSERT_NO_THROW(r = c.forge == Forge::github ? normalise_github(gh(c.event), body)
                                                 : normalise_gitlab(gl(c.event), body))
        << c.name;
    const auto* err = std::get_if<NormaliseError>(&r);
    ASSERT_NE(err, nullptr) << c.name << ": expected a 400";
    EXPECT_EQ(err->http_status, 400) << c.name;
    EXPECT_NE(err->message.find(c.field), std::string::npos)
        << c.name << ": message \"" << err->message << "\" does not name " << c.field;
  }
}

TEST(Hostile, ErrorMessagesDoNotEchoInput) {
  Json j = Json::parse(fixture("github/push.json"));
  j["after"] = "<script>alert(1)</script>";
  const NormaliseError e = error_of(normalise_github(gh("push"), j.dump()));
  EXPECT_EQ(e.message.find("script"), std::string::npos) << e.message;
}

// Replace every value (to depth 4, first two array elements) of every fixture with values of other
// JSON types and normalise: the result is always an Event or a 400, and nothing throws. Each node
// gets two replacements, rotating through eight kinds of value, to keep the run to a few seconds;
// the fields the normalisers read are covered type by type in
// TypeConfusedFieldsAre400NamingTheField.
void visit(Json& node, int depth, std::size_t& counter, const std::function<void()>& check) {
  static const std::vector<Json> kReplacements{Json(nullptr),  Json(7),    Json("x"), Json::array(),
                                               Json::object(), Json(true), Json(-1),  Json(1.5)};
  if (depth >= 4) return;
  const auto mutate_child = [&](Json& child) {
    const Json saved = child;
    for (int k = 0; k < 2; ++k) {
      child = kReplacements[counter++ % kReplacements.size()];
      check();
    }
    child = saved;
    visit(child, depth + 1, counter, check);
  };
  if (node.is_object()) {
    for (auto& [key, child] : node.items()) mutate_child(child);
  } else if (node.is_array()) {
    for (std::size_t i = 0; i < node.size() && i < 2; ++i) mutate_child(node[i]);
  }
}

TEST(Hostile, EveryFieldOfEveryFixtureSurvivesTypeConfusion) {
  namespace fs = std::filesystem;
  const fs::path root = fs::path(MLGATE_SHARED_FIXTURES) / "webhooks";
  std::size_t runs = 0;
  std::size_t errors = 0;
  for (const char* forge_dir : {"github", "gitlab"}) {
    for (const auto& entry : fs::directory_iterator(root / forge_dir)) {
      if (entry.path().extension() != ".json") continue;
      const bool github = std::string(forge_dir) == "github";
      const std::string name = entry.path().filename().string();
      std::string event;
      if (github) {
        event = name.substr(0, name.find('.'));
      } else {
        event = name.starts_with("merge_request") ? "Merge Request Hook"
                : name.starts_with("tag_push")    ? "Tag Push Hook"
                                                  : "Push Hook";
      }
      const Headers h = github ? gh(event) : gl(event);
      Json doc = Json::parse(mlgate::testing::read_file(entry.path()));
      std::size_t counter = 0;
      visit(doc, 0, counter, [&] {
        const std::string body = doc.dump();
        NormaliseResult r;
        ASSERT_NO_THROW(r = normalise(github ? Forge::github : Forge::gitlab, h, body)) << name;
        ++runs;
        if (const auto* err = std::get_if<NormaliseError>(&r)) {
          ++errors;
          EXPECT_EQ(err->http_status, 400);
          EXPECT_FALSE(err->message.empty());
        }
        EXPECT_NO_THROW(peek_repo_name(github ? Forge::github : Forge::gitlab, body));
      });
    }
  }
  EXPECT_GT(runs, 8000u);
  EXPECT_GT(errors, 0u);
}

TEST(Hostile, DeeplyNestedValuesAre400NotACrash) {
  const std::string deep = std::string(200000, '[') + std::string(200000, ']');
  Json j = Json::parse(fixture("github/push.json"));
  const std::string body = j.dump();
  // A deep array as an unknown field and as a field we read: refused before anything is built.
  for (const std::string& payload :
       {"{\"x\":" + deep + "," + body.substr(1), "{\"ref\":" + deep + "," + body.substr(1),
        "{\"ref\":" + deep + "}"}) {
    const NormaliseError e = error_of(normalise_github(gh("push"), payload));
    EXPECT_EQ(e.http_status, 400);
    EXPECT_NE(e.message.find("nested deeper than 64 levels at byte"), std::string::npos)
        << e.message;
  }
  // Within the bound a nested value where a string belongs is still named.
  j["ref"] = Json::array();
  const std::string shallow = j.dump();
  const std::string spliced = shallow.substr(0, shallow.find("\"ref\":[]") + 6) + "[[[1]]]" +
                              shallow.substr(shallow.find("\"ref\":[]") + 8);
  const NormaliseError ref_error = error_of(normalise_github(gh("push"), spliced));
  EXPECT_NE(ref_error.message.find("field ref must be a string"), std::string::npos)
      << ref_error.message;
}

TEST(Hostile, LargePayloadIsLinear) {
  // 20k commits (~4 MB), the head commit last: one pass over the array.
  Json j = Json::parse(fixture("gitlab/push.json"));
  Json commit = j["commits"][0];
  Json commits = Json::array();
  for (int i = 0; i < 20000; ++i) {
    commit["message"] = "commit " + std::to_string(i);
    commits.push_back(commit);
  }
  commits.push_back(j["commits"][1]);
  j["commits"] = std::move(commits);
  const std::string body = j.dump();
  const auto start = std::chrono::steady_clock::now();
  const NormaliseResult r = normalise_gitlab(gl("Push Hook"), body);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_TRUE(std::holds_alternative<Event>(r));
  EXPECT_EQ(std::get<Event>(r).commit_message, "fixed readme");
  EXPECT_LT(elapsed, std::chrono::seconds(10));  // generous: catches quadratic, not slow CI
}

}  // namespace
}  // namespace mlgate::webhooks
