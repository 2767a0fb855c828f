// Badges end to end: the real `mlgate serve` on a throwaway PostgreSQL, real pushes planned into
// pipelines, jobs claimed and finished through the runner protocol, gate decisions stored by the
// gate API; each badge read back as SVG and parsed as XML.
#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <pugixml.hpp>

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

const char* kConfig = R"(version: 1
image: mlgate/busybox:test
tiers:
  functionality:
    run: "true"
gates:
  production:
    require: [functionality]
)";

struct BadgeSeen {
  int status = -1;
  std::string content_type;
  std::string cache_control;
  std::string label;
  std::string message;
  std::string color;
};

// A server on its own database with the repo acme/model (testing::GateEnv), and a runner
// credential.
class BadgeEnv {
 public:
  explicit BadgeEnv(std::vector<std::string> serve_args = {"--public-read"})
      : env_(testing::GateEnvOptions{.serve_args = std::move(serve_args)}),
        runner_(env_.register_runner("r")) {}

  std::string host() const { return env_.host(); }
  Headers admin() const { return env_.admin(); }

  // Commits on `branch` and sends the signed push; waits until its pipeline is planned.
  std::string push(const std::string& branch = "main") {
    const std::string sha =
        env_.repo().commit({{".mlgate.yml", kConfig}}, "commit " + std::to_string(++commits_));
    if (branch != "main") env_.repo().update_ref("refs/heads/" + branch, sha);
    auto r = env_.send_github_push(sha, branch, "d-" + sha + branch);
    EXPECT_EQ(r.status, 202) << r.body;
    EXPECT_TRUE(eventually([&] {
      return sql_long(
                 "SELECT count(*) FROM jobs j JOIN pipelines p ON p.id = j.pipeline_id "
                 "WHERE p.sha = '" +
                 sha + "' AND j.state = 'queued'") == 1;
    }));
    return sha;
  }
  // Claims the queued job (leaving it running); returns its id.
  long claim() {
    auto c = http_post(host(), "/api/v1/runner/jobs/request", R"({"wait_seconds":10})",
                       "application/json", runner_);
    EXPECT_EQ(c.status, 200) << c.body;
    return c.status == 200 ? json::parse(c.body)["job"]["id"].get<long>() : 0;
  }
  void finish(long job, int exit_code) {
    auto f = http_post(host(), "/api/v1/runner/jobs/" + std::to_string(job) + "/finish",
                       json{{"attempt", 1}, {"outcome", "exited"}, {"exit_code", exit_code}}.dump(),
                       "application/json", runner_);
    EXPECT_EQ(f.status, 200) << f.body;
  }

  BadgeSeen badge(const std::string& path, const Headers& auth = {}) {
    httplib::Client client(host());
    auto res = client.Get(path.c_str(), httplib::Headers(auth.begin(), auth.end()));
    BadgeSeen b;
    if (!res) return b;
    b.status = res->status;
    b.content_type = res->get_header_value("Content-Type");
    b.cache_control = res->get_header_value("Cache-Control");
    if (b.content_type.rfind("image/svg+xml", 0) != 0) return b;
    pugi::xml_document doc;
    auto parsed = doc.load_string(res->body.c_str());
    EXPECT_TRUE(parsed) << parsed.description() << ": " << res->body;
    auto texts = doc.select_nodes("//text");
    if (texts.size() == 4) {
      b.label = texts[1].node().text().get();
      b.message = texts[3].node().text().get();
    }
    auto rects = doc.select_nodes("/svg/g/rect");
    if (rects.size() >= 2) b.color = rects[1].node().attribute("fill").value();
    return b;
  }

  long sql_long(const std::string& sql) { return env_.sql_long(sql); }

 private:
  testing::GateEnv env_;
  Headers runner_;
  int commits_ = 0;
};

