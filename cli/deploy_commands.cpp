// mlgate deploy, mlgate rollback, mlgate deployments: the deployment API (docs/gate.md, "The gate
// API"). deploy exits 1 when the gate refuses (the failing checks are printed).
#include <iostream>

#include "cli/client.h"
#include "cli/commands.h"
#include "util/strings.h"

namespace mlgate::cli {
namespace {

// How the candidate's gate rules differ from the deployed commit's, as the API lists them.
void print_rule_differences(const nlohmann::json& body) {
  if (!body.is_object() || !body.contains("rule_differences")) return;
  const auto& lines = body["rule_differences"];
  if (!lines.is_array() || lines.empty()) return;
  std::cout << "  rules that differ (deployed → candidate):\n";
  for (const auto& line : lines)
    if (line.is_string()) std::cout << "    " << line.get<std::string>() << "\n";
}

// mlgate deploy --rollout: POST …/rollouts; a refusal (the gate, no `rollouts:`, one under way)
// exits 1.
void start_rollout(const ClientOptions& client, const std::string& repo, const std::string& sha,
                   const std::string& environment, const std::string& reason) {
  nlohmann::json body = {{"sha", sha}, {"environment", environment}};
  if (!reason.empty()) body["reason"] = reason;
  auto r = api_request(client, "POST", "/api/v1/repos/" + repo + "/rollouts", &body);
  if (client.json) {
    std::cout << r.body.dump(2) << "\n";
    return;
  }
  const nlohmann::json& started = r.body["rollout"];
  std::cout << "rollout " << json_text(started, "id") << " of "
            << util::short_sha(json_text(started, "candidate_sha")) << " to "
            << json_text(started, "environment") << " started at stage "
            << json_text(started, "stage") << " (stable "
            << util::short_sha(json_text(started, "stable_sha")) << ")\n";
}

// mlgate deploy: exits 1 when the gate refuses, printing the checks that block.
void add_deploy_command(CLI::App& app, ExitCode& exit_code) {
  struct DeployOptions {
    ClientOptions client;
    std::string repo;
    std::string sha;
    std::string environment;
    bool force = false;
    bool rollout = false;
    std::string reason;
  };
  auto d = std::make_shared<DeployOptions>();
  auto* deploy = app.add_subcommand(
      "deploy",
      "Record a deployment of a commit; refused (exit 1) unless the gate allows it, or "
      "--force with a --reason (audited)");
  deploy->add_option("--repo", d->repo, "The repository, e.g. acme/model")->required();
  deploy->add_option("--sha", d->sha, "The full commit sha deployed")->required();
  deploy->add_option("--environment", d->environment, "e.g. production")->required();
  deploy->add_flag("--force", d->force, "Record it although the gate denies or is pending");
  deploy->add_option("--reason", d->reason, "Why it is forced (required with --force)");
  deploy
      ->add_flag("--rollout", d->rollout,
                 "Start a staged rollout (the candidate's `rollouts:` stages) instead; only "
                 "when the gate allows")
      ->excludes("--force");
  add_client_options(deploy, d->client);
  deploy->callback([d, &exit_code] {
    exit_code.value = run_client([&] {
      if (d->rollout) return start_rollout(d->client, d->repo, d->sha, d->environment, d->reason);
      nlohmann::json body = {{"sha", d->sha}, {"environment", d->environment}};
      if (d->force) body["force"] = true;
      if (!d->reason.empty()) body["reason"] = d->reason;
      auto r =
          api_request(d->client, "POST", "/api/v1/repos/" + d->repo + "/deployments", &body, true);
      if (d->client.json) std::cout << r.body.dump(2) << "\n";
      if (r.status == 409 && r.body.contains("reasons")) {
        if (!d->client.json) {
          std::cout << "refused: the gate says " << json_text(r.body, "decision") << "\n";
          for (const auto& reason : r.body["reasons"])
            std::cout << "  " << reason.get<std::string>() << "\n";
          print_rule_differences(r.body);
        }
        throw ClientError("deployment refused (use --force --reason TEXT to override)", 1);
      }
      if (r.status >= 400) {
        std::string message = r.body.is_object() && r.body.contains("error")
                                  ? r.body["error"].value("message", r.body.dump())
                                  : r.body.dump();
        throw ClientError(message + " (HTTP " + std::to_string(r.status) + ")", 1);
      }
      if (!d->client.json) {
        std::cout << "deployed " << util::short_sha(json_text(r.body, "sha")) << " to "
                  << json_text(r.body, "environment") << " (deployment " << json_text(r.body, "id")
                  << ", gate " << json_text(r.body, "decision")
                  << (r.body.value("forced", false) ? ", FORCED: " + json_text(r.body, "reason")
                                                    : "")
                  << ")\n";
        print_rule_differences(r.body);
      }
    });
  });
}

// mlgate rollback.
void add_rollback_command(CLI::App& app, ExitCode& exit_code) {
  struct RollbackOptions {
    ClientOptions client;
    std::string repo;
    std::string environment;
  };
  auto rb = std::make_shared<RollbackOptions>();
  auto* rollback = app.add_subcommand(
      "rollback", "Make the previous deployment of an environment current again (audited)");
  rollback->add_option("--repo", rb->repo, "The repository, e.g. acme/model")->required();
  rollback->add_option("--environment", rb->environment, "e.g. production")->required();
  add_client_options(rollback, rb->client);
  rollback->callback([rb, &exit_code] {
    exit_code.value = run_client([&] {
      nlohmann::json body = {{"environment", rb->environment}};
      auto r = api_request(rb->client, "POST",
                           "/api/v1/repos/" + rb->repo + "/deployments/rollback", &body);
      if (rb->client.json) {
        std::cout << r.body.dump(2) << "\n";
      } else {
        std::cout << "rolled back " << json_text(r.body, "environment") << ": "
                  << util::short_sha(json_text(r.body, "sha")) << " is current again (deployment "
                  << json_text(r.body, "id") << ")\n";
      }
    });
  });
}

// mlgate deployments: a table, or the JSON with --json.
void add_deployments_command(CLI::App& app, ExitCode& exit_code) {
  struct ListOptions {
    ClientOptions client;
    std::string repo;
    std::string environment;
  };
  auto ls = std::make_shared<ListOptions>();
  auto* list = app.add_subcommand("deployments", "List a repository's deployments, newest first");
  list->add_option("--repo", ls->repo, "The repository, e.g. acme/model")->required();
  list->add_option("--environment", ls->environment, "Only this environment");
  add_client_options(list, ls->client);
  list->callback([ls, &exit_code] {
    exit_code.value = run_client([&] {
      std::string path = "/api/v1/repos/" + ls->repo + "/deployments";
      if (!ls->environment.empty()) path += "?environment=" + ls->environment;
      auto r = api_request(ls->client, "GET", path);
      if (ls->client.json) {
        std::cout << r.body.dump(2) << "\n";
        return;
      }
      std::vector<std::vector<std::string>> rows;
      for (const auto& dep : r.body["deployments"]) {
        rows.push_back({json_text(dep, "id"), json_text(dep, "environment"),
                        util::short_sha(json_text(dep, "sha")), json_text(dep, "kind"),
                        dep.value("current", false) ? "*" : "",
                        dep.value("forced", false) ? "forced" : "", json_text(dep, "actor"),
                        json_text(dep, "created_at"), json_text(dep, "reason")});
      }
      print_table(
          {"ID", "ENVIRONMENT", "SHA", "KIND", "CURRENT", "FORCED", "ACTOR", "AT", "REASON"}, rows);
    });
  });
}

}  // namespace

void add_deploy_commands(CLI::App& app, ExitCode& exit_code) {
  add_deploy_command(app, exit_code);
  add_rollback_command(app, exit_code);
  add_deployments_command(app, exit_code);
}

}  // namespace mlgate::cli
