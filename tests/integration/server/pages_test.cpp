// The status pages without a browser (docs/pages.md): status codes, the API's auth (bearer header,
// the sign-in cookie, --public-read, the admin-only deliveries page, repo-restricted tokens) and
// HTML escaping of everything a webhook or a job controls. The real `mlgate serve` on a throwaway
// PostgreSQL; rows are written with the store's own functions. tests/e2e/pages runs the pages in
// Chromium with data made by real runs.
#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "store/deliveries.h"
#include "store/pipelines.h"
#include "store/pq.h"
#include "store/repos.h"
#include "store/results.h"
#include "store/tokens.h"
#include "tests/support/mlgate_process.h"
#include "tests/support/pg_cluster.h"
#include "tests/support/temp_dir.h"

namespace mlgate {
namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;
using testing::http_get;
using testing::http_post;

const std::string kXss = "<script>alert(1)</script>";
const std::string kAttr = "\"><img src=x onerror=alert(2)>";
const std::string kSha = "0123456789abcdef0123456789abcdef01234567";

struct Seeded {
  std::int64_t repo_id = 0;
  std::int64_t other_repo_id = 0;
  std::int64_t pipeline_id = 0;
  std::int64_t job_id = 0;
};

// A repo with one pipeline whose commit message, author, branch, test and metric names hold
// markup, a job log holding markup, a gate decision whose reason holds markup, and a delivery.
Seeded seed(const std::string& conninfo) {
  pqxx::connection c(conninfo);
  pqxx::work tx(c);
  Seeded s;
  store::NewRepo repo{.forge = "github",
                      .full_name = "acme/model",
                      .clone_url = "https://example.com/acme/model.git",
                      .webhook_secret = "pages-test-secret"};
  s.repo_id = store::insert_repo(tx, repo);
  repo.full_name = "acme/other";
  s.other_repo_id = store::insert_repo(tx, repo);
  store::NewPipeline p;
  p.repo_id = s.repo_id;
  p.trigger = "push";
  p.ref = "refs/heads/main";
  p.branch = "main";
  p.sha = kSha;
  p.commit_message = "Tune " + kXss + "\nsecond line";
  p.author = kAttr;
  p.jobs.push_back({.tier = "validation", .image = "busybox", .command = "true"});
  s.pipeline_id = store::create_pipeline(tx, p);
  s.job_id = tx.exec_params1("SELECT id FROM jobs WHERE pipeline_id = $1", s.pipeline_id)[0]
                 .as<std::int64_t>();
  tx.exec_params("UPDATE jobs SET results_files = '{\"metrics.json\": 120}' WHERE id = $1",
                 s.job_id);
  tx.exec_params("INSERT INTO job_logs (job_id, attempt, byte_offset, data) VALUES ($1, 0, 0, $2)",
                 s.job_id, store::to_bytea("line 1 " + kXss + "\nline 2\n"));
  store::replace_metrics(
      tx, s.job_id,
      {{.name = "acc<u>racy", .value = 0.93},
       {.name = "recall", .slice_key = "age", .slice_value = kXss, .n = 40, .value = 0.8}});
  store::replace_test_cases(
      tx, s.job_id,
      {{.name = "test_" + kXss, .status = core::TestStatus::failed, .message = kAttr}});
  nlohmann::json checks = nlohmann::json::array({{{"kind", "metric"},
                                                  {"name", "acc<u>racy"},
                                                  {"status", "fail"},
                                                  {"value", 0.93},
                                                  {"baseline", 0.96},
                                                  {"threshold", "min 0.95, max_drop 0.01"},
                                                  {"reason", kXss},
                                                  {"blocks", true}}});
  nlohmann::json inputs = {{"summary", "deny: " + kXss}};
  tx.exec_params(
      "INSERT INTO gate_decisions (repo_id, sha, environment, decision, checks, inputs) "
      "VALUES ($1, $2, 'production', 'deny', $3::jsonb, $4::jsonb)",
      s.repo_id, kSha, checks.dump(), inputs.dump());
  store::insert_delivery(tx, {.repo_id = s.repo_id,
                              .forge = "github",
                              .delivery_id = "d1",
                              .event = "push",
                              .body = "{}",
                              .verdict = *core::parse_delivery_verdict("rejected"),
                              .http_status = 401,
                              .reason = "bad signature " + kXss});
  tx.commit();
  return s;
}

std::string insert_token(const std::string& conninfo, const std::vector<std::string>& scopes,
                         std::optional<std::int64_t> repo_id = std::nullopt) {
  const auto t = store::generate_token();
  pqxx::connection c(conninfo);
  pqxx::work tx(c);
  store::insert_api_token(tx, "pages-test", t, scopes, repo_id);
  tx.commit();
  return t;
}

Headers bearer(const std::string& token) {
  return {{"Authorization", "Bearer " + token}};
}

class PagesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    conninfo_ = new std::string(testing::PgCluster::instance().create_database("pages"));
    seeded_ = new Seeded(seed(*conninfo_));
    dir_ = new testing::TempDir("mlgate-pages-test");
    private_ = new testing::ServeProcess(
        {.data_dir = dir_->path() / "private", .database_url = *conninfo_});
    public_ = new testing::ServeProcess({.data_dir = dir_->path() / "public",
                                         .database_url = *conninfo_,
                                         .extra_args = {"--public-read"}});
    admin_ = new std::string(insert_token(*conninfo_, {"admin"}));
    reader_ = new std::string(insert_token(*conninfo_, {"read"}));
  }
  static void TearDownTestSuite() {
    delete public_;
    delete private_;
    delete dir_;
    testing::PgCluster::instance().drop_database(*conninfo_);
    delete conninfo_;
    delete seeded_;
    delete admin_;
    delete reader_;
  }

  static inline std::string* conninfo_ = nullptr;
  static inline Seeded* seeded_ = nullptr;
  static inline testing::TempDir* dir_ = nullptr;
  static inline testing::ServeProcess* private_ = nullptr;
  static inline testing::ServeProcess* public_ = nullptr;
  static inline std::string* admin_ = nullptr;
  static inline std::string* reader_ = nullptr;
};

