// The job queue against real PostgreSQL: claim order and exclusivity, leases and heartbeats, log
// chunks at byte offsets, finishing jobs and what follows from it (needs, pipeline state), lost
// runners and cancellation.
#include "store/job_queue.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "store/feedback.h"
#include "store/pipelines.h"
#include "store/repos.h"
#include "store/runners.h"
#include "store/state_text.h"
#include "tests/support/mlgate_process.h"
#include "tests/support/pg_cluster.h"

namespace mlgate {
namespace {

using namespace std::chrono_literals;
using store::ClaimedJob;
using store::Finish;
using store::FinishKind;

const std::vector<std::string> kAllTiers = {"functionality", "validation", "training"};
const std::string kSha = "0123456789abcdef0123456789abcdef01234567";

// A job state as the database spells it ("" for none).
std::string text(const std::optional<core::JobState>& state) {
  return state ? std::string(core::to_string(*state)) : std::string();
}

struct JobSpec {
  std::string tier;
  std::vector<std::string> needs;
  int repeats = 1;  // `repeat: N`: N jobs of the tier
};

// A pipeline's ids: the pipeline and its jobs by tier (the last repeat), and each tier's jobs in
// repeat order.
struct Planned {
  std::int64_t pipeline_id = 0;
  std::map<std::string, std::int64_t> job;
  std::map<std::string, std::vector<std::int64_t>> repeats;
};

store::NewJob make_job(const JobSpec& spec) {
  store::NewJob j;
  j.tier = spec.tier;
  j.needs = spec.needs;
  j.image = "mlgate/python-ml:bookworm";
  j.command = "pytest -q tests/" + spec.tier;
  j.timeout_seconds = 600;
  return j;
}

// A push pipeline (or another trigger) of `repo_id` with the given jobs.
Planned make_pipeline(pqxx::work& tx, std::int64_t repo_id, const std::vector<JobSpec>& jobs,
                      const std::string& trigger = "push",
                      const std::string& ref = "refs/heads/main") {
  store::NewPipeline p;
  p.repo_id = repo_id;
  p.trigger = trigger;
  p.ref = ref;
  p.branch = trigger == "push" ? "main" : "";
  p.sha = kSha;
  for (const auto& spec : jobs) {
    for (int r = 0; r < spec.repeats; ++r) {
      p.jobs.push_back(make_job(spec));
      p.jobs.back().repeat = r;
    }
  }
  Planned out;
  out.pipeline_id = store::create_pipeline(tx, p);
  for (const auto& r : tx.exec_params(
           "SELECT tier, id FROM jobs WHERE pipeline_id = $1 ORDER BY repeat", out.pipeline_id)) {
    out.job[r[0].as<std::string>()] = r[1].as<std::int64_t>();
    out.repeats[r[0].as<std::string>()].push_back(r[1].as<std::int64_t>());
  }
  return out;
}

std::int64_t make_runner(pqxx::work& tx, const std::string& name,
                         const std::vector<std::string>& tiers = kAllTiers) {
  store::NewRunner r;
  r.name = name;
  r.tiers = tiers;
  r.capacity = 4;
  return store::insert_runner(tx, r, store::generate_runner_credential());
}

Finish exited(int code) {
  Finish f;
  f.kind = FinishKind::exited;
  f.exit_code = code;
  return f;
}

class JobQueueTest : public testing::DbTest {
 protected:
  // Runs fn(pqxx::work&) in one committed transaction and returns what it returns.
  template <typename F>
  auto tx(F&& fn) {
    return db().with([&](pqxx::connection& c) {
      pqxx::work t(c);
      if constexpr (std::is_void_v<decltype(fn(t))>) {
        fn(t);
        t.commit();
      } else {
        auto out = fn(t);
        t.commit();
        return out;
      }
    });
  }

  template <typename T>
  T scalar(const std::string& sql) {
    return db().with([&](pqxx::connection& c) {
      pqxx::nontransaction t(c);
      return t.exec1(sql)[0].as<T>();
    });
  }
  void exec(const std::string& sql) {
    db().with([&](pqxx::connection& c) {
      pqxx::work t(c);
      t.exec(sql);
      t.commit();
    });
  }

  void SetUp() override {
    DbTest::SetUp();
    repo_ = insert_test_repo("acme/model");
    tx([&](pqxx::work& t) {
      runner_a_ = make_runner(t, "runner-a");
      runner_b_ = make_runner(t, "runner-b");
    });
  }

  Planned pipeline(const std::vector<JobSpec>& jobs, const std::string& trigger = "push",
                   const std::string& ref = "refs/heads/main") {
    return tx([&](pqxx::work& t) { return make_pipeline(t, repo_, jobs, trigger, ref); });
  }
  std::optional<ClaimedJob> claim(std::int64_t runner,
                                  const std::vector<std::string>& tiers = kAllTiers,
                                  std::chrono::seconds lease = 60s) {
    return tx([&](pqxx::work& t) { return store::claim_job(t, runner, tiers, lease); });
  }
  store::LeaseState heartbeat(std::int64_t job, std::int64_t runner, int attempt,
                              std::chrono::seconds lease = 60s) {
    return tx([&](pqxx::work& t) { return store::heartbeat(t, job, runner, attempt, lease); });
  }
  store::LeaseState lease_state(std::int64_t job, std::int64_t runner, int attempt) {
    return tx([&](pqxx::work& t) { return store::lease_state(t, job, runner, attempt); });
  }
  store::LogAppend append(std::int64_t job, std::int64_t runner, int attempt, std::int64_t offset,
                          std::string_view data, std::int64_t max_bytes = 1 << 20) {
    return tx([&](pqxx::work& t) {
      return store::append_log(t, job, runner, attempt, offset, data, max_bytes);
    });
  }
  std::string read_log(std::int64_t job, int attempt = 0) {
    return tx([&](pqxx::work& t) { return store::read_log(t, job, attempt); });
  }
  store::FinishResult finish(std::int64_t job, std::int64_t runner, int attempt, const Finish& f) {
    return tx([&](pqxx::work& t) { return store::finish_job(t, job, runner, attempt, f); });
  }
  int expire() {
    return tx([&](pqxx::work& t) { return store::expire_leases(t); });
  }
  bool cancel(std::int64_t job, const std::string& reason = "cancelled by alice") {
    return tx([&](pqxx::work& t) { return store::request_job_cancel(t, job, reason); });
  }
  void expire_lease_of(std::int64_t job) {
    exec("UPDATE jobs SET lease_expires_at = now() - interval '1 s' WHERE id = " +
         std::to_string(job));
  }

  std::string job_state(std::int64_t job) {
    return scalar<std::string>("SELECT state FROM jobs WHERE id = " + std::to_string(job));
  }
  std::string pipeline_state(std::int64_t pipeline) {
    return scalar<std::string>("SELECT state FROM pipelines WHERE id = " +
                               std::to_string(pipeline));
  }
  // Seconds from now until the job's lease expires.
  double lease_left(std::int64_t job) {
    return scalar<double>(
        "SELECT extract(epoch FROM lease_expires_at - now()) FROM jobs WHERE id = " +
        std::to_string(job));
  }

  std::int64_t repo_ = 0;
  std::int64_t runner_a_ = 0;
  std::int64_t runner_b_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Claiming

TEST_F(JobQueueTest, ClaimsFunctionalityThenValidationThenTrainingThenOldestFirst) {
  // Inserted in the opposite order of priority, each in its own transaction (so each is older
  // than the next).
  auto training = pipeline({{"training", {}}});
  auto validation = pipeline({{"validation", {}}});
  auto functionality_old = pipeline({{"functionality", {}}});
  auto functionality_new = pipeline({{"functionality", {}}});

  std::vector<std::int64_t> order;
  while (auto c = claim(runner_a_)) order.push_back(c->job_id);
  EXPECT_EQ(order, (std::vector<std::int64_t>{
                       functionality_old.job["functionality"],
                       functionality_new.job["functionality"],
                       validation.job["validation"],
                       training.job["training"],
                   }));
}

TEST_F(JobQueueTest, ARunnerOnlyGetsTheTiersItAsksFor) {
  auto f = pipeline({{"functionality", {}}});
  auto v = pipeline({{"validation", {}}});

  auto c = claim(runner_a_, {"validation"});
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->job_id, v.job["validation"]);
  EXPECT_EQ(c->tier, "validation");
  EXPECT_FALSE(claim(runner_a_, {"validation"}).has_value());
  EXPECT_EQ(job_state(f.job["functionality"]), "queued");
}

TEST_F(JobQueueTest, NothingQueuedGivesNothing) {
  EXPECT_FALSE(claim(runner_a_).has_value());
  // Blocked jobs are not claimable either.
  auto p = pipeline({{"functionality", {}}, {"validation", {"functionality"}}});
  ASSERT_TRUE(claim(runner_a_).has_value());
  EXPECT_FALSE(claim(runner_b_).has_value());
  EXPECT_EQ(job_state(p.job["validation"]), "blocked");
}

TEST_F(JobQueueTest, AClaimedJobIsRunningOnTheRunnerWithALeaseAndAnAttempt) {
  auto p = pipeline({{"functionality", {}}});
  auto job = p.job["functionality"];
  auto c = claim(runner_a_, kAllTiers, 120s);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->job_id, job);
  EXPECT_EQ(c->attempt, 1);

  auto row = db().with([&](pqxx::connection& conn) {
    pqxx::nontransaction t(conn);
    return t.exec_params1(
        "SELECT state, runner_id, attempt, started_at IS NOT NULL FROM jobs "
        "WHERE id = $1",
        job);
  });
  EXPECT_EQ(row[0].as<std::string>(), "running");
  EXPECT_EQ(row[1].as<std::int64_t>(), runner_a_);
  EXPECT_EQ(row[2].as<int>(), 1);
  EXPECT_TRUE(row[3].as<bool>());
  double left = lease_left(job);
  EXPECT_GT(left, 110.0);
  EXPECT_LE(left, 120.5);

