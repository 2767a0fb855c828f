// GET /api/v1/repos/{owner}/{name}/commits/{sha}/model-card (docs/api.md, docs/model-cards.md):
// the commit's model card as JSON (with its Markdown), or as Markdown with ?format=markdown.
#include "server/services/model_cards.h"

#include "server/api/routes.h"
#include "server/http/http_util.h"
#include "server/http/repo_lookup.h"
#include "util/strings.h"

namespace mlgate::server {
namespace {

void get_model_card(const ModelCardRoutes& deps, const httplib::Request& req,
                    httplib::Response& res) {
  auto caller = deps.auth.authorize(req, res, "read");
  if (!caller) return;
  auto repo = find_repo_in_path(deps.auth, req, res, *caller);
  if (!repo) return;
  const std::string sha = util::lower(req.matches[2].str());
  auto answer = build_model_card(deps.db, deps.gate, deps.mirrors, *repo, sha);
  if (answer.refusal)
    return send_error(res, answer.refusal->status, answer.refusal->code, answer.refusal->message);
  if (req.get_param_value("format") == "markdown") {
    res.status = 200;
    res.set_content(core::model_card_markdown(answer.card), "text/markdown; charset=utf-8");
    return;
  }
  send_json(res, 200, core::model_card_json(answer.card));
}

}  // namespace

void register_model_card_routes(Router& http, const ModelCardRoutes& deps) {
  http.get(
      std::string(kApiRepoPattern) + R"(/commits/([0-9a-fA-F]{40}|[0-9a-fA-F]{64})/model-card)",
      [deps](const httplib::Request& q, httplib::Response& s) { get_model_card(deps, q, s); });
}

}  // namespace mlgate::server
