// An environment's page (GET /repos/{owner}/{name}/environments/{env}; docs/pages.md): the
// deployed commit with its deployment history and its reference, the production monitor's state
// with the evidence of its last evaluation, drift per feature and quality over the last
// evaluations as plots (core/environment_view.h, core/trend_svg.h), and the alert history.
// Authorised like the repository's page. Bounded: every list and plot caps its rows and points.
#include <algorithm>

#include "core/environment_view.h"
#include "core/trend_svg.h"
#include "server/http/repo_lookup.h"
#include "server/pages/pages.h"
#include "server/pages/rollout_section.h"
#include "store/deployments.h"
#include "store/monitors.h"
#include "store/pipeline_queries.h"

namespace mlgate::server::pages {
namespace {

constexpr int kPlotEvaluations = 100;   // points per plot
constexpr std::size_t kMaxSeries = 60;  // plots
constexpr int kAlertHistory = 50;
constexpr int kDeploymentHistory = 50;
constexpr std::size_t kReasonBytes = 400;

struct EnvironmentView {
  store::DeploymentState deployment;
  std::vector<store::DeploymentRow> deployments;
  std::optional<std::int64_t> deployed_pipeline;
  std::optional<store::ReferenceSource> reference;
  std::optional<store::MonitorStateRow> state;
  std::vector<store::MonitorEvaluationRow> evaluations;  // newest first
  std::vector<store::MonitorEvaluationRow> changes;      // newest first
  std::optional<store::RolloutRow> rollout;              // the newest, under way or ended
  std::vector<store::RolloutEvent> rollout_events;
};

EnvironmentView load_view(pqxx::transaction_base& tx, std::int64_t repo_id,
                          const std::string& env) {
  EnvironmentView v;
  v.deployment = store::deployment_state(tx, repo_id, env);
  v.deployments = store::list_deployments(tx, repo_id, env, kDeploymentHistory);
  if (v.deployment.current_sha) {
    v.deployed_pipeline = store::newest_pipeline_of_commit(tx, repo_id, *v.deployment.current_sha);
    v.reference = store::reference_source(tx, repo_id, *v.deployment.current_sha);
  }
  v.state = store::monitor_state(tx, repo_id, env);
  v.evaluations = store::monitor_history(tx, repo_id, env, kPlotEvaluations);
  v.changes = store::monitor_history(tx, repo_id, env, kAlertHistory, true);
  v.rollout = store::latest_rollout(tx, repo_id, env);
  if (v.rollout) v.rollout_events = store::rollout_events(tx, v.rollout->id);
  return v;
}

// The CSS class of a monitor state (the pipeline states' colours).
std::string state_class(const std::string& state) {
  if (state == "ok") return "pass";
  if (state == "alerting") return "fail";
  return "pending";
}

void set_state(ctemplate::TemplateDictionary* d, const std::string& state) {
  d->SetValue("STATE", state);
  d->SetValue("STATE_WORDS", core::monitor_state_words(state));
  d->SetValue("CLASS", state_class(state));
}

std::string join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : ", ") + w;
  return out.empty() ? "-" : out;
}

void add_deployed(ctemplate::TemplateDictionary& c, const EnvironmentView& v) {
  for (const auto& d : v.deployments) {
    auto* h = c.AddSectionDictionary("HISTORY");
    h->SetIntValue("ID", d.id);
    h->SetValue("KIND", d.kind);
    h->SetValue("SHORT_SHA", util::short_sha(d.sha));
    h->SetValue("ACTOR", d.actor);
    h->SetValue("CREATED", format_time(d.created_at));
    if (d.forced) h->AddSectionDictionary("FORCED")->SetValue("REASON", d.reason);
  }
  c.SetIntValue("HISTORY_COUNT", static_cast<long>(v.deployments.size()));
  if (!v.deployments.empty()) c.ShowSection("HAS_DEPLOYMENTS");
  if (!v.deployment.current_sha || !v.deployment.latest) return c.ShowSection("NOT_DEPLOYED");
  const std::string& sha = *v.deployment.current_sha;
  auto* d = c.AddSectionDictionary("DEPLOYED");
  d->SetValue("SHA", sha);
  d->SetValue("SHORT_SHA", util::short_sha(sha));
  d->SetValue("CREATED", format_time(v.deployment.latest->created_at));
  d->SetValue("ACTOR", v.deployment.latest->actor);
  if (v.deployed_pipeline) {
    auto* p = d->AddSectionDictionary("PIPELINE");
    p->SetIntValue("ID", *v.deployed_pipeline);
    p->SetValue("URL", pipeline_url(*v.deployed_pipeline));
  }
  if (!v.reference) return d->ShowSection("NO_REFERENCE");
  auto* r = d->AddSectionDictionary("REFERENCE");
  r->SetValue("SHORT_SHA", util::short_sha(sha));
  r->SetIntValue("ID", v.reference->pipeline_id);
  r->SetValue("URL", pipeline_url(v.reference->pipeline_id));
  r->SetValue("TIER", v.reference->tier);
  r->SetIntValue("ROWS", v.reference->rows);
  r->SetValue("CREATED", format_time(v.reference->created_at));
}

std::string optional_number(const std::optional<double>& v) {
  return v ? core::format_number(*v) : "-";
}

