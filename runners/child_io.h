// Plumbing both executors share for the process they start (the docker CLI, or the job's shell):
// how it is started (util::ChildProcess) and reading its output with a timeout.
#pragma once

#include <chrono>
#include <string>

#include "runners/executor.h"
#include "util/child_process.h"

namespace mlgate::runners {

// The options both executors start their child with: stdin from /dev/null; stdout and stderr on
// one close-on-exec pipe (only the child gets it, as fds 1 and 2, not a process another runner
// thread starts at the same moment, which would hold the write end open and keep EOF from ever
// arriving); every signal unblocked and those the runner blocks or ignores back to their default
// (an exec'd program inherits both); PR_SET_PDEATHSIG(SIGKILL) so the child dies with the runner;
// destroying it while it runs kills (SIGKILL) and reaps it.
util::ChildOptions piped_child_options();

enum class ReadState { data, idle, eof };
// Waits up to `timeout` for output on fd and appends what there is (at most 64 KiB) to `buf`.
ReadState read_some(int fd, std::chrono::milliseconds timeout, std::string& buf);

// How long one read_some of a run loop may wait: 100 ms while the child runs (cancel_requested
// must be polled at least every 250 ms), 50 ms while draining its output after it exited; while it
// runs and was not stopped, never past its deadline (and at least 1 ms).
std::chrono::milliseconds read_wait(bool exited, bool stopped,
                                    std::chrono::steady_clock::time_point deadline,
                                    std::chrono::steady_clock::time_point now);

// Whether the job is to be stopped: hooks.cancel_requested, when there is one, says so.
bool cancel_requested(const RunHooks& hooks);

// A RunResult for a job that could not run at all.
RunResult error_result(std::string message);

}  // namespace mlgate::runners
