// The local executor with real processes: exit codes, output, environment, the process group on
// timeout and cancel, the memory rlimit, and the refusal of GPUs.
#include "runners/local_executor.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>

#include "tests/support/mlgate_process.h"
#include "tests/support/temp_dir.h"

namespace mlgate::runners {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using testing::TempDir;

struct Output {
  std::mutex mu;
  std::string text;

  RunHooks hooks(std::function<bool()> cancel = {}) {
    return RunHooks{.on_output =
                        [this](std::string_view s) {
                          std::lock_guard lock(mu);
                          text.append(s);
                        },
                    .cancel_requested = std::move(cancel)};
  }
  std::string get() {
    std::lock_guard lock(mu);
    return text;
  }
};

class LocalExecutorTest : public ::testing::Test {
 protected:
  JobSpec job(const std::string& command) {
    static std::int64_t next = 1;
    JobSpec j;
    j.job_id = next++;
    j.pipeline_id = 9;
    j.attempt = 2;
    j.repo = "acme/model";
    j.sha = "feedface";
    j.ref = "refs/heads/dev";
    j.tier = "functionality";
    j.command = command;
    j.timeout = 60s;
    return j;
  }
  RunPaths paths() { return RunPaths{.workspace = workspace_.path(), .results = results_.path()}; }
  // A `sleep` argument no other process on this machine has: its processes can be looked for.
  static std::string unique_sleep(int n) {
    return "sleep " + std::to_string(1000000 + n) + "." + std::to_string(getpid());
  }
  static bool gone(const std::string& needle) {
    return testing::eventually([&] { return testing::processes_matching(needle).empty(); }, 3s);
  }
  static void kill_leftovers(const std::string& needle) {
    for (pid_t p : testing::processes_matching(needle)) ::kill(p, SIGKILL);
  }

