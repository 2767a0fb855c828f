// /healthz: the process is up. /readyz: PostgreSQL answers and every migration is applied.
#include <thread>

#include "server/api/routes.h"
#include "server/http/http_util.h"

namespace mlgate::server {

void register_health_routes(httplib::Server& http, const HealthRoutes& deps) {
  http.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });
  http.Get("/readyz", [deps](const httplib::Request&, httplib::Response& res) {
    std::string reason;
    try {
      reason = deps.db.with([&](pqxx::connection& conn) {
        return store::migrations_pending_reason(conn, deps.migrations);
      });
    } catch (const store::DatabaseUnavailable& e) {
      reason = e.what();
    } catch (const pqxx::failure& e) {
      reason = std::string("database error: ") + e.what();
    }
    if (!reason.empty()) {
      send_json(res, 503, {{"status", "unavailable"}, {"reason", reason}});
      return;
    }
    send_json(res, 200, {{"status", "ready"}});
  });
  if (deps.test_endpoints) {
    http.Get("/debug/sleep", [](const httplib::Request& req, httplib::Response& res) {
      int ms = req.has_param("ms") ? std::stoi(req.get_param_value("ms")) : 1000;
      std::this_thread::sleep_for(std::chrono::milliseconds(ms));
      send_json(res, 200, {{"slept_ms", ms}});
    });
  }
}

}  // namespace mlgate::server
