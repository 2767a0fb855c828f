// Webhook intake end to end: the real mlgate binary, real PostgreSQL, real git repositories, and
// the real payloads from tests/fixtures/webhooks rewritten to point at the test repository and
// signed with the test secret.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "store/crypto.h"
#include "store/embedded_postgres.h"
#include "tests/support/git_fixture.h"
#include "tests/support/loopback.h"
#include "tests/support/mlgate_process.h"
#include "tests/support/pg_cluster.h"
#include "tests/support/temp_dir.h"
#include "util/hash.h"
#include "webhooks/signature.h"

namespace mlgate {
namespace {

using nlohmann::json;
using testing::eventually;
using testing::http_get;
using testing::http_post;

const std::string kSecret = "test-webhook-secret";

const char* kConfig = R"(version: 1
image: mlgate/busybox:test
tiers:
  functionality:
    run: echo functionality
  validation:
    needs: [functionality]
    run: echo validation
)";

json fixture(const std::string& name) {
  return json::parse(testing::read_file(std::string(MLGATE_SHARED_FIXTURES) + "/webhooks/" + name));
}

// Sends raw bytes and reads what comes back until the server closes or 5 s pass.
std::string raw_request(int port, const std::string& bytes) {
  const int fd = testing::connect_loopback(port);
  if (fd < 0) return "connect failed";
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  (void)!::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) out.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return out;
}

// The real GitHub push payload, pointed at the test repository's commit on main.
json push_payload(const std::string& sha, const std::string& branch = "main") {
  json p = fixture("github/push.json");
  p["ref"] = "refs/heads/" + branch;
  p["after"] = sha;
  p["head_commit"]["id"] = sha;
  p["repository"]["full_name"] = "acme/model";
  p["repository"]["name"] = "model";
  p["repository"]["default_branch"] = "main";
  return p;
}

std::string strip(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

// A signed GitHub delivery to a running serve.
testing::HttpResult post_signed(const std::string& host_port, const std::string& body,
                                const std::string& event, const std::string& delivery,
                                const std::string& secret = kSecret) {
  return http_post(host_port, "/webhooks/github", body, "application/json",
                   {{"X-GitHub-Event", event},
                    {"X-GitHub-Delivery", delivery},
                    {"X-Hub-Signature-256", "sha256=" + util::hmac_sha256_hex(secret, body)}});
}

// Registers github acme/model with the test secret, using the admin token serve wrote in its data
// dir; returns the HTTP status.
int register_acme(const testing::ServeProcess& serve, const std::filesystem::path& data_dir,
                  const std::string& clone_url) {
  std::string admin = strip(testing::read_file(data_dir / "admin-token"));
  json reg = {
      {"forge", "github"}, {"name", "acme/model"}, {"clone_url", clone_url}, {"secret", kSecret}};
  return http_post(serve.host_port(), "/api/v1/repos", reg.dump(), "application/json",
                   {{"Authorization", "Bearer " + admin}})
      .status;
}

class WebhookTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conninfo_ = testing::PgCluster::instance().create_database("wh");
    serve_ = std::make_unique<testing::ServeProcess>(
        testing::ServeProcessOptions{.data_dir = dir_.path(), .database_url = conninfo_});
    admin_ = strip(testing::read_file(dir_.path() / "admin-token"));
    sha1_ = repo_.commit({{".mlgate.yml", kConfig}, {"model.py", "print(1)\n"}}, "first model");
  }
  void TearDown() override {
    serve_.reset();
    testing::PgCluster::instance().drop_database(conninfo_);
  }

  std::vector<std::pair<std::string, std::string>> admin_headers() const {
    return {{"Authorization", "Bearer " + admin_}};
  }
  void register_repo(const std::string& forge, const std::string& name,
                     const std::string& clone_url) {
    json body = {{"forge", forge}, {"name", name}, {"clone_url", clone_url}, {"secret", kSecret}};
    auto r = http_post(serve_->host_port(), "/api/v1/repos", body.dump(), "application/json",
                       admin_headers());
    ASSERT_EQ(r.status, 201) << r.body;
  }
  json github_push(const std::string& sha, const std::string& branch = "main") {
    return push_payload(sha, branch);
  }
  testing::HttpResult post_github(const std::string& body, const std::string& event,
                                  const std::string& delivery,
                                  const std::string& secret = kSecret) {
    return post_signed(serve_->host_port(), body, event, delivery, secret);
  }
  json get_json(const std::string& path) {
    auto r = http_get(serve_->host_port(), path, admin_headers());
    EXPECT_EQ(r.status, 200) << path << ": " << r.body;
    return json::parse(r.body, nullptr, false);
  }
  json pipelines() { return get_json("/api/v1/pipelines")["pipelines"]; }
  int count(const std::string& sql) {
    pqxx::connection c(conninfo_);
    pqxx::nontransaction tx(c);
    return tx.exec1(sql)[0].as<int>();
  }

  testing::TempDir dir_{"mlgate-wh"};
  testing::GitRepoFixture repo_;
  std::string conninfo_;
  std::unique_ptr<testing::ServeProcess> serve_;
  std::string admin_;
  std::string sha1_;
};

