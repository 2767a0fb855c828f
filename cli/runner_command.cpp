// mlgate runner: the agent. Its subcommands `disable` and `enable`, `mlgate runners` and
// `mlgate runner-token` are in runner_admin_commands.cpp.
#include <signal.h>

#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "cli/client.h"
#include "cli/commands.h"
#include "runners/agent.h"
#include "util/secret_file.h"

#ifndef MLGATE_VERSION
#define MLGATE_VERSION "dev"
#endif

namespace mlgate::cli {
namespace {

std::string read_token_file(const std::string& path) {
  auto token = util::read_secret_line(path);
  if (!token) throw ClientError("cannot read token file " + path, 2);
  return *token;
}

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

std::string default_work_dir() {
  if (::geteuid() == 0) return "/var/lib/mlgate-runner";
  return env_or("HOME", "/tmp") + "/.mlgate-runner";
}

struct RunnerOptions {
  runners::AgentOptions agent;
  std::string token_file;
  std::string tiers = "functionality,validation,training";
  std::string work_dir;
};

// Runs the agent until SIGINT or SIGTERM (handled by one thread; every other thread blocks them).
int run_runner(const RunnerOptions& opts) {
  auto agent = opts.agent;
  agent.tiers = split_commas(opts.tiers);
  agent.work_dir = opts.work_dir.empty() ? default_work_dir() : opts.work_dir;
  if (!opts.token_file.empty()) agent.registration_token = read_token_file(opts.token_file);
  agent.local.defaults.memory_bytes = agent.docker.defaults.memory_bytes;
  agent.version = MLGATE_VERSION;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  static std::atomic<bool> stop{false};
  std::thread signals([set] {
    int sig = 0;
    while (sigwait(&set, &sig) == 0) {
      if (sig == SIGINT || sig == SIGTERM) {
        std::cerr << "mlgate runner: stopping (running jobs are handed back to the queue)"
                  << std::endl;
        stop = true;
        return;
      }
    }
  });
  signals.detach();
  return runners::run_agent(agent, stop);
}

// mlgate runner. `--server` is required only when the agent runs, that is when no subcommand
// (disable, enable) is given: CLI11 runs this callback after a subcommand's too.
CLI::App* add_runner_command(CLI::App& app, ExitCode& exit_code) {
  auto opts = std::make_shared<RunnerOptions>();
  auto* cmd = app.add_subcommand(
      "runner", "Run jobs for a server (Docker, or local processes); disable or enable a runner");
  cmd->add_option("--server", opts->agent.server_url,
                  "The server's URL, e.g. http://mlgate:8080 (required to run the agent)");
  cmd->add_option("--token-file", opts->token_file,
                  "File holding a runner registration token (needed on the first start)");
  cmd->add_option("--name", opts->agent.name, "Name shown on the pages (default: host name)");
  cmd->add_option("--tiers", opts->tiers, "Tiers this runner takes, comma-separated")
      ->capture_default_str();
  cmd->add_option("--capacity", opts->agent.capacity, "Jobs run at once")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  cmd->add_option("--executor", opts->agent.executor, "docker, or local (no isolation)")
      ->capture_default_str()
      ->check(CLI::IsMember({"docker", "local"}));
  cmd->add_option("--work-dir", opts->work_dir,
                  "Identity, mirrors and workspaces (default /var/lib/mlgate-runner as root, "
                  "else ~/.mlgate-runner)");
  cmd->add_option("--log-max-bytes", opts->agent.log_max_bytes,
                  "Job output kept per attempt; the rest is dropped with a marker")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1024}, std::size_t{1} << 32));
  cmd->add_option("--claim-wait", opts->agent.claim_wait_seconds,
                  "Seconds one job request waits for a job (long poll)")
      ->capture_default_str()
      ->check(CLI::Range(0, 300));
  cmd->add_option("--max-jobs", opts->agent.max_jobs, "Exit after this many jobs (0: never)")
      ->capture_default_str();
  cmd->add_option("--docker", opts->agent.docker.docker, "The docker CLI to use")
      ->capture_default_str();
  cmd->add_option("--default-memory", opts->agent.docker.defaults.memory_bytes,
                  "Memory limit, bytes, for tiers that set none");
  cmd->add_option("--default-cpus", opts->agent.docker.defaults.cpus,
                  "CPU limit for tiers that set none");
  cmd->add_option("--default-pids", opts->agent.docker.defaults.pids,
                  "Process limit for tiers that set none");
  cmd->callback([cmd, opts, &exit_code] {
    if (!cmd->get_subcommands().empty()) return;
    if (opts->agent.server_url.empty()) throw CLI::RequiredError("--server");
    try {
      exit_code.value = run_runner(*opts);
    } catch (const ClientError& e) {
      std::cerr << "mlgate: " << e.what() << "\n";
      exit_code.value = e.code();
    }
  });
  return cmd;
}

}  // namespace

void add_runner_commands(CLI::App& app, ExitCode& exit_code) {
  add_runner_switch_commands(add_runner_command(app, exit_code), exit_code);
  add_runners_command(app, exit_code);
  add_runner_token_commands(app, exit_code);
}

}  // namespace mlgate::cli
