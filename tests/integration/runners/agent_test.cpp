// The runner protocol and the runner agent end to end: the real `mlgate serve` (on a throwaway
// PostgreSQL), real `mlgate runner` processes with the local and the Docker executor, real git
// repositories, signed webhooks. Crash paths are real too: runners are SIGKILLed.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>

#include <ctime>
#include <iostream>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <sstream>
#include <thread>

#include "store/pipelines.h"
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

const std::string kSecret = "runner-test-secret";

std::string strip(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

json fixture(const std::string& name) {
  return json::parse(testing::read_file(std::string(MLGATE_SHARED_FIXTURES) + "/webhooks/" + name));
}

// A server on its own database, an admin token, a registered repo and a runner registration
// token; runners are started on demand.
class RunnerEnv {
 public:
  explicit RunnerEnv(std::vector<std::string> serve_args = {}) {
    conninfo_ = testing::PgCluster::instance().create_database("rn");
    serve_ = std::make_unique<testing::ServeProcess>(testing::ServeProcessOptions{
        .data_dir = dir_.path() / "server", .database_url = conninfo_, .extra_args = serve_args});
    admin_ = strip(testing::read_file(dir_.path() / "server" / "admin-token"));
    json reg = {{"forge", "github"},
                {"name", "acme/model"},
                {"clone_url", repo_.file_url()},
                {"secret", kSecret}};
    auto r = http_post(host(), "/api/v1/repos", reg.dump(), "application/json", admin());
    EXPECT_EQ(r.status, 201) << r.body;
    auto t = http_post(host(), "/api/v1/runner-tokens", R"({"name":"test runners"})",
                       "application/json", admin());
    EXPECT_EQ(t.status, 201) << t.body;
    registration_token_ = json::parse(t.body)["token"];
    testing::write_file(dir_.path() / "registration-token", registration_token_ + "\n");
  }
  ~RunnerEnv() {
    runners_.clear();
    serve_.reset();
    testing::PgCluster::instance().drop_database(conninfo_);
  }

  std::string host() const { return serve_->host_port(); }
  std::vector<std::pair<std::string, std::string>> admin() const {
    return {{"Authorization", "Bearer " + admin_}};
  }
  testing::GitRepoFixture& repo() { return repo_; }
  const fs::path& dir() const { return dir_.path(); }
  const std::string& registration_token() const { return registration_token_; }
  testing::ServeProcess& serve() { return *serve_; }

  // Pushes a commit with this .mlgate.yml (and files) and sends the signed push; returns the sha.
  std::string push(const std::string& config, std::map<std::string, std::string> files = {},
                   const std::string& delivery = "") {
    files[".mlgate.yml"] = config;
    std::string sha = repo_.commit(files, "commit " + std::to_string(++commits_));
    json p = fixture("github/push.json");
    p["ref"] = "refs/heads/main";
    p["after"] = sha;
    p["head_commit"]["id"] = sha;
    p["repository"]["full_name"] = "acme/model";
    p["repository"]["name"] = "model";
    std::string body = p.dump();
    auto r = http_post(host(), "/webhooks/github", body, "application/json",
                       {{"X-GitHub-Event", "push"},
                        {"X-GitHub-Delivery", delivery.empty() ? "d-" + sha : delivery},
                        {"X-Hub-Signature-256", "sha256=" + util::hmac_sha256_hex(kSecret, body)}});
    EXPECT_EQ(r.status, 202) << r.body;
    return sha;
  }

  // Starts `mlgate runner` with its own work dir; returns its index.
  size_t start_runner(const std::string& name, std::vector<std::string> extra = {},
                      const std::string& executor = "local") {
    fs::path work = dir_.path() / ("runner-" + name);
    fs::create_directories(work);
    std::vector<std::string> argv = {MLGATE_BINARY,  "runner",
                                     "--server",     serve_->url(),
                                     "--token-file", (dir_.path() / "registration-token").string(),
                                     "--work-dir",   work.string(),
                                     "--name",       name,
                                     "--executor",   executor,
                                     "--claim-wait", "2"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    util::ChildOptions o;
    o.stdout_path = (work / "runner.log").string();
    o.stderr_path = "=stdout";
    o.die_with_parent = true;
    o.parent_death_signal = SIGKILL;
    runners_.push_back(std::make_unique<util::ChildProcess>(argv, o));
    return runners_.size() - 1;
  }
  util::ChildProcess& runner(size_t i) { return *runners_.at(i); }
  std::string runner_log(const std::string& name) const {
    return testing::read_file(dir_.path() / ("runner-" + name) / "runner.log");
  }
  // The key a runner keeps in its runner.json: its containers' name part and mlgate.runner label.
  std::string runner_key(const std::string& name) const {
    auto j = json::parse(testing::read_file(dir_.path() / ("runner-" + name) / "runner.json"),
                         nullptr, false);
    return j.is_object() ? j.value("key", std::string()) : std::string();
  }

  json get(const std::string& path) {
    auto r = http_get(host(), path, admin());
    EXPECT_EQ(r.status, 200) << path << ": " << r.body;
    return json::parse(r.body, nullptr, false);
  }
  json pipeline_of(const std::string& sha) {
    const json all = get("/api/v1/pipelines?limit=200");
    for (const auto& p : all["pipelines"])
      if (p["sha"] == sha) return get("/api/v1/pipelines/" + std::to_string(p["id"].get<long>()));
    return json();
  }
  // Waits until the pipeline of `sha` exists and has ended (passed, failed, cancelled, error).
  json wait_pipeline_end(const std::string& sha,
                         std::chrono::seconds timeout = std::chrono::seconds(60)) {
    json p;
    eventually(
        [&] {
          p = pipeline_of(sha);
          if (p.is_null()) return false;
          auto s = p["state"].get<std::string>();
          return s == "passed" || s == "failed" || s == "cancelled" || s == "error";
        },
        timeout);
    return p;
  }
  // Waits until the functionality job of `sha`'s pipeline is running and `also(job)` holds;
  // returns the job (null when it never happened).
  json wait_functionality_running(const std::string& sha,
                                  const std::function<bool(const json&)>& also = {},
                                  std::chrono::seconds timeout = std::chrono::seconds(60)) {
    json found;
    bool ok = eventually(
        [&] {
          auto p = pipeline_of(sha);
          if (p.is_null()) return false;
          found = job(p, "functionality");
          return found["state"] == "running" && (!also || also(found));
        },
        timeout);
    return ok ? found : json();
  }
  json job(const json& pipeline, const std::string& tier) {
    for (const auto& j : pipeline["jobs"])
      if (j["tier"] == tier) return get("/api/v1/jobs/" + std::to_string(j["id"].get<long>()));
    return json();
  }
  std::string log_of(long job_id) {
    return http_get(host(), "/api/v1/jobs/" + std::to_string(job_id) + "/log", admin()).body;
  }
  long sql_long(const std::string& sql) {
    pqxx::connection c(conninfo_);
    pqxx::nontransaction tx(c);
    return tx.exec1(sql)[0].as<long>();
  }
  const std::string& conninfo() const { return conninfo_; }

 private:
  testing::TempDir dir_{"mlgate-rn"};
  testing::GitRepoFixture repo_;
  std::string conninfo_;
  std::unique_ptr<testing::ServeProcess> serve_;
  std::string admin_;
  std::string registration_token_;
  std::vector<std::unique_ptr<util::ChildProcess>> runners_;
  int commits_ = 0;
};

// A tier command that hands back results in every supported form.
const char* kResultsConfig = R"(version: 1
image: mlgate/busybox:test
tiers:
  functionality:
    run: sh write_results.sh
  validation:
    needs: [functionality]
    run: echo "validation on $MLGATE_SHA"
)";

const char* kWriteResults = R"(set -e
echo "functionality of $MLGATE_REPO at $MLGATE_SHA, tier $MLGATE_TIER"
cat > "$MLGATE_RESULTS/metrics.json" <<'JSON'
{"metrics": {"accuracy": 0.93, "latency_p95_ms": 41.5},
 "slices": {"age_group": {"<30": {"recall": 0.85, "n": 412}, "30+": {"recall": 0.81, "n": 280}}}}
JSON
cat > "$MLGATE_RESULTS/junit.xml" <<'XML'
<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" tests="2" failures="1">
<testcase classname="tests.test_schema" name="test_schema" time="0.01">
<properties><property name="mltest" value="data-1"/></properties></testcase>
<testcase classname="tests.test_model" name="test_slice" time="0.2"><failure message="recall too low">assert 0.7 &gt; 0.8</failure></testcase>
</testsuite></testsuites>
XML
printf '{"id": "a", "label": 1, "score": 0.9}\n{"id": "b", "label": 0, "score": 0.2}\n' > "$MLGATE_RESULTS/predictions.jsonl"
)";

