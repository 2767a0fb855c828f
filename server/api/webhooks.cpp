// POST /webhooks/github and /webhooks/gitlab. The server reads the body whole before the handler
// runs (Router::post_buffered: the sender is not known until the signature over the body is
// checked, so a slow sender must not hold a handler thread), up to the cap: a delivery declaring
// more is refused with 413 without being read, a chunked one is cut off at the cap, and the bodies
// being read at once share the server's budget (503 past it). Intake peeks the repository's name
// with a depth-bounded parse, verifies the signature with that repository's secret, and only then
// parses the whole payload.
#include "server/api/routes.h"
#include "server/http/body.h"
#include "server/http/http_util.h"
#include "server/services/intake.h"

namespace mlgate::server {
namespace {

void handle(const WebhookRoutes& deps, webhooks::Forge forge, const httplib::Request& req,
            httplib::Response& res, const httplib::ContentReader& content_reader) {
  IntakeRequest in;
  in.forge = forge;
  for (const auto& [k, v] : req.headers) in.headers[k] = v;
  auto body = read_body(req, res, content_reader, deps.max_bytes);
  if (!body) return;
  in.body = std::move(*body);
  auto answer = deps.intake.receive(in);
  send_json(res, answer.status, answer.body);
}

}  // namespace

void register_webhook_routes(Router& http, const WebhookRoutes& deps) {
  http.post_buffered("/webhooks/github", deps.max_bytes,
                     [deps](const httplib::Request& req, httplib::Response& res,
                            const httplib::ContentReader& reader) {
                       handle(deps, webhooks::Forge::github, req, res, reader);
                     });
  http.post_buffered("/webhooks/gitlab", deps.max_bytes,
                     [deps](const httplib::Request& req, httplib::Response& res,
                            const httplib::ContentReader& reader) {
                       handle(deps, webhooks::Forge::gitlab, req, res, reader);
                     });
}

}  // namespace mlgate::server
