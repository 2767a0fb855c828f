#include "runners/local_executor.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <system_error>
#include <utility>

#include "runners/child_io.h"

namespace mlgate::runners {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

// After the shell exited (and its group was killed), how long to wait for the pipe's EOF: a
// process that left the group with setsid may hold it open for ever.
constexpr auto kDrainAfterExit = 500ms;

// The job's shell with stdout and stderr on one pipe, in its own process group (so that one
// kill(-pgid) reaches everything the job starts), with its limits. PR_SET_PDEATHSIG: the shell
// dies with the runner (what the shell started does not: a runner that was killed cannot kill the
// group). Destroying it while the shell runs kills its whole group and reaps the shell.
class JobProcess {
 public:
  JobProcess(const std::string& command, const std::filesystem::path& workspace,
             std::map<std::string, std::string> env, std::optional<std::int64_t> memory_bytes)
      : child_({"/bin/sh", "-c", command}, options(workspace, std::move(env), memory_bytes)) {}
  ~JobProcess() {
    if (child_.running()) child_.signal_group(SIGKILL);
  }
  JobProcess(const JobProcess&) = delete;
  JobProcess& operator=(const JobProcess&) = delete;

  util::ChildProcess& child() { return child_; }
  int fd() const { return child_.output_fd(); }
  void signal_group(int sig) { child_.signal_group(sig); }
  // Whether the shell has exited, without reaping it (util::ChildProcess::exited_unreaped).
  bool leader_exited() { return child_.exited_unreaped(); }

 private:
  static util::ChildOptions options(const std::filesystem::path& workspace,
                                    std::map<std::string, std::string> env,
                                    std::optional<std::int64_t> memory_bytes) {
    util::ChildOptions o = piped_child_options();
    o.working_dir = workspace.string();
    o.clear_env = true;
    o.env = std::move(env);
    o.new_process_group = true;
    if (memory_bytes) o.rlimits.emplace_back(RLIMIT_AS, static_cast<rlim_t>(*memory_bytes));
    // A crashing job must not drop gigabytes of core into the workspace.
    o.rlimits.emplace_back(RLIMIT_CORE, 0);
    return o;
  }

  util::ChildProcess child_;
};

// Why the job cannot run here at all: the local executor has no GPUs to give.
std::optional<std::string> gpu_refusal(const JobSpec& job) {
  if (!job.resources.gpus || *job.resources.gpus <= 0) return std::nullopt;
  return "the local executor cannot give a job GPUs (tier '" + job.tier + "' asks for " +
         std::to_string(*job.resources.gpus) + "); run it on a docker runner";
}

// Only PATH from the runner: its other variables (tokens, credentials) are none of the job's
// business.
std::map<std::string, std::string> local_environment(const JobSpec& job,
                                                     const std::filesystem::path& workspace,
                                                     const std::filesystem::path& results) {
  std::map<std::string, std::string> env;
  const char* path = std::getenv("PATH");
  env["PATH"] = path != nullptr && *path != '\0' ? path : "/usr/local/bin:/usr/bin:/bin";
  for (const auto& [k, v] : job_environment(job, workspace.string(), results.string())) {
    env[k] = v;
  }
  return env;
}

// How a watched job ended.
struct WatchEnd {
  std::optional<Outcome> stopped;  // timed_out or cancelled: the runner stopped it
  bool group_killed = false;       // SIGKILL went to its group before the shell exited
};

// Streams the job's output to hooks.on_output until the shell has exited (and is reaped) and its
// output is drained. At the deadline the group is killed at once; a cancel sends SIGTERM to the
// group, then SIGKILL after term_grace.
WatchEnd watch_job(JobProcess& proc, Clock::time_point deadline,
                   std::chrono::milliseconds term_grace, const RunHooks& hooks) {
  WatchEnd end;
  Clock::time_point term_sent{};
  bool eof = false;
  std::optional<Clock::time_point> exited_at;
  std::string buf;

  while (true) {
    const auto now = Clock::now();
    if (!exited_at) {
      if (!end.stopped) {
        if (now >= deadline) {
          // The deadline is hard: no grace period.
          end.stopped = Outcome::timed_out;
          proc.signal_group(SIGKILL);
          end.group_killed = true;
        } else if (cancel_requested(hooks)) {
          end.stopped = Outcome::cancelled;
          proc.signal_group(SIGTERM);
          term_sent = now;
        }
      } else if (!end.group_killed && now - term_sent >= term_grace) {
        proc.signal_group(SIGKILL);
        end.group_killed = true;
      }
      if (proc.leader_exited()) {
        // What the shell left running (background jobs) ends with it.
        proc.signal_group(SIGKILL);
        proc.child().wait();
        exited_at = Clock::now();
      }
    }
    if (exited_at && (eof || Clock::now() - *exited_at >= kDrainAfterExit)) break;
    if (eof) {
      ::poll(nullptr, 0, 20);
      continue;
    }
    buf.clear();
    const auto wait = read_wait(exited_at.has_value(), end.stopped.has_value(), deadline, now);
    if (read_some(proc.fd(), wait, buf) == ReadState::eof) eof = true;
    if (!buf.empty() && hooks.on_output) hooks.on_output(buf);
  }
  return end;
}

RunResult stopped_result(const JobSpec& job, const WatchEnd& end) {
  if (end.stopped == Outcome::timed_out) {
    return RunResult{.outcome = Outcome::timed_out,
                     .message = "timed out after " + std::to_string(job.timeout.count()) +
                                "s (the tier's timeout); its processes were killed"};
  }
  return RunResult{.outcome = Outcome::cancelled,
                   .message = end.group_killed ? "cancelled; killed after it ignored SIGTERM"
                                               : "cancelled; stopped with SIGTERM"};
}

// The shell's wait status as the job's result.
RunResult exit_result(int status) {
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    // The shell's convention, so that the number means the same as under docker.
    return RunResult{
        .outcome = Outcome::exited,
        .exit_code = 128 + sig,
        .message = "killed by signal " + std::to_string(sig) + " (" + ::strsignal(sig) + ")"};
  }
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return RunResult{.outcome = Outcome::exited,
                   .exit_code = code,
                   .message = "exited with " + std::to_string(code)};
}

}  // namespace

LocalExecutor::LocalExecutor(LocalOptions options) : options_(std::move(options)) {}

RunResult LocalExecutor::run(const JobSpec& job, const RunPaths& paths, const RunHooks& hooks) {
  if (auto why = gpu_refusal(job)) return error_result(*why);
  std::error_code ec;
  const auto workspace = std::filesystem::absolute(paths.workspace, ec).lexically_normal();
  const auto results = std::filesystem::absolute(paths.results, ec).lexically_normal();
  if (!std::filesystem::is_directory(workspace, ec)) {
    return error_result("workspace " + workspace.string() + " is not a directory");
  }
  auto env = local_environment(job, workspace, results);
  const auto memory =
      job.resources.memory_bytes ? job.resources.memory_bytes : options_.defaults.memory_bytes;
  if (cancel_requested(hooks)) {
    return RunResult{.outcome = Outcome::cancelled, .message = "cancelled before it started"};
  }

  std::optional<JobProcess> proc;
  try {
    proc.emplace(job.command, workspace, std::move(env), memory);
  } catch (const std::exception& e) {
    return error_result(std::string("could not start /bin/sh: ") + e.what());
  }

  const WatchEnd end = watch_job(*proc, Clock::now() + job.timeout, options_.term_grace, hooks);
  if (end.stopped) return stopped_result(job, end);
  return exit_result(proc->child().wait());
}

}  // namespace mlgate::runners
