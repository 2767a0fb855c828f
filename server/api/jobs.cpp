// Jobs seen by people: a job's log and results (read), cancelling a job or a whole pipeline and
// approving a fork pull request's pipeline (deploy; audited). Each route reaches only a job or
// pipeline of a repository the caller may access (server/http/auth.h); runners and their tokens
// are in api/runner_admin.cpp.
#include "store/jobs.h"

#include <nlohmann/json.hpp>

#include "core/states.h"
#include "server/api/routes.h"
#include "server/http/auth.h"
#include "server/http/http_util.h"
#include "server/http/json_log.h"
#include "server/services/approval.h"
#include "server/services/audit.h"
#include "server/services/job_wakeup.h"
#include "store/job_queue.h"
#include "store/results.h"

namespace mlgate::server {
namespace {

nlohmann::json metric_value(double v) {
  if (std::isfinite(v)) return v;
  return std::isnan(v) ? "NaN" : (v > 0 ? "Infinity" : "-Infinity");
}

nlohmann::json metrics_json(const std::vector<core::Metric>& metrics) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& m : metrics) {
    nlohmann::json jm = {{"name", m.name}, {"value", metric_value(m.value)}};
    if (!m.slice_key.empty()) {
      jm["slice_key"] = m.slice_key;
      jm["slice_value"] = m.slice_value;
    }
    if (m.n) jm["n"] = *m.n;
    out.push_back(jm);
  }
  return out;
}

nlohmann::json tests_json(const std::vector<core::TestCase>& tests) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& t : tests) {
    out.push_back({{"name", t.name},
                   {"classname", t.classname},
                   {"status", core::to_string(t.status)},
                   {"time_seconds", t.time_seconds},
                   {"message", t.message},
                   {"mltest", t.mltest}});
  }
  return out;
}

nlohmann::json job_json(const store::JobDetail& j, const core::JobResults& results) {
  nlohmann::json attempts = nlohmann::json::array();
  for (const auto& a : j.attempts) {
    attempts.push_back({{"attempt", a.attempt},
                        {"runner", a.runner_id.value_or(0)},
                        {"outcome", a.outcome ? std::string(core::to_string(*a.outcome)) : ""},
                        {"started_at", a.started_at}});
  }
  return nlohmann::json{
      {"id", j.id},
      {"pipeline_id", j.pipeline_id},
      {"tier", j.tier},
      {"state", core::to_string(j.state)},
      {"attempt", j.attempt},
      {"max_attempts", j.max_attempts},
      {"runner", j.runner_id.value_or(0)},
      {"exit_code", j.exit_code ? nlohmann::json(*j.exit_code) : nlohmann::json()},
      {"message", j.message},
      {"log_bytes", j.log_bytes},
      {"log_truncated", j.log_truncated},
      // Set when the retention pass deleted the log and predictions (--log-retention-days).
      {"logs_deleted_at",
       j.logs_deleted_at ? nlohmann::json(*j.logs_deleted_at) : nlohmann::json()},
      {"results_files", nlohmann::json::parse(j.results_files_json)},
      {"results_error", j.results_error},
      {"image", j.image},
      {"timeout_seconds", j.timeout_seconds},
      {"duration_seconds",
       j.duration_seconds ? nlohmann::json(*j.duration_seconds) : nlohmann::json()},
      {"attempts", attempts},
      {"tests", tests_json(results.tests)},
      {"metrics", metrics_json(results.metrics)},
      {"predictions", results.predictions.size()}};
}

std::int64_t path_id(const httplib::Request& req) {
  return std::stoll(req.matches[1].str());
}

void get_job(const JobRoutes& deps, const httplib::Request& req, httplib::Response& res) {
  const auto id = path_id(req);
  if (!deps.auth.authorize(req, res, "read", {ResourceKind::job, id})) return;
  auto body = deps.db.with([&](pqxx::connection& c) -> std::optional<nlohmann::json> {
    pqxx::read_transaction tx(c);
    auto job = store::get_job_detail(tx, id);
    if (!job) return std::nullopt;
    return job_json(*job, store::load_results(tx, id));
  });
  if (!body) return send_error(res, 404, "not_found", "no job " + std::to_string(id));
  send_json(res, 200, *body);
}