  EXPECT_EQ(scalar<int>("SELECT count(*) FROM job_attempts WHERE job_id = " + std::to_string(job) +
                        " AND attempt = 1 AND runner_id = " + std::to_string(runner_a_) +
                        " AND ended_at IS NULL AND outcome IS NULL"),
            1);
  EXPECT_EQ(scalar<int>("SELECT count(*) FROM state_changes WHERE job_id = " + std::to_string(job) +
                        " AND from_state = 'queued' AND to_state = 'running'"),
            1);
}

TEST_F(JobQueueTest, AClaimCarriesWhatTheRunnerNeedsToRunTheTier) {
  auto p = tx([&](pqxx::work& t) {
    store::NewPipeline np;
    np.repo_id = repo_;
    np.trigger = "push";
    np.ref = "refs/heads/main";
    np.branch = "main";
    np.sha = kSha;
    store::NewJob j = make_job({"validation", {}});
    j.image = "mlgate/busybox:test";
    j.command = "sh -c 'exit 0'";
    j.timeout_seconds = 1234;
    j.resources_json = R"({"cpus": 2, "memory_bytes": 1073741824, "pids": 256})";
    j.network = "bridge";
    j.env = {{"SEED", "42"}, {"DATASET", "breast_cancer"}};
    np.jobs.push_back(j);
    return store::create_pipeline(t, np);
  });
  auto c = claim(runner_a_);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->pipeline_id, p);
  EXPECT_EQ(c->repo_id, repo_);
  EXPECT_EQ(c->forge, "github");
  EXPECT_EQ(c->repo, "acme/model");
  EXPECT_EQ(c->clone_url, "https://git.example.invalid/acme/model.git");
  EXPECT_EQ(c->sha, kSha);
  EXPECT_EQ(c->ref, "refs/heads/main");
  EXPECT_EQ(c->tier, "validation");
  EXPECT_EQ(c->image, "mlgate/busybox:test");
  EXPECT_EQ(c->command, "sh -c 'exit 0'");
  EXPECT_EQ(c->network, "bridge");
  EXPECT_EQ(c->timeout_seconds, 1234);
  EXPECT_EQ(nlohmann::json::parse(c->resources_json),
            nlohmann::json::parse(R"({"cpus":2,"memory_bytes":1073741824,"pids":256})"));
  EXPECT_EQ(nlohmann::json::parse(c->env_json),
            nlohmann::json::parse(R"({"SEED":"42","DATASET":"breast_cancer"})"));
}

TEST_F(JobQueueTest, APullRequestClaimFetchesThePullRequestRef) {
  tx([&](pqxx::work& t) {
    store::NewPipeline np;
    np.repo_id = repo_;
    np.trigger = "pull_request";
    np.ref = "refs/pull/7/head";
    np.branch = "feature/better-model";
    np.pr_number = 7;
    np.sha = kSha;
    np.jobs.push_back(make_job({"functionality", {}}));
    store::create_pipeline(t, np);
  });
  auto c = claim(runner_a_);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->fetch_ref, "refs/pull/7/head");
  EXPECT_EQ(c->sha, kSha);
}

