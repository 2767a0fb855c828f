// Plumbing both executors share for the process they start (the docker CLI, or the job's shell):
// clean signal state in the child, a close-on-exec output pipe, and reading it with a timeout.
#pragma once

#include <boost/process/pipe.hpp>
#include <chrono>
#include <string>

#include "runners/executor.h"

namespace mlgate::runners {

// Call in the child between fork and exec (an on_exec_setup handler): unblocks every signal and
// restores the default disposition of those the runner blocks or ignores (an exec'd program
// inherits both), and sets PR_SET_PDEATHSIG so the child dies with the runner.
void reset_child_signals();

// A pipe whose ends are both close-on-exec: only the child gets it (as fds 1 and 2, which dup2
// makes inheritable), not a process another runner thread starts at the same moment, which would
// hold the write end open and keep EOF from ever arriving.
boost::process::pipe cloexec_pipe();

enum class ReadState { data, idle, eof };
// Waits up to `timeout` for output on fd and appends what there is (at most 64 KiB) to `buf`.
ReadState read_some(int fd, std::chrono::milliseconds timeout, std::string& buf);

// A RunResult for a job that could not run at all.
RunResult error_result(std::string message);

}  // namespace mlgate::runners