// Records NOTIFYs on the runners' channel.
class JobsListener : public pqxx::notification_receiver {
 public:
  explicit JobsListener(pqxx::connection& c) : pqxx::notification_receiver(c, "mlgate_jobs") {}
  void operator()(const std::string&, int) override { ++count; }
  int count = 0;
};

TEST_F(WebhookTest, ASignedPushPlansOnePipelineWithItsTiers) {
  register_repo("github", "acme/model", repo_.file_url());
  pqxx::connection listen_conn(conninfo_);
  JobsListener listener(listen_conn);
  auto r = post_github(github_push(sha1_).dump(), "push", "d-1");
  ASSERT_EQ(r.status, 202) << r.body;
  EXPECT_EQ(json::parse(r.body)["status"], "accepted");
  ASSERT_TRUE(eventually([&] { return pipelines().size() == 1; })) << serve_->log();
  json p = pipelines()[0];
  EXPECT_EQ(p["sha"], sha1_);
  EXPECT_EQ(p["branch"], "main");
  EXPECT_EQ(p["state"], "pending");
  ASSERT_EQ(p["jobs"].size(), 2u);
  EXPECT_EQ(p["jobs"][0]["tier"], "functionality");
  EXPECT_EQ(p["jobs"][0]["state"], "queued");
  EXPECT_EQ(p["jobs"][0]["timeout_seconds"], 300);
  EXPECT_EQ(p["jobs"][1]["tier"], "validation");
  EXPECT_EQ(p["jobs"][1]["state"], "blocked");
  EXPECT_EQ(p["jobs"][1]["timeout_seconds"], 3600);
  // Runners waiting for work are woken.
  for (int i = 0; i < 50 && listener.count == 0; ++i) listen_conn.await_notification(0, 100000);
  EXPECT_GE(listener.count, 1);
}

TEST_F(WebhookTest, AWrongOrMissingSignatureIs401AndLogged) {
  register_repo("github", "acme/model", repo_.file_url());
  std::string body = github_push(sha1_).dump();
  auto wrong = post_github(body, "push", "d-bad", "not-the-secret");
  EXPECT_EQ(wrong.status, 401) << wrong.body;
  auto missing = http_post(serve_->host_port(), "/webhooks/github", body, "application/json",
                           {{"X-GitHub-Event", "push"}, {"X-GitHub-Delivery", "d-none"}});
  EXPECT_EQ(missing.status, 401);
  EXPECT_NE(serve_->log().find("webhook rejected"), std::string::npos);
  EXPECT_EQ(count("SELECT count(*) FROM webhook_deliveries WHERE verdict = 'rejected'"), 2);
  EXPECT_EQ(count("SELECT count(*) FROM pipelines"), 0);
  // The rejected delivery id does not block the real one.
  EXPECT_EQ(post_github(body, "push", "d-bad").status, 202);
}

TEST_F(WebhookTest, ARedeliveryAnswersTheOriginalPipelineAndPlansNothing) {
  register_repo("github", "acme/model", repo_.file_url());
  std::string body = github_push(sha1_).dump();
  ASSERT_EQ(post_github(body, "push", "same-guid").status, 202);
  ASSERT_TRUE(eventually([&] { return pipelines().size() == 1; }));
  auto pipeline_id = pipelines()[0]["id"];
  auto again = post_github(body, "push", "same-guid");
  ASSERT_EQ(again.status, 200) << again.body;
  auto j = json::parse(again.body);
  EXPECT_EQ(j["status"], "duplicate");
  EXPECT_EQ(j["pipeline"], pipeline_id);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(pipelines().size(), 1u);
  EXPECT_EQ(count("SELECT count(*) FROM webhook_deliveries WHERE verdict = 'duplicate'"), 1);
}