void add_findings(ctemplate::TemplateDictionary* m, const nlohmann::json& evidence) {
  for (const auto& f : core::finding_views(evidence)) {
    auto* d = m->AddSectionDictionary("FINDING");
    d->SetValue("KIND", f.kind);
    d->SetValue("FEATURE", f.feature.empty() ? "-" : f.feature);
    d->SetValue("TEST", f.test);
    d->SetValue("STATISTIC", optional_number(f.statistic));
    d->SetValue("JUDGED", f.p_value    ? "p " + core::format_number(*f.p_value)
                          : f.distance ? core::format_number(*f.distance)
                                       : "-");
    d->SetValue("THRESHOLD", optional_number(f.threshold));
    d->SetIntValue("N", static_cast<long>(f.n));
    d->SetIntValue("REFERENCE_N", static_cast<long>(f.reference_n));
    set_state(d, f.state);
    d->SetValue("REASON", f.reason);
  }
}

void add_monitor(ctemplate::TemplateDictionary& c, const EnvironmentView& v) {
  if (!v.state) return c.ShowSection("NO_MONITOR");
  const auto& s = *v.state;
  auto* m = c.AddSectionDictionary("MONITOR");
  set_state(m, std::string(core::to_string(s.state)));
  m->SetValue("SINCE", format_time(s.since));
  m->SetValue("EVALUATED", format_time(s.evaluated_at));
  m->SetValue("SHORT_SHA", util::short_sha(s.sha));
  m->SetValue("KINDS", join(s.kinds));
  if (!s.alerting_kinds.empty())
    m->AddSectionDictionary("ALERTING")->SetValue("KINDS", join(s.alerting_kinds));
  if (s.last_retrain_at) {
    auto* r = m->AddSectionDictionary("RETRAIN");
    r->SetValue("AT", format_time(*s.last_retrain_at));
    if (s.retrain_pipeline_id) {
      auto* p = r->AddSectionDictionary("PIPELINE");
      p->SetIntValue("ID", *s.retrain_pipeline_id);
      p->SetValue("URL", pipeline_url(*s.retrain_pipeline_id));
    }
  }
  add_findings(m, s.evidence);
}

void add_series(ctemplate::TemplateDictionary& c, const EnvironmentView& v) {
  if (v.evaluations.empty()) return;
  std::vector<core::EvaluationSample> samples;
  for (auto it = v.evaluations.rbegin(); it != v.evaluations.rend(); ++it)
    samples.push_back({format_time(it->evaluated_at), it->evidence});
  std::size_t left_out = 0;
  const auto series = core::finding_series(samples, kMaxSeries, left_out);
  auto* h = c.AddSectionDictionary("HAS_SERIES");
  h->SetIntValue("EVALUATIONS", static_cast<long>(samples.size()));
  if (left_out > 0) h->AddSectionDictionary("LEFT_OUT")->SetIntValue("COUNT", left_out);
  bool data = false;
  bool quality = false;
  for (const auto& s : series) {
    const bool is_quality = s.group == core::SeriesGroup::quality;
    (is_quality ? quality : data) = true;
    auto* d = h->AddSectionDictionary(is_quality ? "QUALITY_SERIES" : "DATA_SERIES");
    d->SetValue("TITLE", s.title);
    d->SetValue("SVG", core::trend_svg(s.title, s.points));
    d->SetValue("LATEST", optional_number(s.latest));
    d->SetValue("THRESHOLD", optional_number(s.threshold));
  }
  if (!data) h->ShowSection("NO_DATA_SERIES");
  if (!quality) h->ShowSection("NO_QUALITY_SERIES");
}

void add_changes(ctemplate::TemplateDictionary& c, const EnvironmentView& v) {
  for (const auto& e : v.changes) {
    auto* d = c.AddSectionDictionary("CHANGE");
    d->SetValue("WHEN", format_time(e.evaluated_at));
    d->SetValue("FROM", e.previous_state ? core::monitor_state_words(
                                               std::string(core::to_string(*e.previous_state)))
                                         : "-");
    set_state(d, std::string(core::to_string(e.state)));
    d->SetValue("SHORT_SHA", util::short_sha(e.sha));
    d->SetValue("REASON", core::change_reason(std::string(core::to_string(e.state)), e.evidence,
                                              kReasonBytes));
  }
  c.ShowSection(v.changes.empty() ? "NO_CHANGES" : "HAS_CHANGES");
}

}  // namespace

void environment_page(const PageDeps& deps, const httplib::Request& req, httplib::Response& res) {
  auto caller = authorize_page(deps.auth, req, res);
  if (!caller) return;
  const std::string name = req.matches[1].str();
  const std::string env = req.matches[2].str();
  const auto repo =
      find_visible_repo(deps.auth, caller->caller, name, req.get_param_value("forge"), is_read(req))
          .repo;
  if (!repo)
    return send_message(res, &*caller, 404, "Not found", "No repository " + name + ".", true);
  const auto view = deps.db.with([&](pqxx::connection& conn) {
    pqxx::read_transaction tx(conn);
    return load_view(tx, repo->id, env);
  });
  Page page(&*caller, env + " · " + repo->full_name, "environment.tpl");
  auto& c = page.content();
  c.SetValue("ENVIRONMENT", env);
  c.SetValue("REPO", repo->full_name);
  c.SetValue("REPO_URL", repo_url(repo->full_name));
  add_deployed(c, view);
  if (view.rollout) {
    c.SetValue("ROLLOUT_HTML", rollout_section_html(*view.rollout, view.rollout_events));
    c.ShowSection("ROLLOUT");
  }
  add_monitor(c, view);
  add_series(c, view);
  add_changes(c, view);
  page.send(res);
}

}  // namespace mlgate::server::pages
