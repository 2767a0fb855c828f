// `mlgate serve` as a real process: embedded PostgreSQL (started as root in CI), readiness,
// the admin token, graceful shutdown, and no stray postgres left behind.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <regex>
#include <sstream>
#include <thread>

#include "store/embedded_postgres.h"
#include "tests/support/mlgate_process.h"
#include "tests/support/pg_cluster.h"
#include "tests/support/temp_dir.h"
#include "util/child_process.h"
#include "util/hash.h"

namespace mlgate {
namespace {

using testing::eventually;
using testing::http_get;
using testing::processes_matching;
using testing::ServeProcess;
using testing::TempDir;

// The postmaster of a data dir: the first line of postmaster.pid.
pid_t postmaster_pid(const std::filesystem::path& data_dir) {
  std::ifstream in(data_dir / "postgres" / "postmaster.pid");
  pid_t pid = 0;
  in >> pid;
  return pid;
}

uid_t process_uid(pid_t pid) {
  struct stat st {};
  if (::stat(("/proc/" + std::to_string(pid)).c_str(), &st) != 0) return static_cast<uid_t>(-1);
  return st.st_uid;
}

bool alive(pid_t pid) {
  return pid > 0 && ::kill(pid, 0) == 0;
}

TEST(Serve, EmbeddedPostgresAnswersReadyAndStopsCleanly) {
  TempDir dir("mlgate-serve");
  pid_t pg_pid = 0;
  {
    ServeProcess serve({.data_dir = dir.path()});
    auto ready = http_get(serve.host_port(), "/readyz");
    EXPECT_EQ(ready.status, 200) << ready.body;
    EXPECT_NE(ready.body.find("\"ready\""), std::string::npos);
    EXPECT_EQ(http_get(serve.host_port(), "/healthz").status, 200);
    // A route's path asked with a method it does not take: 405 with the methods it takes.
    httplib::Client cli("127.0.0.1", serve.port());
    auto wrong = cli.Get("/webhooks/github");
    ASSERT_TRUE(wrong);
    EXPECT_EQ(wrong->status, 405);
    EXPECT_EQ(wrong->get_header_value("Allow"), "POST");
    EXPECT_NE(wrong->body.find("method_not_allowed"), std::string::npos) << wrong->body;
    auto deleted = cli.Delete("/healthz");
    ASSERT_TRUE(deleted);
    EXPECT_EQ(deleted->status, 405);
    EXPECT_EQ(deleted->get_header_value("Allow"), "GET, HEAD");
    EXPECT_EQ(cli.Get("/no/such/route")->status, 404);
    pg_pid = postmaster_pid(dir.path());
    ASSERT_TRUE(alive(pg_pid));
    // As root, the cluster must run as an unprivileged user (initdb and postgres refuse root).
    if (::geteuid() == 0) {
      EXPECT_NE(process_uid(pg_pid), 0u);
    }
    int st = serve.stop(SIGTERM);
    EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0)
        << util::describe_wait_status(st) << serve.log();
  }
  EXPECT_FALSE(alive(pg_pid)) << "postgres left running after serve stopped";
  EXPECT_TRUE(processes_matching(dir.str()).empty()) << "a process still uses " << dir.str();
}

// serve listens with a large backlog (SOMAXCONN) so that a burst of runner and client connections
// is not dropped (each drop costs the client a 1 s SYN retransmit).
TEST(Serve, TheListenBacklogHoldsABurstOfConnections) {
  TempDir dir("mlgate-backlog");
  ServeProcess serve({.data_dir = dir.path(),
                      .database_url = testing::PgCluster::instance().create_database("bl")});
  std::string out;
  util::run_capture({"ss", "-ltnH", "sport = :" + std::to_string(serve.port())}, out);
  // ss -l: Recv-Q is the current queue, Send-Q the backlog.
  std::istringstream in(out);
  std::string state, recv_q, send_q;
  in >> state >> recv_q >> send_q;
  ASSERT_EQ(state, "LISTEN") << out;
  EXPECT_GE(std::stoi(send_q), 128) << out;
}

TEST(Serve, FirstStartWritesAnAdminTokenOnlyItsOwnerCanReadAndStoresOnlyItsHash) {
  TempDir dir("mlgate-serve");
  std::string conninfo = testing::PgCluster::instance().create_database("tok");
  {
    ServeProcess serve({.data_dir = dir.path(), .database_url = conninfo});
    auto token_file = dir.path() / "admin-token";
    ASSERT_TRUE(std::filesystem::exists(token_file)) << serve.log();
    struct stat st {};
    ASSERT_EQ(::stat(token_file.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    std::string token = testing::read_file(token_file);
    while (!token.empty() && token.back() == '\n') token.pop_back();
    EXPECT_GE(token.size(), 32u);
    pqxx::connection c(conninfo);
    pqxx::nontransaction tx(c);
    auto r = tx.exec("SELECT token_hash, scopes::text FROM api_tokens");
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0][0].as<std::string>(), util::sha256_hex(token));
    EXPECT_EQ(r[0][1].as<std::string>(), "{admin}");
    EXPECT_EQ(tx.exec_params("SELECT count(*) FROM api_tokens WHERE token_hash = $1", token)[0][0]
                  .as<int>(),
              0);
  }
  // A second start keeps the existing token and does not write a new one.
  std::filesystem::remove(dir.path() / "admin-token");
  {
    ServeProcess serve({.data_dir = dir.path(), .database_url = conninfo});
    EXPECT_FALSE(std::filesystem::exists(dir.path() / "admin-token"));
  }
  testing::PgCluster::instance().drop_database(conninfo);
}

TEST(Serve, ReadyzIs503WhilePostgresIsDownAnd200AfterItRestarts) {
  TempDir pgdir("mlgate-ext-pg");
  store::EmbeddedPostgresOptions o;
  o.data_dir = pgdir.path();
  o.durable = false;
  store::EmbeddedPostgres external(o);
  TempDir dir("mlgate-serve");
  ServeProcess serve({.data_dir = dir.path(), .database_url = external.conninfo()});
  ASSERT_EQ(http_get(serve.host_port(), "/readyz").status, 200);
  external.stop();
  auto down = http_get(serve.host_port(), "/readyz");
  EXPECT_EQ(down.status, 503) << down.body;
  // Only "not ready": libpq's words (the socket's path, "Connection refused") stay in the log.
  EXPECT_EQ(nlohmann::json::parse(down.body), nlohmann::json({{"status", "unavailable"}}))
      << down.body;
  EXPECT_EQ(http_get(serve.host_port(), "/healthz").status, 200) << "the process itself is up";
  external.start();
  EXPECT_TRUE(eventually([&] { return http_get(serve.host_port(), "/readyz").status == 200; }))
      << serve.log();
}

// Why serve is not ready is told to a read token's holder only.
TEST(Serve, ReadyzGivesItsReasonOnlyToATokensHolder) {
  std::string conninfo = testing::PgCluster::instance().create_database("rdy");
  TempDir dir("mlgate-serve");
  ServeProcess serve({.data_dir = dir.path(), .database_url = conninfo});
  std::string token = testing::read_file(dir.path() / "admin-token");
  while (!token.empty() && token.back() == '\n') token.pop_back();
  {
    pqxx::connection c(conninfo);
    pqxx::work tx(c);
    tx.exec(
        "UPDATE schema_migrations SET checksum = 'changed' "
        "WHERE name = (SELECT min(name) FROM schema_migrations)");
    tx.commit();
  }
  auto anonymous = http_get(serve.host_port(), "/readyz");
  EXPECT_EQ(anonymous.status, 503);
  EXPECT_EQ(nlohmann::json::parse(anonymous.body), nlohmann::json({{"status", "unavailable"}}))
      << anonymous.body;
  auto bad = http_get(serve.host_port(), "/readyz", {{"Authorization", "Bearer not-a-token"}});
  EXPECT_EQ(bad.status, 503);
  EXPECT_EQ(bad.body.find("reason"), std::string::npos) << bad.body;
  auto holder = http_get(serve.host_port(), "/readyz", {{"Authorization", "Bearer " + token}});
  EXPECT_EQ(holder.status, 503);
  auto body = nlohmann::json::parse(holder.body);
  EXPECT_EQ(body["status"], "unavailable");
  EXPECT_NE(body.value("reason", "").find("checksum"), std::string::npos) << holder.body;
  testing::PgCluster::instance().drop_database(conninfo);
}

// A 500 says "internal error" and an id; the exception's text is only in the log, with that id.
TEST(Serve, AnInternalErrorAnswersAnIdAndNotTheExceptionsText) {
  std::string conninfo = testing::PgCluster::instance().create_database("err");
  TempDir dir("mlgate-serve");
  ServeProcess serve(
      {.data_dir = dir.path(), .database_url = conninfo, .extra_args = {"--test-endpoints"}});
  auto r = http_get(serve.host_port(), "/debug/throw?message=secret-detail-4711");
  EXPECT_EQ(r.status, 500) << r.body;
  EXPECT_EQ(r.body.find("secret-detail-4711"), std::string::npos) << r.body;
  auto body = nlohmann::json::parse(r.body);
  EXPECT_EQ(body["error"]["code"], "internal");
  std::smatch m;
  std::string message = body["error"].value("message", "");
  ASSERT_TRUE(std::regex_match(message, m, std::regex(R"(internal error \(id ([0-9a-f]{16})\))")))
      << message;
  const std::string id = m[1];
  EXPECT_TRUE(eventually([&] {
    std::istringstream log(serve.log());
    for (std::string line; std::getline(log, line);) {
      if (line.find(id) != std::string::npos &&
          line.find("secret-detail-4711") != std::string::npos) {
        return true;
      }
    }
    return false;
  })) << serve.log();
  testing::PgCluster::instance().drop_database(conninfo);
}

TEST(Serve, StartsWithPostgresDownAndMigratesWhenItComesUp) {
  TempDir pgdir("mlgate-ext-pg");
  store::EmbeddedPostgresOptions o;
  o.data_dir = pgdir.path();
  o.durable = false;
  store::EmbeddedPostgres external(o);
  std::string conninfo = external.conninfo();
  external.stop();
  TempDir dir("mlgate-serve");
  ServeProcess serve({.data_dir = dir.path(), .database_url = conninfo, .wait_ready = false});
  EXPECT_EQ(http_get(serve.host_port(), "/readyz").status, 503);
  external.start();
  EXPECT_TRUE(eventually([&] { return http_get(serve.host_port(), "/readyz").status == 200; }))
      << serve.log();
}

TEST(Serve, SigtermDuringASlowRequestStillAnswersIt) {
  TempDir dir("mlgate-serve");
  std::string conninfo = testing::PgCluster::instance().create_database("slow");
  ServeProcess serve(
      {.data_dir = dir.path(), .database_url = conninfo, .extra_args = {"--test-endpoints"}});
  testing::HttpResult slow;
  std::thread client([&] { slow = http_get(serve.host_port(), "/debug/sleep?ms=2500"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  auto started = std::chrono::steady_clock::now();
  serve.process().signal(SIGTERM);
  client.join();
  EXPECT_EQ(slow.status, 200) << serve.log();
  int st = serve.process().wait();
  auto took = std::chrono::steady_clock::now() - started;
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << util::describe_wait_status(st);
  EXPECT_LT(took, std::chrono::seconds(10));
  EXPECT_EQ(http_get(serve.host_port(), "/healthz").status, -1) << "still accepting after shutdown";
  testing::PgCluster::instance().drop_database(conninfo);
}

TEST(Serve, ExitsNonZeroWhenItsEmbeddedPostgresDies) {
  TempDir dir("mlgate-serve");
  ServeProcess serve({.data_dir = dir.path()});
  pid_t pg_pid = postmaster_pid(dir.path());
  ASSERT_TRUE(alive(pg_pid));
  ::kill(pg_pid, SIGKILL);
  auto st = serve.process().wait_for(std::chrono::seconds(15));
  ASSERT_TRUE(st.has_value()) << "serve kept running without its database";
  EXPECT_TRUE(WIFEXITED(*st) && WEXITSTATUS(*st) != 0) << util::describe_wait_status(*st);
  EXPECT_NE(serve.log().find("embedded PostgreSQL stopped unexpectedly"), std::string::npos)
      << serve.log();
  EXPECT_TRUE(
      eventually([&] { return processes_matching(dir.str()).empty(); }, std::chrono::seconds(15)))
      << "postgres backends left behind";
}

TEST(Serve, KilledServeLeavesNoStrayPostgres) {
  TempDir dir("mlgate-serve");
  ServeProcess serve({.data_dir = dir.path()});
  pid_t pg_pid = postmaster_pid(dir.path());
  ASSERT_TRUE(alive(pg_pid));
  serve.process().signal(SIGKILL);
  serve.process().wait();
  EXPECT_TRUE(eventually([&] { return !alive(pg_pid); }, std::chrono::seconds(30)))
      << "postgres outlived a SIGKILLed serve";
  // And the next start on the same data dir works (no stale lock).
  ServeProcess again({.data_dir = dir.path()});
  EXPECT_EQ(http_get(again.host_port(), "/readyz").status, 200);
}

// serve and its postmaster SIGKILLed together (a machine's OOM killer, `kill -9` of the group)
// while a client keeps a backend busy: the postmaster.pid left behind is stale, and the next start
// must come up at once, on its first try, with the data intact.
TEST(Serve, StartsAtOnceAfterItAndItsPostgresWereKilled) {
  TempDir dir("mlgate-crash");
  const std::string conninfo =
      "host=" + (dir.path() / "postgres").string() + " port=5432 user=mlgate dbname=mlgate";
  std::string token;
  std::jthread busy;
  {
    ServeProcess serve({.data_dir = dir.path()});
    token = testing::read_file(dir.path() / "admin-token");
    while (!token.empty() && token.back() == '\n') token.pop_back();
    ASSERT_FALSE(token.empty()) << serve.log();
    pid_t pg_pid = postmaster_pid(dir.path());
    ASSERT_TRUE(alive(pg_pid));
    busy = std::jthread([conninfo] {
      try {
        pqxx::connection c(conninfo);
        pqxx::nontransaction tx(c);
        tx.exec("SELECT pg_sleep(5)");
      } catch (const std::exception&) {
        // the postmaster is gone: the connection may break
      }
    });
    pqxx::connection watcher(conninfo);
    ASSERT_TRUE(eventually([&] {
      pqxx::nontransaction tx(watcher);
      return tx
                 .exec(
                     "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%'")[0]
                                                                                                 [0]
                 .as<int>() == 1;
    }));
    serve.process().signal(SIGKILL);
    ::kill(pg_pid, SIGKILL);
    serve.process().wait();
  }
  auto started = std::chrono::steady_clock::now();
  ServeProcess again({.data_dir = dir.path()});
  auto took = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::cout << "restart after SIGKILL took " << took << " s\n";
  EXPECT_EQ(http_get(again.host_port(), "/readyz").status, 200) << again.log();
  auto repos = http_get(again.host_port(), "/api/v1/repos", {{"Authorization", "Bearer " + token}});
  EXPECT_EQ(repos.status, 200) << repos.body << again.log();
}

TEST(Serve, RefusesToStartWhenAnAppliedMigrationChanged) {
  std::string conninfo = testing::PgCluster::instance().create_database("chk");
  {
    pqxx::connection c(conninfo);
    pqxx::work tx(c);
    tx.exec("UPDATE schema_migrations SET checksum = 'deadbeef' WHERE name = '0001_init'");
    tx.commit();
  }
  TempDir dir("mlgate-serve");
  std::string output;
  int st = util::run_capture({MLGATE_BINARY, "serve", "--data-dir", dir.str(), "--listen",
                              "127.0.0.1:0", "--database-url", conninfo},
                             output);
  EXPECT_NE(st, 0);
  EXPECT_NE(output.find("0001_init was changed after it was applied"), std::string::npos) << output;
  testing::PgCluster::instance().drop_database(conninfo);
}

TEST(Serve, LogsAreJsonLines) {
  TempDir dir("mlgate-serve");
  std::string conninfo = testing::PgCluster::instance().create_database("log");
  {
    ServeProcess serve({.data_dir = dir.path(), .database_url = conninfo});
    http_get(serve.host_port(), "/no/such/route");
    serve.stop();
    std::istringstream lines(serve.log());
    std::string line;
    bool saw_404 = false;
    while (std::getline(lines, line)) {
      auto j = nlohmann::json::parse(line, nullptr, false);
      ASSERT_TRUE(j.is_object()) << "not JSON: " << line;
      EXPECT_TRUE(j.contains("ts") && j.contains("level") && j.contains("msg")) << line;
      if (j.value("path", "") == "/no/such/route" && j.value("status", 0) == 404) saw_404 = true;
    }
    EXPECT_TRUE(saw_404) << "no access log line for the 404";
  }
  testing::PgCluster::instance().drop_database(conninfo);
}

}  // namespace
}  // namespace mlgate

namespace mlgate {
namespace {

// As root the cluster runs as the postgres user. A data dir that user cannot reach (a checkout
// under /root, a 0700 temporary directory) still works: its cluster lives under
// /var/lib/mlgate/clusters and data_dir/postgres links to it (docs/operations.md).
TEST(Serve, AsRootADataDirThePostgresUserCannotReachKeepsItsClusterWhereItCan) {
  if (::geteuid() != 0) GTEST_SKIP() << "only root runs the cluster as another user";
  TempDir outer("mlgate-private");  // mkdtemp: mode 0700, owned by root
  const auto data = outer.path() / "data";
  std::filesystem::path target;
  {
    ServeProcess serve({.data_dir = data});
    EXPECT_EQ(http_get(serve.host_port(), "/readyz").status, 200) << serve.log();
    ASSERT_TRUE(std::filesystem::is_symlink(data / "postgres"));
    target = std::filesystem::read_symlink(data / "postgres");
    EXPECT_EQ(target.string().rfind("/var/lib/mlgate/clusters/", 0), 0u) << target;
    EXPECT_NE(process_uid(postmaster_pid(data)), 0u);
    int st = serve.stop(SIGTERM);
    EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << serve.log();
  }
  // Started again, it finds the same cluster: the admin token made at the first start still works.
  std::string token = testing::read_file(data / "admin-token");
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) token.pop_back();
  {
    ServeProcess serve({.data_dir = data});
    EXPECT_EQ(std::filesystem::read_symlink(data / "postgres"), target);
    auto repos =
        http_get(serve.host_port(), "/api/v1/repos", {{"Authorization", "Bearer " + token}});
    EXPECT_EQ(repos.status, 200) << repos.body << serve.log();
    serve.stop(SIGTERM);
  }
  std::error_code ec;
  std::filesystem::remove_all(target.parent_path(), ec);
}

}  // namespace
}  // namespace mlgate