TEST_F(WebhookTest, BadInputGetsAClearStatusAndJsonError) {
  register_repo("github", "acme/model", repo_.file_url());
  auto malformed = post_github("{not json", "push", "m-1");
  EXPECT_EQ(malformed.status, 400);
  EXPECT_TRUE(json::parse(malformed.body, nullptr, false).contains("error")) << malformed.body;
  json other = github_push(sha1_);
  other["repository"]["full_name"] = "someone/else";
  auto unknown = post_github(other.dump(), "push", "u-1");
  EXPECT_EQ(unknown.status, 404) << unknown.body;
  json suite = fixture("github/check_suite.requested.json");
  suite["repository"]["full_name"] = "acme/model";
  auto ignored = post_github(suite.dump(), "check_suite", "i-1");
  EXPECT_EQ(ignored.status, 202) << ignored.body;
  EXPECT_EQ(json::parse(ignored.body)["status"], "ignored");
  json ping_body = fixture("github/ping.json");
  ping_body["repository"]["full_name"] = "acme/model";
  auto ping = post_github(ping_body.dump(), "ping", "p-1");
  EXPECT_EQ(ping.status, 200) << ping.body;
  // An organization webhook's ping has no repository: pong too, recorded, nothing planned.
  json org_ping = fixture("github/ping.json");
  org_ping.erase("repository");
  org_ping["organization"] = {{"login", "acme"}, {"id", 1}};
  auto pong = post_github(org_ping.dump(), "ping", "p-org");
  EXPECT_EQ(pong.status, 200) << pong.body;
  EXPECT_EQ(json::parse(pong.body)["status"], "pong");
  EXPECT_EQ(count("SELECT count(*) FROM webhook_deliveries WHERE delivery_id = 'p-org' AND "
                  "verdict = 'ignored' AND repo_id IS NULL"),
            1);
  // Declares 26 MiB but sends only the headers: the answer must come without the body.
  std::string answer =
      raw_request(serve_->port(),
                  "POST /webhooks/github HTTP/1.1\r\nHost: x\r\nX-GitHub-Event: push\r\n"
                  "Content-Type: application/json\r\nContent-Length: 27262976\r\n\r\n{");
  EXPECT_EQ(answer.rfind("HTTP/1.1 413", 0), 0u) << answer;
  EXPECT_NE(answer.find("too_large"), std::string::npos) << answer;
  EXPECT_EQ(count("SELECT count(*) FROM pipelines"), 0);
}

TEST_F(WebhookTest, AnInvalidConfigFailsThePipelineWithLineAndColumn) {
  register_repo("github", "acme/model", repo_.file_url());
  std::string bad = repo_.commit(
      {{".mlgate.yml",
        "version: 1\nimage: x\ntiers:\n  functionality:\n    run: t\n    timout: 5m\n"}},
      "typo");
  ASSERT_EQ(post_github(github_push(bad).dump(), "push", "c-1").status, 202);
  ASSERT_TRUE(eventually([&] { return pipelines().size() == 1; })) << serve_->log();
  json p = pipelines()[0];
  EXPECT_EQ(p["state"], "failed");
  std::string error = p["error"];
  EXPECT_NE(error.find(".mlgate.yml:6:5"), std::string::npos) << error;
  EXPECT_NE(error.find("timout"), std::string::npos) << error;
  EXPECT_TRUE(p["jobs"].empty());
}

TEST_F(WebhookTest, ANewerPushCancelsTheQueuedFunctionalityJobOfTheOlderOne) {
  register_repo("github", "acme/model", repo_.file_url());
  ASSERT_EQ(post_github(github_push(sha1_).dump(), "push", "s-1").status, 202);
  ASSERT_TRUE(eventually([&] { return pipelines().size() == 1; }));
  std::string sha2 = repo_.commit({{"model.py", "print(2)\n"}}, "second");
  ASSERT_EQ(post_github(github_push(sha2).dump(), "push", "s-2").status, 202);
  ASSERT_TRUE(eventually([&] { return pipelines().size() == 2; }));
  json older = get_json("/api/v1/pipelines/" + pipelines()[1]["id"].dump());
  EXPECT_EQ(older["sha"], sha1_);
  EXPECT_EQ(older["jobs"][0]["tier"], "functionality");
  EXPECT_EQ(older["jobs"][0]["state"], "cancelled");
  // Validation needs the cancelled functionality job: it is skipped, so the older pipeline ends
  // (cancelled) instead of waiting for ever.
  EXPECT_EQ(older["jobs"][1]["state"], "skipped");
  EXPECT_EQ(older["state"], "cancelled");
  EXPECT_EQ(pipelines()[0]["jobs"][0]["state"], "queued");
}

