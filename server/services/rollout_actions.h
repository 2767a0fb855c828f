// A staged rollout's transitions as the API (a person's command) and the rollout worker (the
// judge's decision) both apply them (docs/rollouts.md, "On the server"), in the caller's
// transaction: the rollout moved, the event recorded with who and why, the audit entry, the
// candidate's deployment when the last stage promotes, a notification on pause, rollback and
// abort, and the commit status mlgate/rollout/<env> on the candidate.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "core/rollout_state.h"
#include "store/repos.h"
#include "store/rollouts.h"

namespace mlgate::server {

struct RolloutActionContext {
  const std::vector<std::string>& notify_urls;
  const std::string& public_url;  // "" when unknown: statuses and notifications carry no link
  bool commit_statuses = true;    // forge feedback on (repos with a forge token)
};

// Applies `step` (changed, not refused) to `rollout`; `judgement` is the judge's verdict that
// caused it, recorded as the event's evidence (null for a person's command). Returns the id of
// the candidate's deployment when the rollout completed.
std::optional<std::int64_t> apply_rollout_step(
    pqxx::work& tx, const RolloutActionContext& ctx, const store::RepoRow& repo,
    const store::RolloutRow& rollout, const core::RolloutStep& step, const std::string& actor,
    const std::string& reason, std::optional<double> score, const nlohmann::json& judgement);

// Queues the commit status mlgate/rollout/<env> for the rollout's candidate at `at` (on start and
// after each transition).
void queue_rollout_status(pqxx::work& tx, const RolloutActionContext& ctx,
                          const store::RepoRow& repo, const store::RolloutRow& rollout,
                          core::RolloutPosition at);

// The page a rollout's links point to (its API answer); "" without a public URL.
std::string rollout_url(const std::string& public_url, const store::RepoRow& repo,
                        const std::string& environment);

}  // namespace mlgate::server
