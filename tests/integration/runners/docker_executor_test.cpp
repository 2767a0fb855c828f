// The docker executor against the real Docker daemon and the mlgate/busybox:test image
// (scripts/test starts dockerd and builds the image; these tests build the image themselves when
// it is missing, and FAIL when Docker does not answer: a runner test that skips is a runner test
// that nobody ran).
#include "runners/docker_executor.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "runners/docker_api.h"
#include "tests/support/mlgate_process.h"
#include "tests/support/temp_dir.h"
#include "util/child_process.h"

namespace mlgate::runners {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using testing::TempDir;

constexpr const char* kImage = "mlgate/busybox:test";

// `docker <args>`; returns the exit code and sets `output` (stdout and stderr).
int docker(const std::vector<std::string>& args, std::string& output) {
  std::vector<std::string> argv = {"docker"};
  argv.insert(argv.end(), args.begin(), args.end());
  int status = util::run_capture(argv, output);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string docker_output(const std::vector<std::string>& args) {
  std::string out;
  docker(args, out);
  return out;
}

// Any container, running or not, of that exact name.
bool container_exists(const std::string& name) {
  std::string out;
  docker({"ps", "--all", "--quiet", "--filter", "name=^/" + name + "$"}, out);
  return out.find_first_not_of(" \n") != std::string::npos;
}

bool container_running(const std::string& name) {
  std::string out;
  return docker({"inspect", "--format", "{{.State.Running}}", name}, out) == 0 &&
         out.rfind("true", 0) == 0;
}

// Docker must answer and the image must be there; checked once per binary. Returns what is wrong.
std::string docker_problem() {
  static const std::string problem = [] {
    if (auto why = docker_unavailable_reason("docker")) {
      return "Docker is not available (" + *why + "); scripts/test starts it with scripts/dockerd";
    }
    if (!docker_image_present("docker", kImage)) {
      std::string out;
      int status = util::run_capture({MLGATE_SOURCE_DIR "/scripts/images", "busybox"}, out);
      if (status != 0 || !docker_image_present("docker", kImage)) {
        return std::string("scripts/images busybox failed: ") + out;
      }
    }
    return std::string();
  }();
  return problem;
}

// Collects what the executor streams; safe to read while a run is in progress.
struct Output {
  std::mutex mu;
  std::string text;
  std::optional<Clock::time_point> first_at;
  std::vector<std::pair<Clock::time_point, std::string>> chunks;

  RunHooks hooks(std::function<bool()> cancel = {}) {
    return RunHooks{.on_output =
                        [this](std::string_view s) {
                          std::lock_guard lock(mu);
                          text.append(s);
                          chunks.emplace_back(Clock::now(), std::string(s));
                        },
                    .cancel_requested = std::move(cancel)};
  }
  std::string get() {
    std::lock_guard lock(mu);
    return text;
  }
};

class DockerExecutorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string problem = docker_problem();
    ASSERT_TRUE(problem.empty()) << problem;
    options_.runner_key = runner_key();
  }

  void TearDown() override {
    // Whatever a failed test left behind.
    remove_orphan_containers("docker", options_.runner_key);
  }

  // Unique per test binary run (pid) so that two test runs at once do not share names.
  static std::string runner_key() { return "r7-test" + std::to_string(getpid()); }

  JobSpec job(const std::string& command) {
    static std::int64_t next = 1;
    JobSpec j;
    j.job_id = next++;
    j.pipeline_id = 5;
    j.attempt = 1;
    j.repo = "acme/model";
    j.sha = "0123456789abcdef0123456789abcdef01234567";
    j.ref = "refs/heads/main";
    j.tier = "functionality";
    j.image = kImage;
    j.command = command;
    j.timeout = 60s;
    return j;
  }

  RunPaths paths() { return RunPaths{.workspace = workspace_.path(), .results = results_.path()}; }

  TempDir workspace_{"mlgate-exec-ws"};
  TempDir results_{"mlgate-exec-res"};
  DockerOptions options_;
};

