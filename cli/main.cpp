// mlgate: one binary, subcommands (docs/architecture.md, "The layers").
#include <signal.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>

#include "cli/client.h"
#include "cli/commands.h"

#ifndef MLGATE_VERSION
#define MLGATE_VERSION "dev"
#endif

namespace mlgate::cli {

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}

}  // namespace mlgate::cli

int main(int argc, char** argv) {
  // A peer that closes its socket must give a write error, not kill the process.
  ::signal(SIGPIPE, SIG_IGN);
  CLI::App app{"mlgate: regression-gated deployments for ML models"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("mlgate ") + MLGATE_VERSION);
  mlgate::cli::ExitCode exit_code;
  mlgate::cli::add_serve_command(app, exit_code);
  mlgate::cli::add_migrate_command(app, exit_code);
  mlgate::cli::add_runner_commands(app, exit_code);
  mlgate::cli::add_config_commands(app, exit_code);
  mlgate::cli::add_gate_commands(app, exit_code);
  mlgate::cli::add_deploy_commands(app, exit_code);
  mlgate::cli::add_token_commands(app, exit_code);
  mlgate::cli::add_trigger_command(app, exit_code);
  mlgate::cli::add_observe_command(app, exit_code);
  mlgate::cli::add_monitor_commands(app, exit_code);
  mlgate::cli::add_rollout_commands(app, exit_code);
  mlgate::cli::add_status_commands(app, exit_code);
  mlgate::cli::add_model_card_command(app, exit_code);
  mlgate::cli::add_repo_commands(app, exit_code.value);
  mlgate::cli::add_webhook_commands(app, exit_code.value);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    std::cerr << "mlgate: " << e.what() << "\n";
    return 2;
  }
  return exit_code.value;
}
