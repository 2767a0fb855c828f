// The exact shape of what mlgate sends to GitHub and GitLab, and the outbox's retry policy.
#include "server/services/forge_requests.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace mlgate::server {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

const std::string kSha = "0123456789abcdef0123456789abcdef01234567";

// States as the database and the API spell them.
core::JobState job_state(std::string_view s) {
  return *core::parse_job_state(s);
}
core::PipelineState pipeline_state(std::string_view s) {
  return *core::parse_pipeline_state(s);
}

TEST(ForgeApiBase, DefaultsPerForgeAndDropsTrailingSlashes) {
  EXPECT_EQ(forge_api_base("github", ""), "https://api.github.com");
  EXPECT_EQ(forge_api_base("gitlab", ""), "https://gitlab.com/api/v4");
  EXPECT_EQ(forge_api_base("github", "https://ghe.example.com/api/v3/"),
            "https://ghe.example.com/api/v3");
}

TEST(TierStatus, MapsEveryJobState) {
  struct Case {
    const char* job;
    const char* state;
  } cases[] = {{"blocked", "pending"}, {"queued", "pending"},      {"running", "running"},
               {"passed", "success"},  {"failed", "failure"},      {"timed_out", "failure"},
               {"error", "error"},     {"cancelled", "cancelled"}, {"skipped", "cancelled"}};
  for (const auto& c : cases) {
    auto s = tier_status("validation", job_state(c.job), "", "http://m/pipelines/7");
    EXPECT_EQ(s.state, c.state) << c.job;
    EXPECT_EQ(s.context, "mlgate/validation");
    EXPECT_EQ(s.target_url, "http://m/pipelines/7");
    EXPECT_FALSE(s.description.empty()) << c.job;
  }
  EXPECT_EQ(tier_status("functionality", job_state("failed"), "exit code 1", "").description,
            "failed: exit code 1");
}

TEST(GitHubStatus, RequestShapeAndStates) {
  auto s =
      tier_status("functionality", job_state("running"), "", "https://mlgate.example/pipelines/3");
  auto r = commit_status_request("github", "https://api.github.com", "acme/model", "", kSha, s);
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.url, "https://api.github.com/repos/acme/model/statuses/" + kSha);
  EXPECT_EQ(r.body, (json{{"state", "pending"},  // GitHub has no "running"
                          {"context", "mlgate/functionality"},
                          {"description", "running"},
                          {"target_url", "https://mlgate.example/pipelines/3"}}));
  // Only GitHub's four states ever leave.
  for (const char* job : {"blocked", "queued", "running", "passed", "failed", "timed_out", "error",
                          "cancelled", "skipped"}) {
    auto b = commit_status_request("github", "https://api.github.com", "a/b", "", kSha,
                                   tier_status("validation", job_state(job), "", ""))
                 .body;
    const std::string st = b["state"];
    EXPECT_TRUE(st == "pending" || st == "success" || st == "failure" || st == "error") << st;
    EXPECT_FALSE(b.contains("target_url"));
  }
}

TEST(GitLabStatus, RequestShapeStatesAndProjectId) {
  auto s = gate_status("production", "deny", "deny: metric accuracy below 0.9", "");
  auto r = commit_status_request("gitlab", "https://gitlab.example/api/v4", "group/sub/model", "",
                                 kSha, s);
  EXPECT_EQ(r.url, "https://gitlab.example/api/v4/projects/group%2Fsub%2Fmodel/statuses/" + kSha);
  EXPECT_EQ(r.body["state"], "failed");
  EXPECT_EQ(r.body["name"], "mlgate/gate/production");
  EXPECT_FALSE(r.body.contains("context"));
  auto by_id = commit_status_request("gitlab", "https://gitlab.com/api/v4", "g/m", "4242", kSha, s);
  EXPECT_EQ(by_id.url, "https://gitlab.com/api/v4/projects/4242/statuses/" + kSha);
  for (const char* job : {"blocked", "queued", "running", "passed", "failed", "timed_out", "error",
                          "cancelled", "skipped"}) {
    const std::string st =
        commit_status_request("gitlab", "https://gitlab.com/api/v4", "a/b", "", kSha,
                              tier_status("validation", job_state(job), "", ""))
            .body["state"];
    EXPECT_TRUE(st == "pending" || st == "running" || st == "success" || st == "failed" ||
                st == "canceled")
        << job << " -> " << st;
  }
  EXPECT_EQ(commit_status_request("gitlab", "x", "a/b", "", kSha,
                                  tier_status("t", job_state("running"), "", ""))
                .body["state"],
            "running");
  EXPECT_EQ(commit_status_request("gitlab", "x", "a/b", "", kSha,
                                  tier_status("t", job_state("cancelled"), "", ""))
                .body["state"],
            "canceled");
}

