// GET /metrics: the Prometheus text format 0.0.4 (docs/metrics.md). Counters and the job-duration
// histogram are this process's own (server/http/metrics.h); queue depth and runners online are read
// from PostgreSQL at scrape time, two indexed counts, and each production monitor's checks from
// its last evaluation (mlgate_monitor_alerting). Scraping follows the API's auth: a bearer
// token with the read scope, or anonymous with --public-read. PostgreSQL being down does not fail
// the scrape: the process's counters are still answered, with mlgate_database_up 0.
#include "server/http/metrics.h"

#include <algorithm>

#include "server/api/routes.h"
#include "server/http/auth.h"
#include "server/http/json_log.h"
#include "store/job_queue.h"
#include "store/monitors.h"
#include "store/runners.h"

namespace mlgate::server {
namespace {

// One gauge per check of each monitor: 1 for the checks that alerted at its last evaluation.
std::vector<MonitorGauge> monitor_gauges(const std::vector<store::MonitorStateRow>& rows) {
  std::vector<MonitorGauge> out;
  for (const auto& row : rows) {
    for (const auto& kind : row.kinds) {
      const bool alerting = std::find(row.alerting_kinds.begin(), row.alerting_kinds.end(), kind) !=
                            row.alerting_kinds.end();
      out.push_back({row.repo, row.environment, kind, alerting});
    }
  }
  return out;
}

ScrapeGauges read_gauges(const MetricsRoutes& deps) {
  ScrapeGauges g;
  try {
    deps.db.with([&](pqxx::connection& c) {
      pqxx::read_transaction tx(c);
      g.queue_depth = store::queue_depth(tx);
      // A runner polls at least every max_claim_wait and heartbeats within a lease: one missed
      // lease is a slow network, two is a runner gone.
      g.runners_online = store::count_runners_seen_within(tx, 2 * deps.runners.lease_seconds);
      g.monitors = monitor_gauges(store::list_monitor_states(tx, std::nullopt));
    });
    g.database_up = true;
  } catch (const store::DatabaseUnavailable& e) {
    log_event(spdlog::level::warn, "metrics: database unavailable", {{"error", e.what()}});
    g = ScrapeGauges{};
  } catch (const pqxx::failure& e) {
    log_event(spdlog::level::warn, "metrics: database error", {{"error", e.what()}});
    g = ScrapeGauges{};
  }
  return g;
}

}  // namespace

void register_metrics_routes(Router& http, const MetricsRoutes& deps) {
  http.get("/metrics", [deps](const httplib::Request& req, httplib::Response& res) {
    if (!deps.auth.authorize(req, res, "read")) return;
    res.set_header("Cache-Control", "no-cache");
    res.set_content(core::render_prometheus_text(metric_families(read_gauges(deps))),
                    "text/plain; version=0.0.4; charset=utf-8");
  });
}

}  // namespace mlgate::server
