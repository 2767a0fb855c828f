// A PostgreSQL failover under load (docs/operations.md, "High availability: PostgreSQL failover"):
// a real primary and a real synchronous streaming replica (tests/support/pg_node.h), `mlgate
// serve` connected to both with a multi-host URL (target_session_attrs=read-write), signed webhook
// deliveries sent without pause by two senders that retry until they get a 2xx (as a forge does).
// The primary is stopped hard (`pg_ctl stop -m immediate`) and the replica promoted a moment
// later. The same serve process keeps answering throughout; every delivery it acknowledged is in
// the new primary's database exactly once, and planned. Then the edges: a COMMIT in flight when
// the primary dies (spooled, not 500), serve reaching only a standby (not ready, spooling), and
// why the replica must be synchronous (with asynchronous replication an acknowledged delivery is
// lost).
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <set>
#include <thread>

#include "store/database.h"
#include "tests/support/git_fixture.h"
#include "tests/support/mlgate_process.h"
#include "tests/support/pg_node.h"
#include "tests/support/push_fixture.h"
#include "tests/support/temp_dir.h"
#include "util/hash.h"

namespace mlgate {
namespace {

using nlohmann::json;
using std::chrono::steady_clock;
using testing::eventually;
using testing::http_get;
using testing::http_post;

const std::string kSecret = "failover-webhook-secret";

const char* kConfig = R"(version: 1
image: mlgate/busybox:test
tiers:
  functionality:
    run: echo functionality
)";

// The settings of docs/operations.md: every commit waits until the replica has it.
const std::vector<std::string> kPrimarySettings = {"synchronous_standby_names=node_b",
                                                   "synchronous_commit=on"};

double seconds_since(steady_clock::time_point t) {
  return std::chrono::duration<double>(steady_clock::now() - t).count();
}

// What the senders saw, over all attempts.
struct Tally {
  std::mutex mu;
  std::set<std::string> acknowledged;  // delivery ids answered 2xx
  std::map<std::string, int> answers;  // "202 accepted", "202 spooled", "503", "no answer", ...
  void record(const std::string& id, const testing::HttpResult& r) {
    std::string what = std::to_string(r.status);
    if (r.status == -1) what = "no answer";
    auto j = json::parse(r.body, nullptr, false);
    if (j.is_object() && j.contains("status")) what += " " + j["status"].get<std::string>();
    if (j.is_object() && j.contains("error")) what += " " + j["error"].value("code", "");
    std::lock_guard lock(mu);
    ++answers[what];
    if (r.status >= 200 && r.status < 300) acknowledged.insert(id);
  }
  int count(const std::string& what) {
    std::lock_guard lock(mu);
    return answers.count(what) ? answers[what] : 0;
  }
};

// Sends signed pushes "<prefix>-<n>" one after another until `stop`; each is sent again, with the
// same delivery id, until it gets a 2xx.
void send_until_stopped(const std::string& host_port, const std::string& body,
                        const std::string& prefix, std::atomic<bool>& stop, Tally& tally) {
  const std::vector<std::pair<std::string, std::string>> fixed = {
      {"X-GitHub-Event", "push"},
      {"X-Hub-Signature-256", "sha256=" + util::hmac_sha256_hex(kSecret, body)}};
  for (int n = 0; !stop; ++n) {
    const std::string id = prefix + "-" + std::to_string(n);
    auto headers = fixed;
    headers.emplace_back("X-GitHub-Delivery", id);
    const auto give_up = steady_clock::now() + std::chrono::seconds(60);
    while (steady_clock::now() < give_up) {
      auto r = http_post(host_port, "/webhooks/github", body, "application/json", headers);
      tally.record(id, r);
      if (r.status >= 200 && r.status < 300) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(15));
  }
}

int scalar(const std::string& conninfo, const std::string& sql) {
  pqxx::connection c(conninfo);
  pqxx::nontransaction tx(c);
  return tx.exec1(sql)[0].as<int>();
}

class Failover : public ::testing::Test {
 protected:
  // Synchronous replication; AsynchronousFailover shows what happens without it.
  virtual bool synchronous() const { return true; }