TEST_F(DockerExecutorTest, IsolationFlagsOnARunningContainer) {
  auto j = job("sleep 30");
  j.resources = {.cpus = 0.5, .memory_bytes = 256 * 1024 * 1024, .pids = 100};
  j.env = {{"SEED", "7"}};
  const std::string name = container_name(options_.runner_key, j);
  DockerExecutor executor(options_);
  Output out;
  std::atomic<bool> cancel{false};
  RunResult result;
  std::thread runner(
      [&] { result = executor.run(j, paths(), out.hooks([&] { return cancel.load(); })); });

  bool running = testing::eventually([&] { return container_running(name); }, 20s);
  std::string inspect = docker_output({"inspect", name});
  cancel = true;
  const auto cancelled_at = Clock::now();
  runner.join();
  ASSERT_TRUE(running) << out.get();

  auto info = nlohmann::json::parse(inspect).at(0);
  const auto& host = info.at("HostConfig");
  const auto& config = info.at("Config");
  EXPECT_EQ(host.at("NetworkMode"), "none");
  EXPECT_EQ(host.at("CapDrop"), nlohmann::json::array({"ALL"}));
  EXPECT_TRUE(host.at("CapAdd").is_null() || host.at("CapAdd").empty());
  EXPECT_EQ(host.at("SecurityOpt"), nlohmann::json::array({"no-new-privileges"}));
  EXPECT_EQ(host.at("Privileged"), false);
  EXPECT_EQ(host.at("Memory"), 256 * 1024 * 1024);
  EXPECT_EQ(host.at("MemorySwap"), 256 * 1024 * 1024);
  EXPECT_EQ(host.at("NanoCpus"), 500000000);
  EXPECT_EQ(host.at("PidsLimit"), 100);
  EXPECT_EQ(host.at("AutoRemove"), true);
  EXPECT_TRUE(host.at("DeviceRequests").is_null() || host.at("DeviceRequests").empty());
  EXPECT_EQ(config.at("Labels").at("mlgate.job"), std::to_string(j.job_id));
  EXPECT_EQ(config.at("Labels").at("mlgate.runner"), options_.runner_key);
  EXPECT_EQ(config.at("User"), std::to_string(getuid()) + ":" + std::to_string(getgid()));
  EXPECT_EQ(config.at("WorkingDir"), "/workspace");
  EXPECT_EQ(config.at("Image"), kImage);

  std::set<std::string> env(config.at("Env").begin(), config.at("Env").end());
  EXPECT_TRUE(env.count("HOME=/tmp"));
  EXPECT_TRUE(env.count("SEED=7"));
  EXPECT_TRUE(env.count("MLGATE_JOB_ID=" + std::to_string(j.job_id)));
  EXPECT_TRUE(env.count("MLGATE_RESULTS=/results"));
  EXPECT_TRUE(env.count("MLGATE_WORKSPACE=/workspace"));

  // Exactly the two bind mounts, nothing else (no Docker socket, no volumes).
  std::set<std::pair<std::string, std::string>> mounts;
  for (const auto& m : info.at("Mounts")) {
    EXPECT_EQ(m.at("Type"), "bind");
    mounts.emplace(m.at("Source"), m.at("Destination"));
  }
  EXPECT_EQ(mounts, (std::set<std::pair<std::string, std::string>>{{workspace_.str(), "/workspace"},
                                                                   {results_.str(), "/results"}}));
  EXPECT_EQ(inspect.find("docker.sock"), std::string::npos);

  EXPECT_EQ(result.outcome, Outcome::cancelled) << result.message;
  EXPECT_LT(Clock::now() - cancelled_at, 5s);
  EXPECT_FALSE(container_exists(name));
}

TEST_F(DockerExecutorTest, ExitCodeAndOutputStreamAsTheyCome) {
  DockerExecutor executor(options_);
  Output out;
  auto result = executor.run(job("echo out; echo err >&2; sleep 1.5; echo late; exit 3"), paths(),
                             out.hooks());
  const auto returned_at = Clock::now();
  EXPECT_EQ(result.outcome, Outcome::exited) << result.message;
  EXPECT_EQ(result.exit_code, 3);
  std::string text = out.get();
  EXPECT_NE(text.find("out\n"), std::string::npos) << text;
  EXPECT_NE(text.find("err\n"), std::string::npos) << text;
  EXPECT_NE(text.find("late\n"), std::string::npos) << text;
  EXPECT_LT(text.find("out\n"), text.find("late\n"));
  // "out" was handed over while the job still ran, not all at the end.
  ASSERT_FALSE(out.chunks.empty());
  EXPECT_GT(returned_at - out.chunks.front().first, 1s);
}

