// Monitor states and evaluations against real PostgreSQL (store/monitors.h): a change of state is
// reported once and counted, the history keeps every evaluation, a retraining is granted at most
// once per retrain_every (one UPDATE, also across transactions), the rubric's kinds come from the
// last 24 hours only, and retention keeps the alert history.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <pqxx/pqxx>
#include <set>
#include <string>
#include <vector>

#include "store/monitors.h"
#include "store/pipeline_queries.h"
#include "store/repos.h"
#include "tests/support/pg_cluster.h"

namespace mlgate {
namespace {

using core::MonitorState;

double now_epoch() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

class MonitorsStoreTest : public testing::DbTest {
 protected:
  void SetUp() override {
    DbTest::SetUp();
    repo_ = insert_test_repo("acme/monitored");
  }

  // An evaluation of a monitor with skew and missing checks; `data_kinds` those whose findings
  // rested on data (by default both, none when the window was empty).
  store::RecordedEvaluation record(MonitorState state, double at = now_epoch(),
                                   std::optional<std::vector<std::string>> data_kinds = {}) {
    return tx([&](pqxx::work& t) {
      store::MonitorRecord r;
      r.repo_id = repo_;
      r.environment = "production";
      r.sha = std::string(40, 'a');
      r.state = state;
      r.kinds = {"skew", "missing"};
      r.data_kinds = data_kinds.value_or(state == MonitorState::no_data
                                             ? std::vector<std::string>{}
                                             : std::vector<std::string>{"skew", "missing"});
      if (state == MonitorState::alerting) r.alerting_kinds = {"skew"};
      r.evidence = {{"findings", nlohmann::json::array({{{"kind", "skew"}}})}};
      r.evaluated_at = at;
      return store::record_monitor_evaluation(t, r);
    });
  }