TEST_F(JobQueueTest, ConcurrentClaimsHandOutEveryJobExactlyOnce) {
  constexpr int kPipelines = 100;  // two jobs each: 200 jobs
  constexpr int kThreads = 16;
  std::vector<std::int64_t> all;
  tx([&](pqxx::work& t) {
    for (int i = 0; i < kPipelines; ++i) {
      auto p = make_pipeline(t, repo_, {{"functionality", {}}, {"training", {}}});
      for (const auto& [tier, id] : p.job) all.push_back(id);
    }
  });
  ASSERT_EQ(all.size(), 200u);
  std::vector<std::int64_t> runners;
  tx([&](pqxx::work& t) {
    for (int i = 0; i < kThreads; ++i) runners.push_back(make_runner(t, "r" + std::to_string(i)));
  });

  std::mutex mu;
  std::vector<std::int64_t> claimed;
  std::map<std::int64_t, std::int64_t> runner_of;  // job -> the runner whose claim returned it
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      try {
        auto conn = db().connect_dedicated();
        for (;;) {
          std::optional<ClaimedJob> c;
          {
            pqxx::work t(*conn);
            c = store::claim_job(t, runners[i], kAllTiers, 60s);
            t.commit();
          }
          if (c) {
            std::lock_guard<std::mutex> lock(mu);
            claimed.push_back(c->job_id);
            runner_of[c->job_id] = runners[i];
            continue;
          }
          // Nothing claimable: either the queue is empty or every queued row was locked by a
          // concurrent claim that is about to take it. Stop only when it is really empty.
          pqxx::nontransaction t(*conn);
          if (t.exec1("SELECT count(*) FROM jobs WHERE state = 'queued'")[0].as<int>() == 0) break;
        }
      } catch (const std::exception& e) {
        ADD_FAILURE() << "thread " << i << ": " << e.what();
        ++errors;
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_EQ(errors.load(), 0);

  std::sort(claimed.begin(), claimed.end());
  std::sort(all.begin(), all.end());
  auto dup = std::adjacent_find(claimed.begin(), claimed.end());
  EXPECT_EQ(dup, claimed.end()) << "job " << *dup << " claimed twice";
  EXPECT_EQ(claimed, all);
  EXPECT_EQ(scalar<int>("SELECT count(*) FROM jobs WHERE state = 'running' AND attempt = 1"), 200);
  EXPECT_EQ(scalar<int>("SELECT count(*) FROM job_attempts"), 200);
  // Each job is recorded on the runner whose claim returned it.
  auto rows = db().with([&](pqxx::connection& c) {
    pqxx::nontransaction t(c);
    return t.exec("SELECT id, runner_id FROM jobs");
  });
  int mismatched = 0;
  for (const auto& r : rows) {
    if (runner_of[r[0].as<std::int64_t>()] != r[1].as<std::int64_t>()) ++mismatched;
  }
  EXPECT_EQ(mismatched, 0);
  // Each job's claim is recorded once, and each pipeline starts running once (its two jobs may be
  // claimed at the same time), after its first job's claim.
  EXPECT_EQ(scalar<int>("SELECT count(*) FROM state_changes WHERE job_id IS NOT NULL "
                        "AND from_state = 'queued' AND to_state = 'running'"),
            200);
  EXPECT_EQ(scalar<int>("SELECT count(*) FROM state_changes WHERE job_id IS NULL "
                        "AND to_state = 'running'"),
            kPipelines);
  EXPECT_EQ(scalar<int>("SELECT count(*) FROM pipelines p WHERE p.state = 'running' AND "
                        "(SELECT min(id) FROM state_changes s WHERE s.pipeline_id = p.id "
                        "AND s.to_state = 'running' AND s.job_id IS NOT NULL) < "
                        "(SELECT id FROM state_changes s WHERE s.pipeline_id = p.id "
                        "AND s.to_state = 'running' AND s.job_id IS NULL)"),
            kPipelines);
}

// The claim shapes its own plan (no bitmap scan of the whole queue) and leaves the caller's
// transaction planning as before.
TEST_F(JobQueueTest, AClaimLeavesTheTransactionsPlannerSettingsAsTheyWere) {
  pipeline({{"functionality", {}}});
  auto setting = db().with([&](pqxx::connection& c) {
    pqxx::work t(c);
    auto job = store::claim_job(t, runner_a_, kAllTiers, 60s);
    EXPECT_TRUE(job.has_value());
    auto v = t.exec1("SELECT current_setting('enable_bitmapscan')")[0].as<std::string>();
    t.commit();
    return v;
  });
  EXPECT_EQ(setting, "on");
}

// The picks (mlgate_claim_picks) carry their own planner setting: they walk jobs_claimable in
// order whatever the statistics say, so the claim statement can be prepared and needs no settings
// sent around it.
TEST_F(JobQueueTest, TheClaimsPickIsPlannedWithoutBitmapScans) {
  EXPECT_EQ(scalar<std::string>("SELECT array_to_string(proconfig, ',') FROM pg_proc "
                                "WHERE proname = 'mlgate_claim_picks'"),
            "enable_bitmapscan=off");
}

// A claim records the job's and the pipeline's change in one statement: the pipeline is marked due
// for forge feedback once for it (feedback_due.seq), and once more for the finish's statement.
TEST_F(JobQueueTest, FeedbackIsMarkedDueOncePerStatementThatRecordsChanges) {
  const auto p = pipeline({{"functionality", {}}});
  const std::string seq =
      "SELECT seq FROM feedback_due WHERE pipeline_id = " + std::to_string(p.pipeline_id);
  const auto before = scalar<long>(seq);
  auto c = claim(runner_a_);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(scalar<long>("SELECT count(*) FROM state_changes WHERE pipeline_id = " +
                         std::to_string(p.pipeline_id) + " AND to_state = 'running'"),
            2);
  EXPECT_EQ(scalar<long>(seq), before + 1);
  ASSERT_TRUE(finish(c->job_id, runner_a_, 1, exited(0)).held);
  EXPECT_EQ(pipeline_state(p.pipeline_id), "passed");
  EXPECT_EQ(scalar<long>(seq), before + 2);  // the job's end and the pipeline's: one statement
}

// Collects what arrives on the change feed's channel.
class ChangesListener : public pqxx::notification_receiver {
 public:
  explicit ChangesListener(pqxx::connection& c)
      : pqxx::notification_receiver(c, "mlgate_changes") {}
  void operator()(const std::string& payload, int) override { payloads.push_back(payload); }
  std::vector<std::string> payloads;
};

// A claim and a finish commit without a notification of their own (a notifying commit is
// serialised with every other one); their caller sends the repository's topic after, and other
// writes still notify.
TEST_F(JobQueueTest, AClaimAndAFinishCommitWithoutNotifying) {
  const auto planned = pipeline({{"functionality", {}}, {"validation", {}}});
  pqxx::connection listening(conninfo());
  ChangesListener heard(listening);
  auto job = claim(runner_a_, {"functionality"});
  ASSERT_TRUE(job.has_value());
  EXPECT_EQ(job->repo_id, repo_);
  Finish ok;
  auto done = finish(job->job_id, runner_a_, job->attempt, ok);
  ASSERT_TRUE(done.held);
  EXPECT_EQ(done.repo_id, repo_);
  std::this_thread::sleep_for(200ms);
  listening.get_notifs();
  EXPECT_TRUE(heard.payloads.empty()) << heard.payloads.front();

  tx([&](pqxx::work& t) {
    store::notify_changes(t, {"gate:" + std::to_string(repo_)});
    return 0;
  });
  ASSERT_TRUE(cancel(planned.job.at("validation")));
  for (int i = 0; i < 50 && heard.payloads.size() < 2; ++i) {
    listening.await_notification(0, 100000);
  }
  ASSERT_EQ(heard.payloads.size(), 2u);
  EXPECT_EQ(heard.payloads[0], "gate:" + std::to_string(repo_));
  EXPECT_EQ(heard.payloads[1], "gate:" + std::to_string(repo_));  // the cancel's own trigger
}

// A runner authenticated from memory may have been disabled since: its claim gets nothing.
TEST_F(JobQueueTest, ADisabledRunnerClaimsNothing) {
  pipeline({{"functionality", {}}});
  exec("UPDATE runners SET disabled_at = now() WHERE id = " + std::to_string(runner_a_));
  EXPECT_FALSE(claim(runner_a_).has_value());
  EXPECT_TRUE(claim(runner_b_).has_value());
}

// ---------------------------------------------------------------------------------------------
// Claims and finishes in groups (one statement, one commit for all)

// A group's requests in one autocommitted statement, as JobQueueGroups sends them.
std::vector<std::optional<ClaimedJob>> claim_group(store::Database& db,
                                                   const std::vector<store::ClaimRequest>& group) {
  return db.with([&](pqxx::connection& c) {
    pqxx::nontransaction t(c);
    return store::claim_jobs(t, group);
  });
}

std::vector<std::optional<store::FinishResult>> finish_group(
    store::Database& db, const std::vector<store::FinishRequest>& group) {
  return db.with([&](pqxx::connection& c) {
    pqxx::work t(c);
    auto out = store::finish_jobs_alone(t, group);
    t.commit();
    return out;
  });
}

// Each request of a group gets a job of its own, the first request the first in the queue's order,
// and a runner with several slots may ask more than once in one group.
TEST_F(JobQueueTest, AGroupOfClaimsHandsEachRequestItsOwnJobInTheQueuesOrder) {
  std::vector<std::int64_t> queued;
  for (int i = 0; i < 4; ++i)
    queued.push_back(pipeline({{"functionality", {}}}).job["functionality"]);
  auto got = claim_group(db(), {{runner_a_, kAllTiers, 60s, true},
                                {runner_b_, kAllTiers, 60s, true},
                                {runner_a_, kAllTiers, 60s, true}});
  ASSERT_EQ(got.size(), 3u);
  ASSERT_TRUE(got[0] && got[1] && got[2]);
  EXPECT_EQ(got[0]->job_id, queued[0]);
  EXPECT_EQ(got[1]->job_id, queued[1]);
  EXPECT_EQ(got[2]->job_id, queued[2]);
  EXPECT_EQ(got[1]->repo_id, repo_);
  EXPECT_EQ(job_state(queued[3]), "queued");
  EXPECT_EQ(scalar<std::string>("SELECT string_agg(runner_id::text, ',' ORDER BY id) FROM jobs "
                                "WHERE state = 'running'"),
            std::to_string(runner_a_) + "," + std::to_string(runner_b_) + "," +
                std::to_string(runner_a_));
  EXPECT_EQ(scalar<int>("SELECT count(*) FROM job_attempts WHERE ended_at IS NULL"), 3);
  EXPECT_EQ(scalar<int>("SELECT count(*) FROM pipelines WHERE state = 'running'"), 3);
  // Each job's claim, then each pipeline's start, recorded once.
  EXPECT_EQ(scalar<std::string>("SELECT string_agg(CASE WHEN job_id IS NULL THEN 'p' ELSE 'j' END, "
                                "'' ORDER BY id) FROM state_changes WHERE to_state = 'running'"),
            "jjjppp");
}

// A runner whose tiers match no queued job, or that was disabled, gets nothing; the others of its
// group get their jobs.
TEST_F(JobQueueTest, InAGroupARunnerWhoseTiersMatchNoQueuedJobGetsNothing) {
  auto f = pipeline({{"functionality", {}}});
  auto t = pipeline({{"training", {}}});
  std::int64_t disabled = 0;
  tx([&](pqxx::work& w) { disabled = make_runner(w, "disabled"); });
  exec("UPDATE runners SET disabled_at = now() WHERE id = " + std::to_string(disabled));
  auto got = claim_group(db(), {{runner_a_, {"validation"}, 60s, true},
                                {disabled, kAllTiers, 60s, true},
                                {runner_b_, {"training"}, 60s, true},
                                {runner_a_, {}, 60s, true}});
  ASSERT_EQ(got.size(), 4u);
  EXPECT_FALSE(got[0].has_value());
  EXPECT_FALSE(got[1].has_value());
  ASSERT_TRUE(got[2].has_value());
  EXPECT_EQ(got[2]->job_id, t.job["training"]);
  EXPECT_FALSE(got[3].has_value());
  EXPECT_EQ(job_state(f.job["functionality"]), "queued");
}

// A finish refused in a group (the attempt is not held: its lease was lost) changes nothing and
// does not refuse the others of the group.
TEST_F(JobQueueTest, AGroupOfFinishesEndsEachHeldAttemptAndRefusesOnlyALostOne) {
  auto one = pipeline({{"functionality", {}}});
  auto two = pipeline({{"functionality", {}}});
  auto three = pipeline({{"functionality", {}}});
  ASSERT_TRUE(claim(runner_a_).has_value());
  ASSERT_TRUE(claim(runner_b_).has_value());
  ASSERT_TRUE(claim(runner_a_).has_value());
  expire_lease_of(two.job["functionality"]);
  ASSERT_EQ(expire(), 1);
  ASSERT_TRUE(claim(runner_a_).has_value());  // attempt 2 of the second job, on runner a
  auto failed = exited(3);
  auto got = finish_group(db(), {{one.job["functionality"], runner_a_, 1, exited(0)},
                                 {two.job["functionality"], runner_b_, 1, exited(0)},
                                 {three.job["functionality"], runner_a_, 1, failed}});
  ASSERT_EQ(got.size(), 3u);
  ASSERT_TRUE(got[0].has_value());
  EXPECT_EQ(text(got[0]->state), "passed");
  EXPECT_EQ(got[0]->repo_id, repo_);
  EXPECT_FALSE(got[1].has_value());
  ASSERT_TRUE(got[2].has_value());
  EXPECT_EQ(text(got[2]->state), "failed");
  EXPECT_EQ(pipeline_state(one.pipeline_id), "passed");
  EXPECT_EQ(job_state(two.job["functionality"]), "running");
  EXPECT_TRUE(heartbeat(two.job["functionality"], runner_a_, 2).held);
  EXPECT_EQ(pipeline_state(two.pipeline_id), "running");
  EXPECT_EQ(pipeline_state(three.pipeline_id), "failed");
  EXPECT_EQ(scalar<std::string>("SELECT message FROM jobs WHERE id = " +
                                std::to_string(three.job["functionality"])),
            "exited with 3");
}

// Two jobs of one pipeline ending in one group: the pipeline is counted with both new states, so
// it ends (each job's statement alone would see the other still running).
TEST_F(JobQueueTest, JobsOfOnePipelineEndingInOneGroupEndThePipelineOnce) {
  auto p = pipeline({{"validation", {}, 2}});
  const auto& jobs = p.repeats["validation"];
  ASSERT_TRUE(claim(runner_a_).has_value());
  ASSERT_TRUE(claim(runner_b_).has_value());
  auto got =
      finish_group(db(), {{jobs[0], runner_a_, 1, exited(0)}, {jobs[1], runner_b_, 1, exited(0)}});
  ASSERT_TRUE(got[0].has_value() && got[1].has_value());
  EXPECT_EQ(pipeline_state(p.pipeline_id), "passed");
  EXPECT_EQ(scalar<std::string>("SELECT string_agg(coalesce(from_state, '') || '>' || to_state, "
                                "' ' ORDER BY id) FROM state_changes WHERE pipeline_id = " +
                                std::to_string(p.pipeline_id) + " AND from_state IS NOT NULL"),
            "queued>running pending>running queued>running running>passed running>passed "
            "running>passed");
}

// Two finishes ending the last two running jobs of one pipeline at once, in groups of their own:
// the second waits for the first's commit (the pipeline's row is locked first) and counts after
// it, so the pipeline ends. Each statement alone would count the other's job as running.
TEST_F(JobQueueTest, TwoFinishesInOnePipelineAtOnceEndThePipeline) {
  auto p = pipeline({{"validation", {}, 2}});
  const auto jobs = p.repeats["validation"];
  ASSERT_TRUE(claim(runner_a_).has_value());
  ASSERT_TRUE(claim(runner_b_).has_value());
  auto conn = db().connect_dedicated();
  pqxx::work first(*conn);
  ASSERT_TRUE(store::finish_jobs_alone(first, {{jobs[0], runner_a_, 1, exited(0)}}).front());
  auto second = std::async(std::launch::async, [&] {
    return finish_group(db(), {{jobs[1], runner_b_, 1, exited(0)}}).front();
  });
  EXPECT_TRUE(testing::eventually([&] {
    return scalar<long>(
               "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
               "AND datname = current_database()") == 1;
  }));
  first.commit();
  ASSERT_TRUE(second.get().has_value());
  EXPECT_EQ(job_state(jobs[0]), "passed");
  EXPECT_EQ(job_state(jobs[1]), "passed");
  EXPECT_EQ(pipeline_state(p.pipeline_id), "passed");
}

// The forge reporter leases its due pipelines (two replicas' passes get different ones), reads them
// together (newest of the commit or not, jobs in their order; a pipeline gone is left out) and
// takes off only those that did not change meanwhile, giving the others back.
TEST_F(JobQueueTest, DuePipelinesAreReadTogetherAndTakenOffOnlyWhenUnchanged) {
  const auto older = pipeline({{"functionality", {}}, {"validation", {"functionality"}}});
  const auto newer = pipeline({{"functionality", {}}});  // the same commit (kSha)
  auto read = tx([&](pqxx::work& t) {
    return store::feedback_pipelines(t, {newer.pipeline_id, 999999999, older.pipeline_id});
  });
  ASSERT_EQ(read.size(), 2u);
  EXPECT_EQ(read[0].id, older.pipeline_id);
  EXPECT_FALSE(read[0].latest_for_sha);
  ASSERT_EQ(read[0].jobs.size(), 2u);
  EXPECT_EQ(read[0].jobs[0].tier, "functionality");
  EXPECT_EQ(read[0].jobs[1].tier, "validation");
  EXPECT_EQ(read[0].jobs[1].state, core::JobState::blocked);
  EXPECT_EQ(read[1].id, newer.pipeline_id);
  EXPECT_TRUE(read[1].latest_for_sha);
  EXPECT_EQ(read[1].jobs.size(), 1u);

  auto lease = [&](int limit) {
    return tx([&](pqxx::work& t) { return store::lease_due_feedback(t, limit, 60s); });
  };
  auto ids = [](const std::vector<store::DuePipeline>& due) {
    std::string out;
    for (const auto& d : due) out += (out.empty() ? "" : ",") + std::to_string(d.pipeline_id);
    return out;
  };
  const std::string both =
      std::to_string(older.pipeline_id) + "," + std::to_string(newer.pipeline_id);
  // Oldest change first; a second pass (another replica's) gets what the first did not lease.
  auto first = lease(1);
  auto second = lease(10);
  EXPECT_EQ(ids(first) + "," + ids(second), both);
  EXPECT_TRUE(lease(10).empty());
  // The older pipeline changes after the reporter read it: it stays due, and is given back.
  exec("UPDATE feedback_due SET seq = seq + 1 WHERE pipeline_id = " +
       std::to_string(older.pipeline_id));
  tx([&](pqxx::work& t) { store::done_feedback(t, first); });
  tx([&](pqxx::work& t) { store::done_feedback(t, second); });
  EXPECT_EQ(scalar<std::string>("SELECT string_agg(pipeline_id::text, ',') FROM feedback_due"),
            std::to_string(older.pipeline_id));
  auto again = lease(10);
  EXPECT_EQ(ids(again), std::to_string(older.pipeline_id));
  // A lease that ends (its replica died mid-pass) hands the pipeline out again; a postponed one
  // is given back at once.
  EXPECT_TRUE(lease(10).empty());
  exec("UPDATE feedback_due SET leased_until = now() - interval '1 s'");
  EXPECT_EQ(ids(lease(10)), std::to_string(older.pipeline_id));
  tx([&](pqxx::work& t) { store::postpone_feedback(t, older.pipeline_id); });
  EXPECT_EQ(ids(lease(10)), std::to_string(older.pipeline_id));
}

// Reported pipelines' rows are vacuumed away on request (the reporter asks every 1,000 reports),
// and a vacuum that finds another one at work on the table skips it instead of waiting for it.
TEST_F(JobQueueTest, ReportedRowsAreVacuumedAndASecondVacuumDoesNotWait) {
  for (int i = 0; i < 5; ++i) pipeline({{"functionality", {}}});
  auto due = tx([&](pqxx::work& t) { return store::lease_due_feedback(t, 100, 60s); });
  ASSERT_EQ(due.size(), 5u);
  tx([&](pqxx::work& t) { store::done_feedback(t, due); });
  auto vacuums = [&] {
    return scalar<long>(
        "SELECT vacuum_count FROM pg_stat_user_tables WHERE relname = 'feedback_due'");
  };
  const auto before = vacuums();
  auto conn = db().connect_dedicated();
  pqxx::nontransaction(*conn).exec("SET statement_timeout = '5s'");
  store::vacuum_feedback_due(*conn);
  EXPECT_EQ(vacuums(), before + 1);
  EXPECT_EQ(scalar<long>("SELECT count(*) FROM feedback_due"), 0);

  // Another session holds the lock a vacuum takes: this one returns at once (without SKIP_LOCKED
  // it would wait, and the statement timeout would fail it).
  auto holder = db().connect_dedicated();
  pqxx::work hold(*holder);
  hold.exec("LOCK TABLE feedback_due IN SHARE UPDATE EXCLUSIVE MODE");
  EXPECT_NO_THROW(store::vacuum_feedback_due(*conn));
  hold.abort();
  EXPECT_EQ(vacuums(), before + 1);
}

// A group's finish is planned once per connection, not on every execution: PostgreSQL's automatic
// choice kept planning it for each group's values on a long queue (claims benchmark), so the finish
// asks for the generic plan. Without that, the first five executions are custom plans.
TEST_F(JobQueueTest, AGroupsFinishIsNeverPlannedForItsValues) {
  auto conn = db().connect_dedicated();
  for (int i = 0; i < 7; ++i) {
    const auto job = pipeline({{"functionality", {}}}).job["functionality"];
    ASSERT_TRUE(claim(runner_a_).has_value());
    pqxx::work t(*conn);
    ASSERT_TRUE(store::finish_jobs_alone(t, {{job, runner_a_, 1, exited(0)}}).front());
    t.commit();
    EXPECT_EQ(job_state(job), "passed");
  }
  pqxx::nontransaction t(*conn);
  auto plans = t.exec(
      "SELECT name, generic_plans, custom_plans FROM pg_prepared_statements "
      "WHERE name IN ('mlgate_finish_jobs', 'mlgate_lock_finish_pipelines') ORDER BY name");
  ASSERT_EQ(plans.size(), 2u);
  for (const auto& row : plans) {
    EXPECT_EQ(row[1].as<long>(), 7) << row[0].as<std::string>();
    EXPECT_EQ(row[2].as<long>(), 0) << row[0].as<std::string>();
  }
  // The setting stays in the finish's transaction.
  EXPECT_EQ(t.exec1("SELECT current_setting('plan_cache_mode')")[0].as<std::string>(), "auto");
}

TEST_F(JobQueueTest, QueueDepthCountsQueuedJobsPerTier) {
  pipeline({{"functionality", {}}, {"validation", {}}, {"training", {"validation"}}});
  pipeline({{"functionality", {}}});
  pipeline({{"functionality", {}}, {"training", {}}});
  ASSERT_TRUE(claim(runner_a_, {"functionality"}).has_value());  // one functionality runs

  auto depth = tx([&](pqxx::work& t) { return store::queue_depth(t); });
  std::map<std::string, long> by_tier(depth.begin(), depth.end());
  EXPECT_EQ(by_tier["functionality"], 2);
  EXPECT_EQ(by_tier["validation"], 1);
  EXPECT_EQ(by_tier["training"], 1);  // the blocked one is not queued
}

// ---------------------------------------------------------------------------------------------
// Heartbeats and leases

TEST_F(JobQueueTest, AHeartbeatExtendsTheLease) {
  auto job = pipeline({{"functionality", {}}}).job["functionality"];
  ASSERT_TRUE(claim(runner_a_, kAllTiers, 10s).has_value());
  EXPECT_LE(lease_left(job), 10.5);

  auto s = heartbeat(job, runner_a_, 1, 600s);
  EXPECT_TRUE(s.held);
  EXPECT_FALSE(s.cancel);
  EXPECT_GT(lease_left(job), 590.0);
  EXPECT_EQ(job_state(job), "running");
}

TEST_F(JobQueueTest, AHeartbeatFromAnotherRunnerOrAttemptIsNotHeldAndExtendsNothing) {
  auto job = pipeline({{"functionality", {}}}).job["functionality"];
  ASSERT_TRUE(claim(runner_a_, kAllTiers, 10s).has_value());

  EXPECT_FALSE(heartbeat(job, runner_b_, 1, 3600s).held);
  EXPECT_FALSE(heartbeat(job, runner_a_, 2, 3600s).held);
  EXPECT_FALSE(lease_state(job, runner_b_, 1).held);
  EXPECT_FALSE(lease_state(job, runner_a_, 2).held);
  EXPECT_LE(lease_left(job), 10.5);
  EXPECT_TRUE(lease_state(job, runner_a_, 1).held);
}

TEST_F(JobQueueTest, ACancelOfARunningJobReachesTheRunnerInItsHeartbeat) {
  auto job = pipeline({{"functionality", {}}}).job["functionality"];
  ASSERT_TRUE(claim(runner_a_).has_value());
  EXPECT_FALSE(lease_state(job, runner_a_, 1).cancel);

  EXPECT_TRUE(cancel(job));
  EXPECT_EQ(job_state(job), "running");  // the runner stops it

  auto read_only = lease_state(job, runner_a_, 1);
  EXPECT_TRUE(read_only.held);
  EXPECT_TRUE(read_only.cancel);
  auto s = heartbeat(job, runner_a_, 1);
  EXPECT_TRUE(s.held);
  EXPECT_TRUE(s.cancel);

  Finish f;
  f.kind = FinishKind::cancelled;
  f.message = "stopped on request";
  auto r = finish(job, runner_a_, 1, f);
  EXPECT_TRUE(r.held);
  EXPECT_EQ(text(r.state), "cancelled");
}

TEST_F(JobQueueTest, AHeartbeatOnAFinishedJobIsNotHeld) {
  auto job = pipeline({{"functionality", {}}}).job["functionality"];
  ASSERT_TRUE(claim(runner_a_).has_value());
  ASSERT_TRUE(finish(job, runner_a_, 1, exited(0)).held);

  EXPECT_FALSE(heartbeat(job, runner_a_, 1).held);
  EXPECT_FALSE(lease_state(job, runner_a_, 1).held);
  EXPECT_EQ(job_state(job), "passed");
}

// ---------------------------------------------------------------------------------------------
// Logs

TEST_F(JobQueueTest, SequentialLogChunksAccumulate) {
  auto job = pipeline({{"functionality", {}}}).job["functionality"];
  ASSERT_TRUE(claim(runner_a_).has_value());

  auto a = append(job, runner_a_, 1, 0, "collecting ... ");
  EXPECT_TRUE(a.held);
  EXPECT_FALSE(a.gap);
  EXPECT_FALSE(a.truncated);
  EXPECT_EQ(a.log_bytes, 15);
  // Logs are bytes, not text: NUL and invalid UTF-8 survive.
  std::string binary("12 passed\n\0\xff\x1b[0m\n", 17);
  auto b = append(job, runner_a_, 1, 15, binary);
  EXPECT_TRUE(b.held);
  EXPECT_FALSE(b.gap);
  EXPECT_EQ(b.log_bytes, 32);

  EXPECT_EQ(read_log(job), "collecting ... " + binary);
  EXPECT_EQ(read_log(job, 1), "collecting ... " + binary);
}

TEST_F(JobQueueTest, ARetriedLogChunkIsStoredOnce) {
  auto job = pipeline({{"functionality", {}}}).job["functionality"];
  ASSERT_TRUE(claim(runner_a_).has_value());
  ASSERT_EQ(append(job, runner_a_, 1, 0, "line 1\n").log_bytes, 7);

  auto again = append(job, runner_a_, 1, 0, "line 1\n");
  EXPECT_TRUE(again.held);
  EXPECT_FALSE(again.gap);
  EXPECT_EQ(again.log_bytes, 7);
  EXPECT_EQ(read_log(job), "line 1\n");
  EXPECT_EQ(scalar<long>("SELECT coalesce(sum(length(data)), 0) FROM job_logs WHERE job_id = " +
                         std::to_string(job)),
            7);
}

TEST_F(JobQueueTest, AnOverlappingLogChunkStoresOnlyItsNewTail) {
  auto job = pipeline({{"functionality", {}}}).job["functionality"];
  ASSERT_TRUE(claim(runner_a_).has_value());
  ASSERT_EQ(append(job, runner_a_, 1, 0, "abcdef").log_bytes, 6);

  auto r = append(job, runner_a_, 1, 3, "defghi");
  EXPECT_TRUE(r.held);
  EXPECT_FALSE(r.gap);
  EXPECT_EQ(r.log_bytes, 9);
  EXPECT_EQ(read_log(job), "abcdefghi");
  EXPECT_EQ(scalar<long>("SELECT coalesce(sum(length(data)), 0) FROM job_logs WHERE job_id = " +
                         std::to_string(job)),
            9);
}

TEST_F(JobQueueTest, ALogChunkPastTheEndIsAGapAndNotStored) {
  auto job = pipeline({{"functionality", {}}}).job["functionality"];
  ASSERT_TRUE(claim(runner_a_).has_value());
  ASSERT_EQ(append(job, runner_a_, 1, 0, "abc").log_bytes, 3);

  auto r = append(job, runner_a_, 1, 10, "xyz");
  EXPECT_TRUE(r.held);
  EXPECT_TRUE(r.gap);
  EXPECT_EQ(r.log_bytes, 3);
  EXPECT_EQ(read_log(job), "abc");

  // The runner resends from log_bytes and the log is whole again.
  auto resent = append(job, runner_a_, 1, r.log_bytes, "defghijxyz");
  EXPECT_FALSE(resent.gap);
  EXPECT_EQ(resent.log_bytes, 13);
  EXPECT_EQ(read_log(job), "abcdefghijxyz");
}

TEST_F(JobQueueTest, TheLogIsCutAtTheServersCap) {
  auto job = pipeline({{"functionality", {}}}).job["functionality"];
  ASSERT_TRUE(claim(runner_a_).has_value());
  auto first = append(job, runner_a_, 1, 0, "01234567", 10);
  EXPECT_FALSE(first.truncated);
  EXPECT_EQ(first.log_bytes, 8);

  auto r = append(job, runner_a_, 1, 8, "89abcdef", 10);
  EXPECT_TRUE(r.held);
  EXPECT_TRUE(r.truncated);
  EXPECT_EQ(r.log_bytes, 10);
  EXPECT_EQ(read_log(job), "0123456789");

  auto more = append(job, runner_a_, 1, 10, "ghij", 10);
  EXPECT_TRUE(more.truncated);
  EXPECT_EQ(more.log_bytes, 10);
  EXPECT_EQ(read_log(job), "0123456789");
}

TEST_F(JobQueueTest, ALogChunkFromARunnerThatDoesNotHoldTheJobIsNotStored) {
  auto job = pipeline({{"functionality", {}}}).job["functionality"];
  ASSERT_TRUE(claim(runner_a_).has_value());

  auto r = append(job, runner_b_, 1, 0, "forged output");
  EXPECT_FALSE(r.held);
  auto wrong_attempt = append(job, runner_a_, 2, 0, "forged output");
  EXPECT_FALSE(wrong_attempt.held);
  EXPECT_EQ(read_log(job), "");
  EXPECT_EQ(scalar<int>("SELECT count(*) FROM job_logs"), 0);
}

// ---------------------------------------------------------------------------------------------
// Finishing

TEST_F(JobQueueTest, FinishKindsParseFromTheirNames) {
  EXPECT_EQ(store::finish_kind_from_string("exited"), FinishKind::exited);
  EXPECT_EQ(store::finish_kind_from_string("timed_out"), FinishKind::timed_out);
  EXPECT_EQ(store::finish_kind_from_string("cancelled"), FinishKind::cancelled);
  EXPECT_EQ(store::finish_kind_from_string("error"), FinishKind::error);
  EXPECT_FALSE(store::finish_kind_from_string("passed").has_value());
  EXPECT_FALSE(store::finish_kind_from_string("").has_value());
}

TEST_F(JobQueueTest, ExitZeroPassesTheJob) {
  auto job = pipeline({{"functionality", {}}}).job["functionality"];
  ASSERT_TRUE(claim(runner_a_).has_value());
  auto r = finish(job, runner_a_, 1, exited(0));
  EXPECT_TRUE(r.held);
  EXPECT_EQ(text(r.state), "passed");

  auto row = db().with([&](pqxx::connection& c) {
    pqxx::nontransaction t(c);
    return t.exec_params1(
        "SELECT state, exit_code, finished_at IS NOT NULL, lease_expires_at IS NULL FROM jobs "
        "WHERE id = $1",
        job);
  });
  EXPECT_EQ(row[0].as<std::string>(), "passed");
  EXPECT_EQ(row[1].as<int>(), 0);
  EXPECT_TRUE(row[2].as<bool>());
  EXPECT_TRUE(row[3].as<bool>());
  EXPECT_EQ(scalar<std::string>("SELECT outcome || '/' || (ended_at IS NOT NULL) FROM job_attempts "
                                "WHERE job_id = " +
                                std::to_string(job) + " AND attempt = 1"),
            "passed/true");
}

TEST_F(JobQueueTest, ANonZeroExitFailsTheJobAndKeepsTheCode) {
  auto job = pipeline({{"functionality", {}}}).job["functionality"];
  ASSERT_TRUE(claim(runner_a_).has_value());
  auto r = finish(job, runner_a_, 1, exited(3));
  EXPECT_TRUE(r.held);
  EXPECT_EQ(text(r.state), "failed");
  EXPECT_EQ(job_state(job), "failed");
  EXPECT_EQ(scalar<int>("SELECT exit_code FROM jobs WHERE id = " + std::to_string(job)), 3);
}

TEST_F(JobQueueTest, TimedOutCancelledAndErrorEndInTheirStatesWithTheMessage) {
  struct Case {
    std::string tier;
    FinishKind kind;
    std::string state;
    std::string message;
  };
  std::vector<Case> cases = {
      {"functionality", FinishKind::timed_out, "timed_out", "timed out after 600 s"},
      {"validation", FinishKind::cancelled, "cancelled", "cancelled on request"},
      {"training", FinishKind::error, "error", "docker: image not found"},
  };
  auto p = pipeline({{"functionality", {}}, {"validation", {}}, {"training", {}}});
  for (const auto& c : cases) {
    SCOPED_TRACE(c.state);
    auto claimed = claim(runner_a_, {c.tier});
    ASSERT_TRUE(claimed.has_value());
    ASSERT_EQ(claimed->job_id, p.job[c.tier]);
    Finish f;
    f.kind = c.kind;
    f.message = c.message;
    auto r = finish(claimed->job_id, runner_a_, 1, f);
    EXPECT_TRUE(r.held);
    EXPECT_EQ(text(r.state), c.state);
    EXPECT_EQ(job_state(claimed->job_id), c.state);
    EXPECT_EQ(scalar<std::string>("SELECT coalesce(message, '') FROM jobs WHERE id = " +
                                  std::to_string(claimed->job_id)),
              c.message);
    EXPECT_EQ(scalar<std::string>("SELECT coalesce(outcome, '') FROM job_attempts WHERE job_id = " +
                                  std::to_string(claimed->job_id)),
              c.state);
  }
}

TEST_F(JobQueueTest, MalformedResultsFailAJobThatExitedZero) {
  auto job = pipeline({{"validation", {}}}).job["validation"];
  ASSERT_TRUE(claim(runner_a_).has_value());
  const std::string msg = "results/metrics.json: line 3, column 7: expected a number";
  EXPECT_TRUE(
      tx([&](pqxx::work& t) { return store::record_results_error(t, job, runner_a_, 1, msg); }));
  auto r = finish(job, runner_a_, 1, exited(0));
  EXPECT_TRUE(r.held);
  EXPECT_EQ(text(r.state), "failed");
  EXPECT_EQ(job_state(job), "failed");
  EXPECT_NE(scalar<std::string>("SELECT coalesce(message, '') FROM jobs WHERE id = " +
                                std::to_string(job))
                .find(msg),
            std::string::npos);
}

TEST_F(JobQueueTest, AResultsErrorFromARunnerThatDoesNotHoldTheJobIsRefused) {
  auto job = pipeline({{"validation", {}}}).job["validation"];
  ASSERT_TRUE(claim(runner_a_).has_value());
  EXPECT_FALSE(tx(
      [&](pqxx::work& t) { return store::record_results_error(t, job, runner_b_, 1, "forged"); }));
  EXPECT_EQ(text(finish(job, runner_a_, 1, exited(0)).state), "passed");
}

TEST_F(JobQueueTest, AFinishFromARunnerThatDoesNotHoldTheJobChangesNothing) {
  auto p = pipeline({{"functionality", {}}, {"validation", {"functionality"}}});
  auto job = p.job["functionality"];
  ASSERT_TRUE(claim(runner_a_).has_value());

  auto r = finish(job, runner_b_, 1, exited(0));
  EXPECT_FALSE(r.held);
  auto wrong_attempt = finish(job, runner_a_, 2, exited(0));
  EXPECT_FALSE(wrong_attempt.held);
  EXPECT_EQ(job_state(job), "running");
  EXPECT_EQ(job_state(p.job["validation"]), "blocked");
  EXPECT_TRUE(heartbeat(job, runner_a_, 1).held);
  EXPECT_EQ(scalar<int>("SELECT count(*) FROM job_attempts WHERE ended_at IS NOT NULL"), 0);
}

TEST_F(JobQueueTest, AnAttemptFinishesOnlyOnce) {
  auto p = pipeline({{"functionality", {}}, {"validation", {"functionality"}}});
  auto job = p.job["functionality"];
  ASSERT_TRUE(claim(runner_a_).has_value());
  ASSERT_EQ(text(finish(job, runner_a_, 1, exited(0)).state), "passed");

  auto again = finish(job, runner_a_, 1, exited(1));
  EXPECT_FALSE(again.held);
  EXPECT_EQ(job_state(job), "passed");
  EXPECT_EQ(scalar<int>("SELECT exit_code FROM jobs WHERE id = " + std::to_string(job)), 0);
  EXPECT_EQ(job_state(p.job["validation"]), "queued");
  EXPECT_EQ(scalar<int>("SELECT count(*) FROM state_changes WHERE job_id = " + std::to_string(job) +
                        " AND to_state IN ('passed', 'failed')"),
            1);
}

// ---------------------------------------------------------------------------------------------
// Needs and pipeline state

TEST_F(JobQueueTest, PassingJobsUnblockTheirDependantsAndThePipelinePasses) {
  auto p = pipeline(
      {{"functionality", {}}, {"validation", {"functionality"}}, {"training", {"validation"}}});
  EXPECT_EQ(pipeline_state(p.pipeline_id), "pending");

  for (const std::string tier : {"functionality", "validation", "training"}) {
    SCOPED_TRACE(tier);
    EXPECT_EQ(job_state(p.job[tier]), "queued");
    auto c = claim(runner_a_);
    ASSERT_TRUE(c.has_value());
    ASSERT_EQ(c->job_id, p.job[tier]);
    EXPECT_EQ(pipeline_state(p.pipeline_id), "running");
    EXPECT_EQ(text(finish(c->job_id, runner_a_, 1, exited(0)).state), "passed");
  }
  EXPECT_EQ(pipeline_state(p.pipeline_id), "passed");
  EXPECT_EQ(scalar<bool>("SELECT finished_at IS NOT NULL FROM pipelines WHERE id = " +
                         std::to_string(p.pipeline_id)),
            true);

  // state_changes tells the story, in order.
  auto changes = db().with([&](pqxx::connection& c) {
    pqxx::nontransaction t(c);
    return t.exec_params(
        "SELECT coalesce(job_id, 0), coalesce(from_state, ''), to_state, "
        "extract(epoch FROM at)::float8 FROM state_changes WHERE pipeline_id = $1 ORDER BY id",
        p.pipeline_id);
  });
  std::vector<std::string> pipeline_steps;
  std::map<std::int64_t, std::vector<std::string>> job_steps;
  double last_at = 0;
  for (const auto& r : changes) {
    auto step = r[1].as<std::string>() + ">" + r[2].as<std::string>();
    auto job = r[0].as<std::int64_t>();
    if (job == 0) {
      pipeline_steps.push_back(step);
    } else {
      job_steps[job].push_back(step);
    }
    double at = r[3].as<double>();
    EXPECT_GE(at, last_at) << step;
    last_at = at;
  }
  EXPECT_EQ(pipeline_steps,
            (std::vector<std::string>{">pending", "pending>running", "running>passed"}));
  EXPECT_EQ(job_steps[p.job["functionality"]],
            (std::vector<std::string>{">queued", "queued>running", "running>passed"}));
  EXPECT_EQ(
      job_steps[p.job["validation"]],
      (std::vector<std::string>{">blocked", "blocked>queued", "queued>running", "running>passed"}));
  EXPECT_EQ(
      job_steps[p.job["training"]],
      (std::vector<std::string>{">blocked", "blocked>queued", "queued>running", "running>passed"}));
}

// Without blocked jobs the finish moves the pipeline from the counts its own statement read: it
// stays running while another job runs, and ends as the rule says when the last one ends.
TEST_F(JobQueueTest, AFinishMovesItsPipelineOnlyWhenItsLastRunningJobEnds) {
  auto p = pipeline({{"functionality", {}}, {"validation", {}}, {"training", {}}});
  auto first = claim(runner_a_);
  auto second = claim(runner_b_);
  ASSERT_TRUE(first.has_value());
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(text(finish(first->job_id, runner_a_, 1, exited(2)).state), "failed");
  EXPECT_EQ(pipeline_state(p.pipeline_id), "running");  // one job runs, one is queued
  ASSERT_TRUE(cancel(p.job["training"]));
  EXPECT_EQ(pipeline_state(p.pipeline_id), "running");
  EXPECT_EQ(text(finish(second->job_id, runner_b_, 1, exited(0)).state), "passed");
  EXPECT_EQ(pipeline_state(p.pipeline_id), "failed");
  EXPECT_EQ(scalar<std::string>("SELECT string_agg(coalesce(from_state, '') || '>' || to_state, "
                                "' ' ORDER BY id) FROM state_changes WHERE job_id IS NULL AND "
                                "pipeline_id = " +
                                std::to_string(p.pipeline_id)),
            ">pending pending>running running>failed");
  EXPECT_TRUE(scalar<bool>("SELECT finished_at IS NOT NULL FROM pipelines WHERE id = " +
                           std::to_string(p.pipeline_id)));
}

// The finish's statement moves the pipeline with mlgate_next_pipeline_state (migration 0027):
// it gives store::next_pipeline_state's answer for every state and every shape of counts.
TEST_F(JobQueueTest, TheFinishsPipelineRuleInSqlIsNextPipelineState) {
  using core::PipelineState;
  int compared = 0;
  db().with([&](pqxx::connection& c) {
    pqxx::nontransaction t(c);
    for (auto current : {PipelineState::pending, PipelineState::running, PipelineState::passed,
                         PipelineState::failed, PipelineState::cancelled, PipelineState::error,
                         PipelineState::awaiting_approval}) {
      for (int mask = 0; mask < 32; ++mask) {
        const long running = mask & 1, waiting = (mask >> 1) & 1, failed = (mask >> 2) & 1,
                   cancelled = (mask >> 3) & 1, passed = (mask >> 4) & 1;
        for (const long total : {running + waiting + failed + cancelled + passed, 0L}) {
          const store::PipelineCounts counts{current, total, running, waiting, failed, cancelled};
          const auto sql = t.exec_params1(
              "SELECT mlgate_next_pipeline_state($1, $2, $3, $4, $5, $6)",
              store::state_text(current), total, running, waiting, failed, cancelled)[0];
          EXPECT_EQ(sql.as<std::string>(), store::state_text(store::next_pipeline_state(counts)))
              << store::state_text(current) << " total " << total << " mask " << mask;
          ++compared;
        }
      }
    }
  });
  EXPECT_EQ(compared, 7 * 32 * 2);
}

// The runner protocol's finish first goes in a group (finish_jobs_alone): it ends a held attempt
// whose pipeline has no blocked job, moving the pipeline in the same statement; otherwise it
// changes nothing and a transaction's finish_job does the work.
TEST_F(JobQueueTest, AFinishAloneEndsAJobInOneStatementUnlessItsPipelineHasBlockedJobs) {
  auto alone = [&](std::int64_t job, std::int64_t runner, int attempt) {
    return finish_group(db(), {{job, runner, attempt, exited(0)}}).front();
  };
  auto single = pipeline({{"functionality", {}}});
  ASSERT_TRUE(claim(runner_a_).has_value());
  EXPECT_FALSE(alone(single.job["functionality"], runner_b_, 1).has_value());  // not held
  auto done = alone(single.job["functionality"], runner_a_, 1);
  ASSERT_TRUE(done.has_value());
  EXPECT_TRUE(done->held);
  EXPECT_EQ(text(done->state), "passed");
  EXPECT_EQ(pipeline_state(single.pipeline_id), "passed");
  EXPECT_FALSE(alone(single.job["functionality"], runner_a_, 1).has_value());  // ended already

  auto chain = pipeline({{"functionality", {}}, {"validation", {"functionality"}}});
  ASSERT_TRUE(claim(runner_a_).has_value());
  EXPECT_FALSE(alone(chain.job["functionality"], runner_a_, 1).has_value());
  EXPECT_EQ(job_state(chain.job["functionality"]), "running");  // nothing changed
  EXPECT_EQ(text(finish(chain.job["functionality"], runner_a_, 1, exited(0)).state), "passed");
  EXPECT_EQ(job_state(chain.job["validation"]), "queued");
  EXPECT_EQ(pipeline_state(chain.pipeline_id), "running");
}

// The finish answers what the job-duration metric needs (no read of its own after it).
TEST_F(JobQueueTest, AFinishAnswersTheJobsTierAndRunTime) {
  auto job = pipeline({{"validation", {}}}).job["validation"];
  ASSERT_TRUE(claim(runner_a_).has_value());
  exec("UPDATE jobs SET started_at = now() - interval '90 s' WHERE id = " + std::to_string(job));
  auto r = finish(job, runner_a_, 1, exited(0));
  ASSERT_TRUE(r.held);
  EXPECT_EQ(r.tier, "validation");
  ASSERT_TRUE(r.seconds.has_value());
  EXPECT_NEAR(*r.seconds, 90.0, 5.0);
  auto lost = finish(job, runner_a_, 1, exited(0));
  EXPECT_FALSE(lost.held);
  EXPECT_FALSE(lost.seconds.has_value());
}

TEST_F(JobQueueTest, AFailedJobSkipsItsDependantsTransitivelyAndFailsThePipeline) {
  auto p = pipeline(
      {{"functionality", {}}, {"validation", {"functionality"}}, {"training", {"validation"}}});
  auto c = claim(runner_a_);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(text(finish(c->job_id, runner_a_, 1, exited(1)).state), "failed");

  EXPECT_EQ(job_state(p.job["validation"]), "skipped");
  EXPECT_EQ(job_state(p.job["training"]), "skipped");
  EXPECT_FALSE(claim(runner_a_).has_value());
  EXPECT_EQ(pipeline_state(p.pipeline_id), "failed");
  EXPECT_EQ(scalar<int>("SELECT count(*) FROM state_changes WHERE pipeline_id = " +
                        std::to_string(p.pipeline_id) + " AND to_state = 'skipped'"),
            2);
}

TEST_F(JobQueueTest, AJobWaitsForAllOfItsNeeds) {
  auto p = pipeline(
      {{"functionality", {}}, {"validation", {}}, {"training", {"functionality", "validation"}}});
  auto f = claim(runner_a_);
  auto v = claim(runner_b_);
  ASSERT_TRUE(f && v);
  ASSERT_EQ(f->tier, "functionality");
  EXPECT_EQ(text(finish(f->job_id, runner_a_, 1, exited(0)).state), "passed");
  EXPECT_EQ(job_state(p.job["training"]), "blocked");
  EXPECT_EQ(text(finish(v->job_id, runner_b_, 1, exited(0)).state), "passed");
  EXPECT_EQ(job_state(p.job["training"]), "queued");
}

// ---------------------------------------------------------------------------------------------
// Repeats (`repeat: N`)

TEST_F(JobQueueTest, ARepeatedTierIsNJobsAndItsDependantsWaitForAllOfThem) {
  auto p = pipeline(
      {{"functionality", {}}, {"validation", {"functionality"}, 3}, {"training", {"validation"}}});
  ASSERT_EQ(p.repeats["validation"].size(), 3u);
  auto f = claim(runner_a_);
  ASSERT_TRUE(f && f->tier == "functionality");
  EXPECT_EQ(f->repeat, 0);
  EXPECT_EQ(text(finish(f->job_id, runner_a_, 1, exited(0)).state), "passed");
  for (auto id : p.repeats["validation"]) EXPECT_EQ(job_state(id), "queued");
  // Each repeat is claimed on its own, with its number (MLGATE_REPEAT).
  std::vector<int> numbers;
  std::vector<ClaimedJob> claimed;
  for (int i = 0; i < 3; ++i) {
    auto c = claim(i % 2 == 0 ? runner_a_ : runner_b_);
    ASSERT_TRUE(c && c->tier == "validation");
    numbers.push_back(c->repeat);
    claimed.push_back(*c);
  }
  std::sort(numbers.begin(), numbers.end());
  EXPECT_EQ(numbers, (std::vector<int>{0, 1, 2}));
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(
        text(finish(claimed[i].job_id, i % 2 == 0 ? runner_a_ : runner_b_, 1, exited(0)).state),
        "passed");
    EXPECT_EQ(job_state(p.job["training"]), "blocked") << "after repeat " << i;
  }
  EXPECT_EQ(pipeline_state(p.pipeline_id), "running");
  EXPECT_EQ(text(finish(claimed[2].job_id, runner_a_, 1, exited(0)).state), "passed");
  EXPECT_EQ(job_state(p.job["training"]), "queued");
}

