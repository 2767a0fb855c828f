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
#include <boost/process.hpp>
#include <boost/process/extend.hpp>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <system_error>
#include <utility>

#include "runners/child_io.h"

namespace mlgate::runners {

namespace bp = boost::process;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

constexpr auto kPollInterval = 100ms;  // cancel_requested() is polled at least this often
// After the shell exited (and its group was killed), how long to wait for the pipe's EOF: a
// process that left the group with setsid may hold it open for ever.
constexpr auto kDrainAfterExit = 500ms;

// Run in the child between fork and exec: its own process group (so that one kill(-pgid) reaches
// everything the job starts), its limits, and clean signal state (the runner may block or ignore
// signals, which an exec'd program would inherit). PR_SET_PDEATHSIG: the shell dies with the
// runner (what the shell started does not: a runner that was killed cannot kill the group).
struct LocalChildSetup : bp::extend::handler {
  std::optional<std::int64_t> memory_bytes;

  template <typename Executor>
  void on_exec_setup(Executor&) const {
    ::setpgid(0, 0);
    if (memory_bytes) {
      rlimit as{static_cast<rlim_t>(*memory_bytes), static_cast<rlim_t>(*memory_bytes)};
      ::setrlimit(RLIMIT_AS, &as);
    }
    rlimit core{0, 0};  // a crashing job must not drop gigabytes of core into the workspace
    ::setrlimit(RLIMIT_CORE, &core);
    reset_child_signals();
  }
};

// The job's shell with stdout and stderr on one pipe. Constructed in place only (bp::pipe's move
// assignment leaks descriptors). Destroying it while the shell runs kills its whole group and
// reaps the shell.
class JobProcess {
 public:
  JobProcess(const std::string& command, const std::filesystem::path& workspace,
             bp::environment env, std::optional<std::int64_t> memory_bytes)
      : out_(cloexec_pipe()),
        child_(bp::exe = "/bin/sh", bp::args = std::vector<std::string>{"-c", command},
               bp::start_dir = workspace.string(), std::move(env), (bp::std_in < bp::null),
               ((bp::std_out & bp::std_err) > out_),
               LocalChildSetup{.memory_bytes = memory_bytes}) {
    // Also from this side, so that a kill(-pgid) right after the start cannot miss: whichever of
    // the two runs first wins, the other fails harmlessly (EACCES after exec).
    ::setpgid(child_.id(), child_.id());
  }
  ~JobProcess() {
    std::error_code ec;
    if (child_.running(ec)) signal_group(SIGKILL);
  }
  JobProcess(const JobProcess&) = delete;
  JobProcess& operator=(const JobProcess&) = delete;

  bp::child& child() { return child_; }
  int fd() const { return out_.native_source(); }
  void signal_group(int sig) { ::kill(-child_.id(), sig); }

