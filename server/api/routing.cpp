// GET /api/v1/repos/{repo}/environments/{env}/routing (docs/rollouts.md, "Routing"): what every
// router polls — the environment's stable commit, its candidate and their split. Answered from
// memory per (repository, environment): the answer is kept with the change stamp of the topic
// 'routing:<repo id>', which the database notifies on every replica when a rollout of the
// repository starts, moves or ends or a deployment is recorded (migration 0025), and this
// replica's own writes bump at once (server/app.cpp). A kept answer is never older than
// kRoutingMaxAge, and while the change feed is down every poll reads the database.
#include <chrono>
#include <memory>
#include <string>

#include "core/rollout_state.h"
#include "server/api/routes.h"
#include "server/http/http_util.h"
#include "server/http/metrics.h"
#include "server/http/repo_lookup.h"
#include "server/http/stamped_cache.h"
#include "store/deployments.h"
#include "store/rollouts.h"

namespace mlgate::server {
namespace {

constexpr std::size_t kRoutingMaxEntries = 4096;
constexpr std::chrono::seconds kRoutingMaxAge{5};

using RoutingCache = StampedCache<std::string>;  // the answer's JSON text

// One or two queries: the environment's newest rollout, and the deployment history when none is
// under way.
core::RoutingSplit read_split(store::Database& db, std::int64_t repo_id, const std::string& env) {
  return db.with([&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    auto r = store::latest_rollout(tx, repo_id, env);
    if (r && !core::is_finished(r->state))
      return core::routing_split(r->config, r->position(), r->stable_sha, r->candidate_sha);
    core::RoutingSplit s;
    s.stable = store::deployment_state(tx, repo_id, env).current_sha.value_or("");
    return s;
  });
}

void routing(const RoutingRoutes& deps, RoutingCache& cache, const httplib::Request& req,
             httplib::Response& res) {
  auto caller = deps.auth.authorize(req, res, "read");
  if (!caller) return;
  auto repo = find_repo_in_path(deps.auth, req, res, *caller);
  if (!repo) return;
  const std::string env = req.matches[2].str();
  const std::string key = std::to_string(repo->id) + "/" + env;
  // The stamp is taken before the database is read: a change committed after it bumps it.
  const auto stamp = deps.changes ? deps.changes->stamp("routing:" + std::to_string(repo->id))
                                  : std::optional<ChangeStamp>();
  auto text = cache.get(key, stamp);
  count_cache_lookup("routing", text.has_value());
  if (!text) {
    text = json_text(core::routing_json(read_split(deps.db, repo->id, env)));
    cache.put(key, stamp, *text);
  }
  res.set_header("Cache-Control", "private, max-age=1");
  send_json_text(res, 200, *text);
}

}  // namespace

void register_routing_routes(Router& http, const RoutingRoutes& deps) {
  auto cache = std::make_shared<RoutingCache>(kRoutingMaxEntries, kRoutingMaxAge);
  http.get(std::string(kApiRepoPattern) + R"(/environments/([A-Za-z0-9_.-]{1,100})/routing)",
           [deps, cache](const httplib::Request& q, httplib::Response& s) {
             routing(deps, *cache, q, s);
           });
}

}  // namespace mlgate::server