TEST_F(WebhookTest, GitlabPushWithTheTokenPlansAndAWrongTokenIs401) {
  register_repo("gitlab", "acme/model", repo_.file_url());
  json p = fixture("gitlab/push.json");
  p["ref"] = "refs/heads/main";
  p["after"] = sha1_;
  p["checkout_sha"] = sha1_;
  p["project"]["path_with_namespace"] = "acme/model";
  p["commits"] = json::array();
  std::string body = p.dump();
  auto bad = http_post(serve_->host_port(), "/webhooks/gitlab", body, "application/json",
                       {{"X-Gitlab-Event", "Push Hook"}, {"X-Gitlab-Token", "wrong"}});
  EXPECT_EQ(bad.status, 401);
  auto ok = http_post(serve_->host_port(), "/webhooks/gitlab", body, "application/json",
                      {{"X-Gitlab-Event", "Push Hook"},
                       {"X-Gitlab-Token", kSecret},
                       {"X-Gitlab-Event-UUID", "uuid-1"}});
  ASSERT_EQ(ok.status, 202) << ok.body;
  ASSERT_TRUE(eventually([&] { return pipelines().size() == 1; })) << serve_->log();
  EXPECT_EQ(pipelines()[0]["sha"], sha1_);
  // The token is the secret: it is never stored.
  EXPECT_EQ(
      count("SELECT count(*) FROM webhook_deliveries WHERE headers::text LIKE '%" + kSecret + "%'"),
      0);
}

TEST_F(WebhookTest, ReplayRunsAStoredDeliveryAgain) {
  register_repo("github", "acme/model", repo_.file_url());
  auto first = post_github(github_push(sha1_).dump(), "push", "r-1");
  ASSERT_EQ(first.status, 202);
  ASSERT_TRUE(eventually([&] { return pipelines().size() == 1; }));
  auto delivery = json::parse(first.body)["delivery"].get<long>();
  std::string output;
  int st =
      util::run_capture({MLGATE_BINARY, "webhooks", "replay", std::to_string(delivery), "--url",
                         serve_->url(), "--token-file", (dir_.path() / "admin-token").string()},
                        output);
  EXPECT_EQ(st, 0) << output;
  EXPECT_TRUE(eventually([&] { return pipelines().size() == 2; })) << serve_->log();
  st = util::run_capture({MLGATE_BINARY, "webhooks", "list", "--url", serve_->url(), "--token-file",
                          (dir_.path() / "admin-token").string()},
                         output);
  EXPECT_EQ(st, 0) << output;
  EXPECT_NE(output.find("accepted"), std::string::npos) << output;
}

TEST_F(WebhookTest, ReposAreRegisteredFromTheCliAndTheirSecretsNeverComeBack) {
  testing::TempDir files;
  testing::write_file(files.path() / "secret", "cli-secret-value\n");
  testing::write_file(files.path() / "token", "forge-token-value\n");
  std::string token_file = (dir_.path() / "admin-token").string();
  std::string output;
  int st = util::run_capture(
      {MLGATE_BINARY, "repo", "add", "--url", serve_->url(), "--token-file", token_file, "--forge",
       "gitlab", "--name", "group/sub/model", "--clone-url", repo_.file_url(), "--secret-file",
       (files.path() / "secret").string(), "--forge-token-file", (files.path() / "token").string()},
      output);
  ASSERT_EQ(st, 0) << output;
  st = util::run_capture(
      {MLGATE_BINARY, "repo", "list", "--url", serve_->url(), "--token-file", token_file}, output);
  ASSERT_EQ(st, 0) << output;
  EXPECT_NE(output.find("group/sub/model"), std::string::npos) << output;
  st = util::run_capture(
      {MLGATE_BINARY, "repo", "list", "--json", "--url", serve_->url(), "--token-file", token_file},
      output);
  EXPECT_EQ(output.find("cli-secret-value"), std::string::npos) << output;
  EXPECT_EQ(output.find("forge-token-value"), std::string::npos) << output;
  auto listed = json::parse(output);
  EXPECT_EQ(listed["repos"][0]["has_forge_token"], true);
  // Registering it twice (names are case-insensitive) is a conflict.
  st = util::run_capture(
      {MLGATE_BINARY, "repo", "add", "--url", serve_->url(), "--token-file", token_file, "--forge",
       "gitlab", "--name", "GROUP/sub/model", "--clone-url", repo_.file_url(), "--secret-file",
       (files.path() / "secret").string()},
      output);
  EXPECT_NE(st, 0);
  EXPECT_NE(output.find("already registered"), std::string::npos) << output;
  EXPECT_EQ(http_get(serve_->host_port(), "/api/v1/repos").status, 401);
  EXPECT_EQ(http_post(serve_->host_port(), "/api/v1/repos", "{}", "application/json",
                      {{"Authorization", "Bearer wrong"}})
                .status,
            401);
  st = util::run_capture({MLGATE_BINARY, "repo", "list", "--url", "http://127.0.0.1:1"}, output);
  EXPECT_EQ(st >> 8, 3) << output;
  EXPECT_NE(output.find("cannot reach mlgate"), std::string::npos) << output;
}

