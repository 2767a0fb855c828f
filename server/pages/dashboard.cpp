// The dashboard (GET /): every repository with the latest pipeline of its default branch, the
// queue depth per tier, and the runners (online = seen within 90 s, as GET /api/v1/runners says).
#include "server/pages/pages.h"
#include "store/page_views.h"

namespace mlgate::server::pages {
namespace {

void add_tiers(ctemplate::TemplateDictionary* d, const std::vector<store::TierStateRow>& tiers) {
  for (const auto& j : tiers) {
    auto* t = d->AddSectionDictionary("TIER");
    t->SetValue("TIER", j.tier);
    t->SetValue("STATE", std::string(core::to_string(j.state)));
  }
}

void add_repos(ctemplate::TemplateDictionary& c, const std::vector<store::DashboardRepo>& repos) {
  for (const auto& [r, head] : repos) {
    auto* d = c.AddSectionDictionary("REPO");
    d->SetValue("NAME", r.full_name);
    d->SetValue("URL", repo_url(r.full_name));
    d->SetValue("FORGE", r.forge);
    d->SetValue("BRANCH", r.default_branch);
    if (!head) {
      d->ShowSection("NO_PIPELINE");
      continue;
    }
    auto* pd = d->AddSectionDictionary("PIPELINE");
    pd->SetIntValue("ID", head->id);
    pd->SetValue("URL", pipeline_url(head->id));
    pd->SetValue("STATE", std::string(core::to_string(head->state)));
    pd->SetValue("SHORT_SHA", util::short_sha(head->sha));
    pd->SetValue("MESSAGE", first_line(head->commit_message));
    pd->SetValue("CREATED", format_time(head->created_at));
    add_tiers(pd, head->tiers);
    add_gate_badges(pd, head->gates, pipeline_url(head->id));
  }
  c.ShowSection(repos.empty() ? "NO_REPOS" : "HAS_REPOS");
}

void add_runners(ctemplate::TemplateDictionary& c,
                 const std::vector<store::DashboardRunner>& runners) {
  long online = 0;
  for (const auto& r : runners) {
    online += r.online;
    auto* d = c.AddSectionDictionary("RUNNER");
    d->SetValue("NAME", r.name);
    d->SetValue("EXECUTOR", r.executor);
    d->SetIntValue("CAPACITY", r.capacity);
    d->SetValue("ONLINE_CLASS", r.online ? "passed" : "");
    d->SetValue("ONLINE_TEXT", r.online ? "online" : "offline");
    d->SetValue("LAST_SEEN", format_time(r.last_seen_at));
    d->SetIntValue("RUNNING", r.running_jobs);
  }
  c.SetIntValue("ONLINE", online);
  c.SetIntValue("TOTAL", static_cast<long>(runners.size()));
  c.ShowSection(runners.empty() ? "NO_RUNNERS" : "HAS_RUNNERS");
}

}  // namespace

void dashboard_page(const PageDeps& deps, const httplib::Request& req, httplib::Response& res) {
  auto caller = authorize_page(deps.auth, req, res);
  if (!caller) return;
  const auto view = deps.db.with([&](pqxx::connection& conn) {
    pqxx::read_transaction tx(conn);
    return store::load_dashboard(
        tx, [&](std::int64_t id) { return caller->caller.may_access_repo(id); });
  });
  Page page(&*caller, "Dashboard", "dashboard.tpl");
  auto& c = page.content();
  add_repos(c, view.repos);
  for (const auto& q : view.queue) {
    auto* d = c.AddSectionDictionary("QUEUE");
    d->SetValue("TIER", q.tier);
    d->SetIntValue("QUEUED", q.queued);
    d->SetIntValue("RUNNING", q.running);
  }
  add_runners(c, view.runners);
  page.send(res);
}

}  // namespace mlgate::server::pages