TEST(RunnerProtocol, RegistrationNeedsARegistrationTokenAndGivesARunnerCredential) {
  RunnerEnv env;
  // No token, a wrong token, and a read-only token are refused.
  EXPECT_EQ(http_post(env.host(), "/api/v1/runner/register", R"({"name":"r"})").status, 401);
  EXPECT_EQ(http_post(env.host(), "/api/v1/runner/register", R"({"name":"r"})", "application/json",
                      {{"Authorization", "Bearer mlg_wrong"}})
                .status,
            401);
  auto reg =
      http_post(env.host(), "/api/v1/runner/register",
                R"({"name":"gpu-1","tiers":["validation"],"capacity":2,"executor":"local"})",
                "application/json", {{"Authorization", "Bearer " + env.registration_token()}});
  ASSERT_EQ(reg.status, 201) << reg.body;
  auto body = json::parse(reg.body);
  std::string credential = body["token"];
  EXPECT_EQ(credential.rfind("mlgr_", 0), 0u);
  EXPECT_EQ(body["lease_seconds"], 60);
  EXPECT_EQ(body["heartbeat_seconds"], 20);
  // The registration token is not a runner credential, and a bad body is a 400.
  EXPECT_EQ(http_post(env.host(), "/api/v1/runner/jobs/request", R"({"wait_seconds":0})",
                      "application/json", {{"Authorization", "Bearer " + env.registration_token()}})
                .status,
            401);
  EXPECT_EQ(http_post(env.host(), "/api/v1/runner/register", R"({"name":"x","capacity":0})",
                      "application/json", {{"Authorization", "Bearer " + env.registration_token()}})
                .status,
            400);
  // The credential works: nothing queued → 204 after the wait.
  auto poll = http_post(env.host(), "/api/v1/runner/jobs/request", R"({"wait_seconds":0})",
                        "application/json", {{"Authorization", "Bearer " + credential}});
  EXPECT_EQ(poll.status, 204) << poll.body;
  auto runners = env.get("/api/v1/runners")["runners"];
  ASSERT_EQ(runners.size(), 1u);
  EXPECT_EQ(runners[0]["name"], "gpu-1");
  EXPECT_EQ(runners[0]["tiers"], json({"validation"}));
  EXPECT_EQ(runners[0]["online"], true);
}