std::vector<std::string> every_page(const Seeded& s) {
  return {"/",
          "/repos/acme/model",
          "/pipelines/" + std::to_string(s.pipeline_id),
          "/jobs/" + std::to_string(s.job_id),
          "/jobs/" + std::to_string(s.job_id) + "/log.txt",
          "/deliveries"};
}

TEST_F(PagesTest, WithoutPublicReadEveryPageNeedsATokenAndOffersTheSignInForm) {
  for (const auto& path : every_page(*seeded_)) {
    auto r = http_get(private_->host_port(), path);
    EXPECT_EQ(r.status, 401) << path;
    EXPECT_NE(r.body.find("<form class=\"login\" method=\"post\" action=\"/login\">"),
              std::string::npos)
        << path << ": " << r.body;
    EXPECT_EQ(r.body.find(kSha.substr(0, 12)), std::string::npos) << path << " leaks data";
    EXPECT_EQ(r.body.find("data-"), std::string::npos) << path << " leaks data";
    auto ok = http_get(private_->host_port(), path, bearer(*admin_));
    EXPECT_EQ(ok.status, 200) << path << ": " << ok.body;
  }
  EXPECT_EQ(http_get(private_->host_port(), "/", bearer("mlg_nope")).status, 401);
  EXPECT_EQ(http_get(private_->host_port(), "/static/style.css").status, 200);
}

TEST_F(PagesTest, PublicReadShowsPagesAnonymouslyButDeliveriesNeedTheAdminScope) {
  const auto host = public_->host_port();
  for (const auto& path : every_page(*seeded_)) {
    if (path == "/deliveries") continue;
    EXPECT_EQ(http_get(host, path).status, 200) << path;
  }
  EXPECT_EQ(http_get(host, "/deliveries").status, 401);
  EXPECT_EQ(http_get(host, "/deliveries", bearer(*reader_)).status, 403);
  auto admin = http_get(host, "/deliveries", bearer(*admin_));
  EXPECT_EQ(admin.status, 200);
  EXPECT_NE(admin.body.find("data-delivery="), std::string::npos) << admin.body;
  // The navigation links the deliveries page only for those who may see it.
  EXPECT_EQ(http_get(host, "/").body.find("href=\"/deliveries\""), std::string::npos);
  EXPECT_NE(http_get(host, "/", bearer(*admin_)).body.find("href=\"/deliveries\""),
            std::string::npos);
}

TEST_F(PagesTest, SignInSetsAStrictHttpOnlyCookieThatAuthorisesPages) {
  const auto host = private_->host_port();
  httplib::Client client(host.substr(0, host.find(':')), private_->port());
  auto bad = client.Post("/login", "token=mlg_wrong&next=%2Fdeliveries",
                         "application/x-www-form-urlencoded");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 401);
  EXPECT_FALSE(bad->has_header("Set-Cookie"));

  auto ok = client.Post("/login", "token=" + *admin_ + "&next=%2Fdeliveries",
                        "application/x-www-form-urlencoded");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 303);
  EXPECT_EQ(ok->get_header_value("Location"), "/deliveries");
  const auto cookie = ok->get_header_value("Set-Cookie");
  EXPECT_EQ(cookie.rfind("mlgate_token=" + *admin_ + ";", 0), 0u) << cookie;
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos) << cookie;
  EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos) << cookie;
  auto page = http_get(host, "/deliveries", {{"Cookie", "a=b; mlgate_token=" + *admin_}});
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("action=\"/logout\""), std::string::npos) << "a sign-out button";

  // A revoked or unknown cookie is refused and cleared.
  auto stale = http_get(host, "/", {{"Cookie", "mlgate_token=mlg_revoked"}});
  EXPECT_EQ(stale.status, 401);
  // Never an open redirect.
  auto away = client.Post("/login", "token=" + *admin_ + "&next=%2F%2Fevil.example%2F",
                          "application/x-www-form-urlencoded");
  ASSERT_TRUE(away);
  EXPECT_EQ(away->get_header_value("Location"), "/");
  auto out = client.Post("/logout", "", "application/x-www-form-urlencoded");
  ASSERT_TRUE(out);
  EXPECT_EQ(out->status, 303);
  EXPECT_NE(out->get_header_value("Set-Cookie").find("Max-Age=0"), std::string::npos);
}

