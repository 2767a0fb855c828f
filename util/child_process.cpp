#include "util/child_process.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <utility>

extern char** environ;

namespace mlgate::util {
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

// NUL-terminated pointers into `strings`, for execvpe (which does not write through them).
std::vector<char*> c_pointers(const std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (const auto& s : strings) pointers.push_back(const_cast<char*>(s.c_str()));
  pointers.push_back(nullptr);
  return pointers;
}

// The child's environment as NAME=value strings, sorted by name: the inherited one (none with
// clear_env) with options.env over it.
std::vector<std::string> environment_strings(const ChildOptions& options) {
  std::map<std::string, std::string> env_map;
  for (char** e = options.clear_env ? nullptr : environ; e && *e; ++e) {
    std::string kv = *e;
    auto eq = kv.find('=');
    if (eq != std::string::npos) env_map[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (const auto& [k, v] : options.env) env_map[k] = v;
  std::vector<std::string> env_strings;
  for (const auto& [k, v] : env_map) env_strings.push_back(k + "=" + v);
  return env_strings;
}

// The descriptors the child gets as its stdin, stdout and stderr (-1: inherited), opened in the
// parent before fork(); pipe_read is the parent's end of the output pipe.
struct ChildFds {
  int out = -1;
  int err = -1;
  int in = -1;
  int pipe_read = -1;
  bool join_stderr = false;  // stderr is a copy of stdout

  // The child's ends, which the parent closes once the child holds them.
  void close_child_ends() const {
    for (int fd : {out, err, in}) {
      if (fd >= 0) ::close(fd);
    }
  }
  void close_all() const {
    close_child_ends();
    if (pipe_read >= 0) ::close(pipe_read);
  }
};

// Opens what options asks for; throws std::runtime_error (having closed what it opened) when
// something cannot be opened.
ChildFds open_child_fds(const ChildOptions& options) {
  ChildFds fds;
  if (options.output_pipe) {
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe: ") + strerror(errno));
    fds.pipe_read = p[0];
    fds.out = p[1];
  } else if (!options.stdout_path.empty()) {
    fds.out = open_output(options.stdout_path);
    if (fds.out < 0)
      throw std::runtime_error("cannot open " + options.stdout_path + ": " + strerror(errno));
  }
  fds.join_stderr = options.output_pipe || options.stderr_path == "=stdout";
  if (!options.output_pipe && !options.stderr_path.empty() && !fds.join_stderr) {
    fds.err = open_output(options.stderr_path);
    if (fds.err < 0) {
      const int err = errno;
      fds.close_all();
      throw std::runtime_error("cannot open " + options.stderr_path + ": " + strerror(err));
    }
  }
  if (options.stdin_null) {
    fds.in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fds.in < 0) {
      const int err = errno;
      fds.close_all();
      throw std::runtime_error(std::string("cannot open /dev/null: ") + strerror(err));
    }
  }
  return fds;
}

// The login name of `uid` (for initgroups in the child), empty when it has none.
std::string login_name(uid_t uid) {
  if (passwd* pw = getpwuid(uid)) return pw->pw_name;
  return "";
}

// Everything the child needs after fork(), prepared before it: the child must not allocate.
struct ExecPlan {
  const ChildOptions& options;
  const ChildFds& fds;
  char* const* argv;
  char* const* envp;
  const std::string& user_name;
  pid_t parent;
  int error_fd;  // the write end of the close-on-exec pipe that reports a failed start
};

// In the child after fork(): signals, process group, limits, descriptors, credentials, parent
// death signal, working directory, then exec. Never returns.
[[noreturn]] void exec_child(const ExecPlan& plan) {
  const ChildOptions& options = plan.options;
  const ChildFds& fds = plan.fds;
  sigset_t all;
  sigemptyset(&all);
  sigprocmask(SIG_SETMASK, &all, nullptr);
  if (options.new_process_group) setpgid(0, 0);
  for (const auto& [resource, value] : options.rlimits) {
    rlimit limit{value, value};
    setrlimit(resource, &limit);
  }
  if (options.reset_signal_dispositions) {
    for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGCHLD}) ::signal(sig, SIG_DFL);
  }
  if (fds.in >= 0 && dup2(fds.in, 0) < 0) child_fail(plan.error_fd, "dup2 stdin");
  if (fds.out >= 0 && dup2(fds.out, 1) < 0) child_fail(plan.error_fd, "dup2 stdout");
  if (fds.join_stderr) {
    if (dup2(1, 2) < 0) child_fail(plan.error_fd, "dup2 stderr");
  } else if (fds.err >= 0 && dup2(fds.err, 2) < 0) {
    child_fail(plan.error_fd, "dup2 stderr");
  }
  // Only stdin, stdout and stderr reach the program: the parent's other descriptors (its sockets,
  // files, the other end of its pipes) close at exec, whether or not they were opened
  // close-on-exec. The start-failure pipe stays open until then.
  if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
    for (int fd = 3, top = static_cast<int>(sysconf(_SC_OPEN_MAX)); fd < top; ++fd)
      fcntl(fd, F_SETFD, FD_CLOEXEC);
  }
  if (options.gid && setgid(*options.gid) != 0) child_fail(plan.error_fd, "setgid");
  if (options.uid) {
    if (!plan.user_name.empty() && options.gid &&
        initgroups(plan.user_name.c_str(), *options.gid) != 0) {
      child_fail(plan.error_fd, "initgroups");
    }
    if (setuid(*options.uid) != 0) child_fail(plan.error_fd, "setuid");
  }
  // After the credential change: PR_SET_PDEATHSIG is cleared by setuid.
  if (options.die_with_parent) {
    prctl(PR_SET_PDEATHSIG, options.parent_death_signal);
    if (getppid() != plan.parent) _exit(1);
  }
  if (!options.working_dir.empty() && chdir(options.working_dir.c_str()) != 0) {
    child_fail(plan.error_fd, "chdir");
  }
  execvpe(plan.argv[0], plan.argv, plan.envp);
  child_fail(plan.error_fd, plan.argv[0]);
}