TEST(RunnerProtocol, AWaitingClaimIsWokenByAPushAndTheProtocolStepsAreIdempotent) {
  RunnerEnv env;
  auto reg =
      http_post(env.host(), "/api/v1/runner/register", R"({"name":"p","executor":"local"})",
                "application/json", {{"Authorization", "Bearer " + env.registration_token()}});
  ASSERT_EQ(reg.status, 201);
  const std::vector<std::pair<std::string, std::string>> auth = {
      {"Authorization", "Bearer " + json::parse(reg.body)["token"].get<std::string>()}};

  // A long poll of up to 25 s is answered as soon as the push is planned.
  testing::HttpResult claim;
  auto started = std::chrono::steady_clock::now();
  std::thread poller([&] {
    claim = http_post(env.host(), "/api/v1/runner/jobs/request", R"({"wait_seconds":25})",
                      "application/json", auth);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  auto sha = env.push(kResultsConfig, {{"write_results.sh", kWriteResults}});
  poller.join();
  auto waited = std::chrono::steady_clock::now() - started;
  ASSERT_EQ(claim.status, 200) << claim.body;
  EXPECT_LT(waited, std::chrono::seconds(15))
      << "the claim waited for the poll's end, not the NOTIFY";
  auto c = json::parse(claim.body);
  auto job = c["job"];
  EXPECT_EQ(job["tier"], "functionality");  // validation waits for it
  EXPECT_EQ(job["sha"], sha);
  EXPECT_EQ(job["attempt"], 1);
  EXPECT_EQ(job["repo"], "acme/model");
  EXPECT_EQ(job["image"], "mlgate/busybox:test");
  EXPECT_EQ(job["command"], "sh write_results.sh");
  // A tier without resources gets the server's defaults.
  EXPECT_EQ(job["resources"], json({{"cpus", 2.0}, {"memory_bytes", 4294967296}, {"pids", 1024}}));
  const std::string base = "/api/v1/runner/jobs/" + std::to_string(job["id"].get<long>());

  // Heartbeat and lease check; a wrong attempt has lost its lease.
  auto hb =
      http_post(env.host(), base + "/heartbeat", R"({"attempt":1})", "application/json", auth);
  EXPECT_EQ(hb.status, 200) << hb.body;
  EXPECT_EQ(json::parse(hb.body)["cancel"], false);
  EXPECT_EQ(http_post(env.host(), base + "/heartbeat", R"({"attempt":2})", "application/json", auth)
                .status,
            409);

  // Log chunks by offset: a retried chunk is stored once; a gap is refused with the stored size.
  EXPECT_EQ(
      http_post(env.host(), base + "/log?attempt=1&offset=0", "hello ", "text/plain", auth).status,
      200);
  EXPECT_EQ(
      http_post(env.host(), base + "/log?attempt=1&offset=0", "hello ", "text/plain", auth).status,
      200);
  EXPECT_EQ(
      http_post(env.host(), base + "/log?attempt=1&offset=6", "world\n", "text/plain", auth).status,
      200);
  auto gap = http_post(env.host(), base + "/log?attempt=1&offset=100", "x", "text/plain", auth);
  EXPECT_EQ(gap.status, 409);
  EXPECT_EQ(json::parse(gap.body)["log_bytes"], 12);
  EXPECT_EQ(env.log_of(job["id"]), "hello world\n");

  // A malformed metrics.json is refused with its position, and fails the job although it exits 0.
  testing::HttpResult bad;
  {
    httplib::Client cli("127.0.0.1", env.serve().port());
    httplib::Headers h = {{"Authorization", auth[0].second}};
    auto r = cli.Put((base + "/results/metrics.json?attempt=1").c_str(), h,
                     "{\"metrics\": {\"accuracy\": 0.9,\n  \"f1\": }}", "application/json");
    ASSERT_TRUE(r);
    bad = {r->status, r->body};
    auto ok =
        cli.Put((base + "/results/junit.xml?attempt=1").c_str(), h,
                R"(<testsuite><testcase name="t" classname="c"/></testsuite>)", "application/xml");
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->status, 200) << ok->body;
    auto unknown = cli.Put((base + "/results/secrets.txt?attempt=1").c_str(), h, "x", "text/plain");
    ASSERT_TRUE(unknown);
    EXPECT_EQ(unknown->status, 404);
  }
  EXPECT_EQ(bad.status, 422) << bad.body;
  EXPECT_NE(bad.body.find("metrics.json:2:"), std::string::npos) << bad.body;

  auto fin =
      http_post(env.host(), base + "/finish", R"({"attempt":1,"outcome":"exited","exit_code":0})",
                "application/json", auth);
  ASSERT_EQ(fin.status, 200) << fin.body;
  EXPECT_EQ(json::parse(fin.body)["state"], "failed");
  // A second finish of the same attempt is refused: no double finish.
  EXPECT_EQ(http_post(env.host(), base + "/finish",
                      R"({"attempt":1,"outcome":"exited","exit_code":0})", "application/json", auth)
                .status,
            409);
  auto j = env.get("/api/v1/jobs/" + std::to_string(job["id"].get<long>()));
  EXPECT_EQ(j["state"], "failed");
  EXPECT_NE(j["message"].get<std::string>().find("metrics.json:2:"), std::string::npos) << j;
  EXPECT_EQ(j["tests"].size(), 1u);
  // The failed need skips validation, and the pipeline fails.
  auto p = env.wait_pipeline_end(sha);
  EXPECT_EQ(p["state"], "failed");
  EXPECT_EQ(env.job(p, "validation")["state"], "skipped");
}

// A client that sends a results file over its cap whole (not the agent's cap + 1 bytes with the
// real size in a header) is refused with 413, and the file is recorded on the job all the same:
// the job fails although the command exits 0. Declared by Content-Length or streamed in chunks.
// A job pushed and claimed through the protocol by a runner registered for it.
struct ClaimedJob {
  std::string credential;
  std::vector<std::pair<std::string, std::string>> auth;
  long id = 0;
  std::string base;  // /api/v1/runner/jobs/<id>
};

ClaimedJob push_and_claim(RunnerEnv& env) {
  ClaimedJob out;
  auto reg =
      http_post(env.host(), "/api/v1/runner/register", R"({"name":"p","executor":"local"})",
                "application/json", {{"Authorization", "Bearer " + env.registration_token()}});
  EXPECT_EQ(reg.status, 201) << reg.body;
  out.credential = json::parse(reg.body)["token"].get<std::string>();
  out.auth = {{"Authorization", "Bearer " + out.credential}};
  env.push(kResultsConfig, {{"write_results.sh", kWriteResults}});
  testing::HttpResult claim;
  EXPECT_TRUE(testing::eventually([&] {
    claim = http_post(env.host(), "/api/v1/runner/jobs/request", R"({"wait_seconds":1})",
                      "application/json", out.auth);
    return claim.status == 200;
  })) << claim.body;
  out.id = json::parse(claim.body)["job"]["id"].get<long>();
  out.base = "/api/v1/runner/jobs/" + std::to_string(out.id);
  return out;
}

TEST(RunnerProtocol, AResultsFileSentWholeOverItsCapFailsTheJob) {
  RunnerEnv env({"--max-junit-bytes", "1000", "--max-metrics-bytes", "1000"});
  const ClaimedJob job = push_and_claim(env);
  const std::string& credential = job.credential;
  const auto& auth = job.auth;
  const long id = job.id;
  const std::string& base = job.base;
  {
    httplib::Client cli("127.0.0.1", env.serve().port());
    httplib::Headers h = {{"Authorization", "Bearer " + credential}};
    // Declared: 200 kB in one body with its Content-Length.
    const std::string big = "<testsuite>" + std::string(200000, ' ') + "</testsuite>";
    auto declared =
        cli.Put((base + "/results/junit.xml?attempt=1").c_str(), h, big, "application/xml");
    if (declared) {
      EXPECT_EQ(declared->status, 413) << declared->body;
    }
    // Streamed: chunked, no length, past the cap.
    httplib::Client chunked("127.0.0.1", env.serve().port());
    auto streamed = chunked.Put((base + "/results/metrics.json?attempt=1").c_str(), h,
                                [](size_t offset, httplib::DataSink& sink) {
                                  if (offset >= 100000) {
                                    sink.done();
                                    return true;
                                  }
                                  const std::string piece(1000, ' ');
                                  return sink.write(piece.data(), piece.size());
                                },
                                "application/json");
    if (streamed) {
      EXPECT_EQ(streamed->status, 413) << streamed->body;
    }
  }
  auto fin =
      http_post(env.host(), base + "/finish", R"({"attempt":1,"outcome":"exited","exit_code":0})",
                "application/json", auth);
  ASSERT_EQ(fin.status, 200) << fin.body;
  EXPECT_EQ(json::parse(fin.body)["state"], "failed");
  auto j = env.get("/api/v1/jobs/" + std::to_string(id));
  EXPECT_EQ(j["state"], "failed");
  const std::string message = j["message"].get<std::string>();
  EXPECT_NE(message.find("junit.xml"), std::string::npos) << message;
  EXPECT_NE(message.find(", over the cap of 1000 bytes"), std::string::npos) << message;
  EXPECT_NE(message.find("metrics.json"), std::string::npos) << message;
}

// A results file that is not UTF-8 where JSON needs it is refused with its position, and the
// message stored on the job is UTF-8 (the bad bytes written as \xNN): PostgreSQL takes it, so the
// job fails although the command exits 0.
TEST(RunnerProtocol, AMalformedResultsFileWithInvalidUtf8FailsTheJob) {
  RunnerEnv env;
  const ClaimedJob job = push_and_claim(env);
  httplib::Client cli("127.0.0.1", env.serve().port());
  auto r =
      cli.Put((job.base + "/results/metrics.json?attempt=1").c_str(),
              {{"Authorization", "Bearer " + job.credential}},
              "{\"metrics\": {\"accuracy\": 0.9}, \"meta\": \"\xFF\xFE\"}", "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 422) << r->body;
  EXPECT_NE(r->body.find("\\\\xFF"), std::string::npos) << r->body;  // JSON-escaped backslash
  auto fin =
      http_post(env.host(), job.base + "/finish",
                R"({"attempt":1,"outcome":"exited","exit_code":0})", "application/json", job.auth);
  ASSERT_EQ(fin.status, 200) << fin.body;
  EXPECT_EQ(json::parse(fin.body)["state"], "failed");
  const auto j = env.get("/api/v1/jobs/" + std::to_string(job.id));
  EXPECT_NE(j["message"].get<std::string>().find("metrics.json:1:"), std::string::npos) << j;
}

// Numbers in runner calls are read as what they say or refused: attempt 4294967297 is not attempt
// 1, a log offset of "1e3" is not 1, a capacity past 256 is not 1. Another runner's results upload
// is refused (409) before it is read, and a finish message of more than 4 KiB of non-ASCII text is
// cut between characters (a cut inside one was refused by PostgreSQL: a 500, and the attempt
// could end only by lease expiry).
TEST(RunnerProtocol, NumbersAreReadAsWrittenAndMessagesCutBetweenCharacters) {
  RunnerEnv env;
  const ClaimedJob job = push_and_claim(env);
  const auto reg = [&](const std::string& body) {
    return http_post(env.host(), "/api/v1/runner/register", body, "application/json",
                     {{"Authorization", "Bearer " + env.registration_token()}});
  };
  EXPECT_EQ(reg(R"({"name":"big","capacity":4294967297})").status, 400);
  EXPECT_EQ(reg(R"({"name":"text","capacity":"4"})").status, 400);
  const auto other = reg(R"({"name":"other","executor":"local"})");
  ASSERT_EQ(other.status, 201) << other.body;
  const std::vector<std::pair<std::string, std::string>> other_auth = {
      {"Authorization", "Bearer " + json::parse(other.body)["token"].get<std::string>()}};
  const auto none = http_post(env.host(), "/api/v1/runner/jobs/request",
                              R"({"wait_seconds":-1e300})", "application/json", other_auth);
  EXPECT_EQ(none.status, 204) << none.body;

  EXPECT_EQ(
      http_post(env.host(), job.base + "/log?attempt=1&offset=1e3", "x", "text/plain", job.auth)
          .status,
      400);
  EXPECT_EQ(http_post(env.host(), job.base + "/log?attempt=4294967297&offset=0", "x", "text/plain",
                      job.auth)
                .status,
            400);
  httplib::Client cli("127.0.0.1", env.serve().port());
  auto foreign = cli.Put((job.base + "/results/junit.xml?attempt=1").c_str(),
                         {{"Authorization", other_auth[0].second}},
                         R"(<testsuite><testcase name="t"/></testsuite>)", "application/xml");
  ASSERT_TRUE(foreign);
  EXPECT_EQ(foreign->status, 409) << foreign->body;

  EXPECT_EQ(http_post(env.host(), job.base + "/finish",
                      R"({"attempt":4294967297,"outcome":"exited","exit_code":0})",
                      "application/json", job.auth)
                .status,
            400);
  EXPECT_EQ(
      http_post(env.host(), job.base + "/finish",
                R"({"attempt":1,"outcome":"exited","exit_code":"0"})", "application/json", job.auth)
          .status,
      400);
  std::string message;
  while (message.size() < 5000) message += "\u00e9\u20ac";  // é€: 2 and 3 bytes
  const auto fin =
      http_post(env.host(), job.base + "/finish",
                R"({"attempt":1,"outcome":"exited","exit_code":3,"message":")" + message + "\"}",
                "application/json", job.auth);
  ASSERT_EQ(fin.status, 200) << fin.body;
  const auto j = env.get("/api/v1/jobs/" + std::to_string(job.id));
  EXPECT_EQ(j["state"], "failed");
  EXPECT_EQ(j["exit_code"], 3);
  const std::string stored = j["message"].get<std::string>();
  EXPECT_LE(stored.size(), 4096u);
  EXPECT_GE(stored.size(), 4092u);
  EXPECT_EQ(stored.substr(0, 5), "\xC3\xA9\xE2\x82\xAC");
}

TEST(RunnerAgent, ALocalRunnerRunsThePipelineAndStoresEveryKindOfResult) {
  RunnerEnv env;
  auto sha = env.push(kResultsConfig, {{"write_results.sh", kWriteResults}});
  env.start_runner("local-1");
  auto p = env.wait_pipeline_end(sha);
  ASSERT_EQ(p["state"], "passed") << p.dump(2) << env.runner_log("local-1");
  auto f = env.job(p, "functionality");
  EXPECT_EQ(f["state"], "passed");
  EXPECT_EQ(f["exit_code"], 0);
  EXPECT_EQ(f["attempt"], 1);
  // metrics: 2 global + 2 slice values
  ASSERT_EQ(f["metrics"].size(), 4u) << f["metrics"];
  bool found_slice = false;
  for (const auto& m : f["metrics"]) {
    if (m.value("slice_value", "") == "<30") {
      found_slice = true;
      EXPECT_EQ(m["slice_key"], "age_group");
      EXPECT_EQ(m["n"], 412);
      EXPECT_DOUBLE_EQ(m["value"].get<double>(), 0.85);
    }
  }
  EXPECT_TRUE(found_slice);
  ASSERT_EQ(f["tests"].size(), 2u);
  EXPECT_EQ(f["tests"][0]["mltest"], json({"data-1"}));
  EXPECT_EQ(f["tests"][1]["status"], "failed");
  EXPECT_EQ(f["predictions"], 2);
  EXPECT_TRUE(f["results_files"].contains("metrics.json"));
  auto log = env.log_of(f["id"]);
  EXPECT_NE(log.find("functionality of acme/model at " + sha + ", tier functionality"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("exited with 0"), std::string::npos) << log;
  // validation ran after functionality passed, with the job's environment.
  auto v = env.job(p, "validation");
  EXPECT_EQ(v["state"], "passed");
  EXPECT_NE(env.log_of(v["id"]).find("validation on " + sha), std::string::npos);
  // State changes are recorded in order with timestamps.
  EXPECT_GE(env.sql_long("SELECT count(*) FROM state_changes WHERE job_id = " +
                         std::to_string(f["id"].get<long>())),
            3);
  // The workspace is gone after the job.
  EXPECT_TRUE(fs::is_empty(env.dir() / "runner-local-1" / "jobs"));
}

TEST(RunnerAgent, PythonNanIsKeptAsAnInvalidValueAndAMalformedFileFailsTheJobWithItsPosition) {
  RunnerEnv env;
  const char* config = R"(version: 1
image: mlgate/busybox:test
tiers:
  functionality:
    run: |
      printf '{"metrics": {"accuracy": NaN, "loss": Infinity, "f1": 0.5}}' > $MLGATE_RESULTS/metrics.json
  validation:
    needs: [functionality]
    run: printf '<testsuite>\n<testcase name="a">\n</testsuite>' > $MLGATE_RESULTS/junit.xml
)";
  auto sha = env.push(config);
  env.start_runner("nan");
  auto p = env.wait_pipeline_end(sha);
  auto f = env.job(p, "functionality");
  ASSERT_EQ(f["state"], "passed") << p;
  std::map<std::string, json> by_name;
  for (const auto& m : f["metrics"]) by_name[m["name"]] = m["value"];
  EXPECT_EQ(by_name["accuracy"], "NaN");
  EXPECT_EQ(by_name["loss"], "Infinity");
  EXPECT_EQ(by_name["f1"], 0.5);
  auto v = env.job(p, "validation");
  EXPECT_EQ(v["state"], "failed") << v;
  EXPECT_EQ(v["exit_code"], 0);
  EXPECT_NE(v["message"].get<std::string>().find("junit.xml:3:"), std::string::npos)
      << v["message"];
  EXPECT_EQ(p["state"], "failed");
}

TEST(RunnerAgent, WithoutDockerTheRunnerRefusesToStartAndNamesTheLocalExecutor) {
  testing::TempDir dir("mlgate-nodocker");
  testing::write_file(dir.path() / "t", "mlg_x\n");
  auto out = dir.path() / "out.log";
  util::ChildOptions o;
  o.stdout_path = out.string();
  o.stderr_path = "=stdout";
  util::ChildProcess p({MLGATE_BINARY, "runner", "--server", "http://127.0.0.1:1", "--token-file",
                        (dir.path() / "t").string(), "--work-dir", (dir.path() / "w").string(),
                        "--docker", "/nonexistent/docker"},
                       o);
  int status = p.wait();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 2) << util::describe_wait_status(status);
  auto text = testing::read_file(out);
  EXPECT_NE(text.find("Docker is not available"), std::string::npos) << text;
  EXPECT_NE(text.find("--executor local"), std::string::npos) << text;
}

