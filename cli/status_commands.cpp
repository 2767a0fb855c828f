// mlgate status, pipelines, pipeline, logs, cancel, approve and rubric (docs/cli.md): what a person
// asks about pipelines from a terminal, and what a script asks with --json. Exit codes: 0 ok, 1 the
// thing asked about failed (a pipeline failed, a job ended without passing, nothing to cancel or
// approve), 2 usage errors and an unknown repo, pipeline or job; 3 and 4 come from api_request
// (server unreachable, token refused).
#include <cctype>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <thread>

#include "cli/client.h"
#include "cli/commands.h"
#include "core/repeats.h"
#include "core/rubric.h"
#include "core/states.h"
#include "util/strings.h"

namespace mlgate::cli {
namespace {

using nlohmann::json;

const json& field(const json& o, const char* key) {
  static const json null_value;
  if (!o.is_object()) return null_value;
  auto it = o.find(key);
  return it == o.end() ? null_value : *it;
}

// As json_text, and an empty string is `none` too.
std::string str(const json& o, const char* key, const std::string& none = "-") {
  const std::string s = json_text(o, key, none);
  return s.empty() ? none : s;
}

// At most `max` bytes of the first line, cut on a UTF-8 character boundary.
std::string first_line(const std::string& s, size_t max = 50) {
  std::string line = s.substr(0, s.find('\n'));
  if (line.size() <= max) return line;
  size_t cut = max - 3;
  while (cut > 0 && (static_cast<unsigned char>(line[cut]) & 0xC0) == 0x80) --cut;
  return line.substr(0, cut) + "...";
}

std::string ago(const json& seconds) {
  if (!seconds.is_number()) return "-";
  const auto s = static_cast<long long>(seconds.get<double>());
  if (s < 60) return std::to_string(s) + "s ago";
  if (s < 3600) return std::to_string(s / 60) + "m ago";
  if (s < 86400) return std::to_string(s / 3600) + "h ago";
  return std::to_string(s / 86400) + "d ago";
}

std::string duration(const json& seconds) {
  if (!seconds.is_number()) return "-";
  const double d = seconds.get<double>();
  if (d < 10) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%.1fs", d);
    return buf;
  }
  const auto s = static_cast<long long>(d + 0.5);
  if (s < 60) return std::to_string(s) + "s";
  if (s < 3600) return std::to_string(s / 60) + "m" + std::to_string(s % 60) + "s";
  return std::to_string(s / 3600) + "h" + std::to_string(s % 3600 / 60) + "m";
}

std::string short_sha(const json& o) {
  return util::short_sha(str(o, "sha"));
}

// A pipeline or job state, as the API spells it, that means it ended without succeeding.
bool failed_state(const std::string& state) {
  if (auto p = core::parse_pipeline_state(state))
    return core::is_finished(*p) && *p != core::PipelineState::passed;
  if (auto j = core::parse_job_state(state))
    return core::is_finished(*j) && *j != core::JobState::passed;
  return false;
}

// A positive id from the command line, or a usage error (exit 2).
std::string parse_id(const std::string& text, const char* what) {
  if (text.empty()) throw ClientError(std::string("missing the ") + what + " id", 2);
  if (text.size() > 18 || text.find_first_not_of("0123456789") != std::string::npos ||
      std::stoll(text) <= 0)
    throw ClientError(std::string("bad ") + what + " id '" + text + "' (a positive integer)", 2);
  return std::to_string(std::stoll(text));
}

// Percent-encodes a query value.
std::string query_value(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '/') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

// GET/POST that turns the API's 404 (unknown repo, pipeline or job) and 400 into usage-class
// errors (exit 2); other errors exit 1 unless `handled` lists the status for the caller.
ApiResponse request(const ClientOptions& o, const std::string& method, const std::string& path,
                    std::initializer_list<int> handled = {}) {
  auto r = api_request(o, method, path, nullptr, true);
  if (r.status < 400) return r;
  for (int h : handled)
    if (r.status == h) return r;
  const auto& error = field(r.body, "error");
  std::string message = error.is_object() ? str(error, "message", r.body.dump()) : r.body.dump();
  const int code = r.status == 404 || r.status == 400 || r.status == 409 ? 2 : 1;
  throw ClientError(message + " (HTTP " + std::to_string(r.status) + ")", code);
}

const char* const kTiers[] = {"functionality", "validation", "training"};

// The tiers that appear in any of these pipelines, in tier order.
std::vector<std::string> tiers_in(const std::vector<const json*>& pipelines) {
  std::vector<std::string> out;
  for (const char* tier : kTiers) {
    for (const auto* p : pipelines) {
      if (field(*p, "tiers").contains(tier)) {
        out.emplace_back(tier);
        break;
      }
    }
  }
  return out;
}

void tier_cells(const json& pipeline, const std::vector<std::string>& tiers,
                std::vector<std::string>& row) {
  for (const auto& t : tiers) row.push_back(str(field(pipeline, "tiers"), t.c_str()));
}

std::vector<std::string> upper(const std::vector<std::string>& names) {
  std::vector<std::string> out;
  for (auto n : names) {
    for (auto& c : n) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    out.push_back(n);
  }
  return out;
}

std::string filter_query(const std::string& repo, const std::string& branch) {
  std::string q;
  if (!repo.empty()) q += "&repo=" + query_value(repo);
  if (!branch.empty()) q += "&branch=" + query_value(branch);
  return q;
}

// ---- status ----

struct StatusOptions {
  ClientOptions client;
  std::string repo;
  std::string branch;
};

void run_status(const StatusOptions& o) {
  std::string q = filter_query(o.repo, o.branch);
  auto r = request(o.client, "GET", "/api/v1/status" + (q.empty() ? "" : "?" + q.substr(1)));
  bool any_failed = false;
  std::vector<const json*> shown;
  for (const auto& repo : field(r.body, "repos")) {
    for (const auto& b : field(repo, "branches")) {
      shown.push_back(&b["pipeline"]);
      any_failed = any_failed || failed_state(str(b["pipeline"], "state"));
    }
  }
  if (o.client.json) {
    std::cout << r.body.dump(2) << "\n";
  } else {
    const auto tiers = tiers_in(shown);
    std::vector<std::string> header = {"REPO", "BRANCH", "PIPELINE", "SHA", "STATE"};
    for (const auto& t : upper(tiers)) header.push_back(t);
    header.push_back("AGE");
    std::vector<std::vector<std::string>> rows;
    for (const auto& repo : field(r.body, "repos")) {
      if (field(repo, "branches").empty()) {
        std::vector<std::string> row = {str(repo, "name"), o.branch.empty() ? "-" : o.branch, "-",
                                        "-", "none"};
        row.resize(header.size(), "-");
        rows.push_back(row);
        continue;
      }
      for (const auto& b : field(repo, "branches")) {
        const auto& p = b["pipeline"];
        std::vector<std::string> row = {str(repo, "name"), str(b, "branch"), str(p, "id"),
                                        short_sha(p), str(p, "state")};
        tier_cells(p, tiers, row);
        row.push_back(ago(field(p, "age_seconds")));
        rows.push_back(row);
      }
    }
    if (rows.empty()) {
      std::cout << "no repositories registered (mlgate repo add)\n";
    } else {
      print_table(header, rows);
    }
  }
  if (any_failed) throw ClientError("", 1);
}

// ---- pipelines ----

struct PipelinesOptions {
  ClientOptions client;
  std::string repo;
  std::string branch;
  std::string limit = "20";
};

void run_pipelines(const PipelinesOptions& o) {
  if (o.limit.empty() || o.limit.size() > 4 ||
      o.limit.find_first_not_of("0123456789") != std::string::npos || std::stoi(o.limit) < 1 ||
      std::stoi(o.limit) > 1000)
    throw ClientError("--limit must be a number from 1 to 1000", 2);
  auto r = request(o.client, "GET",
                   "/api/v1/pipelines?limit=" + o.limit + filter_query(o.repo, o.branch));
  if (o.client.json) {
    std::cout << r.body.dump(2) << "\n";
    return;
  }
  const auto& pipelines = field(r.body, "pipelines");
  std::vector<const json*> all;
  for (const auto& p : pipelines) all.push_back(&p);
  const auto tiers = tiers_in(all);
  std::vector<std::string> header = {"ID", "REPO", "BRANCH", "SHA", "TRIGGER", "STATE"};
  for (const auto& t : upper(tiers)) header.push_back(t);
  for (const char* h : {"DURATION", "AGE", "AUTHOR", "MESSAGE"}) header.emplace_back(h);
  std::vector<std::vector<std::string>> rows;
  for (const auto& p : pipelines) {
    std::vector<std::string> row = {str(p, "id"), str(p, "repo"),    str(p, "branch"),
                                    short_sha(p), str(p, "trigger"), str(p, "state")};
    tier_cells(p, tiers, row);
    row.push_back(duration(field(p, "duration_seconds")));
    row.push_back(ago(field(p, "age_seconds")));
    row.push_back(str(p, "author"));
    row.push_back(first_line(str(p, "commit_message", "")));
    rows.push_back(row);
  }
  if (rows.empty()) {
    std::cout << "no pipelines\n";
  } else {
    print_table(header, rows);
  }
}

// ---- pipeline ID ----

struct PipelineOptions {
  ClientOptions client;
  std::string id;
};

// A job's or a failing test's tier, with its repeat when the tier ran more than once
// ("validation #2").
std::string tier_cell(const json& j) {
  const auto number = [&](const char* key, int fallback) {
    return field(j, key).is_number() ? j[key].get<int>() : fallback;
  };
  return core::tier_label(str(j, "tier"), number("repeat", 0), number("repeats", 1));
}

void print_pipeline(const json& p) {
  std::cout << "pipeline " << str(p, "id") << "  " << str(p, "repo") << "  " << str(p, "branch")
            << "  " << short_sha(p) << "  " << str(p, "state") << "\n";
  std::cout << "commit:   " << first_line(str(p, "commit_message", ""), 72) << " ("
            << str(p, "author") << ")\n";
  std::cout << "trigger:  " << str(p, "trigger") << " " << str(p, "ref") << ", created "
            << str(p, "created_at") << " (" << ago(field(p, "age_seconds")) << "), duration "
            << duration(field(p, "duration_seconds")) << "\n";
  if (!str(p, "error", "").empty()) std::cout << "error:    " << str(p, "error") << "\n";

  std::vector<std::vector<std::string>> jobs;
  for (const auto& j : field(p, "jobs")) {
    const auto& tests = field(j, "tests");
    const auto total = field(tests, "total").is_number() ? tests["total"].get<int>() : 0;
    std::string test_cell =
        total == 0 ? "-" : str(tests, "passed") + "/" + std::to_string(total) + " passed";
    jobs.push_back(
        {tier_cell(j), str(j, "id"), str(j, "state"), duration(field(j, "duration_seconds")),
         str(j, "attempt") + "/" + str(j, "max_attempts"), str(field(j, "runner"), "name"),
         test_cell, str(j, "exit_code"), first_line(str(j, "message", ""), 60)});
  }
  std::cout << "\n";
  print_table(
      {"TIER", "JOB", "STATE", "DURATION", "ATTEMPTS", "RUNNER", "TESTS", "EXIT", "MESSAGE"}, jobs);

  const auto& failing = field(p, "failing_tests");
  if (failing.is_array() && !failing.empty()) {
    std::cout << "\nfailing tests:\n";
    std::vector<std::vector<std::string>> rows;
    for (const auto& t : failing) {
      std::string name = str(t, "classname", "");
      name += (name.empty() ? "" : "::") + str(t, "name");
      rows.push_back({tier_cell(t), name, str(t, "status"), first_line(str(t, "message", ""), 60)});
    }
    print_table({"TIER", "TEST", "STATUS", "MESSAGE"}, rows);
  }

  const auto& decisions = field(p, "gate_decisions");
  if (decisions.is_array() && !decisions.empty()) {
    std::cout << "\ngate decisions for this commit:\n";
    std::vector<std::vector<std::string>> rows;
    for (const auto& d : decisions) {
      std::string blocking;
      for (const auto& c : field(d, "blocking"))
        blocking += (blocking.empty() ? "" : "; ") + str(c, "name") + ": " + str(c, "reason");
      rows.push_back({str(d, "environment"), str(d, "decision"), str(d, "created_at"),
                      blocking.empty() ? "-" : first_line(blocking, 100)});
    }
    print_table({"ENVIRONMENT", "DECISION", "AT", "BLOCKING"}, rows);
  }
}

void run_pipeline(const PipelineOptions& o) {
  const auto id = parse_id(o.id, "pipeline");
  auto r = request(o.client, "GET", "/api/v1/pipelines/" + id);
  if (o.client.json) {
    std::cout << r.body.dump(2) << "\n";
  } else {
    print_pipeline(r.body);
  }
  if (failed_state(str(r.body, "state"))) throw ClientError("", 1);
}

// ---- logs ----

struct LogsOptions {
  ClientOptions client;
  std::string id;
  bool follow = false;
};

std::string base64_decode(const std::string& in) {
  static const std::string alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned value = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') break;
    const auto pos = alphabet.find(c);
    if (pos == std::string::npos) throw std::runtime_error("the server sent a malformed log chunk");
    value = (value << 6) | static_cast<unsigned>(pos);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((value >> bits) & 0xFF);
    }
  }
  return out;
}

