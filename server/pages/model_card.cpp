#include "server/pages/model_card.h"

#include "server/http/repo_lookup.h"
#include "server/pages/pages.h"
#include "server/services/model_cards.h"
#include "util/strings.h"

namespace mlgate::server::pages {
namespace {

void add_text(ctemplate::TemplateDictionary& c, const std::string& title, const std::string& text) {
  if (text.empty()) return;
  auto* s = c.AddSectionDictionary("SECTION");
  s->SetValue("TITLE", title);
  s->SetValue("TEXT", text);
}

void add_list(ctemplate::TemplateDictionary& c, const std::string& title,
              const std::vector<std::string>& items) {
  if (items.empty()) return;
  auto* l = c.AddSectionDictionary("LIST");
  l->SetValue("TITLE", title);
  for (const auto& i : items) l->AddSectionDictionary("ITEM")->SetValue("TEXT", i);
}

void add_file(ctemplate::TemplateDictionary& c, const core::ModelCard& card) {
  if (!card.file_error.empty())
    c.AddSectionDictionary("FILE_ERROR")->SetValue("TEXT", card.file_error);
  if (!card.file_present) c.ShowSection("NO_FILE");
  if (!card.file) return;
  const auto& f = *card.file;
  for (const auto& [name, value] :
       {std::pair<std::string, std::string>{"Version", f.version}, {"License", f.license}}) {
    if (value.empty()) continue;
    auto* d = c.AddSectionDictionary("FACT");
    d->SetValue("NAME", name);
    d->SetValue("TEXT", value);
  }
  add_text(c, "Model details", f.model_details);
  add_text(c, "Intended use", f.intended_use);
  add_list(c, "Intended users", f.intended_users);
  add_list(c, "Owners", f.owners);
  add_text(c, "Data", f.data);
  add_text(c, "Caveats and recommendations", f.caveats);
  add_text(c, "Ethical considerations", f.ethical_considerations);
}

void add_evaluation(ctemplate::TemplateDictionary& c, const core::ModelCard& card) {
  for (const auto& m : card.metrics) {
    auto* d = c.AddSectionDictionary("METRIC");
    d->SetValue("KIND", m.kind);
    d->SetValue("NAME", m.name);
    d->SetValue("VALUE", format_value(m.value));
    d->SetValue("INTERVAL", m.interval ? "[" + format_value(m.interval->first) + ", " +
                                             format_value(m.interval->second) + "]"
                                       : "-");
    d->SetValue("N", m.n ? std::to_string(*m.n) : "-");
    d->SetValue("BASELINE", format_value(m.baseline));
    d->SetValue("STATUS", m.status);
  }
  c.ShowSection(card.metrics.empty() ? "NO_METRICS" : "HAS_METRICS");
  for (const auto& g : card.gates) {
    auto* d = c.AddSectionDictionary("GATE");
    d->SetValue("ENVIRONMENT", g.environment);
    d->SetValue("DECISION", g.decision);
    d->SetValue("SUMMARY", g.summary);
  }
  if (card.gates.empty()) c.ShowSection("NO_GATES");
  if (card.rubric_score) {
    auto* r = c.AddSectionDictionary("RUBRIC");
    r->SetValue("SCORE", format_value(card.rubric_score));
    r->SetValue("BAND", card.rubric_band);
  }
}

void add_provenance(ctemplate::TemplateDictionary& c, const core::ModelCard& card) {
  if (card.run) {
    auto* r = c.AddSectionDictionary("RUN");
    r->SetIntValue("ID", card.run->pipeline_id);
    r->SetValue("URL", pipeline_url(card.run->pipeline_id));
    r->SetValue("TRIGGER", card.run->trigger);
    r->SetValue("BRANCH", card.run->branch);
    r->SetValue("CREATED", format_time(card.run->created_at));
    r->SetValue("STATE", card.run->state);
    for (const auto& [tier, state] : card.run->tiers) {
      auto* t = r->AddSectionDictionary("TIER");
      t->SetValue("TIER", tier);
      t->SetValue("STATE", state);
    }
  } else {
    c.ShowSection("NO_RUN");
  }
  if (card.reference) {
    auto* r = c.AddSectionDictionary("REFERENCE");
    r->SetIntValue("ROWS", static_cast<long>(card.reference->rows));
    r->SetIntValue("COUNT", static_cast<long>(card.reference->features.size()));
    std::string names;
    for (const auto& f : card.reference->features) names += (names.empty() ? "" : ", ") + f;
    r->SetValue("FEATURES", names);
  } else {
    c.ShowSection("NO_REFERENCE");
  }
  for (const auto& d : card.deployments) {
    auto* s = c.AddSectionDictionary("DEPLOYMENT");
    s->SetValue("ENVIRONMENT", d.environment);
    s->SetValue("KIND", d.kind);
    s->SetValue("CREATED", format_time(d.created_at));
  }
  if (card.deployments.empty()) c.ShowSection("NO_DEPLOYMENTS");
}

void model_card_page(const ModelCardPageDeps& deps, const httplib::Request& req,
                     httplib::Response& res) {
  auto caller = authorize_page(deps.auth, req, res);
  if (!caller) return;
  const std::string name = req.matches[1].str();
  const std::string sha = util::lower(req.matches[2].str());
  const auto repo =
      find_visible_repo(deps.auth, caller->caller, name, req.get_param_value("forge"), is_read(req))
          .repo;
  if (!repo)
    return send_message(res, &*caller, 404, "Not found", "No repository " + name + ".", true);
  auto answer = build_model_card(deps.db, deps.gate, deps.mirrors, *repo, sha);
  if (answer.refusal)
    return send_message(res, &*caller, answer.refusal->status, "Not found", answer.refusal->message,
                        true);
  const auto& card = answer.card;
  Page page(&*caller, "Model card of " + repo->full_name, "model_card.tpl");
  auto& c = page.content();
  c.SetValue("TITLE", card.file && !card.file->name.empty() ? card.file->name : repo->full_name);
  c.SetValue("REPO", repo->full_name);
  c.SetValue("REPO_URL", repo_url(repo->full_name));
  c.SetValue("SHA", sha);
  add_file(c, card);
  add_evaluation(c, card);
  add_provenance(c, card);
  page.send(res);
}

}  // namespace

void register_model_card_page(Router& http, const ModelCardPageDeps& deps) {
  http.get(
      R"(/repos/([A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)+)/commits/([0-9a-fA-F]{40}|[0-9a-fA-F]{64})/model-card)",
      [deps](const httplib::Request& q, httplib::Response& s) { model_card_page(deps, q, s); });
}

}  // namespace mlgate::server::pages
