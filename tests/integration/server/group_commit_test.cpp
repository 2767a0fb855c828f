// Group commit at intake, end to end: many signed deliveries sent at once to the real mlgate
// binary are committed in groups (fewer transactions than deliveries, counted in /metrics), each
// is answered exactly once — a delivery id sent twice at once is accepted once and answered
// duplicate once — and every delivery answered 202 is in PostgreSQL after serve is SIGKILLed right
// after the last answer.
#include <gtest/gtest.h>
#include <signal.h>

#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <sstream>
#include <thread>
#include <vector>

#include "tests/support/git_fixture.h"
#include "tests/support/mlgate_process.h"
#include "tests/support/pg_cluster.h"
#include "tests/support/push_fixture.h"
#include "tests/support/temp_dir.h"
#include "util/hash.h"

namespace mlgate {
namespace {

using nlohmann::json;

const std::string kSecret = "group-commit-secret";

double sample(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return -1;
}

struct Answer {
  std::string delivery_id;
  int status = -1;
  json body;
};

TEST(GroupCommit, ConcurrentDeliveriesAreAckedOnceEachAndEveryAckedRowSurvivesASigkill) {
  const std::string conninfo = testing::PgCluster::instance().create_database("group");
  testing::GitRepoFixture repo;
  const std::string sha = repo.commit({{".mlgate.yml",
                                        "version: 1\nimage: mlgate/busybox:test\n"
                                        "tiers:\n  functionality:\n    run: \"true\"\n"}},
                                      "c1");
  testing::TempDir dir("mlgate-group");
  testing::ServeProcess serve({.data_dir = dir.path(), .database_url = conninfo});
  const std::string admin = testing::strip_newlines(testing::read_file(dir.path() / "admin-token"));
  const std::vector<std::pair<std::string, std::string>> auth = {
      {"Authorization", "Bearer " + admin}};
  json reg = {{"forge", "github"},
              {"name", "acme/model"},
              {"clone_url", repo.file_url()},
              {"secret", kSecret}};
  ASSERT_EQ(
      testing::http_post(serve.host_port(), "/api/v1/repos", reg.dump(), "application/json", auth)
          .status,
      201);
  const std::string body = testing::github_push_body(sha);
  const std::string signature = "sha256=" + util::hmac_sha256_hex(kSecret, body);

  // 32 senders at once, 8 deliveries each; delivery "twin-<k>" is sent by two senders at the same
  // moment (k < 64), every other id once.
  constexpr int kSenders = 32;
  constexpr int kEach = 8;
  std::mutex mu;
  std::vector<Answer> answers;
  std::vector<std::thread> senders;
  for (int s = 0; s < kSenders; ++s) {
    senders.emplace_back([&, s] {
      for (int i = 0; i < kEach; ++i) {
        const int k = (s / 2) * kEach + i;
        const std::string id = s < 16 ? "twin-" + std::to_string(k)
                                      : "solo-" + std::to_string(s) + "-" + std::to_string(i);
        auto r = testing::http_post(serve.host_port(), "/webhooks/github", body, "application/json",
                                    {{"X-GitHub-Event", "push"},
                                     {"X-GitHub-Delivery", id},
                                     {"X-Hub-Signature-256", signature}});
        std::lock_guard lock(mu);
        answers.push_back({id, r.status, json::parse(r.body, nullptr, false)});
      }
    });
  }
  for (auto& t : senders) t.join();
  const std::string metrics = testing::http_get(serve.host_port(), "/metrics", auth).body;
  // Right after the last answer, with the planner still busy: no clean shutdown.
  serve.process().signal(SIGKILL);
  serve.process().wait();

  std::map<std::string, std::vector<Answer>> by_id;
  for (const auto& a : answers) by_id[a.delivery_id].push_back(a);
  ASSERT_EQ(answers.size(), static_cast<std::size_t>(kSenders * kEach));
  std::vector<std::int64_t> acked;
  for (const auto& [id, list] : by_id) {
    int accepted = 0, duplicate = 0;
    std::int64_t accepted_row = 0, original = -1;
    for (const auto& a : list) {
      if (a.status == 202 && a.body.value("status", "") == "accepted") {
        ++accepted;
        accepted_row = a.body["delivery"].get<std::int64_t>();
        acked.push_back(accepted_row);
      } else if (a.status == 200 && a.body.value("status", "") == "duplicate") {
        ++duplicate;
        original = a.body.value("original_delivery", std::int64_t{-2});
      } else {
        ADD_FAILURE() << id << ": " << a.status << " " << a.body.dump();
      }
    }
    EXPECT_EQ(accepted, 1) << id;
    EXPECT_EQ(duplicate, static_cast<int>(list.size()) - 1) << id;
    if (duplicate > 0) {
      EXPECT_EQ(original, accepted_row) << id;
    }
  }
  EXPECT_EQ(by_id.size(), 64u + 16u * kEach);

  // Every row answered 202 is in PostgreSQL, accepted, once.
  pqxx::connection c(conninfo);
  pqxx::nontransaction tx(c);
  std::ostringstream ids;
  for (std::size_t i = 0; i < acked.size(); ++i) ids << (i ? "," : "") << acked[i];
  EXPECT_EQ(
      tx.exec1("SELECT count(*) FROM webhook_deliveries WHERE verdict = 'accepted' AND id IN (" +
               ids.str() + ")")[0]
          .as<std::size_t>(),
      acked.size());
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM webhook_deliveries WHERE verdict = 'accepted'")[0]
                .as<std::size_t>(),
            by_id.size());
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM webhook_deliveries WHERE verdict = 'duplicate'")[0]
                .as<std::size_t>(),
            answers.size() - by_id.size());

  // The deliveries were committed in groups: every one in a group commit, fewer commits than
  // deliveries (32 senders at once cannot all find no commit under way).
  const double grouped = sample(metrics, "mlgate_webhook_group_committed_deliveries_total");
  const double groups = sample(metrics, "mlgate_webhook_group_commits_total");
  EXPECT_EQ(grouped, static_cast<double>(answers.size())) << metrics;
  EXPECT_GT(groups, 0);
  EXPECT_LT(groups, grouped);
  testing::PgCluster::instance().drop_database(conninfo);
}

}  // namespace
}  // namespace mlgate