TEST(RunnerAgent, TimeoutLogCapAndCancelEndTheJobTheWayTheySay) {
  RunnerEnv env;
  // Functionality prints 200 KB and passes; validation overruns its 2 s budget.
  const char* config = R"(version: 1
image: mlgate/busybox:test
tiers:
  functionality:
    run: "head -c 200000 /dev/zero | tr '\\0' x; echo; echo still running after the cap"
  validation:
    needs: [functionality]
    timeout: 2s
    run: sleep 60
)";
  auto sha = env.push(config);
  env.start_runner("caps", {"--log-max-bytes", "4096"});
  auto p = env.wait_pipeline_end(sha);
  auto f = env.job(p, "functionality");
  EXPECT_EQ(f["state"], "passed") << f;
  EXPECT_EQ(f["log_truncated"], true);
  auto log = env.log_of(f["id"]);
  EXPECT_LT(log.size(), 4096u + 1024u);
  EXPECT_NE(log.find("log truncated"), std::string::npos);
  auto v = env.job(p, "validation");
  EXPECT_EQ(v["state"], "timed_out") << v;
  EXPECT_LT(v["duration_seconds"].get<double>(), 20.0);

  // Cancel: a running job stops within seconds of the request.
  const char* slow = R"(version: 1
image: mlgate/busybox:test
tiers:
  functionality:
    run: echo started; sleep 120
)";
  auto sha2 = env.push(slow);
  json running = env.wait_functionality_running(sha2, [&](const json& j) {
    return env.log_of(j["id"]).find("started") != std::string::npos;
  });
  ASSERT_FALSE(running.is_null());
  auto cancel_at = std::chrono::steady_clock::now();
  auto c =
      http_post(env.host(), "/api/v1/jobs/" + std::to_string(running["id"].get<long>()) + "/cancel",
                "{}", "application/json", env.admin());
  ASSERT_EQ(c.status, 202) << c.body;
  auto p2 = env.wait_pipeline_end(sha2, std::chrono::seconds(30));
  EXPECT_LT(std::chrono::steady_clock::now() - cancel_at, std::chrono::seconds(5));
  EXPECT_EQ(p2["state"], "cancelled");
  EXPECT_EQ(env.job(p2, "functionality")["state"], "cancelled");
}

