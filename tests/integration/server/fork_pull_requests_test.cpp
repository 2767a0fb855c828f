// Untrusted changes are contained (docs/security.md, "Fork pull requests"), end to end: the real
// `mlgate serve` on a throwaway PostgreSQL, the real GitHub payload of a pull request opened from a
// fork (tests/fixtures/webhooks/github/pull_request.opened.fork.json) pointed at a local fork of
// the test repository, the runner protocol, the CLI, the pages, and a local stand-in for GitHub's
// API that records the commit statuses (recording_forge.h).
#include <gtest/gtest.h>

#include <string>

#include "tests/integration/server/gate_env.h"
#include "tests/integration/server/recording_forge.h"

namespace mlgate {
namespace {

using nlohmann::json;
using testing::eventually;
using testing::GateEnv;
using testing::GateEnvOptions;
using testing::HeaderPairs;
using testing::http_get;
using testing::http_post;
using testing::RecordingForge;

// The fork asks for the network; the server allows bridge, so only the fork rule keeps it out.
const char* kForkConfig = R"(version: 1
image: mlgate/busybox:test
tiers:
  functionality:
    run: "true"
    network: bridge
gates:
  production:
    require: [functionality]
)";

const std::string kWaiting = "waiting for approval by a maintainer (pull request from a fork)";

GateEnvOptions fork_options(const RecordingForge* forge, const std::string& policy) {
  GateEnvOptions o;
  o.forge = "github";
  if (forge) {
    o.forge_token = "ghs_repositorytoken";
    o.api_base_url = forge->base();
  }
  o.serve_args = {"--allowed-networks", "none,bridge", "--public-url", "http://mlgate.example"};
  o.fork_pull_requests = policy;
  return o;
}

// A fork of acme/model with one commit, pull request `number` from it: the commit is fetched into
// the base repository as refs/pull/<number>/head, as GitHub serves it.
class Fork {
 public:
  Fork(GateEnv& env, int number) : env_(env), number_(number) {
    sha = repo_.commit({{".mlgate.yml", kForkConfig}, {"model.py", "steal()\n"}},
                       "fork change " + std::to_string(number));
    env_.repo().git(
        {"fetch", repo_.path().string(), "+refs/heads/main:refs/forks/" + std::to_string(number)});
    env_.repo().update_ref("refs/pull/" + std::to_string(number) + "/head", sha);
  }
  // The real fork pull request payload, pointed at acme/model and this fork.
  json payload() const {
    json p = GateEnv::fixture("github/pull_request.opened.fork.json");
    p["number"] = number_;
    p["pull_request"]["number"] = number_;
    p["repository"]["full_name"] = "acme/model";
    p["repository"]["name"] = "model";
    p["pull_request"]["base"]["ref"] = "main";
    p["pull_request"]["base"]["repo"]["full_name"] = "acme/model";
    p["pull_request"]["head"]["sha"] = sha;
    p["pull_request"]["head"]["repo"]["clone_url"] = repo_.file_url();
    return p;
  }
  testing::HttpResult deliver() const {
    return env_.deliver_github("pull_request", "fork-pr-" + std::to_string(number_),
                               payload().dump());
  }

  std::string sha;