TEST_F(WebhookTest, ClosingAPullRequestCancelsItsQueuedJobs) {
  register_repo("github", "acme/model", repo_.file_url());
  repo_.update_ref("refs/pull/7/head", sha1_);
  json open = fixture("github/pull_request.opened.json");
  open["pull_request"]["head"]["sha"] = sha1_;
  open["pull_request"]["head"]["repo"]["full_name"] = "acme/model";
  open["pull_request"]["head"]["repo"]["clone_url"] = repo_.file_url();
  open["pull_request"]["base"]["ref"] = "main";
  open["pull_request"]["base"]["repo"]["full_name"] = "acme/model";
  open["pull_request"]["number"] = 7;
  open["number"] = 7;
  open["repository"]["full_name"] = "acme/model";
  ASSERT_EQ(post_github(open.dump(), "pull_request", "pr-open").status, 202);
  ASSERT_TRUE(eventually([&] { return pipelines().size() == 1; })) << serve_->log();
  EXPECT_EQ(pipelines()[0]["trigger"], "pull_request");
  EXPECT_EQ(pipelines()[0]["pr_number"], 7);
  json close = open;
  close["action"] = "closed";
  ASSERT_EQ(post_github(close.dump(), "pull_request", "pr-close").status, 202);
  EXPECT_TRUE(eventually([&] { return pipelines()[0]["state"] == "cancelled"; }))
      << pipelines().dump();
  for (const auto& j : pipelines()[0]["jobs"]) EXPECT_EQ(j["state"], "cancelled");
}

TEST_F(WebhookTest, AnAnnotatedTagPlansTheTaggedCommit) {
  register_repo("github", "acme/model", repo_.file_url());
  std::string config = std::string(kConfig);
  config.replace(config.find("  functionality:\n"), std::string("  functionality:\n").size(),
                 "  functionality:\n    on: [push, tag]\n");
  std::string sha = repo_.commit({{".mlgate.yml", config}}, "release");
  repo_.tag("v1.0", /*annotated=*/true);
  std::string tag_object = repo_.rev_parse("refs/tags/v1.0");
  ASSERT_NE(tag_object, sha);
  json p = fixture("github/push.tag.json");
  p["ref"] = "refs/tags/v1.0";
  p["after"] = tag_object;
  p["head_commit"]["id"] = sha;
  p["repository"]["full_name"] = "acme/model";
  ASSERT_EQ(post_github(p.dump(), "push", "tag-1").status, 202);
  ASSERT_TRUE(eventually([&] { return pipelines().size() == 1; })) << serve_->log();
  json pipeline = pipelines()[0];
  EXPECT_EQ(pipeline["sha"], sha);
  EXPECT_EQ(pipeline["trigger"], "tag");
  ASSERT_EQ(pipeline["jobs"].size(), 1u) << "validation does not run on tags";
  EXPECT_EQ(pipeline["jobs"][0]["tier"], "functionality");
}

