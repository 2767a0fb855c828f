// Jobs and runners seen by people: runner registration tokens (admin), the runner list (read), a
// job's log and results (read), cancelling a job or a whole pipeline (deploy; audited).
#include <nlohmann/json.hpp>

#include "server/app.h"
#include "server/audit.h"
#include "server/auth.h"
#include "server/http_util.h"
#include "server/job_wakeup.h"
#include "server/json_log.h"
#include "store/job_queue.h"
#include "store/pq.h"
#include "store/results.h"
#include "store/runners.h"
#include "store/tokens.h"

namespace mlgate::server {
namespace {

nlohmann::json metric_value(double v) {
  if (std::isfinite(v)) return v;
  return std::isnan(v) ? "NaN" : (v > 0 ? "Infinity" : "-Infinity");
}

void create_runner_token(App& app, const httplib::Request& req, httplib::Response& res) {
  auto caller = authorize(app, req, res, "admin");
  if (!caller) return;
  auto body = nlohmann::json::parse(req.body.empty() ? "{}" : req.body, nullptr, false);
  std::string name = body.is_object() ? body.value("name", std::string("runners")) : "";
  if (name.empty() || name.size() > 200) {
    send_error(res, 400, "bad_request", "name: 1 to 200 characters");
    return;
  }
  const auto token = store::generate_token();
  auto id = app.db().with([&](pqxx::connection& c) {
    pqxx::work tx(c);
    auto id = store::insert_api_token(tx, name, token, {"runner-register"});
    audit(tx, *caller, "runner-token.create", std::nullopt, {{"token_id", id}, {"name", name}});
    tx.commit();
    return id;
  });
  send_json(res, 201,
            {{"id", id}, {"name", name}, {"token", token}, {"scopes", {"runner-register"}}});
}

void list_runners(App& app, const httplib::Request& req, httplib::Response& res) {
  if (!authorize(app, req, res, "read")) return;
  auto rows = app.db().with([&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    auto runners = store::list_runners(tx);
    auto online =
        tx.exec("SELECT id, last_seen_at > now() - interval '90 seconds' FROM runners ORDER BY id");
    auto running =
        tx.exec("SELECT runner_id, count(*) FROM jobs WHERE state = 'running' GROUP BY runner_id");
    nlohmann::json out = nlohmann::json::array();
    for (size_t i = 0; i < runners.size(); ++i) {
      long jobs = 0;
      for (const auto& r : running)
        if (r[0].as<std::int64_t>() == runners[i].id) jobs = r[1].as<long>();
      out.push_back({{"id", runners[i].id},
                     {"name", runners[i].name},
                     {"tiers", runners[i].tiers},
                     {"capacity", runners[i].capacity},
                     {"executor", runners[i].executor},
                     {"version", runners[i].version},
                     {"last_seen_at", runners[i].last_seen_at},
                     {"online", online[i][1].as<bool>() && !runners[i].disabled},
                     {"running_jobs", jobs}});
    }
    return out;
  });
  send_json(res, 200, {{"runners", rows}});
}

void get_job(App& app, const httplib::Request& req, httplib::Response& res) {
  if (!authorize(app, req, res, "read")) return;
  const auto id = std::stoll(req.matches[1].str());
  auto body = app.db().with([&](pqxx::connection& c) -> std::optional<nlohmann::json> {
    pqxx::read_transaction tx(c);
    auto r = tx.exec_params(
        "SELECT j.id, j.pipeline_id, j.tier, j.state, j.attempt, j.max_attempts, j.runner_id, "
        "j.exit_code, coalesce(j.message, ''), j.log_bytes, j.log_truncated, "
        "j.results_files::text, coalesce(j.results_error, ''), j.image, j.timeout_seconds, "
        "extract(epoch FROM j.finished_at - j.started_at), "
        "to_char(j.logs_deleted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
        "FROM jobs j WHERE j.id = $1",
        id);
    if (r.empty()) return std::nullopt;
    const auto& row = r[0];
    nlohmann::json attempts = nlohmann::json::array();
    for (const auto& a :
         tx.exec_params("SELECT attempt, runner_id, coalesce(outcome, ''), "
                        "to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
                        "FROM job_attempts WHERE job_id = $1 ORDER BY attempt",
                        id)) {
      attempts.push_back({{"attempt", a[0].as<int>()},
                          {"runner", store::get_optional<std::int64_t>(a[1]).value_or(0)},
                          {"outcome", a[2].as<std::string>()},
                          {"started_at", a[3].as<std::string>()}});
    }
    auto results = store::load_results(tx, id);
    nlohmann::json metrics = nlohmann::json::array();
    for (const auto& m : results.metrics) {
      nlohmann::json jm = {{"name", m.name}, {"value", metric_value(m.value)}};
      if (!m.slice_key.empty()) {
        jm["slice_key"] = m.slice_key;
        jm["slice_value"] = m.slice_value;
      }
      if (m.n) jm["n"] = *m.n;
      metrics.push_back(jm);
    }
    nlohmann::json tests = nlohmann::json::array();
    for (const auto& t : results.tests) {
      tests.push_back({{"name", t.name},
                       {"classname", t.classname},
                       {"status", core::to_string(t.status)},
                       {"time_seconds", t.time_seconds},
                       {"message", t.message},
                       {"mltest", t.mltest}});
    }
    auto exit_code = store::get_optional<int>(row[7]);
    auto duration = store::get_optional<double>(row[15]);
    return nlohmann::json{
        {"id", row[0].as<std::int64_t>()},
        {"pipeline_id", row[1].as<std::int64_t>()},
        {"tier", row[2].as<std::string>()},
        {"state", row[3].as<std::string>()},
        {"attempt", row[4].as<int>()},
        {"max_attempts", row[5].as<int>()},
        {"runner", store::get_optional<std::int64_t>(row[6]).value_or(0)},
        {"exit_code", exit_code ? nlohmann::json(*exit_code) : nlohmann::json()},
        {"message", row[8].as<std::string>()},
        {"log_bytes", row[9].as<std::int64_t>()},
        {"log_truncated", row[10].as<bool>()},
        // Set when the retention pass deleted the log and predictions (--log-retention-days).
        {"logs_deleted_at", row[16].is_null() ? nlohmann::json() : nlohmann::json(row[16].c_str())},
        {"results_files", nlohmann::json::parse(row[11].as<std::string>())},
        {"results_error", row[12].as<std::string>()},
        {"image", row[13].as<std::string>()},
        {"timeout_seconds", row[14].as<std::int64_t>()},
        {"duration_seconds", duration ? nlohmann::json(*duration) : nlohmann::json()},
        {"attempts", attempts},
        {"tests", tests},
        {"metrics", metrics},
        {"predictions", results.predictions.size()}};
  });
  if (!body) return send_error(res, 404, "not_found", "no job " + std::to_string(id));
  send_json(res, 200, *body);
}

void get_job_log(App& app, const httplib::Request& req, httplib::Response& res) {
  if (!authorize(app, req, res, "read")) return;
  const auto id = std::stoll(req.matches[1].str());
  int attempt = 0;
  try {
    if (req.has_param("attempt")) attempt = std::stoi(req.get_param_value("attempt"));
  } catch (const std::exception&) {
  }
  auto log = app.db().with([&](pqxx::connection& c) -> std::optional<std::string> {
    pqxx::read_transaction tx(c);
    if (tx.exec_params("SELECT 1 FROM jobs WHERE id = $1", id).empty()) return std::nullopt;
    return store::read_log(tx, id, attempt);
  });
  if (!log) return send_error(res, 404, "not_found", "no job " + std::to_string(id));
  res.status = 200;
  res.set_content(*log, "text/plain; charset=utf-8");
}

void cancel_job(App& app, const httplib::Request& req, httplib::Response& res) {
  auto caller = authorize(app, req, res, "deploy");
  if (!caller) return;
  const auto id = std::stoll(req.matches[1].str());
  auto state = app.db().with([&](pqxx::connection& c) -> std::optional<std::string> {
    pqxx::work tx(c);
    auto r = tx.exec_params(
        "SELECT p.repo_id FROM jobs j JOIN pipelines p ON p.id = j.pipeline_id WHERE j.id = $1",
        id);
    if (r.empty()) return std::nullopt;
    bool changed = store::request_job_cancel(tx, id, "cancelled by " + caller->name());
    if (changed) audit(tx, *caller, "job.cancel", r[0][0].as<std::int64_t>(), {{"job", id}});
    auto s = tx.exec_params1("SELECT state FROM jobs WHERE id = $1", id)[0].as<std::string>();
    tx.commit();
    return changed ? s : "ended:" + s;
  });
  if (!state) return send_error(res, 404, "not_found", "no job " + std::to_string(id));
  if (state->rfind("ended:", 0) == 0)
    return send_error(res, 409, "already_ended", "job already ended: " + state->substr(6));
  send_json(res, 202, {{"id", id}, {"state", *state}});
}

void cancel_pipeline(App& app, const httplib::Request& req, httplib::Response& res) {
  auto caller = authorize(app, req, res, "deploy");
  if (!caller) return;
  const auto id = std::stoll(req.matches[1].str());
  auto count = app.db().with([&](pqxx::connection& c) -> std::optional<int> {
    pqxx::work tx(c);
    auto p = tx.exec_params("SELECT repo_id FROM pipelines WHERE id = $1", id);
    if (p.empty()) return std::nullopt;
    int n = 0;
    // Running jobs first, then the waiting ones (whose cancel also skips their dependants).
    for (const auto& r : tx.exec_params(
             "SELECT id FROM jobs WHERE pipeline_id = $1 AND state IN ('running', 'queued', "
             "'blocked') ORDER BY state = 'running' DESC, priority",
             id)) {
      if (store::request_job_cancel(tx, r[0].as<std::int64_t>(), "cancelled by " + caller->name()))
        ++n;
    }
    audit(tx, *caller, "pipeline.cancel", p[0][0].as<std::int64_t>(),
          {{"pipeline", id}, {"jobs", n}});
    tx.commit();
    return n;
  });
  if (!count) return send_error(res, 404, "not_found", "no pipeline " + std::to_string(id));
  send_json(res, 202, {{"id", id}, {"jobs_cancelled", *count}});
}

}  // namespace

void register_job_routes(App& app) {
  auto& http = app.http();
  http.Post("/api/v1/runner-tokens", [&app](const httplib::Request& q, httplib::Response& s) {
    create_runner_token(app, q, s);
  });
  http.Get("/api/v1/runners",
           [&app](const httplib::Request& q, httplib::Response& s) { list_runners(app, q, s); });
  http.Get(R"(/api/v1/jobs/(\d{1,18}))",
           [&app](const httplib::Request& q, httplib::Response& s) { get_job(app, q, s); });
  http.Get(R"(/api/v1/jobs/(\d{1,18})/log)",
           [&app](const httplib::Request& q, httplib::Response& s) { get_job_log(app, q, s); });
  http.Post(R"(/api/v1/jobs/(\d{1,18})/cancel)",
            [&app](const httplib::Request& q, httplib::Response& s) { cancel_job(app, q, s); });
  http.Post(
      R"(/api/v1/pipelines/(\d{1,18})/cancel)",
      [&app](const httplib::Request& q, httplib::Response& s) { cancel_pipeline(app, q, s); });
}

}  // namespace mlgate::server
