// Two `mlgate serve` replicas on one PostgreSQL behind HAProxy (the configuration of
// docs/operations.md, "Two or more replicas behind a load balancer"); runners and signed pushes go
// through HAProxy; one replica is SIGKILLed under that load. Afterwards every acknowledged delivery
// is planned exactly once, every job ended exactly once with one run of its passing attempt, the
// jobs queued after the kill ran through the survivor, and a delivery no replica could take is
// not acknowledged (503), then accepted once on its retry. A second test kills a replica whose
// spool holds deliveries (PostgreSQL was down): they are planned, once, when it restarts.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <pqxx/pqxx>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "store/embedded_postgres.h"
#include "tests/e2e/replicas/replicas_env.h"

namespace mlgate {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr int kDeliveries = 48;  // pushes sent under load
constexpr int kSenders = 8;      // threads sending them, each one delivery after the other
constexpr int kKillAfter = 16;   // acknowledged deliveries before replica 0 is SIGKILLed
constexpr int kHeldBack = 16;    // the last deliveries, sent only once the database is locked

struct Delivery {
  int n = 0;
  std::string sha;
  std::string id;
  std::vector<int> answers;  // every HTTP status the sender saw (-1: no answer)
  bool acknowledged = false;
  bool duplicate = false;  // acknowledged as a duplicate of an earlier try that reached a replica
};

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// A sender that sees no 2xx retries with the same delivery id, as GitHub's redelivery does.
void send_until_acknowledged(testing::ReplicasEnv& env, Delivery& d) {
  for (int tries = 0; tries < 40 && !d.acknowledged; ++tries) {
    const auto r = env.send_push(d.n, d.sha, d.id);
    d.answers.push_back(r.status);
    if (r.status == 202) {
      d.acknowledged = true;
    } else if (r.status == 200 && r.body.find("\"duplicate\"") != std::string::npos) {
      d.acknowledged = d.duplicate = true;
    } else {
      std::this_thread::sleep_for(250ms);
    }
  }
}

std::string answers_of(const Delivery& d) {
  std::string s;
  for (int a : d.answers) s += (s.empty() ? "" : ",") + std::to_string(a);
  return s;
}

// Every acknowledged delivery has one accepted row and one pipeline; there are no others.
void expect_planned_once(const testing::ReplicasEnv& env, const std::vector<Delivery>& ds) {
  pqxx::connection c(env.conninfo());
  pqxx::nontransaction tx(c);
  std::map<std::string, std::pair<long, long>> rows;  // delivery id -> accepted rows, pipelines
  for (const auto& r :
       tx.exec("SELECT d.delivery_id, count(DISTINCT d.id), count(p.id) FROM webhook_deliveries d "
               "LEFT JOIN pipelines p ON p.delivery_id = d.id WHERE d.verdict = 'accepted' "
               "GROUP BY d.delivery_id"))
    rows[r[0].as<std::string>()] = {r[1].as<long>(), r[2].as<long>()};
  for (const auto& d : ds) {
    ASSERT_TRUE(d.acknowledged) << d.id << " answered " << answers_of(d);
    EXPECT_EQ(rows[d.id], std::make_pair(1L, 1L))
        << d.id << " (answers " << answers_of(d) << "): accepted rows, pipelines";
  }
  EXPECT_EQ(rows.size(), ds.size());
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM pipelines")[0].as<size_t>(), ds.size());
  EXPECT_EQ(tx.exec1("SELECT count(*) FROM webhook_deliveries WHERE plan_state <> 'planned' "
                     "AND verdict = 'accepted'")[0]
                .as<long>(),
            0);
}

// (job id, attempt) -> how many times the job's command ran, from the runs file.
std::map<std::pair<long, int>, int> runs_of(const testing::ReplicasEnv& env) {
  static const std::regex re(R"(/jobs/j([0-9]+)-a([0-9]+)/workspace)");
  std::map<std::pair<long, int>, int> runs;
  std::istringstream in(testing::read_file(env.runs_file()));
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (std::regex_search(line, m, re)) ++runs[{std::stol(m[1]), std::stoi(m[2])}];
  }
  return runs;
}