TEST_F(DockerExecutorTest, LargeOutputArrivesComplete) {
  DockerExecutor executor(options_);
  Output out;
  auto result = executor.run(job("yes mlgate | head -c 1000000"), paths(), out.hooks());
  EXPECT_EQ(result.outcome, Outcome::exited) << result.message;
  EXPECT_EQ(result.exit_code, 0);
  std::string text = out.get();
  EXPECT_EQ(text.size(), 1000000u);
  EXPECT_EQ(text.substr(0, 14), "mlgate\nmlgate\n");
}

TEST_F(DockerExecutorTest, ResultsLandOnTheHostOwnedByTheRunnerUser) {
  auto j =
      job("echo \"{\\\"accuracy\\\": 0.93}\" > \"$MLGATE_RESULTS/metrics.json\" && "
          "printf '<testsuite tests=\"1\"/>' > /results/junit.xml && "
          "cat /workspace/input.txt && echo \"$MLGATE_SHA $MLGATE_TIER $HOME\" && pwd");
  testing::write_file(workspace_.path() / "input.txt", "from the workspace\n");
  DockerExecutor executor(options_);
  Output out;
  auto result = executor.run(j, paths(), out.hooks());
  ASSERT_EQ(result.outcome, Outcome::exited) << result.message << out.get();
  EXPECT_EQ(result.exit_code, 0) << out.get();
  EXPECT_EQ(out.get(), "from the workspace\n" + j.sha + " functionality /tmp\n/workspace\n");
  EXPECT_EQ(testing::read_file(results_.path() / "metrics.json"), "{\"accuracy\": 0.93}\n");
  EXPECT_EQ(testing::read_file(results_.path() / "junit.xml"), "<testsuite tests=\"1\"/>");
  for (const char* f : {"metrics.json", "junit.xml"}) {
    struct stat st {};
    ASSERT_EQ(::stat((results_.path() / f).c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, getuid()) << f;
    EXPECT_EQ(st.st_gid, getgid()) << f;
  }
}

TEST_F(DockerExecutorTest, TimeoutKillsTheContainer) {
  auto j = job("echo started; sleep 60");
  j.timeout = 2s;
  const std::string name = container_name(options_.runner_key, j);
  DockerExecutor executor(options_);
  Output out;
  const auto start = Clock::now();
  auto result = executor.run(j, paths(), out.hooks());
  const auto took = Clock::now() - start;
  EXPECT_EQ(result.outcome, Outcome::timed_out) << result.message;
  EXPECT_NE(result.message.find("timed out"), std::string::npos) << result.message;
  EXPECT_GE(took, 2s);
  EXPECT_LT(took, 20s);  // a behaviour bound (the kill works), not a benchmark
  EXPECT_NE(out.get().find("started"), std::string::npos);
  EXPECT_FALSE(container_exists(name));
}

TEST_F(DockerExecutorTest, CancelStopsTheContainerWithinFiveSeconds) {
  auto j = job("sleep 60");
  const std::string name = container_name(options_.runner_key, j);
  DockerExecutor executor(options_);
  Output out;
  std::atomic<bool> cancel{false};
  RunResult result;
  std::thread runner(
      [&] { result = executor.run(j, paths(), out.hooks([&] { return cancel.load(); })); });
  bool running = testing::eventually([&] { return container_running(name); }, 20s);
  cancel = true;
  const auto cancelled_at = Clock::now();
  runner.join();
  const auto took = Clock::now() - cancelled_at;
  ASSERT_TRUE(running) << out.get();
  EXPECT_EQ(result.outcome, Outcome::cancelled) << result.message;
  EXPECT_LT(took, 5s);
  EXPECT_FALSE(container_exists(name));
}

TEST_F(DockerExecutorTest, CancelWhileTheContainerIsStillStartingLeavesNothing) {
  // The cancel lands while `docker run` is creating the container: the first `docker kill` finds
  // nothing, a later one must.
  auto j = job("sleep 60");
  const std::string name = container_name(options_.runner_key, j);
  DockerExecutor executor(options_);
  Output out;
  const auto start = Clock::now();
  int polls = 0;
  auto result = executor.run(j, paths(), out.hooks([&] { return ++polls > 1; }));
  EXPECT_EQ(result.outcome, Outcome::cancelled) << result.message;
  EXPECT_LT(Clock::now() - start, 10s);
  EXPECT_FALSE(container_exists(name));
}

// prepare() creates the container in the background, with the job's argv; destroyed without a
// run, it removes the container, which never started.
TEST_F(DockerExecutorTest, APreparedContainerThatIsNotRunIsRemoved) {
  auto j = job("touch /results/ran");
  const std::string name = container_name(options_.runner_key, j);
  DockerExecutor executor(options_);
  auto prepared = executor.prepare(j, paths());
  ASSERT_NE(prepared, nullptr);
  EXPECT_TRUE(testing::eventually([&] { return container_exists(name); }, 30s));
  EXPECT_EQ(
      docker_output({"inspect", "--format", "{{.State.Status}} {{.HostConfig.AutoRemove}}", name}),
      "created true\n");
  prepared.reset();
  EXPECT_FALSE(container_exists(name));
  EXPECT_FALSE(std::filesystem::exists(results_.path() / "ran"));
}

// A cancel that lands while the workspace is checked out (after prepare, before run_prepared):
// nothing is started, and the created container is removed.
TEST_F(DockerExecutorTest, ACancelBeforeTheStartStartsNothing) {
  auto j = job("echo it ran; touch /results/ran");
  const std::string name = container_name(options_.runner_key, j);
  DockerExecutor executor(options_);
  auto prepared = executor.prepare(j, paths());
  Output out;
  auto result =
      executor.run_prepared(j, paths(), out.hooks([] { return true; }), std::move(prepared));
  EXPECT_EQ(result.outcome, Outcome::cancelled) << result.message;
  EXPECT_EQ(result.message, "cancelled before it started");
  EXPECT_EQ(out.get(), "");
  EXPECT_FALSE(container_exists(name));
  EXPECT_FALSE(std::filesystem::exists(results_.path() / "ran"));
}

// A workspace filled after prepare() (as the agent's checkout does) is what the container sees.
TEST_F(DockerExecutorTest, TheWorkspaceIsReadAtTheStartNotAtTheCreate) {
  auto j = job("cat /workspace/late.txt");
  DockerExecutor executor(options_);
  auto prepared = executor.prepare(j, paths());
  EXPECT_TRUE(testing::eventually(
      [&] { return container_exists(container_name(options_.runner_key, j)); }, 30s));
  testing::write_file(workspace_.path() / "late.txt", "written after the create\n");
  Output out;
  auto result = executor.run_prepared(j, paths(), out.hooks(), std::move(prepared));
  EXPECT_EQ(result.outcome, Outcome::exited) << result.message;
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(out.get(), "written after the create\n");
}

TEST_F(DockerExecutorTest, MissingImageIsAnErrorNamingIt) {
  auto j = job("true");
  j.image = "mlgate/nope:1";
  DockerExecutor executor(options_);
  Output out;
  auto result = executor.run(j, paths(), out.hooks());
  EXPECT_EQ(result.outcome, Outcome::error);
  EXPECT_NE(result.message.find("'mlgate/nope:1'"), std::string::npos) << result.message;
  EXPECT_NE(result.message.find("not present"), std::string::npos) << result.message;
  EXPECT_FALSE(docker_image_present("docker", "mlgate/nope:1"));
  EXPECT_TRUE(docker_image_present("docker", kImage));
}

TEST_F(DockerExecutorTest, MissingDockerCliIsAnError) {
  DockerOptions o = options_;
  o.docker = "/nonexistent/docker";
  EXPECT_FALSE(docker_unavailable_reason("docker").has_value());
  auto why = docker_unavailable_reason(o.docker);
  ASSERT_TRUE(why.has_value());
  EXPECT_NE(why->find("/nonexistent/docker"), std::string::npos) << *why;
  DockerExecutor executor(o);
  Output out;
  auto result = executor.run(job("true"), paths(), out.hooks());
  EXPECT_EQ(result.outcome, Outcome::error);
  EXPECT_NE(result.message.find("/nonexistent/docker"), std::string::npos) << result.message;
}

TEST_F(DockerExecutorTest, DockerRefusingTheRunIsAnError) {
  // Under Docker's 6 MB minimum: `docker create` refuses and says why; nothing is left.
  auto j = job("true");
  j.resources.memory_bytes = 1024 * 1024;
  DockerExecutor executor(options_);
  Output out;
  auto result = executor.run(j, paths(), out.hooks());
  EXPECT_EQ(result.outcome, Outcome::error) << result.message;
  EXPECT_NE(result.message.find("docker create: "), std::string::npos) << result.message;
  EXPECT_FALSE(container_exists(container_name(options_.runner_key, j)));
}

TEST_F(DockerExecutorTest, MissingWorkspaceIsAnErrorAndIsNotCreated) {
  DockerExecutor executor(options_);
  Output out;
  const auto missing = workspace_.path() / "nope";
  auto result =
      executor.run(job("true"), {.workspace = missing, .results = results_.path()}, out.hooks());
  EXPECT_EQ(result.outcome, Outcome::error);
  EXPECT_NE(result.message.find("nope"), std::string::npos) << result.message;
  EXPECT_FALSE(std::filesystem::exists(missing));
}

// A docker CLI that does not exit after `docker kill` (a wedged daemon connection): after the
// grace period the executor kills the CLI itself and removes the container with `docker rm -f`.
// A fake CLI plays the wedged one and records what it was asked.
TEST_F(DockerExecutorTest, CliThatIgnoresTheKillIsKilledAndTheContainerRemoved) {
  TempDir fake("mlgate-fake-docker");
  const auto log = fake.path() / "calls.log";
  const auto cli = fake.path() / "docker";
  const std::string seconds = "2000" + std::to_string(getpid());
  const std::string sleeper = "sleep " + seconds;
  // The fake inherits this process's environment: that is how it learns where to log.
  ::setenv("MLGATE_FAKE_DOCKER_LOG", log.c_str(), 1);
  ::setenv("MLGATE_FAKE_DOCKER_SLEEP", seconds.c_str(), 1);
  testing::write_file(cli, R"(#!/bin/sh
echo "$*" >> "$MLGATE_FAKE_DOCKER_LOG"
case "$1" in
  start) echo started; exec sleep "$MLGATE_FAKE_DOCKER_SLEEP" ;;
  *) exit 0 ;;
esac
)");
  std::filesystem::permissions(cli, std::filesystem::perms::owner_all);
  DockerOptions o = options_;
  o.docker = cli.string();
  o.kill_grace = 700ms;
  DockerExecutor executor(o);
  Output out;
  auto j = job("sleep 60");
  const std::string name = container_name(o.runner_key, j);
  const auto start = Clock::now();
  auto result = executor.run(j, paths(), out.hooks([&] { return out.get() == "started\n"; }));
  const auto took = Clock::now() - start;
  EXPECT_EQ(result.outcome, Outcome::cancelled) << result.message;
  EXPECT_GE(took, 700ms);
  EXPECT_LT(took, 5s);
  std::string calls = testing::read_file(log);
  EXPECT_NE(calls.find("kill " + name + "\n"), std::string::npos) << calls;
  EXPECT_NE(calls.find("rm -f " + name + "\n"), std::string::npos) << calls;
  EXPECT_TRUE(testing::processes_matching(sleeper).empty());
  ::unsetenv("MLGATE_FAKE_DOCKER_LOG");
  ::unsetenv("MLGATE_FAKE_DOCKER_SLEEP");
}

