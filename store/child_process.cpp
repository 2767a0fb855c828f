#include "store/child_process.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>
#include <utility>

extern char** environ;

namespace mlgate::store {
namespace {

[[noreturn]] void child_fail(int fd, const char* what) {
  int err = errno;
  // Tell the parent why exec failed through the close-on-exec pipe, then exit.
  char buf[256];
  int n = snprintf(buf, sizeof buf, "%s: %s", what, strerror(err));
  if (n > 0) (void)!write(fd, buf, static_cast<size_t>(n));
  _exit(127);
}

int open_output(const std::string& path) {
  return ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
}

// The environment of the child: this process's, with `extra` added or overriding, as "K=V".
std::vector<std::string> child_environment(const std::map<std::string, std::string>& extra) {
  std::map<std::string, std::string> env_map;
  for (char** e = environ; e && *e; ++e) {
    std::string kv = *e;
    auto eq = kv.find('=');
    if (eq != std::string::npos) env_map[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (const auto& [k, v] : extra) env_map[k] = v;
  std::vector<std::string> env_strings;
  for (const auto& [k, v] : env_map) env_strings.push_back(k + "=" + v);
  return env_strings;
}

// The descriptors the child starts with: its stdout and stderr files (-1: inherited) and the
// close-on-exec pipe on which it reports why it could not exec.
struct ChildFds {
  int out;
  int err;
  int status;
};

// In the child, after fork(): its signal mask, process group, output, credentials, parent-death
// signal and directory, then exec. Never returns; a failure is written to fds.status.
[[noreturn]] void exec_child(const ChildOptions& options, ChildFds fds,
                             const std::string& user_name, pid_t parent, std::vector<char*>& args,
                             std::vector<char*>& envp) {
  sigset_t all;
  sigemptyset(&all);
  sigprocmask(SIG_SETMASK, &all, nullptr);
  if (options.new_process_group) setpgid(0, 0);
  if (fds.out >= 0 && dup2(fds.out, 1) < 0) child_fail(fds.status, "dup2 stdout");
  if (options.stderr_path == "=stdout") {
    if (dup2(1, 2) < 0) child_fail(fds.status, "dup2 stderr");
  } else if (fds.err >= 0 && dup2(fds.err, 2) < 0) {
    child_fail(fds.status, "dup2 stderr");
  }
  if (options.gid && setgid(*options.gid) != 0) child_fail(fds.status, "setgid");
  if (options.uid) {
    if (!user_name.empty() && options.gid && initgroups(user_name.c_str(), *options.gid) != 0) {
      child_fail(fds.status, "initgroups");
    }
    if (setuid(*options.uid) != 0) child_fail(fds.status, "setuid");
  }
  // After the credential change: PR_SET_PDEATHSIG is cleared by setuid.
  if (options.die_with_parent) {
    prctl(PR_SET_PDEATHSIG, options.parent_death_signal);
    if (getppid() != parent) _exit(1);
  }
  if (!options.working_dir.empty() && chdir(options.working_dir.c_str()) != 0) {
    child_fail(fds.status, "chdir");
  }
  execvpe(args[0], args.data(), envp.data());
  child_fail(fds.status, args[0]);
}

}  // namespace

ChildProcess::ChildProcess(const std::vector<std::string>& argv, const ChildOptions& options) {
  if (argv.empty()) throw std::invalid_argument("ChildProcess: empty argv");
  // Prepare everything that allocates before fork().
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> env_strings = child_environment(options.env);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);

  int out_fd = -1, err_fd = -1;
  if (!options.stdout_path.empty()) {
    out_fd = open_output(options.stdout_path);
    if (out_fd < 0)
      throw std::runtime_error("cannot open " + options.stdout_path + ": " + strerror(errno));
  }
  if (!options.stderr_path.empty() && options.stderr_path != "=stdout") {
    err_fd = open_output(options.stderr_path);
    if (err_fd < 0) {
      if (out_fd >= 0) ::close(out_fd);
      throw std::runtime_error("cannot open " + options.stderr_path + ": " + strerror(errno));
    }
  }
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) != 0)
    throw std::runtime_error(std::string("pipe: ") + strerror(errno));
  std::string user_name;
  if (options.uid) {
    if (passwd* pw = getpwuid(*options.uid)) user_name = pw->pw_name;
  }
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    int err = errno;
    ::close(pipefd[0]);
    ::close(pipefd[1]);
    if (out_fd >= 0) ::close(out_fd);
    if (err_fd >= 0) ::close(err_fd);
    throw std::runtime_error(std::string("fork: ") + strerror(err));
  }
  if (pid == 0) {
    ::close(pipefd[0]);
    exec_child(options, ChildFds{out_fd, err_fd, pipefd[1]}, user_name, parent, args, envp);
  }
  ::close(pipefd[1]);
  if (out_fd >= 0) ::close(out_fd);
  if (err_fd >= 0) ::close(err_fd);
  char buf[256];
  ssize_t n;
  do {
    n = read(pipefd[0], buf, sizeof buf);
  } while (n < 0 && errno == EINTR);
  ::close(pipefd[0]);
  pid_ = pid;
  if (n > 0) {
    wait();
    pid_ = -1;
    throw std::runtime_error("cannot start " + argv[0] + ": " +
                             std::string(buf, static_cast<size_t>(n)));
  }
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0 && !status_) stop(SIGTERM, std::chrono::seconds(5));
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), status_(std::exchange(other.status_, std::nullopt)) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    if (pid_ > 0 && !status_) stop(SIGTERM, std::chrono::seconds(5));
    pid_ = std::exchange(other.pid_, -1);
    status_ = std::exchange(other.status_, std::nullopt);
  }
  return *this;
}

