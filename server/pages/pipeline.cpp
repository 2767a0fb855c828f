// A pipeline's page (GET /pipelines/{id}[?environment=E]): tiers and jobs, test counts and the
// failing tests, metrics and slices next to the baseline (the commit deployed to E now) with the
// deltas coloured, fairness and prediction flips, the ML Test Score scorecard, and the gate
// decisions per environment. Decisions are read from the stored gate_decisions rows (their checks
// and inputs), never re-evaluated here: the page shows what deploy pipelines were told. A fork pull
// request's pipeline that awaits approval has an approve button (POST /pipelines/{id}/approve) for
// callers with the deploy scope.
#include <algorithm>
#include <map>

#include "core/forest_rows.h"
#include "core/forest_svg.h"
#include "core/pipeline_view.h"
#include "core/repeats.h"
#include "core/rollout_state.h"
#include "core/rubric.h"
#include "core/trend_svg.h"
#include "server/pages/pages.h"
#include "server/services/approval.h"
#include "store/page_views.h"
#include "store/pipeline_queries.h"
#include "store/rollouts.h"

namespace mlgate::server::pages {
namespace {

// Sets VALUE, BASELINE, DELTA and DELTA_CLASS (good / bad / neutral).
void set_comparison(ctemplate::TemplateDictionary* d, const core::Comparison& c) {
  d->SetValue("VALUE", c.value);
  d->SetValue("BASELINE", c.baseline);
  d->SetValue("DELTA", c.delta);
  d->SetValue("DELTA_CLASS", c.delta_class);
}

void set_check(ctemplate::TemplateDictionary* d, const core::StoredCheck* check) {
  if (!check) return;
  auto* c = d->AddSectionDictionary("CHECK");
  c->SetValue("STATUS", check->status);
  c->SetValue("REASON", check->reason);
  c->SetValue("THRESHOLD", check->threshold);
}

void add_header(ctemplate::TemplateDictionary& c, const store::PipelineStatus& p) {
  c.SetIntValue("ID", p.id);
  c.SetValue("STATE", std::string(core::to_string(p.state)));
  c.SetValue("REPO", p.repo_name);
  c.SetValue("REPO_URL", repo_url(p.repo_name));
  c.SetValue("SHA", p.sha);
  c.SetValue("SHORT_SHA", util::short_sha(p.sha));
  c.SetValue("BRANCH", p.branch.empty() ? p.ref : p.branch);
  c.SetValue("TRIGGER", p.trigger);
  if (p.pr_number) c.AddSectionDictionary("PR")->SetIntValue("NUMBER", *p.pr_number);
  c.SetValue("AUTHOR", p.author.empty() ? "-" : p.author);
  c.SetValue("CREATED", format_time(p.created_at));
  c.SetValue("MESSAGE", p.commit_message);
  if (!p.error.empty()) c.AddSectionDictionary("PIPELINE_ERROR")->SetValue("TEXT", p.error);
  c.SetValue("DURATION", format_duration(p.duration_seconds));
}

// A fork pull request's pipeline: where it comes from, who approved it, and the approve button for
// a caller with the deploy scope while it waits.
void add_approval(ctemplate::TemplateDictionary& c, const store::PipelineStatus& p,
                  const PageCaller& caller) {
  if (!p.from_fork) return;
  auto* fork = c.AddSectionDictionary("FROM_FORK");
  if (!p.approved_by.empty()) {
    auto* a = fork->AddSectionDictionary("APPROVED");
    a->SetValue("BY", p.approved_by);
    a->SetValue("AT", format_time(p.approved_at));
  }
  if (p.state != core::PipelineState::awaiting_approval) return;
  auto* waiting = c.AddSectionDictionary("AWAITING_APPROVAL");
  if (caller.has_scope("deploy"))
    waiting->AddSectionDictionary("APPROVE_FORM")
        ->SetValue("ACTION", pipeline_url(p.id) + "/approve");
  else
    waiting->ShowSection("NEEDS_DEPLOY");
}

void add_jobs(ctemplate::TemplateDictionary& c, const std::vector<store::PipelineJobRow>& jobs) {
  for (const auto& j : jobs) {
    auto* d = c.AddSectionDictionary("JOB");
    d->SetIntValue("ID", j.id);
    d->SetValue("URL", job_url(j.id));
    d->SetValue("TIER", core::tier_label(j.tier, j.repeat, j.repeats));
    d->SetValue("STATE", std::string(core::to_string(j.state)));
    d->SetIntValue("ATTEMPT", j.attempt);
    d->SetIntValue("MAX_ATTEMPTS", j.max_attempts);
    d->SetValue("RUNNER", j.runner.empty() ? "-" : j.runner);
    d->SetValue("EXIT_CODE", j.exit_code ? std::to_string(*j.exit_code) : "-");
    d->SetValue("DURATION", format_duration(j.duration_seconds));
    d->SetValue("NOTE", j.note);
  }
  c.ShowSection(jobs.empty() ? "NO_JOBS" : "HAS_JOBS");
}

void add_tests(ctemplate::TemplateDictionary& c, const store::PipelinePageView& v) {
  auto count = [&](const char* status) {
    auto it = v.test_counts.find(status);
    return it == v.test_counts.end() ? 0L : it->second;
  };
  c.SetIntValue("PASSED", count("passed"));
  c.SetIntValue("FAILED", count("failed"));
  c.SetIntValue("ERRORS", count("error"));
  c.SetIntValue("SKIPPED", count("skipped"));
  if (v.failing.empty()) return;
  auto* f = c.AddSectionDictionary("FAILING");
  for (const auto& t : v.failing) {
    auto* d = f->AddSectionDictionary("TEST");
    d->SetValue("TIER", core::tier_label(t.tier, t.repeat, t.repeats));
    d->SetValue("NAME", t.classname.empty() ? t.name : t.classname + "::" + t.name);
    d->SetValue("STATUS", t.status);
    d->SetValue("MESSAGE", t.message.substr(0, 2000));
  }
}

// The rules in force of a decision: its note, and the differences between the deployed commit's
// gate rules and the candidate's (deployed → candidate), one item each.
void add_rules_in_force(ctemplate::TemplateDictionary* d, const core::StoredDecision& dec) {
  if (!dec.rules_note.empty())
    d->AddSectionDictionary("RULES_NOTE")->SetValue("TEXT", dec.rules_note);
  if (dec.rule_differences.empty()) return;
  auto* list = d->AddSectionDictionary("RULE_DIFFERENCES");
  for (const auto& line : dec.rule_differences)
    list->AddSectionDictionary("DIFFERENCE")->SetValue("TEXT", line);
}

// The answer the page exists for, first: each environment's decision, its blocking checks in one
// short list (at most 5), and whether the rules in force differ.
void add_verdicts(ctemplate::TemplateDictionary& c,
                  const std::vector<core::StoredDecision>& decisions) {
  constexpr std::size_t kShown = 5;
  for (const auto& dec : decisions) {
    auto* v = c.AddSectionDictionary("VERDICT");
    v->SetValue("ENVIRONMENT", dec.environment);
    v->SetValue("DECISION", dec.decision);
    v->SetValue("SUMMARY", dec.summary);
    std::vector<const core::StoredCheck*> blocking;
    for (const auto* ch : core::blocking_first(dec.checks))
      if (ch->blocks) blocking.push_back(ch);
    if (!blocking.empty()) {
      auto* b = v->AddSectionDictionary("BLOCKING");
      for (std::size_t i = 0; i < blocking.size() && i < kShown; ++i) {
        auto* item = b->AddSectionDictionary("ITEM");
        item->SetValue("NAME", blocking[i]->kind + " " + blocking[i]->name);
        item->SetValue("REASON", blocking[i]->reason);
      }
      if (blocking.size() > kShown) {
        auto* more = b->AddSectionDictionary("MORE");
        more->SetIntValue("COUNT", static_cast<long>(blocking.size() - kShown));
        more->SetValue("ENVIRONMENT", dec.environment);
      }
    }
    if (!dec.rule_differences.empty()) {
      auto* r = v->AddSectionDictionary("RULES_DIFFER");
      r->SetIntValue("COUNT", static_cast<long>(dec.rule_differences.size()));
      r->SetValue("ENVIRONMENT", dec.environment);
    }
  }
}

void add_decisions(ctemplate::TemplateDictionary& c,
                   const std::vector<core::StoredDecision>& decisions) {
  add_verdicts(c, decisions);
  if (decisions.empty()) c.ShowSection("NO_DECISIONS");
  for (const auto& dec : decisions) {
    auto* d = c.AddSectionDictionary("DECISION");
    d->SetIntValue("ID", dec.id);
    d->SetValue("ENVIRONMENT", dec.environment);
    d->SetValue("DECISION", dec.decision);
    d->SetValue("CREATED", format_time(dec.created_at));
    d->SetValue("SOURCE", dec.source);
    d->SetValue("SUMMARY", dec.summary);
    if (dec.baseline_sha.empty())
      d->ShowSection("NO_BASE");
    else
      d->AddSectionDictionary("BASE")->SetValue("SHORT_SHA", util::short_sha(dec.baseline_sha));
    add_rules_in_force(d, dec);
    const bool by_rule_set = !dec.rule_differences.empty();
    if (by_rule_set) d->ShowSection("RULES_HEADER");
    // Checks computed from predictions: their interval and what it rests on, in two columns.
    const bool evidence =
        std::any_of(dec.checks.begin(), dec.checks.end(),
                    [](const core::StoredCheck& c) { return !c.evidence.empty(); });
    if (evidence) d->ShowSection("EVIDENCE_HEADER");
    for (const auto* ch : core::blocking_first(dec.checks)) {
      auto* r = d->AddSectionDictionary("CHECK");
      if (by_rule_set) r->AddSectionDictionary("RULE_SET")->SetValue("SET", ch->rule_set);
      if (evidence) {
        auto* e = r->AddSectionDictionary("EVIDENCE");
        e->SetValue("INTERVAL", ch->interval.empty() ? "-" : ch->interval);
        e->SetValue("TEXT", ch->evidence);
      }
      r->SetValue("KIND", ch->kind);
      r->SetValue("NAME", ch->name);
      r->SetValue("STATUS", ch->status);
      r->SetValue("VALUE", format_value(ch->value));
      r->SetValue("BASELINE", format_value(ch->baseline));
      r->SetValue("THRESHOLD", ch->threshold);
      r->SetValue("REASON", ch->reason);
    }
  }
}

void add_rubric_section(ctemplate::TemplateDictionary* r, core::RubricSection section,
                        const core::StoredRubric& rubric) {
  const std::string sid(core::section_id(section));
  auto* s = r->AddSectionDictionary("SECTION");
  s->SetValue("ID", sid);
  s->SetValue("TITLE", std::string(core::section_title(section)));
  auto sum = rubric.sections.find(sid);
  s->SetValue("SUM", format_value(sum == rubric.sections.end() ? std::nullopt : sum->second));
  for (const auto& item : core::rubric_items()) {
    if (item.section != section) continue;
    auto* d = s->AddSectionDictionary("ITEM");
    const std::string id(item.id);
    d->SetValue("ID", id);
    d->SetValue("TITLE", std::string(item.title));
    auto found = rubric.items.find(id);
    const double points = found == rubric.items.end() ? 0 : found->second.points;
    d->SetValue("POINTS", core::format_number(points));
    d->SetValue("CLASS", points >= 1 ? "pass" : points > 0 ? "pending" : "");
    d->SetValue("EVIDENCE", found == rubric.items.end() ? "" : found->second.evidence);
  }
}

void add_rubric(ctemplate::TemplateDictionary& c,
                const std::vector<core::StoredDecision>& decisions) {
  const core::StoredDecision* latest = core::rubric_decision(decisions);
  if (!latest) return c.ShowSection("NO_RUBRIC");
  const core::StoredRubric& rubric = *latest->rubric;
  auto* r = c.AddSectionDictionary("RUBRIC");
  r->SetValue("SCORE", format_value(rubric.score));
  r->SetValue("BAND", rubric.band);
  r->SetValue("ENVIRONMENT", latest->environment);
  r->SetValue("DECIDED", format_time(latest->created_at));
  for (auto section : core::kRubricSections) add_rubric_section(r, section, rubric);
}

// What the page compares with, and the decisions it shows.
struct Loaded {
  store::PipelinePageView view;
  std::vector<core::StoredDecision> decisions;
  std::string environment;  // the baseline's; "" when there is none to choose
  store::PageBaseline baseline;
  std::vector<store::RolloutRow> rollouts;  // of this commit, newest first
};

std::vector<core::StoredDecision> stored_decisions(
    const std::vector<store::GateDecisionRow>& rows) {
  std::vector<core::StoredDecision> out;
  for (const auto& r : rows) {
    core::StoredDecision d;
    d.id = r.id;
    d.environment = r.environment;
    d.decision = r.decision;
    d.baseline_sha = r.baseline_sha;
    d.source = r.source;
    d.created_at = r.created_at;
    core::read_decision_json(d, r.checks_json, r.inputs_json);
    out.push_back(std::move(d));
  }
  return out;
}

// The commit's staged rollouts, under the verdict: the environment (its page has the timeline),
// the state and the stage with its split.
void add_rollouts(ctemplate::TemplateDictionary& c, const std::vector<store::RolloutRow>& rollouts,
                  const std::string& repo) {
  for (const auto& r : rollouts) {
    auto* d = c.AddSectionDictionary("ROLLOUT");
    d->SetValue("ENVIRONMENT", r.environment);
    d->SetValue("URL", environment_url(repo, r.environment) + "#rollout");
    d->SetValue("STATE", std::string(core::to_string(r.state)));
    if (r.stage < r.config.stages.size()) {
      const auto& stage = r.config.stages[r.stage];
      d->SetValue("STAGE", stage.name);
      d->SetValue("STAGE_TEXT", core::stage_text(stage));
    }
  }
}

void add_baseline(ctemplate::TemplateDictionary& c, std::int64_t id, const Loaded& l) {
  if (!l.baseline.sha) {
    auto* nb = c.AddSectionDictionary("NO_BASELINE");
    if (!l.environment.empty())
      nb->AddSectionDictionary("ENVIRONMENT")->SetValue("NAME", l.environment);
    return;
  }
  auto* b = c.AddSectionDictionary("BASELINE");
  b->SetValue("SHORT_SHA", util::short_sha(*l.baseline.sha));
  b->SetValue("ENVIRONMENT", l.environment);
  if (l.baseline.pipeline_id) {
    auto* pd = b->AddSectionDictionary("PIPELINE");
    pd->SetIntValue("ID", *l.baseline.pipeline_id);
    pd->SetValue("URL", pipeline_url(*l.baseline.pipeline_id));
  }
  const auto& environments = l.view.deployed_environments;
  if (environments.size() <= 1) return;
  auto* o = b->AddSectionDictionary("OTHER_ENV");
  for (const auto& e : environments) {
    if (e == l.environment) continue;
    auto* link = o->AddSectionDictionary("ENV");
    link->SetValue("NAME", e);
    link->SetValue("URL",
                   pipeline_url(id) + "?environment=" + httplib::detail::encode_query_param(e));
  }
}

void add_metrics(ctemplate::TemplateDictionary& c, const core::MetricComparisons& m) {
  for (const auto& row : m.globals) {
    auto* d = c.AddSectionDictionary("METRIC");
    d->SetValue("NAME", row.metric->name);
    set_comparison(d, row.comparison);
    set_check(d, row.check);
  }
  c.ShowSection(m.globals.empty() ? "NO_METRICS" : "HAS_METRICS");
  for (const auto& row : m.slices) {
    auto* d = c.AddSectionDictionary("SLICE");
    d->SetValue("KEY", row.metric->slice_key);
    d->SetValue("GROUP", row.metric->slice_value);
    d->SetValue("NAME", row.metric->name);
    d->SetValue("N", row.metric->n ? std::to_string(*row.metric->n) : "-");
    set_comparison(d, row.comparison);
    set_check(d, row.check);
  }
  c.ShowSection(m.slices.empty() ? "NO_SLICES" : "HAS_SLICES");
}

void add_fairness(ctemplate::TemplateDictionary& c,
                  const std::vector<core::StoredDecision>& decisions) {
  const auto rows = core::fairness_rows(decisions);
  for (const auto& row : rows) {
    auto* f = c.AddSectionDictionary("FAIR");
    f->SetValue("ENVIRONMENT", row.environment);
    f->SetValue("NAME", row.check->name);
    f->SetValue("STATUS", row.check->status);
    f->SetValue("VALUE", format_value(row.check->value));
    f->SetValue("THRESHOLD", row.check->threshold);
    f->SetValue("REASON", row.check->reason);
  }
  c.ShowSection(rows.empty() ? "NO_FAIRNESS" : "HAS_FAIRNESS");
}

// The metric changes drawn (core/forest_svg.h): the checks of the decision for the baseline's
// environment as a forest plot, and the slices as bars with their min.
void add_plots(ctemplate::TemplateDictionary& c, const Loaded& l,
               const core::MetricComparisons& m) {
  const core::StoredDecision* d = core::plotted_decision(l.decisions, l.environment);
  const auto rows = d ? core::forest_rows(d->checks) : std::vector<core::ForestRow>{};
  if (!rows.empty()) {
    auto* f = c.AddSectionDictionary("FOREST");
    f->SetValue("SVG", core::forest_svg(rows));
    f->SetValue("ENVIRONMENT", d->environment);
  }
  if (!m.slices.empty())
    c.AddSectionDictionary("SLICE_BARS")
        ->SetValue("SVG", core::slice_bars_svg(core::slice_bars(m.slices)));
}

// The flipped examples the gate's flip_rate check carries, under "Prediction flips".
void add_flips(ctemplate::TemplateDictionary& c, const core::StoredCheck* flip) {
  if (!flip || flip->examples.empty()) return;
  auto* t = c.AddSectionDictionary("FLIPS");
  t->SetIntValue("COUNT", static_cast<long>(flip->examples.size()));
  const auto label = [](const std::string& l) { return l.empty() ? "(no label)" : l; };
  for (const auto& e : flip->examples) {
    auto* r = t->AddSectionDictionary("FLIP");
    r->SetValue("ID", e.id);
    r->SetValue("BASELINE", label(e.baseline));
    r->SetValue("CANDIDATE", label(e.candidate));
    r->SetValue("TRUTH", e.truth ? label(*e.truth) : "-");
  }
}

// The comparison with the baseline: metrics and slices, fairness, flips, the scorecard and the
// decisions themselves.
void add_comparison(ctemplate::TemplateDictionary& c, std::int64_t id, const Loaded& l) {
  add_baseline(c, id, l);
  const core::JobResults* baseline = core::baseline_of(l.baseline.sha, l.baseline.results);
  const core::CheckIndex checks(l.decisions, l.environment);
  const core::MetricComparisons metrics = core::compare_metrics(l.view.results, baseline, checks);
  add_plots(c, l, metrics);
  add_metrics(c, metrics);
  add_fairness(c, l.decisions);
  const auto* flip = checks.find("predictions", "flip_rate");
  c.SetValue("FLIP_TEXT",
             flip ? core::flip_check_text(*flip) : core::flip_text(l.view.results, baseline));
  add_flips(c, flip);
  add_rubric(c, l.decisions);
  add_decisions(c, l.decisions);
}

}  // namespace

void pipeline_page(const PageDeps& deps, const httplib::Request& req, httplib::Response& res) {
  const auto id = std::stoll(req.matches[1].str());
  auto caller = authorize_page(deps.auth, req, res, "read", {ResourceKind::pipeline, id});
  if (!caller) return;
  const std::string wanted_env = req.get_param_value("environment");
  auto pipeline = deps.db.with([&](pqxx::connection& conn) {
    pqxx::read_transaction tx(conn);
    return store::get_pipeline_status(tx, id);
  });
  if (!pipeline)
    return send_message(res, &*caller, 404, "Not found", "No pipeline " + std::to_string(id) + ".",
                        true);
  const auto& p = *pipeline;
  Page page(&*caller, "Pipeline #" + std::to_string(id) + " of " + p.repo_name, "pipeline.tpl");
  auto& c = page.content();
  add_header(c, p);
  add_approval(c, p, *caller);
  const Loaded loaded = deps.db.with([&](pqxx::connection& conn) {
    pqxx::read_transaction tx(conn);
    Loaded l;
    l.view = store::load_pipeline_page(tx, p);
    l.decisions = stored_decisions(l.view.decisions);
    l.environment =
        core::baseline_environment(wanted_env, l.decisions, l.view.deployed_environments);
    l.baseline = store::load_page_baseline(tx, p.repo_id, l.environment);
    l.rollouts = store::rollouts_of_commit(tx, p.repo_id, p.sha);
    return l;
  });
  add_rollouts(c, loaded.rollouts, p.repo_name);
  add_jobs(c, loaded.view.jobs);
  add_tests(c, loaded.view);
  add_comparison(c, id, loaded);
  page.send(res);
}

// POST /pipelines/{id}/approve, the button of add_approval: a form post authorised like the API's
// route (deploy scope; the cookie is SameSite=Strict, so another site cannot post it, as for POST
// /logout), then back to the pipeline.
void approve_pipeline_form(const PageDeps& deps, const httplib::Request& req,
                           httplib::Response& res) {
  const auto id = std::stoll(req.matches[1].str());
  auto caller = authorize_page(deps.auth, req, res, "deploy", {ResourceKind::pipeline, id});
  if (!caller) return;
  const ApprovalAnswer answer = approve_pipeline(deps.db, caller->caller, id);
  if (answer.status == 200) return res.set_redirect(pipeline_url(id), 303);
  send_message(res, &*caller, answer.status, "Not approved",
               answer.body["error"].value("message", std::string("not approved")), true);
}

}  // namespace mlgate::server::pages
