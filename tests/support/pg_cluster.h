// One throwaway PostgreSQL cluster per test binary (initdb in a temp dir, unix socket only, fsync
// off), a template database migrated once, and a fresh clone of it for every test that asks.
// Tests never touch a developer's own databases; the cluster stops when the binary exits (and, via
// PR_SET_PDEATHSIG, if it dies).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <memory>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "store/database.h"
#include "store/embedded_postgres.h"

namespace mlgate::testing {

class PgCluster {
 public:
  // Started on first use (from the main thread), stopped at exit.
  static PgCluster& instance();
  ~PgCluster();

  store::EmbeddedPostgres& postgres() { return *pg_; }
  // A new database cloned from the migrated template; returns its conninfo.
  std::string create_database(const std::string& prefix = "t");
  // A database in the state of a fresh clone of the template: a recycled one (every table
  // emptied, sequences restarted) when there is one, else a new clone. CREATE DATABASE costs
  // ~300 ms here, a reset a few ms.
  std::string checkout_database();
  void return_database(const std::string& conninfo);
  // The connection pool of a checked-out database, kept open across the tests that reuse it
  // (its sessions are named mlgate_test_pool and survive the reset).
  store::Database& pool_for(const std::string& conninfo);
  // A new empty database (no migrations); returns its conninfo.
  std::string create_empty_database(const std::string& prefix = "e");
  void drop_database(const std::string& conninfo);
  std::string admin_conninfo() const { return pg_->conninfo("postgres"); }

 private:
  PgCluster();
  std::string dir_;
  std::unique_ptr<store::EmbeddedPostgres> pg_;
  int counter_ = 0;
  std::vector<std::string> recycled_;
  // One open connection per recycled database: connecting costs ~50 ms on this machine.
  std::map<std::string, std::unique_ptr<pqxx::connection>> reset_connections_;
  std::map<std::string, std::unique_ptr<store::Database>> pools_;
};

// A test with its own freshly migrated database.
class DbTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;
  store::Database& db() { return *db_; }
  const std::string& conninfo() const { return conninfo_; }
  // A GitHub repository `full_name` registered (committed); its id.
  std::int64_t insert_test_repo(const std::string& full_name);
  // fn(pqxx::work&) in one committed transaction; its result.
  template <typename F>
  auto tx(F&& fn) {
    return db().with([&](pqxx::connection& c) {
      pqxx::work t(c);
      auto out = fn(t);
      t.commit();
      return out;
    });
  }

 private:
  std::string conninfo_;
  store::Database* db_ = nullptr;
};

// dbname=... out of a conninfo made by PgCluster.
std::string database_name(const std::string& conninfo);

}  // namespace mlgate::testing
