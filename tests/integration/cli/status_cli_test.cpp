// `mlgate status`, `pipelines`, `pipeline`, `logs`, `cancel` and `rubric` through the real binary,
// against a real `mlgate serve`, PostgreSQL and a local runner running real pipelines that were
// started by signed push webhooks (docs/cli.md).
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/support/git_fixture.h"
#include "tests/support/mlgate_process.h"
#include "tests/support/pg_cluster.h"
#include "tests/support/temp_dir.h"
#include "util/child_process.h"
#include "util/hash.h"
#include "webhooks/signature.h"

namespace mlgate {
namespace {

using nlohmann::json;
using testing::eventually;
using testing::http_get;
using testing::http_post;
namespace fs = std::filesystem;
using Headers = std::vector<std::pair<std::string, std::string>>;

const std::string kSecret = "status-cli-test-secret";

std::string strip(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

struct CliRun {
  int exit_code = -1;
  std::string output;
};

// One server, one database, the repos acme/model (pipelines) and acme/empty (none), one local
// runner; shared by every test of the suite because starting them takes seconds.
class StatusEnv {
 public:
  StatusEnv() {
    conninfo_ = testing::PgCluster::instance().create_database("status_cli");
    serve_ = std::make_unique<testing::ServeProcess>(testing::ServeProcessOptions{
        .data_dir = dir_.path() / "server", .database_url = conninfo_});
    admin_ = strip(testing::read_file(dir_.path() / "server" / "admin-token"));
    testing::write_file(token_file(), admin_ + "\n");
    for (const auto* name : {"acme/model", "acme/empty"}) {
      json reg = {{"forge", "github"},
                  {"name", name},
                  {"clone_url", repo_.file_url()},
                  {"secret", kSecret}};
      auto r = http_post(host(), "/api/v1/repos", reg.dump(), "application/json", admin());
      EXPECT_EQ(r.status, 201) << r.body;
    }
    auto t = http_post(host(), "/api/v1/runner-tokens", R"({"name":"test runners"})",
                       "application/json", admin());
    EXPECT_EQ(t.status, 201) << t.body;
    testing::write_file(dir_.path() / "registration-token",
                        json::parse(t.body)["token"].get<std::string>() + "\n");
    const fs::path work = dir_.path() / "runner";
    fs::create_directories(work);
    util::ChildOptions o;
    o.stdout_path = (work / "runner.log").string();
    o.stderr_path = "=stdout";
    o.parent_death_signal = SIGKILL;
    runner_ = util::ChildProcess(
        {MLGATE_BINARY, "runner", "--server", serve_->url(), "--token-file",
         (dir_.path() / "registration-token").string(), "--work-dir", work.string(), "--name", "r1",
         "--executor", "local", "--claim-wait", "2", "--capacity", "2"},
        o);
  }
  ~StatusEnv() {
    runner_ = util::ChildProcess();
    serve_.reset();
    testing::PgCluster::instance().drop_database(conninfo_);
  }

  std::string host() const { return serve_->host_port(); }
  std::string url() const { return serve_->url(); }
  Headers admin() const { return {{"Authorization", "Bearer " + admin_}}; }
  fs::path token_file() const { return dir_.path() / "admin-token"; }
  const fs::path& dir() const { return dir_.path(); }

  // Commits `files` and delivers a signed push of it to `branch`; returns the pipeline's id.
  long push(const std::string& branch, const std::map<std::string, std::string>& files,
            const std::string& message) {
    std::string sha = repo_.commit(files, message);
    json p = json::parse(
        testing::read_file(std::string(MLGATE_SHARED_FIXTURES) + "/webhooks/github/push.json"));
    p["ref"] = "refs/heads/" + branch;
    p["after"] = sha;
    p["head_commit"]["id"] = sha;
    p["head_commit"]["message"] = message;
    p["repository"]["full_name"] = "acme/model";
    p["repository"]["name"] = "model";
    std::string body = p.dump();
    auto r = http_post(host(), "/webhooks/github", body, "application/json",
                       {{"X-GitHub-Event", "push"},
                        {"X-GitHub-Delivery", "d-" + sha},
                        {"X-Hub-Signature-256", "sha256=" + util::hmac_sha256_hex(kSecret, body)}});
    EXPECT_EQ(r.status, 202) << r.body;
    long id = 0;
    eventually([&] {
      const json all = get("/api/v1/pipelines?limit=200");
      for (const auto& pl : all["pipelines"])
        if (pl["sha"] == sha) id = pl["id"].get<long>();
      return id != 0;
    });
    EXPECT_NE(id, 0) << "no pipeline for " << sha
                     << "; deliveries: " << get("/api/v1/webhooks/deliveries?limit=5").dump(1);
    return id;
  }

  json get(const std::string& path) {
    auto r = http_get(host(), path, admin());
    EXPECT_EQ(r.status, 200) << path << ": " << r.body;
    return json::parse(r.body, nullptr, false);
  }
  json pipeline(long id) { return get("/api/v1/pipelines/" + std::to_string(id)); }
  json wait_pipeline_end(long id) {
    json p;
    eventually(
        [&] {
          p = pipeline(id);
          const auto s = p.value("state", "");
          return s == "passed" || s == "failed" || s == "cancelled" || s == "error";
        },
        std::chrono::seconds(90));
    return p;
  }

  // The real binary with --url and --token-file (unless given in args).
  CliRun cli(std::vector<std::string> args, bool connect = true) {
    std::vector<std::string> argv = {MLGATE_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    if (connect) argv.insert(argv.end(), {"--url", url(), "--token-file", token_file().string()});
    CliRun r;
    int status = util::run_capture(argv, r.output);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
  }

 private:
  testing::TempDir dir_{"mlgate-status-cli"};
  testing::GitRepoFixture repo_;
  std::string conninfo_;
  std::unique_ptr<testing::ServeProcess> serve_;
  std::string admin_;
  util::ChildProcess runner_;
};

const char* kConfig = R"(version: 1
image: mlgate/busybox:test
tiers:
  functionality:
    run: sh functionality.sh
  validation:
    needs: [functionality]
    run: echo validated
gates:
  production:
    require: [functionality, validation]
    metrics:
      - {name: accuracy, min: 0.90}
)";

// A functionality tier writing a JUnit report (one failure when `fail`) and metrics.
std::string functionality_script(bool fail) {
  std::string junit =
      R"(<testsuite name="functionality" tests="2" failures=")" + std::string(fail ? "1" : "0") +
      R"("><testcase classname="tests.test_model" name="test_shape"/>)" +
      R"(<testcase classname="tests.test_model" name="test_known_examples">)" +
      (fail ? R"(<failure message="3 of 5 known examples misclassified">trace</failure>)" : "") +
      "</testcase></testsuite>";
  return "cat > \"$MLGATE_RESULTS/junit.xml\" <<'XML'\n" + junit +
         "\nXML\n"
         "echo '{\"metrics\": {\"accuracy\": 0.93}}' > \"$MLGATE_RESULTS/metrics.json\"\n" +
         (fail ? "exit 1\n" : "exit 0\n");
}

// The cell of `column` in every line of a table (by the header's column offsets).
std::vector<std::string> column(const std::string& table, const std::string& name) {
  std::istringstream in(table);
  std::string header;
  std::getline(in, header);
  const auto start = header.find(name);
  std::vector<std::string> out;
  if (start == std::string::npos) return out;
  std::string line;
  while (std::getline(in, line) && !line.empty()) {
    std::string cell = line.size() > start ? line.substr(start) : "";
    out.push_back(cell.substr(0, cell.find("  ")));
  }
  return out;
}

class StatusCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    env_ = new StatusEnv();
    passed_ = env_->push(
        "main", {{".mlgate.yml", kConfig}, {"functionality.sh", functionality_script(false)}},
        "Train on the 2024 data\n\nLonger body.");
    ASSERT_EQ(env_->wait_pipeline_end(passed_)["state"], "passed");
    failed_ = env_->push(
        "dev", {{".mlgate.yml", kConfig}, {"functionality.sh", functionality_script(true)}},
        "Drop the age feature");
    ASSERT_EQ(env_->wait_pipeline_end(failed_)["state"], "failed");
    // A stored gate decision for the failed commit (deny: a required tier failed).
    const auto sha = env_->pipeline(failed_)["sha"].get<std::string>();
    auto g = http_get(env_->host(),
                      "/api/v1/repos/acme/model/gate?sha=" + sha + "&environment=production",
                      env_->admin());
    ASSERT_EQ(g.status, 200) << g.body;
    ASSERT_EQ(json::parse(g.body)["decision"], "deny") << g.body;
  }
  static void TearDownTestSuite() {
    delete env_;
    env_ = nullptr;
  }
  static StatusEnv* env_;
  static long passed_;
  static long failed_;
};
StatusEnv* StatusCli::env_ = nullptr;
long StatusCli::passed_ = 0;
long StatusCli::failed_ = 0;