void run_logs(const LogsOptions& o) {
  const auto id = parse_id(o.id, "job");
  if (o.client.json)
    throw ClientError("logs prints the log's raw bytes; for JSON use GET /api/v1/jobs/" + id, 2);
  long long offset = 0;
  int attempt = 0;
  std::string state;
  for (;;) {
    auto r = request(o.client, "GET",
                     "/api/v1/jobs/" + id + "/log/chunk?offset=" + std::to_string(offset) +
                         "&attempt=" + std::to_string(attempt));
    const std::string data = base64_decode(str(r.body, "data_base64", ""));
    std::cout.write(data.data(), static_cast<std::streamsize>(data.size()));
    std::cout.flush();
    state = str(r.body, "state");
    attempt = field(r.body, "attempt").get<int>();
    offset = field(r.body, "next_offset").get<long long>();
    if (!data.empty()) continue;  // there may be more at once
    if (offset == 0 && field(r.body, "logs_deleted_at").is_string()) {
      std::cerr << "mlgate: job " << id << ": the log was deleted by the retention policy on "
                << str(r.body, "logs_deleted_at") << "\n";
      break;
    }
    const int current = field(r.body, "current_attempt").get<int>();
    if (current > attempt) {  // this attempt was given up (its lease expired): on to the next
      ++attempt;
      offset = 0;
      std::cerr << "mlgate: job " << id << ": attempt " << attempt << "\n";
      continue;
    }
    if (field(r.body, "ended").get<bool>() || !o.follow) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  if (failed_state(state)) {
    auto job = request(o.client, "GET", "/api/v1/jobs/" + id);
    const auto message = str(job.body, "message", "");
    throw ClientError("job " + id + " " + state + (message.empty() ? "" : ": " + message), 1);
  }
}

// ---- cancel ----

struct CancelOptions {
  ClientOptions client;
  std::string id;
  bool job = false;
};

void run_cancel(const CancelOptions& o) {
  const auto id = parse_id(o.id, o.job ? "job" : "pipeline");
  const std::string path = std::string(o.job ? "/api/v1/jobs/" : "/api/v1/pipelines/") + id;
  auto r = request(o.client, "POST", path + "/cancel", {409});
  if (o.client.json) std::cout << r.body.dump(2) << "\n";
  if (r.status == 409) {
    throw ClientError(str(field(r.body, "error"), "message", "job " + id + " already ended"), 1);
  }
  if (o.job) {
    if (!o.client.json) std::cout << "job " << id << ": " << str(r.body, "state") << "\n";
    return;
  }
  const auto n =
      field(r.body, "jobs_cancelled").is_number() ? r.body["jobs_cancelled"].get<int>() : 0;
  if (n == 0) throw ClientError("pipeline " + id + " has no queued or running job to cancel", 1);
  if (!o.client.json)
    std::cout << "pipeline " << id << ": cancelling " << n << " job" << (n == 1 ? "" : "s") << "\n";
}

// ---- approve ----

struct ApproveOptions {
  ClientOptions client;
  std::string id;
};

// A fork pull request's pipeline that awaits approval runs; exit 1 when it was not awaiting it.
void run_approve(const ApproveOptions& o) {
  const auto id = parse_id(o.id, "pipeline");
  auto r = request(o.client, "POST", "/api/v1/pipelines/" + id + "/approve", {409});
  if (o.client.json) std::cout << r.body.dump(2) << "\n";
  if (r.status == 409)
    throw ClientError(
        str(field(r.body, "error"), "message", "pipeline " + id + " is not awaiting approval"), 1);
  if (!o.client.json)
    std::cout << "pipeline " << id << ": approved by " << str(r.body, "approved_by") << ", "
              << str(r.body, "state") << "\n";
}

// ---- rubric ----

void run_rubric(bool as_json) {
  if (as_json) {
    json sections = json::array();
    for (auto s : core::kRubricSections) {
      json items = json::array();
      for (const auto& item : core::rubric_items())
        if (item.section == s)
          items.push_back({{"id", item.id}, {"number", item.number}, {"title", item.title}});
      sections.push_back(
          {{"id", core::section_id(s)}, {"title", core::section_title(s)}, {"items", items}});
    }
    std::cout << json{{"sections", sections}}.dump(2) << "\n";
    return;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& item : core::rubric_items()) {
    rows.push_back({std::string(item.id), std::string(core::section_title(item.section)),
                    std::string(item.title)});
  }
  print_table({"ID", "SECTION", "TITLE"}, rows);
  std::cout << "\nAn item scores 1 when a test mapped to it passed, 0.5 for manual evidence; the "
               "score is the lowest section sum (docs/gate.md).\n";
}

template <typename Options, typename Fn>
void on_run(CLI::App* cmd, std::shared_ptr<Options> o, ExitCode& exit_code, Fn fn) {
  cmd->callback([o, &exit_code, fn] { exit_code.value = run_client([&] { fn(*o); }); });
}

}  // namespace