  std::int64_t repo_ = 0;
};

TEST_F(MonitorsStoreTest, AChangeOfStateIsReportedOnceAndCounted) {
  auto first = record(MonitorState::ok);
  EXPECT_FALSE(first.previous.has_value());
  EXPECT_FALSE(first.changed);  // a first evaluation that is ok changes nothing
  EXPECT_EQ(first.transitions, 0);
  auto alert = record(MonitorState::alerting);
  EXPECT_TRUE(alert.changed);
  EXPECT_EQ(alert.previous, MonitorState::ok);
  EXPECT_EQ(alert.transitions, 1);
  auto again = record(MonitorState::alerting);
  EXPECT_FALSE(again.changed);
  EXPECT_EQ(again.transitions, 1);
  auto back = record(MonitorState::ok);
  EXPECT_TRUE(back.changed);
  EXPECT_EQ(back.transitions, 2);

  auto state = tx([&](pqxx::work& t) { return store::monitor_state(t, repo_, "production"); });
  ASSERT_TRUE(state);
  EXPECT_EQ(state->state, MonitorState::ok);
  EXPECT_EQ(state->repo, "acme/monitored");
  EXPECT_EQ(state->transitions, 2);
  EXPECT_TRUE(state->alerting_kinds.empty());
  EXPECT_EQ(state->evidence["findings"][0]["kind"], "skew");

  auto history =
      tx([&](pqxx::work& t) { return store::monitor_history(t, repo_, "production", 10); });
  ASSERT_EQ(history.size(), 4U);
  EXPECT_EQ(history[0].state, MonitorState::ok);
  EXPECT_EQ(history[0].previous_state, MonitorState::alerting);
  auto changes =
      tx([&](pqxx::work& t) { return store::monitor_history(t, repo_, "production", 10, true); });
  ASSERT_EQ(changes.size(), 2U);
  EXPECT_EQ(changes[1].state, MonitorState::alerting);
  EXPECT_EQ(changes[1].alerting_kinds, std::vector<std::string>{"skew"});
}

TEST_F(MonitorsStoreTest, AFirstEvaluationThatAlertsIsAChange) {
  auto first = record(MonitorState::alerting);
  EXPECT_TRUE(first.changed);
  EXPECT_EQ(first.transitions, 1);
}

TEST_F(MonitorsStoreTest, SinceKeepsTheStartOfTheState) {
  const double t0 = now_epoch() - 600;
  record(MonitorState::alerting, t0);
  record(MonitorState::alerting, t0 + 300);
  auto s = tx([&](pqxx::work& t) { return store::monitor_state(t, repo_, "production"); });
  ASSERT_TRUE(s);
  EXPECT_NE(s->since, s->evaluated_at);
  EXPECT_NEAR(s->evaluated_epoch, t0 + 300, 1.0);
}

TEST_F(MonitorsStoreTest, ARetrainIsGrantedOncePerPeriod) {
  record(MonitorState::alerting);
  EXPECT_TRUE(tx([&](pqxx::work& t) {
    return store::claim_monitor_retrain(t, repo_, "production", 24 * 3600);
  }));
  EXPECT_FALSE(tx([&](pqxx::work& t) {
    return store::claim_monitor_retrain(t, repo_, "production", 24 * 3600);
  }));
  // A period already over grants it again.
  tx([&](pqxx::work& t) {
    t.exec("UPDATE monitor_states SET last_retrain_at = now() - interval '2 hours'");
    return 0;
  });
  EXPECT_FALSE(tx([&](pqxx::work& t) {
    return store::claim_monitor_retrain(t, repo_, "production", 3 * 3600);
  }));
  EXPECT_TRUE(tx(
      [&](pqxx::work& t) { return store::claim_monitor_retrain(t, repo_, "production", 3600); }));
}

TEST_F(MonitorsStoreTest, OnlyOneOfTwoConcurrentEvaluatorsHoldsTheLock) {
  pqxx::connection c1(conninfo());
  pqxx::connection c2(conninfo());
  pqxx::work a(c1);
  pqxx::work b(c2);
  EXPECT_TRUE(store::try_lock_monitor(a, repo_, "production"));
  EXPECT_FALSE(store::try_lock_monitor(b, repo_, "production"));
  EXPECT_TRUE(store::try_lock_monitor(b, repo_, "staging"));
  a.commit();
  EXPECT_TRUE(store::try_lock_monitor(b, repo_, "production"));
}

TEST_F(MonitorsStoreTest, TheRubricSeesKindsEvaluatedWithDataInTheLastDay) {
  record(MonitorState::no_data);
  auto kinds =
      tx([&](pqxx::work& t) { return store::monitor_kinds_evaluated(t, repo_, "production"); });
  EXPECT_TRUE(kinds.empty());
  record(MonitorState::ok);
  kinds = tx([&](pqxx::work& t) { return store::monitor_kinds_evaluated(t, repo_, "production"); });
  EXPECT_EQ(kinds, (std::set<std::string>{"missing", "skew"}));
  tx([&](pqxx::work& t) {
    t.exec("UPDATE monitor_evaluations SET evaluated_at = now() - interval '25 hours'");
    return 0;
  });
  // A kind configured but whose findings had no data (a skew check without a reference) is not
  // evaluated, although the evaluation as a whole had rows.
  record(MonitorState::ok, now_epoch(), std::vector<std::string>{"missing"});
  kinds = tx([&](pqxx::work& t) { return store::monitor_kinds_evaluated(t, repo_, "production"); });
  EXPECT_EQ(kinds, (std::set<std::string>{"missing"}));
  tx([&](pqxx::work& t) {
    t.exec("UPDATE monitor_evaluations SET evaluated_at = now() - interval '25 hours'");
    return 0;
  });
  kinds = tx([&](pqxx::work& t) { return store::monitor_kinds_evaluated(t, repo_, "production"); });
  EXPECT_TRUE(kinds.empty());
}

TEST_F(MonitorsStoreTest, RetentionKeepsTheChangesOfState) {
  record(MonitorState::ok);
  record(MonitorState::alerting);
  record(MonitorState::alerting);
  tx([&](pqxx::work& t) {
    t.exec("UPDATE monitor_evaluations SET evaluated_at = now() - interval '40 days'");
    return 0;
  });
  auto deleted =
      tx([&](pqxx::work& t) { return store::delete_old_monitor_evaluations(t, 30, 100); });
  EXPECT_EQ(deleted, 2);
  auto left = tx([&](pqxx::work& t) { return store::monitor_history(t, repo_, "production", 10); });
  ASSERT_EQ(left.size(), 1U);
  EXPECT_TRUE(left[0].changed);
}

TEST_F(MonitorsStoreTest, TheTriggerMonitorIsAllowedOnPipelines) {
  tx([&](pqxx::work& t) {
    t.exec_params(
        "INSERT INTO pipelines (repo_id, trigger, ref, sha) VALUES ($1, 'monitor', "
        "'refs/heads/main', $2)",
        repo_, std::string(40, 'b'));
    return 0;
  });
  EXPECT_THROW(tx([&](pqxx::work& t) {
                 t.exec_params(
                     "INSERT INTO pipelines (repo_id, trigger, ref, sha) VALUES ($1, 'cron', "
                     "'refs/heads/main', $2)",
                     repo_, std::string(40, 'b'));
                 return 0;
               }),
               pqxx::check_violation);
}

// A monitor's retraining runs on the default branch, but the branch badge keeps showing the
// newest push, schedule or manual pipeline (docs/badges.md): a retraining is not the branch's
// state.
TEST_F(MonitorsStoreTest, ARetrainingPipelineIsNotTheBranchBadgesPipeline) {
  const auto insert = [&](const char* trigger, const char* state, char sha) {
    tx([&](pqxx::work& t) {
      t.exec_params(
          "INSERT INTO pipelines (repo_id, trigger, ref, branch, sha, state) VALUES ($1, $2, "
          "'refs/heads/main', 'main', $3, $4)",
          repo_, trigger, std::string(40, sha), state);
      return 0;
    });
  };
  insert("push", "passed", 'a');
  insert("monitor", "running", 'b');
  insert("pull_request", "failed", 'c');
  auto head = tx([&](pqxx::work& t) { return store::latest_branch_head(t, repo_, "main"); });
  ASSERT_TRUE(head);
  EXPECT_EQ(head->state, core::PipelineState::passed);
  EXPECT_EQ(head->sha, std::string(40, 'a'));
  insert("manual", "failed", 'd');
  head = tx([&](pqxx::work& t) { return store::latest_branch_head(t, repo_, "main"); });
  ASSERT_TRUE(head);
  EXPECT_EQ(head->sha, std::string(40, 'd'));
}

}  // namespace
}  // namespace mlgate
