// Rows of `runners` against real PostgreSQL: registration, authentication by credential (stored
// only as a hash), and what the schema refuses.
#include <gtest/gtest.h>

#include <pqxx/pqxx>
#include <regex>
#include <string>
#include <vector>

#include "store/runners.h"
#include "tests/support/pg_cluster.h"

namespace mlgate {
namespace {

class RunnersStoreTest : public testing::DbTest {
 protected:
  // Registers a runner; returns its id and stores its credential in `credential`.
  std::int64_t register_runner(const store::NewRunner& r, std::string& credential) {
    credential = store::generate_runner_credential();
    return db().with([&](pqxx::connection& c) {
      pqxx::work t(c);
      auto id = store::insert_runner(t, r, credential);
      t.commit();
      return id;
    });
  }
  std::optional<store::RunnerRow> authenticate(const std::string& credential) {
    return db().with([&](pqxx::connection& c) {
      pqxx::work t(c);
      auto row = store::authenticate_runner(t, credential);
      t.commit();
      return row;
    });
  }
  void exec(const std::string& sql) {
    db().with([&](pqxx::connection& c) {
      pqxx::work t(c);
      t.exec(sql);
      t.commit();
    });
  }
  template <typename T>
  T scalar(const std::string& sql) {
    return db().with([&](pqxx::connection& c) {
      pqxx::nontransaction t(c);
      return t.exec1(sql)[0].as<T>();
    });
  }
};

store::NewRunner gpu_runner() {
  store::NewRunner r;
  r.name = "gpu-box-1";
  r.tiers = {"validation", "training"};
  r.capacity = 4;
  r.executor = "local";
  r.version = "0.1.0";
  return r;
}

TEST_F(RunnersStoreTest, ARunnerAuthenticatesWithItsCredential) {
  std::string credential;
  auto id = register_runner(gpu_runner(), credential);

  auto row = authenticate(credential);
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->id, id);
  EXPECT_EQ(row->name, "gpu-box-1");
  EXPECT_EQ(row->tiers, (std::vector<std::string>{"validation", "training"}));
  EXPECT_EQ(row->capacity, 4);
  EXPECT_EQ(row->executor, "local");
  EXPECT_EQ(row->version, "0.1.0");
  EXPECT_FALSE(row->disabled);
  EXPECT_TRUE(std::regex_match(row->last_seen_at, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")))
      << row->last_seen_at;
}

TEST_F(RunnersStoreTest, TheRightRunnerIsFoundAmongSeveral) {
  std::string c1, c2;
  auto id1 = register_runner(gpu_runner(), c1);
  store::NewRunner cpu;
  cpu.name = "cpu-box";
  auto id2 = register_runner(cpu, c2);
  ASSERT_NE(id1, id2);

  auto r2 = authenticate(c2);
  ASSERT_TRUE(r2.has_value());
  EXPECT_EQ(r2->id, id2);
  EXPECT_EQ(r2->tiers, (std::vector<std::string>{"functionality", "validation", "training"}));
  EXPECT_EQ(r2->executor, "docker");
  auto r1 = authenticate(c1);
  ASSERT_TRUE(r1.has_value());
  EXPECT_EQ(r1->id, id1);
}

TEST_F(RunnersStoreTest, AWrongCredentialAuthenticatesNobody) {
  std::string credential;
  register_runner(gpu_runner(), credential);

  EXPECT_FALSE(authenticate(store::generate_runner_credential()).has_value());
  EXPECT_FALSE(authenticate("").has_value());
  std::string almost = credential;
  almost.back() = almost.back() == '0' ? '1' : '0';
  EXPECT_FALSE(authenticate(almost).has_value());
  EXPECT_FALSE(authenticate(credential + "0").has_value());
}

TEST_F(RunnersStoreTest, TheCredentialIsNotStoredInClear) {
  std::string credential;
  auto id = register_runner(gpu_runner(), credential);

  auto hash =
      scalar<std::string>("SELECT token_hash FROM runners WHERE id = " + std::to_string(id));
  EXPECT_NE(hash, credential);
  EXPECT_EQ(hash.find(credential.substr(5)), std::string::npos);
  // Nowhere in the row, in any column.
  EXPECT_EQ(scalar<int>("SELECT count(*) FROM runners r WHERE strpos(r::text, '" +
                        credential.substr(5) + "') > 0"),
            0);
}

TEST_F(RunnersStoreTest, CredentialsAreLongRandomAndRecognisable) {
  std::regex shape("mlgr_[0-9a-f]{64}");
  auto a = store::generate_runner_credential();
  auto b = store::generate_runner_credential();
  EXPECT_TRUE(std::regex_match(a, shape)) << a;
  EXPECT_TRUE(std::regex_match(b, shape)) << b;
  EXPECT_NE(a, b);
}

// The runner is found disabled (the server answers 403), and not marked seen.
TEST_F(RunnersStoreTest, ADisabledRunnerIsFoundDisabledAndNotMarkedSeen) {
  std::string credential;
  auto id = register_runner(gpu_runner(), credential);
  exec("UPDATE runners SET last_seen_at = now() - interval '1 hour' WHERE id = " +
       std::to_string(id));
  auto switched = db().with([&](pqxx::connection& c) {
    pqxx::work t(c);
    auto out = store::set_runner_disabled(t, id, true);
    t.commit();
    return out;
  });
  ASSERT_TRUE(switched);
  EXPECT_TRUE(switched->changed);
  EXPECT_TRUE(switched->runner.disabled);
  auto row = authenticate(credential);
  ASSERT_TRUE(row.has_value());
  EXPECT_TRUE(row->disabled);
  EXPECT_EQ(scalar<long>("SELECT count(*) FROM runners WHERE last_seen_at > now() - interval "
                         "'1 minute'"),
            0);
}

TEST_F(RunnersStoreTest, DisablingAndEnablingSayWhetherTheyChangedAnything) {
  std::string credential;
  auto id = register_runner(gpu_runner(), credential);
  auto set = [&](std::int64_t runner, bool disabled) {
    return db().with([&](pqxx::connection& c) {
      pqxx::work t(c);
      auto out = store::set_runner_disabled(t, runner, disabled);
      t.commit();
      return out;
    });
  };
  EXPECT_FALSE(set(id, false)->changed);
  EXPECT_TRUE(set(id, true)->changed);
  EXPECT_FALSE(set(id, true)->changed);
  auto enabled = set(id, false);
  EXPECT_TRUE(enabled->changed);
  EXPECT_FALSE(enabled->runner.disabled);
  EXPECT_FALSE(authenticate(credential)->disabled);
  EXPECT_FALSE(set(id + 100, true).has_value());
}

// A protocol call in flight holds the runner's row: disabling it waits for the call to end, so
// that no call that began before the disable can claim a job after it.
TEST_F(RunnersStoreTest, DisablingWaitsForTheCallsInFlight) {
  std::string credential;
  auto id = register_runner(gpu_runner(), credential);
  pqxx::connection in_flight(conninfo());
  pqxx::work call(in_flight);
  ASSERT_TRUE(store::authenticate_runner(call, credential).has_value());
  auto disable = [&] {
    pqxx::connection c(conninfo());
    pqxx::work t(c);
    t.exec("SET LOCAL lock_timeout = '300ms'");
    store::set_runner_disabled(t, id, true);
    t.commit();
  };
  EXPECT_THROW(disable(), pqxx::sql_error);  // lock_not_available while the call holds the row
  call.commit();
  EXPECT_NO_THROW(disable());
  EXPECT_TRUE(authenticate(credential)->disabled);
}

TEST_F(RunnersStoreTest, AuthenticatingMarksTheRunnerSeen) {
  std::string credential;
  auto id = register_runner(gpu_runner(), credential);
  exec("UPDATE runners SET last_seen_at = now() - interval '1 hour' WHERE id = " +
       std::to_string(id));
  auto seen = [&] {
    return db().with([&](pqxx::connection& c) {
      pqxx::nontransaction t(c);
      return store::count_runners_seen_within(t, 60);
    });
  };
  EXPECT_EQ(seen(), 0);
  ASSERT_TRUE(authenticate(credential).has_value());
  EXPECT_EQ(seen(), 1);
}

TEST_F(RunnersStoreTest, ListsRunners) {
  std::string c1, c2;
  auto id1 = register_runner(gpu_runner(), c1);
  store::NewRunner cpu;
  cpu.name = "cpu-box";
  auto id2 = register_runner(cpu, c2);
  auto rows = db().with([&](pqxx::connection& c) {
    pqxx::nontransaction t(c);
    return store::list_runners(t);
  });
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].id, id1);
  EXPECT_EQ(rows[0].name, "gpu-box-1");
  EXPECT_EQ(rows[1].id, id2);
  EXPECT_EQ(rows[1].name, "cpu-box");
}

TEST_F(RunnersStoreTest, TheSchemaRefusesAZeroCapacityOrAnUnknownExecutor) {
  std::string credential;
  store::NewRunner zero = gpu_runner();
  zero.capacity = 0;
  EXPECT_THROW(register_runner(zero, credential), pqxx::check_violation);
  store::NewRunner k8s = gpu_runner();
  k8s.executor = "kubernetes";
  EXPECT_THROW(register_runner(k8s, credential), pqxx::check_violation);
  EXPECT_EQ(scalar<int>("SELECT count(*) FROM runners"), 0);
}

}  // namespace
}  // namespace mlgate
