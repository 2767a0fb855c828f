// The deliveries page (GET /deliveries): the latest webhook deliveries with their verdicts. Like
// GET /api/v1/webhooks/deliveries it needs the admin scope (deliveries name repositories that a
// public reader may not know of, and their reasons can quote what a forge sent); an admin token
// restricted to a repository sees that repository's deliveries only.
#include "store/deliveries.h"

#include "server/pages/pages.h"

namespace mlgate::server::pages {

void deliveries_page(const PageDeps& deps, const httplib::Request& req, httplib::Response& res) {
  auto caller = authorize_page(deps.auth, req, res, "admin");
  if (!caller) return;
  auto rows = deps.db.with([&](pqxx::connection& conn) {
    pqxx::read_transaction tx(conn);
    return store::list_deliveries(tx, 100, caller->caller.restricted_to());
  });
  Page page(&*caller, "Webhook deliveries", "deliveries.tpl");
  auto& c = page.content();
  c.SetIntValue("COUNT", static_cast<long>(rows.size()));
  c.ShowSection(rows.empty() ? "NONE" : "SOME");
  for (const auto& d : rows) {
    auto* r = c.AddSectionDictionary("DELIVERY");
    r->SetIntValue("ID", d.id);
    r->SetValue("RECEIVED", format_time(d.received_at));
    r->SetValue("FORGE", d.forge);
    r->SetValue("EVENT", d.event);
    if (d.repo_name.empty()) {
      r->ShowSection("NO_REPO");
    } else {
      auto* repo = r->AddSectionDictionary("REPO");
      repo->SetValue("NAME", d.repo_name);
      repo->SetValue("URL", repo_url(d.repo_name));
    }
    r->SetValue("VERDICT", std::string(core::to_string(d.verdict)));
    r->SetIntValue("HTTP_STATUS", d.http_status);
    r->SetValue("REASON", d.reason);
    r->SetValue("PLAN_STATE", std::string(core::to_string(d.plan_state)));
    if (!d.plan_error.empty()) r->AddSectionDictionary("PLAN_NOTE")->SetValue("TEXT", d.plan_error);
    if (d.pipeline_id) {
      auto* p = r->AddSectionDictionary("PIPELINE");
      p->SetIntValue("ID", *d.pipeline_id);
      p->SetValue("URL", pipeline_url(*d.pipeline_id));
    }
  }
  page.send(res);
}

}  // namespace mlgate::server::pages
