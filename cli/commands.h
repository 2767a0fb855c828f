// Each subcommand registers itself on the CLI11 app; its callback stores the exit code.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>

#include "core/config.h"

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
void add_observe_command(CLI::App& app, ExitCode& exit_code);
void add_monitor_commands(CLI::App& app, ExitCode& exit_code);
void add_rollout_commands(CLI::App& app, ExitCode& exit_code);
void add_status_commands(CLI::App& app, ExitCode& exit_code);
void add_model_card_command(CLI::App& app, ExitCode& exit_code);

// --max-job-cpus, --max-job-memory, --max-job-pids, --max-job-gpus, --allowed-images and
// --allowed-networks, read into `ceilings` (which must outlive the app), under `group` in --help.
void add_job_ceiling_options(CLI::App* cmd, core::JobCeilings& ceilings, const std::string& group);
// Why the resources a job gets when its tier asks for none are over the ceilings ("" when they
// are within them): the defaults must themselves be grantable.
std::string job_defaults_over_ceilings(double cpus, std::int64_t memory_bytes, std::int64_t pids,
                                       const core::JobCeilings& ceilings);

// Environment variable or fallback.
std::string env_or(const char* name, const std::string& fallback);

}  // namespace mlgate::cli