TEST(Badges, PipelineBadgeFollowsTheLatestPipelineOfTheBranch) {
  BadgeEnv env;
  auto b = env.badge("/badge/acme/model.svg");
  EXPECT_EQ(b.status, 200);
  EXPECT_EQ(b.content_type, "image/svg+xml; charset=utf-8");
  EXPECT_EQ(b.cache_control, "no-cache");
  EXPECT_EQ(b.label, "mlgate");
  EXPECT_EQ(b.message, "unknown");  // nothing pushed yet

  env.push();
  EXPECT_EQ(env.badge("/badge/acme/model.svg").message, "pending");
  const long first = env.claim();
  b = env.badge("/badge/acme/model.svg");
  EXPECT_EQ(b.message, "running");
  EXPECT_EQ(b.color, "#007ec6");
  env.finish(first, 0);
  b = env.badge("/badge/acme/model.svg");
  EXPECT_EQ(b.message, "passed");
  EXPECT_EQ(b.color, "#4c1");

  env.push();
  env.finish(env.claim(), 1);
  b = env.badge("/badge/acme/model.svg?branch=main");
  EXPECT_EQ(b.message, "failed");
  EXPECT_EQ(b.color, "#e05d44");
  // The name is case-insensitive, like the API's.
  EXPECT_EQ(env.badge("/badge/ACME/Model.svg").message, "failed");

  // Another branch has its own latest pipeline; the default branch keeps its own.
  EXPECT_EQ(env.badge("/badge/acme/model.svg?branch=feature/x").message, "unknown");
  env.push("feature/x");
  EXPECT_EQ(env.badge("/badge/acme/model.svg?branch=feature/x").message, "pending");
  EXPECT_EQ(env.badge("/badge/acme/model.svg").message, "failed");
}

TEST(Badges, AnUnknownRepositoryStillAnswersAReadableSvg) {
  BadgeEnv env;
  auto b = env.badge("/badge/acme/nope.svg");
  EXPECT_EQ(b.status, 404);
  EXPECT_EQ(b.message, "not found");
  b = env.badge("/badge/acme/nope/gate.svg?environment=production");
  EXPECT_EQ(b.status, 404);
  EXPECT_EQ(b.label, "gate: production");
  EXPECT_EQ(b.message, "not found");
  EXPECT_EQ(env.badge("/badge/acme/model/gate.svg").status, 400);  // no environment
  EXPECT_EQ(env.badge("/badge/acme/model/gate.svg?environment=a%20b").status, 400);
}

TEST(Badges, GateBadgeShowsTheStoredDecisionForTheBranchHead) {
  BadgeEnv env;
  auto b = env.badge("/badge/acme/model/gate.svg?environment=production");
  EXPECT_EQ(b.status, 200);
  EXPECT_EQ(b.label, "gate: production");
  EXPECT_EQ(b.message, "unknown");

  const std::string sha = env.push();
  env.finish(env.claim(), 0);
  // The gate API decides and stores the decision; the badge shows it.
  auto g =
      http_get(env.host(), "/api/v1/repos/acme/model/gate?sha=" + sha + "&environment=production",
               env.admin());
  ASSERT_EQ(g.status, 200) << g.body;
  const std::string decision = json::parse(g.body)["decision"];
  EXPECT_EQ(decision, "allow");  // the one required tier passed
  b = env.badge("/badge/acme/model/gate.svg?environment=production");
  EXPECT_EQ(b.message, "allow");
  EXPECT_EQ(b.color, "#4c1");
  // An environment never decided stays unknown.
  EXPECT_EQ(env.badge("/badge/acme/model/gate.svg?environment=staging").message, "unknown");

  // A new head: the old sha's decision no longer speaks for the branch.
  const std::string next = env.push();
  const long stored = env.sql_long(
      "SELECT count(*) FROM gate_decisions WHERE environment = 'production' AND sha = '" + next +
      "'");
  b = env.badge("/badge/acme/model/gate.svg?environment=production");
  if (stored == 0)
    EXPECT_EQ(b.message, "unknown");
  else
    EXPECT_NE(b.message, "allow") << "a pending pipeline's head cannot be allowed";
  // Decided again for the new head while its required tier is still queued: pending.
  g = http_get(env.host(), "/api/v1/repos/acme/model/gate?sha=" + next + "&environment=production",
               env.admin());
  ASSERT_EQ(g.status, 200) << g.body;
  EXPECT_EQ(json::parse(g.body)["decision"], "pending");
  b = env.badge("/badge/acme/model/gate.svg?environment=production");
  EXPECT_EQ(b.message, "pending");
  EXPECT_EQ(b.color, "#dfb317");
}

TEST(Badges, WithoutPublicReadABadgeNeedsAReadToken) {
  BadgeEnv env(std::vector<std::string>{});
  EXPECT_EQ(env.badge("/badge/acme/model.svg").status, 401);
  EXPECT_EQ(env.badge("/badge/acme/model/gate.svg?environment=production").status, 401);
  auto b = env.badge("/badge/acme/model.svg", env.admin());
  EXPECT_EQ(b.status, 200);
  EXPECT_EQ(b.message, "unknown");
}

}  // namespace
}  // namespace mlgate
