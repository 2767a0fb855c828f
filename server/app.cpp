#include "server/app.h"

#include <algorithm>
#include <chrono>
#include <string_view>

#include "server/http/body.h"
#include "server/http/json_log.h"
#include "server/http/metrics.h"
#include "server/pages/model_card.h"
#include "server/pages/pages.h"
#include "server/services/gate_service.h"
#include "server/services/intake.h"
#include "server/services/job_wakeup.h"
#include "server/services/spool.h"
#include "server/workers/forge_feedback.h"
#include "server/workers/maintenance.h"
#include "store/deliveries.h"
#include "store/job_queue.h"

namespace mlgate::server {
namespace {

// A request that may have changed what the caches keep (any call but a read, a runner's heartbeat
// or log chunk, a claim that got no job, a serving observation or its truth, a refusal, and a
// webhook: intake plans later, and the planner's commits notify) makes this replica's caches read
// the database again, before the answer is sent.
void forget_local_write(ChangeFeed& changes, const httplib::Request& req,
                        const httplib::Response& res) {
  if (req.method == "GET" || req.method == "HEAD" || req.path.rfind("/webhooks/", 0) == 0) return;
  if (res.status >= 400) return;  // refused or failed: rolled back
  if (res.status == 204 && req.path == "/api/v1/runner/jobs/request") return;  // no job claimed
  const std::string_view path = req.path;
  if (path.starts_with("/api/v1/runner/jobs/") &&
      (path.ends_with("/heartbeat") || path.ends_with("/log")))
    return;
  // Serving observations and their truth change nothing these caches keep (the monitor worker's
  // and the rollout judge's commits notify through the triggers); a serving fleet posts them all
  // the time, and would otherwise empty every cache many times a second.
  if (path.starts_with("/api/v1/repos/") &&
      (path.ends_with("/observations") || path.ends_with("/observations/truth")))
    return;
  for (const char* topic : {"gate:*", "routing:*", "tokens", "repos"}) changes.changed(topic);
  // The runner protocol's own calls change no runner row (registering adds one nobody cached).
  if (!path.starts_with("/api/v1/runner/")) changes.changed("runners");
}

}  // namespace

App::App(AppConfig config, store::Database& db, const std::vector<store::Migration>& migrations)
    : config_(std::move(config)), db_(db), migrations_(migrations) {
  mirrors_ = std::make_unique<vcs::MirrorCache>(config_.data_dir / "mirrors");
  spool_ = std::make_unique<Spool>(config_.data_dir / "spool", config_.spool_max_bytes);
  planner_ = std::make_unique<Planner>(db_, *mirrors_, config_.planner);
  changes_ = std::make_unique<ChangeFeed>(db_);
  auth_ = std::make_unique<Authorizer>(db_, config_.public_read, changes_.get());
  intake_ = std::make_unique<Intake>(db_, *spool_, planner_.get(), config_.unverified_deliveries,
                                     auth_.get());
  wakeup_ = std::make_unique<JobWakeup>(db_);
  notices_ = std::make_unique<ChangeNotices>(db_);
  scheduler_ = std::make_unique<Scheduler>(db_, *mirrors_, config_.planner, config_.scheduler);
  gate_ =
      std::make_unique<GateService>(db_, *mirrors_, config_.planner.config_path, changes_.get());
  maintenance_ = std::make_unique<Maintenance>(
      db_, *spool_, *intake_, *planner_,
      MaintenanceOptions{config_.delivery_retention_days, config_.retention,
                         config_.observation_retention_days});
  feedback_ = std::make_unique<ForgeFeedback>(db_, *gate_, config_.forge);
  monitors_ = std::make_unique<MonitorWorker>(db_, *mirrors_, config_.planner, config_.forge,
                                              config_.monitors);
  rollouts_ = std::make_unique<RolloutWorker>(db_, config_.forge, config_.rollouts);
  register_routes();
  http_ = std::make_unique<AsyncServer>(router_, config_.http, hooks());
  // A job that may have become claimable wakes the parked claims (server/http/router.h, Park).
  wakeup_->on_change([server = http_.get()](std::uint64_t g) { server->notify_change(g); });
}

namespace {

// An answer never carries an exception's text (it may hold SQL, libpq's words, paths): a 500 says
// "internal error" and an id that the log line of the error also carries (docs/security.md).
void answer_exception(const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
  std::string what = "unknown error";
  try {
    std::rethrow_exception(ep);
  } catch (const store::DatabaseUnavailable& e) {
    log_event(spdlog::level::warn, "request failed: database unavailable",
              {{"path", req.path}, {"error", e.what()}});
    send_error(res, 503, "database_unavailable", "database unavailable");
    return;
  } catch (const nlohmann::json::type_error& e) {
    // A field of the request's JSON body with the wrong type (a number where a string goes, ...)
    // that a handler read without checking: the client's error, not ours.
    log_event(spdlog::level::info, "request with a wrongly typed field",
              {{"path", req.path}, {"error", e.what()}});
    send_error(res, 400, "bad_request",
               std::string("a field of the request has the wrong type: ") + e.what());
    return;
  } catch (const std::exception& e) {
    what = e.what();
  }
  const std::string id = new_error_id();
  log_event(spdlog::level::err, "request failed",
            {{"path", req.path}, {"error_id", id}, {"error", what}});
  send_error(res, 500, "internal", "internal error (id " + id + ")");
}

void log_request(const httplib::Request& req, const httplib::Response& res, double ms) {
  count_http_request(req, res.status);
  nlohmann::json fields = {{"method", req.method},        {"path", req.path},
                           {"status", res.status},        {"ms", ms},
                           {"remote", req.remote_addr},   {"bytes_in", req.body.size()},
                           {"bytes_out", res.body.size()}};
  log_event(res.status >= 500 ? spdlog::level::warn : spdlog::level::info, "http", fields);
}

}  // namespace

ServerHooks App::hooks() {
  ServerHooks h;
  // The webhook and runner routes read their bodies themselves after authentication, each with
  // its own limit; every other route is held to kDefaultBodyMaxBytes before its body is read.
  h.pre_routing = [](const httplib::Request& req, httplib::Response& res) {
    static const std::vector<std::string> self_reading = {"/webhooks/", "/api/v1/runner/"};
    if (is_observation_path(req.path)) return false;  // its own limit, after the token
    return refuse_other_body(req, res, self_reading);
  };
  // A write through this replica is seen by its own caches before its answer is written; the
  // database's notification (other replicas) follows in milliseconds.
  h.logger = [changes = changes_.get()](const httplib::Request& req, const httplib::Response& res,
                                        double ms) {
    forget_local_write(*changes, req, res);
    log_request(req, res, ms);
  };
  h.exception = answer_exception;
  h.error = [](const httplib::Request&, httplib::Response& res) {
    if (res.status == 404)
      send_error(res, 404, "not_found", "no such route");
    else if (res.status == 405)
      send_error(res, 405, "method_not_allowed",
                 "this route takes " + res.get_header_value("Allow"));
    else if (res.status == 413)
      send_error(res, 413, "too_large", "request body too large");
  };
  h.recheck_needed = [wakeup = wakeup_.get()] { return !wakeup->listening(); };
  return h;
}

void App::register_routes() {
  auto& db = db_;
  const Authorizer& auth = *auth_;
  Router& http = router_;
  register_health_routes(http, {db, auth, migrations_, config_.test_endpoints});
  register_webhook_routes(http, {*intake_, config_.webhook_max_bytes});
  register_repo_routes(http, {db, auth, *intake_});
  register_runner_routes(http, {db, auth, *wakeup_, *notices_, config_.runners});
  register_job_routes(http, {db, auth});
  register_runner_admin_routes(http, {db, auth});
  register_gate_routes(http,
                       {db, auth, *gate_, config_.forge.notify_urls, config_.forge.public_url});
  register_model_card_routes(http, {db, auth, *gate_, *mirrors_});
  register_observation_routes(http, {db, auth, config_.observations, config_.test_endpoints});
  register_trigger_routes(http, {db, auth, *mirrors_, config_.planner});
  register_metrics_routes(http, {db, auth, config_.runners});
  register_monitor_routes(http, {db, auth});
  register_rollout_routes(http,
                          {db, auth, *gate_, *mirrors_, config_.planner, config_.forge.notify_urls,
                           config_.forge.public_url, config_.forge.enabled});
  register_routing_routes(http, {db, auth, changes_.get()});
  register_badge_routes(http, {db, auth});
  register_status_routes(http, {db, auth});
  register_token_routes(http, {db, auth});
  // Before the pages: the repository page's route would take the card's path for a repo name.
  pages::register_model_card_page(http, {db, auth, *gate_, *mirrors_});
  pages::register_page_routes(http, {db, auth});
}

App::~App() {
  wakeup_->on_change(nullptr);
  stop_background();
}

void App::start_background() {
  changes_->start();
  notices_->start();
  planner_->start();
  wakeup_->start();
  scheduler_->start();
  monitors_->start();
  rollouts_->start();
  feedback_->start();
  maintenance_->start();
}

void App::stop_background() {
  if (maintenance_) maintenance_->stop();
  if (scheduler_) scheduler_->stop();
  if (monitors_) monitors_->stop();
  if (rollouts_) rollouts_->stop();
  if (feedback_) feedback_->stop();
  if (planner_) planner_->stop();
  if (wakeup_) wakeup_->stop();
  if (notices_) notices_->stop();
  if (changes_) changes_->stop();
}

void App::maintenance_tick() {
  maintenance_->tick();
}

int App::bind(const ListenAddress& address) {
  const int port = http_->bind(address.host, address.port);
  if (config_.forge.public_url.empty()) {
    const bool any = address.host.empty() || address.host == "0.0.0.0" || address.host == "::";
    const std::string host = any ? "127.0.0.1" : address.host;
    const bool v6 = host.find(':') != std::string::npos;
    // Before the server serves: the routes read it without a lock.
    config_.forge.public_url =
        "http://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
  }
  feedback_->set_public_url(config_.forge.public_url);
  return port;
}

void App::run() {
  http_->run();
}

void App::stop() {
  wakeup_->stop();  // a claim under way answers "no job" rather than park
  http_->stop();    // parked claims answer now, not in 30 s
}

}  // namespace mlgate::server