TEST_F(WebhookTest, ABranchDeletionAndADeploymentProtectionRuleAreRecordedButPlanNoPipeline) {
  register_repo("github", "acme/model", repo_.file_url());
  json del = fixture("github/push.branch_delete.json");
  del["repository"]["full_name"] = "acme/model";
  auto r1 = post_github(del.dump(), "push", "del-1");
  EXPECT_EQ(r1.status, 202) << r1.body;
  json rule = fixture("github/deployment_protection_rule.requested.json");
  rule["repository"]["full_name"] = "acme/model";
  auto r2 = post_github(rule.dump(), "deployment_protection_rule", "dpr-1");
  EXPECT_EQ(r2.status, 202) << r2.body;
  // The branch deletion plans nothing; the protection rule cannot be answered without a forge
  // token, and its record says so (forge_feedback_test.cpp answers them).
  EXPECT_TRUE(eventually([&] {
    return count(
               "SELECT count(*) FROM webhook_deliveries WHERE verdict = 'accepted' AND plan_state "
               "IN ('planned', 'failed')") == 2;
  })) << serve_->log();
  EXPECT_EQ(
      count("SELECT count(*) FROM webhook_deliveries WHERE event = 'deployment_protection_rule' "
            "AND plan_state = 'failed' AND plan_error LIKE '%has no forge token to answer with%'"),
      1);
  EXPECT_EQ(count("SELECT count(*) FROM protection_requests"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM pipelines"), 0);
}

TEST(WebhookCeilings, TheServersTimeoutCeilingCapsABudgetAndRefusesALongerOne) {
  std::string conninfo = testing::PgCluster::instance().create_database("cap");
  testing::GitRepoFixture repo;
  std::string sha = repo.commit({{".mlgate.yml", kConfig}}, "c1");
  testing::TempDir dir("mlgate-wh");
  testing::ServeProcess serve({.data_dir = dir.path(),
                               .database_url = conninfo,
                               .extra_args = {"--max-timeout-validation", "600"}});
  ASSERT_EQ(register_acme(serve, dir.path(), repo.file_url()), 201);
  std::string body = push_payload(sha).dump();
  ASSERT_EQ(post_signed(serve.host_port(), body, "push", "cap-1", kSecret).status, 202);
  auto timeouts = [&] {
    pqxx::connection c(conninfo);
    pqxx::nontransaction tx(c);
    return tx
        .exec1(
            "SELECT coalesce(string_agg(tier || '=' || timeout_seconds, ',' ORDER BY priority), "
            "'') FROM jobs")[0]
        .as<std::string>();
  };
  EXPECT_TRUE(eventually([&] { return timeouts() == "functionality=300,validation=600"; }))
      << timeouts();
  // A config that asks for more than the server's ceiling (under the design's 1h) is an error at
  // its line, naming the ceiling and serve's option; no job of it is planned.
  const std::string longer = R"(version: 1
image: mlgate/busybox:test
tiers:
  validation:
    timeout: 20m
    run: echo validation
)";
  std::string sha2 = repo.commit({{".mlgate.yml", longer}}, "c2");
  ASSERT_EQ(
      post_signed(serve.host_port(), push_payload(sha2).dump(), "push", "cap-2", kSecret).status,
      202);
  auto error_of = [&] {
    pqxx::connection c(conninfo);
    pqxx::nontransaction tx(c);
    auto r =
        tx.exec_params("SELECT state, coalesce(error, '') FROM pipelines WHERE sha = $1", sha2);
    return r.empty() ? std::string() : r[0][0].as<std::string>() + ": " + r[0][1].as<std::string>();
  };
  ASSERT_TRUE(eventually([&] { return !error_of().empty(); })) << serve.log();
  EXPECT_NE(error_of().find("failed: "), std::string::npos) << error_of();
  EXPECT_NE(error_of().find(".mlgate.yml:5:14: 'timeout' 20m of tier 'validation' is over the "
                            "ceiling of 10m for this tier (serve --max-timeout-validation)"),
            std::string::npos)
      << error_of();
  EXPECT_EQ(timeouts(), "functionality=300,validation=600");
  testing::PgCluster::instance().drop_database(conninfo);
}

// A pushed config that asks for more than the operator's ceilings (docs/security.md, "Operator
// ceilings") plans no job: the pipeline fails with the ceiling and the config line, like any
// config error. Within the ceilings (raised with serve's options), the same asks are granted and
// handed to the runner.
TEST(WebhookCeilings, AConfigAskingMoreThanTheCeilingsGetsAPipelineError) {
  std::string conninfo = testing::PgCluster::instance().create_database("caps");
  testing::GitRepoFixture repo;
  const std::string greedy = R"(version: 1
image: mlgate/busybox:test
tiers:
  functionality:
    run: echo hi
    resources: {memory: 900g, pids: 100000}
)";
  std::string sha = repo.commit({{".mlgate.yml", greedy}}, "greedy");
  testing::TempDir dir("mlgate-wh");
  auto jobs = [&] {
    pqxx::connection c(conninfo);
    pqxx::nontransaction tx(c);
    return tx
        .exec1("SELECT coalesce(string_agg(tier || ' ' || resources::text, ','), '') FROM jobs")[0]
        .as<std::string>();
  };
  auto pipeline = [&] {
    pqxx::connection c(conninfo);
    pqxx::nontransaction tx(c);
    return tx.exec("SELECT state, coalesce(error, '') FROM pipelines ORDER BY id DESC LIMIT 1");
  };
  {
    testing::ServeProcess serve({.data_dir = dir.path(), .database_url = conninfo});
    ASSERT_EQ(register_acme(serve, dir.path(), repo.file_url()), 201);
    ASSERT_EQ(
        post_signed(serve.host_port(), push_payload(sha).dump(), "push", "g-1", kSecret).status,
        202);
    ASSERT_TRUE(eventually([&] { return pipeline().size() == 1; })) << serve.log();
    const auto p = pipeline()[0];
    EXPECT_EQ(p[0].as<std::string>(), "failed");
    const std::string error = p[1].as<std::string>();
    EXPECT_NE(error.find(".mlgate.yml:6:25: 'memory' '900g' in 'resources' of tier "
                         "'functionality' is over this server's ceiling of 16g (serve "
                         "--max-job-memory)"),
              std::string::npos)
        << error;
    EXPECT_NE(error.find(".mlgate.yml:6:37: 'pids' '100000'"), std::string::npos) << error;
    EXPECT_NE(error.find("ceiling of 4096 processes (serve --max-job-pids)"), std::string::npos)
        << error;
    EXPECT_EQ(jobs(), "");
  }
  // The operator raises the ceilings: the same commit plans, with what it asked for.
  testing::ServeProcess serve(
      {.data_dir = dir.path(),
       .database_url = conninfo,
       .extra_args = {"--max-job-memory", "1t", "--max-job-pids", "100000"}});
  ASSERT_EQ(post_signed(serve.host_port(), push_payload(sha).dump(), "push", "g-2", kSecret).status,
            202);
  EXPECT_TRUE(eventually([&] { return !jobs().empty(); })) << serve.log();
  EXPECT_EQ(jobs(), R"(functionality {"pids": 100000, "memory_bytes": 966367641600})");
  testing::PgCluster::instance().drop_database(conninfo);
}