  TempDir workspace_{"mlgate-local-ws"};
  TempDir results_{"mlgate-local-res"};
  LocalExecutor executor_;
};

TEST_F(LocalExecutorTest, SaysItIsNotIsolated) {
  EXPECT_EQ(executor_.name(), "local");
  EXPECT_NE(std::string(LocalExecutor::kNotIsolatedWarning).find("WITHOUT isolation"),
            std::string::npos);
}

TEST_F(LocalExecutorTest, ExitCodeAndOutput) {
  Output out;
  auto result = executor_.run(job("echo out; echo err >&2; exit 7"), paths(), out.hooks());
  EXPECT_EQ(result.outcome, Outcome::exited) << result.message;
  EXPECT_EQ(result.exit_code, 7);
  EXPECT_EQ(out.get(), "out\nerr\n");
}

TEST_F(LocalExecutorTest, KilledBySignalIs128PlusSignal) {
  Output out;
  auto result = executor_.run(job("kill -KILL $$"), paths(), out.hooks());
  EXPECT_EQ(result.outcome, Outcome::exited) << result.message;
  EXPECT_EQ(result.exit_code, 128 + SIGKILL);
}

TEST_F(LocalExecutorTest, EnvironmentIsPathPlusTheJobsOnly) {
  ::setenv("MLGATE_TEST_RUNNER_SECRET", "do-not-leak", 1);
  auto j =
      job("echo \"$MLGATE_JOB_ID|$MLGATE_ATTEMPT|$MLGATE_SHA|$MLGATE_REF|$MLGATE_TIER|$MLGATE_REPO|"
          "$MLGATE_PIPELINE_ID|$SEED|${MLGATE_TEST_RUNNER_SECRET:-unset}\"; pwd; "
          "echo \"$MLGATE_WORKSPACE\"; echo \"$MLGATE_RESULTS\"; test -n \"$PATH\" && echo path; "
          "echo '{\"accuracy\": 1}' > \"$MLGATE_RESULTS/metrics.json\"");
  j.env = {{"SEED", "3"}, {"MLGATE_RESULTS", "/etc"}};
  Output out;
  auto result = executor_.run(j, paths(), out.hooks());
  ::unsetenv("MLGATE_TEST_RUNNER_SECRET");
  ASSERT_EQ(result.outcome, Outcome::exited) << result.message;
  EXPECT_EQ(result.exit_code, 0) << out.get();
  const std::string ws = std::filesystem::canonical(workspace_.path()).string();
  EXPECT_EQ(out.get(), std::to_string(j.job_id) +
                           "|2|feedface|refs/heads/dev|functionality|acme/model|9|3|unset\n" + ws +
                           "\n" + workspace_.str() + "\n" + results_.str() + "\npath\n");
  EXPECT_EQ(testing::read_file(results_.path() / "metrics.json"), "{\"accuracy\": 1}\n");
}

TEST_F(LocalExecutorTest, HostileEnvValueIsNotExecuted) {
  auto j = job("echo \"$X\"");
  const std::string marker = (results_.path() / "pwned").string();
  j.env = {{"X", "$(touch " + marker + ")"}};
  j.ref = "main; touch " + marker;
  Output out;
  auto result = executor_.run(j, paths(), out.hooks());
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(out.get(), "$(touch " + marker + ")\n");
  EXPECT_FALSE(std::filesystem::exists(marker));
}

TEST_F(LocalExecutorTest, LargeOutputArrivesComplete) {
  Output out;
  // `yes` ends by SIGPIPE when head is done: the job must get default signal dispositions.
  auto result = executor_.run(job("yes mlgate | head -c 3000000"), paths(), out.hooks());
  EXPECT_EQ(result.exit_code, 0) << result.message;
  EXPECT_EQ(out.get().size(), 3000000u);
}

TEST_F(LocalExecutorTest, TimeoutKillsTheWholeProcessGroup) {
  const std::string child = unique_sleep(1);
  const std::string main = unique_sleep(2);
  auto j = job("(" + child + "; echo never) & " + main + "; echo never");
  j.timeout = 1s;
  Output out;
  const auto start = Clock::now();
  auto result = executor_.run(j, paths(), out.hooks());
  const auto took = Clock::now() - start;
  EXPECT_EQ(result.outcome, Outcome::timed_out) << result.message;
  EXPECT_GE(took, 1s);
  EXPECT_LT(took, 20s);
  EXPECT_TRUE(gone(child));
  EXPECT_TRUE(gone(main));
  EXPECT_EQ(out.get().find("never"), std::string::npos);
  kill_leftovers(child);
  kill_leftovers(main);
}

TEST_F(LocalExecutorTest, BackgroundProcessesEndWithTheJob) {
  const std::string bg = unique_sleep(3);
  Output out;
  const auto start = Clock::now();
  auto result = executor_.run(job(bg + " & echo done"), paths(), out.hooks());
  EXPECT_EQ(result.outcome, Outcome::exited) << result.message;
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(out.get(), "done\n");
  EXPECT_LT(Clock::now() - start, 5s);
  EXPECT_TRUE(gone(bg));
  kill_leftovers(bg);
}

TEST_F(LocalExecutorTest, CancelStopsTheJobWithSigterm) {
  const std::string s = unique_sleep(4);
  std::atomic<bool> cancel{false};
  Output out;
  RunResult result;
  std::thread runner([&] {
    result =
        executor_.run(job("echo started; " + s), paths(), out.hooks([&] { return cancel.load(); }));
  });
  ASSERT_TRUE(testing::eventually([&] { return out.get() == "started\n"; }, 5s));
  cancel = true;
  const auto cancelled_at = Clock::now();
  runner.join();
  EXPECT_EQ(result.outcome, Outcome::cancelled) << result.message;
  EXPECT_LT(Clock::now() - cancelled_at, 5s);
  EXPECT_TRUE(gone(s));
  kill_leftovers(s);
}

TEST_F(LocalExecutorTest, CancelKillsAJobThatIgnoresSigterm) {
  const std::string s = unique_sleep(5);
  std::atomic<bool> cancel{false};
  Output out;
  RunResult result;
  std::thread runner([&] {
    result = executor_.run(job("trap '' TERM; echo started; " + s + "; echo survived"), paths(),
                           out.hooks([&] { return cancel.load(); }));
  });
  ASSERT_TRUE(testing::eventually([&] { return out.get() == "started\n"; }, 5s));
  cancel = true;
  const auto cancelled_at = Clock::now();
  runner.join();
  const auto took = Clock::now() - cancelled_at;
  EXPECT_EQ(result.outcome, Outcome::cancelled) << result.message;
  EXPECT_NE(result.message.find("SIGTERM"), std::string::npos) << result.message;
  EXPECT_GE(took, 1500ms);  // the 2 s grace, give or take a poll
  EXPECT_LT(took, 5s);
  EXPECT_TRUE(gone(s));
  EXPECT_EQ(out.get().find("survived"), std::string::npos);
  kill_leftovers(s);
}

TEST_F(LocalExecutorTest, MemoryLimitMakesABigAllocationFail) {
  // dd allocates its 200 MB block at once: over a 64 MiB RLIMIT_AS that fails.
  const std::string command = "dd if=/dev/zero of=/dev/null bs=200M count=1";
  auto j = job(command);
  j.resources.memory_bytes = 64 * 1024 * 1024;
  Output out;
  auto limited = executor_.run(j, paths(), out.hooks());
  EXPECT_EQ(limited.outcome, Outcome::exited) << limited.message;
  EXPECT_NE(limited.exit_code, 0) << out.get();
  EXPECT_NE(out.get().find("memory"), std::string::npos) << out.get();

  // The same job under the default limit (4 GiB) works: it was the limit.
  Output out2;
  auto unlimited = executor_.run(job(command), paths(), out2.hooks());
  EXPECT_EQ(unlimited.exit_code, 0) << out2.get();
}

TEST_F(LocalExecutorTest, GpusAreRefused) {
  auto j = job("echo should-not-run");
  j.resources.gpus = 1;
  Output out;
  auto result = executor_.run(j, paths(), out.hooks());
  EXPECT_EQ(result.outcome, Outcome::error);
  EXPECT_NE(result.message.find("GPU"), std::string::npos) << result.message;
  EXPECT_EQ(out.get(), "");
}

TEST_F(LocalExecutorTest, MissingWorkspaceIsAnError) {
  Output out;
  auto result = executor_.run(job("true"),
                              {.workspace = workspace_.path() / "nope", .results = results_.path()},
                              out.hooks());
  EXPECT_EQ(result.outcome, Outcome::error);
  EXPECT_NE(result.message.find("nope"), std::string::npos) << result.message;
}

}  // namespace
}  // namespace mlgate::runners