TEST_F(StatusCli, StatusShowsTheLatestPipelinePerBranchAndExitsOneWhenOneFailed) {
  auto all = env_->cli({"status"});
  EXPECT_EQ(all.exit_code, 1) << all.output;  // dev's latest pipeline failed
  EXPECT_EQ(all.output.rfind("REPO", 0), 0u) << all.output;
  EXPECT_NE(all.output.find("FUNCTIONALITY"), std::string::npos) << all.output;
  const auto repos = column(all.output, "REPO");
  const auto branches = column(all.output, "BRANCH");
  const auto states = column(all.output, "STATE");
  ASSERT_EQ(repos.size(), branches.size());
  ASSERT_EQ(repos.size(), states.size());
  bool main_passed = false, dev_failed = false, empty_none = false;
  for (size_t i = 0; i < repos.size(); ++i) {
    main_passed |= repos[i] == "acme/model" && branches[i] == "main" && states[i] == "passed";
    dev_failed |= repos[i] == "acme/model" && branches[i] == "dev" && states[i] == "failed";
    empty_none |= repos[i] == "acme/empty" && states[i] == "none";
  }
  EXPECT_TRUE(main_passed) << all.output;
  EXPECT_TRUE(dev_failed) << all.output;
  EXPECT_TRUE(empty_none) << all.output;

  auto main = env_->cli({"status", "--repo", "acme/model", "--branch", "main"});
  EXPECT_EQ(main.exit_code, 0) << main.output;
  EXPECT_EQ(column(main.output, "PIPELINE"), std::vector<std::string>{std::to_string(passed_)})
      << main.output;
  EXPECT_EQ(column(main.output, "VALIDATION"), std::vector<std::string>{"passed"}) << main.output;
  EXPECT_NE(main.output.find(" ago"), std::string::npos) << main.output;

  auto as_json = env_->cli({"status", "--repo", "acme/model", "--json"});
  EXPECT_EQ(as_json.exit_code, 1) << as_json.output;
  auto j = json::parse(as_json.output, nullptr, false);
  ASSERT_TRUE(j.is_object()) << as_json.output;
  ASSERT_EQ(j["repos"].size(), 1u) << as_json.output;
  EXPECT_EQ(j["repos"][0]["name"], "acme/model");
  std::map<std::string, json> by_branch;
  for (const auto& b : j["repos"][0]["branches"]) by_branch[b["branch"]] = b["pipeline"];
  ASSERT_TRUE(by_branch.count("main") && by_branch.count("dev")) << as_json.output;
  EXPECT_EQ(by_branch["main"]["id"], passed_);
  EXPECT_EQ(by_branch["main"]["tiers"]["functionality"], "passed");
  EXPECT_EQ(by_branch["dev"]["tiers"]["validation"], "skipped");
  EXPECT_TRUE(by_branch["main"]["age_seconds"].is_number());
}

