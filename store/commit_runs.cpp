#include "store/commit_runs.h"

namespace mlgate::store {

std::optional<CommitRun> newest_commit_run(pqxx::transaction_base& tx, std::int64_t repo_id,
                                           const std::string& sha) {
  auto r = tx.exec_params(
      "SELECT id, state, trigger, branch, "
      "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
      "FROM pipelines WHERE repo_id = $1 AND sha = $2 ORDER BY id DESC LIMIT 1",
      repo_id, sha);
  if (r.empty()) return std::nullopt;
  CommitRun run;
  run.pipeline_id = r[0][0].as<std::int64_t>();
  run.state = r[0][1].as<std::string>();
  run.trigger = r[0][2].as<std::string>();
  run.branch = r[0][3].as<std::string>();
  run.created_at = r[0][4].as<std::string>();
  for (const auto& j :
       tx.exec_params("SELECT tier, state FROM jobs WHERE pipeline_id = $1 ORDER BY id LIMIT 200",
                      run.pipeline_id))
    run.jobs.emplace_back(j[0].as<std::string>(), j[1].as<std::string>());
  return run;
}

}  // namespace mlgate::store
