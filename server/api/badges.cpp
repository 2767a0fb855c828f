// Status badges (docs/badges.md), shields-style SVG from core/badge.h:
//   GET /badge/{owner}/{name}.svg?branch=B            the state of B's latest pipeline (pushes,
//                                                      schedules and manual runs; not pull
//                                                      requests)
//   GET /badge/{owner}/{name}/gate.svg?environment=E  the latest stored gate decision for E on the
//                                                      sha of that pipeline ("unknown" when none)
// B defaults to the repository's default branch (both routes take ?branch=); ?forge= picks the
// repo when its name exists on both forges. Badges follow the API's auth: anonymous only with
// --public-read, else a bearer token with the read scope. An unknown repository (or one a token
// restricted to another repository may not see) still answers an SVG ("not found", 404) so that a
// README shows something readable.

#include "core/badge.h"
#include "core/config.h"
#include "server/api/routes.h"
#include "server/http/auth.h"
#include "server/http/http_util.h"
#include "server/http/repo_lookup.h"
#include "store/gate_decisions.h"
#include "store/pipeline_queries.h"
#include "store/repos.h"

namespace mlgate::server {
namespace {

// A repository's full name: owner/name, or group/subgroup/name on GitLab.
constexpr const char* kBadgeRepo = R"(/badge/([A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)+))";

void send_svg(httplib::Response& res, int status, const core::Badge& badge) {
  res.status = status;
  res.set_header("Cache-Control", "no-cache");
  res.set_content(core::render_badge_svg(badge), "image/svg+xml; charset=utf-8");
}

bool valid_branch(const std::string& b) {
  if (b.empty() || b.size() > 255) return false;
  for (unsigned char c : b)
    if (c < 0x20 || c == 0x7F) return false;
  return true;
}

struct Head {
  std::int64_t repo_id = 0;
  std::optional<core::PipelineState> state;  // none: no pipeline on the branch
  std::string sha;
};

// Authorises the caller, finds the repo and the latest pipeline of the branch. Answers the errors
// itself and returns nullopt for them.
std::optional<Head> find_head(const BadgeRoutes& deps, const httplib::Request& req,
                              httplib::Response& res, const std::string& label) {
  auto caller = deps.auth.authorize(req, res, "read");
  if (!caller) return std::nullopt;
  const std::string name = req.matches[1].str();
  const std::string forge = req.get_param_value("forge");
  const std::string branch = req.get_param_value("branch");
  if (req.has_param("branch") && !valid_branch(branch)) {
    send_error(res, 400, "bad_request", "branch: 1 to 255 characters, no control characters");
    return std::nullopt;
  }
  const auto found = find_visible_repo(deps.auth, *caller, name, forge, is_read(req));
  if (found.matches > 1) {
    send_error(res, 409, "ambiguous_repo",
               name + " is registered for more than one forge: add ?forge=github or ?forge=gitlab");
    return std::nullopt;
  }
  if (!found.repo) {
    send_svg(res, 404, {label, "not found", "#9f9f9f"});
    return std::nullopt;
  }
  const store::RepoRow& repo = *found.repo;
  return deps.db.with([&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    Head head{repo.id, std::nullopt, ""};
    if (auto p =
            store::latest_branch_head(tx, repo.id, branch.empty() ? repo.default_branch : branch)) {
      head.state = p->state;
      head.sha = p->sha;
    }
    return head;
  });
}

void pipeline_badge(const BadgeRoutes& deps, const httplib::Request& req, httplib::Response& res) {
  auto head = find_head(deps, req, res, "mlgate");
  if (!head) return;
  send_svg(res, 200, core::pipeline_badge(head->state));
}

void gate_badge(const BadgeRoutes& deps, const httplib::Request& req, httplib::Response& res) {
  const std::string env = req.get_param_value("environment");
  const bool valid_env = core::is_environment_name(env);
  // The caller and the repository first: nothing of the request is looked at before.
  auto head = find_head(deps, req, res, valid_env ? "gate: " + env : "gate");
  if (!head) return;
  if (!valid_env)
    return send_error(res, 400, "bad_request", "environment: 1 to 100 of A-Z a-z 0-9 _ . -");
  std::string decision;
  if (!head->sha.empty()) {
    decision = deps.db.with([&](pqxx::connection& c) {
      pqxx::read_transaction tx(c);
      return store::latest_decision(tx, head->repo_id, head->sha, env).value_or("");
    });
  }
  send_svg(res, 200, core::gate_badge(env, decision));
}

}  // namespace

void register_badge_routes(Router& http, const BadgeRoutes& deps) {
  const std::string repo = kBadgeRepo;
  // The gate route first: "acme/model/gate.svg" would also match the pipeline pattern.
  http.get(repo + R"(/gate\.svg)",
           [deps](const httplib::Request& q, httplib::Response& s) { gate_badge(deps, q, s); });
  http.get(repo + R"(\.svg)",
           [deps](const httplib::Request& q, httplib::Response& s) { pipeline_badge(deps, q, s); });
}

}  // namespace mlgate::server
