#include "util/child_process.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
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

}  // namespace

ChildProcess::ChildProcess(const std::vector<std::string>& argv, const ChildOptions& options) {
  if (argv.empty()) throw std::invalid_argument("ChildProcess: empty argv");
  // Prepare everything that allocates before fork().
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::map<std::string, std::string> env_map;
  for (char** e = options.clear_env ? nullptr : environ; e && *e; ++e) {
    std::string kv = *e;
    auto eq = kv.find('=');
    if (eq != std::string::npos) env_map[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (const auto& [k, v] : options.env) env_map[k] = v;
  std::vector<std::string> env_strings;
  for (const auto& [k, v] : env_map) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);

  int out_fd = -1, err_fd = -1, in_fd = -1, pipe_read = -1;
  auto close_fds = [&] {
    for (int fd : {out_fd, err_fd, in_fd, pipe_read}) {
      if (fd >= 0) ::close(fd);
    }
  };
  if (options.output_pipe) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
      throw std::runtime_error(std::string("pipe: ") + strerror(errno));
    pipe_read = fds[0];
    out_fd = fds[1];
  } else if (!options.stdout_path.empty()) {
    out_fd = open_output(options.stdout_path);
    if (out_fd < 0)
      throw std::runtime_error("cannot open " + options.stdout_path + ": " + strerror(errno));
  }
  const bool join_stderr = options.output_pipe || options.stderr_path == "=stdout";
  if (!options.output_pipe && !options.stderr_path.empty() && !join_stderr) {
    err_fd = open_output(options.stderr_path);
    if (err_fd < 0) {
      const int err = errno;
      close_fds();
      throw std::runtime_error("cannot open " + options.stderr_path + ": " + strerror(err));
    }
  }
  if (options.stdin_null) {
    in_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (in_fd < 0) {
      const int err = errno;
      close_fds();
      throw std::runtime_error(std::string("cannot open /dev/null: ") + strerror(err));
    }
  }
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) != 0) {
    const int err = errno;
    close_fds();
    throw std::runtime_error(std::string("pipe: ") + strerror(err));
  }
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
    close_fds();
    throw std::runtime_error(std::string("fork: ") + strerror(err));
  }
  if (pid == 0) {
    ::close(pipefd[0]);
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
    if (in_fd >= 0 && dup2(in_fd, 0) < 0) child_fail(pipefd[1], "dup2 stdin");
    if (out_fd >= 0 && dup2(out_fd, 1) < 0) child_fail(pipefd[1], "dup2 stdout");
    if (join_stderr) {
      if (dup2(1, 2) < 0) child_fail(pipefd[1], "dup2 stderr");
    } else if (err_fd >= 0 && dup2(err_fd, 2) < 0) {
      child_fail(pipefd[1], "dup2 stderr");
    }
    if (options.gid && setgid(*options.gid) != 0) child_fail(pipefd[1], "setgid");
    if (options.uid) {
      if (!user_name.empty() && options.gid && initgroups(user_name.c_str(), *options.gid) != 0) {
        child_fail(pipefd[1], "initgroups");
      }
      if (setuid(*options.uid) != 0) child_fail(pipefd[1], "setuid");
    }
    // After the credential change: PR_SET_PDEATHSIG is cleared by setuid.
    if (options.die_with_parent) {
      prctl(PR_SET_PDEATHSIG, options.parent_death_signal);
      if (getppid() != parent) _exit(1);
    }
    if (!options.working_dir.empty() && chdir(options.working_dir.c_str()) != 0) {
      child_fail(pipefd[1], "chdir");
    }
    execvpe(args[0], args.data(), envp.data());
    child_fail(pipefd[1], args[0]);
  }
  ::close(pipefd[1]);
  for (int fd : {out_fd, err_fd, in_fd}) {
    if (fd >= 0) ::close(fd);
  }
  // Also from this side, so that a signal_group() right after the start cannot miss: whichever of
  // the two runs first wins, the other fails harmlessly (EACCES after exec).
  if (options.new_process_group) setpgid(pid, pid);
  destroy_signal_ = options.destroy_signal;
  destroy_grace_ = options.destroy_grace;
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
    if (pipe_read >= 0) ::close(pipe_read);
    throw std::runtime_error("cannot start " + argv[0] + ": " +
                             std::string(buf, static_cast<size_t>(n)));
  }
  output_fd_ = pipe_read;
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
