// The newest pipeline of a commit with its jobs' states, as a model card shows it
// (docs/model-cards.md).
#pragma once

#include <cstdint>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <utility>
#include <vector>

namespace mlgate::store {

struct CommitRun {
  std::int64_t pipeline_id = 0;
  std::string state;
  std::string trigger;
  std::string branch;
  std::string created_at;                                 // ISO 8601, UTC
  std::vector<std::pair<std::string, std::string>> jobs;  // tier, state; in job order
};

std::optional<CommitRun> newest_commit_run(pqxx::transaction_base& tx, std::int64_t repo_id,
                                           const std::string& sha);

}  // namespace mlgate::store