TEST_F(JobQueueTest, OneFailedRepeatSkipsTheDependantsAndFailsThePipeline) {
  auto p = pipeline({{"validation", {}, 2}, {"training", {"validation"}}});
  auto a = claim(runner_a_);
  auto b = claim(runner_b_);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(text(finish(a->job_id, runner_a_, 1, exited(0)).state), "passed");
  EXPECT_EQ(text(finish(b->job_id, runner_b_, 1, exited(3)).state), "failed");
  EXPECT_EQ(job_state(p.job["training"]), "skipped");
  EXPECT_EQ(pipeline_state(p.pipeline_id), "failed");
}

TEST_F(JobQueueTest, ATiersRepeatsAreDistinctAndBounded) {
  auto p = pipeline({{"validation", {}, 2}});
  const std::string id = std::to_string(p.pipeline_id);
  auto insert = [&](int repeat) {
    exec(
        "INSERT INTO jobs (pipeline_id, tier, priority, state, image, command, timeout_seconds, "
        "repeat) VALUES (" +
        id + ", 'validation', 1, 'blocked', 'i', 'c', 60, " + std::to_string(repeat) + ")");
  };
  EXPECT_THROW(insert(1), pqxx::unique_violation);
  EXPECT_THROW(insert(10), pqxx::check_violation);
  EXPECT_NO_THROW(insert(2));
}

