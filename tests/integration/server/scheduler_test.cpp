// The nightly scheduler on real PostgreSQL and a real git repository, with an injected clock:
// fires at the minute and not before, a missed run fires once after downtime, two instances never
// fire the same minute twice (racing leaders, and the advisory-lock leader), leadership fails
// over when the leader's session ends, and App starts it with its background work.
#include "server/workers/scheduler.h"

#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <chrono>
#include <mutex>
#include <pqxx/pqxx>
#include <thread>

#include "server/app.h"
#include "store/pipeline_queries.h"
#include "store/repos.h"
#include "tests/support/git_fixture.h"
#include "tests/support/mlgate_process.h"
#include "tests/support/pg_cluster.h"
#include "tests/support/temp_dir.h"

namespace mlgate {
namespace {

using namespace std::chrono;
using server::Scheduler;
using server::SchedulerOptions;

sys_seconds at(int y, unsigned mo, unsigned d, int h = 0, int mi = 0, int s = 0) {
  return sys_days{year{y} / mo / d} + hours{h} + minutes{mi} + seconds{s};
}

std::string config_with(const std::string& schedule) {
  return R"(version: 1
image: mlgate/busybox:test
tiers:
  functionality:
    run: echo functionality
  validation:
    needs: [functionality]
    run: echo validation
  training:
    on: [schedule]
    schedule: ")" +
         schedule + R"("
    needs: [functionality]
    run: echo training
)";
}

// A clock the test sets; read by the scheduler's thread too.
class TestClock {
 public:
  explicit TestClock(sys_seconds t) : t_(t.time_since_epoch().count()) {}
  void set(sys_seconds t) { t_ = t.time_since_epoch().count(); }
  system_clock::time_point now() const { return system_clock::time_point(seconds(t_.load())); }
  std::function<system_clock::time_point()> fn() {
    return [this] { return now(); };
  }

 private:
  std::atomic<std::int64_t> t_;
};

class SchedulerTest : public testing::DbTest {
 protected:
  void SetUp() override {
    DbTest::SetUp();
    head_ = repo_.commit({{".mlgate.yml", config_with("0 2 * * *")}}, "nightly training");
    repo_id_ = add_repo("acme/model", repo_.file_url());
  }

  std::int64_t add_repo(const std::string& name, const std::string& url) {
    return db().with([&](pqxx::connection& c) {
      pqxx::work tx(c);
      store::NewRepo r;
      r.forge = "github";
      r.full_name = name;
      r.clone_url = url;
      r.webhook_secret = "scheduler-test-secret";
      auto id = store::insert_repo(tx, r);
      tx.commit();
      return id;
    });
  }

  std::unique_ptr<Scheduler> scheduler(store::Database& database, TestClock& clock,
                                       const std::string& mirror_dir = "mirrors-a") {
    auto& mirrors =
        mirrors_.emplace_back(std::make_unique<vcs::MirrorCache>(dir_.path() / mirror_dir));
    return std::make_unique<Scheduler>(database, *mirrors, server::PlannerOptions{},
                                       SchedulerOptions{.clock = clock.fn()});
  }

  long count(const std::string& sql) {
    return db().with([&](pqxx::connection& c) {
      pqxx::nontransaction tx(c);
      return tx.exec1(sql)[0].as<long>();
    });
  }

  // Scheduled minutes fired for the repo's training tier, oldest first, as "YYYY-MM-DD HH:MM".
  std::vector<std::string> fired_minutes() {
    return db().with([&](pqxx::connection& c) {
      pqxx::nontransaction tx(c);
      std::vector<std::string> out;
      for (const auto& r :
           tx.exec("SELECT to_char(scheduled_for AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') "
                   "FROM schedules WHERE tier = 'training' ORDER BY scheduled_for"))
        out.push_back(r[0].as<std::string>());
      return out;
    });
  }

