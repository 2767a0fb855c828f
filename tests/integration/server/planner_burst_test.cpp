// The planner against real PostgreSQL and a real git repository: a burst of pushes to one
// repository, accepted before any is planned, is planned in one transaction with one mirror fetch,
// one pipeline per delivery, each exactly once — also with two planners (two replicas, each its own
// mirror cache) taking the same deliveries at once.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "server/services/planner.h"
#include "store/deliveries.h"
#include "store/repos.h"
#include "tests/support/git_fixture.h"
#include "tests/support/pg_cluster.h"
#include "tests/support/temp_dir.h"
#include "vcs/mirror.h"
#include "webhooks/normalise.h"

namespace mlgate {
namespace {

using nlohmann::json;

const char* kConfig =
    "version: 1\nimage: mlgate/busybox:test\ntiers:\n  functionality:\n"
    "    run: \"true\"\n";

class PlannerBurstTest : public testing::DbTest {
 protected:
  void SetUp() override {
    DbTest::SetUp();
    repo_id_ = tx([&](pqxx::work& t) {
      store::NewRepo r;
      r.forge = "github";
      r.full_name = "acme/model";
      r.clone_url = repo_.file_url();
      r.webhook_secret = "planner-burst-secret";
      return store::insert_repo(t, r);
    });
  }

  // `n` commits pushed one after the other, each delivery accepted (pending), none planned yet.
  std::vector<std::int64_t> accept_pushes(int n) {
    std::vector<std::int64_t> ids;
    for (int i = 0; i < n; ++i) {
      const std::string sha = repo_.commit({{".mlgate.yml", kConfig}, {"n.txt", std::to_string(i)}},
                                           "push " + std::to_string(i));
      json p = json::parse(
          testing::read_file(std::string(MLGATE_SHARED_FIXTURES) + "/webhooks/github/push.json"));
      p["ref"] = "refs/heads/main";
      p["after"] = sha;
      p["head_commit"]["id"] = sha;
      p["repository"]["full_name"] = "acme/model";
      store::NewDelivery d;
      d.repo_id = repo_id_;
      d.forge = "github";
      d.delivery_id = "burst-" + std::to_string(i);
      d.event = "push";
      d.headers = {{"X-GitHub-Event", "push"}, {"X-GitHub-Delivery", d.delivery_id}};
      d.body = p.dump();
      d.verified = true;
      d.plan_state = core::PlanState::pending;
      ids.push_back(tx([&](pqxx::work& t) { return *store::insert_accepted_once(t, d); }));
    }
    return ids;
  }

  // The event intake would hand over for delivery `id`: its stored body normalised.
  webhooks::Event event_of(std::int64_t id) {
    const auto d = tx([&](pqxx::work& t) { return *store::get_delivery(t, id); });
    webhooks::Headers headers(d.headers.begin(), d.headers.end());
    return std::get<webhooks::Event>(webhooks::normalise(webhooks::Forge::github, headers, d.body));
  }

  long count(const std::string& sql) {
    return db().with([&](pqxx::connection& c) {
      pqxx::nontransaction t(c);
      return t.exec1(sql)[0].as<long>();
    });
  }

  // Every delivery planned, one pipeline each.
  void expect_each_planned_once(int n) {
    EXPECT_EQ(count("SELECT count(*) FROM webhook_deliveries WHERE plan_state = 'planned'"), n);
    EXPECT_EQ(count("SELECT count(*) FROM pipelines"), n);
    EXPECT_EQ(count("SELECT count(DISTINCT delivery_id) FROM pipelines"), n);
  }
  // The pipelines in the deliveries' order, only the newest one's job still queued (each push
  // superseded the one before it).
  void expect_in_order() {
    EXPECT_EQ(count("SELECT count(*) FROM jobs WHERE state = 'queued'"), 1);
    EXPECT_EQ(count("SELECT max(p.id) FROM pipelines p JOIN jobs j ON j.pipeline_id = p.id WHERE "
                    "j.state = 'queued'"),
              count("SELECT max(id) FROM pipelines"));
    // The pipelines follow the deliveries' order.
    EXPECT_EQ(count("SELECT count(*) FROM pipelines a JOIN pipelines b ON a.id < b.id "
                    "WHERE a.delivery_id > b.delivery_id"),
              0);
  }

