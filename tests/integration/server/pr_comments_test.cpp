// Pull/merge-request reports end to end (docs/forge-feedback.md, "Pull-request reports"): a real
// `mlgate serve` and runner, real commits served as refs/pull/N/head (GitHub) or
// refs/merge-requests/N/head (GitLab), and the recording forge (recording_forge.h) standing in for
// the forges' REST APIs: one comment is posted, then edited in place with the id from the POST's
// answer; retries never make a second comment; a repository with pr_comments off gets none, and
// `mlgate repo set --pr-comments off` stops them; the flip_rate check's flipped examples reach the
// comment.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <thread>

#include "tests/integration/server/gate_env.h"
#include "tests/integration/server/recording_forge.h"

namespace mlgate {
namespace {

using nlohmann::json;
using testing::eventually;
using testing::eventually_long;
using testing::GateEnv;
using testing::GateEnvOptions;
using testing::Recorded;
using testing::RecordingForge;

const char* kConfig = R"(version: 1
image: mlgate/busybox:test
tiers:
  functionality:
    run: sh results.sh
gates:
  production:
    require: [functionality]
    metrics:
      - {name: accuracy, min: 0.90}
)";

const char* kResults =
    "printf '{\"metrics\": {\"accuracy\": 0.95}}' > \"$MLGATE_RESULTS/metrics.json\"\n";

GateEnvOptions options(const RecordingForge& forge, const std::string& kind) {
  GateEnvOptions o;
  o.forge = kind;
  o.forge_token = "tok_prcomments";
  o.api_base_url = forge.base();
  o.serve_args = {"--public-url", "http://mlgate.example/", "--forge-retry-seconds", "0.2"};
  return o;
}

// A same-repository pull request #number of `sha` (served as refs/pull/N/head).
void open_github_pr(GateEnv& env, int number, const std::string& sha) {
  env.repo().update_ref("refs/pull/" + std::to_string(number) + "/head", sha);
  json p = GateEnv::fixture("github/pull_request.opened.json");
  p["number"] = number;
  p["pull_request"]["number"] = number;
  p["repository"]["full_name"] = "acme/model";
  p["repository"]["name"] = "model";
  p["pull_request"]["base"]["ref"] = "main";
  p["pull_request"]["base"]["repo"]["full_name"] = "acme/model";
  p["pull_request"]["head"]["sha"] = sha;
  p["pull_request"]["head"]["repo"] = p["pull_request"]["base"]["repo"];
  env.deliver_github("pull_request", "pr-" + std::to_string(number) + "-" + sha, p.dump());
}

std::string commit(GateEnv& env, const std::string& accuracy_note) {
  return env.repo().commit({{".mlgate.yml", kConfig}, {"results.sh", kResults}},
                           "change " + accuracy_note);
}

bool is_comment_request(const Recorded& r) {
  return r.path.find("/comments") != std::string::npos ||
         r.path.find("/notes") != std::string::npos;
}

std::vector<Recorded> comment_requests(RecordingForge& forge) {
  std::vector<Recorded> out;
  for (const auto& r : forge.requests())
    if (is_comment_request(r)) out.push_back(r);
  return out;
}

int count(const std::vector<Recorded>& rs, const std::string& method) {
  return static_cast<int>(
      std::count_if(rs.begin(), rs.end(), [&](const Recorded& r) { return r.method == method; }));
}

// The last edit's body says the gate allowed the commit.
bool final_report_sent(RecordingForge& forge, const std::string& edit_method) {
  auto rs = comment_requests(forge);
  for (auto it = rs.rbegin(); it != rs.rend(); ++it)
    if (it->method == edit_method)
      return it->body.value("body", "").find("production — allow") != std::string::npos;
  return false;
}

TEST(PrComments, GitHubPostsOnceThenEditsTheSameComment) {
  RecordingForge forge;
  forge.set_answer([](const Recorded& r, int) {
    return r.method == "GET" ? std::string("[]") : std::string(R"({"id": 4242})");
  });
  GateEnv env(options(forge, "github"));
  const std::string sha = commit(env, "pr");
  open_github_pr(env, 5, sha);
  // The first report (tiers queued, no runner yet) is posted...
  ASSERT_TRUE(eventually_long([&] { return count(comment_requests(forge), "POST") == 1; }))
      << forge.dump() << env.serve().log();
  // ...and the final one edits it.
  env.start_runner("r1");
  ASSERT_EQ(env.wait_pipeline_end(sha)["state"], "passed") << env.serve().log();
  ASSERT_TRUE(eventually_long([&] { return final_report_sent(forge, "PATCH"); }))
      << forge.dump() << env.serve().log();
  const auto rs = comment_requests(forge);
  EXPECT_EQ(count(rs, "POST"), 1) << forge.dump();
  EXPECT_EQ(count(rs, "GET"), 0) << forge.dump();
  ASSERT_GE(count(rs, "PATCH"), 1) << forge.dump();
  EXPECT_EQ(rs.front().method, "POST");
  EXPECT_EQ(rs.front().path, "/repos/acme/model/issues/5/comments");
  for (const auto& r : rs) {
    if (r.method == "PATCH") {
      EXPECT_EQ(r.path, "/repos/acme/model/issues/comments/4242");
    }
    EXPECT_EQ(r.header("Authorization"), "Bearer tok_prcomments");
    std::set<std::string> keys;
    for (auto it = r.body.begin(); it != r.body.end(); ++it) keys.insert(it.key());
    EXPECT_EQ(keys, (std::set<std::string>{"body"})) << r.body.dump();
    EXPECT_EQ(r.body.value("body", "").rfind("<!-- mlgate:pr-report -->", 0), 0u);
  }
  const std::string last = rs.back().body["body"];
  EXPECT_NE(last.find("| ✅ pass | metric accuracy | - | 0.95 | - |"), std::string::npos) << last;
  EXPECT_NE(last.find("(http://mlgate.example/pipelines/"), std::string::npos) << last;
  EXPECT_EQ(env.sql_text("SELECT comment_id FROM pr_comments WHERE pr_number = 5"), "4242");

  // A new commit on the pull request edits the same comment: no second POST.
  const std::string next = commit(env, "pr again");
  open_github_pr(env, 5, next);
  ASSERT_EQ(env.wait_pipeline_end(next)["state"], "passed") << env.serve().log();
  ASSERT_TRUE(eventually_long([&] {
    auto all = comment_requests(forge);
    return all.back().body.value("body", "").find(next.substr(0, 12)) != std::string::npos &&
           final_report_sent(forge, "PATCH");
  })) << forge.dump();
  EXPECT_EQ(count(comment_requests(forge), "POST"), 1) << forge.dump();
}

TEST(PrComments, ARetriedPostWhoseAnswerWasLostEditsTheCommentItMade) {
  RecordingForge forge;
  // The first POST makes the comment but its answer is lost (a 502 after the fact); the list of
  // comments made since then shows it.
  forge.set_policy([](const Recorded& r, int) {
    static int posts = 0;
    return r.method == "POST" && is_comment_request(r) && posts++ == 0 ? 502 : 201;
  });
  forge.set_answer([](const Recorded& r, int) {
    if (r.method == "GET")
      return json::array({{{"id", 11}, {"body", "someone else"}},
                          {{"id", 77}, {"body", "<!-- mlgate:pr-report -->\nold"}}})
          .dump();
    return std::string(R"({"id": 99})");
  });
  GateEnv env(options(forge, "github"));
  const std::string sha = commit(env, "retry");
  open_github_pr(env, 6, sha);
  env.start_runner("r1");
  ASSERT_EQ(env.wait_pipeline_end(sha)["state"], "passed") << env.serve().log();
  ASSERT_TRUE(eventually_long([&] { return final_report_sent(forge, "PATCH"); }))
      << forge.dump() << env.serve().log();
  const auto rs = comment_requests(forge);
  EXPECT_EQ(count(rs, "POST"), 1) << forge.dump();
  ASSERT_GE(count(rs, "GET"), 1) << forge.dump();
  for (const auto& r : rs) {
    if (r.method == "GET") {
      EXPECT_NE(r.target.find("since="), std::string::npos) << r.target;
    }
    if (r.method == "PATCH") {
      EXPECT_EQ(r.path, "/repos/acme/model/issues/comments/77");
    }
  }
}

TEST(PrComments, GitLabPostsANoteThenPutsIt) {
  RecordingForge forge;
  forge.set_answer([](const Recorded&, int) { return std::string(R"({"id": 301})"); });
  GateEnv env(options(forge, "gitlab"));
  const std::string sha = commit(env, "mr");
  env.repo().update_ref("refs/merge-requests/3/head", sha);
  json p = GateEnv::fixture("gitlab/merge_request.open.json");
  p["project"]["path_with_namespace"] = "acme/model";
  p["object_attributes"]["iid"] = 3;
  p["object_attributes"]["target_branch"] = "main";
  p["object_attributes"]["source_project_id"] = p["object_attributes"]["target_project_id"];
  p["object_attributes"]["last_commit"]["id"] = sha;
  auto r = testing::http_post(env.host(), "/webhooks/gitlab", p.dump(), "application/json",
                              {{"X-Gitlab-Event", "Merge Request Hook"},
                               {"X-Gitlab-Token", testing::kGateEnvSecret},
                               {"X-Gitlab-Event-UUID", "mr-3"}});
  ASSERT_EQ(r.status, 202) << r.body;
  ASSERT_TRUE(eventually_long([&] { return count(comment_requests(forge), "POST") == 1; }))
      << forge.dump() << env.serve().log();
  env.start_runner("r1");
  ASSERT_EQ(env.wait_pipeline_end(sha)["state"], "passed") << env.serve().log();
  ASSERT_TRUE(eventually_long([&] { return final_report_sent(forge, "PUT"); }))
      << forge.dump() << env.serve().log();
  const auto rs = comment_requests(forge);
  EXPECT_EQ(count(rs, "POST"), 1) << forge.dump();
  for (const auto& q : rs) {
    EXPECT_EQ(q.header("PRIVATE-TOKEN"), "tok_prcomments");
    const std::string suffix =
        q.method == "POST" ? "/merge_requests/3/notes" : "/merge_requests/3/notes/301";
    EXPECT_EQ(q.path.substr(q.path.size() - std::min(q.path.size(), suffix.size())), suffix)
        << q.method << " " << q.target;
    EXPECT_EQ(q.path.rfind("/projects/", 0), 0u) << q.target;
  }
}

TEST(PrComments, OffForARepositorySendsNone) {
  RecordingForge forge;
  GateEnv env(options(forge, "github"));
  env.sql("UPDATE repos SET pr_comments = false");
  EXPECT_EQ(env.get("/api/v1/repos")["repos"][0]["pr_comments"], false);
  const std::string sha = commit(env, "off");
  open_github_pr(env, 8, sha);
  env.start_runner("r1");
  ASSERT_EQ(env.wait_pipeline_end(sha)["state"], "passed") << env.serve().log();
  // The commit statuses still go; after the last of them, no comment was sent.
  ASSERT_TRUE(eventually_long([&] {
    return forge.last_state("mlgate/gate/production") == "success";
  })) << forge.dump();
  std::this_thread::sleep_for(std::chrono::seconds(2));
  EXPECT_TRUE(comment_requests(forge).empty()) << forge.dump();
}

// Ten predictions ex0..ex9 with truth 1, labelled 1 except the ids in `flipped` (labelled 0).
std::string predictions_script(const std::set<int>& flipped) {
  std::string lines;
  for (int i = 0; i < 10; ++i)
    lines += R"({"id": "ex)" + std::to_string(i) + R"(", "label": )" +
             (flipped.contains(i) ? "0" : "1") + R"(, "truth": 1})" + "\n";
  return std::string(kResults) + "cat > \"$MLGATE_RESULTS/predictions.jsonl\" <<'EOF'\n" + lines +
         "EOF\n";
}

// The last comment request (a POST or an edit) says the gate allowed the commit.
bool last_report_allows(RecordingForge& forge) {
  auto rs = comment_requests(forge);
  return !rs.empty() &&
         rs.back().body.value("body", "").find("production — allow") != std::string::npos;
}

TEST(PrComments, FlippedExamplesReachTheComment) {
  RecordingForge forge;
  forge.set_answer([](const Recorded&, int) { return std::string(R"({"id": 4243})"); });
  GateEnv env(options(forge, "github"));
  const std::string config = std::string(kConfig) + "    predictions: {max_flip_rate: 50%}\n";
  env.start_runner("r1");
  // The deployed baseline: every label 1.
  const std::string base = env.push(config, {{"results.sh", predictions_script({})}});
  ASSERT_EQ(env.wait_pipeline_end(base)["state"], "passed") << env.serve().log();
  auto deployed = env.deploy({{"sha", base}, {"environment", "production"}});
  ASSERT_EQ(deployed.status, 201) << deployed.body;
  // The pull request flips ex7 and ex3: 20% <= 50%, allowed, with both examples by id.
  const std::string sha = env.repo().commit(
      {{".mlgate.yml", config}, {"results.sh", predictions_script({7, 3})}}, "flip two");
  open_github_pr(env, 11, sha);
  ASSERT_EQ(env.wait_pipeline_end(sha)["state"], "passed") << env.serve().log();
  ASSERT_TRUE(eventually_long([&] { return last_report_allows(forge); }))
      << forge.dump() << env.serve().log();
  const std::string last = comment_requests(forge).back().body["body"];
  const auto heading = last.find("**Predictions (flipped examples)**");
  const auto table = last.find(
      "| flipped example | baseline | candidate | truth |\n|---|---|---|---|\n"
      "| ex3 | 1 | 0 | 1 |\n| ex7 | 1 | 0 | 1 |\n");
  ASSERT_NE(heading, std::string::npos) << last;
  ASSERT_NE(table, std::string::npos) << last;
  EXPECT_LT(heading, table);
  // The gate API carries the same examples.
  const auto gate = json::parse(env.gate(sha).body);
  int flip_checks = 0;
  for (const auto& c : gate["checks"])
    if (c["name"] == "flip_rate") {
      ++flip_checks;
      ASSERT_EQ(c["examples"].size(), 2u) << c.dump();
      EXPECT_EQ(c["examples"][0],
                (json{{"id", "ex3"}, {"baseline", "1"}, {"candidate", "0"}, {"truth", "1"}}));
    }
  EXPECT_EQ(flip_checks, 1) << gate.dump();
}

// The gate's commit status for `sha` was sent as success.
bool gate_status_sent(RecordingForge& forge, const std::string& sha) {
  for (const auto& r : forge.requests())
    if (r.path.ends_with("/statuses/" + sha) && r.body.is_object() &&
        r.body.value("context", "") == "mlgate/gate/production" &&
        r.body.value("state", "") == "success")
      return true;
  return false;
}

TEST(PrComments, RepoSetTurnsThemOffForFurtherReports) {
  RecordingForge forge;
  forge.set_answer([](const Recorded&, int) { return std::string(R"({"id": 4244})"); });
  GateEnv env(options(forge, "github"));
  env.start_runner("r1");
  const std::string sha = commit(env, "on");
  open_github_pr(env, 12, sha);
  ASSERT_EQ(env.wait_pipeline_end(sha)["state"], "passed") << env.serve().log();
  ASSERT_TRUE(eventually_long([&] { return last_report_allows(forge); }))
      << forge.dump() << env.serve().log();

  const std::string settings = "/api/v1/repos/acme/model/settings";
  for (const char* bad : {R"({"pr_comments": "no"})", R"({})", R"({"colour": true})"}) {
    auto r = testing::http_post(env.host(), settings, bad, "application/json", env.admin());
    EXPECT_EQ(r.status, 400) << bad << ": " << r.body;
  }
  auto reader = testing::http_post(env.host(), settings, R"({"pr_comments": false})",
                                   "application/json", env.token({"read"}, "reader"));
  EXPECT_EQ(reader.status, 403) << reader.body;
  EXPECT_EQ(env.get("/api/v1/repos")["repos"][0]["pr_comments"], true);

  auto [code, out] = env.cli({"repo", "set", "--name", "acme/model", "--pr-comments", "off"});
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find("acme/model: pull-request comments off"), std::string::npos) << out;
  EXPECT_EQ(env.get("/api/v1/repos")["repos"][0]["pr_comments"], false);
  EXPECT_EQ(env.sql_long("SELECT count(*) FROM audit_log WHERE action = 'repo.settings'"), 1);

