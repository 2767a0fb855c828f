// The bound on unverified deliveries against real PostgreSQL (store/deliveries.h): the oldest rows
// beyond an allowance are deleted, per repository first and then overall, verified rows never,
// and the schema refuses a verified row with a cut body.
#include "store/deliveries.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <future>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "store/repos.h"
#include "tests/support/mlgate_process.h"
#include "tests/support/pg_cluster.h"
#include "util/hash.h"

namespace mlgate {
namespace {

class DeliveriesStoreTest : public testing::DbTest {
 protected:
  void SetUp() override {
    DbTest::SetUp();
    repo_ = insert_test_repo("acme/deliveries");
  }
  store::NewDelivery row(std::optional<std::int64_t> repo, std::size_t body_bytes, bool verified) {
    store::NewDelivery d;
    d.repo_id = repo;
    d.forge = "github";
    d.delivery_id = "d-" + std::to_string(++n_);
    d.event = "push";
    d.body = std::string(body_bytes, 'x');
    d.body_bytes = static_cast<std::int64_t>(body_bytes);
    d.body_sha256 = util::sha256_hex(d.body);
    d.verified = verified;
    d.verdict = verified ? core::DeliveryVerdict::accepted : core::DeliveryVerdict::rejected;
    d.http_status = verified ? 202 : 401;
    return d;
  }
  std::int64_t insert_unverified(std::optional<std::int64_t> repo, std::size_t bytes,
                                 store::UnverifiedDropped& dropped) {
    return tx([&](pqxx::work& t) {
      return store::insert_unverified_delivery(t, row(repo, bytes, false), bound_, dropped);
    });
  }
  std::int64_t count(const std::string& sql) {
    return tx([&](pqxx::work& t) { return t.exec1(sql)[0].as<std::int64_t>(); });
  }

  std::int64_t repo_ = 0;
  int n_ = 0;
  store::UnverifiedBound bound_{.max_bytes = 30000, .repo_max_bytes = 20000};
};

TEST_F(DeliveriesStoreTest, TheOldestUnverifiedRowsBeyondEachAllowanceAreDeleted) {
  const auto accepted =
      tx([&](pqxx::work& t) { return store::insert_delivery(t, row(repo_, 50000, true)); });
  store::UnverifiedDropped dropped;
  std::int64_t first = insert_unverified(repo_, 9000, dropped);
  insert_unverified(repo_, 9000, dropped);
  EXPECT_EQ(dropped.repo_rows, 0);
  insert_unverified(repo_, 9000, dropped);  // 27000 and headers > 20000: the first goes
  EXPECT_EQ(dropped.repo_rows, 1);
  EXPECT_GE(dropped.repo_bytes, 9000);
  EXPECT_EQ(count("SELECT count(*) FROM webhook_deliveries WHERE id = " + std::to_string(first)),
            0);
  EXPECT_LE(tx([&](pqxx::work& t) { return store::unverified_kept_bytes(t, repo_); }), 20000);
  // Deliveries naming no repository have their own allowance; together they exceed the total.
  insert_unverified(std::nullopt, 9000, dropped);
  insert_unverified(std::nullopt, 9000, dropped);
  EXPECT_EQ(dropped.repo_rows, 1);
  EXPECT_GE(dropped.total_rows, 1);
  EXPECT_LE(tx([](pqxx::work& t) { return store::unverified_kept_bytes(t); }), 30000);
  EXPECT_LE(tx([](pqxx::work& t) { return store::unverified_kept_bytes(t, std::nullopt); }), 20000);
  // The verified delivery, larger than every allowance, stays.
  EXPECT_EQ(count("SELECT octet_length(body) FROM webhook_deliveries WHERE id = " +
                  std::to_string(accepted)),
            50000);
}

TEST_F(DeliveriesStoreTest, TheSchemaKeepsTheBodyColumnsTrue) {
  auto cut = row(repo_, 100, true);
  cut.body_bytes = 1000;
  cut.body_truncated = true;
  EXPECT_THROW(tx([&](pqxx::work& t) { return store::insert_delivery(t, cut); }),
               pqxx::check_violation);
  auto unmarked = row(repo_, 100, false);
  unmarked.body_bytes = 1000;  // cut, but not said so
  EXPECT_THROW(tx([&](pqxx::work& t) { return store::insert_delivery(t, unmarked); }),
               pqxx::check_violation);
  auto accepted_unverified = row(repo_, 100, false);
  accepted_unverified.verdict = core::DeliveryVerdict::accepted;
  EXPECT_THROW(tx([&](pqxx::work& t) { return store::insert_delivery(t, accepted_unverified); }),
               pqxx::check_violation);
  auto bad_hash = row(repo_, 100, false);
  bad_hash.body_sha256 = "not-a-sha256";
  EXPECT_THROW(tx([&](pqxx::work& t) { return store::insert_delivery(t, bad_hash); }),
               pqxx::check_violation);
  // Without a hash the body is whole: the database computes its size and hash.
  auto whole = row(repo_, 100, false);
  whole.body_sha256 = "";
  whole.body_bytes = 0;
  whole.verified.reset();
  const auto id = tx([&](pqxx::work& t) { return store::insert_delivery(t, whole); });
  auto stored = tx([&](pqxx::work& t) { return store::get_delivery(t, id); });
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->body_bytes, 100);
  EXPECT_EQ(stored->body_sha256, util::sha256_hex(std::string(100, 'x')));
  EXPECT_FALSE(stored->verified);  // rejected
}

}  // namespace
}  // namespace mlgate

