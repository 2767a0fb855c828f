// The local executor: runs a job as a child process of the runner, on the runner's host, as the
// runner's user. It has the executor contract (workspace, results, environment, timeout, cancel,
// streamed output) but not the sandbox: it exists for hosts without Docker and for trusted
// repositories only, and the operator has to choose it explicitly.
//
// What it does enforce: its own process group (a timeout or cancel reaches every process the job
// started, unless one left the group with setsid), RLIMIT_AS from the memory limit (virtual
// memory, so stricter than Docker's resident-memory limit), no core dumps. What it cannot
// enforce: cpus and pids (RLIMIT_NPROC counts every process of the user, not of the job), network
// and filesystem isolation. A tier that asks for GPUs is refused.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "runners/executor.h"

namespace mlgate::runners {

struct LocalOptions {
  // Used for every limit a tier does not set; only memory_bytes is enforced (RLIMIT_AS).
  JobResources defaults{.memory_bytes = std::int64_t{4} << 30};
  // After a cancel, how long the job's process group has between SIGTERM and SIGKILL.
  std::chrono::milliseconds term_grace{2000};
};

class LocalExecutor : public Executor {
 public:
  // For the agent to print when it starts with this executor.
  static constexpr const char* kNotIsolatedWarning =
      "the local executor runs jobs directly on this host as the runner's user, WITHOUT "
      "isolation: no network or filesystem sandbox, no cpu or pids limits (only a virtual-memory "
      "limit and a process group); use it only for repositories you trust";

  explicit LocalExecutor(LocalOptions options = {});
  std::string name() const override { return "local"; }
  // Runs `/bin/sh -c <command>` in the workspace with PATH (the runner's) and the job's
  // environment (absolute paths in MLGATE_WORKSPACE and MLGATE_RESULTS) and nothing else; stdin
  // is /dev/null. When the shell ends, whatever it left running in its process group is killed.
  RunResult run(const JobSpec& job, const RunPaths& paths, const RunHooks& hooks) override;
  const LocalOptions& options() const { return options_; }

 private:
  LocalOptions options_;
};

}  // namespace mlgate::runners