// The image check is one Docker round trip on the way to every container: it is made once per
// image. An image removed after its check is caught by `--pull never`, named as missing, and
// checked again next time. A fake CLI in front of the real one records the calls.
TEST_F(DockerExecutorTest, AnImageIsCheckedOnceAndARemovedOneIsNamedAsMissing) {
  TempDir fake("mlgate-fake-docker");
  const auto log = fake.path() / "calls.log";
  const auto cli = fake.path() / "docker";
  std::string real;
  util::run_capture({"sh", "-c", "command -v docker"}, real);
  while (!real.empty() && (real.back() == '\n' || real.back() == ' ')) real.pop_back();
  ASSERT_FALSE(real.empty());
  testing::write_file(
      cli, "#!/bin/sh\necho \"$*\" >> '" + log.string() + "'\nexec '" + real + "' \"$@\"\n");
  std::filesystem::permissions(cli, std::filesystem::perms::owner_all);
  const std::string image = "mlgate/busybox:checked-" + std::to_string(getpid());
  ASSERT_EQ(docker_output({"tag", kImage, image}), "");
  DockerOptions o = options_;
  o.docker = cli.string();
  DockerExecutor executor(o);
  auto j = job("true");
  j.image = image;
  auto inspections = [&] {
    const std::string calls = testing::read_file(log);
    int n = 0;
    for (auto at = calls.find("image inspect"); at != std::string::npos;
         at = calls.find("image inspect", at + 1)) {
      ++n;
    }
    return n;
  };
  for (int i = 0; i < 2; ++i) {
    Output out;
    j.job_id += i;
    auto result = executor.run(j, paths(), out.hooks());
    EXPECT_EQ(result.outcome, Outcome::exited) << result.message;
    EXPECT_EQ(result.exit_code, 0);
  }
  EXPECT_EQ(inspections(), 1);
  docker_output({"rmi", image});
  for (int i = 0; i < 2; ++i) {
    Output out;
    j.job_id += 1;
    auto result = executor.run(j, paths(), out.hooks());
    EXPECT_EQ(result.outcome, Outcome::error);
    EXPECT_NE(result.message.find("'" + image + "' is not present"), std::string::npos)
        << result.message;
    EXPECT_FALSE(container_exists(container_name(o.runner_key, j)));
  }
  EXPECT_EQ(inspections(), 2);  // the second run after the removal checked again
}