// A fork pull request's tiers while a maintainer has not approved them: pending, saying so, on
// both forges.
TEST(AwaitingApprovalStatus, PendingAndSaysWhatItWaitsFor) {
  auto s = awaiting_approval_status("functionality", "http://m/pipelines/9");
  EXPECT_EQ(s.context, "mlgate/functionality");
  EXPECT_EQ(s.state, "pending");
  EXPECT_EQ(s.description, "waiting for approval by a maintainer (pull request from a fork)");
  EXPECT_EQ(s.target_url, "http://m/pipelines/9");
  EXPECT_EQ(commit_status_request("github", "https://api.github.com", "acme/model", "", kSha, s)
                .body["state"],
            "pending");
  EXPECT_EQ(commit_status_request("gitlab", "https://gitlab.com/api/v4", "acme/model", "7", kSha, s)
                .body["state"],
            "pending");
}

TEST(GateStatus, DecisionsAndLongSummariesAreCut) {
  EXPECT_EQ(gate_status("prod", "allow", "allow", "").state, "success");
  EXPECT_EQ(gate_status("prod", "deny", "x", "").state, "failure");
  EXPECT_EQ(gate_status("prod", "pending", "x", "").state, "pending");
  EXPECT_EQ(gate_status("prod", "error", "no gate", "").state, "error");
  std::string longer(300, 'x');
  auto s = gate_status("prod", "deny", longer, "");
  EXPECT_LE(s.description.size(), 140u);
  EXPECT_EQ(s.description.substr(s.description.size() - 3), "\xE2\x80\xA6");
}

TEST(GateStatus, RuleDifferencesComeFirstWithinTheLimit) {
  const std::string summary =
      "deny: 1 check failed: metric accuracy 0.88 < min 0.93 (deployed rule)";
  auto s = gate_status("production", "deny", summary, "", {"accuracy: min 0.93 → 0.85"});
  EXPECT_EQ(s.description, "accuracy: min 0.93 → 0.85 (deployed → this commit); " + summary);
  EXPECT_LE(s.description.size(), 140u);
  // Without differences, the summary alone, as before.
  EXPECT_EQ(gate_status("production", "deny", summary, "").description, summary);
  // Many differences: as many as fit in 80 bytes, then how many more; never over 140 bytes.
  std::vector<std::string> many;
  for (int i = 0; i < 12; ++i) many.push_back("m" + std::to_string(i) + ": min 0.9 → 0.5");
  auto m = gate_status("production", "deny", std::string(300, 'x'), "", many);
  EXPECT_LE(m.description.size(), 140u);
  EXPECT_EQ(m.description.rfind("m0: min 0.9 → 0.5; m1: min 0.9 → 0.5", 0), 0u) << m.description;
  EXPECT_NE(m.description.find(" more) (deployed → this commit); "), std::string::npos)
      << m.description;
  // One difference longer than the budget is cut, and the decision still follows it.
  auto one = gate_status("production", "deny", "deny", "", {std::string(200, 'y')});
  EXPECT_LE(one.description.size(), 140u);
  EXPECT_NE(one.description.find("(deployed → this commit); deny"), std::string::npos);
}

