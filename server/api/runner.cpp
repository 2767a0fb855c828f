// The runner protocol (docs/runners.md): register, claim (long poll), heartbeat, lease check, log
// append, results upload, finish, and reset after a runner restart. Runners authenticate with
// their own credential (server/http/auth.h: 401 for an unknown one, 403 for a disabled runner);
// they never see database credentials.
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>

#include "core/junit.h"
#include "core/metrics_json.h"
#include "core/observations.h"
#include "core/predictions.h"
#include "core/utf8.h"
#include "server/api/routes.h"
#include "server/http/auth.h"
#include "server/http/body.h"
#include "server/http/http_util.h"
#include "server/http/json_log.h"
#include "server/http/metrics.h"
#include "server/services/change_notices.h"
#include "server/services/job_queue_groups.h"
#include "server/services/job_wakeup.h"
#include "store/job_queue.h"
#include "store/observations.h"
#include "store/results.h"
#include "store/runners.h"
#include "util/hash.h"
#include "util/strings.h"

namespace mlgate::server {
namespace {

const std::vector<std::string> kTiers = {"functionality", "validation", "training"};

// Runs fn(tx, runner) in one transaction when the request carries the credential of an enabled
// runner (Authorizer::authorize_runner, from memory when it can); answers 401 or 403 otherwise.
// fn commits.
template <typename F>
void with_runner(const RunnerRoutes& deps, const httplib::Request& req, httplib::Response& res,
                 F&& fn) {
  auto runner = deps.auth.authorize_runner(req, res);
  if (!runner) return;
  deps.db.with([&](pqxx::connection& c) {
    pqxx::work tx(c);
    fn(tx, *runner);
  });
}

// True when the request carries an enabled runner's credential; answers 401 or 403 otherwise.
// Checked before a body is read.
bool runner_known(const RunnerRoutes& deps, const httplib::Request& req, httplib::Response& res) {
  return deps.auth.authorize_runner(req, res).has_value();
}

// The body of a runner's JSON call (at most kSmallJsonMaxBytes, nesting bounded); nullopt after
// answering 413 or 400.
std::optional<nlohmann::json> json_body(const httplib::Request& req, httplib::Response& res,
                                        const httplib::ContentReader& reader) {
  auto text = read_body(req, res, reader, kSmallJsonMaxBytes);
  if (!text) return std::nullopt;
  return json_object_body(*text, res);
}

// body[key] when it is a JSON integer within [min, max]; nullopt otherwise (4294967297 is not 1).
std::optional<std::int64_t> integer_in(const nlohmann::json& body, const char* key,
                                       std::int64_t min, std::int64_t max) {
  const auto it = body.find(key);
  if (it == body.end() || !it->is_number_integer()) return std::nullopt;
  if (it->is_number_unsigned() && it->get<std::uint64_t>() > static_cast<std::uint64_t>(max))
    return std::nullopt;
  const auto v = it->get<std::int64_t>();
  if (v < min || v > max) return std::nullopt;
  return v;
}

std::optional<int> attempt_of(const httplib::Request& req, const nlohmann::json* body) {
  constexpr std::int64_t kMax = std::numeric_limits<int>::max();
  std::optional<std::int64_t> v;
  if (body && body->contains("attempt"))
    v = integer_in(*body, "attempt", 1, kMax);
  else if (req.has_param("attempt"))
    v = util::parse_int64(req.get_param_value("attempt"));
  if (!v || *v < 1 || *v > kMax) return std::nullopt;
  return static_cast<int>(*v);
}

void lease_lost(httplib::Response& res) {
  send_error(res, 409, "lease_lost",
             "this runner no longer holds that attempt (its lease expired, the job was "
             "re-queued, or it ended): stop it and do not report its results");
}

nlohmann::json claimed_json(const store::ClaimedJob& j) {
  auto parsed = [](const std::string& text) {
    auto v = nlohmann::json::parse(text, nullptr, false);
    return v.is_discarded() ? nlohmann::json::object() : v;
  };
  return {{"id", j.job_id},
          {"pipeline_id", j.pipeline_id},
          {"attempt", j.attempt},
          {"repo", j.repo},
          {"forge", j.forge},
          {"clone_url", j.clone_url},
          {"fetch_ref", j.fetch_ref},
          {"forge_token", j.forge_token},
          {"sha", j.sha},
          {"ref", j.ref},
          {"tier", j.tier},
          {"repeat", j.repeat},
          {"image", j.image},
          {"command", j.command},
          {"network", j.network},
          {"timeout_seconds", j.timeout_seconds},
          {"resources", parsed(j.resources_json)},
          {"env", parsed(j.env_json)}};
}

void handle_register(const RunnerRoutes& deps, const httplib::Request& req, httplib::Response& res,
                     const httplib::ContentReader& reader) {
  // Runners serve every repository: a token restricted to one cannot add a runner.
  auto caller = deps.auth.authorize_server(req, res, "runner-register");
  if (!caller) return;
  auto body = json_body(req, res, reader);
  if (!body) return;
  store::NewRunner r;
  r.name = body->value("name", std::string());
  if (r.name.empty() || r.name.size() > 200) {
    send_error(res, 400, "bad_request", "name: 1 to 200 characters");
    return;
  }
  if (body->contains("tiers")) {
    if (!(*body)["tiers"].is_array() || (*body)["tiers"].empty()) {
      send_error(res, 400, "bad_request", "tiers: a non-empty list of tier names");
      return;
    }
    r.tiers.clear();
    for (const auto& t : (*body)["tiers"]) {
      if (!t.is_string() ||
          std::find(kTiers.begin(), kTiers.end(), t.get<std::string>()) == kTiers.end()) {
        send_error(res, 400, "bad_request",
                   "tiers: each must be functionality, validation or training");
        return;
      }
      r.tiers.push_back(t.get<std::string>());
    }
  }
  const auto capacity = body->contains("capacity") ? integer_in(*body, "capacity", 1, 256)
                                                   : std::optional<std::int64_t>(1);
  if (!capacity) {
    send_error(res, 400, "bad_request", "capacity: 1 to 256");
    return;
  }
  r.capacity = static_cast<int>(*capacity);
  r.executor = body->value("executor", std::string("docker"));
  if (r.executor != "docker" && r.executor != "local") {
    send_error(res, 400, "bad_request", "executor: docker or local");
    return;
  }
  r.version = body->value("version", std::string());
  const auto credential = store::generate_runner_credential();
  auto id = deps.db.with([&](pqxx::connection& c) {
    pqxx::work tx(c);
    auto id = store::insert_runner(tx, r, credential);
    tx.commit();
    return id;
  });
  log_event(spdlog::level::info, "runner registered",
            {{"runner", id}, {"name", r.name}, {"executor", r.executor}, {"by", caller->name()}});
  const auto& cfg = deps.runners;
  send_json(res, 201,
            {{"id", id},
             {"token", credential},
             {"lease_seconds", cfg.lease_seconds},
             {"heartbeat_seconds", cfg.heartbeat_seconds}});
}

// The claim's answer for `job` (200 with the job and the protocol's limits).
void send_claimed(const RunnerProtocolConfig& cfg, const store::ClaimedJob& job,
                  httplib::Response& res) {
  auto described = claimed_json(job);
  auto& resources = described["resources"];
  if (!resources.contains("cpus")) resources["cpus"] = cfg.default_cpus;
  if (!resources.contains("memory_bytes")) resources["memory_bytes"] = cfg.default_memory_bytes;
  if (!resources.contains("pids")) resources["pids"] = cfg.default_pids;
  send_json(res, 200,
            {{"job", described},
             {"lease_seconds", cfg.lease_seconds},
             {"heartbeat_seconds", cfg.heartbeat_seconds},
             {"log_max_bytes", cfg.log_max_bytes},
             {"results_max_bytes",
              {{"junit.xml", cfg.junit_max_bytes},
               {"metrics.json", cfg.metrics_max_bytes},
               {"predictions.jsonl", cfg.predictions_max_bytes},
               {"reference.jsonl", cfg.reference_max_bytes}}}});
}

// One claim attempt: true when it answered (200 with a job, or 401/403 for a runner no longer
// known). `group` gets what the runner may claim (its tiers among the wanted ones, and whether it
// may run a fork's code): runners of one group are woken one at a time (Park).
bool claim_once(const RunnerRoutes& deps, JobQueueGroups& queue, const httplib::Request& req,
                httplib::Response& res, const std::vector<std::string>& wanted,
                std::string& group) {
  auto runner = deps.auth.authorize_runner(req, res);
  if (!runner) return true;
  std::vector<std::string> tiers;
  for (const auto& t : runner->tiers) {
    if (wanted.empty() || std::find(wanted.begin(), wanted.end(), t) != wanted.end()) {
      tiers.push_back(t);
      group += t + ",";
    }
  }
  // The local executor cannot take the network away: it never runs a fork's code.
  const bool forks = runner->executor != "local";
  group += forks ? "forks" : "no forks";
  // The claims that arrive together are one statement and one commit, before their answers
  // (JobQueueGroups); one alone runs at once.
  auto job =
      queue.claim({runner->id, tiers, std::chrono::seconds(deps.runners.lease_seconds), forks});
  if (!job) return false;
  deps.notices.add("gate:" + std::to_string(job->repo_id));
  log_event(spdlog::level::info, "job claimed",
            {{"job", job->job_id}, {"attempt", job->attempt}, {"runner", runner->id}});
  send_claimed(deps.runners, *job, res);
  return true;
}

// The claim: a job at once when one is queued; otherwise the server parks the poll (no thread
// waits) until a job may have become claimable or `wait_seconds` pass (204).
std::optional<Park> handle_request(const RunnerRoutes& deps,
                                   const std::shared_ptr<JobQueueGroups>& queue,
                                   const httplib::Request& req, httplib::Response& res,
                                   const httplib::ContentReader& reader) {
  if (!runner_known(deps, req, res)) return std::nullopt;
  auto body = json_body(req, res, reader);
  if (!body) return std::nullopt;
  const auto& cfg = deps.runners;
  int wait = cfg.max_claim_wait_seconds;
  if (body->contains("wait_seconds") && (*body)["wait_seconds"].is_number()) {
    const double asked = (*body)["wait_seconds"].get<double>();  // clamped before it is an int
    wait = std::isnan(asked) ? 0
                             : static_cast<int>(std::clamp(
                                   asked, 0.0, static_cast<double>(cfg.max_claim_wait_seconds)));
  }
  std::vector<std::string> wanted;
  if (body->contains("tiers") && (*body)["tiers"].is_array()) {
    for (const auto& t : (*body)["tiers"])
      if (t.is_string()) wanted.push_back(t.get<std::string>());
  }
  // Read the generation before looking, so a NOTIFY that lands between the look and the park is
  // not missed: the server wakes a poll parked with an older generation.
  const auto seen = deps.wakeup.generation();
  std::string group;
  if (claim_once(deps, *queue, req, res, wanted, group)) return std::nullopt;
  if (wait == 0 || deps.wakeup.stopping()) {
    res.status = 204;
    return std::nullopt;
  }
  // The request outlives its park (the server keeps it until the poll is answered).
  auto retry = [deps, queue, &req, wanted](httplib::Response& r) -> std::optional<std::uint64_t> {
    const auto looked = deps.wakeup.generation();
    std::string ignored;
    if (claim_once(deps, *queue, req, r, wanted, ignored)) return std::nullopt;
    return looked;
  };
  return Park{std::chrono::steady_clock::now() + std::chrono::seconds(wait), seen, group, retry};
}

std::int64_t path_job_id(const httplib::Request& req) {
  return std::stoll(req.matches[1].str());
}

void handle_heartbeat(const RunnerRoutes& deps, const httplib::Request& req, httplib::Response& res,
                      const httplib::ContentReader& reader) {
  if (!runner_known(deps, req, res)) return;
  auto body = json_body(req, res, reader);
  if (!body) return;
  auto attempt = attempt_of(req, &*body);
  if (!attempt) {
    send_error(res, 400, "bad_request", "attempt is required");
    return;
  }
  const auto& cfg = deps.runners;
  with_runner(deps, req, res, [&](pqxx::work& tx, const store::RunnerRow& runner) {
    auto state = store::heartbeat(tx, path_job_id(req), runner.id, *attempt,
                                  std::chrono::seconds(cfg.lease_seconds));
    tx.commit();
    if (!state.held) return lease_lost(res);
    send_json(res, 200, {{"cancel", state.cancel}, {"lease_seconds", cfg.lease_seconds}});
  });
}

void handle_lease(const RunnerRoutes& deps, const httplib::Request& req, httplib::Response& res) {
  with_runner(deps, req, res, [&](pqxx::work& tx, const store::RunnerRow& runner) {
    auto attempt = attempt_of(req, nullptr);
    if (!attempt) return send_error(res, 400, "bad_request", "attempt is required");
    auto state = store::lease_state(tx, path_job_id(req), runner.id, *attempt);
    tx.commit();
    if (!state.held) return lease_lost(res);
    send_json(res, 200, {{"cancel", state.cancel}});
  });
}

void handle_log(const RunnerRoutes& deps, const httplib::Request& req, httplib::Response& res,
                const httplib::ContentReader& reader) {
  if (!runner_known(deps, req, res)) return;
  const auto chunk = read_body(req, res, reader, deps.runners.log_chunk_max_bytes);
  if (!chunk) return;
  auto attempt = attempt_of(req, nullptr);
  const std::int64_t offset =
      req.has_param("offset") ? util::parse_int64(req.get_param_value("offset")).value_or(-1) : -1;
  if (!attempt || offset < 0) {
    send_error(res, 400, "bad_request", "attempt and offset (bytes, >= 0) are required");
    return;
  }
  with_runner(deps, req, res, [&](pqxx::work& tx, const store::RunnerRow& runner) {
    auto r = store::append_log(tx, path_job_id(req), runner.id, *attempt, offset, *chunk,
                               deps.runners.log_max_bytes);
    auto lease = store::lease_state(tx, path_job_id(req), runner.id, *attempt);
    tx.commit();
    if (!r.held) return lease_lost(res);
    if (r.gap) {
      send_json(res, 409,
                {{"error",
                  {{"code", "log_gap"},
                   {"message", "offset is past the stored log; resend from log_bytes"}}},
                 {"log_bytes", r.log_bytes}});
      return;
    }
    send_json(res, 200,
              {{"log_bytes", r.log_bytes}, {"truncated", r.truncated}, {"cancel", lease.cancel}});
  });
}

// Parses a results file into `parsed`; the parser's error when it is malformed.
std::optional<core::ParseError> parse_results_file(const std::string& file, const std::string& body,
                                                   std::size_t cap, core::JobResults& parsed) {
  if (file == "junit.xml") {
    core::JunitOptions o;
    o.max_bytes = cap;
    auto r = core::parse_junit(body, o);
    if (r)
      parsed.tests = std::move(r.value());
    else
      return r.error();
  } else if (file == "metrics.json") {
    core::MetricsJsonOptions o;
    o.max_bytes = cap;
    auto r = core::parse_metrics_json(body, o);
    if (r)
      parsed.metrics = std::move(r.value());
    else
      return r.error();
  } else {
    core::PredictionsOptions o;
    o.max_bytes = cap;
    auto r = core::parse_predictions_jsonl(body, o);
    if (r)
      parsed.predictions = std::move(r.value());
    else
      return r.error();
  }
  return std::nullopt;
}

// reference.jsonl profiled (seeded by the job's repository, commit and tier: the same file gives
// the same profile); the parser's error when it is malformed.
std::optional<core::ParseError> parse_reference_file(const RunnerRoutes& deps, std::int64_t job,
                                                     const std::string& body,
                                                     std::optional<core::DatasetProfile>& out) {
  auto commit = deps.db.with([&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    return store::job_commit(tx, job);
  });
  if (!commit) return core::ParseError{"reference.jsonl", 0, 0, "the job no longer exists"};
  const auto digest =
      util::sha256_hex(std::to_string(commit->repo_id) + "/" + commit->sha + "/" + commit->tier);
  auto r = core::parse_reference_jsonl(body, deps.runners.reference_max_rows,
                                       std::stoull(digest.substr(0, 15), nullptr, 16));
  if (!r) return r.error();
  out = std::move(r->profile);
  return std::nullopt;
}

// Replaces the job's rows of one results file with `parsed`; how many were stored.
std::size_t store_results_file(pqxx::work& tx, std::int64_t job, const std::string& file,
                               const core::JobResults& parsed) {
  std::size_t stored = 0;
  if (file == "junit.xml") {
    store::replace_test_cases(tx, job, parsed.tests);
    stored = parsed.tests.size();
  } else if (file == "metrics.json") {
    store::replace_metrics(tx, job, parsed.metrics);
    stored = parsed.metrics.size();
  } else {
    store::replace_predictions(tx, job, parsed.predictions);
    stored = parsed.predictions.size();
  }
  return stored;
}

// A results file's cap; 0 for a name that is not a results file.
std::size_t results_cap(const RunnerProtocolConfig& cfg, const std::string& file) {
  if (file == "junit.xml") return cfg.junit_max_bytes;
  if (file == "metrics.json") return cfg.metrics_max_bytes;
  if (file == "predictions.jsonl") return cfg.predictions_max_bytes;
  if (file == "reference.jsonl") return cfg.reference_max_bytes;
  return 0;
}

bool attempt_held(const RunnerRoutes& deps, std::int64_t job, std::int64_t runner, int attempt) {
  return deps.db.with([&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    return store::lease_state(tx, job, runner, attempt).held;
  });
}

// Parses one results file and stores it; a malformed or oversized file is recorded on the job
// (which then fails) and answered 422/413 with the parser's message and position.
void handle_results(const RunnerRoutes& deps, const httplib::Request& req, httplib::Response& res,
                    const httplib::ContentReader& reader) {
  const auto runner = deps.auth.authorize_runner(req, res);
  if (!runner) return;
  const std::string file = req.matches[2].str();
  auto attempt = attempt_of(req, nullptr);
  if (!attempt) {
    send_error(res, 400, "bad_request", "attempt is required");
    return;
  }
  // Whether this runner holds the attempt is asked before the body is read: another runner's
  // upload is neither read nor parsed (409, the connection closed). Storing checks it again.
  if (!attempt_held(deps, path_job_id(req), runner->id, *attempt)) {
    res.set_header("Connection", "close");
    return lease_lost(res);
  }
  const std::size_t cap = results_cap(deps.runners, file);
  if (cap == 0) {
    send_error(res, 404, "unknown_results_file",
               "results files are junit.xml, metrics.json, predictions.jsonl and "
               "reference.jsonl");
    return;
  }
  // The runner sends at most cap + 1 bytes of a larger file and its real size in a header. A
  // client that sends a larger file whole is not read past cap + 1 bytes, and the file is
  // recorded on the job as too large all the same.
  const auto read = read_body_capped(req, res, reader, cap + 1);
  if (!read) return;
  const std::string* body = &read->bytes;
  std::uint64_t size = read->over ? std::max<std::uint64_t>(read->declared, cap + 1) : body->size();
  // The runner's word for the file's whole size, when it is a size (a negative, malformed or
  // out-of-range value is ignored: the bytes read still count).
  if (req.has_header("X-Mlgate-File-Size")) {
    const auto declared = util::parse_int64(req.get_header_value("X-Mlgate-File-Size"));
    if (declared && *declared >= 0)
      size = std::max<std::uint64_t>(size, static_cast<std::uint64_t>(*declared));
  }
  std::optional<core::ParseError> error;
  core::JobResults parsed;
  std::optional<core::DatasetProfile> reference;
  int status = 200;
  if (size > cap) {
    error = core::ParseError{file, 0, 0, core::file_over_cap_message(size, cap)};
    status = 413;
  } else if (file == "reference.jsonl") {
    error = parse_reference_file(deps, path_job_id(req), *body, reference);
  } else {
    error = parse_results_file(file, *body, cap, parsed);
  }
  if (error) {
    if (error->file.empty()) error->file = file;
    if (status == 200) status = 422;
  }
  with_runner(deps, req, res, [&](pqxx::work& tx, const store::RunnerRow& runner) {
    const auto job = path_job_id(req);
    if (!store::record_results_file(tx, job, runner.id, *attempt, file,
                                    static_cast<std::int64_t>(size)))
      return lease_lost(res);
    if (error) {
      store::record_results_error(tx, job, runner.id, *attempt, error->to_string());
      tx.commit();
      send_error(res, status, status == 413 ? "results_too_large" : "malformed_results",
                 error->to_string());
      return;
    }
    std::size_t stored = reference ? reference->rows : 0;
    if (reference)
      store::store_reference_profile(tx, job, *reference);
    else
      stored = store_results_file(tx, job, file, parsed);
    tx.commit();
    send_json(res, 200, {{"file", file}, {"stored", stored}});
  });
}

void handle_finish(const RunnerRoutes& deps, JobQueueGroups& queue, const httplib::Request& req,
                   httplib::Response& res, const httplib::ContentReader& reader) {
  if (!runner_known(deps, req, res)) return;
  auto body = json_body(req, res, reader);
  if (!body) return;
  auto attempt = attempt_of(req, &*body);
  const auto text_of = [&](const char* key) -> std::optional<std::string> {
    const auto it = body->find(key);
    if (it == body->end() || it->is_null()) return std::string();
    if (!it->is_string()) return std::nullopt;
    return it->get<std::string>();
  };
  const auto outcome = text_of("outcome");
  const auto kind = outcome ? store::finish_kind_from_string(*outcome) : std::nullopt;
  if (!attempt || !kind) {
    send_error(res, 400, "bad_request",
               "attempt and outcome (exited, timed_out, cancelled or error) are required");
    return;
  }
  // An absent or null exit_code is 0, an absent or null log_truncated false.
  const auto exit_code = body->value("exit_code", nlohmann::json()).is_null()
                             ? std::optional<std::int64_t>(0)
                             : integer_in(*body, "exit_code", std::numeric_limits<int>::min(),
                                          std::numeric_limits<int>::max());
  const auto message = text_of("message");
  const auto cut_value = body->value("log_truncated", nlohmann::json());
  if (!exit_code || !message || !(cut_value.is_null() || cut_value.is_boolean())) {
    send_error(res, 400, "bad_request",
               "exit_code is an integer, message a string and log_truncated true or false");
    return;
  }
  store::Finish f;
  f.kind = *kind;
  f.exit_code = static_cast<int>(*exit_code);
  f.message = std::string(core::utf8_prefix(*message, 4096));  // whole characters
  f.log_truncated = cut_value.is_boolean() && cut_value.get<bool>();
  auto runner = deps.auth.authorize_runner(req, res);
  if (!runner) return;
  const auto job = path_job_id(req);
  // The finishes that arrive together are one statement and one commit (JobQueueGroups); a
  // pipeline with blocked jobs, or an attempt no longer held, takes a transaction of its own.
  auto r = queue.finish({job, runner->id, *attempt, f});
  if (!r.held) return lease_lost(res);
  deps.notices.add("gate:" + std::to_string(r.repo_id));
  if (r.seconds) observe_job_end({r.tier, std::string(core::to_string(*r.state)), *r.seconds});
  deps.wakeup.bump();  // dependants may have become claimable
  log_event(spdlog::level::info, "job finished",
            {{"job", job}, {"attempt", *attempt}, {"state", core::to_string(*r.state)}});
  send_json(res, 200, {{"state", core::to_string(*r.state)}});
}

void handle_reset(const RunnerRoutes& deps, const httplib::Request& req, httplib::Response& res,
                  const httplib::ContentReader& reader) {
  if (!runner_known(deps, req, res)) return;
  if (!read_body(req, res, reader, kSmallJsonMaxBytes)) return;
  with_runner(deps, req, res, [&](pqxx::work& tx, const store::RunnerRow& runner) {
    auto n = store::release_runner_jobs(tx, runner.id);
    tx.commit();
    if (n) {
      log_event(spdlog::level::warn, "runner restarted; its jobs re-queued",
                {{"runner", runner.id}, {"jobs", n}});
    }
    send_json(res, 200, {{"released", n}, {"runner", runner.id}});
  });
}

}  // namespace

void register_runner_routes(Router& http, const RunnerRoutes& deps) {
  using Reader = httplib::ContentReader;
  using Req = httplib::Request;
  using Res = httplib::Response;
  const std::string base = "/api/v1/runner";
  // Every route reads its own body, after it knows its caller (server/http/body.h).
  http.post(base + "/register",
            [deps](const Req& q, Res& s, const Reader& r) { handle_register(deps, q, s, r); });
  http.post(base + "/reset",
            [deps](const Req& q, Res& s, const Reader& r) { handle_reset(deps, q, s, r); });
  // Claims and finishes of every runner share one group commit each (JobQueueGroups).
  auto queue = std::make_shared<JobQueueGroups>(deps.db);
  http.post_parking(base + "/jobs/request", [deps, queue](const Req& q, Res& s, const Reader& r) {
    return handle_request(deps, queue, q, s, r);
  });
  http.post(base + R"(/jobs/(\d{1,18})/heartbeat)",
            [deps](const Req& q, Res& s, const Reader& r) { handle_heartbeat(deps, q, s, r); });
  http.get(base + R"(/jobs/(\d{1,18})/lease)",
           [deps](const Req& q, Res& s) { handle_lease(deps, q, s); });
  http.post(base + R"(/jobs/(\d{1,18})/log)",
            [deps](const Req& q, Res& s, const Reader& r) { handle_log(deps, q, s, r); });
  http.put(base + R"(/jobs/(\d{1,18})/results/([A-Za-z0-9._-]{1,64}))",
           [deps](const Req& q, Res& s, const Reader& r) { handle_results(deps, q, s, r); });
  http.post(base + R"(/jobs/(\d{1,18})/finish)",
            [deps, queue](const Req& q, Res& s, const Reader& r) {
              handle_finish(deps, *queue, q, s, r);
            });
}

}  // namespace mlgate::server