TEST_F(StatusCli, PipelinesListsNewestFirstWithFilters) {
  auto all = env_->cli({"pipelines", "--repo", "acme/model"});
  EXPECT_EQ(all.exit_code, 0) << all.output;
  const auto ids = column(all.output, "ID");
  const auto pos_failed = std::find(ids.begin(), ids.end(), std::to_string(failed_));
  const auto pos_passed = std::find(ids.begin(), ids.end(), std::to_string(passed_));
  ASSERT_NE(pos_failed, ids.end()) << all.output;
  ASSERT_NE(pos_passed, ids.end()) << all.output;
  EXPECT_LT(pos_failed, pos_passed) << "newest first\n" << all.output;
  // The message column holds the first line only.
  EXPECT_NE(all.output.find("Train on the 2024 data"), std::string::npos) << all.output;
  EXPECT_EQ(all.output.find("Longer body"), std::string::npos) << all.output;

  auto dev = env_->cli({"pipelines", "--repo", "acme/model", "--branch", "dev", "--json"});
  EXPECT_EQ(dev.exit_code, 0) << dev.output;
  auto j = json::parse(dev.output, nullptr, false);
  ASSERT_TRUE(j.is_object()) << dev.output;
  ASSERT_EQ(j["pipelines"].size(), 1u) << dev.output;
  const auto& p = j["pipelines"][0];
  EXPECT_EQ(p["id"], failed_);
  EXPECT_EQ(p["state"], "failed");
  EXPECT_EQ(p["commit_message"], "Drop the age feature");
  EXPECT_TRUE(p["duration_seconds"].is_number()) << p.dump();
  EXPECT_EQ(p["jobs"][0]["tests"]["failed"], 1) << p.dump();

  auto one = env_->cli({"pipelines", "--limit", "1", "--json"});
  EXPECT_EQ(one.exit_code, 0) << one.output;
  EXPECT_EQ(json::parse(one.output)["pipelines"].size(), 1u) << one.output;

  auto bad_limit = env_->cli({"pipelines", "--limit", "zero"});
  EXPECT_EQ(bad_limit.exit_code, 2) << bad_limit.output;
  EXPECT_NE(bad_limit.output.find("--limit"), std::string::npos) << bad_limit.output;
}