 private:
  GateEnv& env_;
  int number_;
  testing::GitRepoFixture repo_{"mlgate-fork"};
};

std::string bearer_token(const HeaderPairs& auth) {
  return auth.at(0).second.substr(std::string("Bearer ").size());
}

// One job for a runner of the protocol, or null when none is claimable now.
json claim(GateEnv& env, const HeaderPairs& runner) {
  auto r = http_post(env.host(), "/api/v1/runner/jobs/request", R"({"wait_seconds":0})",
                     "application/json", runner);
  if (r.status == 204) return json();
  EXPECT_EQ(r.status, 200) << r.body;
  return json::parse(r.body)["job"];
}

json approve(GateEnv& env, long pipeline, const HeaderPairs& auth, int want) {
  auto r = http_post(env.host(), "/api/v1/pipelines/" + std::to_string(pipeline) + "/approve", "",
                     "application/json", auth);
  EXPECT_EQ(r.status, want) << r.body;
  return json::parse(r.body, nullptr, false);
}

// The last status of `context` for `sha`, as recorded by the stand-in forge ({} when none).
json last_status(RecordingForge& forge, const std::string& sha, const std::string& context) {
  json last = json::object();
  for (const auto& r : forge.requests())
    if (r.path == "/repos/acme/model/statuses/" + sha && r.body.value("context", "") == context)
      last = r.body;
  return last;
}

// A fork's commit can be neither recorded as deployed (not even forced) nor allowed by the gate.
void expect_never_deployable(GateEnv& env, const std::string& sha) {
  for (const json& body :
       {json{{"sha", sha}, {"environment", "production"}},
        json{{"sha", sha}, {"environment", "production"}, {"force", true}, {"reason", "urgent"}}}) {
    auto d = env.deploy(body);
    EXPECT_EQ(d.status, 409) << d.body;
    EXPECT_EQ(json::parse(d.body)["error"]["code"], "fork_commit") << d.body;
    EXPECT_NE(d.body.find("commit from a fork pull request is never deployable"), std::string::npos)
        << d.body;
  }
  EXPECT_EQ(env.sql_long("SELECT count(*) FROM deployments"), 0);
  auto g = env.gate(sha);
  ASSERT_EQ(g.status, 200) << g.body;
  const json gate = json::parse(g.body);
  EXPECT_EQ(gate["decision"], "deny");
  EXPECT_EQ(gate["summary"], "deny: commit from a fork pull request is never deployable");
  EXPECT_EQ(gate["checks"][0]["kind"], "provenance");
  EXPECT_EQ(gate["checks"][0]["reason"], "commit from a fork pull request is never deployable");
}

TEST(ForkPullRequests, AwaitApprovalByADeployTokenThenRunContainedAndNeverDeploy) {
  RecordingForge forge;
  GateEnv env(fork_options(&forge, ""));  // the default: approve
  Fork fork(env, 3);
  fork.deliver();
  json p;
  ASSERT_TRUE(eventually([&] {
    p = env.pipeline_of(fork.sha);
    return !p.is_null();
  })) << env.serve().log();
  const long id = p["id"].get<long>();
  EXPECT_EQ(p["state"], "awaiting_approval");
  EXPECT_EQ(p["from_fork"], true);
  EXPECT_TRUE(p["approved_by"].is_null());
  EXPECT_EQ(p["jobs"][0]["state"], "blocked");

  // Nothing is claimable; the pull request shows a pending status that says why.
  const HeaderPairs runner = env.register_runner("r1", "docker");
  const HeaderPairs local_runner = env.register_runner("local", "local");
  EXPECT_TRUE(claim(env, runner).is_null());
  ASSERT_TRUE(eventually([&] {
    return last_status(forge, fork.sha, "mlgate/functionality").value("description", "") ==
           kWaiting;
  })) << forge.dump();
  EXPECT_EQ(last_status(forge, fork.sha, "mlgate/functionality")["state"], "pending");

  // A read token cannot approve (403), nor a deploy token of another repository, which is told
  // no more than of a pipeline that does not exist (404); the page offers the button only to a
  // caller with deploy.
  const HeaderPairs reader = env.token({"read"}, "reader");
  approve(env, id, reader, 403);
  auto other = http_post(env.host(), "/api/v1/repos",
                         json{{"forge", "github"},
                              {"name", "acme/other"},
                              {"clone_url", env.repo().file_url()},
                              {"secret", "another-secret"}}
                             .dump(),
                         "application/json", env.admin());
  ASSERT_EQ(other.status, 201) << other.body;
  approve(env, id, env.token({"deploy"}, "elsewhere", json::parse(other.body)["id"].get<long>()),
          404);
  approve(env, 999999, env.admin(), 404);
  const std::string page = "/pipelines/" + std::to_string(id);
  auto read_page = http_get(env.host(), page, reader);
  EXPECT_NE(read_page.body.find("id=\"awaiting-approval\""), std::string::npos) << read_page.body;
  EXPECT_EQ(read_page.body.find("action=\"" + page + "/approve\""), std::string::npos);
  const HeaderPairs deployer = env.token({"read", "deploy"}, "deployer");
  auto deploy_page = http_get(env.host(), page, deployer);
  EXPECT_NE(deploy_page.body.find("<form class=\"inline\" method=\"post\" action=\"" + page +
                                  "/approve\">"),
            std::string::npos)
      << deploy_page.body;
  EXPECT_TRUE(claim(env, runner).is_null());
  EXPECT_EQ(env.pipeline_of(fork.sha)["state"], "awaiting_approval");

  // The deploy token approves, with the CLI; the approval is audited with who gave it.
  const testing::TempDir files("mlgate-fork-cli");
  testing::write_file(files.path() / "token", bearer_token(deployer) + "\n");
  std::string output;
  int st = util::run_capture({MLGATE_BINARY, "approve", std::to_string(id), "--url",
                              env.serve().url(), "--token-file", (files.path() / "token").string()},
                             output);
  EXPECT_EQ(st, 0) << output;
  EXPECT_NE(output.find("pipeline " + std::to_string(id) + ": approved by token:deployer"),
            std::string::npos)
      << output;
  EXPECT_EQ(env.sql_text("SELECT actor || ' ' || action || ' ' || (details->>'pipeline') FROM "
                         "audit_log WHERE action = 'pipeline.approve'"),
            "token:deployer pipeline.approve " + std::to_string(id));
  p = env.pipeline_of(fork.sha);
  EXPECT_EQ(p["approved_by"], "token:deployer");
  // Approving again is refused (exit 1 from the CLI, 409 from the API).
  st = util::run_capture({MLGATE_BINARY, "approve", std::to_string(id), "--url", env.serve().url(),
                          "--token-file", (files.path() / "token").string()},
                         output);
  EXPECT_EQ(st >> 8, 1) << output;
  EXPECT_NE(output.find("not awaiting approval"), std::string::npos) << output;

  // Claimed: no forge token, no network although the config asks bridge and the server allows it;
  // never by a runner of the local executor, which cannot take the network away.
  EXPECT_TRUE(claim(env, local_runner).is_null());
  json job = claim(env, runner);
  ASSERT_FALSE(job.is_null());
  EXPECT_EQ(job["sha"], fork.sha);
  EXPECT_EQ(job["forge_token"], "");
  EXPECT_EQ(job["network"], "none");
  EXPECT_EQ(job["fetch_ref"], "refs/pull/3/head");

  expect_never_deployable(env, fork.sha);
}

// A fork's pull request whose head is a commit the repository already ran (a branch of the
// repository pushed to a fork) does not take that commit's gate over: awaiting approval, its
// blocked jobs are newer than the push's, yet the gate still judges the push's.
TEST(ForkPullRequests, AForkOfTheRepositorysOwnCommitDoesNotHoldItsGate) {
  GateEnv env(fork_options(nullptr, ""));  // the default: approve
  env.start_runner("r1");
  const std::string sha = env.push(R"(version: 1
image: mlgate/busybox:test
tiers:
  functionality:
    run: "true"
gates:
  production:
    require: [functionality]
)",
                                   {});
  ASSERT_EQ(env.wait_pipeline_end(sha)["state"], "passed") << env.serve().log();
  const long own = env.sql_long("SELECT id FROM pipelines WHERE NOT from_fork");
  auto before = env.gate(sha);
  ASSERT_EQ(before.status, 200) << before.body;
  ASSERT_EQ(json::parse(before.body)["decision"], "allow") << before.body;