// A docker CLI in front of the real one that records its calls in `log`.
std::filesystem::path recording_cli(const TempDir& dir, const std::filesystem::path& log) {
  std::string real;
  util::run_capture({"sh", "-c", "command -v docker"}, real);
  while (!real.empty() && (real.back() == '\n' || real.back() == ' ')) real.pop_back();
  const auto cli = dir.path() / "docker";
  testing::write_file(
      cli, "#!/bin/sh\necho \"$*\" >> '" + log.string() + "'\nexec '" + real + "' \"$@\"\n");
  std::filesystem::permissions(cli, std::filesystem::perms::owner_all);
  return cli;
}

// Through the API (the default when the CLI talks to a unix socket) no docker CLI process is
// started from the create to the container's end; with use_api off, `docker create` and
// `docker start -a` are.
// Both give the job's output and exit code.
TEST_F(DockerExecutorTest, TheContainerStartsThroughTheApiOrTheCli) {
  for (const bool api : {true, false}) {
    TempDir fake("mlgate-fake-docker");
    const auto log = fake.path() / "calls.log";
    DockerOptions o = options_;
    o.docker = recording_cli(fake, log).string();
    o.use_api = api;
    DockerExecutor executor(o);
    auto j = job("echo out; echo err >&2; exit 3");
    j.job_id += api ? 1000 : 2000;
    Output out;
    auto result = executor.run(j, paths(), out.hooks());
    EXPECT_EQ(result.outcome, Outcome::exited) << result.message;
    EXPECT_EQ(result.exit_code, 3);
    EXPECT_NE(out.get().find("out\n"), std::string::npos) << out.get();
    EXPECT_NE(out.get().find("err\n"), std::string::npos) << out.get();
    const std::string calls = testing::read_file(log);
    EXPECT_EQ(
        calls.find("create --rm --name " + container_name(o.runner_key, j)) != std::string::npos,
        !api)
        << calls;
    EXPECT_EQ(calls.find("start --attach") != std::string::npos, !api) << calls;
    EXPECT_FALSE(container_exists(container_name(o.runner_key, j)));
  }
}

