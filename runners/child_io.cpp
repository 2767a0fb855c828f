#include "runners/child_io.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace mlgate::runners {

void reset_child_signals() {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int sig : {SIGPIPE, SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGCHLD}) ::signal(sig, SIG_DFL);
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
}

boost::process::pipe cloexec_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    throw std::system_error(errno, std::generic_category(), "pipe2");
  }
  return boost::process::pipe(fds[0], fds[1]);
}

ReadState read_some(int fd, std::chrono::milliseconds timeout, std::string& buf) {
  pollfd p{fd, POLLIN, 0};
  int r = ::poll(&p, 1, static_cast<int>(timeout.count()));
  if (r <= 0) return ReadState::idle;  // timeout or EINTR
  char chunk[65536];
  ssize_t n = ::read(fd, chunk, sizeof chunk);
  if (n > 0) {
    buf.append(chunk, static_cast<std::size_t>(n));
    return ReadState::data;
  }
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return ReadState::idle;
  return ReadState::eof;
}

RunResult error_result(std::string message) {
  return RunResult{.outcome = Outcome::error, .exit_code = -1, .message = std::move(message)};
}

}  // namespace mlgate::runners
