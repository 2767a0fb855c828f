// POST /webhooks/github and /webhooks/gitlab. The body is read by the handler itself: a delivery
// declaring more than the cap is refused with 413 and one without a signature (GitHub) or token
// (GitLab) header with 401, both before the body is read; a signed one is read up to the cap (413
// past it).
#include "server/api/routes.h"
#include "server/http/body.h"
#include "server/http/http_util.h"
#include "server/services/intake.h"

namespace mlgate::server {
namespace {

void handle(const WebhookRoutes& deps, webhooks::Forge forge, const httplib::Request& req,
            httplib::Response& res, const httplib::ContentReader& content_reader) {
  if (refuse_declared_over(req, res, deps.max_bytes)) return;
  IntakeRequest in;
  in.forge = forge;
  for (const auto& [k, v] : req.headers) in.headers[k] = v;
  if (auto refused = deps.intake.refuse_if_unsigned(in)) {
    res.set_header("Connection", "close");
    send_json(res, refused->status, refused->body);
    return;
  }
  auto body = read_body(req, res, content_reader, deps.max_bytes);
  if (!body) return;
  in.body = std::move(*body);
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
