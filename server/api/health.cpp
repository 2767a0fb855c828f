// /healthz: the process is up. /readyz: PostgreSQL answers, accepts writes (a primary, not a
// standby) and every migration is applied; why not is told only to a read token's holder
// (docs/security.md, "What answers reveal").
#include <stdexcept>
#include <thread>

#include "server/api/routes.h"
#include "server/http/http_util.h"

namespace mlgate::server {

namespace {

// Empty when ready, else why not.
std::string not_ready_reason(const HealthRoutes& deps) {
  try {
    return deps.db.with([&](pqxx::connection& conn) {
      // A standby answers reads but no write: not ready (libpq's target_session_attrs keeps
      // serve's connections off standbys; this says so when the conninfo lacks it).
      std::string reason = store::read_only_reason(conn);
      return reason.empty() ? store::migrations_pending_reason(conn, deps.migrations) : reason;
    });
  } catch (const store::DatabaseUnavailable& e) {
    return e.what();
  } catch (const pqxx::failure& e) {
    return std::string("database error: ") + e.what();
  }
}

}  // namespace

void register_health_routes(Router& http, const HealthRoutes& deps) {
  http.get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });
  http.get("/readyz", [deps](const httplib::Request& req, httplib::Response& res) {
    const std::string reason = not_ready_reason(deps);
    if (reason.empty()) {
      send_json(res, 200, {{"status", "ready"}});
      return;
    }
    nlohmann::json body = {{"status", "unavailable"}};
    if (deps.auth.token_grants(req, "read")) body["reason"] = reason;
    send_json(res, 503, body);
  });
  if (deps.test_endpoints) {
    http.get("/debug/sleep", [](const httplib::Request& req, httplib::Response& res) {
      int ms = req.has_param("ms") ? std::stoi(req.get_param_value("ms")) : 1000;
      std::this_thread::sleep_for(std::chrono::milliseconds(ms));
      send_json(res, 200, {{"slept_ms", ms}});
    });
    // A handler that fails with `message`: how the tests see what a 500 reveals.
    http.get("/debug/throw", [](const httplib::Request& req, httplib::Response&) {
      throw std::runtime_error(req.has_param("message") ? req.get_param_value("message")
                                                        : "a test failure");
    });
  }
}

}  // namespace mlgate::server