  // Whether the shell has exited, without reaping it: while the zombie is not reaped its pid,
  // which is also the group's id, cannot be reused, so kill(-pgid) cannot hit a stranger.
  bool leader_exited() {
    siginfo_t info{};
    if (::waitid(P_PID, static_cast<id_t>(child_.id()), &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
      return errno == ECHILD;  // already reaped: exited
    }
    return info.si_pid != 0;
  }

 private:
  bp::pipe out_;  // before child_: the child is started with it
  bp::child child_;
};

// Only PATH from the runner: its other variables (tokens, credentials) are none of the job's
// business.
bp::environment job_process_environment(const JobSpec& job, const std::filesystem::path& workspace,
                                        const std::filesystem::path& results) {
  bp::environment env;
  const char* path = std::getenv("PATH");
  env["PATH"] = path != nullptr && *path != '\0' ? path : "/usr/local/bin:/usr/bin:/bin";
  for (const auto& [k, v] : job_environment(job, workspace.string(), results.string())) {
    env[k] = v;
  }
  return env;
}

// What watching the job's shell saw: how it was stopped (timed_out or cancelled), if it was, and
// whether its group had to be killed.
struct Watched {
  std::optional<Outcome> stopped;
  bool group_killed = false;
};

// Streams the job's output to hooks.on_output until the shell exited and the output is drained
// (or kDrainAfterExit passed). At the deadline the group is killed; when cancelled it gets SIGTERM,
// then SIGKILL after `term_grace`; what the shell leaves running is killed when it exits.
Watched watch_job(JobProcess& proc, Clock::time_point deadline,
                  std::chrono::milliseconds term_grace, const RunHooks& hooks) {
  auto cancel_requested = [&] { return hooks.cancel_requested && hooks.cancel_requested(); };
  std::error_code ec;
  std::optional<Outcome> stopped;
  Clock::time_point term_sent{};
  bool group_killed = false;
  bool eof = false;
  std::optional<Clock::time_point> exited_at;
  std::string buf;

  while (true) {
    const auto now = Clock::now();
    if (!exited_at) {
      if (!stopped) {
        if (now >= deadline) {
          // The deadline is hard: no grace period.
          stopped = Outcome::timed_out;
          proc.signal_group(SIGKILL);
          group_killed = true;
        } else if (cancel_requested()) {
          stopped = Outcome::cancelled;
          proc.signal_group(SIGTERM);
          term_sent = now;
        }
      } else if (!group_killed && now - term_sent >= term_grace) {
        proc.signal_group(SIGKILL);
        group_killed = true;
      }
      if (proc.leader_exited()) {
        // What the shell left running (background jobs) ends with it.
        proc.signal_group(SIGKILL);
        proc.child().wait(ec);
        exited_at = Clock::now();
      }
    }
    if (exited_at && (eof || Clock::now() - *exited_at >= kDrainAfterExit)) break;
    if (eof) {
      ::poll(nullptr, 0, 20);
      continue;
    }
    auto wait = exited_at ? std::chrono::milliseconds(50) : kPollInterval;
    if (!stopped) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
      wait = std::clamp(left, std::chrono::milliseconds(1), wait);
    }
    buf.clear();
    if (read_some(proc.fd(), wait, buf) == ReadState::eof) eof = true;
    if (!buf.empty() && hooks.on_output) hooks.on_output(buf);
  }
  return Watched{stopped, group_killed};
}

// The attempt's result once the shell exited and was reaped.
RunResult job_result(const JobSpec& job, const Watched& watched, JobProcess& proc) {
  const std::optional<Outcome>& stopped = watched.stopped;
  if (stopped == Outcome::timed_out) {
    return RunResult{.outcome = Outcome::timed_out,
                     .message = "timed out after " + std::to_string(job.timeout.count()) +
                                "s (the tier's timeout); its processes were killed"};
  }
  if (stopped == Outcome::cancelled) {
    return RunResult{.outcome = Outcome::cancelled,
                     .message = watched.group_killed ? "cancelled; killed after it ignored SIGTERM"
                                                     : "cancelled; stopped with SIGTERM"};
  }
  const int status = proc.child().native_exit_code();
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
  auto cancel_requested = [&] { return hooks.cancel_requested && hooks.cancel_requested(); };
  if (job.resources.gpus && *job.resources.gpus > 0) {
    return error_result("the local executor cannot give a job GPUs (tier '" + job.tier +
                        "' asks for " + std::to_string(*job.resources.gpus) +
                        "); run it on a docker runner");
  }
  std::error_code ec;
  const auto workspace = std::filesystem::absolute(paths.workspace, ec).lexically_normal();
  const auto results = std::filesystem::absolute(paths.results, ec).lexically_normal();
  if (!std::filesystem::is_directory(workspace, ec)) {
    return error_result("workspace " + workspace.string() + " is not a directory");
  }

  bp::environment env = job_process_environment(job, workspace, results);
  const auto memory =
      job.resources.memory_bytes ? job.resources.memory_bytes : options_.defaults.memory_bytes;
  if (cancel_requested()) {
    return RunResult{.outcome = Outcome::cancelled, .message = "cancelled before it started"};
  }

  std::optional<JobProcess> proc;
  try {
    proc.emplace(job.command, workspace, std::move(env), memory);
  } catch (const std::exception& e) {
    return error_result(std::string("could not start /bin/sh: ") + e.what());
  }

  const auto deadline = Clock::now() + job.timeout;
  const Watched watched = watch_job(*proc, deadline, options_.term_grace, hooks);
  return job_result(job, watched, *proc);
}

}  // namespace mlgate::runners
