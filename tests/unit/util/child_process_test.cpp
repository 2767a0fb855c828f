#include "util/child_process.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <string>

namespace mlgate::util {
namespace {

using namespace std::chrono_literals;

// Everything the child writes to its output pipe, until EOF.
std::string read_all(int fd) {
  std::string out;
  char buf[4096];
  while (true) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 5000) <= 0) break;
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

TEST(ChildProcess, RunCaptureGetsOutputAndStatus) {
  std::string out;
  const int st = run_capture({"sh", "-c", "echo out; echo err >&2; exit 3"}, out);
  EXPECT_TRUE(WIFEXITED(st));
  EXPECT_EQ(WEXITSTATUS(st), 3);
  EXPECT_EQ(out, "out\nerr\n");
  EXPECT_EQ(describe_wait_status(st), "exited with 3");
  EXPECT_EQ(exit_code_of(st), 3);
}

TEST(ChildProcess, ArgvIsNotAShell) {
  std::string out;
  run_capture({"echo", "$HOME; echo injected"}, out);
  EXPECT_EQ(out, "$HOME; echo injected\n");
}

TEST(ChildProcess, AMissingProgramThrows) {
  EXPECT_THROW(ChildProcess({"/nonexistent/program"}), std::runtime_error);
}

TEST(ChildProcess, OutputPipeEnvironmentAndWorkingDirectory) {
  ChildOptions o;
  o.output_pipe = true;
  o.stdin_null = true;
  o.clear_env = true;
  o.env = {{"ONLY", "this"}};
  ::setenv("MLGATE_CHILD_TEST_PARENT_ONLY", "1", 1);
  o.working_dir = "/";
  ChildProcess child({"/bin/sh", "-c", "pwd; env | grep -v '^PWD=' | sort; cat; echo err >&2"}, o);
  ASSERT_GE(child.output_fd(), 0);
  const std::string out = read_all(child.output_fd());
  EXPECT_EQ(child.wait(), 0);
  // sh may add SHLVL, _ or PWD of its own; ONLY is the one variable given, nothing is inherited.
  EXPECT_EQ(out.rfind("/\n", 0), 0u) << out;
  EXPECT_NE(out.find("ONLY=this\n"), std::string::npos) << out;
  EXPECT_EQ(out.find("MLGATE_CHILD_TEST_PARENT_ONLY"), std::string::npos) << out;
  EXPECT_NE(out.find("err\n"), std::string::npos) << out;
}

TEST(ChildProcess, KillsItsProcessGroup) {
  ChildOptions o;
  o.output_pipe = true;
  o.new_process_group = true;
  ChildProcess child({"/bin/sh", "-c", "sleep 30 & echo started; wait"}, o);
  char buf[16];
  ASSERT_GT(::read(child.output_fd(), buf, sizeof buf), 0);
  EXPECT_EQ(::getpgid(child.pid()), child.pid());
  EXPECT_FALSE(child.exited_unreaped());
  child.signal_group(SIGKILL);
  const auto st = child.wait_for(5s);
  ASSERT_TRUE(st);
  EXPECT_TRUE(WIFSIGNALED(*st));
  EXPECT_EQ(exit_code_of(*st), SIGKILL);
  // The background sleep got it too: nothing holds the pipe's write end any more.
  EXPECT_EQ(read_all(child.output_fd()), "");
}

TEST(ChildProcess, ExitedUnreapedDoesNotReap) {
  ChildProcess child({"true"});
  for (int i = 0; i < 500 && !child.exited_unreaped(); ++i) ::usleep(10'000);
  EXPECT_TRUE(child.exited_unreaped());
  EXPECT_FALSE(child.exit_status());  // still a zombie: not reaped
  EXPECT_EQ(child.wait(), 0);
}

TEST(ChildProcess, WaitForTimesOutAndTheDestructorStops) {
  pid_t pid;
  {
    ChildOptions o;
    o.destroy_signal = SIGKILL;
    o.destroy_grace = 0ms;
    ChildProcess child({"sleep", "30"}, o);
    pid = child.pid();
    EXPECT_FALSE(child.wait_for(50ms));
    EXPECT_TRUE(child.running());
  }
  EXPECT_NE(::kill(pid, 0), 0);  // reaped: the pid is gone
}

TEST(ChildProcess, StopSendsTheSignal) {
  ChildProcess child({"sleep", "30"});
  const int st = child.stop(SIGTERM, 5s);
  EXPECT_TRUE(WIFSIGNALED(st));
  EXPECT_EQ(WTERMSIG(st), SIGTERM);
  EXPECT_NE(describe_wait_status(st).find("killed by signal 15"), std::string::npos);
}

// A child gets stdin, stdout and stderr only: a descriptor the parent opened without close-on-exec
// (a socket of a server spawning a tool, say) does not leak into it.
TEST(ChildProcess, OnlyTheStandardDescriptorsReachTheProgram) {
  int p[2];
  ASSERT_EQ(::pipe(p), 0);  // deliberately without O_CLOEXEC
  std::string out;
  const std::string probe = "for fd in " + std::to_string(p[0]) + " " + std::to_string(p[1]) +
                            "; do [ -e /proc/$$/fd/$fd ] && echo open $fd; done; echo done";
  const int st = run_capture({"sh", "-c", probe}, out);
  ::close(p[0]);
  ::close(p[1]);
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  EXPECT_EQ(out, "done\n");
}

TEST(ChildProcess, RlimitsApply) {
  ChildOptions o;
  o.rlimits.emplace_back(RLIMIT_CORE, 0);
  std::string out;
  run_capture({"sh", "-c", "ulimit -c"}, out, o);
  EXPECT_EQ(out, "0\n");
}

TEST(ChildProcess, FindProgram) {
  EXPECT_EQ(find_program("/bin/sh"), "/bin/sh");
  EXPECT_FALSE(find_program("sh").empty());
  EXPECT_EQ(find_program("mlgate-no-such-program"), "");
}

}  // namespace
}  // namespace mlgate::util