namespace mlgate {
namespace {

// A group commit (store::accept_deliveries): every row of the group in one transaction, each
// delivery id accepted once per repository, whether its twin is in the table or earlier in the
// same group; the repeats are stored as duplicates of the accepted row.
TEST_F(DeliveriesStoreTest, AGroupAcceptsEachDeliveryIdOnceInTheTableAndInsideTheGroup) {
  auto accepted_row = [&](const std::string& delivery_id) {
    auto d = row(repo_, 10, true);
    d.delivery_id = delivery_id;
    d.plan_state = core::PlanState::pending;
    return d;
  };
  const auto earlier = tx([&](pqxx::work& t) {
    return store::insert_accepted_once(t, accepted_row("g-earlier")).value();
  });
  const std::vector<store::NewDelivery> rows = {accepted_row("g-1"), accepted_row("g-2"),
                                                accepted_row("g-1"), accepted_row("g-earlier"),
                                                accepted_row("g-3")};
  std::vector<const store::NewDelivery*> group;
  for (const auto& r : rows) group.push_back(&r);
  const auto out = tx([&](pqxx::work& t) { return store::accept_deliveries(t, group); });
  ASSERT_EQ(out.size(), rows.size());
  ASSERT_TRUE(out[0].id && out[1].id && out[4].id);
  EXPECT_LT(*out[0].id, *out[1].id);  // stored in the order given
  EXPECT_LT(*out[1].id, *out[4].id);
  EXPECT_FALSE(out[2].id);
  ASSERT_TRUE(out[2].original);
  EXPECT_EQ(out[2].original->id, *out[0].id);  // a twin earlier in the same group
  EXPECT_GT(out[2].duplicate_row, 0);
  EXPECT_FALSE(out[3].id);
  ASSERT_TRUE(out[3].original);
  EXPECT_EQ(out[3].original->id, earlier);  // a twin already in the table
  EXPECT_EQ(count("SELECT count(*) FROM webhook_deliveries WHERE verdict = 'accepted'"), 4);
  EXPECT_EQ(count("SELECT count(*) FROM webhook_deliveries WHERE verdict = 'duplicate' AND "
                  "http_status = 200 AND plan_state = 'none'"),
            2);
  EXPECT_EQ(count("SELECT count(*) FROM webhook_deliveries WHERE verdict = 'accepted' AND "
                  "plan_state = 'pending'"),
            4);
  // One transaction: the rows of the group share its transaction id.
  EXPECT_EQ(count("SELECT count(DISTINCT xmin::text) FROM webhook_deliveries WHERE delivery_id "
                  "LIKE 'g-%' AND delivery_id <> 'g-earlier' OR (delivery_id = 'g-earlier' AND "
                  "verdict = 'duplicate')"),
            1);
}

// A group larger than one statement holds (it is cut into statements of 16, 8, 4, 2 and 1 rows):
// every row stored whole, bytes and fields as given, in order, and a twin in a later statement of
// the same group is a duplicate.
TEST_F(DeliveriesStoreTest, ALargeGroupKeepsEveryRowWholeAcrossItsStatements) {
  std::string every_byte;
  for (int b = 0; b < 256; ++b) every_byte += static_cast<char>(b);
  std::vector<store::NewDelivery> rows;
  for (int i = 0; i < 37; ++i) {
    auto d = row(repo_, 0, true);
    d.delivery_id = "big-" + std::to_string(i);
    d.body = every_byte + std::to_string(i);
    d.body_bytes = static_cast<std::int64_t>(d.body.size());
    d.body_sha256 = util::sha256_hex(d.body);
    d.headers = {{"X-GitHub-Event", "push"}, {"X-Index", std::to_string(i)}};
    d.answered_ms = 0.5 * i;
    d.plan_state = core::PlanState::pending;
    rows.push_back(d);
  }
  rows[20].delivery_id = "big-3";  // the twin of a row of the first statement
  std::vector<const store::NewDelivery*> group;
  for (const auto& r : rows) group.push_back(&r);
  const auto out = tx([&](pqxx::work& t) { return store::accept_deliveries(t, group); });
  ASSERT_EQ(out.size(), rows.size());
  std::int64_t last = 0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (i == 20) {
      EXPECT_FALSE(out[i].id);
      ASSERT_TRUE(out[i].original);
      EXPECT_EQ(out[i].original->id, *out[3].id);
      continue;
    }
    ASSERT_TRUE(out[i].id) << i;
    EXPECT_GT(*out[i].id, last) << i;
    last = *out[i].id;
    const auto stored = tx([&](pqxx::work& t) { return store::get_delivery(t, *out[i].id); });
    ASSERT_TRUE(stored);
    EXPECT_EQ(stored->body, rows[i].body) << i;
    EXPECT_EQ(stored->body_bytes, rows[i].body_bytes);
    EXPECT_EQ(stored->body_sha256, rows[i].body_sha256);
    EXPECT_EQ(stored->headers.at("X-Index"), std::to_string(i));
    EXPECT_EQ(stored->delivery_id, rows[i].delivery_id);
    EXPECT_TRUE(stored->verified);
  }
  EXPECT_EQ(count("SELECT count(*) FROM webhook_deliveries WHERE delivery_id LIKE 'big-%' AND "
                  "verdict = 'accepted' AND plan_state = 'pending' AND http_status = 202"),
            36);
  EXPECT_EQ(count("SELECT count(*) FROM webhook_deliveries WHERE delivery_id = 'big-3' AND "
                  "verdict = 'duplicate'"),
            1);
  EXPECT_EQ(count("SELECT count(*) FROM webhook_deliveries WHERE delivery_id = 'big-36' AND "
                  "answered_ms = 18"),
            1);
}

// A planner's claim: the ids of a repository's pending deliveries, oldest first, skipping those
// another transaction holds; the stored requests are read apart, for the ids asked only.
TEST_F(DeliveriesStoreTest, AClaimLocksPendingIdsAndPayloadsAreReadForTheIdsAsked) {
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 4; ++i) {
    auto d = row(repo_, 10 + i, true);
    d.plan_state = core::PlanState::pending;
    d.headers = {{"X-Index", std::to_string(i)}};
    ids.push_back(tx([&](pqxx::work& t) { return store::insert_delivery(t, d); }));
  }
  auto other = db().acquire();
  pqxx::work holder(*other);
  EXPECT_EQ(store::lock_pending_of_repo(holder, repo_, 2),
            (std::vector<std::int64_t>{ids[0], ids[1]}));
  tx([&](pqxx::work& t) {
    EXPECT_EQ(store::lock_planning_of_delivery(t, ids[3]), repo_);
    EXPECT_EQ(store::lock_pending_of_repo(t, repo_, 10),
              (std::vector<std::int64_t>{ids[2], ids[3]}));
    EXPECT_FALSE(store::lock_delivery_to_plan(t, ids[0]));  // the other transaction holds it
    EXPECT_EQ(store::lock_delivery_to_plan(t, ids[2]), repo_);
    const auto payloads = store::pending_payloads(t, {ids[1], ids[3]});
    EXPECT_EQ(payloads.size(), 2u);
    EXPECT_EQ(payloads.at(ids[3]).body, std::string(13, 'x'));
    EXPECT_EQ(payloads.at(ids[3]).forge, "github");
    EXPECT_NE(payloads.at(ids[1]).headers_json.find("\"X-Index\": \"1\""), std::string::npos);
    EXPECT_TRUE(store::pending_payloads(t, {}).empty());
    return 0;
  });
  holder.abort();
}