TEST(RunnerAgent, ASigkilledRunnersJobIsRequeuedAsANewAttemptAndRunsElsewhere) {
  RunnerEnv env({"--lease-seconds", "3", "--heartbeat-seconds", "1"});
  const char* config = R"(version: 1
image: mlgate/busybox:test
tiers:
  functionality:
    run: if [ "$MLGATE_ATTEMPT" = 1 ]; then echo first; sleep 120; else echo "attempt $MLGATE_ATTEMPT"; fi
)";
  auto sha = env.push(config);
  auto doomed = env.start_runner("doomed");
  json job = env.wait_functionality_running(sha);
  ASSERT_FALSE(job.is_null());
  env.runner(doomed).signal(SIGKILL);
  env.runner(doomed).wait();
  env.start_runner("survivor");
  auto p = env.wait_pipeline_end(sha);
  auto j = env.job(p, "functionality");
  EXPECT_EQ(j["state"], "passed") << j;
  EXPECT_EQ(j["id"], job["id"]);  // same job, new attempt
  EXPECT_EQ(j["attempt"], 2);
  ASSERT_EQ(j["attempts"].size(), 2u);
  EXPECT_EQ(j["attempts"][0]["outcome"], "lease_expired");
  EXPECT_EQ(j["attempts"][1]["outcome"], "passed");
  EXPECT_NE(env.log_of(j["id"]).find("attempt 2"), std::string::npos);
}