TEST(GateStatus, AnIntervalCheckIsSummarisedIntervalFirst) {
  json answer = {
      {"decision", "deny"},
      {"summary", "deny: 2 checks failed, 1 inconclusive: metric recall 0.894118 vs baseline …"},
      {"checks",
       json::array({{{"kind", "metric"},
                     {"name", "accuracy"},
                     {"status", "pass"},
                     {"blocks", false},
                     {"value", 0.95}},
                    {{"kind", "metric"},
                     {"name", "recall"},
                     {"status", "inconclusive"},
                     {"blocks", true},
                     {"value", 0.8941176},
                     {"baseline", 0.9529412},
                     {"threshold", "max_drop 0.03"},
                     {"confidence", 0.95},
                     {"interval", nullptr},
                     {"delta_interval", {-0.1058824, -0.0235294}},
                     {"n", 85},
                     {"n_of", "positives"},
                     {"method", "paired bootstrap"},
                     {"p_value", nullptr},
                     {"inconclusive", "fail"}},
                    {{"kind", "slice"}, {"name", "recall[size_band=small]"}, {"blocks", true}}})}};
  const std::string text = gate_status_summary(answer);
  EXPECT_EQ(text,
            "deny: recall 0.8941 vs 0.9529, change [-0.1059, -0.02353] vs max_drop 0.03: "
            "inconclusive → fail, n=85 positives, 95% paired bootstrap (+1 more)");
  EXPECT_LE(gate_status("production", "deny", text, "").description.size(), 140u);
  // A value's interval and a McNemar p-value.
  answer["checks"][1]["delta_interval"] = nullptr;
  answer["checks"][1]["interval"] = {0.81, 0.945};
  answer["checks"][1]["threshold"] = "min 0.93";
  answer["checks"][1].erase("baseline");
  answer["checks"][1]["p_value"] = 0.0625;
  EXPECT_EQ(gate_status_summary(answer).rfind("deny: recall 0.8941 [0.81, 0.945] vs min 0.93: "
                                              "inconclusive → fail, n=85 positives",
                                              0),
            0u)
      << gate_status_summary(answer);
  // A blocking point check first: the summary as it is.
  std::swap(answer["checks"][1], answer["checks"][2]);
  EXPECT_EQ(gate_status_summary(answer), answer["summary"]);
  // An allow shows its inconclusive check that counted as pass; otherwise its summary.
  json allow = {
      {"decision", "allow"}, {"summary", "allow: 3 checks passed"}, {"checks", json::array()}};
  EXPECT_EQ(gate_status_summary(allow), "allow: 3 checks passed");
  allow["checks"].push_back(answer["checks"][2]);
  allow["checks"][0]["blocks"] = false;
  allow["checks"][0]["inconclusive"] = "pass";
  EXPECT_NE(gate_status_summary(allow).find("inconclusive → pass"), std::string::npos);
}

TEST(ProtectionComment, NamesTheRuleSetOfEachFailingCheckAndTheDifferences) {
  json gate = {
      {"decision", "deny"},
      {"sha", kSha},
      {"baseline_sha", "fedcba9876543210fedcba9876543210fedcba98"},
      {"checks",
       {{{"kind", "metric"},
         {"name", "accuracy"},
         {"blocks", true},
         {"rule_set", "deployed"},
         {"reason", "0.88 < min 0.93"}}}},
      {"rules",
       {{"in_force", "deployed_and_candidate"},
        {"differences", {{{"rule", "accuracy"}, {"text", "accuracy: min 0.93 → 0.85"}}}}}}};
  std::string c = protection_comment(gate);
  EXPECT_NE(c.find("metric accuracy: 0.88 < min 0.93 (deployed rule)"), std::string::npos) << c;
  EXPECT_NE(c.find("Rules that differ (deployed → this commit):\n- accuracy: min 0.93 → 0.85"),
            std::string::npos)
      << c;
}

TEST(ConfigStatus, OneLineNamingTheProblem) {
  auto s = config_status(pipeline_state("failed"),
                         ".mlgate.yml is invalid:\n.mlgate.yml:3:5: unknown key", "");
  EXPECT_EQ(s.context, "mlgate/config");
  EXPECT_EQ(s.state, "failure");
  EXPECT_EQ(s.description.find('\n'), std::string::npos);
  EXPECT_EQ(s.description.find("  "), std::string::npos);
  EXPECT_EQ(s.description, ".mlgate.yml is invalid: .mlgate.yml:3:5: unknown key");
  EXPECT_NE(s.description.find(":3:5"), std::string::npos);
  EXPECT_EQ(config_status(pipeline_state("error"), "cannot read the commit", "").state, "error");
}

