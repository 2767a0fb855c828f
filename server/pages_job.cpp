// A job's page (GET /jobs/{id}): state, attempts, results files, and the log of its latest
// attempt (the last 256 KiB; the page refreshes every 3 s while the job waits or runs). The raw
// log is GET /jobs/{id}/log.txt, with the page's auth (cookies work there, unlike the API).
#include <nlohmann/json.hpp>

#include "server/app.h"
#include "server/pages.h"
#include "store/job_queue.h"
#include "store/pq.h"

namespace mlgate::server::pages {
namespace {

constexpr std::size_t kLogShown = 256 * 1024;
constexpr int kRefreshSeconds = 3;

// The pipeline's repo id, or nullopt when the job does not exist.
std::optional<std::int64_t> job_repo(pqxx::transaction_base& tx, std::int64_t job_id) {
  auto r = tx.exec_params(
      "SELECT p.repo_id FROM jobs j JOIN pipelines p ON p.id = j.pipeline_id WHERE j.id = $1",
      job_id);
  if (r.empty()) return std::nullopt;
  return r[0][0].as<std::int64_t>();
}

}  // namespace

void job_page(App& app, const httplib::Request& req, httplib::Response& res) {
  auto caller = authorize_page(app, req, res);
  if (!caller) return;
  const auto id = std::stoll(req.matches[1].str());
  auto page = app.db().with([&](pqxx::connection& conn) -> std::unique_ptr<Page> {
    pqxx::read_transaction tx(conn);
    auto r = tx.exec_params(
        "SELECT j.tier, j.state, j.pipeline_id, p.sha, rp.full_name, j.image, j.attempt, "
        "j.max_attempts, coalesce(rn.name, ''), j.exit_code, coalesce(j.message, ''), "
        "coalesce(j.results_error, ''), results_files::text, j.log_bytes, j.log_truncated, "
        "extract(epoch FROM coalesce(j.finished_at, now()) - j.started_at), j.timeout_seconds, "
        "p.repo_id, "
        "to_char(j.logs_deleted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') "
        "FROM jobs j JOIN pipelines p ON p.id = j.pipeline_id JOIN repos rp ON rp.id = p.repo_id "
        "LEFT JOIN runners rn ON rn.id = coalesce(j.runner_id, (SELECT a.runner_id FROM "
        "  job_attempts a WHERE a.job_id = j.id ORDER BY a.attempt DESC LIMIT 1)) "
        "WHERE j.id = $1",
        id);
    if (r.empty()) return nullptr;
    const auto& row = r[0];
    if (!caller->may_see_repo(row[17].as<std::int64_t>())) return nullptr;
    const auto tier = row[0].as<std::string>();
    const auto state = row[1].as<std::string>();
    auto out =
        std::make_unique<Page>(&*caller, "Job #" + std::to_string(id) + " " + tier, "job.tpl");
    auto& c = out->content();
    c.SetIntValue("ID", id);
    c.SetValue("TIER", tier);
    c.SetValue("STATE", state);
    if (state == "blocked" || state == "queued" || state == "running") {
      out->refresh_every(kRefreshSeconds);
      c.AddSectionDictionary("LIVE")->SetIntValue("SECONDS", kRefreshSeconds);
    }
    const auto pipeline_id = row[2].as<std::int64_t>();
    c.SetIntValue("PIPELINE_ID", pipeline_id);
    c.SetValue("PIPELINE_URL", pipeline_url(pipeline_id));
    c.SetValue("SHORT_SHA", short_sha(row[3].as<std::string>()));
    c.SetValue("REPO", row[4].as<std::string>());
    c.SetValue("REPO_URL", repo_url(row[4].as<std::string>()));
    c.SetValue("IMAGE", row[5].as<std::string>());
    c.SetIntValue("ATTEMPT", row[6].as<long>());
    c.SetIntValue("MAX_ATTEMPTS", row[7].as<long>());
    c.SetValue("RUNNER", row[8].as<std::string>().empty() ? "-" : row[8].as<std::string>());
    auto exit_code = store::get_optional<int>(row[9]);
    c.SetValue("EXIT_CODE", exit_code ? std::to_string(*exit_code) : "-");
    if (!row[10].as<std::string>().empty())
      c.AddSectionDictionary("MESSAGE")->SetValue("TEXT", row[10].as<std::string>());
    if (!row[11].as<std::string>().empty())
      c.AddSectionDictionary("RESULTS_ERROR")->SetValue("TEXT", row[11].as<std::string>());
    auto files = nlohmann::json::parse(row[12].as<std::string>(), nullptr, false);
    if (files.is_object() && !files.empty()) {
      auto* h = c.AddSectionDictionary("HAS_FILES");
      for (const auto& [name, size] : files.items()) {
        auto* f = h->AddSectionDictionary("FILE");
        f->SetValue("NAME", name);
        f->SetValue("SIZE", size.is_number() ? format_bytes(size.get<std::int64_t>()) : "");
      }
      auto counts = tx.exec_params1(
          "SELECT (SELECT count(*) FROM test_cases WHERE job_id = $1), "
          "(SELECT count(*) FROM metrics WHERE job_id = $1), "
          "(SELECT count(*) FROM predictions WHERE job_id = $1)",
          id);
      h->SetIntValue("TESTS", counts[0].as<long>());
      h->SetIntValue("METRICS", counts[1].as<long>());
      h->SetIntValue("PREDICTIONS", counts[2].as<long>());
    } else {
      c.ShowSection("NO_FILES");
    }
    c.SetValue("LOG_BYTES", format_bytes(row[13].as<std::int64_t>()));
    if (row[14].as<bool>()) c.ShowSection("TRUNCATED");
    if (!row[18].is_null()) {
      c.AddSectionDictionary("LOGS_DELETED")
          ->SetValue("AT", format_time(row[18].as<std::string>()));
    }
    c.SetValue("DURATION", format_duration(store::get_optional<double>(row[15])));
    c.SetValue("TIMEOUT", format_duration(row[16].as<double>()));
    c.SetValue("RAW_URL", job_url(id) + "/log.txt");

    auto attempts = tx.exec_params(
        "SELECT a.attempt, coalesce(rn.name, ''), "
        "to_char(a.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
        "coalesce(a.outcome, CASE WHEN a.ended_at IS NULL THEN 'running' ELSE '' END) "
        "FROM job_attempts a LEFT JOIN runners rn ON rn.id = a.runner_id WHERE a.job_id = $1 "
        "ORDER BY a.attempt",
        id);
    if (!attempts.empty()) c.ShowSection("HAS_ATTEMPTS");
    for (const auto& a : attempts) {
      auto* d = c.AddSectionDictionary("ATTEMPT_ROW");
      d->SetIntValue("N", a[0].as<long>());
      d->SetValue("RUNNER", a[1].as<std::string>().empty() ? "-" : a[1].as<std::string>());
      d->SetValue("STARTED", format_time(a[2].as<std::string>()));
      d->SetValue("OUTCOME", a[3].as<std::string>());
    }

    std::string log = store::read_log(tx, id);
    if (log.size() > kLogShown) {
      log = log.substr(log.size() - kLogShown);
      c.AddSectionDictionary("LOG_TAIL")->SetValue("SHOWN", format_bytes(kLogShown));
    }
    c.SetValue("LOG", log);
    return out;
  });
  if (!page)
    return send_message(res, &*caller, 404, "Not found", "No job " + std::to_string(id) + ".",
                        true);
  page->send(res);
}

void job_log_text(App& app, const httplib::Request& req, httplib::Response& res) {
  auto caller = authorize_page(app, req, res);
  if (!caller) return;
  const auto id = std::stoll(req.matches[1].str());
  auto log = app.db().with([&](pqxx::connection& conn) -> std::optional<std::string> {
    pqxx::read_transaction tx(conn);
    auto repo = job_repo(tx, id);
    if (!repo || !caller->may_see_repo(*repo)) return std::nullopt;
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
