// The parts of the executor contract that both executors share: outcome names and the job's
// environment.
#include "runners/executor.h"

#include <string>

#include "core/states.h"

namespace mlgate::runners {

std::string to_string(Outcome o) {
  // Other than exited (whose attempt outcome follows from the exit code), each is spelled as the
  // attempt outcome it becomes.
  switch (o) {
    case Outcome::exited:
      return "exited";
    case Outcome::timed_out:
      return std::string(core::to_string(core::AttemptOutcome::timed_out));
    case Outcome::cancelled:
      return std::string(core::to_string(core::AttemptOutcome::cancelled));
    case Outcome::error:
      return std::string(core::to_string(core::AttemptOutcome::error));
  }
  return "unknown";
}

namespace {

// A name that can be passed as one `-e NAME=VALUE` argument or one envp entry and mean exactly
// that variable. An empty name, or one holding '=' or NUL, would be split differently by docker
// and execve (`-e A=B=C` sets A); config validation rejects such names earlier, this is the last
// line of defence.
bool usable_name(const std::string& name) {
  return !name.empty() && name.find('=') == std::string::npos &&
         name.find('\0') == std::string::npos;
}

}  // namespace

std::map<std::string, std::string> job_environment(const JobSpec& job,
                                                   const std::string& workspace_path,
                                                   const std::string& results_path) {
  std::map<std::string, std::string> env;
  for (const auto& [name, value] : job.env) {
    // A NUL in a value would silently cut it short in execve; dropping the variable is clearer.
    if (usable_name(name) && value.find('\0') == std::string::npos) env[name] = value;
  }
  // Assigned after the tier's env so that a tier cannot override them: results parsing and the
  // job's own reports depend on them being true.
  env["MLGATE_SHA"] = job.sha;
  env["MLGATE_REF"] = job.ref;
  env["MLGATE_TIER"] = job.tier;
  env["MLGATE_REPO"] = job.repo;
  env["MLGATE_PIPELINE_ID"] = std::to_string(job.pipeline_id);
  env["MLGATE_JOB_ID"] = std::to_string(job.job_id);
  env["MLGATE_ATTEMPT"] = std::to_string(job.attempt);
  env["MLGATE_REPEAT"] = std::to_string(job.repeat);
  env["MLGATE_RESULTS"] = results_path;
  env["MLGATE_WORKSPACE"] = workspace_path;
  return env;
}

}  // namespace mlgate::runners
