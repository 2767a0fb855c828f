// The process's Prometheus metrics (docs/metrics.md): counters and the job-duration histogram kept
// in memory per process (each replica is scraped on its own), recorded through the free functions
// below from wherever the event happens. GET /metrics (server/api/metrics.cpp) adds the gauges it
// reads from PostgreSQL at scrape time and renders everything with core/prometheus_text.h.
#pragma once

#include <httplib.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "core/prometheus_text.h"

namespace mlgate::server {

// mlgate_webhook_deliveries_total{forge, verdict}: verdict as stored (accepted, duplicate,
// rejected, ignored, invalid), or "spooled" for a delivery spooled while PostgreSQL was down.
void count_webhook_delivery(const std::string& forge, const std::string& verdict);

// mlgate_webhook_unverified_dropped_total{reason} and ..._dropped_bytes_total{reason}: unverified
// deliveries deleted to keep their store within its bound, reason the allowance exceeded
// ("repo_share" or "total"); bytes as the store counts them (stored body and headers).
void count_unverified_dropped(const std::string& reason, std::int64_t rows, std::int64_t bytes);

// mlgate_webhook_group_commits_total and ..._group_committed_deliveries_total: one group commit of
// accepted deliveries (server/services/accept_group.h) and how many it stored.
void count_accept_group(std::size_t deliveries);

// mlgate_planner_bursts_total and mlgate_planner_burst_deliveries_total: one planner transaction
// over the pending deliveries of a repository, and how many it planned.
void count_planner_burst(std::size_t deliveries);

// mlgate_gate_decisions_total{environment, decision}: one per decision computed.
void count_gate_decision(const std::string& environment, const std::string& decision);

// mlgate_cache_hits_total{cache} and mlgate_cache_misses_total{cache}: an answer of an in-memory
// cache served from memory, or read from the database (cache "routing": the routing answer).
void count_cache_lookup(const std::string& cache, bool hit);

// mlgate_http_requests_total{route, status}: route is the pattern of the route that answered
// (see route_label), never the raw path.
void count_http_request(const httplib::Request& req, int status);

// The matched route's pattern for `req` after routing: the path with each captured group replaced
// by {1}, {2}, ... ("/api/v1/jobs/{1}/log"); "unmatched" when no route matched (404 from the
// router, or a request that never reached routing). Past 200 distinct labels, new ones count as
// "other", so that a route with an uncaptured wildcard cannot grow the series without bound.
std::string route_label(const httplib::Request& req);

// The HTTP server's connections (server/http/async_server.h): the gauges
// mlgate_http_open_connections and mlgate_http_parked_polls, and the counters
// mlgate_http_header_timeouts_total (a header not whole within its deadline: 408) and
// mlgate_http_refused_connections_total{reason} (reason "total" or "per_peer": over a cap), and
// mlgate_http_poll_wakeups_total (parked claims woken to look at the queue again).
void add_http_open_connections(long delta);
void count_http_poll_wakeup();
void add_http_parked_polls(long delta);
void count_http_header_timeout();
void count_http_refused_connection(const std::string& reason);

// mlgate_job_duration_seconds{tier, outcome}: a job that ran and ended, outcome its final state
// (passed, failed, timed_out, cancelled, error), duration from its start to its end.
struct JobEnd {
  std::string tier;
  std::string outcome;
  double seconds = 0;
};
void observe_job_end(const JobEnd& end);
void observe_job_ends(const std::vector<JobEnd>& ends);

// Hooks for the two places a running job ends. Both read inside the caller's transaction and
// observe nothing themselves: the caller observes after its commit, so that a rolled-back end is
// never counted.
// The runner's finish: the job's end, when finish_job ended it (nothing when it is still running).
std::optional<JobEnd> job_end(pqxx::transaction_base& tx, std::int64_t job_id);
// Lease expiry: the jobs that store::expire_leases ended in this transaction ("runner lost" after
// the last attempt). Only called when it expired some, so the scan is rare.
std::vector<JobEnd> jobs_lost_in_this_transaction(pqxx::transaction_base& tx);

// Gauges read at scrape time; database_up false (and the rest empty) when PostgreSQL did not
// answer.
// One check of an environment's production monitor (docs/monitoring.md): 1 while it alerts.
struct MonitorGauge {
  std::string repo;  // owner/name
  std::string environment;
  std::string monitor;  // the check: drift, skew, prediction_drift, missing, quality, staleness
  bool alerting = false;
};

struct ScrapeGauges {
  bool database_up = false;
  std::vector<std::pair<std::string, long>> queue_depth;  // tier → queued jobs
  long runners_online = 0;
  std::vector<MonitorGauge> monitors;
};

// Every metric family, counters and histogram from this process and the gauges given.
std::vector<core::MetricFamily> metric_families(const ScrapeGauges& gauges);

// The job-duration histogram's upper bounds in seconds (1 s to 24 h, the training budget).
const std::vector<double>& job_duration_bounds();

}  // namespace mlgate::server
