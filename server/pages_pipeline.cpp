// A pipeline's page (GET /pipelines/{id}[?environment=E]): tiers and jobs, test counts and the
// failing tests, metrics and slices next to the baseline (the commit deployed to E now) with the
// deltas coloured, fairness and prediction flips, the ML Test Score scorecard, and the gate
// decisions per environment. Decisions are read from the stored gate_decisions rows (their checks
// and inputs), never re-evaluated here: the page shows what deploy pipelines were told.
#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "core/rubric.h"
#include "core/trend_svg.h"
#include "server/app.h"
#include "server/pages.h"
#include "store/deployments.h"
#include "store/gate_inputs.h"
#include "store/pipeline_queries.h"
#include "store/pq.h"

namespace mlgate::server::pages {
namespace {

using nlohmann::json;

struct StoredDecision {
  std::int64_t id = 0;
  std::string environment;
  std::string decision;
  std::string baseline_sha;
  json checks;
  json inputs;
  std::string source;
  std::string created_at;
};

std::optional<double> number_of(const json& v) {
  if (v.is_number()) return v.get<double>();
  return std::nullopt;
}

// Whether a larger value is better, read off the gate's threshold text for the metric
// ("min 0.9, max_drop 1%" -> higher is better; "max 50, max_increase 10%" -> lower is better).
// nullopt when no check says.
std::optional<bool> higher_is_better(const json* check) {
  if (!check) return std::nullopt;
  const std::string t = check->value("threshold", "");
  if (t.find("max_increase") != std::string::npos) return false;
  if (t.find("max_drop") != std::string::npos) return true;
  const bool has_min = t.rfind("min ", 0) == 0 || t.find(", min ") != std::string::npos;
  const bool has_max = t.rfind("max ", 0) == 0 || t.find(", max ") != std::string::npos;
  if (has_min && !has_max) return true;
  if (has_max && !has_min) return false;
  return std::nullopt;
}

// Sets VALUE, BASELINE, DELTA and DELTA_CLASS (good / bad / neutral).
void set_comparison(ctemplate::TemplateDictionary* d, double value, std::optional<double> baseline,
                    std::optional<bool> higher_better) {
  d->SetValue("VALUE", core::format_number(value));
  d->SetValue("BASELINE", format_value(baseline));
  if (!baseline || !std::isfinite(*baseline) || !std::isfinite(value)) {
    d->SetValue("DELTA", "-");
    d->SetValue("DELTA_CLASS", "neutral");
    return;
  }
  const double delta = value - *baseline;
  std::string text = (delta > 0 ? "+" : "") + core::format_number(delta);
  if (*baseline != 0) {
    char pct[32];
    std::snprintf(pct, sizeof pct, " (%+.1f%%)", 100.0 * delta / std::fabs(*baseline));
    text += pct;
  }
  d->SetValue("DELTA", text);
  std::string cls = "neutral";
  if (delta != 0 && higher_better) cls = (delta > 0) == *higher_better ? "good" : "bad";
  d->SetValue("DELTA_CLASS", cls);
}

void set_check(ctemplate::TemplateDictionary* d, const json* check) {
  if (!check) return;
  auto* c = d->AddSectionDictionary("CHECK");
  c->SetValue("STATUS", check->value("status", ""));
  c->SetValue("REASON", check->value("reason", ""));
  c->SetValue("THRESHOLD", check->value("threshold", ""));
}

std::vector<StoredDecision> latest_decisions(pqxx::transaction_base& tx, std::int64_t repo_id,
                                             const std::string& sha) {
  std::vector<StoredDecision> out;
  for (const auto& r : tx.exec_params(
           "SELECT DISTINCT ON (environment) id, environment, decision, coalesce(baseline_sha, "
           "''), "
           "checks::text, inputs::text, source, "
           "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
           "FROM gate_decisions WHERE repo_id = $1 AND sha = $2 ORDER BY environment, id DESC",
           repo_id, sha)) {
    StoredDecision d;
    d.id = r[0].as<std::int64_t>();
    d.environment = r[1].as<std::string>();
    d.decision = r[2].as<std::string>();
    d.baseline_sha = r[3].as<std::string>();
    d.checks = json::parse(r[4].as<std::string>(), nullptr, false);
    d.inputs = json::parse(r[5].as<std::string>(), nullptr, false);
    d.source = r[6].as<std::string>();
    d.created_at = r[7].as<std::string>();
    if (!d.checks.is_array()) d.checks = json::array();
    if (!d.inputs.is_object()) d.inputs = json::object();
    out.push_back(std::move(d));
  }
  return out;
}

void add_jobs(pqxx::read_transaction& tx, ctemplate::TemplateDictionary& c, std::int64_t id) {
  auto jobs = tx.exec_params(
      "SELECT j.id, j.tier, j.state, j.attempt, j.max_attempts, "
      "coalesce(r.name, ''), j.exit_code, "
      "extract(epoch FROM coalesce(j.finished_at, now()) - j.started_at), "
      "coalesce(j.results_error, j.message, '') "
      "FROM jobs j LEFT JOIN runners r ON r.id = coalesce(j.runner_id, "
      "  (SELECT a.runner_id FROM job_attempts a WHERE a.job_id = j.id ORDER BY a.attempt DESC "
      "   LIMIT 1)) "
      "WHERE j.pipeline_id = $1 ORDER BY j.priority, j.id",
      id);
  for (const auto& j : jobs) {
    const auto job_id = j[0].as<std::int64_t>();
    auto* d = c.AddSectionDictionary("JOB");
    d->SetIntValue("ID", job_id);
    d->SetValue("URL", job_url(job_id));
    d->SetValue("TIER", j[1].as<std::string>());
    d->SetValue("STATE", j[2].as<std::string>());
    d->SetIntValue("ATTEMPT", j[3].as<long>());
    d->SetIntValue("MAX_ATTEMPTS", j[4].as<long>());
    d->SetValue("RUNNER", j[5].as<std::string>().empty() ? "-" : j[5].as<std::string>());
    auto exit_code = store::get_optional<int>(j[6]);
    d->SetValue("EXIT_CODE", exit_code ? std::to_string(*exit_code) : "-");
    d->SetValue("DURATION", format_duration(store::get_optional<double>(j[7])));
    d->SetValue("NOTE", j[8].as<std::string>());
  }
  c.ShowSection(jobs.empty() ? "NO_JOBS" : "HAS_JOBS");
}

void add_tests(pqxx::read_transaction& tx, ctemplate::TemplateDictionary& c, std::int64_t id) {
  std::map<std::string, long> counts;
  for (const auto& r :
       tx.exec_params("SELECT t.status, count(*) FROM test_cases t JOIN jobs j ON j.id = t.job_id "
                      "WHERE j.pipeline_id = $1 GROUP BY t.status",
                      id))
    counts[r[0].as<std::string>()] = r[1].as<long>();
  c.SetIntValue("PASSED", counts["passed"]);
  c.SetIntValue("FAILED", counts["failed"]);
  c.SetIntValue("ERRORS", counts["error"]);
  c.SetIntValue("SKIPPED", counts["skipped"]);
  auto failing = tx.exec_params(
      "SELECT j.tier, t.classname, t.name, t.status, t.message FROM test_cases t "
      "JOIN jobs j ON j.id = t.job_id WHERE j.pipeline_id = $1 AND t.status IN ('failed', 'error') "
      "ORDER BY j.priority, t.id LIMIT 200",
      id);
  if (failing.empty()) return;
  auto* f = c.AddSectionDictionary("FAILING");
  for (const auto& r : failing) {
    auto* d = f->AddSectionDictionary("TEST");
    const auto cls = r[1].as<std::string>();
    d->SetValue("TIER", r[0].as<std::string>());
    d->SetValue("NAME", cls.empty() ? r[2].as<std::string>() : cls + "::" + r[2].as<std::string>());
    d->SetValue("STATUS", r[3].as<std::string>());
    d->SetValue("MESSAGE", r[4].as<std::string>().substr(0, 2000));
  }
}

void add_decisions(ctemplate::TemplateDictionary& c, const std::vector<StoredDecision>& decisions) {
  if (decisions.empty()) c.ShowSection("NO_DECISIONS");
  for (const auto& dec : decisions) {
    auto* d = c.AddSectionDictionary("DECISION");
    d->SetIntValue("ID", dec.id);
    d->SetValue("ENVIRONMENT", dec.environment);
    d->SetValue("DECISION", dec.decision);
    d->SetValue("CREATED", format_time(dec.created_at));
    d->SetValue("SOURCE", dec.source);
    d->SetValue("SUMMARY", dec.inputs.value("summary", ""));
    if (dec.baseline_sha.empty())
      d->ShowSection("NO_BASE");
    else
      d->AddSectionDictionary("BASE")->SetValue("SHORT_SHA", short_sha(dec.baseline_sha));
    // Failing checks first, then the rest, each group in the engine's order.
    std::vector<const json*> ordered;
    for (const auto& ch : dec.checks)
      if (ch.value("blocks", false)) ordered.push_back(&ch);
    for (const auto& ch : dec.checks)
      if (!ch.value("blocks", false)) ordered.push_back(&ch);
    for (const auto* ch : ordered) {
      auto* r = d->AddSectionDictionary("CHECK");
      r->SetValue("KIND", ch->value("kind", ""));
      r->SetValue("NAME", ch->value("name", ""));
      r->SetValue("STATUS", ch->value("status", ""));
      r->SetValue("VALUE", format_value(number_of(ch->value("value", json()))));
      r->SetValue("BASELINE", format_value(number_of(ch->value("baseline", json()))));
      r->SetValue("THRESHOLD", ch->value("threshold", ""));
      r->SetValue("REASON", ch->value("reason", ""));
    }
  }
}

void add_rubric(ctemplate::TemplateDictionary& c, const std::vector<StoredDecision>& decisions) {
  const StoredDecision* latest = nullptr;
  for (const auto& d : decisions)
    if (d.inputs.contains("rubric") && d.inputs["rubric"].is_object() &&
        (!latest || d.id > latest->id))
      latest = &d;
  if (!latest) return c.ShowSection("NO_RUBRIC");
  const json& rubric = latest->inputs["rubric"];
  auto* r = c.AddSectionDictionary("RUBRIC");
  r->SetValue("SCORE", format_value(number_of(rubric.value("score", json()))));
  r->SetValue("BAND", rubric.value("band", ""));
  r->SetValue("ENVIRONMENT", latest->environment);
  r->SetValue("DECIDED", format_time(latest->created_at));
  std::map<std::string, const json*> items;
  if (rubric.contains("items") && rubric["items"].is_array())
    for (const auto& it : rubric["items"]) items[it.value("id", "")] = &it;
  const json sections = rubric.value("sections", json::object());
  for (auto section : core::kRubricSections) {
    const std::string sid(core::section_id(section));
    auto* s = r->AddSectionDictionary("SECTION");
    s->SetValue("ID", sid);
    s->SetValue("TITLE", std::string(core::section_title(section)));
    s->SetValue("SUM", format_value(number_of(sections.value(sid, json()))));
    for (const auto& item : core::rubric_items()) {
      if (item.section != section) continue;
      auto* d = s->AddSectionDictionary("ITEM");
      const std::string id(item.id);
      d->SetValue("ID", id);
      d->SetValue("TITLE", std::string(item.title));
      auto found = items.find(id);
      const double points = found == items.end() ? 0 : found->second->value("points", 0.0);
      d->SetValue("POINTS", core::format_number(points));
      d->SetValue("CLASS", points >= 1 ? "pass" : points > 0 ? "pending" : "");
      d->SetValue("EVIDENCE", found == items.end() ? "" : found->second->value("evidence", ""));
    }
  }
}

// The share of common example ids whose label changed, with how many ids were compared.
std::string flip_text(const core::JobResults& candidate, const core::JobResults* baseline) {
  if (!baseline) return "No baseline to compare predictions with.";
  std::map<std::string, std::string> base;
  for (const auto& p : baseline->predictions) base[p.id] = p.label;
  std::map<std::string, std::string> cand;
  for (const auto& p : candidate.predictions) cand[p.id] = p.label;
  if (cand.empty() || base.empty()) return "No predictions.jsonl on both sides to compare.";
  long common = 0;
  long flips = 0;
  for (const auto& [id, label] : cand) {
    auto it = base.find(id);
    if (it == base.end()) continue;
    ++common;
    flips += it->second != label;
  }
  if (!common) return "No example id in common with the baseline's predictions.";
  char buf[160];
  std::snprintf(buf, sizeof buf, "Flip rate %.2f%%: %ld of %ld common examples changed label.",
                100.0 * static_cast<double>(flips) / static_cast<double>(common), flips, common);
  return buf;
}

}  // namespace

void pipeline_page(App& app, const httplib::Request& req, httplib::Response& res) {
  auto caller = authorize_page(app, req, res);
  if (!caller) return;
  const auto id = std::stoll(req.matches[1].str());
  const std::string wanted_env = req.get_param_value("environment");
  auto pipeline = app.db().with([&](pqxx::connection& conn) {
    pqxx::read_transaction tx(conn);
    return store::get_pipeline_status(tx, id);
  });
  if (!pipeline)
    return send_message(res, &*caller, 404, "Not found", "No pipeline " + std::to_string(id) + ".",
                        true);
  if (!caller->may_see_repo(pipeline->repo_id))
    return send_message(res, &*caller, 403, "Forbidden",
                        "This token is restricted to another repository.", true);
  const auto& p = *pipeline;
  Page page(&*caller, "Pipeline #" + std::to_string(id) + " of " + p.repo_name, "pipeline.tpl");
  auto& c = page.content();
  c.SetIntValue("ID", id);
  c.SetValue("STATE", p.state);
  c.SetValue("REPO", p.repo_name);
  c.SetValue("REPO_URL", repo_url(p.repo_name));
  c.SetValue("SHA", p.sha);
  c.SetValue("BRANCH", p.branch.empty() ? p.ref : p.branch);
  c.SetValue("TRIGGER", p.trigger);
  if (p.pr_number) c.AddSectionDictionary("PR")->SetIntValue("NUMBER", *p.pr_number);
  c.SetValue("AUTHOR", p.author.empty() ? "-" : p.author);
  c.SetValue("CREATED", format_time(p.created_at));
  c.SetValue("MESSAGE", p.commit_message);
  if (!p.error.empty()) c.AddSectionDictionary("PIPELINE_ERROR")->SetValue("TEXT", p.error);

  c.SetValue("DURATION", format_duration(p.duration_seconds));
  app.db().with([&](pqxx::connection& conn) {
    pqxx::read_transaction tx(conn);
    add_jobs(tx, c, id);
    add_tests(tx, c, id);
    const auto decisions = latest_decisions(tx, p.repo_id, p.sha);

    // The baseline: the commit deployed now to ?environment=, else to the environment of the
    // latest decision, else to the environment deployed to last.
    std::vector<std::string> environments;
    for (const auto& r : tx.exec_params(
             "SELECT environment FROM deployments WHERE repo_id = $1 GROUP BY environment "
             "ORDER BY max(id) DESC",
             p.repo_id))
      environments.push_back(r[0].as<std::string>());
    std::string env = wanted_env;
    if (env.empty()) {
      // The newest decision for an environment something is deployed to, else the environment
      // deployed to last, else the newest decision's.
      std::vector<const StoredDecision*> newest_first;
      for (const auto& d : decisions) newest_first.push_back(&d);
      std::sort(newest_first.begin(), newest_first.end(),
                [](const auto* a, const auto* b) { return a->id > b->id; });
      for (const auto* d : newest_first)
        if (env.empty() && std::find(environments.begin(), environments.end(), d->environment) !=
                               environments.end())
          env = d->environment;
      if (env.empty() && !environments.empty()) env = environments.front();
      if (env.empty() && !newest_first.empty()) env = newest_first.front()->environment;
    }
    std::optional<std::string> baseline_sha;
    if (!env.empty()) baseline_sha = store::deployment_state(tx, p.repo_id, env).current_sha;

    store::GatePipeline self;
    self.id = id;
    for (const auto& j : p.jobs) self.job_ids.push_back(j.id);
    const auto candidate = store::load_pipeline_results(tx, self);
    std::optional<core::JobResults> baseline;
    if (baseline_sha) {
      auto* b = c.AddSectionDictionary("BASELINE");
      b->SetValue("SHORT_SHA", short_sha(*baseline_sha));
      b->SetValue("ENVIRONMENT", env);
      if (auto bp = store::gate_view_of_commit(tx, p.repo_id, *baseline_sha)) {
        baseline = store::load_pipeline_results(tx, *bp);
        auto* pd = b->AddSectionDictionary("PIPELINE");
        pd->SetIntValue("ID", bp->id);
        pd->SetValue("URL", pipeline_url(bp->id));
      } else {
        baseline = core::JobResults{};
      }
      if (environments.size() > 1) {
        auto* o = b->AddSectionDictionary("OTHER_ENV");
        for (const auto& e : environments) {
          if (e == env) continue;
          auto* l = o->AddSectionDictionary("ENV");
          l->SetValue("NAME", e);
          l->SetValue("URL",
                      pipeline_url(id) + "?environment=" + httplib::detail::encode_query_param(e));
        }
      }
    } else {
      auto* nb = c.AddSectionDictionary("NO_BASELINE");
      if (!env.empty()) nb->AddSectionDictionary("ENVIRONMENT")->SetValue("NAME", env);
    }

    // The gate's checks by name, preferring the decision for the baseline's environment.
    std::map<std::string, const json*> checks;
    for (int pass = 0; pass < 2; ++pass)
      for (const auto& d : decisions)
        if ((pass == 0) == (d.environment == env))
          for (const auto& ch : d.checks) {
            const std::string key = ch.value("kind", "") + ":" + ch.value("name", "");
            if (!checks.count(key)) checks[key] = &ch;
          }
    auto check_for = [&](const std::string& kind, const std::string& name) -> const json* {
      auto it = checks.find(kind + ":" + name);
      return it == checks.end() ? nullptr : it->second;
    };

    // Global metrics and slices, tiers merged (the later tier's value wins, as in the gate).
    std::vector<std::string> order;
    std::map<std::string, const core::Metric*> globals;
    std::vector<std::string> slice_order;
    std::map<std::string, const core::Metric*> slices;
    auto slice_key = [](const core::Metric& m) {
      return m.name + "[" + m.slice_key + "=" + m.slice_value + "]";
    };
    for (const auto& m : candidate.metrics) {
      if (m.slice_key.empty()) {
        if (!globals.count(m.name)) order.push_back(m.name);
        globals[m.name] = &m;
      } else {
        const auto k = slice_key(m);
        if (!slices.count(k)) slice_order.push_back(k);
        slices[k] = &m;
      }
    }
    std::map<std::string, double> base_globals;
    std::map<std::string, double> base_slices;
    if (baseline)
      for (const auto& m : baseline->metrics)
        (m.slice_key.empty() ? base_globals[m.name] : base_slices[slice_key(m)]) = m.value;
    auto base_of = [](const std::map<std::string, double>& m, const std::string& k) {
      auto it = m.find(k);
      return it == m.end() ? std::optional<double>() : std::optional<double>(it->second);
    };
    for (const auto& name : order) {
      auto* d = c.AddSectionDictionary("METRIC");
      const auto* check = check_for("metric", name);
      d->SetValue("NAME", name);
      set_comparison(d, globals[name]->value, base_of(base_globals, name), higher_is_better(check));
      set_check(d, check);
    }
    c.ShowSection(order.empty() ? "NO_METRICS" : "HAS_METRICS");
    std::sort(slice_order.begin(), slice_order.end(), [&](const auto& a, const auto& b) {
      const auto& ma = *slices[a];
      const auto& mb = *slices[b];
      return std::tie(ma.slice_key, ma.name, ma.slice_value) <
             std::tie(mb.slice_key, mb.name, mb.slice_value);
    });
    for (const auto& k : slice_order) {
      const auto& m = *slices[k];
      auto* d = c.AddSectionDictionary("SLICE");
      const auto* check = check_for("slice", k);
      d->SetValue("KEY", m.slice_key);
      d->SetValue("GROUP", m.slice_value);
      d->SetValue("NAME", m.name);
      d->SetValue("N", m.n ? std::to_string(*m.n) : "-");
      // A slice check's direction is the metric's: min -> higher is better.
      set_comparison(d, m.value, base_of(base_slices, k), higher_is_better(check));
      set_check(d, check);
    }
    c.ShowSection(slice_order.empty() ? "NO_SLICES" : "HAS_SLICES");

    bool fairness = false;
    for (const auto& d : decisions)
      for (const auto& ch : d.checks)
        if (ch.value("kind", "") == "fairness") {
          fairness = true;
          auto* f = c.AddSectionDictionary("FAIR");
          f->SetValue("ENVIRONMENT", d.environment);
          f->SetValue("NAME", ch.value("name", ""));
          f->SetValue("STATUS", ch.value("status", ""));
          f->SetValue("VALUE", format_value(number_of(ch.value("value", json()))));
          f->SetValue("THRESHOLD", ch.value("threshold", ""));
          f->SetValue("REASON", ch.value("reason", ""));
        }
    c.ShowSection(fairness ? "HAS_FAIRNESS" : "NO_FAIRNESS");

    if (const auto* flip = check_for("predictions", "flip_rate")) {
      const auto v = number_of(flip->value("value", json()));
      char buf[64] = "-";
      if (v) std::snprintf(buf, sizeof buf, "%.2f%%", 100.0 * *v);
      c.SetValue("FLIP_TEXT", std::string("Flip rate ") + buf + " (" + flip->value("status", "") +
                                  ", " + flip->value("threshold", "") +
                                  "): " + flip->value("reason", ""));
    } else {
      c.SetValue("FLIP_TEXT", flip_text(candidate, baseline ? &*baseline : nullptr));
    }
    add_rubric(c, decisions);
    add_decisions(c, decisions);
  });
  page.send(res);
}

}  // namespace mlgate::server::pages
