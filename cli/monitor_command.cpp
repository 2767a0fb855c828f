// mlgate monitor status --repo R [--environment E] [--json]: the production monitors' states
// (docs/cli.md, docs/monitoring.md "Alerts, retraining and status"), from
// GET /api/v1/repos/{repo}/monitors or …/environments/{env}/monitors. Exit 0 when none alerts, 1
// while one alerts (or the environment has no monitor state), 2 bad usage, 3 server unreachable,
// 4 bad token.
#include <iostream>

#include "cli/client.h"
#include "cli/commands.h"
#include "util/strings.h"

namespace mlgate::cli {
namespace {

using nlohmann::json;

// The alerting checks of a state, "-" when none.
std::string alerting_text(const json& m) {
  std::string out;
  if (m.contains("alerting_kinds"))
    for (const auto& k : m["alerting_kinds"])
      out += (out.empty() ? "" : ",") + k.get<std::string>();
  return out.empty() ? "-" : out;
}

void print_states(const json& monitors) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& m : monitors) {
    rows.push_back({json_text(m, "environment"), json_text(m, "state"), alerting_text(m),
                    json_text(m, "since"), json_text(m, "evaluated_at"),
                    util::short_sha(json_text(m, "sha")), json_text(m, "last_retrain_at", "-")});
  }
  print_table({"ENVIRONMENT", "STATE", "ALERTING", "SINCE", "EVALUATED", "SHA", "RETRAINED"}, rows);
}

int status(const ClientOptions& client, const std::string& repo, const std::string& env) {
  const std::string base = "/api/v1/repos/" + repo;
  json monitors = json::array();
  if (env.empty()) {
    auto r = api_request(client, "GET", base + "/monitors");
    if (client.json) std::cout << r.body.dump(2) << "\n";
    monitors = r.body.value("monitors", json::array());
  } else {
    auto r = api_request(client, "GET", base + "/environments/" + env + "/monitors");
    if (client.json) std::cout << r.body.dump(2) << "\n";
    if (!r.body.contains("monitor") || r.body["monitor"].is_null()) {
      if (!client.json)
        std::cerr << "no monitor state of " << repo << " in " << env
                  << " (not evaluated yet, or no monitor in the deployed commit's .mlgate.yml)\n";
      return 1;
    }
    monitors.push_back(r.body["monitor"]);
  }
  if (!client.json) {
    if (monitors.empty())
      std::cout << "no monitor of " << repo << " was evaluated yet\n";
    else
      print_states(monitors);
  }
  for (const auto& m : monitors)
    if (json_text(m, "state") == "alerting") return 1;
  return 0;
}

}  // namespace

void add_monitor_commands(CLI::App& app, ExitCode& exit_code) {
  struct MonitorOptions {
    ClientOptions client;
    std::string repo;
    std::string environment;
  };
  auto o = std::make_shared<MonitorOptions>();
  auto* monitor = app.add_subcommand("monitor", "Production monitors (docs/monitoring.md)");
  monitor->require_subcommand(1);
  auto* cmd = monitor->add_subcommand(
      "status",
      "Each environment's monitor: state, alerting checks, last evaluation; exit 1 "
      "while one alerts");
  cmd->add_option("--repo", o->repo, "The repository, e.g. acme/model")->required();
  cmd->add_option("--environment", o->environment, "Only this environment");
  add_client_options(cmd, o->client);
  cmd->callback([o, &exit_code] {
    int code = 0;
    exit_code.value = run_client([&] { code = status(o->client, o->repo, o->environment); });
    if (exit_code.value == 0) exit_code.value = code;
  });
}

}  // namespace mlgate::cli