// ---------------------------------------------------------------------------------------------
// Lost runners

TEST_F(JobQueueTest, ALeaseThatIsStillValidIsNotExpired) {
  auto job = pipeline({{"functionality", {}}}).job["functionality"];
  ASSERT_TRUE(claim(runner_a_, kAllTiers, 60s).has_value());
  EXPECT_EQ(expire(), 0);
  EXPECT_EQ(job_state(job), "running");
  EXPECT_TRUE(heartbeat(job, runner_a_, 1).held);
}

TEST_F(JobQueueTest, AnExpiredLeaseRequeuesTheJobAndTheOldRunnerLosesIt) {
  auto p = pipeline({{"functionality", {}}, {"validation", {"functionality"}}});
  auto job = p.job["functionality"];
  ASSERT_TRUE(claim(runner_a_).has_value());
  expire_lease_of(job);

  EXPECT_EQ(expire(), 1);
  auto row = db().with([&](pqxx::connection& c) {
    pqxx::nontransaction t(c);
    return t.exec_params1("SELECT state, attempt, lease_expires_at IS NULL FROM jobs WHERE id = $1",
                          job);
  });
  EXPECT_EQ(row[0].as<std::string>(), "queued");
  EXPECT_EQ(row[1].as<int>(), 1);
  EXPECT_TRUE(row[2].as<bool>());
  EXPECT_EQ(scalar<std::string>("SELECT coalesce(outcome, '') || '/' || (ended_at IS NOT NULL) "
                                "FROM job_attempts WHERE job_id = " +
                                std::to_string(job) + " AND attempt = 1"),
            "lease_expired/true");

  // The old runner comes back too late: nothing it sends counts.
  EXPECT_FALSE(heartbeat(job, runner_a_, 1).held);
  EXPECT_FALSE(append(job, runner_a_, 1, 0, "late output").held);
  EXPECT_FALSE(finish(job, runner_a_, 1, exited(0)).held);
  EXPECT_EQ(job_state(job), "queued");
  EXPECT_EQ(job_state(p.job["validation"]), "blocked");

  auto again = claim(runner_b_);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->job_id, job);
  EXPECT_EQ(again->attempt, 2);
  EXPECT_EQ(scalar<int>("SELECT attempt FROM jobs WHERE id = " + std::to_string(job)), 2);
  EXPECT_EQ(scalar<int>("SELECT count(*) FROM job_attempts WHERE job_id = " + std::to_string(job)),
            2);
  // The new attempt's log starts afresh and is the one read by default.
  EXPECT_EQ(append(job, runner_b_, 2, 0, "second run\n").log_bytes, 11);
  EXPECT_EQ(read_log(job), "second run\n");
  EXPECT_EQ(text(finish(job, runner_b_, 2, exited(0)).state), "passed");
  EXPECT_EQ(job_state(p.job["validation"]), "queued");
}