  env.repo().update_ref("refs/pull/8/head", sha);
  json p = GateEnv::fixture("github/pull_request.opened.fork.json");
  p["number"] = 8;
  p["pull_request"]["number"] = 8;
  p["repository"]["full_name"] = "acme/model";
  p["repository"]["name"] = "model";
  p["pull_request"]["base"]["ref"] = "main";
  p["pull_request"]["base"]["repo"]["full_name"] = "acme/model";
  p["pull_request"]["head"]["sha"] = sha;
  p["pull_request"]["head"]["repo"]["clone_url"] = env.repo().file_url();
  env.deliver_github("pull_request", "fork-pr-own-commit", p.dump());
  ASSERT_TRUE(eventually([&] {
    return env.sql_long(
               "SELECT count(*) FROM pipelines WHERE from_fork AND state = "
               "'awaiting_approval' AND sha = '" +
               sha + "'") == 1;
  })) << env.serve().log();

  auto after = env.gate(sha);
  ASSERT_EQ(after.status, 200) << after.body;
  const json gate = json::parse(after.body);
  EXPECT_EQ(gate["decision"], "allow") << after.body;
  EXPECT_EQ(gate["pipeline_id"], own) << after.body;
  auto d = env.deploy(json{{"sha", sha}, {"environment", "production"}});
  EXPECT_EQ(d.status, 201) << d.body;
}

TEST(ForkPullRequests, ThePipelinePagesButtonApproves) {
  GateEnv env(fork_options(nullptr, "approve"));
  Fork fork(env, 5);
  fork.deliver();
  json p;
  ASSERT_TRUE(eventually([&] {
    p = env.pipeline_of(fork.sha);
    return !p.is_null();
  })) << env.serve().log();
  ASSERT_EQ(p["state"], "awaiting_approval");
  const std::string page = "/pipelines/" + std::to_string(p["id"].get<long>());
  // Browsers post the form with the sign-in cookie (SameSite=Strict); a read token's is refused.
  const std::string reader = bearer_token(env.token({"read"}, "reader"));
  auto refused = http_post(env.host(), page + "/approve", "", "application/x-www-form-urlencoded",
                           {{"Cookie", "mlgate_token=" + reader}});
  EXPECT_EQ(refused.status, 403) << refused.body;
  EXPECT_EQ(env.pipeline_of(fork.sha)["state"], "awaiting_approval");
  const std::string deployer = bearer_token(env.token({"read", "deploy"}, "deployer"));
  auto posted = http_post(env.host(), page + "/approve", "", "application/x-www-form-urlencoded",
                          {{"Cookie", "mlgate_token=" + deployer}});
  EXPECT_EQ(posted.status, 303) << posted.body;
  p = env.pipeline_of(fork.sha);
  EXPECT_EQ(p["state"], "pending");
  EXPECT_EQ(p["approved_by"], "token:deployer");
  EXPECT_EQ(p["jobs"][0]["state"], "queued");
  auto after = http_get(env.host(), page, {{"Cookie", "mlgate_token=" + deployer}});
  EXPECT_EQ(after.body.find("id=\"awaiting-approval\""), std::string::npos);
  EXPECT_NE(after.body.find("Approved by token:deployer"), std::string::npos) << after.body;
}