// The API's create makes the container `docker create` with the job's argv makes: every setting
// of its config and host config is the same.
TEST_F(DockerExecutorTest, TheApiCreatesTheContainerTheCliWould) {
  auto j = job("echo hi");
  j.resources = {.cpus = 0.5, .memory_bytes = std::int64_t{64} << 20, .pids = 77};
  j.env = {{"A", "b c"}};
  j.network = "bridge";
  const auto socket = docker_api_socket("docker");
  ASSERT_TRUE(socket.has_value());
  const std::string api = "mlgate-" + options_.runner_key + "-by-api";
  const std::string cli = "mlgate-" + options_.runner_key + "-by-cli";
  EXPECT_EQ(docker_api_create(*socket, api, docker_create_body(j, paths(), options_, api), 30s),
            std::nullopt);
  const auto argv = docker_create_argv(j, paths(), options_, cli);
  std::string out;
  ASSERT_EQ(docker(std::vector<std::string>(argv.begin() + 1, argv.end()), out), 0) << out;
  // The CLI passes the environment and the bind mounts in an order of its own.
  auto sorted = [](const nlohmann::json& list) {
    auto items = list.get<std::vector<std::string>>();
    std::sort(items.begin(), items.end());
    return items;
  };
  auto host_config = [&](const std::string& name) {
    auto host =
        nlohmann::json::parse(docker_output({"inspect", "--format", "{{json .HostConfig}}", name}));
    host["Binds"] = sorted(host["Binds"]);
    return host;
  };
  auto env_of = [&](const std::string& name) {
    return sorted(nlohmann::json::parse(
        docker_output({"inspect", "--format", "{{json .Config.Env}}", name})));
  };
  EXPECT_EQ(host_config(api), host_config(cli));
  EXPECT_EQ(env_of(api), env_of(cli));
  for (const char* format :
       {"{{json .Config.Image}}", "{{json .Config.Cmd}}", "{{json .Config.Entrypoint}}",
        "{{json .Config.User}}", "{{json .Config.WorkingDir}}", "{{json .Config.Labels}}",
        "{{json .Config.Tty}}", "{{json .Config.OpenStdin}}", "{{json .Config.AttachStdout}}",
        "{{json .Config.AttachStderr}}", "{{json .Config.NetworkDisabled}}"}) {
    EXPECT_EQ(docker_output({"inspect", "--format", format, api}),
              docker_output({"inspect", "--format", format, cli}))
        << format;
  }
  EXPECT_NE(docker_output({"inspect", "--format", "{{json .HostConfig}}", api})
                .find("\"NanoCpus\":500000000"),
            std::string::npos);
  docker({"rm", "-f", api, cli}, out);
}