// Disabling a runner re-queues its job at once; the agent's next call is refused, so it stops the
// attempt it runs (its result is never reported) and exits; the job runs elsewhere.
TEST(RunnerAgent, ADisabledRunnerStopsItsJobAndExitsAndTheJobRunsElsewhere) {
  RunnerEnv env;
  const char* config = R"(version: 1
image: mlgate/busybox:test
tiers:
  functionality:
    run: if [ "$MLGATE_ATTEMPT" = 1 ]; then echo first; sleep 117; else echo "attempt $MLGATE_ATTEMPT"; fi
)";
  auto sha = env.push(config);
  auto doomed = env.start_runner("doomed");
  json job = env.wait_functionality_running(sha);
  ASSERT_FALSE(job.is_null());
  const long id = env.sql_long("SELECT id FROM runners WHERE name = 'doomed'");
  auto disabled = http_post(env.host(), "/api/v1/runners/" + std::to_string(id) + "/disable", "",
                            "application/json", env.admin());
  ASSERT_EQ(disabled.status, 200) << disabled.body;
  EXPECT_EQ(json::parse(disabled.body)["jobs_requeued"], 1);
  // Refused at its next lease check (every 2 s): the attempt stops and the agent exits.
  auto status = env.runner(doomed).wait_for(std::chrono::seconds(30));
  ASSERT_TRUE(status) << env.runner_log("doomed");
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 2) << env.runner_log("doomed");
  EXPECT_NE(env.runner_log("doomed").find("runner " + std::to_string(id) + " is disabled"),
            std::string::npos)
      << env.runner_log("doomed");
  // 117 s: a duration no other test sleeps (the SIGKILL test before leaves its "sleep 120" behind).
  EXPECT_TRUE(testing::processes_matching("sleep 117").empty());
  env.start_runner("survivor");
  auto p = env.wait_pipeline_end(sha);
  auto j = env.job(p, "functionality");
  EXPECT_EQ(j["state"], "passed") << j;
  EXPECT_EQ(j["attempt"], 2);
  ASSERT_EQ(j["attempts"].size(), 2u);
  EXPECT_EQ(j["attempts"][0]["outcome"], "lease_expired");
  EXPECT_EQ(j["attempts"][1]["outcome"], "passed");
}

