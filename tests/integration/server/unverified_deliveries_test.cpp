// What unverified webhook deliveries cost to keep, end to end: the real mlgate binary on a
// throwaway PostgreSQL. A forged delivery keeps its headers, size, SHA-256 and at most its first
// 64 KiB; an accepted one keeps its whole body and replays; past the bound the oldest unverified
// rows are deleted and /metrics counts them.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <sstream>

#include "tests/support/git_fixture.h"
#include "tests/support/mlgate_process.h"
#include "tests/support/pg_cluster.h"
#include "tests/support/temp_dir.h"
#include "util/hash.h"

namespace mlgate {
namespace {

using nlohmann::json;
using testing::eventually;
using testing::http_get;
using testing::http_post;

const std::string kSecret = "unverified-test-secret";
constexpr std::int64_t kKept = 64 * 1024;

const char* kConfig = R"(version: 1
image: mlgate/busybox:test
tiers:
  functionality:
    run: echo functionality
)";

std::string strip(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

// The real GitHub push payload naming `repo` at `sha`, padded with JSON whitespace to exactly
// `bytes` bytes.
std::string push_body(const std::string& repo, const std::string& sha, std::size_t bytes) {
  json p = json::parse(
      testing::read_file(std::string(MLGATE_SHARED_FIXTURES) + "/webhooks/github/push.json"));
  p["ref"] = "refs/heads/main";
  p["after"] = sha;
  p["head_commit"]["id"] = sha;
  p["repository"]["full_name"] = repo;
  p["repository"]["name"] = repo.substr(repo.find('/') + 1);
  p["repository"]["default_branch"] = "main";
  std::string body = p.dump();
  if (body.size() < bytes) body.append(bytes - body.size(), ' ');
  return body;
}

class UnverifiedDeliveriesTest : public ::testing::Test {
 protected:
  void start(std::vector<std::string> extra = {}) {
    conninfo_ = testing::PgCluster::instance().create_database("unv");
    serve_ = std::make_unique<testing::ServeProcess>(testing::ServeProcessOptions{
        .data_dir = dir_.path(), .database_url = conninfo_, .extra_args = std::move(extra)});
    admin_ = strip(testing::read_file(dir_.path() / "admin-token"));
    sha_ = repo_.commit({{".mlgate.yml", kConfig}}, "first");
    json reg = {{"forge", "github"},
                {"name", "acme/model"},
                {"clone_url", repo_.file_url()},
                {"secret", kSecret}};
    auto r = http_post(serve_->host_port(), "/api/v1/repos", reg.dump(), "application/json",
                       admin_headers());
    ASSERT_EQ(r.status, 201) << r.body;
  }
  void TearDown() override {
    serve_.reset();
    if (!conninfo_.empty()) testing::PgCluster::instance().drop_database(conninfo_);
  }
  std::vector<std::pair<std::string, std::string>> admin_headers() const {
    return {{"Authorization", "Bearer " + admin_}};
  }
  testing::HttpResult post(const std::string& body, const std::string& delivery,
                           const std::string& secret) {
    return http_post(serve_->host_port(), "/webhooks/github", body, "application/json",
                     {{"X-GitHub-Event", "push"},
                      {"X-GitHub-Delivery", delivery},
                      {"X-Hub-Signature-256", "sha256=" + util::hmac_sha256_hex(secret, body)}});
  }
  json get_json(const std::string& path) {
    auto r = http_get(serve_->host_port(), path, admin_headers());
    EXPECT_EQ(r.status, 200) << path << ": " << r.body;
    return json::parse(r.body, nullptr, false);
  }
  std::int64_t scalar(const std::string& sql) {
    pqxx::connection c(conninfo_);
    pqxx::nontransaction tx(c);
    return tx.exec1(sql)[0].as<std::int64_t>();
  }
  // The value of one sample of GET /metrics, or -1 when it is absent.
  double metric(const std::string& sample) {
    auto r = http_get(serve_->host_port(), "/metrics", admin_headers());
    std::istringstream in(r.body);
    for (std::string line; std::getline(in, line);) {
      if (line.rfind(sample + " ", 0) == 0) return std::stod(line.substr(sample.size() + 1));
    }
    return -1;
  }

  testing::TempDir dir_{"mlgate-unv"};
  testing::GitRepoFixture repo_;
  std::string conninfo_;
  std::unique_ptr<testing::ServeProcess> serve_;
  std::string admin_;
  std::string sha_;
};

TEST_F(UnverifiedDeliveriesTest, AForged8MiBDeliveryKeepsItsSizeHashAndFirst64KiBOnly) {
  start();
  const std::string body = push_body("acme/model", sha_, 8u << 20);
  auto r = post(body, "forged-1", "not-the-secret");
  ASSERT_EQ(r.status, 401) << r.body;
  const auto id = json::parse(r.body)["delivery"].get<std::int64_t>();
  const std::string where = " FROM webhook_deliveries WHERE id = " + std::to_string(id);
  EXPECT_LE(scalar("SELECT octet_length(body)" + where), kKept);
  EXPECT_EQ(scalar("SELECT body_bytes" + where), std::int64_t{8} << 20);
  EXPECT_EQ(scalar("SELECT count(*)" + where +
                   " AND body_truncated AND NOT verified AND "
                   "body_sha256 = '" +
                   util::sha256_hex(body) + "'"),
            1);
  json d = get_json("/api/v1/webhooks/deliveries/" + std::to_string(id));
  EXPECT_EQ(d["body_bytes"], std::int64_t{8} << 20);
  EXPECT_EQ(d["body_sha256"], util::sha256_hex(body));
  EXPECT_EQ(d["body_truncated"], true);
  EXPECT_EQ(d["body"].get<std::string>(), body.substr(0, kKept));
  json list = get_json("/api/v1/webhooks/deliveries");
  EXPECT_EQ(list["deliveries"][0]["body_truncated"], true);
  // A cut body cannot be replayed.
  auto replay = http_post(serve_->host_port(),
                          "/api/v1/webhooks/deliveries/" + std::to_string(id) + "/replay", "",
                          "application/json", admin_headers());
  EXPECT_EQ(replay.status, 409) << replay.body;
  // An unknown repository's delivery is cut the same way.
  auto unknown = post(push_body("someone/else", sha_, 1u << 20), "forged-2", kSecret);
  ASSERT_EQ(unknown.status, 404) << unknown.body;
  EXPECT_EQ(scalar("SELECT octet_length(body) FROM webhook_deliveries WHERE delivery_id = "
                   "'forged-2'"),
            kKept);
}

TEST_F(UnverifiedDeliveriesTest, AnAcceptedDeliveryKeepsItsWholeBodyAndReplays) {
  start();
  const std::string body = push_body("acme/model", sha_, 1u << 20);
  auto r = post(body, "real-1", kSecret);
  ASSERT_EQ(r.status, 202) << r.body;
  const auto id = json::parse(r.body)["delivery"].get<std::int64_t>();
  const std::string where = " FROM webhook_deliveries WHERE id = " + std::to_string(id);
  EXPECT_EQ(scalar("SELECT octet_length(body)" + where), std::int64_t{1} << 20);
  EXPECT_EQ(scalar("SELECT count(*)" + where +
                   " AND NOT body_truncated AND verified AND "
                   "body_bytes = 1048576 AND body_sha256 = '" +
                   util::sha256_hex(body) + "'"),
            1);
  auto dup = post(body, "real-1", kSecret);
  ASSERT_EQ(dup.status, 200) << dup.body;
  EXPECT_EQ(scalar("SELECT octet_length(body) FROM webhook_deliveries WHERE verdict = "
                   "'duplicate'"),
            std::int64_t{1} << 20);
  auto replay = http_post(serve_->host_port(),
                          "/api/v1/webhooks/deliveries/" + std::to_string(id) + "/replay", "",
                          "application/json", admin_headers());
  ASSERT_EQ(replay.status, 202) << replay.body;
  EXPECT_EQ(json::parse(replay.body)["status"], "accepted");
}

TEST_F(UnverifiedDeliveriesTest, OverTheBoundTheOldestUnverifiedAreDroppedAndCounted) {
  // 256 KiB overall, 192 KiB per repository: a forged row keeps 64 KiB and its headers, so each
  // allowance holds two of them and four exceed the total.
  start({"--unverified-deliveries-max-bytes", "262144", "--unverified-deliveries-repo-max-bytes",
         "196608"});
  ASSERT_EQ(post(push_body("acme/model", sha_, 1000), "ok-1", kSecret).status, 202);
  std::int64_t last = 0;
  for (int i = 0; i < 4; ++i) {
    auto r = post(push_body("acme/model", sha_, 1u << 20), "bad-" + std::to_string(i), "wrong");
    ASSERT_EQ(r.status, 401) << r.body;
  }
  for (int i = 0; i < 4; ++i) {
    auto r = post(push_body("nobody/here", sha_, 1u << 20), "unk-" + std::to_string(i), kSecret);
    ASSERT_EQ(r.status, 404) << r.body;
    last = json::parse(r.body)["delivery"].get<std::int64_t>();
  }
  const std::string kept_bytes =
      "SELECT coalesce(sum(octet_length(body) + pg_column_size(headers)), 0)::bigint "
      "FROM webhook_deliveries WHERE NOT verified";
  EXPECT_LE(scalar(kept_bytes), 262144);
  EXPECT_EQ(scalar("SELECT count(*) FROM webhook_deliveries WHERE NOT verified"), 3);
  // The newest are kept: the last two of the unknown repository and the last of acme/model.
  EXPECT_EQ(scalar("SELECT count(*) FROM webhook_deliveries WHERE id = " + std::to_string(last)),
            1);
  EXPECT_EQ(scalar("SELECT count(*) FROM webhook_deliveries WHERE delivery_id IN "
                   "('bad-3', 'unk-2', 'unk-3')"),
            3);
  // Verified deliveries are never dropped.
  EXPECT_EQ(scalar("SELECT count(*) FROM webhook_deliveries WHERE delivery_id = 'ok-1'"), 1);
  EXPECT_EQ(metric(R"(mlgate_webhook_unverified_dropped_total{reason="repo_share"})"), 4);
  EXPECT_EQ(metric(R"(mlgate_webhook_unverified_dropped_total{reason="total"})"), 1);
  EXPECT_GT(metric(R"(mlgate_webhook_unverified_dropped_bytes_total{reason="total"})"), kKept);
}

}  // namespace
}  // namespace mlgate