TEST(WebhookRetention, DeliveriesOlderThanTheRetentionAreDeleted) {
  std::string conninfo = testing::PgCluster::instance().create_database("ret");
  {
    pqxx::connection c(conninfo);
    pqxx::work tx(c);
    for (const char* age : {"20 days", "3 days"}) {
      tx.exec_params(
          "INSERT INTO webhook_deliveries (forge, delivery_id, body, verdict, http_status, "
          "received_at) "
          "VALUES ('github', $1::text, '\\x7b7d', 'rejected', 404, now() - $1::text::interval)",
          std::string(age));
    }
    tx.commit();
  }
  testing::TempDir dir("mlgate-wh");
  testing::ServeProcess serve({.data_dir = dir.path(),
                               .database_url = conninfo,
                               .extra_args = {"--delivery-retention-days", "14"}});
  auto left = [&] {
    pqxx::connection c(conninfo);
    pqxx::nontransaction tx(c);
    return tx.exec1("SELECT coalesce(string_agg(delivery_id, ','), '') FROM webhook_deliveries")[0]
        .as<std::string>();
  };
  EXPECT_TRUE(eventually([&] { return left() == "3 days"; })) << left();
  testing::PgCluster::instance().drop_database(conninfo);
}

TEST(WebhookDurability, SigkillOfServeRightAfterAcceptingStillPlansEachDeliveryOnce) {
  std::string conninfo = testing::PgCluster::instance().create_database("kill");
  testing::GitRepoFixture repo;
  std::string sha = repo.commit({{".mlgate.yml", kConfig}}, "c1");
  testing::TempDir dir("mlgate-wh");
  json p = push_payload(sha);
  std::string body = p.dump();
  {
    testing::ServeProcess serve({.data_dir = dir.path(), .database_url = conninfo});
    ASSERT_EQ(register_acme(serve, dir.path(), repo.file_url()), 201);
    for (int i = 0; i < 5; ++i) {
      auto r = post_signed(serve.host_port(), body, "push", "kill-" + std::to_string(i), kSecret);
      ASSERT_EQ(r.status, 202) << r.body;
    }
    serve.process().signal(SIGKILL);
    serve.process().wait();
  }
  testing::ServeProcess again({.data_dir = dir.path(), .database_url = conninfo});
  auto counts = [&] {
    pqxx::connection c(conninfo);
    pqxx::nontransaction tx(c);
    auto r = tx.exec1(
        "SELECT (SELECT count(*) FROM pipelines), "
        "(SELECT count(*) FROM webhook_deliveries WHERE plan_state = 'pending')");
    return std::make_pair(r[0].as<int>(), r[1].as<int>());
  };
  EXPECT_TRUE(
      eventually([&] { return counts() == std::make_pair(5, 0); }, std::chrono::seconds(30)))
      << counts().first << " pipelines, " << counts().second << " pending";
  testing::PgCluster::instance().drop_database(conninfo);
}