// Results a lost attempt uploaded do not count for the next one: queueing the job again deletes
// them. Claims clear nothing (another job's results stay), and a job that fails for good on a lost
// runner keeps its last attempt's results.
TEST_F(JobQueueTest, ALostAttemptsResultsAreGoneOnceItsJobIsQueuedAgain) {
  auto p = pipeline({{"functionality", {}}, {"validation", {}}});
  auto job = p.job["functionality"];
  auto other = p.job["validation"];
  auto first = claim(runner_a_);
  ASSERT_TRUE(first.has_value());
  ASSERT_EQ(first->job_id, job);
  for (auto id : {job, other}) {
    const std::string j = std::to_string(id);
    exec("INSERT INTO test_cases (job_id, name, status) VALUES (" + j + ", 't', 'passed')");
    exec("INSERT INTO metrics (job_id, name, value) VALUES (" + j + ", 'accuracy', 0.9)");
    exec("INSERT INTO predictions (job_id, example_id, label) VALUES (" + j + ", 'e1', 'a')");
  }
  auto results_of = [&](std::int64_t id) {
    const std::string j = std::to_string(id);
    return scalar<int>("SELECT (SELECT count(*) FROM test_cases WHERE job_id = " + j +
                       ") + (SELECT count(*) FROM metrics WHERE job_id = " + j +
                       ") + (SELECT count(*) FROM predictions WHERE job_id = " + j + ")");
  };
  ASSERT_TRUE(claim(runner_a_).has_value());  // validation, attempt 1: nothing cleared
  EXPECT_EQ(results_of(job), 3);
  EXPECT_EQ(results_of(other), 3);
  expire_lease_of(job);
  EXPECT_EQ(expire(), 1);
  EXPECT_EQ(job_state(job), "queued");
  EXPECT_EQ(results_of(job), 0);
  EXPECT_EQ(results_of(other), 3);
  auto again = claim(runner_b_);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->job_id, job);
  EXPECT_EQ(again->attempt, 2);
  EXPECT_EQ(results_of(other), 3);

  // The validation job's runner is lost on every attempt: it fails, and its results stay.
  const std::string o = std::to_string(other);
  exec("UPDATE jobs SET max_attempts = 1 WHERE id = " + o);
  expire_lease_of(other);
  EXPECT_EQ(expire(), 1);
  EXPECT_EQ(job_state(other), "failed");
  EXPECT_EQ(results_of(other), 3);
}