  testing::TempDir dir_{"mlgate-scheduler"};
  testing::GitRepoFixture repo_;
  std::string head_;
  std::int64_t repo_id_ = 0;
  std::vector<std::unique_ptr<vcs::MirrorCache>> mirrors_;
};

TEST_F(SchedulerTest, FiresAtTheScheduledMinuteNotBeforeAndOnlyOnce) {
  TestClock clock(at(2024, 5, 1, 0, 0));
  auto s = scheduler(db(), clock);
  auto first = s->tick();
  EXPECT_TRUE(first.leader);
  EXPECT_TRUE(first.fired.empty());
  EXPECT_TRUE(first.problems.empty()) << first.problems.front();

  clock.set(at(2024, 5, 1, 1, 59, 59));
  EXPECT_TRUE(s->tick().fired.empty());
  EXPECT_EQ(count("SELECT count(*) FROM pipelines"), 0);

  clock.set(at(2024, 5, 1, 2, 0, 0));
  auto report = s->tick();
  ASSERT_EQ(report.fired.size(), 1u);
  EXPECT_EQ(report.fired[0].tier, "training");
  EXPECT_EQ(report.fired[0].scheduled_for, at(2024, 5, 1, 2, 0));
  EXPECT_EQ(report.fired[0].sha, head_);

  // The pipeline: trigger schedule, on main's head, training and what it needs.
  auto p = db().with([&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    return store::get_pipeline_status(tx, report.fired[0].pipeline_id);
  });
  ASSERT_TRUE(p);
  EXPECT_EQ(p->trigger, "schedule");
  EXPECT_EQ(p->branch, "main");
  EXPECT_EQ(p->ref, "refs/heads/main");
  EXPECT_EQ(p->sha, head_);
  EXPECT_EQ(p->commit_message.rfind("nightly training", 0), 0u) << p->commit_message;
  ASSERT_EQ(p->jobs.size(), 2u);
  EXPECT_EQ(p->jobs[0].tier, "functionality");
  EXPECT_EQ(core::to_string(p->jobs[0].state), "queued");
  EXPECT_EQ(p->jobs[1].tier, "training");
  EXPECT_EQ(core::to_string(p->jobs[1].state), "blocked");
  EXPECT_EQ(p->jobs[1].needs, std::vector<std::string>{"functionality"});
  EXPECT_EQ(count("SELECT count(*) FROM schedules WHERE pipeline_id = " + std::to_string(p->id) +
                  " AND cron = '0 2 * * *'"),
            1);

  // Later ticks in the same minute and the same day fire nothing more.
  clock.set(at(2024, 5, 1, 2, 0, 45));
  EXPECT_TRUE(s->tick().fired.empty());
  clock.set(at(2024, 5, 1, 23, 0));
  EXPECT_TRUE(s->tick().fired.empty());
  clock.set(at(2024, 5, 2, 2, 0, 1));
  EXPECT_EQ(s->tick().fired.size(), 1u);
  EXPECT_EQ(fired_minutes(), (std::vector<std::string>{"2024-05-01 02:00", "2024-05-02 02:00"}));
  EXPECT_EQ(count("SELECT count(*) FROM pipelines WHERE trigger = 'schedule'"), 2);
}

TEST_F(SchedulerTest, DowntimeOverThreeScheduledTimesFiresOnceForTheLatest) {
  TestClock clock(at(2024, 5, 1, 1, 0));
  auto s = scheduler(db(), clock);
  s->tick();
  clock.set(at(2024, 5, 1, 2, 0));
  ASSERT_EQ(s->tick().fired.size(), 1u);
  s.reset();  // the server goes down

  // Back on the 4th at 09:30: the runs of the 2nd, 3rd and 4th were missed.
  clock.set(at(2024, 5, 4, 9, 30));
  s = scheduler(db(), clock);
  auto report = s->tick();
  ASSERT_EQ(report.fired.size(), 1u);
  EXPECT_EQ(report.fired[0].scheduled_for, at(2024, 5, 4, 2, 0));
  for (int minute = 31; minute < 35; ++minute) {
    clock.set(at(2024, 5, 4, 9, minute));
    EXPECT_TRUE(s->tick().fired.empty());
  }
  EXPECT_EQ(fired_minutes(), (std::vector<std::string>{"2024-05-01 02:00", "2024-05-04 02:00"}));
  EXPECT_EQ(count("SELECT count(*) FROM pipelines"), 2);
}

TEST_F(SchedulerTest, AScheduleNeverFiresForATimeBeforeItWasKnown) {
  // The default branch had no schedule; one is pushed at 12:00, after the 02:00 of that day.
  repo_.commit({{".mlgate.yml", R"(version: 1
image: mlgate/busybox:test
tiers:
  functionality:
    run: echo functionality
)"}},
               "no schedule yet");
  TestClock clock(at(2024, 5, 1, 1, 0));
  auto s = scheduler(db(), clock);
  EXPECT_TRUE(s->tick().fired.empty());
  clock.set(at(2024, 5, 1, 2, 0));
  EXPECT_TRUE(s->tick().fired.empty());

  repo_.commit({{".mlgate.yml", config_with("0 2 * * *")}}, "add nightly training");
  clock.set(at(2024, 5, 1, 12, 0));
  EXPECT_TRUE(s->tick().fired.empty());
  EXPECT_EQ(count("SELECT count(*) FROM schedule_cursors"), 1);
  clock.set(at(2024, 5, 2, 2, 0));
  auto report = s->tick();
  ASSERT_EQ(report.fired.size(), 1u);
  EXPECT_EQ(report.fired[0].sha, repo_.head());

  // Changed to 03:00 at 02:30: today's 03:00 is after the change, so it fires; removed, the
  // tier's cursor goes.
  repo_.commit({{".mlgate.yml", config_with("0 3 * * *")}}, "training at three");
  clock.set(at(2024, 5, 2, 2, 30));
  EXPECT_TRUE(s->tick().fired.empty());
  clock.set(at(2024, 5, 2, 3, 0));
  EXPECT_EQ(s->tick().fired.size(), 1u);
  repo_.remove(".mlgate.yml");
  repo_.commit({}, "no config");
  clock.set(at(2024, 5, 3, 3, 0));
  EXPECT_TRUE(s->tick().fired.empty());
  EXPECT_EQ(count("SELECT count(*) FROM schedule_cursors"), 0);
  EXPECT_EQ(fired_minutes(), (std::vector<std::string>{"2024-05-02 02:00", "2024-05-02 03:00"}));
}

TEST_F(SchedulerTest, AnInvalidConfigOrAnUnreachableRepoIsReportedAndOthersStillFire) {
  testing::GitRepoFixture broken;
  broken.commit({{".mlgate.yml",
                  "version: 1\ntiers:\n  training:\n    on: [schedule]\n"
                  "    schedule: \"0 2 * * *\"\n    run: echo t\n    bogus: 1\n"}});
  add_repo("acme/broken", broken.file_url());
  add_repo("acme/gone", "file:///nonexistent/mlgate-scheduler-test.git");
  TestClock clock(at(2024, 5, 1, 1, 0));
  auto s = scheduler(db(), clock);
  auto first = s->tick();
  ASSERT_EQ(first.problems.size(), 2u);
  EXPECT_NE(first.problems[0].find("acme/broken"), std::string::npos) << first.problems[0];
  EXPECT_NE(first.problems[0].find(".mlgate.yml:7:5"), std::string::npos) << first.problems[0];
  EXPECT_NE(first.problems[1].find("acme/gone"), std::string::npos) << first.problems[1];
  clock.set(at(2024, 5, 1, 2, 0));
  auto report = s->tick();
  ASSERT_EQ(report.fired.size(), 1u);
  EXPECT_EQ(report.fired[0].repo, "acme/model");
}

TEST_F(SchedulerTest, TwoRacingLeadersNeverFireTheSameMinuteTwice) {
  repo_.commit({{".mlgate.yml", config_with("* * * * *")}}, "every minute");
  store::Database other(conninfo());
  TestClock clock(at(2024, 5, 1, 10, 0));
  auto a = scheduler(db(), clock, "mirrors-a");
  auto b = scheduler(other, clock, "mirrors-b");
  constexpr int kMinutes = 12;
  std::atomic<int> fired_total{0};
  for (int m = 0; m < kMinutes; ++m) {
    const auto now = at(2024, 5, 1, 10, m, 5);
    std::barrier sync(2);
    auto race = [&](Scheduler& s) {
      sync.arrive_and_wait();
      fired_total += static_cast<int>(s.fire_due(now).fired.size());
    };
    std::thread ta(race, std::ref(*a));
    std::thread tb(race, std::ref(*b));
    ta.join();
    tb.join();
    EXPECT_EQ(fired_total.load(), m + 1) << "minute " << m;
  }
  EXPECT_EQ(count("SELECT count(*) FROM schedules"), kMinutes);
  EXPECT_EQ(count("SELECT count(DISTINCT scheduled_for) FROM schedules"), kMinutes);
  EXPECT_EQ(count("SELECT count(*) FROM pipelines WHERE trigger = 'schedule'"), kMinutes);
  EXPECT_EQ(count("SELECT count(*) FROM schedules WHERE pipeline_id IS NULL"), 0);
}

TEST_F(SchedulerTest, OnlyTheLeaderFiresAndAnotherTakesOverWhenItsSessionEnds) {
  repo_.commit({{".mlgate.yml", config_with("*/10 * * * *")}}, "every ten minutes");
  store::Database other(conninfo());
  TestClock clock(at(2024, 5, 1, 9, 55));
  auto a = scheduler(db(), clock, "mirrors-a");
  auto b = scheduler(other, clock, "mirrors-b");
  EXPECT_TRUE(a->tick().leader);
  EXPECT_FALSE(b->tick().leader);

  clock.set(at(2024, 5, 1, 10, 0));
  auto rb = b->tick();
  EXPECT_FALSE(rb.leader);
  EXPECT_TRUE(rb.fired.empty());
  EXPECT_EQ(a->tick().fired.size(), 1u);

  // The leader's session ends as if its replica died: PostgreSQL releases the lock.
  const long killed = count(
      "SELECT count(pg_terminate_backend(pid)) FROM pg_locks WHERE locktype = 'advisory' "
      "AND granted AND database = (SELECT oid FROM pg_database WHERE datname = "
      "current_database())");
  EXPECT_EQ(killed, 1);
  clock.set(at(2024, 5, 1, 10, 10));
  EXPECT_TRUE(testing::eventually([&] { return b->tick().leader; }));
  EXPECT_FALSE(a->tick().leader);  // it noticed, and cannot take the lock back
  EXPECT_FALSE(a->leader());
  EXPECT_EQ(fired_minutes(), (std::vector<std::string>{"2024-05-01 10:00", "2024-05-01 10:10"}));

  // A clean stop hands over too.
  b->stop();
  clock.set(at(2024, 5, 1, 10, 20));
  auto ra = a->tick();
  EXPECT_TRUE(ra.leader);
  EXPECT_EQ(ra.fired.size(), 1u);
  EXPECT_EQ(fired_minutes().size(), 3u);
}

TEST_F(SchedulerTest, AppStartsTheSchedulerWithItsBackgroundWork) {
  repo_.commit({{".mlgate.yml", config_with("* * * * *")}}, "every minute");
  TestClock clock(at(2024, 5, 1, 10, 0, 10));
  server::AppConfig config;
  config.data_dir = dir_.path() / "app";
  config.scheduler.clock = clock.fn();
  {
    server::App app(config, db());
    app.start_background();
    // The first tick runs at start; an every-minute schedule seen in its minute fires.
    EXPECT_TRUE(testing::eventually([&] { return !fired_minutes().empty(); }));
    EXPECT_TRUE(app.scheduler().leader());
    app.stop_background();
    EXPECT_FALSE(app.scheduler().leader());
  }
  EXPECT_EQ(fired_minutes(), std::vector<std::string>{"2024-05-01 10:00"});
  // Stopped, it left the lock: another instance leads now.
  store::Database other(conninfo());
  auto s = scheduler(other, clock, "mirrors-b");
  EXPECT_TRUE(s->tick().leader);
}

}  // namespace
}  // namespace mlgate
