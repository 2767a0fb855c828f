// GET /metrics end to end: the real `mlgate serve` on a throwaway PostgreSQL, real signed webhook
// deliveries, a runner speaking the real runner protocol over HTTP (claim, finish, a lease left to
// expire), and the exposition read back as Prometheus would read it. One in-process App for what
// no HTTP input can reach (a label value holding a quote, a backslash and a newline).
#include "server/http/metrics.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <sstream>
#include <thread>

#include "server/app.h"
#include "tests/integration/server/gate_env.h"
#include "tests/support/git_fixture.h"
#include "tests/support/mlgate_process.h"
#include "tests/support/pg_cluster.h"
#include "tests/support/temp_dir.h"
#include "webhooks/signature.h"

namespace mlgate {
namespace {

using nlohmann::json;
using testing::eventually;
using testing::http_get;
using testing::http_post;
using Headers = std::vector<std::pair<std::string, std::string>>;

const std::string& kSecret = testing::kGateEnvSecret;
const char* kConfig = R"(version: 1
image: mlgate/busybox:test
tiers:
  functionality:
    run: "true"
)";

// The value of one series ("name{labels}") in an exposition; nullopt when absent.
std::optional<double> sample(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 &&
        line[series.size()] == ' ')
      return std::stod(line.substr(series.size() + 1));
  }
  return std::nullopt;
}

// A server on its own database with the repo acme/model registered (testing::GateEnv), pushes of
// kConfig, runners speaking the protocol from the test, and scrapes.
class MetricsEnv {
 public:
  explicit MetricsEnv(std::vector<std::string> serve_args = {})
      : env_(testing::GateEnvOptions{.serve_args = std::move(serve_args)}) {}

  std::string host() const { return env_.host(); }
  Headers admin() const { return env_.admin(); }

  // Commits and sends the signed push; returns the sha and the answer's status.
  std::pair<std::string, int> push(const std::string& delivery = "",
                                   const std::string& secret = kSecret) {
    const std::string sha =
        env_.repo().commit({{".mlgate.yml", kConfig}}, "commit " + std::to_string(++commits_));
    return {sha, send_push(sha, delivery.empty() ? "d-" + sha : delivery, secret)};
  }
  int send_push(const std::string& sha, const std::string& delivery,
                const std::string& secret = kSecret) {
    return env_.send_github_push(sha, "main", delivery, secret).status;
  }
  Headers register_runner(const std::string& name) { return env_.register_runner(name); }
  json claim(const Headers& runner) {
    auto c = http_post(host(), "/api/v1/runner/jobs/request", R"({"wait_seconds":10})",
                       "application/json", runner);
    EXPECT_EQ(c.status, 200) << c.body;
    return c.status == 200 ? json::parse(c.body)["job"] : json();
  }

  std::string scrape(const Headers& auth = {}) {
    auto r = http_get(host(), "/metrics", auth.empty() ? admin() : auth);
    EXPECT_EQ(r.status, 200) << r.body;
    return r.body;
  }
  long sql_long(const std::string& sql) { return env_.sql_long(sql); }
  void sql(const std::string& statement) { env_.sql(statement); }

 private:
  testing::GateEnv env_;
  int commits_ = 0;
};

const std::string kFunctionalityPassed =
    R"(mlgate_job_duration_seconds_count{tier="functionality",outcome="passed"})";

TEST(Metrics, ScrapingNeedsAReadTokenWithoutPublicReadAndSpeaksTextFormat004) {
  MetricsEnv env;
  EXPECT_EQ(http_get(env.host(), "/metrics").status, 401);
  EXPECT_EQ(http_get(env.host(), "/metrics", {{"Authorization", "Bearer mlg_wrong"}}).status, 401);
  httplib::Client client(env.host());
  const auto admin = env.admin();
  auto res = client.Get("/metrics", httplib::Headers(admin.begin(), admin.end()));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  const std::string& text = res->body;
  for (const char* family :
       {"mlgate_webhook_deliveries_total counter", "mlgate_queue_depth gauge",
        "mlgate_runners_online gauge", "mlgate_job_duration_seconds histogram",
        "mlgate_gate_decisions_total counter", "mlgate_http_requests_total counter",
        "process_start_time_seconds gauge"})
    EXPECT_NE(text.find(std::string("# TYPE ") + family + "\n"), std::string::npos) << family;
  EXPECT_EQ(sample(text, "mlgate_database_up"), 1.0);
  // The process started within the last day and not in the future.
  const double start = sample(text, "process_start_time_seconds").value_or(0);
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_GT(start, now - 86400);
  EXPECT_LE(start, now + 1);
  // Every tier has a queue depth, 0 on a fresh database.
  for (const char* tier : {"functionality", "validation", "training"})
    EXPECT_EQ(sample(text, std::string("mlgate_queue_depth{tier=\"") + tier + "\"}"), 0.0) << tier;
  EXPECT_EQ(sample(text, "mlgate_runners_online"), 0.0);
}

