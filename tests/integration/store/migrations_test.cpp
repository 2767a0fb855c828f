// The migration runner against a real PostgreSQL: order, checksums, rollback, and two real
// processes racing to migrate the same database.
#include "store/migrations.h"

#include <gtest/gtest.h>

#include <pqxx/pqxx>

#include "tests/support/pg_cluster.h"
#include "tests/support/temp_dir.h"
#include "util/child_process.h"

namespace mlgate {
namespace {

using testing::PgCluster;

int count(const std::string& conninfo, const std::string& sql) {
  pqxx::connection c(conninfo);
  pqxx::nontransaction tx(c);
  return tx.exec1(sql)[0].as<int>();
}

class MigrationsTest : public ::testing::Test {
 protected:
  void SetUp() override { conninfo_ = PgCluster::instance().create_empty_database("mig"); }
  void TearDown() override { PgCluster::instance().drop_database(conninfo_); }
  std::string conninfo_;
};

TEST_F(MigrationsTest, AppliesEveryMigrationOnceAndRecordsChecksums) {
  const auto& migrations = store::embedded_migrations();
  ASSERT_FALSE(migrations.empty());
  pqxx::connection c(conninfo_);
  auto first = store::migrate(c, migrations);
  EXPECT_EQ(first.applied.size(), migrations.size());
  EXPECT_EQ(first.already_applied, 0u);
  auto second = store::migrate(c, migrations);
  EXPECT_TRUE(second.applied.empty());
  EXPECT_EQ(second.already_applied, migrations.size());
  {
    pqxx::nontransaction tx(c);
    auto row = tx.exec_params1("SELECT checksum FROM schema_migrations WHERE name = $1",
                               migrations[0].name);
    EXPECT_EQ(row[0].as<std::string>(), store::migration_checksum(migrations[0]));
  }
  EXPECT_EQ(store::migrations_pending_reason(c, migrations), "");
}

TEST_F(MigrationsTest, SchemaHoldsEveryTableOfTheDesign) {
  pqxx::connection c(conninfo_);
  store::migrate(c, store::embedded_migrations());
  for (const char* table :
       {"repos", "webhook_deliveries", "pipelines", "jobs", "job_logs", "test_cases", "metrics",
        "predictions", "gate_decisions", "deployments", "runners", "api_tokens", "schedules",
        "job_attempts", "state_changes", "audit_log"}) {
    EXPECT_EQ(count(conninfo_, std::string("SELECT count(*) FROM information_schema.tables WHERE "
                                           "table_name = '") +
                                   table + "'"),
              1)
        << table;
  }
}

TEST_F(MigrationsTest, RefusesAMigrationWhoseTextChangedAfterItWasApplied) {
  pqxx::connection c(conninfo_);
  std::vector<store::Migration> v1 = {{"0001_a", "CREATE TABLE a (x int);"}};
  store::migrate(c, v1);
  std::vector<store::Migration> edited = {{"0001_a", "CREATE TABLE a (x bigint);"}};
  try {
    store::migrate(c, edited);
    FAIL() << "a changed migration was accepted";
  } catch (const store::MigrationError& e) {
    EXPECT_NE(std::string(e.what()).find("0001_a was changed"), std::string::npos) << e.what();
  }
  EXPECT_NE(store::migrations_pending_reason(c, edited), "");
}

TEST_F(MigrationsTest, RefusesADatabaseMigratedByANewerVersion) {
  pqxx::connection c(conninfo_);
  store::migrate(c, {{"0001_a", "CREATE TABLE a (x int);"}, {"0002_b", "CREATE TABLE b (x int);"}});
  EXPECT_THROW(store::migrate(c, {{"0001_a", "CREATE TABLE a (x int);"}}), store::MigrationError);
}

TEST_F(MigrationsTest, AFailingMigrationIsRolledBackWhole) {
  pqxx::connection c(conninfo_);
  std::vector<store::Migration> ms = {
      {"0001_a", "CREATE TABLE a (x int);"},
      {"0002_bad", "CREATE TABLE half (x int); SELECT no_such_function();"}};
  EXPECT_THROW(store::migrate(c, ms), store::MigrationError);
  EXPECT_EQ(count(conninfo_, "SELECT count(*) FROM schema_migrations"), 1);
  EXPECT_EQ(
      count(conninfo_, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'half'"),
      0);
  EXPECT_EQ(store::migrations_pending_reason(c, ms), "1 migration(s) not applied");
}

TEST_F(MigrationsTest, ReportsPendingMigrationsOnAnEmptyDatabase) {
  pqxx::connection c(conninfo_);
  EXPECT_NE(store::migrations_pending_reason(c, store::embedded_migrations()), "");
}

// Two real `mlgate migrate` processes started at the same moment on the same empty database, a
// few rounds: both succeed and every migration is applied exactly once.
TEST(MigrationRace, TwoProcessesMigratingAtOnceBothSucceed) {
  for (int round = 0; round < 4; ++round) {
    std::string conninfo = PgCluster::instance().create_empty_database("race");
    testing::TempDir out;
    std::vector<util::ChildProcess> procs;
    for (int i = 0; i < 2; ++i) {
      util::ChildOptions o;
      o.stdout_path = (out.path() / ("p" + std::to_string(i))).string();
      o.stderr_path = "=stdout";
      procs.emplace_back(
          std::vector<std::string>{MLGATE_BINARY, "migrate", "--database-url", conninfo}, o);
    }
    for (int i = 0; i < 2; ++i) {
      int st = procs[i].wait();
      EXPECT_EQ(st, 0) << "round " << round << " process " << i << ": "
                       << testing::read_file(out.path() / ("p" + std::to_string(i)));
    }
    EXPECT_EQ(count(conninfo, "SELECT count(*) FROM schema_migrations"),
              static_cast<int>(store::embedded_migrations().size()));
    PgCluster::instance().drop_database(conninfo);
  }
}

TEST(MigrateCommand, RefusesAChangedChecksumWithAClearMessage) {
  std::string conninfo = PgCluster::instance().create_empty_database("cli");
  testing::TempDir dir;
  testing::write_file(dir.path() / "0001_a.sql", "CREATE TABLE a (x int);\n");
  std::string output;
  ASSERT_EQ(util::run_capture({MLGATE_BINARY, "migrate", "--database-url", conninfo,
                               "--migrations-dir", dir.str()},
                              output),
            0)
      << output;
  testing::write_file(dir.path() / "0001_a.sql", "CREATE TABLE a (x bigint);\n");
  int st = util::run_capture(
      {MLGATE_BINARY, "migrate", "--database-url", conninfo, "--migrations-dir", dir.str()},
      output);
  EXPECT_NE(st, 0);
  EXPECT_NE(output.find("0001_a was changed after it was applied"), std::string::npos) << output;
  PgCluster::instance().drop_database(conninfo);
}

}  // namespace
}  // namespace mlgate
