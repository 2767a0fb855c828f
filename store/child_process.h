// A child process started from an argv vector (never a shell), owned RAII-style: the destructor
// stops it (SIGTERM, then SIGKILL after a grace period) and reaps it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mlgate::store {

struct ChildOptions {
  std::string working_dir;   // empty: inherit
  std::optional<uid_t> uid;  // run as this user (setgid/initgroups/setuid before exec)
  std::optional<gid_t> gid;
  std::map<std::string, std::string> env;  // added to (or overriding) the inherited environment
  std::string stdout_path;                 // empty: inherit; else appended to this file
  std::string stderr_path;                 // empty: inherit; "=stdout" joins stdout
  bool die_with_parent = true;             // PR_SET_PDEATHSIG: the child gets parent_death_signal
  int parent_death_signal = 15;            // SIGTERM
  bool new_process_group = false;
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
  // True while the child has not exited (reaps it if it has).
  bool running();
  void signal(int sig) const;
  // Waits until the child exits or the timeout passes; returns its wait status when it exited.
  std::optional<int> wait_for(std::chrono::milliseconds timeout);
  int wait();
  // SIGTERM (or `sig`), wait up to `grace`, then SIGKILL; returns the wait status.
  int stop(int sig = 15, std::chrono::milliseconds grace = std::chrono::seconds(10));
  // Forget the child without stopping it.
  pid_t release();
  std::optional<int> exit_status() const { return status_; }

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
};

// "exited with 3", "killed by signal 9 (Killed)".
std::string describe_wait_status(int status);

// Runs a program to completion and returns its wait status; stdout+stderr are captured into
// `output`.
int run_capture(const std::vector<std::string>& argv, std::string& output,
                const ChildOptions& options = {});

}  // namespace mlgate::store