// The issue's crash test: 3 runners, 1,000 queued no-op jobs, one runner SIGKILLed halfway; every
// job runs to completion exactly once and none is lost.
TEST(RunnerAgent, ThreeRunnersAThousandJobsOneKilledHalfwayEveryJobCompletesExactlyOnce) {
  RunnerEnv env({"--lease-seconds", "3", "--heartbeat-seconds", "1"});
  const std::string sha = env.repo().commit({{"README", "x\n"}}, "no-op");
  constexpr int kJobs = 1000;
  {
    pqxx::connection c(env.conninfo());
    pqxx::work tx(c);
    auto repo_id = tx.exec1("SELECT id FROM repos")[0].as<std::int64_t>();
    for (int i = 0; i < kJobs; ++i) {
      store::NewPipeline p;
      p.repo_id = repo_id;
      p.trigger = "manual";
      p.ref = "refs/heads/main";
      p.branch = "main";
      p.sha = sha;
      store::NewJob j;
      j.tier = "functionality";
      j.image = "none";
      j.command = "true";
      p.jobs.push_back(j);
      store::create_pipeline(tx, p);
    }
    store::notify_jobs(tx);
    tx.commit();
  }
  std::vector<size_t> runners;
  for (const char* name : {"a", "b", "c"})
    runners.push_back(env.start_runner(name, {"--capacity", "2"}));
  ASSERT_TRUE(eventually(
      [&] {
        return env.sql_long("SELECT count(*) FROM jobs WHERE state NOT IN ('queued')") >= kJobs / 2;
      },
      std::chrono::seconds(120)));
  env.runner(runners[1]).signal(SIGKILL);
  env.runner(runners[1]).wait();
  ASSERT_TRUE(eventually(
      [&] {
        return env.sql_long("SELECT count(*) FROM jobs WHERE finished_at IS NOT NULL") == kJobs;
      },
      std::chrono::seconds(240)))
      << env.sql_long("SELECT count(*) FROM jobs WHERE finished_at IS NOT NULL") << " finished";
  EXPECT_EQ(env.sql_long("SELECT count(*) FROM jobs WHERE state = 'passed'"), kJobs);
  // Exactly one completed attempt per job; the only other attempts are the killed runner's.
  EXPECT_EQ(env.sql_long("SELECT count(*) FROM job_attempts WHERE outcome = 'passed'"), kJobs);
  EXPECT_EQ(env.sql_long("SELECT count(*) FROM (SELECT job_id FROM job_attempts "
                         "WHERE outcome = 'passed' GROUP BY job_id HAVING count(*) > 1) d"),
            0);
  EXPECT_LE(env.sql_long("SELECT count(*) FROM job_attempts WHERE outcome = 'lease_expired'"), 2);
  EXPECT_EQ(env.sql_long("SELECT count(*) FROM job_attempts WHERE ended_at IS NULL"), 0);
  // The surviving runners shared the work.
  EXPECT_GT(env.sql_long("SELECT count(DISTINCT runner_id) FROM job_attempts"), 2);
  // For the record (not asserted): the average attempt, claim to end, in milliseconds.
  auto avg_ms = env.sql_long(
      "SELECT (avg(extract(epoch FROM ended_at - started_at)) * 1000)::bigint FROM job_attempts "
      "WHERE outcome = 'passed'");
  auto span_ms = env.sql_long(
      "SELECT (extract(epoch FROM max(ended_at) - min(started_at)) * 1000)::bigint FROM "
      "job_attempts");
  RecordProperty("avg_attempt_ms", std::to_string(avg_ms));
  RecordProperty("span_ms", std::to_string(span_ms));
  std::cout << "1,000 jobs: average attempt " << avg_ms << " ms, first claim to last end "
            << span_ms << " ms\n";
}

// The containers (running or not) that carry every one of `labels`.
std::vector<std::string> containers_labelled(std::initializer_list<std::string> labels) {
  std::vector<std::string> argv = {"docker", "ps", "-aq"};
  for (const auto& label : labels) {
    argv.push_back("--filter");
    argv.push_back("label=" + label);
  }
  std::string out;
  util::run_capture(argv, out);
  std::vector<std::string> ids;
  std::stringstream in(out);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) ids.push_back(line);
  return ids;
}

// The containers of `job` started by the runner `runner_name`. Job ids are small and repeat across
// the tests' clusters running side by side, so the runner's own label (unique per runner) is what
// tells this test's containers from another test's.
std::vector<std::string> job_containers(const RunnerEnv& env, const std::string& runner_name,
                                        const json& job) {
  return containers_labelled({"mlgate.runner=" + env.runner_key(runner_name),
                              "mlgate.job=" + std::to_string(job["id"].get<long>())});
}

TEST(RunnerDocker, ADockerRunnerRunsThePipelineInContainersAndStoresEveryKindOfResult) {
  RunnerEnv env;
  auto sha = env.push(kResultsConfig, {{"write_results.sh", kWriteResults}});
  env.start_runner("docker-1", {}, "docker");
  auto p = env.wait_pipeline_end(sha, std::chrono::seconds(90));
  ASSERT_EQ(p["state"], "passed") << p.dump(2) << env.runner_log("docker-1");
  auto f = env.job(p, "functionality");
  EXPECT_EQ(f["metrics"].size(), 4u);
  EXPECT_EQ(f["tests"].size(), 2u);
  EXPECT_EQ(f["predictions"], 2);
  EXPECT_NE(env.log_of(f["id"]).find("tier functionality"), std::string::npos);
  // Containers are removed after their job.
  EXPECT_TRUE(job_containers(env, "docker-1", f).empty());
}

TEST(RunnerDocker, ARestartedRunnerRemovesTheContainersOfItsEarlierLifeAndRequeuesItsJobs) {
  RunnerEnv env;
  const char* config = R"(version: 1
image: mlgate/busybox:test
tiers:
  functionality:
    run: if [ "$MLGATE_ATTEMPT" = 1 ]; then echo first; sleep 300; else echo "attempt $MLGATE_ATTEMPT"; fi
)";
  auto sha = env.push(config);
  auto first = env.start_runner("phoenix", {}, "docker");
  json job = env.wait_functionality_running(
      sha, [&](const json& j) { return !job_containers(env, "phoenix", j).empty(); });
  ASSERT_FALSE(job.is_null());
  const std::string key = env.runner_key("phoenix");
  EXPECT_EQ(key.rfind("r" + std::to_string(job["runner"].get<long>()) + "-", 0), 0u) << key;
  EXPECT_EQ(key.size(), 1 + std::to_string(job["runner"].get<long>()).size() + 1 + 16) << key;
  const std::string runner_label = "mlgate.runner=" + key;
  env.runner(first).signal(SIGKILL);
  env.runner(first).wait();
  // The container outlives the runner...
  EXPECT_EQ(containers_labelled({runner_label}).size(), 1u);
  // ...until the same runner (same work dir, same id) starts again: it removes the orphan and
  // hands the job back at once instead of after the lease.
  auto started = std::chrono::steady_clock::now();
  env.start_runner("phoenix", {}, "docker");
  auto p = env.wait_pipeline_end(sha, std::chrono::seconds(60));
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(45));
  EXPECT_TRUE(containers_labelled({runner_label}).empty());
  auto j = env.job(p, "functionality");
  EXPECT_EQ(j["state"], "passed") << j;
  EXPECT_EQ(j["attempt"], 2);
  EXPECT_NE(env.runner_log("phoenix").find("removed 1 container"), std::string::npos)
      << env.runner_log("phoenix");
}