TEST(Metrics, AnonymousScrapesAreAllowedWithPublicRead) {
  MetricsEnv env({"--public-read"});
  auto r = http_get(env.host(), "/metrics");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(sample(r.body, "mlgate_database_up"));
}

TEST(Metrics, DeliveriesAreCountedByForgeAndVerdictAndQueueDepthMatchesQueuedJobs) {
  MetricsEnv env;
  auto [sha, status] = env.push();
  ASSERT_EQ(status, 202);
  EXPECT_EQ(env.send_push(sha, "d-" + sha), 200);                 // redelivery
  EXPECT_EQ(env.send_push(sha, "d-other", "wrong-secret"), 401);  // bad signature
  EXPECT_EQ(http_post(env.host(), "/webhooks/github", "{}", "application/json",
                      {{"X-GitHub-Event", "push"}, {"X-GitHub-Delivery", "d-empty"}})
                .status,
            400);  // names no repository
  ASSERT_TRUE(eventually(
      [&] { return env.sql_long("SELECT count(*) FROM jobs WHERE state = 'queued'") == 1; }));
  const auto text = env.scrape();
  const std::string d = "mlgate_webhook_deliveries_total";
  EXPECT_EQ(sample(text, d + R"({forge="github",verdict="accepted"})"), 1.0) << text;
  EXPECT_EQ(sample(text, d + R"({forge="github",verdict="duplicate"})"), 1.0) << text;
  EXPECT_EQ(sample(text, d + R"({forge="github",verdict="rejected"})"), 1.0) << text;
  EXPECT_EQ(sample(text, d + R"({forge="github",verdict="invalid"})"), 1.0) << text;
  EXPECT_FALSE(sample(text, d + R"({forge="gitlab",verdict="accepted"})"));
  EXPECT_EQ(sample(text, R"(mlgate_queue_depth{tier="functionality"})"),
            static_cast<double>(env.sql_long(
                "SELECT count(*) FROM jobs WHERE state = 'queued' AND tier = 'functionality'")));
  EXPECT_EQ(sample(text, R"(mlgate_queue_depth{tier="functionality"})"), 1.0);
}

TEST(Metrics, RunnerFinishesFillTheDurationHistogramAndRunnersOnlineCountsPollingRunners) {
  MetricsEnv env;
  auto runner = env.register_runner("r1");
  EXPECT_EQ(sample(env.scrape(), "mlgate_runners_online"), 1.0);  // registering counts as seen
  // Online means seen within two lease periods (2 x 60 s here).
  env.sql("UPDATE runners SET last_seen_at = now() - interval '121 seconds'");
  EXPECT_EQ(sample(env.scrape(), "mlgate_runners_online"), 0.0);
  env.sql("UPDATE runners SET last_seen_at = now() - interval '110 seconds'");
  EXPECT_EQ(sample(env.scrape(), "mlgate_runners_online"), 1.0);
  env.sql("UPDATE runners SET last_seen_at = now() - interval '1 hour'");
  ASSERT_EQ(env.push().second, 202);
  auto job = env.claim(runner);
  ASSERT_TRUE(job.is_object());
  auto text = env.scrape();
  EXPECT_EQ(sample(text, "mlgate_runners_online"), 1.0);
  EXPECT_EQ(sample(text, R"(mlgate_queue_depth{tier="functionality"})"), 0.0);
  EXPECT_FALSE(sample(text, kFunctionalityPassed)) << "observed before the job ended";

  const std::string finish =
      "/api/v1/runner/jobs/" + std::to_string(job["id"].get<long>()) + "/finish";
  auto f = http_post(env.host(), finish, R"({"attempt":1,"outcome":"exited","exit_code":0})",
                     "application/json", runner);
  ASSERT_EQ(f.status, 200) << f.body;
  // A retried finish is refused (409) and not observed twice.
  EXPECT_EQ(http_post(env.host(), finish, R"({"attempt":1,"outcome":"exited","exit_code":0})",
                      "application/json", runner)
                .status,
            409);
  text = env.scrape();
  EXPECT_EQ(sample(text, kFunctionalityPassed), 1.0) << text;
  EXPECT_EQ(
      sample(
          text,
          R"(mlgate_job_duration_seconds_bucket{tier="functionality",outcome="passed",le="+Inf"})"),
      1.0);
  const double seconds =
      env.sql_long("SELECT ceil(extract(epoch FROM finished_at - started_at))::bigint FROM jobs");
  const auto sum =
      sample(text, R"(mlgate_job_duration_seconds_sum{tier="functionality",outcome="passed"})");
  ASSERT_TRUE(sum);
  EXPECT_GE(*sum, 0.0);
  EXPECT_LE(*sum, seconds);

  // A failing exit is its own outcome.
  ASSERT_EQ(env.push().second, 202);
  auto job2 = env.claim(runner);
  ASSERT_TRUE(job2.is_object());
  ASSERT_EQ(
      http_post(env.host(),
                "/api/v1/runner/jobs/" + std::to_string(job2["id"].get<long>()) + "/finish",
                R"({"attempt":1,"outcome":"exited","exit_code":3})", "application/json", runner)
          .status,
      200);
  text = env.scrape();
  EXPECT_EQ(
      sample(text, R"(mlgate_job_duration_seconds_count{tier="functionality",outcome="failed"})"),
      1.0);
  EXPECT_EQ(sample(text, kFunctionalityPassed), 1.0);
}

