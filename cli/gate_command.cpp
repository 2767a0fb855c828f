// mlgate gate evaluate: the gate, offline, on result files from any CI or a laptop. Same engine
// (core/gate.h) the server uses; tier checks are skipped offline. Exit 0 allow, 1 deny, 2 error
// (bad config or input) or pending. mlgate gate --repo R --sha S --environment E: the same, asked
// of the server (GET …/gate, with tier checks and the deployed baseline), same output and codes.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/client.h"
#include "cli/commands.h"
#include "cli/config_file.h"
#include "cli/gate_output.h"
#include "core/config.h"
#include "core/gate.h"
#include "core/gate_report.h"
#include "core/junit.h"
#include "core/metrics_json.h"
#include "core/predictions.h"
#include "core/repeats.h"
#include "util/capped_file.h"
#include "util/strings.h"
#include "vcs/validate.h"

namespace mlgate::cli {
namespace {

namespace fs = std::filesystem;

// A results file as the runner reads it (util/capped_file.h): no more than its cap + 1 bytes,
// only a regular file, never through a symbolic link (the code under test wrote the directory:
// a link to a host file must not reach the error messages of a CI log); nullopt when it does not
// exist. Anything else is an error naming the file.
std::optional<std::string> read_results_file(const fs::path& path, std::size_t cap) {
  auto read = util::read_capped_file(path, cap, false);
  if (!read.problem.empty()) throw ClientError(path.string() + " " + read.problem, 2);
  if (read.bytes && read.size > cap)
    throw ClientError(path.string() + ": " + core::file_over_cap_message(read.size, cap), 2);
  return std::move(read.bytes);
}

// The results files a job hands back, read from a directory; a missing file is no results of that
// kind, a malformed one is an error with its position.
core::JobResults read_results_dir(const fs::path& dir) {
  if (!fs::is_directory(dir))
    throw ClientError("results directory " + dir.string() + " not found", 2);
  core::JobResults out;
  auto fail = [&](const core::ParseError& e) {
    auto copy = e;
    copy.file = (dir / e.file).string();
    throw ClientError(copy.to_string(), 2);
  };
  if (auto text = read_results_file(dir / "junit.xml", core::JunitOptions{}.max_bytes)) {
    auto r = core::parse_junit(*text);
    if (!r) fail(r.error());
    out.tests = std::move(r.value());
  }
  if (auto text = read_results_file(dir / "metrics.json", core::MetricsJsonOptions{}.max_bytes)) {
    auto r = core::parse_metrics_json(*text);
    if (!r) fail(r.error());
    out.metrics = std::move(r.value());
  }
  if (auto text =
          read_results_file(dir / "predictions.jsonl", core::PredictionsOptions{}.max_bytes)) {
    auto r = core::parse_predictions_jsonl(*text);
    if (!r) fail(r.error());
    out.predictions = std::move(r.value());
  }
  return out;
}

// One directory's results, or those of several (the repeats of a tier with `repeat: N`, in repeat
// order) made one: each metric their mean (core/repeats.h).
core::JobResults read_repeats(const std::vector<std::string>& dirs) {
  std::vector<core::JobResults> runs;
  for (const auto& dir : dirs) runs.push_back(read_results_dir(dir));
  return core::merge_repeats(std::move(runs));
}

// An offline decision as the server answers it: the engine's JSON with what only the engine knows
// (whether a check blocks: `missing` of an optional check does not) and the summary.
nlohmann::json result_body(const core::GateResult& r) {
  auto body = nlohmann::json::parse(core::gate_result_json(r));
  for (std::size_t i = 0; i < r.checks.size(); ++i)
    body["checks"][i]["blocks"] = core::blocks(r.checks[i]);
  body["summary"] = r.summary;
  return body;
}

// The decision in the --format asked for: table (people), json, markdown (a job summary or a
// comment), openmetrics (GitLab's metrics report).
void print_report(const nlohmann::json& body, const std::string& environment,
                  const std::string& format) {
  if (format == "json")
    std::cout << body.dump(2) << "\n";
  else if (format == "markdown")
    std::cout << core::gate_markdown(body, environment);
  else if (format == "openmetrics")
    std::cout << core::gate_openmetrics(body, environment);
  else
    print_gate_table(body, environment);
}

const std::vector<std::string> kFormats = {"table", "json", "markdown", "openmetrics"};

struct OnlineOptions {
  ClientOptions client;
  std::string repo;
  std::string sha;
  std::string environment;
  std::string format = "table";
};

// mlgate gate --repo R --sha S --environment E: the server's decision (GET …/gate). The exit codes
// are the offline ones: 0 allow, 1 deny, 2 anything else -- pending, and every error (a bad
// argument, the server unreachable, a refused token, an unknown repo), so that a deploy script
// can read 1 as "denied" and 2 as "no answer".
void run_online(const OnlineOptions& o, ExitCode& exit_code) {
  const int code = run_client([&] {
    if (o.repo.empty() || o.sha.empty() || o.environment.empty())
      throw ClientError(
          "gate: --repo, --sha and --environment are needed (or use `mlgate gate evaluate` "
          "offline)",
          2);
    const std::string sha = util::lower(o.sha);
    if (!vcs::is_valid_sha(sha))
      throw ClientError("gate: --sha must be a full 40 (or 64) hex digit commit id, not '" +
                            o.sha.substr(0, 80) + "'",
                        2);
    if (!core::is_environment_name(o.environment))
      throw ClientError("gate: --environment must be 1 to 100 letters, digits, '_', '.' or '-'", 2);
    if (o.repo.find_first_of("?#&% ") != std::string::npos)
      throw ClientError("gate: --repo must be owner/name", 2);
    auto r = api_request(
        o.client, "GET",
        "/api/v1/repos/" + o.repo + "/gate?sha=" + sha + "&environment=" + o.environment, nullptr,
        true);
    if (r.status >= 400) {
      std::string message = r.body.is_object() && r.body.contains("error")
                                ? r.body["error"].value("message", r.body.dump())
                                : r.body.dump();
      throw ClientError(message + " (HTTP " + std::to_string(r.status) + ")", 2);
    }
    print_report(r.body, o.environment, o.client.json ? "json" : o.format);
    const int decision = gate_exit_code(r.body);
    if (decision != 0) throw ClientError("", decision);
  });
  exit_code.value = code == 0 || code == 1 ? code : 2;
}

struct OfflineOptions {
  std::string config = ".mlgate.yml";
  std::string environment;
  std::vector<std::string> candidate;  // one results directory, or one per repeat
  std::vector<std::string> baseline;
  std::string repo_dir;
  std::string candidate_sha;
  std::string baseline_sha;
  bool json = false;
  std::string format = "table";
};

// mlgate gate evaluate: the decision on results directories, printed; throws ClientError with the
// exit code (1 deny, 2 pending or an error).
void run_offline(const OfflineOptions& o) {
  auto parsed = parse_config_file(o.config);
  if (!parsed) {
    std::cerr << core::format_errors(parsed.errors, o.config);
    throw ClientError(o.config + " is not valid", 2);
  }
  const auto* gate_config = core::find_gate(*parsed.config, o.environment);
  if (!gate_config) {
    std::string known;
    for (const auto& g : parsed.config->gates) known += (known.empty() ? "" : ", ") + g.name;
    throw ClientError("no gate for environment '" + o.environment + "' in " + o.config +
                          (known.empty() ? " (it has none)" : " (it has " + known + ")"),
                      2);
  }
  const auto candidate = read_repeats(o.candidate);
  std::optional<core::JobResults> baseline;
  if (!o.baseline.empty()) baseline = read_repeats(o.baseline);
  core::PathExists exists;
  if (!o.repo_dir.empty()) {
    const fs::path root = fs::weakly_canonical(o.repo_dir);
    exists = [root](std::string_view rel) {
      const fs::path p = fs::weakly_canonical(root / fs::path(rel));
      auto [end, _] = std::mismatch(root.begin(), root.end(), p.begin(), p.end());
      return end == root.end() && fs::exists(p);  // never outside the tree
    };
  }
  core::GateInput input{*gate_config, parsed.config->rubric,
                        candidate,    baseline ? &*baseline : nullptr,
                        nullptr,      exists};
  input.candidate_sha = o.candidate_sha;
  input.baseline_sha = o.baseline_sha;
  const auto result = core::evaluate_gate(input);
  if (o.json)
    std::cout << core::gate_result_json(result, 2) << "\n";
  else
    print_report(result_body(result), o.environment, o.format);
  if (result.decision == core::Decision::deny) throw ClientError("", 1);
  if (result.decision == core::Decision::pending) throw ClientError("", 2);
}

}  // namespace

void add_gate_commands(CLI::App& app, ExitCode& exit_code) {
  auto* gate = app.add_subcommand(
      "gate",
      "Ask the gate whether a commit may be deployed: online with --repo, --sha and --environment "
      "(exit 0 allow, 1 deny, 2 pending or error), or offline with `gate evaluate`");
  gate->require_subcommand(0, 1);
  auto online = std::make_shared<OnlineOptions>();
  gate->add_option("--repo", online->repo, "The repository, e.g. acme/model");
  gate->add_option("--sha", online->sha, "The full commit sha to deploy");
  gate->add_option("--environment", online->environment, "The gate's environment, e.g. production");
  add_client_options(gate, online->client);
  gate->add_option("--format", online->format,
                   "table (default), json, markdown (a job summary or a comment), openmetrics "
                   "(GitLab's metrics report)")
      ->check(CLI::IsMember(kFormats));
  auto opts = std::make_shared<OfflineOptions>();
  auto* eval = gate->add_subcommand(
      "evaluate",
      "Evaluate a gate offline on results directories (junit.xml, metrics.json, "
      "predictions.jsonl); exit 0 allow, 1 deny, 2 error");
  eval->add_option("--config", opts->config, "The .mlgate.yml")->capture_default_str();
  eval->add_option("--environment", opts->environment, "The gate's environment, e.g. production")
      ->required();
  eval->add_option("--candidate", opts->candidate,
                   "Results of the commit to deploy: a directory, or one per repeat (a tier with "
                   "repeat: N; each metric is then their mean)")
      ->required();
  eval->add_option("--baseline", opts->baseline,
                   "Results of the commit deployed now, one directory or one per repeat (without "
                   "it, change checks are skipped)");
  eval->add_option("--repo-dir", opts->repo_dir,
                   "The candidate's work tree, for the rubric's manual evidence files");
  eval->add_option("--candidate-sha", opts->candidate_sha,
                   "The candidate's commit, which seeds the bootstrap of interval checks (to get "
                   "the server's intervals)");
  eval->add_option("--baseline-sha", opts->baseline_sha,
                   "The baseline's commit, which seeds the paired bootstrap of changes");
  eval->add_flag("--json", opts->json, "Print the decision as JSON (as the engine writes it)");
  eval->add_option("--format", opts->format, "table (default), json, markdown, openmetrics")
      ->check(CLI::IsMember(kFormats));
  eval->callback([opts, &exit_code] { exit_code.value = run_client([&] { run_offline(*opts); }); });
  gate->callback([eval, online, &exit_code] {
    if (eval->parsed()) return;  // the offline form ran
    run_online(*online, exit_code);
  });
}

}  // namespace mlgate::cli