  void SetUp() override {
    primary_ = testing::PgNode::primary(
        "node_a", synchronous() ? kPrimarySettings : std::vector<std::string>{});
    replica_ = testing::PgNode::replica_of(*primary_, "node_b");
    const std::string state = synchronous() ? "sync" : "async";
    ASSERT_TRUE(eventually([&] {
      return scalar(primary_->conninfo(),
                    "SELECT count(*) FROM pg_stat_replication WHERE application_name = 'node_b' "
                    "AND state = 'streaming' AND sync_state = '" +
                        state + "'") == 1;
    })) << primary_->log_tail();
    {
      pqxx::connection c(primary_->conninfo());
      pqxx::nontransaction tx(c);
      tx.exec("CREATE DATABASE mlgate");
    }
    url_ = "postgresql://mlgate@" + primary_->host_port() + "," + replica_->host_port() +
           "/mlgate?target_session_attrs=read-write&connect_timeout=5";
    sha_ = repo_.commit({{".mlgate.yml", kConfig}}, "model");
    serve_ = std::make_unique<testing::ServeProcess>(
        testing::ServeProcessOptions{.data_dir = dir_.path(), .database_url = url_});
    admin_ = testing::strip_newlines(testing::read_file(dir_.path() / "admin-token"));
    json reg = {{"forge", "github"},
                {"name", "acme/model"},
                {"clone_url", repo_.file_url()},
                {"secret", kSecret}};
    auto r = http_post(serve_->host_port(), "/api/v1/repos", reg.dump(), "application/json",
                       {{"Authorization", "Bearer " + admin_}});
    ASSERT_EQ(r.status, 201) << r.body;
  }

  int readyz() { return http_get(serve_->host_port(), "/readyz").status; }
  int healthz() { return http_get(serve_->host_port(), "/healthz").status; }

  std::unique_ptr<testing::PgNode> primary_;
  std::unique_ptr<testing::PgNode> replica_;
  std::string url_;
  testing::GitRepoFixture repo_;
  std::string sha_;
  testing::TempDir dir_{"mlgate-failover"};
  std::unique_ptr<testing::ServeProcess> serve_;
  std::string admin_;
};

// Every accepted delivery on `conninfo`: delivery id -> (rows, planned rows with a pipeline).
std::map<std::string, std::pair<int, int>> accepted_rows(const std::string& conninfo) {
  pqxx::connection c(conninfo);
  pqxx::nontransaction tx(c);
  std::map<std::string, std::pair<int, int>> out;
  for (const auto& row :
       tx.exec("SELECT d.delivery_id, count(*), "
               "count(*) FILTER (WHERE d.plan_state = 'planned' AND p.id IS NOT NULL) "
               "FROM webhook_deliveries d LEFT JOIN pipelines p ON p.delivery_id = d.id "
               "WHERE d.verdict = 'accepted' GROUP BY d.delivery_id")) {
    out[row[0].as<std::string>()] = {row[1].as<int>(), row[2].as<int>()};
  }
  return out;
}

// Two senders, from construction until stop().
class Load {
 public:
  Load(const std::string& host_port, const std::string& body) {
    for (const char* prefix : {"a", "b"}) {
      threads_.emplace_back([this, host_port, body, prefix] {
        send_until_stopped(host_port, body, prefix, stop_, tally);
      });
    }
  }
  ~Load() { stop(); }
  void stop() {
    stop_ = true;
    for (auto& t : threads_)
      if (t.joinable()) t.join();
  }
  Tally tally;