TEST(Metrics, AJobLostToLeaseExpiryOnItsLastAttemptIsObservedAsFailed) {
  MetricsEnv env({"--lease-seconds", "2", "--heartbeat-seconds", "1"});
  auto runner = env.register_runner("doomed");
  ASSERT_EQ(env.push().second, 202);
  ASSERT_TRUE(eventually([&] { return env.sql_long("SELECT count(*) FROM jobs") == 1; }));
  env.sql("UPDATE jobs SET max_attempts = 1");
  auto job = env.claim(runner);
  ASSERT_TRUE(job.is_object());
  // The runner goes silent: the maintenance tick expires the lease and fails the job.
  const std::string series =
      R"(mlgate_job_duration_seconds_count{tier="functionality",outcome="failed"})";
  EXPECT_TRUE(
      eventually([&] { return sample(env.scrape(), series) == 1.0; }, std::chrono::seconds(30)))
      << env.scrape();
  EXPECT_EQ(env.sql_long("SELECT count(*) FROM jobs WHERE message LIKE 'runner lost:%'"), 1);
  // Ticks after it do not observe the same job again.
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  EXPECT_EQ(sample(env.scrape(), series), 1.0);
}

TEST(Metrics, HttpRequestsAreLabelledWithTheRoutePatternNeverTheRawPath) {
  MetricsEnv env;
  EXPECT_EQ(http_get(env.host(), "/api/v1/pipelines/987654", env.admin()).status, 404);
  EXPECT_EQ(http_get(env.host(), "/api/v1/pipelines/987655", env.admin()).status, 404);
  EXPECT_EQ(http_get(env.host(), "/api/v1/jobs/42/log", env.admin()).status, 404);
  EXPECT_EQ(http_get(env.host(), "/api/v1/repos/acme/model/deployments", env.admin()).status, 200);
  EXPECT_EQ(http_get(env.host(), "/no/such/thing-123").status, 404);
  EXPECT_EQ(http_get(env.host(), "/healthz").status, 200);
  // Requests are counted after their answer is written: wait for the last one to land.
  const std::string h = "mlgate_http_requests_total";
  std::string text;
  EXPECT_TRUE(eventually([&] {
    text = env.scrape();
    return sample(text, h + R"({route="/healthz",status="200"})") == 1.0;
  }));
  EXPECT_EQ(sample(text, h + R"({route="/api/v1/pipelines/{1}",status="404"})"), 2.0) << text;
  EXPECT_EQ(sample(text, h + R"({route="/api/v1/jobs/{1}/log",status="404"})"), 1.0) << text;
  EXPECT_EQ(sample(text, h + R"({route="/api/v1/repos/{1}/deployments",status="200"})"), 1.0)
      << text;
  EXPECT_EQ(sample(text, h + R"({route="unmatched",status="404"})"), 1.0) << text;
  for (const char* raw : {"987654", "/api/v1/jobs/42", "acme/model", "thing-123"})
    EXPECT_EQ(text.find(raw), std::string::npos) << raw << " leaked into a label";
  // Scrapes are requests too.
  EXPECT_GE(sample(env.scrape(), h + R"({route="/metrics",status="200"})").value_or(0), 1.0);
}

// In process: the gate code's counter with a label value no HTTP input can carry here, read back
// over HTTP from a real App on a real database.
TEST(Metrics, LabelValuesAreEscapedInTheExposition) {
  testing::TempDir dir("mlgate-metrics-app");
  auto conninfo = testing::PgCluster::instance().checkout_database();
  auto& db = testing::PgCluster::instance().pool_for(conninfo);
  server::AppConfig config;
  config.data_dir = dir.path();
  config.public_read = true;
  server::App app(config, db);
  const int port = app.bind({"127.0.0.1", 0});
  std::thread serving([&] { app.run(); });
  server::count_gate_decision("we\"ird\\env\nx", "deny");
  server::count_gate_decision("production", "allow");
  server::count_gate_decision("production", "allow");
  auto r = http_get("127.0.0.1:" + std::to_string(port), "/metrics");
  app.stop();
  serving.join();
  testing::PgCluster::instance().return_database(conninfo);
  ASSERT_EQ(r.status, 200) << r.body;
  // The whole series on one line: quote, backslash and newline escaped.
  EXPECT_EQ(sample(r.body,
                   R"(mlgate_gate_decisions_total{environment="we\"ird\\env\nx",decision="deny"})"),
            1.0)
      << r.body;
  EXPECT_EQ(
      sample(r.body, R"(mlgate_gate_decisions_total{environment="production",decision="allow"})"),
      2.0);
}

}  // namespace
}  // namespace mlgate