// Every job passed, with one passed attempt, one end in its history and one run of that attempt;
// an earlier attempt exists only as a lost lease and ran at most once. Returns the lost leases.
long expect_jobs_ran_once(const testing::ReplicasEnv& env) {
  const auto runs = runs_of(env);
  auto ran = [&](long id, int attempt) {
    const auto it = runs.find({id, attempt});
    return it == runs.end() ? 0 : it->second;
  };
  pqxx::connection c(env.conninfo());
  pqxx::nontransaction tx(c);
  long lost = 0;
  for (const auto& r : tx.exec(
           "SELECT j.id, j.state, j.attempt, "
           "(SELECT count(*) FROM job_attempts a WHERE a.job_id = j.id AND a.outcome = 'passed'),"
           "(SELECT count(*) FROM job_attempts a WHERE a.job_id = j.id "
           "  AND a.outcome = 'lease_expired'),"
           "(SELECT count(*) FROM state_changes s WHERE s.job_id = j.id AND s.to_state IN "
           "  ('passed', 'failed', 'timed_out', 'cancelled', 'error', 'skipped')) "
           "FROM jobs j ORDER BY j.id")) {
    const long id = r[0].as<long>();
    const int attempt = r[2].as<int>();
    EXPECT_EQ(r[1].as<std::string>(), "passed") << "job " << id;
    EXPECT_EQ(r[3].as<long>(), 1) << "job " << id << ": passed attempts";
    EXPECT_EQ(r[4].as<long>(), attempt - 1) << "job " << id << ": the other attempts";
    EXPECT_EQ(r[5].as<long>(), 1) << "job " << id << ": ends in its history";
    EXPECT_EQ(ran(id, attempt), 1) << "job " << id << " attempt " << attempt << " runs";
    for (int a = 1; a < attempt; ++a)
      EXPECT_LE(ran(id, a), 1) << "job " << id << " attempt " << a << " runs";
    lost += r[4].as<long>();
  }
  for (const auto& [key, n] : runs) EXPECT_EQ(n, 1) << "job " << key.first << "-a" << key.second;
  return lost;
}

// A claim replica 0 hands out whose answer never reaches a runner (as when the replica dies
// between its commit and its answer): a runner registered for it claims one queued job straight
// from replica 0 and never acts on it. Returns the job's id.
long claim_never_answered(testing::ReplicasEnv& env) {
  const std::string replica = env.replica(0)->host_port();
  const auto reg = testing::http_post(
      replica, "/api/v1/runner/register", R"({"name":"answer-lost","executor":"local"})",
      "application/json", {{"Authorization", "Bearer " + env.registration_token()}});
  EXPECT_EQ(reg.status, 201) << reg.body;
  const std::string token = nlohmann::json::parse(reg.body)["token"].get<std::string>();
  long job = 0;
  testing::eventually(
      [&] {
        const auto r =
            testing::http_post(replica, "/api/v1/runner/jobs/request", R"({"wait_seconds":0})",
                               "application/json", {{"Authorization", "Bearer " + token}});
        if (r.status == 200) job = nlohmann::json::parse(r.body)["job"]["id"].get<long>();
        return job != 0;
      },
      30s);
  EXPECT_NE(job, 0) << "no job was queued to claim";
  return job;
}

// With the tables locked by `tx`: waits until deliveries wait inside replica 0, SIGKILLs it,
// lets go; how many of its group inserts were waiting.
long kill_while_locked(testing::ReplicasEnv& env, pqxx::work& tx, std::atomic<bool>& locked) {
  locked = true;
  long waiting = 0;
  testing::eventually(
      [&] {
        // Intake's group inserts only: the planner's update of a delivery's plan state waits on
        // the same lock, but no sender waits for it.
        waiting = env.sql_long(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'mlgate-replica-0' "
            "AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO webhook_deliveries%'");
        return waiting >= 2;
      },
      5s);
  env.kill_replica(0);
  std::this_thread::sleep_for(200ms);
  tx.commit();
  return waiting;
}