 private:
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
};

// Waits until every acknowledged delivery, and nothing else, is accepted on `conninfo` exactly
// once and planned exactly once; fails naming what is not.
void expect_each_acknowledged_once_and_planned(const std::string& conninfo,
                                               const std::set<std::string>& acknowledged,
                                               const std::string& log) {
  std::map<std::string, std::pair<int, int>> rows;
  const bool settled = eventually(
      [&] {
        rows = accepted_rows(conninfo);
        if (rows.size() != acknowledged.size()) return false;
        for (const auto& [id, counts] : rows)
          if (!acknowledged.count(id) || counts != std::make_pair(1, 1)) return false;
        return true;
      },
      std::chrono::seconds(60));
  EXPECT_TRUE(settled) << rows.size() << " accepted rows for " << acknowledged.size()
                       << " acknowledged deliveries\n"
                       << log;
  for (const auto& id : acknowledged) {
    auto it = rows.find(id);
    ASSERT_NE(it, rows.end()) << "acknowledged delivery " << id << " is lost";
    EXPECT_EQ(it->second.first, 1) << id << " accepted more than once";
    EXPECT_EQ(it->second.second, 1) << id << " not planned exactly once";
  }
}

TEST_F(Failover, ServeRidesOutAnImmediateStopOfThePrimaryAndLosesNoAcknowledgedDelivery) {
  const pid_t serve_pid = serve_->process().pid();
  Load load(serve_->host_port(), testing::github_push_body(sha_));
  std::this_thread::sleep_for(std::chrono::seconds(2));
  EXPECT_GT(load.tally.count("202 accepted"), 0) << "nothing accepted before the failover";

  // The primary dies: no clean shutdown, no hand-over. The replica has every acknowledged commit.
  const auto killed = steady_clock::now();
  primary_->stop_immediate();
  EXPECT_TRUE(eventually([&] { return readyz() == 503; }, std::chrono::seconds(5)))
      << "readyz kept saying ready without a primary";
  EXPECT_EQ(healthz(), 200) << "the process itself is up";
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(readyz(), 503) << "ready while only a read-only standby answers";
  EXPECT_GT(load.tally.count("202 spooled"), 0) << "nothing arrived while there was no primary";

  const auto promoting = steady_clock::now();
  replica_->promote();
  const double promote_s = seconds_since(promoting);
  EXPECT_TRUE(eventually([&] { return readyz() == 200; }, std::chrono::seconds(30)))
      << serve_->log();
  const double ready_s = seconds_since(promoting);
  const int accepted_at_ready = load.tally.count("202 accepted");
  std::this_thread::sleep_for(std::chrono::seconds(3));
  load.stop();
  EXPECT_GT(load.tally.count("202 accepted"), accepted_at_ready) << "nothing accepted after";

  const std::string new_primary = replica_->conninfo("mlgate");
  expect_each_acknowledged_once_and_planned(new_primary, load.tally.acknowledged, serve_->log());
  const double settled_s = seconds_since(promoting);
  EXPECT_GT(scalar(new_primary, "SELECT count(*) FROM webhook_deliveries WHERE spooled"), 0)
      << "the spool was not replayed";
  EXPECT_EQ(load.tally.count("no answer"), 0) << "serve stopped answering";
  for (const auto& [what, n] : load.tally.answers) EXPECT_NE(what.rfind("500", 0), 0u) << what;

  // The same process, with its job listener back on the new primary.
  EXPECT_EQ(serve_->process().pid(), serve_pid);
  EXPECT_TRUE(serve_->process().running());
  // Both listeners: the job wake-ups and the caches' change feed.
  for (const char* channel : {"mlgate_jobs", "mlgate_changes"}) {
    EXPECT_TRUE(eventually([&] {
      return scalar(new_primary,
                    std::string("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'LISTEN%") +
                        channel + "%'") == 1;
    })) << "the "
        << channel << " listener did not reconnect";
  }
  EXPECT_EQ(healthz(), 200);

  std::cout << "failover: replica promoted "
            << std::chrono::duration<double>(promoting - killed).count()
            << " s after the primary stopped; pg_ctl promote took " << promote_s
            << " s; /readyz 200 " << ready_s << " s and every delivery planned " << settled_s
            << " s after promoting\n";
  for (const auto& [what, n] : load.tally.answers) std::cout << "  " << what << ": " << n << "\n";
  std::cout << "  acknowledged deliveries: " << load.tally.acknowledged.size() << "\n";
}

// A commit still waiting for the synchronous replica when the primary dies has an unknown outcome
// (committed on the dead primary, perhaps not on the replica). The delivery is spooled and
// answered 202: the spool's replay is exactly-once whichever way the commit went.
TEST_F(Failover, ADeliveryWhoseCommitIsInDoubtWhenThePrimaryDiesIsSpooledNotRefused) {
  // The replica stops taking WAL: every commit on the primary waits for it.
  const int walreceiver = scalar(replica_->conninfo(), "SELECT pid FROM pg_stat_wal_receiver");
  ASSERT_GT(walreceiver, 0);
  ::kill(walreceiver, SIGSTOP);
  const std::string body = testing::github_push_body(sha_);
  testing::HttpResult answer;
  std::thread sender([&] {
    answer = http_post(serve_->host_port(), "/webhooks/github", body, "application/json",
                       {{"X-GitHub-Event", "push"},
                        {"X-GitHub-Delivery", "in-doubt-1"},
                        {"X-Hub-Signature-256", "sha256=" + util::hmac_sha256_hex(kSecret, body)}});
  });
  const bool waiting = eventually([&] {
    return scalar(primary_->conninfo("mlgate"),
                  "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'SyncRep' "
                  "AND query LIKE 'COMMIT%'") > 0;
  });
  primary_->stop_immediate();
  sender.join();
  ::kill(walreceiver, SIGCONT);
  ASSERT_TRUE(waiting) << "no commit waited for the replica";
  EXPECT_EQ(answer.status, 202) << answer.body << "\n" << serve_->log();
  EXPECT_EQ(json::parse(answer.body, nullptr, false).value("status", ""), "spooled") << answer.body;

  replica_->promote();
  std::map<std::string, std::pair<int, int>> rows;
  EXPECT_TRUE(eventually(
      [&] {
        rows = accepted_rows(replica_->conninfo("mlgate"));
        return rows.count("in-doubt-1") && rows["in-doubt-1"] == std::make_pair(1, 1);
      },
      std::chrono::seconds(30)))
      << serve_->log();
}

// libpq without target_session_attrs=read-write connects to the first host that answers, a
// standby too. Serve on a standby is not ready, and deliveries are spooled (not answered 500);
// when that server is promoted they are replayed there.
TEST_F(Failover, OnAStandbyServeIsNotReadyAndSpoolsDeliveriesUntilItIsPromoted) {
  testing::TempDir dir("mlgate-standby");
  // The standby has flushed every migration (synchronous replication) but may not have replayed
  // them all yet: wait until it shows the whole schema.
  const int migrations =
      scalar(primary_->conninfo("mlgate"), "SELECT count(*) FROM schema_migrations");
  ASSERT_TRUE(eventually([&] {
    return scalar(replica_->conninfo("mlgate"), "SELECT count(*) FROM schema_migrations") ==
           migrations;
  }));
  testing::ServeProcess on_standby(
      {.data_dir = dir.path(), .database_url = replica_->conninfo("mlgate"), .wait_ready = false});
  // (Its reason is not told: checking a token writes its last use, which a standby refuses.)
  EXPECT_EQ(http_get(on_standby.host_port(), "/readyz").status, 503) << on_standby.log();
  {
    pqxx::connection c(replica_->conninfo("mlgate"));
    EXPECT_NE(store::read_only_reason(c).find("standby"), std::string::npos);
  }
  const std::string body = testing::github_push_body(sha_);
  auto r = http_post(on_standby.host_port(), "/webhooks/github", body, "application/json",
                     {{"X-GitHub-Event", "push"},
                      {"X-GitHub-Delivery", "on-standby-1"},
                      {"X-Hub-Signature-256", "sha256=" + util::hmac_sha256_hex(kSecret, body)}});
  EXPECT_EQ(r.status, 202) << r.body << "\n" << on_standby.log();
  EXPECT_EQ(json::parse(r.body, nullptr, false).value("status", ""), "spooled") << r.body;

  serve_.reset();
  primary_->stop_immediate();
  replica_->promote();
  EXPECT_TRUE(eventually([&] { return http_get(on_standby.host_port(), "/readyz").status == 200; }))
      << on_standby.log();
  std::map<std::string, std::pair<int, int>> rows;
  EXPECT_TRUE(eventually(
      [&] {
        rows = accepted_rows(replica_->conninfo("mlgate"));
        return rows.count("on-standby-1") && rows["on-standby-1"] == std::make_pair(1, 1);
      },
      std::chrono::seconds(30)))
      << on_standby.log();
}

class AsynchronousFailover : public Failover {
 protected:
  bool synchronous() const override { return false; }
};

// Why the replica must be synchronous (docs/operations.md): with asynchronous replication a COMMIT
// returns as soon as the primary has it, so a delivery answered 202 whose commit had not reached
// the replica when the primary died is missing on the promoted replica, and no forge sends a
// delivery it got a 202 for again. (The primary's WAL sender is paused to make the lag certain.)
TEST_F(AsynchronousFailover, ADeliveryAnsweredBeforeTheReplicaHadItIsLost) {
  const int walsender = scalar(primary_->conninfo(), "SELECT pid FROM pg_stat_replication");
  ASSERT_GT(walsender, 0);
  ::kill(walsender, SIGSTOP);
  const std::string body = testing::github_push_body(sha_);
  auto r = http_post(serve_->host_port(), "/webhooks/github", body, "application/json",
                     {{"X-GitHub-Event", "push"},
                      {"X-GitHub-Delivery", "async-1"},
                      {"X-Hub-Signature-256", "sha256=" + util::hmac_sha256_hex(kSecret, body)}});
  EXPECT_EQ(r.status, 202) << r.body;
  EXPECT_EQ(json::parse(r.body, nullptr, false).value("status", ""), "accepted") << r.body;
  EXPECT_EQ(accepted_rows(primary_->conninfo("mlgate")).count("async-1"), 1u);
  // The paused sender is killed with its primary: the commit never leaves the dead machine.
  ::kill(walsender, SIGKILL);
  primary_->stop_immediate();
  replica_->promote();
  EXPECT_TRUE(eventually([&] { return readyz() == 200; }, std::chrono::seconds(30)));
  std::this_thread::sleep_for(std::chrono::seconds(2));  // the spool drains within a second
  EXPECT_EQ(accepted_rows(replica_->conninfo("mlgate")).count("async-1"), 0u)
      << "the replica had the commit after all";
}

}  // namespace
}  // namespace mlgate
