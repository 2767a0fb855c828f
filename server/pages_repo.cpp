// A repository's page (GET /repos/{owner}/{name}[?branch=B&n=N]): what is deployed where (and the
// history), metric trend plots across the last N commits of a branch with the deployed commits
// ringed (core/trend_svg.h), and the latest pipelines with their tiers.
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "core/trend_svg.h"
#include "server/app.h"
#include "server/pages.h"
#include "store/deployments.h"
#include "store/pipeline_queries.h"
#include "store/pq.h"
#include "store/repos.h"

namespace mlgate::server::pages {
namespace {

constexpr int kDefaultTrendCommits = 20;
constexpr int kPipelinesShown = 50;

int trend_commits(const httplib::Request& req) {
  if (!req.has_param("n")) return kDefaultTrendCommits;
  try {
    return std::clamp(std::stoi(req.get_param_value("n")), 2, 200);
  } catch (const std::exception&) {
    return kDefaultTrendCommits;
  }
}

void add_trends(pqxx::read_transaction& tx, ctemplate::TemplateDictionary& c, std::int64_t repo_id,
                const std::string& branch, int n, const std::map<std::string, std::string>& marks) {
  // The latest pipeline of each of the branch's last n commits, oldest first.
  std::vector<std::pair<std::int64_t, std::string>> commits;
  for (const auto& r :
       tx.exec_params("SELECT id, sha FROM (SELECT DISTINCT ON (sha) id, sha FROM pipelines "
                      "WHERE repo_id = $1 AND branch = $2 ORDER BY sha, id DESC) latest "
                      "ORDER BY id DESC LIMIT $3",
                      repo_id, branch, n))
    commits.emplace_back(r[0].as<std::int64_t>(), r[1].as<std::string>());
  std::reverse(commits.begin(), commits.end());
  std::vector<std::string> ids;
  for (const auto& [id, sha] : commits) ids.push_back(std::to_string(id));

  // Global metrics, tiers merged as the gate merges them: the later tier's value wins.
  std::vector<std::string> names;  // in order of first appearance
  std::map<std::string, std::map<std::int64_t, double>> values;
  for (const auto& r : tx.exec_params(
           "SELECT j.pipeline_id, m.name, m.value FROM metrics m JOIN jobs j ON j.id = m.job_id "
           "WHERE j.pipeline_id = ANY($1::bigint[]) AND m.slice_key = '' "
           "ORDER BY j.pipeline_id, j.priority, m.id",
           store::to_pg_array(ids))) {
    const auto name = r[1].as<std::string>();
    if (!values.count(name)) names.push_back(name);
    values[name][r[0].as<std::int64_t>()] = r[2].as<double>();
  }
  std::sort(names.begin(), names.end());
  for (const auto& name : names) {
    std::vector<core::TrendPoint> points;
    std::optional<double> latest;
    for (const auto& [id, sha] : commits) {
      core::TrendPoint p;
      p.label = short_sha(sha);
      auto it = values[name].find(id);
      p.value = it == values[name].end() ? std::numeric_limits<double>::quiet_NaN() : it->second;
      if (std::isfinite(p.value)) latest = p.value;
      if (auto m = marks.find(sha); m != marks.end()) p.mark = m->second;
      points.push_back(std::move(p));
    }
    auto* d = c.AddSectionDictionary("TREND");
    d->SetValue("METRIC", name);
    d->SetValue("SVG", core::trend_svg(name, points));
    d->SetValue("LATEST", format_value(latest));
    d->SetIntValue("POINTS", static_cast<long>(values[name].size()));
  }
  if (names.empty()) c.ShowSection("NO_TRENDS");
}

}  // namespace

void repo_page(App& app, const httplib::Request& req, httplib::Response& res) {
  auto caller = authorize_page(app, req, res);
  if (!caller) return;
  const std::string name = req.matches[1].str();
  const std::string forge = req.get_param_value("forge");
  auto repo = app.db().with([&](pqxx::connection& conn) -> std::optional<store::RepoRow> {
    pqxx::read_transaction tx(conn);
    const auto ids = store::repo_ids_by_name(tx, name, forge);
    if (ids.empty()) return std::nullopt;
    return store::find_repo_by_id(tx, ids[0]);
  });
  if (!repo)
    return send_message(res, &*caller, 404, "Not found", "No repository " + name + ".", true);
  if (!caller->may_see_repo(repo->id))
    return send_message(res, &*caller, 403, "Forbidden",
                        "This token is restricted to another repository.", true);

  const std::string branch =
      req.has_param("branch") ? req.get_param_value("branch") : repo->default_branch;
  const int n = trend_commits(req);
  Page page(&*caller, repo->full_name, "repo.tpl");
  auto& c = page.content();
  c.SetValue("NAME", repo->full_name);
  c.SetValue("FORGE", repo->forge);
  c.SetValue("DEFAULT_BRANCH", repo->default_branch);
  c.SetValue("CLONE_URL", repo->clone_url);
  c.SetValue("BRANCH", branch);
  c.SetIntValue("N", n);

  app.db().with([&](pqxx::connection& conn) {
    pqxx::read_transaction tx(conn);
    // Deployments: newest first, so the first row of an environment is its current one.
    auto deployments = store::list_deployments(tx, repo->id, "");
    std::map<std::string, std::string> marks;  // sha -> "deployed: production, staging"
    std::map<std::string, bool> seen;
    for (const auto& d : deployments) {
      if (seen[d.environment]) continue;
      seen[d.environment] = true;
      auto& m = marks[d.sha];
      m += (m.empty() ? "deployed: " : ", ") + d.environment;
      auto* cd = c.AddSectionDictionary("CURRENT");
      cd->SetValue("ENVIRONMENT", d.environment);
      cd->SetValue("SHA", d.sha);
      cd->SetValue("SHORT_SHA", short_sha(d.sha));
      cd->SetValue("CREATED", format_time(d.created_at));
      cd->SetValue("ACTOR", d.actor);
      auto p = tx.exec_params(
          "SELECT max(id) FROM pipelines WHERE repo_id = $1 AND sha = $2 HAVING max(id) IS NOT "
          "NULL",
          repo->id, d.sha);
      if (!p.empty()) {
        auto* pd = cd->AddSectionDictionary("PIPELINE");
        pd->SetIntValue("ID", p[0][0].as<long>());
        pd->SetValue("URL", pipeline_url(p[0][0].as<std::int64_t>()));
      }
    }
    for (const auto& d : deployments) {
      auto* h = c.AddSectionDictionary("HISTORY");
      h->SetIntValue("ID", d.id);
      h->SetValue("ENVIRONMENT", d.environment);
      h->SetValue("KIND", d.kind);
      h->SetValue("SHORT_SHA", short_sha(d.sha));
      h->SetValue("ACTOR", d.actor);
      h->SetValue("CREATED", format_time(d.created_at));
      if (d.forced) h->AddSectionDictionary("FORCED")->SetValue("REASON", d.reason);
    }
    c.SetIntValue("HISTORY_COUNT", static_cast<long>(deployments.size()));
    c.ShowSection(deployments.empty() ? "NO_DEPLOYMENTS" : "HAS_DEPLOYMENTS");

    auto branches = tx.exec_params(
        "SELECT branch FROM pipelines WHERE repo_id = $1 AND branch <> '' GROUP BY branch "
        "ORDER BY max(id) DESC LIMIT 20",
        repo->id);
    if (branches.size() > 1) {
      auto* b = c.AddSectionDictionary("BRANCHES");
      for (const auto& r : branches) {
        auto* l = b->AddSectionDictionary("BRANCH_LINK");
        const auto br = r[0].as<std::string>();
        l->SetValue("NAME", br);
        l->SetValue("URL", repo_url(repo->full_name) +
                               "?branch=" + httplib::detail::encode_query_param(br));
      }
    }
    add_trends(tx, c, repo->id, branch, n, marks);

    auto pipelines = tx.exec_params(
        "SELECT id, state, sha, commit_message, author, branch, "
        "extract(epoch FROM coalesce(finished_at, now()) - started_at) "
        "FROM pipelines WHERE repo_id = $1 ORDER BY id DESC LIMIT $2",
        repo->id, kPipelinesShown);
    for (const auto& p : pipelines) {
      const auto id = p[0].as<std::int64_t>();
      auto* d = c.AddSectionDictionary("PIPELINE");
      d->SetIntValue("ID", id);
      d->SetValue("URL", pipeline_url(id));
      d->SetValue("STATE", p[1].as<std::string>());
      d->SetValue("SHORT_SHA", short_sha(p[2].as<std::string>()));
      d->SetValue("MESSAGE", first_line(p[3].as<std::string>()));
      d->SetValue("AUTHOR", p[4].as<std::string>());
      d->SetValue("BRANCH", p[5].as<std::string>());
      d->SetValue("DURATION", format_duration(store::get_optional<double>(p[6])));
      for (const auto& j : tx.exec_params(
               "SELECT tier, state FROM jobs WHERE pipeline_id = $1 ORDER BY priority", id)) {
        auto* t = d->AddSectionDictionary("TIER");
        t->SetValue("TIER", j[0].as<std::string>());
        t->SetValue("STATE", j[1].as<std::string>());
      }
    }
    c.ShowSection(pipelines.empty() ? "NO_PIPELINES" : "HAS_PIPELINES");
  });
  page.send(res);
}

}  // namespace mlgate::server::pages
