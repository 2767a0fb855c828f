#include "server/app.h"

#include <chrono>

#include "server/json_log.h"

namespace mlgate::server {
namespace {

thread_local std::chrono::steady_clock::time_point request_start;

}  // namespace

App::App(AppConfig config, store::Database& db, const std::vector<store::Migration>& migrations)
    : config_(std::move(config)), db_(db), migrations_(migrations) {
  apply_tuning(http_, config_.http);
  http_.set_pre_routing_handler([](const httplib::Request&, httplib::Response&) {
    request_start = std::chrono::steady_clock::now();
    return httplib::Server::HandlerResponse::Unhandled;
  });
  http_.set_logger([](const httplib::Request& req, const httplib::Response& res) {
    double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - request_start)
            .count();
    nlohmann::json fields = {{"method", req.method},        {"path", req.path},
                             {"status", res.status},        {"ms", ms},
                             {"remote", req.remote_addr},   {"bytes_in", req.body.size()},
                             {"bytes_out", res.body.size()}};
    log_event(res.status >= 500 ? spdlog::level::warn : spdlog::level::info, "http", fields);
  });
  http_.set_exception_handler(
      [](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unknown error";
        try {
          std::rethrow_exception(ep);
        } catch (const store::DatabaseUnavailable& e) {
          send_error(res, 503, "database_unavailable", e.what());
          return;
        } catch (const std::exception& e) {
          what = e.what();
        }
        log_event(spdlog::level::err, "request failed", {{"path", req.path}, {"error", what}});
        send_error(res, 500, "internal", what);
      });
  http_.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.body.empty()) {
      if (res.status == 404)
        send_error(res, 404, "not_found", "no such route");
      else if (res.status == 413)
        send_error(res, 413, "too_large", "request body too large");
    }
  });
  register_health_routes(*this);
}

int App::bind(const ListenAddress& address) {
  int port = address.port;
  if (port == 0) {
    port = http_.bind_to_any_port(address.host);
  } else if (!http_.bind_to_port(address.host, port)) {
    port = -1;
  }
  if (port <= 0) {
    throw std::runtime_error("cannot listen on " + address.host + ":" +
                             std::to_string(address.port) + " (address in use, or not allowed)");
  }
  return port;
}

void App::run() {
  http_.listen_after_bind();
}

void App::stop() {
  http_.stop();
}

}  // namespace mlgate::server
