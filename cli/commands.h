// Each subcommand registers itself on the CLI11 app; its callback stores the exit code.
#pragma once

#include <CLI/CLI.hpp>

namespace mlgate::cli {

struct ExitCode {
  int value = 0;
};

void add_serve_command(CLI::App& app, ExitCode& exit_code);
void add_migrate_command(CLI::App& app, ExitCode& exit_code);
// `mlgate runner` (the agent, runner_command.cpp) with its subcommands `disable` and `enable`,
// `mlgate runners` and `mlgate runner-token` (runner_admin_commands.cpp).
void add_runner_commands(CLI::App& app, ExitCode& exit_code);
void add_runner_switch_commands(CLI::App* runner, ExitCode& exit_code);
void add_runners_command(CLI::App& app, ExitCode& exit_code);
void add_runner_token_commands(CLI::App& app, ExitCode& exit_code);
void add_config_commands(CLI::App& app, ExitCode& exit_code);
void add_gate_commands(CLI::App& app, ExitCode& exit_code);
void add_deploy_commands(CLI::App& app, ExitCode& exit_code);
void add_token_commands(CLI::App& app, ExitCode& exit_code);
void add_trigger_command(CLI::App& app, ExitCode& exit_code);
void add_status_commands(CLI::App& app, ExitCode& exit_code);

// Environment variable or fallback.
std::string env_or(const char* name, const std::string& fallback);

}  // namespace mlgate::cli
