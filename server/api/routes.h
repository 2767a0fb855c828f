// The JSON API and the public endpoints, one file per area in server/api/. Each area's register
// function receives the services its handlers use, and nothing else (docs/architecture.md, "The
// rooms of server/"); App calls them.
#pragma once

#include <httplib.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "server/http/auth.h"
#include "server/http/change_feed.h"
#include "server/http/router.h"
#include "server/services/change_notices.h"
#include "server/services/gate_service.h"
#include "server/services/intake.h"
#include "server/services/job_wakeup.h"
#include "server/services/planner.h"
#include "store/database.h"
#include "store/migrations.h"
#include "vcs/mirror.h"

namespace mlgate::server {

// The runner protocol's timing and limits (docs/runners.md).
struct RunnerProtocolConfig {
  int lease_seconds = 60;      // a claim or heartbeat holds the job this long
  int heartbeat_seconds = 20;  // runners are told to heartbeat this often
  int max_claim_wait_seconds = 30;
  std::int64_t log_max_bytes = 8 << 20;  // the server's ceiling per attempt (runners cap at 4 MiB)
  std::size_t log_chunk_max_bytes = std::size_t{1} << 20;  // one log append (runners send <= 1 MiB)
  std::size_t junit_max_bytes = std::size_t{16} << 20;
  std::size_t metrics_max_bytes = std::size_t{4} << 20;
  std::size_t predictions_max_bytes = std::size_t{64} << 20;
  std::size_t reference_max_bytes = std::size_t{64} << 20;  // reference.jsonl
  std::size_t reference_max_rows = 100000;                  // rows of it profiled; more: refused
  // Limits a job gets when its tier sets none (sent with every claim; a tier's own value wins).
  double default_cpus = 2.0;
  std::int64_t default_memory_bytes = std::int64_t{4} << 30;
  std::int64_t default_pids = 1024;
};

// /healthz, /readyz (and /debug/sleep, /debug/throw with test endpoints on).
struct HealthRoutes {
  store::Database& db;
  const Authorizer& auth;  // /readyz gives its reason to a read token only
  const std::vector<store::Migration>& migrations;
  bool test_endpoints = false;
};
void register_health_routes(Router& http, const HealthRoutes& deps);

// POST /webhooks/github and /webhooks/gitlab.
struct WebhookRoutes {
  Intake& intake;
  std::size_t max_bytes;
};
void register_webhook_routes(Router& http, const WebhookRoutes& deps);

// Repositories and webhook deliveries (list, show, replay).
struct RepoRoutes {
  store::Database& db;
  const Authorizer& auth;
  Intake& intake;
};
void register_repo_routes(Router& http, const RepoRoutes& deps);

// The runner protocol: register, claim, heartbeat, lease, log, results, finish.
struct RunnerRoutes {
  store::Database& db;
  const Authorizer& auth;
  JobWakeup& wakeup;
  ChangeNotices& notices;  // the claims' and finishes' gate topics, sent after their commits
  const RunnerProtocolConfig& runners;
};
void register_runner_routes(Router& http, const RunnerRoutes& deps);

// Jobs seen by people: a job, its log, cancelling a job or a pipeline.
struct JobRoutes {
  store::Database& db;
  const Authorizer& auth;
};
void register_job_routes(Router& http, const JobRoutes& deps);

// Runners managed by people: the list, disable and enable, registration tokens.
struct RunnerAdminRoutes {
  store::Database& db;
  const Authorizer& auth;
};
void register_runner_admin_routes(Router& http, const RunnerAdminRoutes& deps);

// The gate, deployments and rollbacks.
struct GateRoutes {
  store::Database& db;
  const Authorizer& auth;
  GateService& gate;
  const std::vector<std::string>& notify_urls;  // forced deployments and rollbacks are told there
  const std::string& public_url;                // set before the server serves
};
void register_gate_routes(Router& http, const GateRoutes& deps);

// A commit's model card (docs/model-cards.md): GET …/commits/{sha}/model-card, JSON with the
// Markdown in "markdown" (`mlgate model-card`), or text/markdown with ?format=markdown.
struct ModelCardRoutes {
  store::Database& db;
  const Authorizer& auth;
  GateService& gate;
  vcs::MirrorCache& mirrors;
};
void register_model_card_routes(Router& http, const ModelCardRoutes& deps);

// Serving observations and late truth (docs/observations.md, "Observations").
struct ObservationConfig {
  std::size_t max_bytes = std::size_t{16} << 20;  // one batch's body
  std::size_t max_rows = 10000;                   // rows per batch
  std::size_t max_features = 500;                 // features per row (core::kProfileMaxFeatures)
  // Observation bodies read, parsed and stored at once over every connection (each costs about 12
  // times its size while it is parsed); past it 503 before the body is read. One is always let in.
  std::size_t bytes_at_once = std::size_t{32} << 20;
};
struct ObservationRoutes {
  store::Database& db;
  const Authorizer& auth;
  const ObservationConfig& config;
  bool test_endpoints = false;  // adds …/observations/parse, the benchmark's floor
};
void register_observation_routes(Router& http, const ObservationRoutes& deps);
// Whether `path` is one of those routes: they read their own body (after the token is checked).
bool is_observation_path(const std::string& path);

// On-demand runs of a tier.
struct TriggerRoutes {
  store::Database& db;
  const Authorizer& auth;
  vcs::MirrorCache& mirrors;
  const PlannerOptions& planner;
};
void register_trigger_routes(Router& http, const TriggerRoutes& deps);

// GET /metrics.
struct MetricsRoutes {
  store::Database& db;
  const Authorizer& auth;
  const RunnerProtocolConfig& runners;
};
void register_metrics_routes(Router& http, const MetricsRoutes& deps);

// Production monitors: their states, evidence and history (read).
struct MonitorRoutes {
  store::Database& db;
  const Authorizer& auth;
};
void register_monitor_routes(Router& http, const MonitorRoutes& deps);

// Staged rollouts: start (deploy --rollout), show, promote/pause/resume/abort.
struct RolloutRoutes {
  store::Database& db;
  const Authorizer& auth;
  GateService& gate;
  vcs::MirrorCache& mirrors;  // the candidate's `rollouts:` read at its sha
  const PlannerOptions& planner;
  const std::vector<std::string>& notify_urls;  // pauses, rollbacks and aborts are told there
  const std::string& public_url;                // set before the server serves
  bool commit_statuses = true;                  // mlgate/rollout/<env> on the candidate
};
void register_rollout_routes(Router& http, const RolloutRoutes& deps);

// GET …/environments/{env}/routing (what routers poll), answered from memory while the change
// feed says nothing changed (server/api/routing.cpp).
struct RoutingRoutes {
  store::Database& db;
  const Authorizer& auth;
  const ChangeFeed* changes = nullptr;  // null: every poll reads the database
};
void register_routing_routes(Router& http, const RoutingRoutes& deps);

// The pipeline and gate badges.
struct BadgeRoutes {
  store::Database& db;
  const Authorizer& auth;
};
void register_badge_routes(Router& http, const BadgeRoutes& deps);

// Pipelines, their status and log chunks.
struct StatusRoutes {
  store::Database& db;
  const Authorizer& auth;
};
void register_status_routes(Router& http, const StatusRoutes& deps);

// API tokens: create, list, revoke.
struct TokenRoutes {
  store::Database& db;
  const Authorizer& auth;
};
void register_token_routes(Router& http, const TokenRoutes& deps);

}  // namespace mlgate::server