bool ChildProcess::running() {
  if (pid_ <= 0 || status_) return false;
  int st = 0;
  pid_t r = waitpid(pid_, &st, WNOHANG);
  if (r == pid_) {
    status_ = st;
    return false;
  }
  return true;
}

void ChildProcess::signal(int sig) const {
  if (pid_ > 0 && !status_) ::kill(pid_, sig);
}

std::optional<int> ChildProcess::wait_for(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (running()) {
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return status_;
}

int ChildProcess::wait() {
  if (pid_ <= 0) return status_.value_or(0);
  if (status_) return *status_;
  int st = 0;
  while (waitpid(pid_, &st, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  status_ = st;
  return st;
}

int ChildProcess::stop(int sig, std::chrono::milliseconds grace) {
  if (pid_ <= 0) return status_.value_or(0);
  if (status_) return *status_;
  signal(sig);
  if (auto st = wait_for(grace)) return *st;
  signal(SIGKILL);
  return wait();
}

pid_t ChildProcess::release() {
  pid_t p = pid_;
  pid_ = -1;
  return p;
}

std::string describe_wait_status(int status) {
  if (WIFEXITED(status)) return "exited with " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    return "killed by signal " + std::to_string(WTERMSIG(status)) + " (" +
           strsignal(WTERMSIG(status)) + ")";
  }
  return "ended with status " + std::to_string(status);
}

int run_capture(const std::vector<std::string>& argv, std::string& output,
                const ChildOptions& options) {
  char tmpl[] = "/tmp/mlgate-capture-XXXXXX";
  int fd = mkstemp(tmpl);
  if (fd < 0) throw std::runtime_error(std::string("mkstemp: ") + strerror(errno));
  ::close(fd);
  ChildOptions opts = options;
  opts.stdout_path = tmpl;
  opts.stderr_path = "=stdout";
  int status;
  try {
    ChildProcess child(argv, opts);
    status = child.wait();
  } catch (...) {
    ::unlink(tmpl);
    throw;
  }
  output.clear();
  if (FILE* f = fopen(tmpl, "rb")) {
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) output.append(buf, n);
    fclose(f);
  }
  ::unlink(tmpl);
  return status;
}

}  // namespace mlgate::store
