// Pipelines stored as a planner's burst (store/pipeline_batch.h) end as storing them one by one,
// oldest first, would: the same jobs in the same states, the same superseded jobs cancelled by the
// same newer pipelines, the same state changes in the same order for each pipeline; the deliveries'
// ends are written together.
#include "store/pipeline_batch.h"

#include <gtest/gtest.h>

#include <map>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "store/deliveries.h"
#include "store/pipelines.h"
#include "store/repos.h"
#include "tests/support/pg_cluster.h"

namespace mlgate {
namespace {

const std::string kSha = "0123456789abcdef0123456789abcdef01234567";

// Four pushes: three to main, one to dev between them; functionality (superseded) and validation
// (needs it, not superseded) each.
std::vector<store::NewPipeline> pushes(std::int64_t repo_id) {
  std::vector<store::NewPipeline> out;
  for (const char* branch : {"main", "dev", "main", "main"}) {
    store::NewPipeline p;
    p.repo_id = repo_id;
    p.trigger = "push";
    p.ref = std::string("refs/heads/") + branch;
    p.branch = branch;
    p.sha = kSha;
    p.commit_message = "bench";
    store::NewJob f;
    f.tier = "functionality";
    f.image = "mlgate/busybox:test";
    f.command = "true";
    f.cancel_superseded = true;
    f.env = {{"A", "b"}};
    store::NewJob v = f;
    v.tier = "validation";
    v.needs = {"functionality"};
    v.cancel_superseded = false;
    p.jobs = {f, v};
    out.push_back(p);
  }
  return out;
}

class PipelineBatchTest : public testing::DbTest {
 protected:
  std::int64_t repo(const std::string& name) { return insert_test_repo(name); }
  // Everything the repository's pipelines recorded, pipeline ids written as their order (p0..).
  std::vector<std::string> history(std::int64_t repo_id) {
    return tx([&](pqxx::work& t) {
      std::map<std::string, std::string> ordinal;
      for (const auto& r :
           t.exec_params("SELECT id FROM pipelines WHERE repo_id = $1 ORDER BY id", repo_id))
        ordinal.emplace(r[0].c_str(), "p" + std::to_string(ordinal.size()));
      auto named = [&](std::string s) {
        for (const auto& [id, name] : ordinal) {
          const std::string from = "pipeline " + id;
          if (s.size() >= from.size() && s.compare(s.size() - from.size(), from.size(), from) == 0)
            s.replace(s.size() - id.size(), id.size(), name);
        }
        return s;
      };
      std::vector<std::string> out;
      for (const auto& r : t.exec_params(
               "SELECT s.pipeline_id, coalesce(j.tier, '-'), coalesce(s.from_state, '-'), "
               "s.to_state, s.detail, coalesce(j.state, p.state), coalesce(j.message, '') "
               "FROM state_changes s JOIN pipelines p ON p.id = s.pipeline_id "
               "LEFT JOIN jobs j ON j.id = s.job_id WHERE p.repo_id = $1 ORDER BY s.pipeline_id, "
               "s.id",
               repo_id))
        out.push_back(ordinal[r[0].c_str()] + " " + r[1].c_str() + " " + r[2].c_str() + ">" +
                      r[3].c_str() + " " + named(r[4].c_str()) + " | now " + r[5].c_str() + " " +
                      named(r[6].c_str()));
      return out;
    });
  }
};

TEST_F(PipelineBatchTest, ABurstEndsAsStoringItsPipelinesOneByOne) {
  const auto one_by_one = repo("acme/one-by-one");
  tx([&](pqxx::work& t) {
    for (const auto& p : pushes(one_by_one)) {
      const auto id = store::create_pipeline(t, p);
      store::cancel_superseded(t, p.repo_id, p.trigger, p.branch, p.pr_number, id);
    }
    return 0;
  });
  const auto batched = repo("acme/batched");
  const auto superseded = tx([&](pqxx::work& t) {
    const auto plans = pushes(batched);
    std::vector<const store::NewPipeline*> ptrs;
    for (const auto& p : plans) ptrs.push_back(&p);
    const auto ids = store::create_pipelines(t, ptrs);
    EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
    std::vector<store::Superseding> newer;
    for (std::size_t i = 0; i < ids.size(); ++i)
      newer.push_back({ids[i], plans[i].trigger, plans[i].branch, plans[i].pr_number});
    auto counts = store::cancel_superseded_by(t, batched, newer);
    // Each main push cancelled the one main push before it; dev's cancelled nothing.
    EXPECT_EQ(counts, (std::map<std::int64_t, int>{{ids[2], 1}, {ids[3], 1}}));
    return counts.size();
  });
  EXPECT_EQ(superseded, 2u);
  const auto expected = history(one_by_one);
  EXPECT_EQ(expected.size(), 18u);  // 12 planned; 2 cancelled, 2 skipped, 2 pipelines cancelled
  EXPECT_EQ(history(batched), expected);
}

TEST_F(PipelineBatchTest, DeliveriesEndTogether) {
  const auto repo_id = repo("acme/ends");
  const auto ids = tx([&](pqxx::work& t) {
    std::vector<std::int64_t> out;
    for (int i = 0; i < 3; ++i) {
      store::NewDelivery d;
      d.repo_id = repo_id;
      d.forge = "github";
      d.delivery_id = "end-" + std::to_string(i);
      d.event = "push";
      d.body = "{}";
      d.verified = true;
      d.plan_state = core::PlanState::pending;
      out.push_back(*store::insert_accepted_once(t, d));
    }
    store::finish_delivery_plans(t,
                                 {{out[0], core::PlanState::planned, ""},
                                  {out[1], core::PlanState::failed, "no .mlgate.yml at 0123456"}});
    return out;
  });
  const auto state = [&](std::int64_t id) {
    return tx([&](pqxx::work& t) {
      auto r = t.exec_params1(
          "SELECT plan_state || ' ' || coalesce(plan_error, '-') || ' ' || (planned_at IS NOT "
          "NULL) "
          "FROM webhook_deliveries WHERE id = $1",
          id);
      return r[0].as<std::string>();
    });
  };
  EXPECT_EQ(state(ids[0]), "planned - true");
  EXPECT_EQ(state(ids[1]), "failed no .mlgate.yml at 0123456 true");
  EXPECT_EQ(state(ids[2]), "pending - false");
}

}  // namespace
}  // namespace mlgate
