// Many runner slots parked in long-polling claims at once, over real HTTP: the load of
// `scripts/bench fleet` (tests/bench/fleet/fleet_load.h), scaled down so that it fits serve's
// default HTTP threads. Jobs queued while the polls wait are each handed to exactly one poll and
// finished over the protocol, every answer is a 200 with a job or a 204 (then the poll asks again),
// and GET /healthz answers while slow clients drip their headers.
#include <gtest/gtest.h>

#include <map>
#include <pqxx/pqxx>

#include "store/pipelines.h"
#include "tests/bench/fleet/fleet_load.h"
#include "tests/integration/server/gate_env.h"
#include "tests/support/mlgate_process.h"

namespace mlgate {
namespace {

using namespace std::chrono_literals;

constexpr int kJobs = 30;

// kJobs one-job pipelines of tier training, queued with the NOTIFY the planner sends; their ids.
std::vector<std::int64_t> queue_training_jobs(const std::string& conninfo) {
  pqxx::connection c(conninfo);
  pqxx::work tx(c);
  const auto repo_id = tx.exec1("SELECT id FROM repos")[0].as<std::int64_t>();
  std::vector<std::int64_t> ids;
  for (int i = 0; i < kJobs; ++i) {
    store::NewPipeline p;
    p.repo_id = repo_id;
    p.trigger = "manual";
    p.ref = "refs/heads/fleet";
    p.branch = "fleet";
    p.sha = std::string(40, 'f');
    store::NewJob j;
    j.tier = "training";
    j.image = "none";
    j.command = "true";
    p.jobs.push_back(j);
    const auto pid = store::create_pipeline(tx, p);
    ids.push_back(
        tx.exec_params1("SELECT id FROM jobs WHERE pipeline_id = $1", pid)[0].as<std::int64_t>());
  }
  store::notify_jobs(tx);
  tx.commit();
  return ids;
}

long count_where(const std::string& conninfo, const std::string& sql) {
  pqxx::connection c(conninfo);
  pqxx::nontransaction tx(c);
  return tx.exec1(sql)[0].as<long>();
}

TEST(FleetClaims, ParkedPollsClaimEachQueuedJobOnceWhileSlowClientsDrip) {
  testing::GateEnv env;
  bench::FleetSpec spec;
  spec.port = env.serve().port();
  for (int i = 0; i < 8; ++i)
    spec.credentials.push_back(
        env.register_runner("fleet-" + std::to_string(i))[0].second.substr(7));  // "Bearer "
  spec.slots = 32;
  spec.wait_seconds = 3;
  spec.drips = 8;
  spec.drip_interval = 200ms;
  spec.ramp = 500ms;
  spec.answer_timeout = 20s;
  bench::FleetLoad load(spec);
  load.start();
  ASSERT_TRUE(testing::eventually(
      [&] {
        const auto s = load.snapshot();
        return s.polls_parked == spec.slots && s.drips_open == spec.drips && s.drip_bytes > 0;
      },
      20s))
      << "parked " << load.snapshot().polls_parked << ", dripping " << load.snapshot().drips_open;
  EXPECT_EQ(testing::http_get(env.host(), "/healthz").status, 200);

  const auto ids = queue_training_jobs(env.conninfo());
  const std::string in = "id = ANY('{" + [&] {
    std::string s;
    for (auto id : ids) s += (s.empty() ? "" : ",") + std::to_string(id);
    return s;
  }() + "}'::bigint[])";
  ASSERT_TRUE(testing::eventually(
      [&] {
        return count_where(env.conninfo(),
                           "SELECT count(*) FROM jobs WHERE state = 'passed' AND " + in) == kJobs;
      },
      30s));
  // Past one wait_seconds: the polls that got nothing were answered 204 and asked again.
  ASSERT_TRUE(testing::eventually([&] { return load.snapshot().answers_204 >= spec.slots; }, 20s));
  EXPECT_EQ(testing::http_get(env.host(), "/healthz").status, 200);
  load.stop();

  const auto s = load.snapshot();
  EXPECT_EQ(s.unexpected, 0) << s.first_unexpected;
  EXPECT_EQ(s.malformed, 0) << s.first_malformed;
  EXPECT_EQ(s.connect_errors + s.closed_early + s.answer_timeouts, 0) << s.first_connection_error;
  EXPECT_EQ(s.finish_failures, 0) << s.first_finish_failure;
  EXPECT_EQ(s.finished, kJobs);
  std::map<std::int64_t, int> claimed;
  for (const auto& c : s.claims) {
    ++claimed[c.job_id];
    EXPECT_EQ(c.attempt, 1) << "job " << c.job_id;
  }
  EXPECT_EQ(claimed.size(), static_cast<size_t>(kJobs));
  for (auto id : ids) EXPECT_EQ(claimed[id], 1) << "job " << id;
  EXPECT_EQ(count_where(env.conninfo(),
                        "SELECT count(*) FROM job_attempts WHERE outcome = 'passed' AND job_" + in),
            kJobs);
  EXPECT_EQ(count_where(env.conninfo(), "SELECT count(*) FROM job_attempts WHERE job_" + in),
            kJobs);
}

}  // namespace
}  // namespace mlgate
