// Claims and finishes in groups against real PostgreSQL: many concurrent claimers, each claiming
// and finishing through JobQueueGroups until the queue is empty, get distinct jobs, every job is
// handed out and ends exactly once, and a finish the group leaves alone (a lost lease, blocked
// dependants) is still answered.
#include "server/services/job_queue_groups.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <pqxx/pqxx>
#include <thread>
#include <vector>

#include "store/pipelines.h"
#include "store/runners.h"
#include "tests/support/pg_cluster.h"

namespace mlgate {
namespace {

using namespace std::chrono_literals;

const std::vector<std::string> kAllTiers = {"functionality", "validation", "training"};

class JobQueueGroupsTest : public testing::DbTest {
 protected:
  void SetUp() override {
    DbTest::SetUp();
    repo_ = insert_test_repo("acme/model");
  }

  // A pipeline of one job per tier in `tiers`, with `needs` for the later ones; its job ids.
  std::vector<std::int64_t> pipeline(pqxx::work& t, const std::vector<std::string>& tiers,
                                     bool chained = false) {
    store::NewPipeline p{.repo_id = repo_,
                         .trigger = "push",
                         .ref = "refs/heads/main",
                         .branch = "main",
                         .sha = std::string(40, 'c')};
    for (const auto& tier : tiers) {
      std::vector<std::string> needs;
      if (chained && !p.jobs.empty()) needs = {p.jobs.back().tier};
      p.jobs.push_back({.tier = tier, .needs = needs, .image = "none", .command = "true"});
    }
    const auto id = store::create_pipeline(t, p);
    std::vector<std::int64_t> jobs;
    for (const auto& r :
         t.exec_params("SELECT id FROM jobs WHERE pipeline_id = $1 ORDER BY id", id))
      jobs.push_back(r[0].as<std::int64_t>());
    return jobs;
  }
  std::int64_t runner(pqxx::work& t, const std::string& name) {
    store::NewRunner r;
    r.name = name;
    r.tiers = kAllTiers;
    r.capacity = 4;
    return store::insert_runner(t, r, store::generate_runner_credential());
  }
  long count(const std::string& sql) {
    return db().with([&](pqxx::connection& c) {
      pqxx::nontransaction t(c);
      return t.exec1(sql)[0].as<long>();
    });
  }

  std::int64_t repo_ = 0;
};

store::Finish passed() {
  return store::Finish{store::FinishKind::exited, 0, "", false};
}

TEST_F(JobQueueGroupsTest, ConcurrentClaimersEachGetDistinctJobsAndEveryJobEndsOnce) {
  constexpr int kThreads = 16;
  constexpr int kPipelines = 150;  // two jobs each
  std::vector<std::int64_t> all;
  std::vector<std::int64_t> runners;
  tx([&](pqxx::work& t) {
    for (int i = 0; i < kPipelines; ++i) {
      for (auto id : pipeline(t, {"functionality", "training"})) all.push_back(id);
    }
    for (int i = 0; i < kThreads; ++i) runners.push_back(runner(t, "r" + std::to_string(i)));
    return 0;
  });
  server::JobQueueGroups groups(db());
  std::mutex mu;
  std::vector<std::int64_t> claimed;
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      try {
        // A claim finds nothing only when the queue is empty: the groups' picks skip no row that
        // another group will not take.
        while (auto job = groups.claim({runners[i], kAllTiers, 60s, true})) {
          {
            std::lock_guard lock(mu);
            claimed.push_back(job->job_id);
          }
          auto done = groups.finish({job->job_id, runners[i], job->attempt, passed()});
          if (!done.held || done.state != core::JobState::passed) ++errors;
        }
      } catch (const std::exception& e) {
        ADD_FAILURE() << "claimer " << i << ": " << e.what();
        ++errors;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  std::sort(claimed.begin(), claimed.end());
  std::sort(all.begin(), all.end());
  EXPECT_EQ(std::adjacent_find(claimed.begin(), claimed.end()), claimed.end());
  EXPECT_EQ(count("SELECT count(*) FROM jobs WHERE state = 'queued'"), 0);
  EXPECT_EQ(count("SELECT count(*) FROM jobs WHERE state = 'passed' AND attempt = 1"),
            static_cast<long>(claimed.size()));
  EXPECT_EQ(count("SELECT count(*) FROM job_attempts WHERE outcome = 'passed'"),
            static_cast<long>(claimed.size()));
  EXPECT_EQ(count("SELECT count(*) FROM pipelines WHERE state = 'passed'"), kPipelines);
  EXPECT_EQ(claimed, all);
  const auto stats = groups.claim_stats();
  EXPECT_EQ(stats.requests, claimed.size() + kThreads);  // each claimer's last claim got nothing
  EXPECT_EQ(groups.finish_stats().requests, claimed.size());
}

// A finish that the group leaves alone is answered by a transaction of its own: an attempt no
// longer held is refused, and a job with blocked dependants ends and moves them.
TEST_F(JobQueueGroupsTest, AFinishLeftAloneByItsGroupIsStillAnswered) {
  std::vector<std::int64_t> chain;
  std::int64_t r = 0;
  tx([&](pqxx::work& t) {
    chain = pipeline(t, {"functionality", "validation"}, true);
    r = runner(t, "r");
    return 0;
  });
  server::JobQueueGroups groups(db());
  auto job = groups.claim({r, kAllTiers, 60s, true});
  ASSERT_TRUE(job.has_value());
  EXPECT_EQ(job->job_id, chain[0]);
  EXPECT_FALSE(groups.claim({r, kAllTiers, 60s, true}).has_value());  // the other one is blocked
  auto lost = groups.finish({job->job_id, r, job->attempt + 1, passed()});
  EXPECT_FALSE(lost.held);
  EXPECT_EQ(lost.state, core::JobState::running);
  auto done = groups.finish({job->job_id, r, job->attempt, passed()});
  EXPECT_TRUE(done.held);
  EXPECT_EQ(done.state, core::JobState::passed);
  auto next = groups.claim({r, kAllTiers, 60s, true});
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->job_id, chain[1]);
}

}  // namespace
}  // namespace mlgate