void add_status_commands(CLI::App& app, ExitCode& exit_code) {
  auto st = std::make_shared<StatusOptions>();
  auto* status = app.add_subcommand(
      "status",
      "The latest pipeline of every branch of every repository (exit 1 when one shown failed)");
  status->add_option("--repo", st->repo, "Only this repository, e.g. acme/model");
  status->add_option("--branch", st->branch, "Only this branch");
  add_client_options(status, st->client);
  on_run(status, st, exit_code, run_status);

  auto pl = std::make_shared<PipelinesOptions>();
  auto* pipelines = app.add_subcommand("pipelines", "Recent pipelines, newest first");
  pipelines->add_option("--repo", pl->repo, "Only this repository, e.g. acme/model");
  pipelines->add_option("--branch", pl->branch, "Only this branch");
  pipelines->add_option("--limit", pl->limit, "How many (1 to 1000)")->capture_default_str();
  add_client_options(pipelines, pl->client);
  on_run(pipelines, pl, exit_code, run_pipelines);

  auto one = std::make_shared<PipelineOptions>();
  auto* pipeline = app.add_subcommand(
      "pipeline",
      "One pipeline: its jobs, failing tests and gate decisions (exit 1 when it failed, errored "
      "or was cancelled)");
  pipeline->add_option("id", one->id, "The pipeline id");
  add_client_options(pipeline, one->client);
  on_run(pipeline, one, exit_code, run_pipeline);

  auto lg = std::make_shared<LogsOptions>();
  auto* logs = app.add_subcommand(
      "logs",
      "A job's log as raw bytes; --follow prints it as it grows until the job ends (exit 1 when "
      "the job ended without passing)");
  logs->add_option("id", lg->id, "The job id (from `mlgate pipeline ID`)");
  logs->add_flag("-f,--follow", lg->follow, "Keep printing until the job ends");
  add_client_options(logs, lg->client);
  on_run(logs, lg, exit_code, run_logs);

  auto cn = std::make_shared<CancelOptions>();
  auto* cancel = app.add_subcommand(
      "cancel",
      "Cancel a pipeline's queued and running jobs, or one job with --job (deploy token)");
  cancel->add_option("id", cn->id, "The pipeline id (the job id with --job)");
  cancel->add_flag("--job", cn->job, "The id is a job's");
  add_client_options(cancel, cn->client);
  on_run(cancel, cn, exit_code, run_cancel);

  auto ap = std::make_shared<ApproveOptions>();
  auto* approve = app.add_subcommand(
      "approve",
      "Let a fork pull request's pipeline run (deploy token; it still runs without network or "
      "forge token, and its commit stays undeployable)");
  approve->add_option("id", ap->id, "The pipeline id (state awaiting_approval)");
  add_client_options(approve, ap->client);
  on_run(approve, ap, exit_code, run_approve);

  auto rb = std::make_shared<bool>(false);
  auto* rubric = app.add_subcommand(
      "rubric", "The 28 items of the ML Test Score with their ids (offline, no server needed)");
  rubric->add_flag("--json", *rb, "Print JSON for scripts");
  rubric->callback([rb, &exit_code] { exit_code.value = run_client([&] { run_rubric(*rb); }); });
}

}  // namespace mlgate::cli