TEST(WebhookDurability,
     DeliveriesArrivingWhilePostgresIsDownAreSpooledAndPlannedOnceWhenItReturns) {
  testing::TempDir pgdir("mlgate-ext-pg");
  store::EmbeddedPostgresOptions o;
  o.data_dir = pgdir.path();
  o.durable = false;
  store::EmbeddedPostgres pg(o);
  testing::GitRepoFixture repo;
  std::string sha = repo.commit({{".mlgate.yml", kConfig}}, "c1");
  testing::TempDir dir("mlgate-wh");
  testing::ServeProcess serve({.data_dir = dir.path(), .database_url = pg.conninfo()});
  ASSERT_EQ(register_acme(serve, dir.path(), repo.file_url()), 201);
  json p = push_payload(sha);
  std::string body = p.dump();
  auto post = [&](const std::string& delivery, const std::string& secret) {
    return post_signed(serve.host_port(), body, "push", delivery, secret);
  };
  // The server works against PostgreSQL; then PostgreSQL goes away. (The repo's secret is not
  // cached yet, so the delivery is spooled unverified and verified when drained.)
  std::string admin = strip(testing::read_file(dir.path() / "admin-token"));
  ASSERT_EQ(
      http_get(serve.host_port(), "/api/v1/repos", {{"Authorization", "Bearer " + admin}}).status,
      200);
  pg.stop();
  auto spooled = post("down-1", kSecret);
  EXPECT_EQ(spooled.status, 202) << spooled.body;
  EXPECT_EQ(json::parse(spooled.body, nullptr, false)["status"], "spooled") << spooled.body;
  auto again = post("down-1", kSecret);  // the forge retried: still only one pipeline later
  EXPECT_EQ(again.status, 202);
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "spool" / "webhooks.spool"));
  pg.start();
  auto pipelines = [&] {
    pqxx::connection c(pg.conninfo());
    pqxx::nontransaction tx(c);
    return tx.exec1("SELECT count(*) FROM pipelines")[0].as<int>();
  };
  ASSERT_TRUE(eventually([&] { return pipelines() == 1; }, std::chrono::seconds(30)))
      << serve.log();
  std::this_thread::sleep_for(std::chrono::seconds(2));
  EXPECT_EQ(pipelines(), 1);
  pqxx::connection c(pg.conninfo());
  pqxx::nontransaction tx(c);
  EXPECT_EQ(
      tx.exec1("SELECT count(*) FROM webhook_deliveries WHERE spooled AND verdict = 'accepted'")[0]
          .as<int>(),
      1);
}

TEST(WebhookDurability, AnAcceptedDeliveryNotYetPlannedIsPlannedAtTheNextStart) {
  std::string conninfo = testing::PgCluster::instance().create_database("wk");
  testing::GitRepoFixture repo;
  std::string sha = repo.commit({{".mlgate.yml", kConfig}}, "c1");
  json p = push_payload(sha);
  {
    // What a serve killed right after answering 202 leaves behind: an accepted, pending delivery.
    pqxx::connection c(conninfo);
    pqxx::work tx(c);
    tx.exec_params(
        "INSERT INTO repos (id, forge, full_name, clone_url, webhook_secret) VALUES "
        "(1, 'github', 'acme/model', $1, $2)",
        repo.file_url(), kSecret);
    tx.exec_params(
        "INSERT INTO webhook_deliveries (repo_id, forge, delivery_id, event, headers, body, "
        "verdict,"
        " http_status, plan_state) VALUES (1, 'github', 'k-1', 'push', $1::jsonb, $2, 'accepted', "
        "202, 'pending')",
        json{{"X-GitHub-Event", "push"}, {"X-GitHub-Delivery", "k-1"}}.dump(),
        pqxx::binarystring(p.dump()));
    tx.commit();
  }
  testing::TempDir dir("mlgate-wh");
  testing::ServeProcess serve({.data_dir = dir.path(), .database_url = conninfo});
  auto planned = [&] {
    pqxx::connection c(conninfo);
    pqxx::nontransaction tx(c);
    return tx
        .exec1(
            "SELECT count(*) FROM pipelines p JOIN webhook_deliveries d ON d.id = p.delivery_id "
            "WHERE d.plan_state = 'planned'")[0]
        .as<int>();
  };
  EXPECT_TRUE(eventually(planned, std::chrono::seconds(30))) << serve.log();
  testing::PgCluster::instance().drop_database(conninfo);
}

TEST(WebhookGit, PlansFromARepositoryServedOverSmartHttp) {
  testing::GitHttpServer git_server;
  auto bare = git_server.create_bare_repo("model.git");
  testing::GitRepoFixture repo;
  std::string sha = repo.commit({{".mlgate.yml", kConfig}}, "c1");
  repo.push(bare.string());
  std::string conninfo = testing::PgCluster::instance().create_database("gh");
  testing::TempDir dir("mlgate-wh");
  testing::ServeProcess serve({.data_dir = dir.path(), .database_url = conninfo});
  ASSERT_EQ(register_acme(serve, dir.path(), git_server.url("model.git")), 201);
  json p = push_payload(sha);
  std::string body = p.dump();
  auto r = post_signed(serve.host_port(), body, "push", "h-1", kSecret);
  ASSERT_EQ(r.status, 202) << r.body;
  auto jobs = [&] {
    pqxx::connection c(conninfo);
    pqxx::nontransaction tx(c);
    return tx.exec1("SELECT count(*) FROM jobs")[0].as<int>();
  };
  EXPECT_TRUE(eventually([&] { return jobs() == 2; }, std::chrono::seconds(30))) << serve.log();
  testing::PgCluster::instance().drop_database(conninfo);
}

}  // namespace
}  // namespace mlgate