TEST(CutUtf8, NeverSplitsACharacter) {
  EXPECT_EQ(cut_utf8("short", 10), "short");
  std::string s = "ab\xC3\xA9\xC3\xA9\xC3\xA9";  // ab + 3 x é (2 bytes each) = 8 bytes
  for (std::size_t limit = 3; limit < s.size(); ++limit) {
    std::string cut = cut_utf8(s, limit);
    EXPECT_LE(cut.size(), limit);
    // Valid UTF-8: no continuation byte right after the ASCII prefix without its lead byte.
    for (std::size_t i = 0; i + 3 < cut.size(); ++i) {
      unsigned char c = static_cast<unsigned char>(cut[i]);
      if (c == 0xC3) {
        EXPECT_EQ(static_cast<unsigned char>(cut[i + 1]) & 0xC0, 0x80);
      }
    }
    EXPECT_EQ(cut.substr(cut.size() - 3), "\xE2\x80\xA6");
    // The part before the ellipsis is a prefix of whole characters, as long as fits.
    std::string body = cut.substr(0, cut.size() - 3);
    EXPECT_EQ(body, s.substr(0, body.size()));
    const std::size_t boundaries[] = {0, 1, 2, 4, 6};
    EXPECT_NE(std::find(std::begin(boundaries), std::end(boundaries), body.size()),
              std::end(boundaries))
        << body.size();
    EXPECT_GT(body.size() + 2, limit - 3) << "cut more than one character short";
  }
}

TEST(ProtectionCallback, BodyShape) {
  auto r = protection_callback_request(
      "https://api.github.com/repos/acme/model/actions/runs/1/deployment_protection_rule",
      "production", true, "fine");
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.body,
            (json{{"environment_name", "production"}, {"state", "approved"}, {"comment", "fine"}}));
  auto rej = protection_callback_request("u", "staging", false, std::string(5000, 'y'));
  EXPECT_EQ(rej.body["state"], "rejected");
  EXPECT_LE(rej.body["comment"].get<std::string>().size(), 1024u);
}

TEST(ProtectionComment, ListsTheBlockingChecksWithinTheLimit) {
  json gate = {{"decision", "deny"},
               {"sha", kSha},
               {"baseline_sha", "fedcba9876543210fedcba9876543210fedcba98"},
               {"summary", "deny: 2 checks fail"},
               {"checks",
                {{{"kind", "metric"},
                  {"name", "accuracy"},
                  {"status", "fail"},
                  {"blocks", true},
                  {"reason", "0.85 < min 0.9"}},
                 {{"kind", "slice"},
                  {"name", "recall by age_group=<30"},
                  {"status", "fail"},
                  {"blocks", true},
                  {"reason", "0.7 < min 0.8"}},
                 {{"kind", "metric"},
                  {"name", "f1"},
                  {"status", "pass"},
                  {"blocks", false},
                  {"reason", "ok"}}}}};
  std::string c = protection_comment(gate);
  EXPECT_NE(c.find("deny"), std::string::npos);
  EXPECT_NE(c.find("0123456789ab"), std::string::npos);
  EXPECT_NE(c.find("against fedcba987654"), std::string::npos);
  EXPECT_NE(c.find("metric accuracy: 0.85 < min 0.9"), std::string::npos);
  EXPECT_NE(c.find("slice recall by age_group=<30: 0.7 < min 0.8"), std::string::npos);
  EXPECT_EQ(c.find("f1"), std::string::npos);  // passing checks are not listed
  // Many failing checks: cut to 1024 bytes.
  for (int i = 0; i < 100; ++i)
    gate["checks"].push_back({{"kind", "slice"},
                              {"name", "recall by region=r" + std::to_string(i)},
                              {"blocks", true},
                              {"reason", "0.1 < min 0.8"}});
  std::string many = protection_comment(gate);
  EXPECT_LE(many.size(), 1024u);
  EXPECT_EQ(many.substr(many.size() - 3), "\xE2\x80\xA6");
  json allow = {{"decision", "allow"},
                {"sha", kSha},
                {"summary", "allow: 12 checks pass"},
                {"checks", json::array()}};
  std::string a = protection_comment(allow);
  EXPECT_NE(a.find("allow"), std::string::npos);
  EXPECT_NE(a.find("no deployed baseline"), std::string::npos);
  EXPECT_NE(a.find("12 checks pass"), std::string::npos);
}

