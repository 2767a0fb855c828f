#include "runners/child_io.h"

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace mlgate::runners {

util::ChildOptions piped_child_options() {
  util::ChildOptions o;
  o.stdin_null = true;
  o.output_pipe = true;
  o.reset_signal_dispositions = true;
  o.die_with_parent = true;
  o.parent_death_signal = SIGKILL;
  o.destroy_signal = SIGKILL;
  o.destroy_grace = std::chrono::milliseconds(0);
  return o;
}

std::chrono::milliseconds read_wait(bool exited, bool stopped,
                                    std::chrono::steady_clock::time_point deadline,
                                    std::chrono::steady_clock::time_point now) {
  // How often a run loop wakes up when the job is quiet.
  constexpr auto kPollInterval = std::chrono::milliseconds(100);
  auto wait = exited ? std::chrono::milliseconds(50) : kPollInterval;
  if (!stopped) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
    wait = std::clamp(left, std::chrono::milliseconds(1), wait);
  }
  return wait;
}

bool cancel_requested(const RunHooks& hooks) {
  return hooks.cancel_requested && hooks.cancel_requested();
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