TEST_F(JobQueueTest, AJobWhoseRunnerIsLostThreeTimesFails) {
  auto p = pipeline(
      {{"functionality", {}}, {"validation", {"functionality"}}, {"training", {"validation"}}});
  auto job = p.job["functionality"];
  for (int attempt = 1; attempt <= 3; ++attempt) {
    SCOPED_TRACE(attempt);
    auto c = claim(attempt % 2 ? runner_a_ : runner_b_);
    ASSERT_TRUE(c.has_value());
    ASSERT_EQ(c->job_id, job);
    EXPECT_EQ(c->attempt, attempt);
    expire_lease_of(job);
    EXPECT_EQ(expire(), 1);
    EXPECT_EQ(job_state(job), attempt < 3 ? "queued" : "failed");
  }
  EXPECT_NE(scalar<std::string>("SELECT coalesce(message, '') FROM jobs WHERE id = " +
                                std::to_string(job))
                .find("runner lost"),
            std::string::npos);
  EXPECT_EQ(scalar<int>("SELECT count(*) FROM job_attempts WHERE job_id = " + std::to_string(job) +
                        " AND outcome = 'lease_expired'"),
            3);
  EXPECT_EQ(job_state(p.job["validation"]), "skipped");
  EXPECT_EQ(job_state(p.job["training"]), "skipped");
  EXPECT_EQ(pipeline_state(p.pipeline_id), "failed");
  EXPECT_FALSE(claim(runner_a_).has_value());
}

