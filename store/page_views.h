// The read models of the server-rendered pages (docs/pages.md): one load function per page, each
// returning plain rows. What the pages make of them (merges, baselines, deltas) is core logic
// (core/pipeline_view.h, core/repo_view.h); the handlers only fill the templates.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "core/repo_view.h"
#include "core/results.h"
#include "core/states.h"
#include "store/deployments.h"
#include "store/pipeline_queries.h"
#include "store/repos.h"

namespace mlgate::store {

struct TierStateRow {
  std::string tier;
  core::JobState state = core::JobState::blocked;
};

// ---- Dashboard

// The newest stored gate decision of a commit for one environment (allow, deny, pending).
struct GateBadge {
  std::string environment;
  std::string decision;
};

struct DashboardPipeline {
  std::int64_t id = 0;
  core::PipelineState state = core::PipelineState::pending;
  std::string sha;
  std::string commit_message;
  std::string created_at;           // ISO 8601 UTC
  std::vector<TierStateRow> tiers;  // in tier order
  std::vector<GateBadge> gates;     // by environment
};
struct DashboardRepo {
  RepoSummary repo;
  std::optional<DashboardPipeline> head;  // the newest pipeline of the default branch
};
struct QueueDepth {
  std::string tier;
  long queued = 0;
  long running = 0;
};
struct DashboardRunner {
  std::string name;
  std::string executor;
  long capacity = 0;
  bool online = false;       // seen within 90 s and not disabled
  std::string last_seen_at;  // ISO 8601 UTC
  long running_jobs = 0;
};
struct DashboardView {
  std::vector<DashboardRepo> repos;  // the visible ones
  std::vector<QueueDepth> queue;     // functionality, validation, training
  std::vector<DashboardRunner> runners;
};
DashboardView load_dashboard(pqxx::transaction_base& tx,
                             const std::function<bool(std::int64_t repo_id)>& visible);

// ---- Repository

struct RepoPipelineRow {
  std::int64_t id = 0;
  core::PipelineState state = core::PipelineState::pending;
  std::string sha;
  std::string commit_message;
  std::string author;
  std::string branch;
  std::optional<double> duration_seconds;  // up to now while it runs
  std::vector<TierStateRow> tiers;
  std::vector<GateBadge> gates;  // by environment
};
struct RepoPageView {
  std::vector<DeploymentRow> deployments;  // newest first
  // The newest pipeline of each commit deployed now somewhere (sha -> pipeline id).
  std::map<std::string, std::int64_t> current_pipelines;
  std::vector<std::string> branches;              // the 20 most recently built branches
  std::vector<core::TrendCommit> trend_commits;   // the branch's last n commits, oldest first
  std::vector<core::MetricSample> trend_samples;  // their global metrics
  std::vector<RepoPipelineRow> pipelines;         // the latest `pipelines` pipelines
};
RepoPageView load_repo_page(pqxx::transaction_base& tx, std::int64_t repo_id,
                            const std::string& branch, int trend_commits, int pipelines);

// ---- Job

struct JobPageAttempt {
  int attempt = 0;
  std::string runner;  // "" when not known
  std::string started_at;
  std::optional<core::AttemptOutcome> outcome;  // nullopt while it runs or when it ended without
  bool ended = false;
};
struct JobPageView {
  std::int64_t id = 0;
  std::int64_t repo_id = 0;
  std::string repo_name;
  std::int64_t pipeline_id = 0;
  std::string sha;
  std::string tier;
  core::JobState state = core::JobState::blocked;
  std::string image;
  int attempt = 0;
  int max_attempts = 0;
  std::string runner;  // the current or the last attempt's runner; "" when none
  std::optional<int> exit_code;
  std::string message;
  std::string results_error;
  std::string results_files_json;  // file name -> size
  std::int64_t log_bytes = 0;
  bool log_truncated = false;
  std::optional<std::string> logs_deleted_at;
  std::optional<double> duration_seconds;  // up to now while it runs
  double timeout_seconds = 0;
  long tests = 0;  // stored result rows
  long metrics = 0;
  long predictions = 0;
  int repeat = 0;   // MLGATE_REPEAT of a tier with `repeat: N`
  int repeats = 1;  // the pipeline's jobs of this tier
  std::vector<JobPageAttempt> attempts;
};
std::optional<JobPageView> load_job_page(pqxx::transaction_base& tx, std::int64_t job_id);

// ---- Pipeline

struct PipelineJobRow {
  std::int64_t id = 0;
  std::string tier;
  core::JobState state = core::JobState::blocked;
  int attempt = 0;
  int max_attempts = 0;
  std::string runner;  // "" when none
  std::optional<int> exit_code;
  std::optional<double> duration_seconds;
  std::string note;  // the results error, else the message
  int repeat = 0;    // MLGATE_REPEAT of a tier with `repeat: N`
  int repeats = 1;   // the pipeline's jobs of this tier
};
struct PipelinePageView {
  std::vector<PipelineJobRow> jobs;                // in tier order
  std::map<std::string, long> test_counts;         // status -> test cases
  std::vector<FailingTest> failing;                // at most 200
  std::vector<GateDecisionRow> decisions;          // the latest per environment of the commit
  std::vector<std::string> deployed_environments;  // deployed to last first
  core::JobResults results;                        // the pipeline's own jobs, tiers merged
};
PipelinePageView load_pipeline_page(pqxx::transaction_base& tx, const PipelineStatus& pipeline);

// The commit deployed now to `environment` and its results as the gate reads them.
struct PageBaseline {
  std::optional<std::string> sha;           // nullopt: nothing deployed there
  std::optional<std::int64_t> pipeline_id;  // the deployed commit's newest pipeline
  core::JobResults results;                 // empty without a pipeline
};
PageBaseline load_page_baseline(pqxx::transaction_base& tx, std::int64_t repo_id,
                                const std::string& environment);

}  // namespace mlgate::store