TEST_F(StatusCli, PipelineShowsJobsFailingTestsAndGateDecisions) {
  auto failed = env_->cli({"pipeline", std::to_string(failed_)});
  EXPECT_EQ(failed.exit_code, 1) << failed.output;
  EXPECT_NE(failed.output.find("Drop the age feature"), std::string::npos) << failed.output;
  const auto jobs_table = failed.output.substr(failed.output.find("TIER"));
  EXPECT_EQ(column(jobs_table, "STATE"), (std::vector<std::string>{"failed", "skipped"}))
      << failed.output;
  EXPECT_EQ(column(jobs_table, "ATTEMPTS")[0], "1/3") << failed.output;
  EXPECT_EQ(column(jobs_table, "RUNNER")[0], "r1") << failed.output;
  EXPECT_EQ(column(jobs_table, "TESTS")[0], "1/2 passed") << failed.output;
  EXPECT_NE(failed.output.find("failing tests:"), std::string::npos) << failed.output;
  EXPECT_NE(failed.output.find("tests.test_model::test_known_examples"), std::string::npos)
      << failed.output;
  EXPECT_NE(failed.output.find("3 of 5 known examples misclassified"), std::string::npos)
      << failed.output;
  const auto gate_table = failed.output.substr(failed.output.find("ENVIRONMENT"));
  EXPECT_EQ(column(gate_table, "DECISION"), std::vector<std::string>{"deny"}) << failed.output;
  EXPECT_NE(gate_table.find("functionality"), std::string::npos) << failed.output;

  auto as_json = env_->cli({"pipeline", std::to_string(failed_), "--json"});
  EXPECT_EQ(as_json.exit_code, 1) << as_json.output;
  auto j = json::parse(as_json.output, nullptr, false);
  ASSERT_TRUE(j.is_object()) << as_json.output;
  ASSERT_EQ(j["failing_tests"].size(), 1u) << as_json.output;
  EXPECT_EQ(j["failing_tests"][0]["name"], "test_known_examples");
  EXPECT_EQ(j["failing_tests"][0]["tier"], "functionality");
  ASSERT_EQ(j["gate_decisions"].size(), 1u) << as_json.output;
  EXPECT_EQ(j["gate_decisions"][0]["environment"], "production");
  EXPECT_EQ(j["gate_decisions"][0]["decision"], "deny");
  EXPECT_FALSE(j["gate_decisions"][0]["blocking"].empty()) << as_json.output;
  EXPECT_EQ(j["jobs"][0]["runner"]["name"], "r1");
  EXPECT_EQ(j["jobs"][0]["exit_code"], 1);

  auto passed = env_->cli({"pipeline", std::to_string(passed_)});
  EXPECT_EQ(passed.exit_code, 0) << passed.output;
  EXPECT_EQ(passed.output.find("failing tests:"), std::string::npos) << passed.output;
}

