// Fork pull requests in the store (docs/security.md, "Fork pull requests"): a pipeline awaiting
// approval has no claimable job until it is approved (once, by whom), a fork's claim carries no
// forge token and no network and is never a local runner's, a newer push to the pull request drops
// the unapproved one, a commit known only from forks is recognised, and the schema refuses what
// cannot be.
#include <gtest/gtest.h>

#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "store/job_queue.h"
#include "store/pipelines.h"
#include "store/repos.h"
#include "store/runners.h"
#include "tests/support/pg_cluster.h"

namespace mlgate {
namespace {

const std::string kSha = "0123456789abcdef0123456789abcdef01234567";
const std::string kOtherSha = "89abcdef0123456789abcdef0123456789abcdef";
const std::vector<std::string> kAllTiers = {"functionality", "validation", "training"};

class ForkPipelinesTest : public testing::DbTest {
 protected:
  void SetUp() override {
    DbTest::SetUp();
    tx([&](pqxx::work& t) {
      store::NewRepo repo;
      repo.forge = "github";
      repo.full_name = "acme/model";
      repo.clone_url = "https://git.example.invalid/acme/model.git";
      repo.webhook_secret = "webhook-secret-123";
      repo.forge_token = "ghs_repository_token";
      repo_ = store::insert_repo(t, repo);
      store::NewRunner r;
      r.name = "runner";
      runner_ = store::insert_runner(t, r, store::generate_runner_credential());
      return 0;
    });
  }

  // A pull request pipeline of functionality and validation (which needs it); a fork's awaits
  // approval unless `state` says otherwise.
  std::int64_t pull_request(bool from_fork, core::PipelineState state, int pr = 7,
                            const std::string& sha = kSha) {
    return tx([&](pqxx::work& t) {
      store::NewPipeline p;
      p.repo_id = repo_;
      p.trigger = "pull_request";
      p.ref = "refs/pull/" + std::to_string(pr) + "/head";
      p.branch = "patch-1";
      p.pr_number = pr;
      p.sha = sha;
      p.from_fork = from_fork;
      p.state = state;
      store::NewJob f;
      f.tier = "functionality";
      f.image = "mlgate/busybox:test";
      f.command = "true";
      f.network = "bridge";  // what the stored row says; a fork's claim says none regardless
      f.cancel_superseded = false;
      store::NewJob v = f;
      v.tier = "validation";
      v.needs = {"functionality"};
      p.jobs = {f, v};
      auto id = store::create_pipeline(t, p);
      store::cancel_superseded(t, repo_, p.trigger, p.branch, p.pr_number, id);
      return id;
    });
  }
  std::optional<store::ClaimedJob> claim(bool isolated = true) {
    return tx([&](pqxx::work& t) {
      return store::claim_job(t, runner_, kAllTiers, std::chrono::seconds(60), isolated);
    });
  }
  std::string scalar(const std::string& sql) {
    return tx([&](pqxx::work& t) {
      auto f = t.exec1(sql)[0];
      return f.is_null() ? std::string("NULL") : f.as<std::string>();
    });
  }
  std::string states(std::int64_t pipeline) {
    return scalar(
        "SELECT p.state || ':' || string_agg(j.tier || '=' || j.state, ',' ORDER BY "
        "j.priority) FROM pipelines p JOIN jobs j ON j.pipeline_id = p.id WHERE p.id = " +
        std::to_string(pipeline) + " GROUP BY p.state");
  }

