// What an executor is given and what it hands back: one job attempt, run in a workspace that holds
// the commit's tree, with a results directory the job writes into. The two executors (docker,
// local) share this contract; the agent (runners/agent.h) owns claiming, logs and results upload.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace mlgate::runners {

struct JobResources {
  std::optional<double> cpus;                // e.g. 2, 0.5
  std::optional<std::int64_t> memory_bytes;  // hard memory limit
  std::optional<int> gpus;                   // Docker: --gpus N; local: refused
  std::optional<std::int64_t> pids;          // process count limit
};

// One claimed job attempt, as the server described it.
struct JobSpec {
  std::int64_t job_id = 0;
  std::int64_t pipeline_id = 0;
  int attempt = 1;
  std::string repo;  // "owner/name"
  std::string sha;
  std::string ref;
  std::string tier;
  int repeat = 0;  // 0..N-1 for a tier with `repeat: N`, else 0
  std::string image;
  std::string command;  // the tier's `run`, from the repo's own .mlgate.yml; run by `sh -c` inside
                        // the sandbox, never by a shell on the runner host
  std::string network = "none";  // none | bridge
  std::chrono::seconds timeout{300};
  JobResources resources;
  std::map<std::string, std::string> env;  // the tier's env
};

struct RunPaths {
  std::filesystem::path workspace;  // the checked-out tree
  std::filesystem::path results;    // empty directory the job writes results into
};

enum class Outcome {
  exited,     // the command ran to its end; exit_code says how
  timed_out,  // killed at the tier's deadline
  cancelled,  // stopped because cancel_requested() said so
  error,      // could not run at all (image missing, docker failed, ...); message says why
};
std::string to_string(Outcome o);

struct RunResult {
  Outcome outcome = Outcome::error;
  int exit_code = -1;   // the command's exit code when outcome == exited
  std::string message;  // one line for a person: "image 'x' is not present on this runner", ...
};

struct RunHooks {
  // Every byte the job writes to stdout and stderr, in order, as it arrives. Called from the
  // executor's thread; must not block for long.
  std::function<void(std::string_view)> on_output;
  // Polled at least every 250 ms while the job runs; true stops the job (within 5 s).
  std::function<bool()> cancel_requested;
};

// The environment every job sees (values are passed as argv elements / envp entries, never
// through a shell): MLGATE_SHA, MLGATE_REF, MLGATE_TIER, MLGATE_REPO, MLGATE_PIPELINE_ID,
// MLGATE_JOB_ID, MLGATE_ATTEMPT, MLGATE_REPEAT (0..N-1 for a tier with `repeat: N`, else 0),
// MLGATE_RESULTS, MLGATE_WORKSPACE, plus the tier's env (which
// cannot override the MLGATE_ ones).
std::map<std::string, std::string> job_environment(const JobSpec& job,
                                                   const std::string& workspace_path,
                                                   const std::string& results_path);

// What an executor did for a job before its workspace was checked out (Executor::prepare), so that
// the work overlaps the checkout. Destroying one that was not passed to run_prepared undoes it.
class PreparedJob {
 public:
  virtual ~PreparedJob() = default;
};

class Executor {
 public:
  virtual ~Executor() = default;
  virtual std::string name() const = 0;  // "docker" | "local"
  // Runs one job attempt to its end. Never throws for a job's failure; RunResult says it.
  virtual RunResult run(const JobSpec& job, const RunPaths& paths, const RunHooks& hooks) = 0;
  // Starts what can be done before paths.workspace holds the tree (it must exist, empty, and
  // paths.results too): the docker executor checks the image and creates the container, in the
  // background. Null when there is nothing to do ahead. Never throws for a job's failure:
  // run_prepared reports it. The executor must outlive what it returns.
  virtual std::unique_ptr<PreparedJob> prepare(const JobSpec&, const RunPaths&) { return nullptr; }
  // run() for a job prepare() was called for with the same job and paths, once the workspace is
  // checked out; `prepared` is what it returned (null: as run()).
  virtual RunResult run_prepared(const JobSpec& job, const RunPaths& paths, const RunHooks& hooks,
                                 std::unique_ptr<PreparedJob> prepared) {
    prepared.reset();
    return run(job, paths, hooks);
  }
};

}  // namespace mlgate::runners