  const auto before = comment_requests(forge).size();
  // A report queued before the switch (its forge was down, say) is not sent after it.
  env.sql_long(
      "WITH q AS (INSERT INTO forge_outbox (repo_id, kind, sha, context, method, url, body) "
      "SELECT repo_id, kind, sha, context, method, url, body FROM forge_outbox WHERE kind = "
      "'pr_comment' ORDER BY id DESC LIMIT 1 RETURNING id) SELECT count(*) FROM q");
  ASSERT_TRUE(eventually_long([&] {
    return env.sql_long(
               "SELECT count(*) FROM forge_outbox WHERE kind = 'pr_comment' AND "
               "last_error LIKE '%comments are off%' AND gave_up_at IS NOT NULL") == 1;
  })) << forge.dump();
  const std::string next = commit(env, "off");
  open_github_pr(env, 12, next);
  ASSERT_EQ(env.wait_pipeline_end(next)["state"], "passed") << env.serve().log();
  ASSERT_TRUE(eventually_long([&] { return gate_status_sent(forge, next); })) << forge.dump();
  std::this_thread::sleep_for(std::chrono::seconds(2));
  EXPECT_EQ(comment_requests(forge).size(), before) << forge.dump();
}

TEST(PrComments, RegisteringARepositoryWithPrCommentsOff) {
  GateEnv env;
  auto add = [&](const json& extra) {
    json reg = {{"forge", "github"},
                {"name", "acme/other"},
                {"clone_url", "https://example.com/acme/other.git"},
                {"secret", "0123456789abcdef"}};
    reg.update(extra);
    return testing::http_post(env.host(), "/api/v1/repos", reg.dump(), "application/json",
                              env.admin());
  };
  auto bad = add({{"pr_comments", "no"}});
  EXPECT_EQ(bad.status, 400) << bad.body;
  auto ok = add({{"pr_comments", false}});
  ASSERT_EQ(ok.status, 201) << ok.body;
  EXPECT_EQ(json::parse(ok.body)["pr_comments"], false);
  EXPECT_EQ(env.get("/api/v1/repos")["repos"][0]["pr_comments"], true);  // acme/model: default
  // The CLI says so.
  testing::TempDir tmp{"mlgate-prc"};
  testing::write_file(tmp.path() / "secret", "0123456789abcdef\n");
  auto [code, out] = env.cli({"repo", "add", "--forge", "gitlab", "--name", "acme/third",
                              "--clone-url", "https://example.com/acme/third.git", "--secret-file",
                              (tmp.path() / "secret").string(), "--pr-comments", "off"});
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("pull-request comments: off"), std::string::npos) << out;
}

}  // namespace
}  // namespace mlgate