// What the child wrote into the error pipe before it was closed (by a successful exec, or its
// exit): nullopt when nothing (it started). Closes fd.
std::optional<std::string> read_start_error(int fd) {
  char buf[256];
  ssize_t n;
  do {
    n = read(fd, buf, sizeof buf);
  } while (n < 0 && errno == EINTR);
  ::close(fd);
  if (n > 0) return std::string(buf, static_cast<size_t>(n));
  return std::nullopt;
}

}  // namespace

ChildProcess::ChildProcess(const std::vector<std::string>& argv, const ChildOptions& options) {
  if (argv.empty()) throw std::invalid_argument("ChildProcess: empty argv");
  // Prepare everything that allocates before fork().
  const std::vector<char*> args = c_pointers(argv);
  const std::vector<std::string> env_strings = environment_strings(options);
  const std::vector<char*> envp = c_pointers(env_strings);
  const ChildFds fds = open_child_fds(options);
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) != 0) {
    const int err = errno;
    fds.close_all();
    throw std::runtime_error(std::string("pipe: ") + strerror(err));
  }
  const std::string user_name = options.uid ? login_name(*options.uid) : std::string();
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    int err = errno;
    ::close(pipefd[0]);
    ::close(pipefd[1]);
    fds.close_all();
    throw std::runtime_error(std::string("fork: ") + strerror(err));
  }
  if (pid == 0) {
    ::close(pipefd[0]);
    exec_child({options, fds, args.data(), envp.data(), user_name, parent, pipefd[1]});
  }
  ::close(pipefd[1]);
  fds.close_child_ends();
  // Also from this side, so that a signal_group() right after the start cannot miss: whichever of
  // the two runs first wins, the other fails harmlessly (EACCES after exec).
  if (options.new_process_group) setpgid(pid, pid);
  destroy_signal_ = options.destroy_signal;
  destroy_grace_ = options.destroy_grace;
  const std::optional<std::string> start_error = read_start_error(pipefd[0]);
  pid_ = pid;
  if (start_error) {
    wait();
    pid_ = -1;
    if (fds.pipe_read >= 0) ::close(fds.pipe_read);
    throw std::runtime_error("cannot start " + argv[0] + ": " + *start_error);
  }
  output_fd_ = fds.pipe_read;
}

ChildProcess::~ChildProcess() {
  destroy();
}

void ChildProcess::destroy() {
  if (pid_ > 0 && !status_) stop(destroy_signal_, destroy_grace_);
  if (output_fd_ >= 0) ::close(output_fd_);
  output_fd_ = -1;
}

ChildProcess::ChildProcess(ChildProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)),
      status_(std::exchange(other.status_, std::nullopt)),
      output_fd_(std::exchange(other.output_fd_, -1)),
      destroy_signal_(other.destroy_signal_),
      destroy_grace_(other.destroy_grace_) {}

ChildProcess& ChildProcess::operator=(ChildProcess&& other) noexcept {
  if (this != &other) {
    destroy();
    pid_ = std::exchange(other.pid_, -1);
    status_ = std::exchange(other.status_, std::nullopt);
    output_fd_ = std::exchange(other.output_fd_, -1);
    destroy_signal_ = other.destroy_signal_;
    destroy_grace_ = other.destroy_grace_;
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

bool ChildProcess::exited_unreaped() const {
  if (pid_ <= 0 || status_) return true;
  siginfo_t info{};
  if (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
    return errno == ECHILD;  // already reaped: exited
  }
  return info.si_pid != 0;
}

void ChildProcess::signal(int sig) const {
  if (pid_ > 0 && !status_) ::kill(pid_, sig);
}

void ChildProcess::signal_group(int sig) const {
  if (pid_ > 0 && !status_) ::kill(-pid_, sig);
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

int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return WTERMSIG(status);
  return status;
}

std::vector<std::string> process_cmdline(pid_t pid) {
  if (pid <= 0) return {};
  const std::string proc = "/proc/" + std::to_string(pid);
  std::ifstream stat(proc + "/stat");
  std::string text;
  if (!std::getline(stat, text)) return {};
  // "pid (comm) state ...": comm may hold spaces and parentheses, the state follows the last ')'.
  const size_t close = text.rfind(')');
  if (close == std::string::npos || close + 2 >= text.size() || text[close + 2] == 'Z') return {};
  std::ifstream in(proc + "/cmdline", std::ios::binary);
  std::vector<std::string> argv;
  for (std::string arg; std::getline(in, arg, '\0');) argv.push_back(arg);
  return argv;
}

std::string find_program(const std::string& program) {
  if (program.find('/') != std::string::npos) return program;
  const char* path = std::getenv("PATH");
  if (path == nullptr) return "";
  std::string_view rest = path;
  while (true) {
    const auto colon = rest.find(':');
    const std::filesystem::path candidate =
        std::filesystem::path(std::string(rest.substr(0, colon))) / program;
    std::error_code ec;
    if (std::filesystem::is_regular_file(candidate, ec) && !ec &&
        ::access(candidate.c_str(), X_OK) == 0) {
      return candidate.string();
    }
    if (colon == std::string_view::npos) break;
    rest.remove_prefix(colon + 1);
  }
  return "";
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

}  // namespace mlgate::util