TEST(ForgeHeaders, GitHubAndGitLabAuth) {
  auto gh = forge_headers("github", "ghs_abc");
  auto has = [](const HeaderList& h, const std::string& k, const std::string& v) {
    for (const auto& [hk, hv] : h)
      if (hk == k && hv == v) return true;
    return false;
  };
  EXPECT_TRUE(has(gh, "Authorization", "Bearer ghs_abc"));
  EXPECT_TRUE(has(gh, "Accept", "application/vnd.github+json"));
  EXPECT_TRUE(has(gh, "X-GitHub-Api-Version", "2022-11-28"));
  auto gl = forge_headers("gitlab", "glpat-x");
  EXPECT_TRUE(has(gl, "PRIVATE-TOKEN", "glpat-x"));
  for (const auto& [k, v] : gl) EXPECT_NE(k, "Authorization");
  for (const auto& h : {gh, gl}) {
    bool ua = false;
    for (const auto& [k, v] : h) ua = ua || (k == "User-Agent" && v.rfind("mlgate/", 0) == 0);
    EXPECT_TRUE(ua);
  }
}

TEST(SameOrigin, TheTokenOnlyGoesToTheForgeApi) {
  EXPECT_TRUE(
      same_origin("https://api.github.com/repos/a/b/actions/runs/1/x", "https://api.github.com"));
  EXPECT_TRUE(same_origin("https://API.GitHub.com:443/x", "https://api.github.com"));
  EXPECT_TRUE(same_origin("http://127.0.0.1:8000/api/v3/x", "http://127.0.0.1:8000/api/v3"));
  EXPECT_FALSE(same_origin("https://evil.example/x", "https://api.github.com"));
  EXPECT_FALSE(same_origin("http://api.github.com/x", "https://api.github.com"));
  EXPECT_FALSE(same_origin("https://api.github.com:8443/x", "https://api.github.com"));
  EXPECT_FALSE(same_origin("https://api.github.com.evil.example/x", "https://api.github.com"));
  EXPECT_FALSE(same_origin("https://user@api.github.com/x", "https://api.github.com"));
  EXPECT_FALSE(same_origin("ftp://api.github.com/x", "ftp://api.github.com"));
  EXPECT_FALSE(same_origin("not a url", "https://api.github.com"));
  EXPECT_TRUE(same_origin("http://[::1]:8000/x", "http://[::1]:8000"));
  EXPECT_FALSE(same_origin("https://api.github.com:/x", "https://api.github.com"));
  // A callback URL of a megabyte (a signed deployment_protection_rule delivery) is compared in one
  // pass: std::regex recursed per character and overflowed the worker's stack near 26,000.
  const std::string huge = "https://api.github.com/" + std::string(1 << 20, 'a');
  EXPECT_TRUE(same_origin(huge, "https://api.github.com"));
  EXPECT_FALSE(
      same_origin("https://" + std::string(1 << 20, 'a') + "/x", "https://api.github.com"));
}

TEST(JudgeAttempt, SentRetriedWithBackoffOrGivenUp) {
  RetryPolicy p{milliseconds(1000), milliseconds(8000), 6};
  EXPECT_EQ(judge_attempt(201, "", {}, {}, 1, p).kind, SendVerdict::Kind::sent);
  // No answer, 5xx, 408, 429: retried, doubling, capped.
  auto r1 = judge_attempt(0, "connection refused", {}, {}, 1, p);
  EXPECT_EQ(r1.kind, SendVerdict::Kind::retry);
  EXPECT_EQ(r1.delay, milliseconds(1000));
  EXPECT_NE(r1.error.find("connection refused"), std::string::npos);
  EXPECT_EQ(judge_attempt(502, "", {}, {}, 2, p).delay, milliseconds(2000));
  EXPECT_EQ(judge_attempt(503, "", {}, {}, 3, p).delay, milliseconds(4000));
  EXPECT_EQ(judge_attempt(500, "", {}, {}, 5, p).delay, milliseconds(8000));  // capped
  EXPECT_EQ(judge_attempt(408, "", {}, {}, 1, p).kind, SendVerdict::Kind::retry);
  // Retry-After wins when given (capped).
  EXPECT_EQ(judge_attempt(429, "", std::string("3"), {}, 1, p).delay, milliseconds(3000));
  EXPECT_EQ(judge_attempt(429, "", std::string("3600"), {}, 1, p).delay, milliseconds(8000));
  EXPECT_EQ(judge_attempt(429, "", std::string("soon"), {}, 2, p).delay, milliseconds(2000));
  // A 403 for an exhausted rate limit is retried; any other 4xx is given up at once.
  EXPECT_EQ(judge_attempt(403, "", {}, std::string("0"), 1, p).kind, SendVerdict::Kind::retry);
  auto bad =
      judge_attempt(403, "Resource not accessible by integration", {}, std::string("42"), 1, p);
  EXPECT_EQ(bad.kind, SendVerdict::Kind::give_up);
  EXPECT_NE(bad.error.find("HTTP 403"), std::string::npos);
  EXPECT_EQ(judge_attempt(422, "validation failed", {}, {}, 1, p).kind, SendVerdict::Kind::give_up);
  EXPECT_EQ(judge_attempt(401, "", {}, {}, 1, p).kind, SendVerdict::Kind::give_up);
  // Out of attempts.
  auto last = judge_attempt(503, "", {}, {}, 6, p);
  EXPECT_EQ(last.kind, SendVerdict::Kind::give_up);
  EXPECT_NE(last.error.find("6 attempts"), std::string::npos);
}

}  // namespace
}  // namespace mlgate::server

