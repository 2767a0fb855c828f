// What the forge reporter works from (docs/forge-feedback.md): pipelines whose state changed
// (`feedback_due`, kept by a trigger on state_changes) and GitHub deployment protection rules
// waiting for the gate (`protection_requests`).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "core/states.h"

namespace mlgate::store {

// Marks the newest pipeline of every branch and pull request of the repo (of the last 30 days)
// due, so that their gate statuses are judged again: a deployment changed the baseline.
// Returns how many were marked.
int mark_heads_due(pqxx::work& tx, std::int64_t repo_id);

struct DuePipeline {
  std::int64_t pipeline_id = 0;
  std::int64_t seq = 0;  // changes seen; done_feedback() removes the row only if unchanged
};
// Leases up to `limit` due pipelines, oldest change first, to the caller's pass for `lease`: a pass
// of another replica skips them until done_feedback, postpone_feedback or the lease's end.
std::vector<DuePipeline> lease_due_feedback(pqxx::work& tx, int limit, std::chrono::seconds lease);
// Removes each pipeline from feedback_due unless it changed again since its `seq` was read; those
// that changed are given back for the next pass.
void done_feedback(pqxx::work& tx, const std::vector<DuePipeline>& done);
// Vacuums feedback_due, unless another session is vacuuming it. Every report deletes its row, and
// the rows deleted stay in the table and in its index until a vacuum, in front of the due ones:
// the lease reads past them on each pass (13 ms for 10,000 of them), while autovacuum looks at
// the table once a minute at most. Runs outside a transaction.
void vacuum_feedback_due(pqxx::connection& c);
// Moves the pipeline behind the others due and gives it back (reporting it failed; it is tried
// again later).
void postpone_feedback(pqxx::work& tx, std::int64_t pipeline_id);

// A pipeline's jobs as the reporter needs them.
struct FeedbackJob {
  std::string tier;
  core::JobState state = core::JobState::queued;
  std::string message;
};
struct FeedbackPipeline {
  std::int64_t id = 0;
  std::int64_t repo_id = 0;
  std::string sha;
  std::string trigger;  // push | tag | pull_request | schedule | manual
  std::string branch;   // "" for tags
  core::PipelineState state = core::PipelineState::pending;
  std::string error;
  bool latest_for_sha = true;  // no newer pipeline of the same repo and sha
  std::vector<FeedbackJob> jobs;
};
// The pipelines of `ids` that exist, by id, with their jobs (two statements for all of them).
std::vector<FeedbackPipeline> feedback_pipelines(pqxx::transaction_base& tx,
                                                 const std::vector<std::int64_t>& ids);

struct NewProtectionRequest {
  std::int64_t repo_id = 0;
  std::optional<std::int64_t> delivery_id;
  std::string sha;
  std::string environment;
  std::string callback_url;
  std::optional<std::int64_t> deployment_id;
};
// Records a request once per (repo, callback URL): a redelivery returns the existing id.
std::int64_t record_protection_request(pqxx::work& tx, const NewProtectionRequest& r);

struct ProtectionRequest {
  std::int64_t id = 0;
  std::int64_t repo_id = 0;
  std::string sha;
  std::string environment;
  std::string callback_url;
};
// Waiting requests whose check time has come, oldest first. Replicas may read the same request;
// answer_protection_request lets only one of them answer it.
std::vector<ProtectionRequest> due_protection_requests(pqxx::work& tx, int limit);
// Marks every waiting request for (repo, sha) to be checked now (the commit's pipeline changed).
void recheck_protection_requests(pqxx::work& tx, std::int64_t repo_id, const std::string& sha);
// Waits for the pipeline to change (check_after NULL), or until `seconds` from now.
void defer_protection_request(pqxx::work& tx, std::int64_t id, std::optional<double> seconds);
// False when it was answered already.
bool answer_protection_request(pqxx::work& tx, std::int64_t id, bool approved,
                               std::optional<std::int64_t> gate_decision_id,
                               const std::string& comment);

}  // namespace mlgate::store