TEST_F(StatusCli, LogsFollowPrintsARunningJobUntilItEndsAndExitsWithItsOutcome) {
  const auto flag = env_->dir() / "release-the-job";
  const std::string script =
      "echo first-line\n"
      "while [ ! -f '" +
      flag.string() +
      "' ]; do sleep 0.1; done\n"
      "printf 'last-line\\n'\n"
      "exit 3\n";
  const long id =
      env_->push("slow", {{".mlgate.yml", kConfig}, {"functionality.sh", script}}, "A slow one");
  long job = 0;
  ASSERT_TRUE(eventually([&] {
    auto p = env_->pipeline(id);
    job = p["jobs"][0]["id"].get<long>();
    if (p["jobs"][0]["state"] != "running") return false;
    auto log =
        http_get(env_->host(), "/api/v1/jobs/" + std::to_string(job) + "/log", env_->admin());
    return log.body.find("first-line") != std::string::npos;
  }));

  const auto out = env_->dir() / "follow.out";
  const auto err = env_->dir() / "follow.err";
  util::ChildOptions o;
  o.stdout_path = out.string();
  o.stderr_path = err.string();
  util::ChildProcess follow({MLGATE_BINARY, "logs", std::to_string(job), "--follow", "--url",
                             env_->url(), "--token-file", env_->token_file().string()},
                            o);
  ASSERT_TRUE(eventually([&] {
    return fs::exists(out) && testing::read_file(out).find("first-line") != std::string::npos;
  }));
  EXPECT_TRUE(follow.running()) << "--follow must wait while the job runs";
  testing::write_file(flag, "go\n");
  auto status = follow.wait_for(std::chrono::seconds(60));
  ASSERT_TRUE(status.has_value()) << "logs --follow did not end with the job";
  EXPECT_TRUE(WIFEXITED(*status));
  EXPECT_EQ(WEXITSTATUS(*status), 1) << testing::read_file(err);
  // Exactly the stored log's bytes (the runner's own [mlgate] lines included), nothing else.
  const auto stored =
      http_get(env_->host(), "/api/v1/jobs/" + std::to_string(job) + "/log", env_->admin());
  ASSERT_EQ(stored.status, 200);
  EXPECT_NE(stored.body.find("first-line\nlast-line\n"), std::string::npos) << stored.body;
  EXPECT_EQ(testing::read_file(out), stored.body);
  EXPECT_NE(testing::read_file(err).find("job " + std::to_string(job) + " failed: exited with 3"),
            std::string::npos)
      << testing::read_file(err);

  // Without --follow: the whole log of the ended job, the same exit code.
  auto again = env_->cli({"logs", std::to_string(job)});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_EQ(again.output.rfind(stored.body, 0), 0u) << again.output;

  // A passed job exits 0.
  const auto passed_job = env_->pipeline(passed_)["jobs"][0]["id"].get<long>();
  auto ok = env_->cli({"logs", std::to_string(passed_job), "--follow"});
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
}

TEST_F(StatusCli, CancelStopsAPipelineAndSaysWhenNothingIsLeft) {
  const auto flag = env_->dir() / "never-created";
  const std::string script =
      "echo waiting\nwhile [ ! -f '" + flag.string() + "' ]; do sleep 0.1; done\n";
  const long id = env_->push("to-cancel", {{".mlgate.yml", kConfig}, {"functionality.sh", script}},
                             "Cancel me");
  long job = 0;
  ASSERT_TRUE(eventually([&] {
    auto p = env_->pipeline(id);
    job = p["jobs"][0]["id"].get<long>();
    return p["jobs"][0]["state"] == "running";
  }));
  auto cancel = env_->cli({"cancel", std::to_string(id)});
  EXPECT_EQ(cancel.exit_code, 0) << cancel.output;
  EXPECT_NE(cancel.output.find("cancelling 2 jobs"), std::string::npos) << cancel.output;
  EXPECT_EQ(env_->wait_pipeline_end(id)["state"], "cancelled");

  auto nothing = env_->cli({"cancel", std::to_string(id)});
  EXPECT_EQ(nothing.exit_code, 1) << nothing.output;
  EXPECT_NE(nothing.output.find("no queued or running job"), std::string::npos) << nothing.output;
  auto ended = env_->cli({"cancel", "--job", std::to_string(job)});
  EXPECT_EQ(ended.exit_code, 1) << ended.output;
  EXPECT_NE(ended.output.find("already ended"), std::string::npos) << ended.output;
  auto as_json = env_->cli({"pipeline", std::to_string(id), "--json"});
  EXPECT_EQ(as_json.exit_code, 1) << as_json.output;  // a cancelled pipeline did not pass
  EXPECT_EQ(json::parse(as_json.output)["tiers"]["functionality"], "cancelled");
}