namespace mlgate::server {
namespace {

TEST(PrCommentRequests, GitHubCreateThenEditUrls) {
  auto create =
      pr_comment_create_request("github", "https://api.github.com", "acme/model", "", 12, "hello");
  EXPECT_EQ(create.method, "POST");
  EXPECT_EQ(create.url, "https://api.github.com/repos/acme/model/issues/12/comments");
  EXPECT_EQ(create.body, (nlohmann::json{{"body", "hello"}}));
  auto edit = pr_comment_edit_request("github", create.url, "987", create.body);
  EXPECT_EQ(edit.method, "PATCH");
  EXPECT_EQ(edit.url, "https://api.github.com/repos/acme/model/issues/comments/987");
  EXPECT_EQ(edit.body, create.body);
  EXPECT_EQ(pr_comment_list_url("github", create.url, "2026-01-02T03:04:05Z"),
            create.url + "?since=2026-01-02T03%3A04%3A05Z&per_page=100");
}

TEST(PrCommentRequests, GitLabCreateThenEditUrls) {
  auto create = pr_comment_create_request("gitlab", "https://gitlab.com/api/v4", "grp/sub/model",
                                          "", 4, "hi");
  EXPECT_EQ(create.url,
            "https://gitlab.com/api/v4/projects/grp%2Fsub%2Fmodel/merge_requests/4/notes");
  auto by_id =
      pr_comment_create_request("gitlab", "https://gitlab.com/api/v4", "grp/model", "77", 4, "hi");
  EXPECT_EQ(by_id.url, "https://gitlab.com/api/v4/projects/77/merge_requests/4/notes");
  auto edit = pr_comment_edit_request("gitlab", by_id.url, "5", by_id.body);
  EXPECT_EQ(edit.method, "PUT");
  EXPECT_EQ(edit.url, "https://gitlab.com/api/v4/projects/77/merge_requests/4/notes/5");
  EXPECT_EQ(pr_comment_list_url("gitlab", by_id.url, "x"),
            by_id.url + "?sort=desc&order_by=created_at&per_page=100");
}

TEST(PrCommentRequests, TheBodyIsCutToGitHubsLimit) {
  auto create = pr_comment_create_request("github", "https://api.github.com", "acme/model", "", 1,
                                          std::string(100000, 'x'));
  EXPECT_LE(create.body["body"].get<std::string>().size(), 65536u);
}

TEST(PrCommentRequests, FindsMlgatesCommentByItsMarkerOnly) {
  const auto list =
      nlohmann::json::array({{{"id", 1}, {"body", "looks good <!-- mlgate:pr-report -->"}},
                             {{"id", 2}, {"body", 5}},
                             {{"id", 3}, {"body", "<!-- mlgate:pr-report -->\n## mlgate"}}});
  EXPECT_EQ(find_pr_report_comment(list), "3");
  EXPECT_EQ(find_pr_report_comment(nlohmann::json::array()), "");
  EXPECT_EQ(find_pr_report_comment(nlohmann::json::object()), "");
}

}  // namespace
}  // namespace mlgate::server