TEST(ForkPullRequests, IgnorePlansNothingAndSaysWhy) {
  GateEnv env(fork_options(nullptr, "ignore"));
  Fork fork(env, 4);
  auto answer = fork.deliver();
  EXPECT_EQ(json::parse(answer.body)["status"], "ignored") << answer.body;
  EXPECT_NE(answer.body.find("pull request from a fork"), std::string::npos) << answer.body;
  EXPECT_EQ(env.sql_text("SELECT verdict || ': ' || reason FROM webhook_deliveries"),
            "ignored: pull request from a fork: acme/model ignores them (registered with "
            "--fork-pull-requests ignore)");
  EXPECT_EQ(env.sql_long("SELECT count(*) FROM pipelines"), 0);
  EXPECT_EQ(env.get("/api/v1/repos")["repos"][0]["fork_pull_requests"], "ignore");

  // The CLI registers a repository with its policy.
  const testing::TempDir files("mlgate-fork-cli");
  testing::write_file(files.path() / "secret", "cli-secret-value\n");
  testing::write_file(files.path() / "admin",
                      env.admin().at(0).second.substr(std::string("Bearer ").size()) + "\n");
  std::string output;
  int st =
      util::run_capture({MLGATE_BINARY, "repo", "add", "--url", env.serve().url(), "--token-file",
                         (files.path() / "admin").string(), "--forge", "github", "--name",
                         "acme/other", "--clone-url", env.repo().file_url(), "--secret-file",
                         (files.path() / "secret").string(), "--fork-pull-requests", "run"},
                        output);
  EXPECT_EQ(st, 0) << output;
  EXPECT_NE(output.find("fork pull requests: run"), std::string::npos) << output;
  for (const auto& repo : env.get("/api/v1/repos")["repos"])
    EXPECT_EQ(repo["fork_pull_requests"], repo["name"] == "acme/other" ? "run" : "ignore");
  st = util::run_capture({MLGATE_BINARY, "repo", "add", "--url", env.serve().url(), "--token-file",
                          (files.path() / "admin").string(), "--forge", "github", "--name",
                          "acme/third", "--clone-url", env.repo().file_url(), "--secret-file",
                          (files.path() / "secret").string(), "--fork-pull-requests", "always"},
                         output);
  EXPECT_NE(st, 0) << output;
  auto bad = http_post(env.host(), "/api/v1/repos",
                       json{{"forge", "github"},
                            {"name", "acme/fourth"},
                            {"clone_url", env.repo().file_url()},
                            {"secret", "another-secret"},
                            {"fork_pull_requests", "always"}}
                           .dump(),
                       "application/json", env.admin());
  EXPECT_EQ(bad.status, 400) << bad.body;
}

TEST(ForkPullRequests, RunStartsAtOnceStillContained) {
  GateEnv env(fork_options(nullptr, "run"));
  Fork fork(env, 6);
  fork.deliver();
  json p;
  ASSERT_TRUE(eventually([&] {
    p = env.pipeline_of(fork.sha);
    return !p.is_null();
  })) << env.serve().log();
  EXPECT_EQ(p["state"], "pending");
  EXPECT_EQ(p["from_fork"], true);
  EXPECT_EQ(p["jobs"][0]["network"], "none");
  json job = claim(env, env.register_runner("r1", "docker"));
  ASSERT_FALSE(job.is_null());
  EXPECT_EQ(job["forge_token"], "");
  EXPECT_EQ(job["network"], "none");
  // Running the fork's commit by hand (its pull request's ref, or its sha) is contained the same
  // way, and does not make it the repository's own commit.
  for (const std::string& ref : {std::string("refs/pull/6/head"), fork.sha}) {
    auto t = http_post(env.host(), "/api/v1/repos/acme/model/trigger",
                       json{{"tier", "functionality"}, {"ref", ref}}.dump(), "application/json",
                       env.admin());
    ASSERT_EQ(t.status, 201) << t.body;
    const json manual = env.get("/api/v1/pipelines/" + json::parse(t.body)["id"].dump());
    EXPECT_EQ(manual["trigger"], "manual") << ref;
    EXPECT_EQ(manual["from_fork"], true) << ref;
    EXPECT_EQ(manual["jobs"][0]["network"], "none") << ref;
  }
  expect_never_deployable(env, fork.sha);
}

}  // namespace
}  // namespace mlgate
