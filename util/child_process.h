// The one way mlgate starts a program: from an argv vector (never a shell command line built from
// data), owned RAII-style. The destructor stops the child (`destroy_signal`, then SIGKILL after
// `destroy_grace`) and reaps it. This is I/O: core must never include it.
//
// Used by the embedded PostgreSQL (store/embedded_postgres.cpp), the runners' executors (the
// docker CLI, the job's shell: runners/docker_executor.cpp, runners/local_executor.cpp) and the
// tests' fixtures.
#pragma once

#include <signal.h>
#include <sys/resource.h>
#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mlgate::util {

struct ChildOptions {
  std::string working_dir;   // empty: inherit
  std::optional<uid_t> uid;  // run as this user (setgid/initgroups/setuid before exec)
  std::optional<gid_t> gid;
  // Added to (or overriding) the inherited environment; with clear_env, the whole environment.
  std::map<std::string, std::string> env;
  bool clear_env = false;
  bool stdin_null = false;  // stdin from /dev/null; else inherited
  // stdout and stderr together on one pipe whose read end output_fd() gives (close-on-exec on both
  // ends in the parent: no other child started at the same moment holds the write end open).
  // Takes the place of stdout_path and stderr_path.
  bool output_pipe = false;
  std::string stdout_path;            // empty: inherit; else appended to this file
  std::string stderr_path;            // empty: inherit; "=stdout" joins stdout
  bool die_with_parent = true;        // PR_SET_PDEATHSIG: the child gets parent_death_signal
  int parent_death_signal = SIGTERM;  // set after the credential change (setuid clears it)
  bool new_process_group = false;     // its own group (pgid = pid): signal_group() reaches all
  // SIGPIPE, SIGINT, SIGTERM, SIGQUIT, SIGHUP and SIGCHLD back to their default disposition (an
  // exec'd program inherits ignored signals). The signal mask is always emptied.
  bool reset_signal_dispositions = false;
  // setrlimit(resource, {value, value}) in the child, in this order.
  std::vector<std::pair<int, rlim_t>> rlimits;
  // What the destructor (and move-assignment over a running child) does.
  int destroy_signal = SIGTERM;
  std::chrono::milliseconds destroy_grace = std::chrono::seconds(5);
};

class ChildProcess {
 public:
  ChildProcess() = default;
  // Throws std::runtime_error when the program cannot be started (the message names it).
  ChildProcess(const std::vector<std::string>& argv, const ChildOptions& options = {});
  ~ChildProcess();
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  bool valid() const { return pid_ > 0; }
  // The read end of the output pipe (options.output_pipe), else -1.
  int output_fd() const { return output_fd_; }
  // True while the child has not exited (reaps it if it has).
  bool running();
  // True once the child has exited, without reaping it: while the zombie is not reaped its pid
  // (which is its group's id with new_process_group) cannot be reused, so signal_group() cannot
  // hit a stranger.
  bool exited_unreaped() const;
  void signal(int sig) const;
  // kill(-pid, sig): the child's whole process group (new_process_group).
  void signal_group(int sig) const;
  // Waits until the child exits or the timeout passes; returns its wait status when it exited.
  std::optional<int> wait_for(std::chrono::milliseconds timeout);
  int wait();
  // SIGTERM (or `sig`), wait up to `grace`, then SIGKILL; returns the wait status.
  int stop(int sig = SIGTERM, std::chrono::milliseconds grace = std::chrono::seconds(10));
  // Forget the child without stopping it.
  pid_t release();
  std::optional<int> exit_status() const { return status_; }

 private:
  void destroy();

  pid_t pid_ = -1;
  std::optional<int> status_;
  int output_fd_ = -1;
  int destroy_signal_ = SIGTERM;
  std::chrono::milliseconds destroy_grace_ = std::chrono::seconds(5);
};

// "exited with 3", "killed by signal 9 (Killed)".
std::string describe_wait_status(int status);

// The exit code for an exit, the signal number for a kill (how the runners report a docker CLI that
// was killed).
int exit_code_of(int status);

// A program name looked up in PATH (as execvp would); a name with a '/' is returned as it is.
// Empty when it cannot be found.
std::string find_program(const std::string& program);
// The argv of process `pid`, read from /proc/<pid>/cmdline; empty when there is no such process or
// it is a zombie (exited, not yet reaped: its pid is taken but it is no longer the program it was).
std::vector<std::string> process_cmdline(pid_t pid);

// Runs a program to completion and returns its wait status; stdout+stderr are captured into
// `output`.
int run_capture(const std::vector<std::string>& argv, std::string& output,
                const ChildOptions& options = {});

}  // namespace mlgate::util