TEST_F(PagesTest, EverythingAWebhookOrAJobWroteIsEscaped) {
  const auto host = public_->host_port();
  for (const auto& path : every_page(*seeded_)) {
    if (path.ends_with("log.txt")) continue;
    auto r = http_get(host, path, bearer(*admin_));
    ASSERT_EQ(r.status, 200) << path;
    EXPECT_EQ(r.body.find("<script"), std::string::npos) << path << ":\n" << r.body;
    EXPECT_EQ(r.body.find("<img"), std::string::npos) << path << ":\n" << r.body;
    EXPECT_EQ(r.body.find("<u>"), std::string::npos) << path << ":\n" << r.body;
  }
  auto pipeline = http_get(host, "/pipelines/" + std::to_string(seeded_->pipeline_id)).body;
  EXPECT_NE(pipeline.find("Tune &lt;script&gt;alert(1)&lt;/script&gt;\nsecond line"),
            std::string::npos)
      << "the message, escaped, its line break kept:\n"
      << pipeline;
  EXPECT_NE(pipeline.find("<dd>&quot;&gt;&lt;img src=x onerror=alert(2)&gt;</dd>"),
            std::string::npos)
      << pipeline;
  // The plots drawn from the job's names: the forest row and the slice bar, escaped.
  EXPECT_NE(pipeline.find("<g class=\"row fail\"><title>acc&lt;u&gt;racy: change -0.03"),
            std::string::npos)
      << pipeline;
  EXPECT_NE(pipeline.find("<title>recall age=&lt;script&gt;alert(1)&lt;/script&gt;: 0.8</title>"),
            std::string::npos)
      << pipeline;
  auto job = http_get(host, "/jobs/" + std::to_string(seeded_->job_id)).body;
  EXPECT_NE(job.find("line 1 &lt;script&gt;alert(1)&lt;/script&gt;\nline 2"), std::string::npos)
      << job;
  auto raw = http_get(host, "/jobs/" + std::to_string(seeded_->job_id) + "/log.txt");
  EXPECT_EQ(raw.body, "line 1 " + kXss + "\nline 2\n") << "the raw log is the log, as text/plain";
}

TEST_F(PagesTest, PagesForbidScriptsAndUnknownIdsAre404Pages) {
  const auto host = public_->host_port();
  httplib::Client client("127.0.0.1", public_->port());
  auto r = client.Get("/");
  ASSERT_TRUE(r);
  EXPECT_NE(r->get_header_value("Content-Security-Policy").find("default-src 'none'"),
            std::string::npos);
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/html; charset=utf-8");
  for (const std::string path : {"/pipelines/999999", "/jobs/999999", "/repos/no/such"}) {
    auto nf = http_get(host, path);
    EXPECT_EQ(nf.status, 404) << path;
    EXPECT_NE(nf.body.find("<h1>Not found</h1>"), std::string::npos) << nf.body;
  }
}

// Another repository's pages are "Not found", as if they did not exist (docs/security.md).
TEST_F(PagesTest, ARepoRestrictedTokenSeesOnlyItsRepository) {
  const auto host = private_->host_port();
  const auto other = insert_token(*conninfo_, {"read"}, seeded_->other_repo_id);
  EXPECT_EQ(http_get(host, "/repos/acme/other", bearer(other)).status, 200);
  const std::string job = "/jobs/" + std::to_string(seeded_->job_id);
  const std::vector<std::string> paths = {"/repos/acme/model",
                                          "/pipelines/" + std::to_string(seeded_->pipeline_id), job,
                                          job + "/log.txt"};
  for (const auto& path : paths) {
    auto r = http_get(host, path, bearer(other));
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_NE(r.body.find("<h1>Not found</h1>"), std::string::npos) << path << r.body;
    EXPECT_EQ(r.body.find("alert(1)"), std::string::npos) << path << r.body;
  }
  auto dash = http_get(host, "/", bearer(other));
  EXPECT_EQ(dash.status, 200);
  EXPECT_EQ(dash.body.find("acme/model"), std::string::npos) << dash.body;
  // An admin token of the other repository sees none of acme/model's deliveries.
  const auto other_admin = insert_token(*conninfo_, {"admin"}, seeded_->other_repo_id);
  auto deliveries = http_get(host, "/deliveries", bearer(other_admin));
  EXPECT_EQ(deliveries.status, 200);
  EXPECT_EQ(deliveries.body.find("acme/model"), std::string::npos) << deliveries.body;
  EXPECT_NE(http_get(host, "/deliveries", bearer(*admin_)).body.find("acme/model"),
            std::string::npos);
}

}  // namespace
}  // namespace mlgate