void get_job_log(const JobRoutes& deps, const httplib::Request& req, httplib::Response& res) {
  const auto id = path_id(req);
  if (!deps.auth.authorize(req, res, "read", {ResourceKind::job, id})) return;
  const auto attempt_param = int_param(req, res, "attempt", 0, 0, 1000);
  if (!attempt_param) return;
  const int attempt = static_cast<int>(*attempt_param);
  auto log = deps.db.with([&](pqxx::connection& c) -> std::optional<std::string> {
    pqxx::read_transaction tx(c);
    if (!store::job_exists(tx, id)) return std::nullopt;
    return store::read_log(tx, id, attempt);
  });
  if (!log) return send_error(res, 404, "not_found", "no job " + std::to_string(id));
  res.status = 200;
  res.set_content(*log, "text/plain; charset=utf-8");
}

void cancel_job(const JobRoutes& deps, const httplib::Request& req, httplib::Response& res) {
  const auto id = path_id(req);
  auto caller = deps.auth.authorize(req, res, "deploy", {ResourceKind::job, id});
  if (!caller) return;
  auto state = deps.db.with([&](pqxx::connection& c) -> std::optional<std::string> {
    pqxx::work tx(c);
    auto repo_id = store::repo_of_job(tx, id);
    if (!repo_id) return std::nullopt;
    bool changed = store::request_job_cancel(tx, id, "cancelled by " + caller->name());
    if (changed) audit(tx, *caller, "job.cancel", *repo_id, {{"job", id}});
    const std::string s(core::to_string(store::job_state(tx, id)));
    tx.commit();
    return changed ? s : "ended:" + s;
  });
  if (!state) return send_error(res, 404, "not_found", "no job " + std::to_string(id));
  if (state->rfind("ended:", 0) == 0)
    return send_error(res, 409, "already_ended", "job already ended: " + state->substr(6));
  send_json(res, 202, {{"id", id}, {"state", *state}});
}

void cancel_pipeline(const JobRoutes& deps, const httplib::Request& req, httplib::Response& res) {
  const auto id = path_id(req);
  auto caller = deps.auth.authorize(req, res, "deploy", {ResourceKind::pipeline, id});
  if (!caller) return;
  auto count = deps.db.with([&](pqxx::connection& c) -> std::optional<int> {
    pqxx::work tx(c);
    auto repo_id = store::repo_of_pipeline(tx, id);
    if (!repo_id) return std::nullopt;
    int n = 0;
    // Running jobs first, then the waiting ones (whose cancel also skips their dependants).
    for (auto job : store::cancellable_jobs(tx, id)) {
      if (store::request_job_cancel(tx, job, "cancelled by " + caller->name())) ++n;
    }
    audit(tx, *caller, "pipeline.cancel", *repo_id, {{"pipeline", id}, {"jobs", n}});
    tx.commit();
    return n;
  });
  if (!count) return send_error(res, 404, "not_found", "no pipeline " + std::to_string(id));
  send_json(res, 202, {{"id", id}, {"jobs_cancelled", *count}});
}

// POST /api/v1/pipelines/{id}/approve: lets a fork pull request's pipeline run.
void approve(const JobRoutes& deps, const httplib::Request& req, httplib::Response& res) {
  const std::int64_t id = std::stoll(req.matches[1].str());
  auto caller = deps.auth.authorize(req, res, "deploy", {ResourceKind::pipeline, id});
  if (!caller) return;
  const auto answer = approve_pipeline(deps.db, *caller, id);
  send_json(res, answer.status, answer.body);
}

}  // namespace

void register_job_routes(Router& http, const JobRoutes& deps) {
  http.get(R"(/api/v1/jobs/(\d{1,18}))",
           [deps](const httplib::Request& q, httplib::Response& s) { get_job(deps, q, s); });
  http.get(R"(/api/v1/jobs/(\d{1,18})/log)",
           [deps](const httplib::Request& q, httplib::Response& s) { get_job_log(deps, q, s); });
  http.post(R"(/api/v1/jobs/(\d{1,18})/cancel)",
            [deps](const httplib::Request& q, httplib::Response& s) { cancel_job(deps, q, s); });
  http.post(
      R"(/api/v1/pipelines/(\d{1,18})/cancel)",
      [deps](const httplib::Request& q, httplib::Response& s) { cancel_pipeline(deps, q, s); });
  http.post(R"(/api/v1/pipelines/(\d{1,18})/approve)",
            [deps](const httplib::Request& q, httplib::Response& s) { approve(deps, q, s); });
}

}  // namespace mlgate::server