// Locking one delivery to plan waits for the planner holding its repository: a delivery that one
// planned meanwhile is not to plan once it committed; one it rolled back is.
TEST_F(DeliveriesStoreTest, ADeliveryLockedToPlanWaitsForItsRepositorysPlanner) {
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 2; ++i) {
    auto d = row(repo_, 10, true);
    d.plan_state = core::PlanState::pending;
    ids.push_back(tx([&](pqxx::work& t) { return store::insert_delivery(t, d); }));
  }
  const auto one_waits = [&] {
    return count("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted") == 1;
  };
  auto other = db().acquire();
  for (const bool planned : {true, false}) {
    const auto id = ids[planned ? 0 : 1];
    pqxx::work holder(*other);
    EXPECT_EQ(store::lock_planning_of_delivery(holder, id), repo_);
    if (planned) store::finish_delivery_plans(holder, {{id, core::PlanState::planned, ""}});
    auto locked = std::async(std::launch::async, [&] {
      return tx([&](pqxx::work& t) { return store::lock_delivery_to_plan(t, id); });
    });
    EXPECT_TRUE(testing::eventually(one_waits)) << planned;
    if (planned) {
      holder.commit();
      EXPECT_FALSE(locked.get());
    } else {
      holder.abort();
      EXPECT_EQ(locked.get(), repo_);
    }
  }
}

}  // namespace
}  // namespace mlgate
