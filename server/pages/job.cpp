// A job's page (GET /jobs/{id}): state, attempts, results files, and the log of its latest
// attempt (the last 256 KiB; the page refreshes every 3 s while the job waits or runs). The raw
// log is GET /jobs/{id}/log.txt, with the page's auth (cookies work there, unlike the API).
#include "core/repeats.h"
#include "core/repo_view.h"
#include "server/pages/pages.h"
#include "store/job_queue.h"
#include "store/jobs.h"
#include "store/page_views.h"

namespace mlgate::server::pages {
namespace {

constexpr std::size_t kLogShown = 256 * 1024;
constexpr int kRefreshSeconds = 3;

void add_files(ctemplate::TemplateDictionary& c, const store::JobPageView& j) {
  const auto files = core::results_files(j.results_files_json);
  if (files.empty()) return c.ShowSection("NO_FILES");
  auto* h = c.AddSectionDictionary("HAS_FILES");
  for (const auto& [name, size] : files) {
    auto* f = h->AddSectionDictionary("FILE");
    f->SetValue("NAME", name);
    f->SetValue("SIZE", size ? format_bytes(*size) : "");
  }
  h->SetIntValue("TESTS", j.tests);
  h->SetIntValue("METRICS", j.metrics);
  h->SetIntValue("PREDICTIONS", j.predictions);
}

void add_attempts(ctemplate::TemplateDictionary& c,
                  const std::vector<store::JobPageAttempt>& attempts) {
  if (!attempts.empty()) c.ShowSection("HAS_ATTEMPTS");
  for (const auto& a : attempts) {
    auto* d = c.AddSectionDictionary("ATTEMPT_ROW");
    d->SetIntValue("N", a.attempt);
    d->SetValue("RUNNER", a.runner.empty() ? "-" : a.runner);
    d->SetValue("STARTED", format_time(a.started_at));
    d->SetValue("OUTCOME", core::attempt_outcome_text(a.outcome, a.ended));
  }
}

void fill_job(Page& page, const store::JobPageView& j, const std::string& log) {
  auto& c = page.content();
  c.SetIntValue("ID", j.id);
  c.SetValue("TIER", core::tier_label(j.tier, j.repeat, j.repeats));
  c.SetValue("STATE", std::string(core::to_string(j.state)));
  if (core::job_page_refreshes(j.state)) {
    page.refresh_every(kRefreshSeconds);
    c.AddSectionDictionary("LIVE")->SetIntValue("SECONDS", kRefreshSeconds);
  }
  c.SetIntValue("PIPELINE_ID", j.pipeline_id);
  c.SetValue("PIPELINE_URL", pipeline_url(j.pipeline_id));
  c.SetValue("SHORT_SHA", util::short_sha(j.sha));
  c.SetValue("REPO", j.repo_name);
  c.SetValue("REPO_URL", repo_url(j.repo_name));
  c.SetValue("IMAGE", j.image);
  c.SetIntValue("ATTEMPT", j.attempt);
  c.SetIntValue("MAX_ATTEMPTS", j.max_attempts);
  c.SetValue("RUNNER", j.runner.empty() ? "-" : j.runner);
  c.SetValue("EXIT_CODE", j.exit_code ? std::to_string(*j.exit_code) : "-");
  if (!j.message.empty()) c.AddSectionDictionary("MESSAGE")->SetValue("TEXT", j.message);
  if (!j.results_error.empty())
    c.AddSectionDictionary("RESULTS_ERROR")->SetValue("TEXT", j.results_error);
  add_files(c, j);
  c.SetValue("LOG_BYTES", format_bytes(j.log_bytes));
  if (j.log_truncated) c.ShowSection("TRUNCATED");
  if (j.logs_deleted_at)
    c.AddSectionDictionary("LOGS_DELETED")->SetValue("AT", format_time(*j.logs_deleted_at));
  c.SetValue("DURATION", format_duration(j.duration_seconds));
  c.SetValue("TIMEOUT", format_duration(j.timeout_seconds));
  c.SetValue("RAW_URL", job_url(j.id) + "/log.txt");
  add_attempts(c, j.attempts);
  bool cut = false;
  c.SetValue("LOG", core::log_tail(log, kLogShown, cut));
  if (cut) c.AddSectionDictionary("LOG_TAIL")->SetValue("SHOWN", format_bytes(kLogShown));
}

}  // namespace

void job_page(const PageDeps& deps, const httplib::Request& req, httplib::Response& res) {
  const auto id = std::stoll(req.matches[1].str());
  auto caller = authorize_page(deps.auth, req, res, "read", {ResourceKind::job, id});
  if (!caller) return;
  auto page = deps.db.with([&](pqxx::connection& conn) -> std::unique_ptr<Page> {
    pqxx::read_transaction tx(conn);
    auto job = store::load_job_page(tx, id);
    if (!job) return nullptr;
    auto out = std::make_unique<Page>(
        &*caller,
        "Job #" + std::to_string(id) + " " + core::tier_label(job->tier, job->repeat, job->repeats),
        "job.tpl");
    fill_job(*out, *job, store::read_log(tx, id));
    return out;
  });
  if (!page)
    return send_message(res, &*caller, 404, "Not found", "No job " + std::to_string(id) + ".",
                        true);
  page->send(res);
}

void job_log_text(const PageDeps& deps, const httplib::Request& req, httplib::Response& res) {
  const auto id = std::stoll(req.matches[1].str());
  auto caller = authorize_page(deps.auth, req, res, "read", {ResourceKind::job, id});
  if (!caller) return;
  auto log = deps.db.with([&](pqxx::connection& conn) -> std::optional<std::string> {
    pqxx::read_transaction tx(conn);
    if (!store::job_exists(tx, id)) return std::nullopt;
    return store::read_log(tx, id);
  });
  if (!log)
    return send_message(res, &*caller, 404, "Not found", "No job " + std::to_string(id) + ".",
                        true);
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Content-Disposition", "inline; filename=\"job-" + std::to_string(id) + ".log\"");
  res.set_content(*log, "text/plain; charset=utf-8");
}

}  // namespace mlgate::server::pages