// What the daemon did to the container of that exact name since `since` (unix seconds), in order:
// "create", "start", "destroy", ...
std::vector<std::string> container_actions(const std::string& name, const std::string& since) {
  std::string out;
  util::run_capture(
      {"docker", "events", "--since", since, "--until", std::to_string(std::time(nullptr) + 1),
       "--filter", "type=container", "--filter", "container=" + name, "--format", "{{.Action}}"},
      out);
  std::vector<std::string> actions;
  std::stringstream in(out);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) actions.push_back(line);
  return actions;
}

// The container is created while the commit is checked out. When the checkout fails, the
// container is removed again, never started, and the job ends saying why.
TEST(RunnerDocker, AContainerCreatedDuringAFailedCheckoutIsRemovedWithoutStarting) {
  RunnerEnv env;
  const std::string since = std::to_string(std::time(nullptr) - 1);
  auto sha = env.push(R"(version: 1
image: mlgate/busybox:test
tiers:
  functionality:
    run: echo it ran
)");
  // Planned (the server read the config from its mirror); then the runner's fetch cannot work.
  ASSERT_TRUE(
      eventually([&] { return !env.pipeline_of(sha).is_null(); }, std::chrono::seconds(30)));
  const fs::path origin = env.repo().path();
  const fs::path moved = origin.string() + "-moved";
  fs::rename(origin, moved);
  env.start_runner("nocheckout", {"--max-jobs", "1"}, "docker");
  json job = env.job(env.pipeline_of(sha), "functionality");
  ASSERT_TRUE(
      eventually([&] { return env.runner(0).running() == false; }, std::chrono::seconds(60)));
  fs::rename(moved, origin);
  const std::string name = "mlgate-" + env.runner_key("nocheckout") + "-j" +
                           std::to_string(job["id"].get<long>()) + "-a1";
  const auto actions = container_actions(name, since);
  EXPECT_NE(std::find(actions.begin(), actions.end(), "create"), actions.end()) << name;
  EXPECT_NE(std::find(actions.begin(), actions.end(), "destroy"), actions.end()) << name;
  EXPECT_EQ(std::find(actions.begin(), actions.end(), "start"), actions.end()) << name;
  EXPECT_TRUE(containers_labelled({"mlgate.runner=" + env.runner_key("nocheckout")}).empty());
  const std::string log = env.log_of(job["id"].get<long>());
  EXPECT_NE(log.find("checkout of " + sha + " failed"), std::string::npos) << log;
  EXPECT_EQ(log.find("it ran"), std::string::npos) << log;
}

std::string inspect(const std::string& container, const std::string& format) {
  std::string out;
  util::run_capture({"docker", "inspect", "--format", format, container}, out);
  return strip(out);
}

TEST(RunnerDocker, ARunningJobsContainerIsIsolatedAsTheTierSaysAndAPipelineCancelStopsIt) {
  RunnerEnv env;
  const char* config = R"(version: 1
image: mlgate/busybox:test
tiers:
  functionality:
    resources: {cpus: 1, memory: 256m, pids: 64}
    run: echo up; sleep 300
)";
  auto sha = env.push(config);
  env.start_runner("iso", {}, "docker");
  std::vector<std::string> ids;
  json job = env.wait_functionality_running(sha, [&](const json& j) {
    ids = job_containers(env, "iso", j);
    return ids.size() == 1 && inspect(ids[0], "{{.State.Running}}") == "true";
  });
  ASSERT_FALSE(job.is_null());
  const auto& c = ids[0];
  EXPECT_EQ(inspect(c, "{{.HostConfig.NetworkMode}}"), "none");
  EXPECT_EQ(inspect(c, "{{json .HostConfig.CapDrop}}"), R"(["ALL"])");
  EXPECT_EQ(inspect(c, "{{json .HostConfig.SecurityOpt}}"), R"(["no-new-privileges"])");
  EXPECT_EQ(inspect(c, "{{.HostConfig.Memory}}"), "268435456");
  EXPECT_EQ(inspect(c, "{{.HostConfig.NanoCpus}}"), "1000000000");
  EXPECT_EQ(inspect(c, "{{.HostConfig.PidsLimit}}"), "64");
  EXPECT_EQ(inspect(c, "{{index .Config.Labels \"mlgate.runner\"}}"), env.runner_key("iso"));
  auto mounts = inspect(c, "{{range .Mounts}}{{.Destination}} {{end}}");
  EXPECT_NE(mounts.find("/workspace"), std::string::npos);
  EXPECT_NE(mounts.find("/results"), std::string::npos);
  EXPECT_EQ(mounts.find("docker.sock"), std::string::npos);
  EXPECT_EQ(std::count(mounts.begin(), mounts.end(), '/'), 2) << mounts;

  auto cancel_at = std::chrono::steady_clock::now();
  auto r = http_post(
      env.host(), "/api/v1/pipelines/" + std::to_string(job["pipeline_id"].get<long>()) + "/cancel",
      "{}", "application/json", env.admin());
  ASSERT_EQ(r.status, 202) << r.body;
  ASSERT_TRUE(eventually([&] { return job_containers(env, "iso", job).empty(); },
                         std::chrono::seconds(10)));
  EXPECT_LT(std::chrono::steady_clock::now() - cancel_at, std::chrono::seconds(5));
  auto p = env.wait_pipeline_end(sha, std::chrono::seconds(20));
  EXPECT_EQ(p["state"], "cancelled");
  // The cancel is audited.
  EXPECT_EQ(env.sql_long("SELECT count(*) FROM audit_log WHERE action = 'pipeline.cancel'"), 1);
}

}  // namespace
}  // namespace mlgate