  // A role that may read every column of webhook_deliveries but `body` (and everything else):
  // a planner connected as it fails wherever it would read a stored body.
  std::string role_without_bodies() {
    tx([&](pqxx::work& t) {
      t.exec(
          "DO $$ BEGIN CREATE ROLE mlgate_no_bodies LOGIN; "
          "EXCEPTION WHEN duplicate_object THEN NULL; END $$");
      t.exec(
          "GRANT ALL ON ALL TABLES IN SCHEMA public TO mlgate_no_bodies; "
          "GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO mlgate_no_bodies; "
          "REVOKE ALL ON webhook_deliveries FROM mlgate_no_bodies");
      t.exec(
          "DO $$ DECLARE cols text; BEGIN SELECT string_agg(quote_ident(column_name), ', ') "
          "INTO cols FROM information_schema.columns WHERE table_schema = 'public' AND "
          "table_name = 'webhook_deliveries' AND column_name <> 'body'; EXECUTE 'GRANT SELECT (' "
          "|| cols || '), UPDATE ON webhook_deliveries TO mlgate_no_bodies'; END $$");
      return 0;
    });
    return "mlgate_no_bodies";
  }

  testing::TempDir dir_{"mlgate-planner-burst"};
  testing::GitRepoFixture repo_;
  std::int64_t repo_id_ = 0;
};

TEST_F(PlannerBurstTest, ABurstOfPushesToOneRepositoryIsOneFetchAndOneTransaction) {
  constexpr int kPushes = 40;
  const auto ids = accept_pushes(kPushes);
  vcs::MirrorCache mirrors(dir_.path() / "mirrors");
  server::Planner planner(db(), mirrors);
  planner.start();
  for (auto id : ids) planner.enqueue(id);
  planner.wait_idle();
  planner.stop();
  EXPECT_EQ(mirrors.fetch_count(), 1u);
  EXPECT_EQ(planner.stats().bursts, 1u);
  EXPECT_EQ(planner.stats().deliveries, static_cast<std::uint64_t>(kPushes));
  expect_each_planned_once(kPushes);
  expect_in_order();
}

TEST_F(PlannerBurstTest, TwoPlannersTakingTheSameBurstPlanEachDeliveryOnce) {
  constexpr int kPushes = 60;
  const auto ids = accept_pushes(kPushes);
  vcs::MirrorCache mirrors_a(dir_.path() / "mirrors-a");
  vcs::MirrorCache mirrors_b(dir_.path() / "mirrors-b");
  server::PlannerOptions options;
  options.burst_max = 7;  // several bursts each, the two planners interleaved
  server::Planner a(db(), mirrors_a, options);
  server::Planner b(db(), mirrors_b, options);
  a.start();
  b.start();
  for (auto id : ids) {
    a.enqueue(id);
    b.enqueue(id);
  }
  a.wait_idle();
  b.wait_idle();
  a.stop();
  b.stop();
  EXPECT_EQ(a.stats().deliveries + b.stats().deliveries, static_cast<std::uint64_t>(kPushes));
  EXPECT_LE(mirrors_a.fetch_count(), 1u);
  EXPECT_LE(mirrors_b.fetch_count(), 1u);
  expect_each_planned_once(kPushes);
}

// Intake hands the planner the event it normalised: the planner plans from it and does not parse
// the stored body again (here the stored bodies are made unreadable after intake; the delivery
// queued without its event can only fail).
TEST_F(PlannerBurstTest, AHandedEventIsPlannedWithoutParsingTheStoredBodyAgain) {
  const auto ids = accept_pushes(2);
  const auto handed = event_of(ids[0]);
  tx([&](pqxx::work& t) {
    t.exec(
        "UPDATE webhook_deliveries SET body = '\\x7b7d'::bytea, body_bytes = 2, "
        "body_sha256 = encode(sha256('\\x7b7d'::bytea), 'hex')");
    return 0;
  });
  vcs::MirrorCache mirrors(dir_.path() / "mirrors");
  server::Planner planner(db(), mirrors);
  planner.start();
  planner.enqueue(ids[0], handed);
  planner.wait_idle();
  planner.enqueue(ids[1]);
  planner.wait_idle();
  planner.stop();
  EXPECT_EQ(planner.stats().payloads_read, 1u);  // the second delivery's, and only that one
  EXPECT_EQ(count("SELECT count(*) FROM pipelines WHERE delivery_id = " + std::to_string(ids[0])),
            1);
  EXPECT_EQ(count("SELECT count(*) FROM webhook_deliveries WHERE plan_state = 'failed' AND id = " +
                  std::to_string(ids[1])),
            1);
}

// A planner that holds every delivery's event in memory never reads a stored body: here it connects
// as a role that may read every column of webhook_deliveries but `body`, and still plans them all.
TEST_F(PlannerBurstTest, HandedEventsArePlannedWithoutReadingTheStoredBodies) {
  constexpr int kPushes = 5;
  const auto ids = accept_pushes(kPushes);
  std::vector<webhooks::Event> events;
  for (auto id : ids) events.push_back(event_of(id));
  store::Database no_bodies(conninfo() + " user=" + role_without_bodies(), 4);
  // The role cannot read a body: a planner that reads one fails, and plans nothing.
  EXPECT_THROW(no_bodies.with([](pqxx::connection& c) {
    pqxx::read_transaction t(c);
    return t.exec("SELECT body FROM webhook_deliveries LIMIT 1").size();
  }),
               pqxx::insufficient_privilege);
  vcs::MirrorCache mirrors(dir_.path() / "mirrors");
  server::Planner planner(no_bodies, mirrors);
  planner.start();
  for (std::size_t i = 0; i < ids.size(); ++i) planner.enqueue(ids[i], events[i]);
  planner.wait_idle();
  planner.stop();
  EXPECT_EQ(planner.stats().payloads_read, 0u);
  expect_each_planned_once(kPushes);
  expect_in_order();
}

// The events intake handed over stay with the planner until the transaction that plans their
// deliveries has committed: a burst whose transaction fails (here its first INSERT of pipelines,
// once) is planned on the next try from the same events, without reading a stored body (the role
// cannot read one).
TEST_F(PlannerBurstTest, ABurstRolledBackIsPlannedOnRetryFromTheHandedEvents) {
  constexpr int kPushes = 5;
  const auto ids = accept_pushes(kPushes);
  std::vector<webhooks::Event> events;
  for (auto id : ids) events.push_back(event_of(id));
  tx([&](pqxx::work& t) {
    t.exec(
        "CREATE SEQUENCE pipelines_insert_tries; "
        "CREATE FUNCTION fail_first_pipelines_insert() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN IF nextval('pipelines_insert_tries') = 1 THEN "
        "RAISE EXCEPTION 'the first burst fails'; END IF; RETURN NULL; END $$; "
        "CREATE TRIGGER fail_first_pipelines_insert BEFORE INSERT ON pipelines "
        "FOR EACH STATEMENT EXECUTE FUNCTION fail_first_pipelines_insert()");
    return 0;
  });
  store::Database no_bodies(conninfo() + " user=" + role_without_bodies(), 4);
  vcs::MirrorCache mirrors(dir_.path() / "mirrors");
  server::PlannerOptions options;
  options.workers = 1;  // the failed burst's first delivery planned alone, then the others
  server::Planner planner(no_bodies, mirrors, options);
  planner.start();
  for (std::size_t i = 0; i < ids.size(); ++i) planner.enqueue(ids[i], events[i]);
  planner.wait_idle();
  planner.stop();
  EXPECT_GT(count("SELECT last_value FROM pipelines_insert_tries"), 1);  // it did fail once
  EXPECT_EQ(planner.stats().payloads_read, 0u);
  expect_each_planned_once(kPushes);
  expect_in_order();
  // The database is recycled for the next test (its sequences restarted): the trigger goes.
  tx([&](pqxx::work& t) {
    t.exec(
        "DROP TRIGGER fail_first_pipelines_insert ON pipelines; "
        "DROP FUNCTION fail_first_pipelines_insert(); DROP SEQUENCE pipelines_insert_tries");
    return 0;
  });
}

}  // namespace
}  // namespace mlgate