// A slow moment of the database, so that the kill finds work inside the replica: the test holds
// SHARE locks on webhook_deliveries and jobs until deliveries wait inside replica 0 (its sessions
// are named), SIGKILLs it, then lets go. Returns how many of its group inserts were waiting (each
// holds one delivery or more): each delivery in them must reach its sender as an error (502),
// never be sent to the other replica by HAProxy.
long kill_with_deliveries_in_flight(testing::ReplicasEnv& env, std::atomic<bool>& locked) {
  pqxx::connection c(env.conninfo());
  for (int attempt = 1;; ++attempt) {
    pqxx::work tx(c);
    try {
      tx.exec0("LOCK TABLE webhook_deliveries, jobs IN SHARE MODE");
    } catch (const pqxx::deadlock_detected&) {
      // The two tables are locked one after the other: a replica's planner that holds jobs and
      // wants webhook_deliveries deadlocks with this, and PostgreSQL may end this side. Again.
      if (attempt == 5) throw;
      std::cout << "the test's LOCK deadlocked with a replica's transaction: again\n";
      continue;
    }
    return kill_while_locked(env, tx, locked);
  }
}

bool all_ended(testing::ReplicasEnv& env, long pipelines) {
  return env.sql_long("SELECT count(*) FROM pipelines") == pipelines &&
         env.sql_long(
             "SELECT count(*) FROM jobs WHERE state IN ('blocked', 'queued', 'running')") == 0 &&
         env.sql_long("SELECT count(*) FROM webhook_deliveries WHERE plan_state = 'pending'") == 0;
}

// With no replica up HAProxy answers 503 and nothing is recorded; once replica 0 is back (same
// port, same data dir) the retry is accepted and planned, and a further retry is a duplicate.
void expect_unhanded_delivery_not_acknowledged(testing::ReplicasEnv& env, Delivery& d) {
  env.stop_replica(1);
  const auto refused = env.send_push(d.n, d.sha, d.id);
  EXPECT_EQ(refused.status, 503) << refused.body;
  EXPECT_EQ(
      env.sql_long("SELECT count(*) FROM webhook_deliveries WHERE delivery_id = '" + d.id + "'"),
      0);
  const auto restart = Clock::now();
  env.start_replica(0);
  ASSERT_TRUE(testing::eventually(
      [&] { return testing::http_get(env.lb(), "/healthz").status == 200; }, 20s));
  std::cout << "replica 0 restarted and routed again in " << seconds_since(restart) << " s\n";
  const auto accepted = env.send_push(d.n, d.sha, d.id);
  EXPECT_EQ(accepted.status, 202) << accepted.body;
  d.acknowledged = accepted.status == 202;
  const auto again = env.send_push(d.n, d.sha, d.id);
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_NE(again.body.find("\"duplicate\""), std::string::npos) << again.body;
}

