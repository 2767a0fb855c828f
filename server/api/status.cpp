// What people and scripts ask about pipelines (read scope; docs/cli.md): the pipeline list with
// ?repo=&branch=&limit= filters, one pipeline with its jobs, failing tests and gate decisions, the
// status summary (latest pipeline per branch of every repo), and a job's log from a byte offset for
// `mlgate logs --follow`. A token restricted to one repository sees only that repository: the
// lists are narrowed to it, and another repository's pipeline or job is answered 404.
#include <openssl/evp.h>

#include <nlohmann/json.hpp>

#include "core/repeats.h"
#include "server/api/routes.h"
#include "server/http/auth.h"
#include "server/http/http_util.h"
#include "server/http/repo_lookup.h"
#include "store/jobs.h"
#include "store/pipeline_queries.h"
#include "store/repos.h"

namespace mlgate::server {
namespace {

using nlohmann::json;

constexpr std::int64_t kLogChunkMaxBytes = 1 << 20;
constexpr int kFailingTestsMax = 50;

json nullable(const std::string& s) {
  return s.empty() ? json() : json(s);
}

template <typename T>
json nullable(const std::optional<T>& v) {
  return v ? json(*v) : json();
}

json job_json(const store::JobStatus& j) {
  return {{"id", j.id},
          {"tier", j.tier},
          {"repeat", j.repeat},
          {"repeats", j.repeats},
          {"state", core::to_string(j.state)},
          {"needs", j.needs},
          {"timeout_seconds", j.timeout_seconds},
          {"image", j.image},
          {"network", j.network},
          {"attempt", j.attempt},
          {"max_attempts", j.max_attempts},
          {"runner", j.runner_id ? json{{"id", *j.runner_id}, {"name", j.runner_name}} : json()},
          {"started_at", nullable(j.started_at)},
          {"finished_at", nullable(j.finished_at)},
          {"duration_seconds", nullable(j.duration_seconds)},
          {"exit_code", nullable(j.exit_code)},
          {"message", j.message},
          {"tests",
           {{"total", j.tests.total},
            {"passed", j.tests.passed},
            {"failed", j.tests.failed},
            {"skipped", j.tests.skipped}}}};
}

json pipeline_json(const store::PipelineStatus& p) {
  json jobs = json::array();
  json tiers = json::object();
  std::vector<core::TierState> states;
  for (const auto& j : p.jobs) {
    jobs.push_back(job_json(j));
    states.push_back({j.tier, j.state});
  }
  // A tier run with `repeat: N` has its jobs' state together (core/repeats.h).
  for (const auto& t : core::tier_states_of_repeats(states))
    tiers[t.tier] = core::to_string(t.state);
  return {{"id", p.id},
          {"repo", p.repo_name},
          {"trigger", p.trigger},
          {"ref", p.ref},
          {"branch", p.branch},
          {"sha", p.sha},
          {"pr_number", nullable(p.pr_number)},
          {"state", core::to_string(p.state)},
          {"error", p.error},
          {"commit_message", p.commit_message},
          {"author", p.author},
          {"created_at", p.created_at},
          {"started_at", nullable(p.started_at)},
          {"finished_at", nullable(p.finished_at)},
          {"duration_seconds", nullable(p.duration_seconds)},
          {"age_seconds", p.age_seconds},
          {"from_fork", p.from_fork},
          {"approved_by", nullable(p.approved_by)},
          {"approved_at", nullable(p.approved_at)},
          {"tiers", tiers},
          {"jobs", jobs}};
}

// The checks of a stored decision that block it, as {kind, name, status, reason}.
json blocking_checks(const std::string& checks_json) {
  json out = json::array();
  auto checks = json::parse(checks_json, nullptr, false);
  if (!checks.is_array()) return out;
  for (const auto& c : checks) {
    if (!c.is_object()) continue;
    const std::string status = c.value("status", "");
    const bool blocks = c.contains("blocks") && c["blocks"].is_boolean()
                            ? c["blocks"].get<bool>()
                            : status == "fail" || status == "missing";
    if (!blocks) continue;
    out.push_back({{"kind", c.value("kind", "")},
                   {"name", c.value("name", "")},
                   {"status", status},
                   {"reason", c.value("reason", "")}});
  }
  return out;
}

std::string base64(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

// Which repository a listing is about: ?repo= (and ?forge= when the name exists on both forges),
// else the token's repository for a restricted token (else every one). A repository the caller may
// not access is answered 404 like an unknown one (server/http/repo_lookup.h).
struct RepoScope {
  bool ok = false;
  std::optional<std::int64_t> repo_id;
};
RepoScope repo_scope(const StatusRoutes& deps, const httplib::Request& req, httplib::Response& res,
                     const Caller& caller) {
  RepoScope out;
  if (!req.has_param("repo") || req.get_param_value("repo").empty()) {
    out.repo_id = caller.restricted_to();
    out.ok = true;
    return out;
  }
  const std::string name = req.get_param_value("repo");
  const std::string forge = req.has_param("forge") ? req.get_param_value("forge") : "";
  const auto found = find_visible_repo(deps.auth, caller, name, forge, is_read(req));
  if (found.matches > 1) {
    send_error(res, 409, "ambiguous_repo",
               name + " is registered for more than one forge: add forge=github or forge=gitlab");
    return out;
  }
  if (!found.repo) {
    send_error(res, 404, "not_found", "no repository " + name);
    return out;
  }
  out.repo_id = found.repo->id;
  out.ok = true;
  return out;
}

std::optional<std::string> branch_param(const httplib::Request& req) {
  if (!req.has_param("branch") || req.get_param_value("branch").empty()) return std::nullopt;
  return req.get_param_value("branch");
}

void list_pipelines(const StatusRoutes& deps, const httplib::Request& req, httplib::Response& res) {
  auto caller = deps.auth.authorize(req, res, "read");
  if (!caller) return;
  auto limit = int_param(req, res, "limit", 50, 1, 1000);
  if (!limit) return;
  auto scope = repo_scope(deps, req, res, *caller);
  if (!scope.ok) return;
  store::PipelineFilter filter{scope.repo_id, branch_param(req), static_cast<int>(*limit)};
  auto rows = deps.db.with([&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    return store::list_pipeline_status(tx, filter);
  });
  json out = json::array();
  for (const auto& p : rows) out.push_back(pipeline_json(p));
  send_json(res, 200, {{"pipelines", out}});
}

void get_pipeline(const StatusRoutes& deps, const httplib::Request& req, httplib::Response& res) {
  const auto id = std::stoll(req.matches[1].str());
  if (!deps.auth.authorize(req, res, "read", {ResourceKind::pipeline, id})) return;
  auto body = deps.db.with([&](pqxx::connection& c) -> std::optional<json> {
    pqxx::read_transaction tx(c);
    auto p = store::get_pipeline_status(tx, id);
    if (!p) return std::nullopt;
    json j = pipeline_json(*p);
    json failing = json::array();
    for (const auto& t : store::failing_tests(tx, id, kFailingTestsMax)) {
      failing.push_back({{"job", t.job_id},
                         {"tier", t.tier},
                         {"repeat", t.repeat},
                         {"repeats", t.repeats},
                         {"name", t.name},
                         {"classname", t.classname},
                         {"status", t.status},
                         {"message", t.message}});
    }
    j["failing_tests"] = failing;
    json decisions = json::array();
    for (const auto& d : store::latest_gate_decisions(tx, p->repo_id, p->sha)) {
      decisions.push_back({{"id", d.id},
                           {"environment", d.environment},
                           {"decision", d.decision},
                           {"baseline_sha", nullable(d.baseline_sha)},
                           {"created_at", d.created_at},
                           {"blocking", blocking_checks(d.checks_json)}});
    }
    j["gate_decisions"] = decisions;
    return j;
  });
  if (!body) return send_error(res, 404, "not_found", "no pipeline " + std::to_string(id));
  send_json(res, 200, *body);
}

void get_status(const StatusRoutes& deps, const httplib::Request& req, httplib::Response& res) {
  auto caller = deps.auth.authorize(req, res, "read");
  if (!caller) return;
  auto scope = repo_scope(deps, req, res, *caller);
  if (!scope.ok) return;
  store::PipelineFilter filter{scope.repo_id, branch_param(req), 0};
  auto body = deps.db.with([&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    auto latest = store::latest_pipeline_per_branch(tx, filter);
    json repos = json::array();
    for (const auto& r : store::list_repos(tx)) {
      if (filter.repo_id && *filter.repo_id != r.id) continue;
      json branches = json::array();
      for (const auto& p : latest) {
        if (p.repo_id == r.id)
          branches.push_back({{"branch", p.branch}, {"pipeline", pipeline_json(p)}});
      }
      repos.push_back({{"id", r.id},
                       {"name", r.full_name},
                       {"forge", r.forge},
                       {"default_branch", r.default_branch},
                       {"branches", branches}});
    }
    return json{{"repos", repos}};
  });
  send_json(res, 200, body);
}

void get_log_chunk(const StatusRoutes& deps, const httplib::Request& req, httplib::Response& res) {
  const auto id = std::stoll(req.matches[1].str());
  if (!deps.auth.authorize(req, res, "read", {ResourceKind::job, id})) return;
  auto offset = int_param(req, res, "offset", 0, 0, std::int64_t{1} << 40);
  if (!offset) return;
  auto attempt = int_param(req, res, "attempt", 0, 0, 1000);
  if (!attempt) return;
  auto chunk = deps.db.with([&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    return store::read_log_chunk(tx, id, static_cast<int>(*attempt), *offset, kLogChunkMaxBytes);
  });
  if (!chunk.found) return send_error(res, 404, "not_found", "no job " + std::to_string(id));
  send_json(
      res, 200,
      {{"job", id},
       {"state", core::to_string(chunk.state)},
       {"ended", core::is_finished(chunk.state)},
       {"current_attempt", chunk.current_attempt},
       {"attempt", chunk.attempt},
       {"offset", chunk.offset},
       {"next_offset", chunk.offset + static_cast<std::int64_t>(chunk.data.size())},
       {"data_base64", base64(chunk.data)},
       {"logs_deleted_at",
        chunk.logs_deleted_at.empty() ? nlohmann::json() : nlohmann::json(chunk.logs_deleted_at)}});
}

}  // namespace

void register_status_routes(Router& http, const StatusRoutes& deps) {
  http.get("/api/v1/pipelines",
           [deps](const httplib::Request& q, httplib::Response& s) { list_pipelines(deps, q, s); });
  http.get(R"(/api/v1/pipelines/(\d{1,18}))",
           [deps](const httplib::Request& q, httplib::Response& s) { get_pipeline(deps, q, s); });
  http.get("/api/v1/status",
           [deps](const httplib::Request& q, httplib::Response& s) { get_status(deps, q, s); });
  http.get(R"(/api/v1/jobs/(\d{1,18})/log/chunk)",
           [deps](const httplib::Request& q, httplib::Response& s) { get_log_chunk(deps, q, s); });
}

}  // namespace mlgate::server
