#include "server/http/metrics.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <mutex>
#include <set>

#include "core/states.h"
#include "store/jobs.h"

namespace mlgate::server {
namespace {

using Key = std::vector<std::string>;  // label values, in the family's label order

constexpr std::size_t kMaxRoutes = 200;

const double kProcessStart =
    std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();

struct JobHistogram {
  std::vector<std::uint64_t> buckets;
  double sum = 0;
};

struct Registry {
  std::mutex mu;
  std::map<Key, double> deliveries;     // forge, verdict
  std::map<Key, double> dropped;        // reason (unverified deliveries deleted)
  std::map<Key, double> dropped_bytes;  // reason
  std::map<Key, double> gate;           // environment, decision
  std::map<Key, double> groups;         // (none): group commits of accepted deliveries
  std::map<Key, double> grouped;        // (none): the deliveries they committed
  std::map<Key, double> bursts;         // (none): planner transactions over a repository's burst
  std::map<Key, double> burst_planned;  // (none): the deliveries they planned
  std::map<Key, double> http;           // route, status
  std::map<Key, double> cache_hits;     // cache
  std::map<Key, double> cache_misses;   // cache
  std::map<Key, JobHistogram> jobs;     // tier, outcome
  std::set<std::string> routes;         // route labels seen (bounded by kMaxRoutes)
  std::map<Key, double> refused;        // reason (connections refused over a cap)
  double header_timeouts = 0;
  double poll_wakeups = 0;
  long open_connections = 0;
  long parked_polls = 0;
};

Registry& registry() {
  static Registry r;
  return r;
}

void increment(std::map<Key, double>& family, Key key) {
  auto& r = registry();
  std::lock_guard lock(r.mu);
  family[std::move(key)] += 1;
}

core::MetricLabels labels(const std::vector<std::string>& names, const Key& values) {
  core::MetricLabels out;
  for (std::size_t i = 0; i < names.size(); ++i) out.emplace_back(names[i], values[i]);
  return out;
}

core::MetricFamily counter(std::string name, std::string help,
                           const std::vector<std::string>& label_names,
                           const std::map<Key, double>& values) {
  core::MetricFamily f{std::move(name), std::move(help), core::MetricType::counter};
  for (const auto& [key, value] : values) f.samples.push_back({labels(label_names, key), value});
  return f;
}

core::MetricFamily gauge(std::string name, std::string help, core::MetricLabels l, double v) {
  core::MetricFamily f{std::move(name), std::move(help), core::MetricType::gauge};
  f.samples.push_back({std::move(l), v});
  return f;
}

core::MetricFamily monitor_family(const std::vector<MonitorGauge>& gauges) {
  core::MetricFamily f{"mlgate_monitor_alerting",
                       "1 while the check of an environment's production monitor alerts, else 0, "
                       "as of its last evaluation (from PostgreSQL).",
                       core::MetricType::gauge};
  for (const auto& m : gauges) {
    f.samples.push_back({{{"repo", m.repo}, {"environment", m.environment}, {"monitor", m.monitor}},
                         m.alerting ? 1.0 : 0.0});
  }
  return f;
}

// mlgate_cache_hits_total and mlgate_cache_misses_total (the caller holds the registry's lock).
void add_cache_families(std::vector<core::MetricFamily>& out, const Registry& r) {
  out.push_back(counter("mlgate_cache_hits_total",
                        "Answers this process served from an in-memory cache, by cache.", {"cache"},
                        r.cache_hits));
  out.push_back(counter("mlgate_cache_misses_total",
                        "Answers of an in-memory cache this process read from the database, by "
                        "cache.",
                        {"cache"}, r.cache_misses));
}

JobEnd job_end_of(const store::EndedJob& e) {
  return {e.tier, std::string(core::to_string(e.state)), e.seconds};
}

}  // namespace

const std::vector<double>& job_duration_bounds() {
  static const std::vector<double> bounds = {1,    5,    15,   30,    60,    120,   300,  600,
                                             1800, 3600, 7200, 14400, 28800, 43200, 86400};
  return bounds;
}

void count_webhook_delivery(const std::string& forge, const std::string& verdict) {
  increment(registry().deliveries, {forge, verdict});
}

void count_unverified_dropped(const std::string& reason, std::int64_t rows, std::int64_t bytes) {
  auto& r = registry();
  std::lock_guard lock(r.mu);
  r.dropped[{reason}] += static_cast<double>(rows);
  r.dropped_bytes[{reason}] += static_cast<double>(bytes);
}

void count_accept_group(std::size_t deliveries) {
  auto& r = registry();
  std::lock_guard lock(r.mu);
  r.groups[{}] += 1;
  r.grouped[{}] += static_cast<double>(deliveries);
}

void count_planner_burst(std::size_t deliveries) {
  auto& r = registry();
  std::lock_guard lock(r.mu);
  r.bursts[{}] += 1;
  r.burst_planned[{}] += static_cast<double>(deliveries);
}

void count_gate_decision(const std::string& environment, const std::string& decision) {
  increment(registry().gate, {environment, decision});
}

void count_cache_lookup(const std::string& cache, bool hit) {
  increment(hit ? registry().cache_hits : registry().cache_misses, {cache});
}

std::string route_label(const httplib::Request& req) {
  const auto& m = req.matches;
  if (m.empty() || !m[0].matched) return "unmatched";
  const std::string& path = req.path;
  std::string out;
  std::size_t at = 0;  // next byte of path to copy
  for (std::size_t g = 1; g < m.size(); ++g) {
    if (!m[g].matched) continue;
    const auto begin = static_cast<std::size_t>(m.position(static_cast<int>(g)));
    if (begin < at) continue;  // inside a group already replaced
    out.append(path, at, begin - at);
    out += "{" + std::to_string(g) + "}";
    at = begin + static_cast<std::size_t>(m.length(static_cast<int>(g)));
  }
  out.append(path, std::min(at, path.size()));
  auto& r = registry();
  std::lock_guard lock(r.mu);
  if (r.routes.count(out)) return out;
  if (r.routes.size() >= kMaxRoutes) return "other";
  r.routes.insert(out);
  return out;
}

void count_http_request(const httplib::Request& req, int status) {
  increment(registry().http, {route_label(req), std::to_string(status)});
}

void add_http_open_connections(long delta) {
  auto& r = registry();
  std::lock_guard lock(r.mu);
  r.open_connections += delta;
}

void add_http_parked_polls(long delta) {
  auto& r = registry();
  std::lock_guard lock(r.mu);
  r.parked_polls += delta;
}

void count_http_header_timeout() {
  auto& r = registry();
  std::lock_guard lock(r.mu);
  r.header_timeouts += 1;
}

void count_http_poll_wakeup() {
  auto& r = registry();
  std::lock_guard lock(r.mu);
  r.poll_wakeups += 1;
}

void count_http_refused_connection(const std::string& reason) {
  increment(registry().refused, {reason});
}

void observe_job_end(const JobEnd& end) {
  if (!std::isfinite(end.seconds)) return;
  const auto& bounds = job_duration_bounds();
  auto& r = registry();
  std::lock_guard lock(r.mu);
  auto& h = r.jobs[{end.tier, end.outcome}];
  if (h.buckets.empty()) h.buckets.assign(bounds.size() + 1, 0);
  h.buckets[core::bucket_index(bounds, end.seconds)] += 1;
  h.sum += end.seconds;
}

void observe_job_ends(const std::vector<JobEnd>& ends) {
  for (const auto& e : ends) observe_job_end(e);
}

std::optional<JobEnd> job_end(pqxx::transaction_base& tx, std::int64_t job_id) {
  auto end = store::ended_job(tx, job_id);
  if (!end) return std::nullopt;
  return job_end_of(*end);
}

std::vector<JobEnd> jobs_lost_in_this_transaction(pqxx::transaction_base& tx) {
  std::vector<JobEnd> out;
  for (const auto& e : store::jobs_lost_in_this_transaction(tx)) out.push_back(job_end_of(e));
  return out;
}

std::vector<core::MetricFamily> metric_families(const ScrapeGauges& gauges) {
  std::vector<core::MetricFamily> out;
  auto& r = registry();
  {
    std::lock_guard lock(r.mu);
    out.push_back(counter("mlgate_webhook_deliveries_total",
                          "Webhook deliveries answered by this process, by forge and verdict.",
                          {"forge", "verdict"}, r.deliveries));
    out.push_back(counter("mlgate_webhook_unverified_dropped_total",
                          "Unverified webhook deliveries deleted by this process to keep their "
                          "store within its bound, by the allowance exceeded.",
                          {"reason"}, r.dropped));
    out.push_back(counter("mlgate_webhook_unverified_dropped_bytes_total",
                          "Bytes (stored body and headers) of the unverified webhook deliveries "
                          "deleted by this process to keep their store within its bound.",
                          {"reason"}, r.dropped_bytes));
    out.push_back(counter("mlgate_webhook_group_commits_total",
                          "Transactions in which this process committed accepted webhook "
                          "deliveries together (group commit).",
                          {}, r.groups));
    out.push_back(counter("mlgate_webhook_group_committed_deliveries_total",
                          "Accepted webhook deliveries those group commits stored.", {},
                          r.grouped));
    out.push_back(counter("mlgate_planner_bursts_total",
                          "Transactions in which this process's planner planned pending "
                          "deliveries of one repository together.",
                          {}, r.bursts));
    out.push_back(counter("mlgate_planner_burst_deliveries_total",
                          "Deliveries those planner transactions planned.", {}, r.burst_planned));
    out.push_back(counter("mlgate_gate_decisions_total",
                          "Gate decisions computed by this process, by environment and decision.",
                          {"environment", "decision"}, r.gate));
    out.push_back(counter("mlgate_http_requests_total",
                          "HTTP requests answered by this process, by route pattern and status.",
                          {"route", "status"}, r.http));
    add_cache_families(out, r);
    out.push_back(counter("mlgate_http_refused_connections_total",
                          "Connections this process refused at accept, over the total or the "
                          "per-peer cap.",
                          {"reason"}, r.refused));
    out.push_back(counter("mlgate_http_header_timeouts_total",
                          "Requests whose header did not arrive whole within its deadline (408).",
                          {}, {{Key{}, r.header_timeouts}}));
    out.push_back(counter("mlgate_http_poll_wakeups_total",
                          "Parked runner claims woken to look at the queue again.", {},
                          {{Key{}, r.poll_wakeups}}));
    out.push_back(gauge("mlgate_http_open_connections", "Client connections open now.", {},
                        static_cast<double>(r.open_connections)));
    out.push_back(gauge("mlgate_http_parked_polls",
                        "Runner claims waiting for a job now (parked: no thread held).", {},
                        static_cast<double>(r.parked_polls)));
    core::MetricFamily jobs{"mlgate_job_duration_seconds",
                            "Duration of jobs that ran and ended, from start to end, by tier and "
                            "outcome (observed by the process that recorded the end).",
                            core::MetricType::histogram};
    jobs.bounds = job_duration_bounds();
    for (const auto& [key, h] : r.jobs)
      jobs.histograms.push_back({labels({"tier", "outcome"}, key), h.buckets, h.sum});
    out.push_back(std::move(jobs));
  }
  core::MetricFamily depth{"mlgate_queue_depth", "Jobs queued, by tier (from PostgreSQL).",
                           core::MetricType::gauge};
  for (const auto& [tier, n] : gauges.queue_depth)
    depth.samples.push_back({{{"tier", tier}}, static_cast<double>(n)});
  out.push_back(std::move(depth));
  core::MetricFamily online{"mlgate_runners_online",
                            "Enabled runners seen within two lease periods (from PostgreSQL).",
                            core::MetricType::gauge};
  if (gauges.database_up)
    online.samples.push_back({{}, static_cast<double>(gauges.runners_online)});
  out.push_back(std::move(online));
  out.push_back(monitor_family(gauges.monitors));
  out.push_back(gauge("mlgate_database_up",
                      "1 when PostgreSQL answered this scrape's queries, else 0.", {},
                      gauges.database_up ? 1 : 0));
  out.push_back(gauge("process_start_time_seconds",
                      "Start time of the process since the Unix epoch in seconds.", {},
                      kProcessStart));
  return out;
}

}  // namespace mlgate::server