TEST(Replicas, OneReplicaSigkilledUnderLoadLosesNothingAndDoesNothingTwice) {
  const auto t0 = Clock::now();
  testing::ReplicasEnv env;
  env.start_runners(3);
  std::vector<Delivery> ds(kDeliveries + 1);
  const std::string tag = std::to_string(::getpid());
  for (int i = 0; i <= kDeliveries; ++i)
    ds[static_cast<size_t>(i)] = {i, env.new_commit(i),
                                  "replicas-" + tag + "-" + std::to_string(i)};
  Delivery last = ds.back();  // sent at the end, when no replica is up
  ds.pop_back();
  std::cout << "set up in " << seconds_since(t0) << " s\n";

  const auto load = Clock::now();
  std::atomic<int> next{0}, acknowledged{0};
  std::atomic<bool> locked{false};
  auto sender = [&] {
    for (int i; (i = next++) < kDeliveries;) {
      // However slow the machine, some deliveries are inside the replica when it is killed.
      while (i >= kDeliveries - kHeldBack && !locked) std::this_thread::sleep_for(10ms);
      send_until_acknowledged(env, ds[static_cast<size_t>(i)]);
      if (ds[static_cast<size_t>(i)].acknowledged) ++acknowledged;
      std::this_thread::sleep_for(200ms);
    }
  };
  std::vector<std::thread> senders;
  // Should a step below throw, the senders are let go and joined, so that the test fails with the
  // exception's message instead of std::terminate on a joinable thread.
  struct JoinSenders {
    std::vector<std::thread>& threads;
    std::atomic<bool>& locked;
    ~JoinSenders() {
      locked = true;
      for (auto& t : threads)
        if (t.joinable()) t.join();
    }
  } join_senders{senders, locked};
  for (int s = 0; s < kSenders; ++s) senders.emplace_back(sender);
  const bool loaded = testing::eventually(
      [&] {
        return acknowledged >= kKillAfter &&
               env.sql_long("SELECT count(*) FROM jobs WHERE state = 'running'") > 0;
      },
      60s);
  const long unanswered = claim_never_answered(env);
  const long in_flight = kill_with_deliveries_in_flight(env, locked);
  const auto killed = Clock::now();
  const long last_job_before_kill = env.sql_long("SELECT coalesce(max(id), 0) FROM jobs");
  for (auto& s : senders) s.join();
  ASSERT_TRUE(loaded) << env.logs();
  std::cout << "replica 0 SIGKILLed " << seconds_since(load) << " s into the load, after "
            << last_job_before_kill << " jobs; all deliveries sent " << seconds_since(killed)
            << " s after the kill; " << in_flight << " deliveries were waiting in it\n";

  ASSERT_TRUE(testing::eventually([&] { return all_ended(env, kDeliveries); }, 90s)) << env.logs();
  std::cout << "every pipeline ended " << seconds_since(killed) << " s after the kill\n";
  expect_planned_once(env, ds);
  const long lost = expect_jobs_ran_once(env);
  int retried = 0, duplicates = 0;
  for (const auto& d : ds) {
    retried += d.answers.size() > 1 && d.answers[0] == 502;
    duplicates += d.duplicate;
    for (size_t a = 0; a + 1 < d.answers.size(); ++a)
      EXPECT_TRUE(d.answers[a] == 502 || d.answers[a] == 503 || d.answers[a] == -1)
          << d.id << " answered " << answers_of(d);
  }
  // The deliveries inside the killed replica were answered 502, not re-sent to the survivor.
  EXPECT_GE(in_flight, 1);
  EXPECT_GE(retried, in_flight);
  // The claim the killed replica never answered: its lease expired, the survivor queued the job
  // again, and a real runner ran its second attempt, once.
  EXPECT_GE(lost, 1);
  EXPECT_EQ(env.sql_long(
                "SELECT count(*) FROM job_attempts WHERE job_id = " + std::to_string(unanswered) +
                " AND ((attempt = 1 AND outcome = 'lease_expired') OR (attempt = 2 AND "
                "outcome = 'passed'))"),
            2);
  std::cout << retried << " deliveries answered 502 and retried (" << duplicates
            << " then answered duplicate), " << lost << " lease(s) lost with the replica\n";
  // Runners carried on through the survivor: the jobs queued after the kill ran.
  EXPECT_GT(env.sql_long("SELECT count(*) FROM jobs WHERE state = 'passed' AND id > " +
                         std::to_string(last_job_before_kill)),
            0);

  expect_unhanded_delivery_not_acknowledged(env, last);
  ds.push_back(last);
  ASSERT_TRUE(testing::eventually([&] { return all_ended(env, kDeliveries + 1); }, 60s))
      << env.logs();
  expect_planned_once(env, ds);
  expect_jobs_ran_once(env);
  std::cout << "whole test " << seconds_since(t0) << " s\n";
  if (HasFailure()) std::cout << env.logs() << "\n";
}

// The delivery ids in a replica's spool (one JSON line per delivery, its headers as received): the
// spool file and the one a drain took away from it (`<file>.draining`), where a drain that found
// PostgreSQL still down leaves what it could not deliver.
std::set<std::string> spooled_ids(const std::filesystem::path& file) {
  std::set<std::string> ids;
  std::ifstream spooled(file);
  std::ifstream draining(file.string() + ".draining");
  for (std::ifstream* in : {&spooled, &draining})
    for (std::string line; std::getline(*in, line);) {
      const auto j = nlohmann::json::parse(line, nullptr, false);
      if (!j.is_object() || !j.contains("headers")) continue;
      for (const auto& [k, v] : j["headers"].items()) {
        std::string key = k;
        for (char& ch : key) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        if (key == "x-github-delivery" && v.is_string()) ids.insert(v.get<std::string>());
      }
    }
  return ids;
}