TEST_F(JobQueueTest, ARestartedRunnerGivesUpItsJobsAndOnlyItsJobs) {
  pipeline({{"functionality", {}}, {"validation", {}}});
  pipeline({{"functionality", {}}});
  auto a1 = claim(runner_a_);
  auto b1 = claim(runner_b_);
  auto a2 = claim(runner_a_);
  ASSERT_TRUE(a1 && b1 && a2);

  EXPECT_EQ(tx([&](pqxx::work& t) { return store::release_runner_jobs(t, runner_a_); }), 2);
  EXPECT_EQ(job_state(a1->job_id), "queued");
  EXPECT_EQ(job_state(a2->job_id), "queued");
  EXPECT_EQ(job_state(b1->job_id), "running");
  EXPECT_TRUE(heartbeat(b1->job_id, runner_b_, 1).held);
  EXPECT_FALSE(heartbeat(a1->job_id, runner_a_, 1).held);
  EXPECT_EQ(scalar<int>("SELECT count(*) FROM job_attempts WHERE outcome = 'lease_expired'"), 2);

  auto again = claim(runner_a_);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->attempt, 2);
  EXPECT_TRUE(again->job_id == a1->job_id || again->job_id == a2->job_id);
}

// ---------------------------------------------------------------------------------------------
// States at the store boundary

TEST_F(JobQueueTest, AStateColumnWithAnUnknownSpellingIsAnError) {
  EXPECT_EQ(tx([](pqxx::work& t) { return store::job_state_of(t.exec("SELECT 'skipped'")[0][0]); }),
            core::JobState::skipped);
  try {
    tx([](pqxx::work& t) {
      return store::job_state_of(t.exec("SELECT 'exploded' AS state")[0][0]);
    });
    ADD_FAILURE() << "an unknown job state was read";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "column state: 'exploded' is not a job state");
  }
}

// ---------------------------------------------------------------------------------------------
// Cancellation

TEST_F(JobQueueTest, CancellingAQueuedJobEndsItAtOnceAndSkipsItsDependants) {
  auto p = pipeline({{"functionality", {}}, {"validation", {"functionality"}}});
  auto job = p.job["functionality"];
  EXPECT_TRUE(cancel(job));
  EXPECT_EQ(job_state(job), "cancelled");
  EXPECT_EQ(job_state(p.job["validation"]), "skipped");
  EXPECT_FALSE(claim(runner_a_).has_value());
  EXPECT_EQ(pipeline_state(p.pipeline_id), "cancelled");
}

TEST_F(JobQueueTest, CancellingABlockedJobEndsItAtOnce) {
  auto p = pipeline({{"functionality", {}}, {"validation", {"functionality"}}});
  EXPECT_TRUE(cancel(p.job["validation"]));
  EXPECT_EQ(job_state(p.job["validation"]), "cancelled");
  auto c = claim(runner_a_);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(text(finish(c->job_id, runner_a_, 1, exited(0)).state), "passed");
  EXPECT_EQ(job_state(p.job["validation"]), "cancelled");  // not revived by its need passing
}

TEST_F(JobQueueTest, CancellingAFinishedJobIsRefused) {
  auto job = pipeline({{"functionality", {}}}).job["functionality"];
  ASSERT_TRUE(claim(runner_a_).has_value());
  ASSERT_EQ(text(finish(job, runner_a_, 1, exited(0)).state), "passed");
  EXPECT_FALSE(cancel(job));
  EXPECT_EQ(job_state(job), "passed");
  EXPECT_EQ(scalar<bool>("SELECT cancel_requested FROM jobs WHERE id = " + std::to_string(job)),
            false);
}

// A cancel requested while the job runs stands when its runner is lost before it stops the job
// (the lease expires, the runner restarts, is disabled or hands its jobs back): the job ends
// cancelled, its dependants are skipped, and it is not handed out again.
TEST_F(JobQueueTest, ACancelledJobWhoseRunnerIsLostEndsCancelledAndDoesNotRunAgain) {
  auto p = pipeline({{"functionality", {}}, {"validation", {"functionality"}}});
  auto job = p.job["functionality"];
  ASSERT_TRUE(claim(runner_a_).has_value());
  ASSERT_TRUE(cancel(job, "cancelled by alice"));
  expire_lease_of(job);
  EXPECT_EQ(expire(), 1);
  EXPECT_EQ(job_state(job), "cancelled");
  const auto message =
      scalar<std::string>("SELECT message FROM jobs WHERE id = " + std::to_string(job));
  EXPECT_NE(message.find("cancelled by alice"), std::string::npos) << message;
  EXPECT_NE(message.find("lease expired"), std::string::npos) << message;
  EXPECT_EQ(job_state(p.job["validation"]), "skipped");
  EXPECT_EQ(pipeline_state(p.pipeline_id), "cancelled");
  EXPECT_FALSE(claim(runner_b_).has_value());

  // The same when the runner gives its jobs back (a restart, SIGTERM, a disable).
  auto q = pipeline({{"functionality", {}}});
  ASSERT_TRUE(claim(runner_a_).has_value());
  ASSERT_TRUE(cancel(q.job["functionality"]));
  EXPECT_EQ(tx([&](pqxx::work& t) { return store::release_runner_jobs(t, runner_a_); }), 1);
  EXPECT_EQ(job_state(q.job["functionality"]), "cancelled");
  EXPECT_EQ(pipeline_state(q.pipeline_id), "cancelled");
  EXPECT_FALSE(claim(runner_b_).has_value());
}

}  // namespace
}  // namespace mlgate