TEST_F(DockerExecutorTest, RemoveOrphanContainersOnlyTouchesItsRunner) {
  // Two runners whose keys share the id part (two servers' runner 4242): only the key counts.
  const std::string mine = "r4242-mine" + std::to_string(getpid());
  const std::string other = "r4242-other" + std::to_string(getpid());
  const std::string pid = std::to_string(getpid());
  std::string out;
  ASSERT_EQ(docker({"run", "--detach", "--name", "mlgate-orphan-mine-" + pid, "--label",
                    "mlgate.runner=" + mine, "--network", "none", kImage, "sleep", "300"},
                   out),
            0)
      << out;
  ASSERT_EQ(docker({"create", "--name", "mlgate-orphan-other-" + pid, "--label",
                    "mlgate.runner=" + other, "--network", "none", kImage, "sleep", "300"},
                   out),
            0)
      << out;

  EXPECT_EQ(remove_orphan_containers("docker", mine), 1);
  EXPECT_FALSE(container_exists("mlgate-orphan-mine-" + pid));
  EXPECT_TRUE(container_exists("mlgate-orphan-other-" + pid));
  EXPECT_EQ(remove_orphan_containers("docker", mine), 0);

  EXPECT_EQ(remove_orphan_containers("docker", other), 1);  // a stopped one counts too
  EXPECT_FALSE(container_exists("mlgate-orphan-other-" + pid));
}

TEST_F(DockerExecutorTest, HostileRefCommandAndEnvDoNotEscape) {
  auto j = job("echo \"$X|$MLGATE_REF\"; echo '$(touch /results/pwned3)'");
  j.ref = "main; touch /results/pwned2";
  j.env = {{"X", "$(touch /results/pwned)`touch /results/pwned1`"}};
  DockerExecutor executor(options_);
  Output out;
  auto result = executor.run(j, paths(), out.hooks());
  ASSERT_EQ(result.outcome, Outcome::exited) << result.message;
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(out.get(),
            "$(touch /results/pwned)`touch /results/pwned1`|main; touch /results/pwned2\n"
            "$(touch /results/pwned3)\n");
  for (const char* f : {"pwned", "pwned1", "pwned2", "pwned3"}) {
    EXPECT_FALSE(std::filesystem::exists(results_.path() / f)) << f;
  }
}

TEST_F(DockerExecutorTest, NoNetworkByDefault) {
  // busybox has no ip(8) here, but /sys/class/net lists the interfaces: only lo.
  DockerExecutor executor(options_);
  Output out;
  auto result = executor.run(job("ls /sys/class/net"), paths(), out.hooks());
  ASSERT_EQ(result.outcome, Outcome::exited) << result.message;
  EXPECT_EQ(out.get(), "lo\n");
}

}  // namespace
}  // namespace mlgate::runners