  std::int64_t repo_ = 0;
  std::int64_t runner_ = 0;
};

TEST_F(ForkPipelinesTest, NothingIsClaimableUntilTheApprovalThenItRunsContained) {
  const auto id = pull_request(true, core::PipelineState::awaiting_approval);
  EXPECT_EQ(states(id), "awaiting_approval:functionality=blocked,validation=blocked");
  EXPECT_FALSE(claim().has_value());

  auto approval = tx([&](pqxx::work& t) { return store::approve_pipeline(t, id, "token:alice"); });
  EXPECT_TRUE(approval.found);
  EXPECT_TRUE(approval.approved);
  EXPECT_EQ(approval.repo_id, repo_);
  EXPECT_EQ(approval.sha, kSha);
  EXPECT_EQ(approval.state, core::PipelineState::pending);
  EXPECT_EQ(states(id), "pending:functionality=queued,validation=blocked");
  EXPECT_EQ(scalar("SELECT approved_by FROM pipelines WHERE id = " + std::to_string(id)),
            "token:alice");
  EXPECT_EQ(scalar("SELECT detail FROM state_changes WHERE pipeline_id = " + std::to_string(id) +
                   " AND job_id IS NULL AND to_state = 'pending'"),
            "approved by token:alice");

  auto job = claim();
  ASSERT_TRUE(job.has_value());
  EXPECT_EQ(job->tier, "functionality");
  EXPECT_EQ(job->forge_token, "");
  EXPECT_EQ(job->network, "none");
  EXPECT_EQ(job->fetch_ref, "refs/pull/7/head");

  // A second approval changes nothing.
  auto again = tx([&](pqxx::work& t) { return store::approve_pipeline(t, id, "token:bob"); });
  EXPECT_TRUE(again.found);
  EXPECT_FALSE(again.approved);
  EXPECT_EQ(again.state, core::PipelineState::running);
  EXPECT_EQ(scalar("SELECT approved_by FROM pipelines WHERE id = " + std::to_string(id)),
            "token:alice");
  EXPECT_FALSE(tx([&](pqxx::work& t) { return store::approve_pipeline(t, 999999, "x"); }).found);
}

TEST_F(ForkPipelinesTest, TheRepositorysOwnPullRequestsKeepTheirTokenAndNetwork) {
  pull_request(false, core::PipelineState::pending);
  auto job = claim(/*isolated=*/false);
  ASSERT_TRUE(job.has_value());
  EXPECT_EQ(job->forge_token, "ghs_repository_token");
  EXPECT_EQ(job->network, "bridge");
}

TEST_F(ForkPipelinesTest, AForkRunAtOnceIsClaimableAndContained) {
  pull_request(true, core::PipelineState::pending);
  // Not by a runner that cannot take the network away (the local executor).
  EXPECT_FALSE(claim(/*isolated=*/false).has_value());
  auto job = claim();
  ASSERT_TRUE(job.has_value());
  EXPECT_EQ(job->forge_token, "");
  EXPECT_EQ(job->network, "none");
}

TEST_F(ForkPipelinesTest, ANewerPushDropsTheUnapprovedPipelineAndCancelEndsOne) {
  const auto older = pull_request(true, core::PipelineState::awaiting_approval);
  const auto newer = pull_request(true, core::PipelineState::awaiting_approval, 7, kOtherSha);
  // No tier has cancel_superseded here: an unapproved pipeline is dropped all the same.
  EXPECT_EQ(states(older), "cancelled:functionality=cancelled,validation=cancelled");
  EXPECT_EQ(states(newer), "awaiting_approval:functionality=blocked,validation=blocked");
  // Another pull request's is left alone.
  const auto other = pull_request(true, core::PipelineState::awaiting_approval, 8, kOtherSha);
  EXPECT_EQ(states(newer), "awaiting_approval:functionality=blocked,validation=blocked");
  // Cancelling one job of a pipeline that awaits approval skips what needs it, queues nothing.
  const auto functionality =
      std::stoll(scalar("SELECT id FROM jobs WHERE tier = 'functionality' AND pipeline_id = " +
                        std::to_string(other)));
  EXPECT_TRUE(tx([&](pqxx::work& t) {
    return store::request_job_cancel(t, functionality, "cancelled by alice");
  }));
  EXPECT_EQ(states(other), "cancelled:functionality=cancelled,validation=skipped");
  EXPECT_FALSE(claim().has_value());
}

TEST_F(ForkPipelinesTest, ACommitKnownOnlyFromForksIsRecognised) {
  auto only_forks = [&](const std::string& sha) {
    return tx([&](pqxx::work& t) { return store::commit_only_from_forks(t, repo_, sha); });
  };
  EXPECT_FALSE(only_forks(kSha));  // no pipeline at all
  pull_request(true, core::PipelineState::awaiting_approval);
  EXPECT_TRUE(only_forks(kSha));
  pull_request(false, core::PipelineState::pending, 9);  // the commit reached the repository
  EXPECT_FALSE(only_forks(kSha));
}

TEST_F(ForkPipelinesTest, TheSchemaRefusesImpossibleRows) {
  const auto id = pull_request(false, core::PipelineState::pending);
  const std::string where = " WHERE id = " + std::to_string(id);
  auto refused = [&](const std::string& sql) {
    try {
      tx([&](pqxx::work& t) {
        t.exec0(sql);
        return 0;
      });
    } catch (const pqxx::check_violation&) {
      return true;
    }
    return false;
  };
  EXPECT_TRUE(refused("UPDATE pipelines SET state = 'awaiting_approval'" + where));
  EXPECT_TRUE(refused("UPDATE pipelines SET approved_by = 'x', approved_at = now()" + where));
  EXPECT_TRUE(refused("UPDATE pipelines SET state = 'approved'" + where));
  EXPECT_TRUE(refused("UPDATE repos SET fork_pull_requests = 'allow'"));
  EXPECT_FALSE(
      refused("UPDATE pipelines SET from_fork = true, approved_by = 'x', "
              "approved_at = now()" +
              where));
  EXPECT_TRUE(refused("UPDATE pipelines SET approved_at = NULL" + where));
  EXPECT_EQ(scalar("SELECT fork_pull_requests FROM repos"), "approve");
}

}  // namespace
}  // namespace mlgate