// PostgreSQL is down: HAProxy keeps both replicas (their /healthz answers), each spools what it
// gets (202 spooled). Sends until both spools hold some; returns how many were sent.
size_t spool_in_both(testing::ReplicasEnv& env, std::vector<Delivery>& ds) {
  size_t sent = 0;
  while (sent < ds.size() && (sent < 4 || spooled_ids(env.spool_file(0)).empty() ||
                              spooled_ids(env.spool_file(1)).empty())) {
    Delivery& d = ds[sent++];
    const auto r = env.send_push(d.n, d.sha, d.id);
    d.answers.push_back(r.status);
    d.acknowledged = r.status == 202;
    EXPECT_EQ(r.status, 202) << r.body;
    EXPECT_NE(r.body.find("\"spooled\""), std::string::npos) << r.body;
  }
  return sent;
}

TEST(Replicas, AKilledReplicasSpoolIsPlannedOnceWhenItRestarts) {
  testing::TempDir pgdir("mlgate-replicas-pg");
  store::EmbeddedPostgresOptions po;
  po.data_dir = pgdir.path();
  po.durable = false;
  store::EmbeddedPostgres pg(po);
  testing::ReplicasEnv env(pg.conninfo());
  std::vector<Delivery> ds(12);
  const std::string tag = std::to_string(::getpid());
  for (int i = 0; i < 12; ++i)
    ds[static_cast<size_t>(i)] = {i, env.new_commit(i), "spool-" + tag + "-" + std::to_string(i)};
  auto pipelines = [&] { return env.sql_long("SELECT count(*) FROM pipelines"); };

  pg.stop();
  ds.resize(spool_in_both(env, ds));
  const auto in_0 = spooled_ids(env.spool_file(0)), in_1 = spooled_ids(env.spool_file(1));
  ASSERT_FALSE(in_0.empty());
  ASSERT_FALSE(in_1.empty());
  EXPECT_EQ(in_0.size() + in_1.size(), ds.size());
  std::cout << "PostgreSQL down: " << in_0.size() << " deliveries spooled by replica 0, "
            << in_1.size() << " by replica 1\n";
  env.kill_replica(0);
  // The forge redelivers one of replica 0's deliveries: replica 1 spools it too.
  auto again =
      std::find_if(ds.begin(), ds.end(), [&](const Delivery& d) { return in_0.count(d.id) > 0; });
  ASSERT_NE(again, ds.end());
  const auto redelivered = env.send_push(again->n, again->sha, again->id);
  EXPECT_EQ(redelivered.status, 202) << redelivered.body;

  // PostgreSQL is back: replica 1 drains its spool; replica 0's other deliveries wait for it.
  pg.start();
  const long from_1 = static_cast<long>(in_1.size()) + 1;
  ASSERT_TRUE(testing::eventually([&] { return pipelines() == from_1; }, 30s)) << env.logs();
  std::this_thread::sleep_for(2s);
  EXPECT_EQ(pipelines(), from_1);
  env.start_replica(0);
  ASSERT_TRUE(testing::eventually([&] { return pipelines() == static_cast<long>(ds.size()); }, 30s))
      << env.logs();
  std::this_thread::sleep_for(1s);
  expect_planned_once(env, ds);
  EXPECT_EQ(env.sql_long("SELECT count(*) FROM webhook_deliveries WHERE verdict = 'duplicate' "
                         "AND delivery_id = '" +
                         again->id + "'"),
            1);
  EXPECT_FALSE(std::filesystem::exists(env.spool_file(0)) &&
               std::filesystem::file_size(env.spool_file(0)) > 0);
}

}  // namespace
}  // namespace mlgate