// A port nothing listens on: bound, then closed.
int closed_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

TEST_F(StatusCli, ErrorsNameTheUrlTheTokenAndTheUnknownThing) {
  const std::string dead = "http://127.0.0.1:" + std::to_string(closed_port());
  auto refused =
      env_->cli({"status", "--url", dead, "--token-file", env_->token_file().string()}, false);
  EXPECT_EQ(refused.exit_code, 3) << refused.output;
  EXPECT_NE(refused.output.find("cannot reach mlgate at " + dead), std::string::npos)
      << refused.output;

  const auto bad_token = env_->dir() / "bad-token";
  testing::write_file(bad_token, "mlg_not_a_real_token\n");
  auto unauthorised =
      env_->cli({"pipelines", "--url", env_->url(), "--token-file", bad_token.string()}, false);
  EXPECT_EQ(unauthorised.exit_code, 4) << unauthorised.output;
  EXPECT_NE(unauthorised.output.find("not authorised"), std::string::npos) << unauthorised.output;

  for (const auto& args : std::vector<std::vector<std::string>>{
           {"status", "--repo", "nobody/nothing"}, {"pipelines", "--repo", "nobody/nothing"}}) {
    auto r = env_->cli(args);
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_NE(r.output.find("no repository nobody/nothing"), std::string::npos) << r.output;
  }
  auto no_pipeline = env_->cli({"pipeline", "987654"});
  EXPECT_EQ(no_pipeline.exit_code, 2) << no_pipeline.output;
  EXPECT_NE(no_pipeline.output.find("no pipeline 987654"), std::string::npos) << no_pipeline.output;
  auto no_job = env_->cli({"logs", "987654"});
  EXPECT_EQ(no_job.exit_code, 2) << no_job.output;
  EXPECT_NE(no_job.output.find("no job 987654"), std::string::npos) << no_job.output;
  auto no_cancel = env_->cli({"cancel", "987654"});
  EXPECT_EQ(no_cancel.exit_code, 2) << no_cancel.output;

  auto not_a_number = env_->cli({"pipeline", "latest"});
  EXPECT_EQ(not_a_number.exit_code, 2) << not_a_number.output;
  auto missing = env_->cli({"logs"});
  EXPECT_EQ(missing.exit_code, 2) << missing.output;
}

TEST(RubricCli, ListsThe28ItemsOfflineAsATableAndAsJson) {
  std::string out;
  // No server, no URL, no token.
  int status = util::run_capture({MLGATE_BINARY, "rubric"}, out);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << out;
  const auto ids = column(out, "ID");
  ASSERT_EQ(ids.size(), 28u) << out;
  EXPECT_EQ(ids.front(), "data-1");
  EXPECT_EQ(ids.back(), "monitor-7");
  EXPECT_EQ(column(out, "SECTION")[14], "Tests for ML Infrastructure") << out;
  EXPECT_NE(out.find("Training is reproducible."), std::string::npos) << out;

  std::string js;
  status = util::run_capture({MLGATE_BINARY, "rubric", "--json"}, js);
  EXPECT_EQ(WEXITSTATUS(status), 0) << js;
  auto j = json::parse(js, nullptr, false);
  ASSERT_TRUE(j.is_object()) << js;
  ASSERT_EQ(j["sections"].size(), 4u);
  for (const auto& s : j["sections"]) EXPECT_EQ(s["items"].size(), 7u) << s.dump();
  EXPECT_EQ(j["sections"][1]["id"], "model");
  EXPECT_EQ(j["sections"][1]["items"][5]["id"], "model-6");
  EXPECT_EQ(j["sections"][1]["items"][5]["title"],
            "Model quality is sufficient on important data slices.");
}

}  // namespace
}  // namespace mlgate
