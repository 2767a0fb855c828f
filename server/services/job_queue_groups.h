// Group commit of the runner protocol's claims and finishes (docs/runners.md, "Claims and finishes
// in groups"): the claims that arrive together are served by one statement and one commit
// (store::claim_jobs), and so are the finishes (store::finish_jobs_alone), instead of one
// WAL-flushed commit each. A claim or finish that arrives alone runs at once (GroupRunner). Each
// caller returns after its group's commit, so a runner is answered only with what is durable; a
// finish the group left alone (no longer held, or its pipeline has blocked jobs) is then ended in
// a transaction of its own, as before, without holding back the group.
#pragma once

#include <optional>
#include <vector>

#include "server/services/group_runner.h"
#include "store/database.h"
#include "store/job_queue.h"

namespace mlgate::server {

class JobQueueGroups {
 public:
  explicit JobQueueGroups(store::Database& db, GroupOptions options = {});
  JobQueueGroups(const JobQueueGroups&) = delete;
  JobQueueGroups& operator=(const JobQueueGroups&) = delete;

  // store::claim_job, in the next group of claims; committed when it returns.
  std::optional<store::ClaimedJob> claim(const store::ClaimRequest& request);
  // store::finish_job, in the next group of finishes; committed when it returns.
  store::FinishResult finish(const store::FinishRequest& request);

  GroupStats claim_stats() const { return claims_.stats(); }
  GroupStats finish_stats() const { return finishes_.stats(); }

 private:
  using ClaimAnswer = std::optional<store::ClaimedJob>;
  using FinishAnswer = std::optional<store::FinishResult>;

  std::vector<ClaimAnswer> claim_group(const std::vector<const store::ClaimRequest*>& group);
  std::vector<FinishAnswer> finish_group(const std::vector<const store::FinishRequest*>& group);

  store::Database& db_;
  GroupRunner<store::ClaimRequest, ClaimAnswer> claims_;
  GroupRunner<store::FinishRequest, FinishAnswer> finishes_;
};

}  // namespace mlgate::server
