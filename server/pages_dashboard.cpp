// The dashboard (GET /): every repository with the latest pipeline of its default branch, the
// queue depth per tier, and the runners (online = seen within 90 s, as GET /api/v1/runners says).
#include "server/app.h"
#include "server/pages.h"
#include "store/pq.h"
#include "store/repos.h"

namespace mlgate::server::pages {

void dashboard_page(App& app, const httplib::Request& req, httplib::Response& res) {
  auto caller = authorize_page(app, req, res);
  if (!caller) return;
  Page page(&*caller, "Dashboard", "dashboard.tpl");
  auto& c = page.content();
  app.db().with([&](pqxx::connection& conn) {
    pqxx::read_transaction tx(conn);
    auto repos = store::list_repos(tx);
    int shown = 0;
    for (const auto& r : repos) {
      if (!caller->may_see_repo(r.id)) continue;
      ++shown;
      auto* d = c.AddSectionDictionary("REPO");
      d->SetValue("NAME", r.full_name);
      d->SetValue("URL", repo_url(r.full_name));
      d->SetValue("FORGE", r.forge);
      d->SetValue("BRANCH", r.default_branch);
      auto p = tx.exec_params(
          "SELECT id, state, sha, commit_message, "
          "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
          "FROM pipelines WHERE repo_id = $1 AND branch = $2 ORDER BY id DESC LIMIT 1",
          r.id, r.default_branch);
      if (p.empty()) {
        d->ShowSection("NO_PIPELINE");
        continue;
      }
      const auto id = p[0][0].as<std::int64_t>();
      auto* pd = d->AddSectionDictionary("PIPELINE");
      pd->SetIntValue("ID", id);
      pd->SetValue("URL", pipeline_url(id));
      pd->SetValue("STATE", p[0][1].as<std::string>());
      pd->SetValue("SHORT_SHA", short_sha(p[0][2].as<std::string>()));
      pd->SetValue("MESSAGE", first_line(p[0][3].as<std::string>()));
      pd->SetValue("CREATED", format_time(p[0][4].as<std::string>()));
      for (const auto& j : tx.exec_params(
               "SELECT tier, state FROM jobs WHERE pipeline_id = $1 ORDER BY priority", id)) {
        auto* t = pd->AddSectionDictionary("TIER");
        t->SetValue("TIER", j[0].as<std::string>());
        t->SetValue("STATE", j[1].as<std::string>());
      }
    }
    c.ShowSection(shown ? "HAS_REPOS" : "NO_REPOS");

    auto queue = tx.exec(
        "SELECT t.tier, count(j.id) FILTER (WHERE j.state = 'queued'), "
        "count(j.id) FILTER (WHERE j.state = 'running') "
        "FROM unnest(ARRAY['functionality', 'validation', 'training']) WITH ORDINALITY AS t(tier, "
        "o) "
        "LEFT JOIN jobs j ON j.tier = t.tier AND j.state IN ('queued', 'running') "
        "GROUP BY t.tier, t.o ORDER BY t.o");
    for (const auto& q : queue) {
      auto* d = c.AddSectionDictionary("QUEUE");
      d->SetValue("TIER", q[0].as<std::string>());
      d->SetIntValue("QUEUED", q[1].as<long>());
      d->SetIntValue("RUNNING", q[2].as<long>());
    }

    auto runners = tx.exec(
        "SELECT r.id, r.name, r.executor, r.capacity, "
        "r.last_seen_at > now() - interval '90 seconds' AND r.disabled_at IS NULL, "
        "to_char(r.last_seen_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
        "(SELECT count(*) FROM jobs j WHERE j.runner_id = r.id AND j.state = 'running') "
        "FROM runners r ORDER BY r.id");
    long online = 0;
    for (const auto& r : runners) {
      const bool is_online = r[4].as<bool>();
      online += is_online;
      auto* d = c.AddSectionDictionary("RUNNER");
      d->SetValue("NAME", r[1].as<std::string>());
      d->SetValue("EXECUTOR", r[2].as<std::string>());
      d->SetIntValue("CAPACITY", r[3].as<long>());
      d->SetValue("ONLINE_CLASS", is_online ? "passed" : "");
      d->SetValue("ONLINE_TEXT", is_online ? "online" : "offline");
      d->SetValue("LAST_SEEN", format_time(r[5].as<std::string>()));
      d->SetIntValue("RUNNING", r[6].as<long>());
    }
    c.SetIntValue("ONLINE", online);
    c.SetIntValue("TOTAL", static_cast<long>(runners.size()));
    c.ShowSection(runners.empty() ? "NO_RUNNERS" : "HAS_RUNNERS");
  });
  page.send(res);
}

}  // namespace mlgate::server::pages
