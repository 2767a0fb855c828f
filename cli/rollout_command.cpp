// mlgate rollout status|promote|pause|resume|abort: a staged rollout seen and steered by people
// (docs/rollouts.md, docs/cli.md). `status` exits 1 for a rollout rolled back or aborted; a
// command the rollout refuses (e.g. resume when it is not paused) exits 1 with the reason.
#include <iostream>
#include <memory>

#include "cli/client.h"
#include "cli/commands.h"
#include "util/strings.h"

namespace mlgate::cli {
namespace {

struct RolloutOptions {
  ClientOptions client;
  std::string repo;
  std::string environment;
  std::string reason;
};

std::string rollout_path(const RolloutOptions& o) {
  return "/api/v1/repos/" + o.repo + "/environments/" + o.environment + "/rollout";
}

// The rules the rollout runs under (docs/rollouts.md, "The rules in force"): the note and how the
// candidate's `rollouts:` entry differs from the stable commit's, one line per rule.
void print_rules(const nlohmann::json& rules) {
  if (!rules.is_object()) return;
  const std::string note = json_text(rules, "note");
  if (!note.empty()) std::cout << "  rules: " << note << "\n";
  const auto& differences = rules.value("differences", nlohmann::json::array());
  if (differences.empty()) return;
  std::cout << "  rules that differ (stable → candidate):\n";
  for (const auto& d : differences) std::cout << "    " << json_text(d, "text") << "\n";
}

void print_rollout(const nlohmann::json& body) {
  const nlohmann::json& r = body["rollout"];
  if (!r.is_object()) {
    std::cout << "no rollout of " << json_text(body, "repo") << " to "
              << json_text(body, "environment") << "\n";
    return;
  }
  const auto& routing = r["routing"];
  std::cout << "rollout " << json_text(r, "id") << " of "
            << util::short_sha(json_text(r, "candidate_sha")) << " to "
            << json_text(r, "environment") << ": " << json_text(r, "state") << " at stage "
            << json_text(r, "stage") << " (stable " << util::short_sha(json_text(r, "stable_sha"))
            << ")\n";
  print_rules(r["rules"]);
  std::cout << "  split: candidate " << json_text(routing, "candidate_weight") << "% traffic, "
            << json_text(routing, "mirror") << "% mirrored\n";
  if (r.contains("stages"))
    for (const auto& s : r["stages"])
      std::cout << "  " << json_text(s, "verdict") << "\t" << json_text(s, "text") << "\n";
  const auto& j = r["last_judgement"];
  if (j.is_object())
    std::cout << "  last judgement: " << json_text(j, "decision") << ", score "
              << json_text(j, "score", "none") << ": " << json_text(j, "reason") << "\n";
  if (r.contains("history")) {
    for (const auto& e : r["history"])
      if (json_text(e, "kind") == "transition")
        std::cout << "  " << json_text(e, "at") << " " << json_text(e, "decision") << " ("
                  << json_text(e, "actor") << ")"
                  << (json_text(e, "reason").empty() ? "" : ": " + json_text(e, "reason")) << "\n";
  }
}

void add_status(CLI::App* rollout, ExitCode& exit_code) {
  auto o = std::make_shared<RolloutOptions>();
  auto* cmd = rollout->add_subcommand(
      "status",
      "The environment's newest rollout: stage, split, verdicts, history (exit 1: rolled "
      "back or aborted)");
  cmd->add_option("--repo", o->repo, "The repository, e.g. acme/model")->required();
  cmd->add_option("--environment", o->environment, "e.g. production")->required();
  add_client_options(cmd, o->client);
  cmd->callback([o, &exit_code] {
    exit_code.value = run_client([&] {
      auto r = api_request(o->client, "GET", rollout_path(*o));
      if (o->client.json)
        std::cout << r.body.dump(2) << "\n";
      else
        print_rollout(r.body);
      const std::string state = json_text(r.body["rollout"], "state");
      if (state == "rolled_back" || state == "aborted")
        throw ClientError("the rollout was " + state, 1);
    });
  });
}

void add_command(CLI::App* rollout, ExitCode& exit_code, const std::string& name,
                 const std::string& help) {
  auto o = std::make_shared<RolloutOptions>();
  auto* cmd = rollout->add_subcommand(name, help);
  cmd->add_option("--repo", o->repo, "The repository, e.g. acme/model")->required();
  cmd->add_option("--environment", o->environment, "e.g. production")->required();
  cmd->add_option("--reason", o->reason, "Why (audited)");
  add_client_options(cmd, o->client);
  cmd->callback([o, name, &exit_code] {
    exit_code.value = run_client([&] {
      nlohmann::json body = nlohmann::json::object();
      if (!o->reason.empty()) body["reason"] = o->reason;
      auto r = api_request(o->client, "POST", rollout_path(*o) + "/" + name, &body);
      if (o->client.json)
        std::cout << r.body.dump(2) << "\n";
      else
        print_rollout(r.body);
    });
  });
}

}  // namespace

void add_rollout_commands(CLI::App& app, ExitCode& exit_code) {
  auto* rollout = app.add_subcommand("rollout", "See and steer a staged rollout");
  rollout->require_subcommand(1);
  add_status(rollout, exit_code);
  add_command(rollout, exit_code, "promote", "Move the rollout to its next stage now (audited)");
  add_command(rollout, exit_code, "pause", "Hold the rollout at its stage (audited, notified)");
  add_command(rollout, exit_code, "resume",
              "Let a paused rollout run again; its stage's clock restarts (audited)");
  add_command(rollout, exit_code, "abort",
              "End the rollout: stable serves all traffic at once (audited, notified)");
}

}  // namespace mlgate::cli
