// A repository's page (GET /repos/{owner}/{name}[?branch=B&n=N]): what is deployed where (and the
// history), metric trend plots across the last N commits of a branch with the deployed commits
// ringed (core/trend_svg.h), and the latest pipelines with their tiers.
#include <algorithm>
#include <map>

#include "core/repo_view.h"
#include "core/trend_svg.h"
#include "server/http/repo_lookup.h"
#include "server/pages/pages.h"
#include "store/page_views.h"
#include "store/pipeline_queries.h"
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

void add_trends(ctemplate::TemplateDictionary& c, const store::RepoPageView& v,
                const std::map<std::string, std::string>& marks) {
  const auto series = core::metric_trends(v.trend_commits, v.trend_samples, marks);
  for (const auto& t : series) {
    auto* d = c.AddSectionDictionary("TREND");
    d->SetValue("METRIC", t.metric);
    d->SetValue("SVG", core::trend_svg(t.metric, t.points));
    d->SetValue("LATEST", format_value(t.latest));
    d->SetIntValue("POINTS", t.reported);
  }
  if (series.empty()) c.ShowSection("NO_TRENDS");
}

// The current deployment of each environment, and the marks they put on the trend plots.
std::map<std::string, std::string> add_current(ctemplate::TemplateDictionary& c,
                                               const store::RepoPageView& v,
                                               const std::string& repo) {
  std::vector<std::string> environments;
  for (const auto& d : v.deployments) environments.push_back(d.environment);
  std::vector<core::DeployedCommit> current;
  for (auto i : core::current_per_environment(environments)) {
    const auto& d = v.deployments[i];
    current.push_back({d.environment, d.sha});
    auto* cd = c.AddSectionDictionary("CURRENT");
    cd->SetValue("ENVIRONMENT", d.environment);
    cd->SetValue("ENV_URL", environment_url(repo, d.environment));
    cd->SetValue("SHA", d.sha);
    cd->SetValue("SHORT_SHA", util::short_sha(d.sha));
    cd->SetValue("CREATED", format_time(d.created_at));
    cd->SetValue("ACTOR", d.actor);
    cd->SetValue("CARD_URL", model_card_url(repo, d.sha));
    if (auto p = v.current_pipelines.find(d.sha); p != v.current_pipelines.end()) {
      auto* pd = cd->AddSectionDictionary("PIPELINE");
      pd->SetIntValue("ID", p->second);
      pd->SetValue("URL", pipeline_url(p->second));
    }
  }
  return core::deployment_marks(current);
}

void add_history(ctemplate::TemplateDictionary& c, const std::vector<store::DeploymentRow>& rows,
                 const std::string& repo) {
  for (const auto& d : rows) {
    auto* h = c.AddSectionDictionary("HISTORY");
    h->SetIntValue("ID", d.id);
    h->SetValue("ENVIRONMENT", d.environment);
    h->SetValue("KIND", d.kind);
    h->SetValue("SHORT_SHA", util::short_sha(d.sha));
    h->SetValue("ACTOR", d.actor);
    h->SetValue("CARD_URL", model_card_url(repo, d.sha));
    h->SetValue("CREATED", format_time(d.created_at));
    if (d.forced) h->AddSectionDictionary("FORCED")->SetValue("REASON", d.reason);
  }
  c.SetIntValue("HISTORY_COUNT", static_cast<long>(rows.size()));
  c.ShowSection(rows.empty() ? "NO_DEPLOYMENTS" : "HAS_DEPLOYMENTS");
}

void add_branches(ctemplate::TemplateDictionary& c, const std::string& repo,
                  const std::vector<std::string>& branches) {
  if (branches.size() <= 1) return;
  auto* b = c.AddSectionDictionary("BRANCHES");
  for (const auto& br : branches) {
    auto* l = b->AddSectionDictionary("BRANCH_LINK");
    l->SetValue("NAME", br);
    l->SetValue("URL", repo_url(repo) + "?branch=" + httplib::detail::encode_query_param(br));
  }
}

void add_pipelines(ctemplate::TemplateDictionary& c,
                   const std::vector<store::RepoPipelineRow>& pipelines) {
  for (const auto& p : pipelines) {
    auto* d = c.AddSectionDictionary("PIPELINE");
    d->SetIntValue("ID", p.id);
    d->SetValue("URL", pipeline_url(p.id));
    d->SetValue("STATE", std::string(core::to_string(p.state)));
    d->SetValue("SHORT_SHA", util::short_sha(p.sha));
    d->SetValue("MESSAGE", first_line(p.commit_message));
    d->SetValue("AUTHOR", p.author);
    d->SetValue("BRANCH", p.branch);
    d->SetValue("DURATION", format_duration(p.duration_seconds));
    for (const auto& j : p.tiers) {
      auto* t = d->AddSectionDictionary("TIER");
      t->SetValue("TIER", j.tier);
      t->SetValue("STATE", std::string(core::to_string(j.state)));
    }
    add_gate_badges(d, p.gates, pipeline_url(p.id));
  }
  c.ShowSection(pipelines.empty() ? "NO_PIPELINES" : "HAS_PIPELINES");
}

}  // namespace

void repo_page(const PageDeps& deps, const httplib::Request& req, httplib::Response& res) {
  auto caller = authorize_page(deps.auth, req, res);
  if (!caller) return;
  const std::string name = req.matches[1].str();
  const std::string forge = req.get_param_value("forge");
  // A name on both forges shows the first registered, as before (?forge= picks the other).
  const auto repo = find_visible_repo(deps.auth, caller->caller, name, forge, is_read(req)).repo;
  if (!repo)
    return send_message(res, &*caller, 404, "Not found", "No repository " + name + ".", true);

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

  const auto view = deps.db.with([&](pqxx::connection& conn) {
    pqxx::read_transaction tx(conn);
    return store::load_repo_page(tx, repo->id, branch, n, kPipelinesShown);
  });
  const auto marks = add_current(c, view, repo->full_name);
  add_history(c, view.deployments, repo->full_name);
  add_branches(c, repo->full_name, view.branches);
  add_trends(c, view, marks);
  add_pipelines(c, view.pipelines);
  page.send(res);
}

}  // namespace mlgate::server::pages
