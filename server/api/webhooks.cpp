// POST /webhooks/github and /webhooks/gitlab. The body is read by the handler itself so that an
// oversized delivery is refused with 413 from its Content-Length, without reading it, and a
// chunked one is cut off at the cap.
#include "server/api/routes.h"
#include "server/http/http_util.h"
#include "server/http/json_log.h"
#include "server/services/intake.h"

namespace mlgate::server {
namespace {

void handle(const WebhookRoutes& deps, webhooks::Forge forge, const httplib::Request& req,
            httplib::Response& res, const httplib::ContentReader& content_reader) {
  IntakeRequest in;
  in.forge = forge;
  const size_t cap = deps.max_bytes;
  auto too_large = [&](const std::string& how) {
    log_event(spdlog::level::warn, "webhook refused: body too large",
              {{"forge", webhooks::to_string(forge)},
               {"cap_bytes", cap},
               {"how", how},
               {"remote", req.remote_addr}});
    res.set_header("Connection", "close");
    send_error(res, 413, "too_large", "webhook body over " + std::to_string(cap) + " bytes");
  };
  if (req.has_header("Content-Length")) {
    auto declared = std::strtoull(req.get_header_value("Content-Length").c_str(), nullptr, 10);
    if (declared > cap) return too_large("content-length");
  }
  bool over = false;
  content_reader([&](const char* data, size_t n) {
    if (in.body.size() + n > cap) {
      over = true;
      return false;
    }
    in.body.append(data, n);
    return true;
  });
  if (over) return too_large("streamed");
  for (const auto& [k, v] : req.headers) in.headers[k] = v;
  auto answer = deps.intake.receive(in);
  send_json(res, answer.status, answer.body);
}

}  // namespace

void register_webhook_routes(httplib::Server& http, const WebhookRoutes& deps) {
  http.Post("/webhooks/github", [deps](const httplib::Request& req, httplib::Response& res,
                                       const httplib::ContentReader& reader) {
    handle(deps, webhooks::Forge::github, req, res, reader);
  });
  http.Post("/webhooks/gitlab", [deps](const httplib::Request& req, httplib::Response& res,
                                       const httplib::ContentReader& reader) {
    handle(deps, webhooks::Forge::gitlab, req, res, reader);
  });
}

}  // namespace mlgate::server
