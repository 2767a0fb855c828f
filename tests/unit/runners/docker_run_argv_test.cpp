// docker_run_argv: every sandbox flag is there, values come from the tier or the runner's
// defaults, and nothing from the job (ref, command, env, image) can become more than one argv
// element or a flag of its own.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "runners/docker_executor.h"

namespace mlgate::runners {
namespace {

using Argv = std::vector<std::string>;

JobSpec sample_job() {
  JobSpec job;
  job.job_id = 42;
  job.pipeline_id = 7;
  job.attempt = 2;
  job.repo = "acme/model";
  job.sha = "0123456789abcdef0123456789abcdef01234567";
  job.ref = "refs/heads/main";
  job.tier = "functionality";
  job.image = "mlgate/busybox:test";
  job.command = "pytest -q";
  return job;
}

RunPaths sample_paths() {
  return {.workspace = "/srv/runner/ws", .results = "/srv/runner/res"};
}

DockerOptions sample_options() {
  DockerOptions o;
  o.runner_key = "r9-0123456789abcdef";
  return o;
}

Argv argv_for(const JobSpec& job, const DockerOptions& o = sample_options()) {
  return docker_run_argv(job, sample_paths(), o, container_name(o.runner_key, job));
}

// The value after the first occurrence of `flag`, if any.
std::optional<std::string> value_of(const Argv& argv, const std::string& flag) {
  auto it = std::find(argv.begin(), argv.end(), flag);
  if (it == argv.end() || it + 1 == argv.end()) return std::nullopt;
  return *(it + 1);
}

// Every value given to `flag`, in order.
Argv values_of(const Argv& argv, const std::string& flag) {
  Argv out;
  for (std::size_t i = 0; i + 1 < argv.size(); ++i) {
    if (argv[i] == flag) out.push_back(argv[i + 1]);
  }
  return out;
}

bool has(const Argv& argv, const std::string& element) {
  return std::find(argv.begin(), argv.end(), element) != argv.end();
}

TEST(ContainerName, NamesRunnerJobAndAttempt) {
  EXPECT_EQ(container_name("r9-0123456789abcdef", sample_job()),
            "mlgate-r9-0123456789abcdef-j42-a2");
}

TEST(DockerRunArgv, StartsWithTheCliAndRunRm) {
  auto argv = argv_for(sample_job());
  ASSERT_GE(argv.size(), 3u);
  EXPECT_EQ(argv[0], "docker");
  EXPECT_EQ(argv[1], "run");
  EXPECT_EQ(argv[2], "--rm");
  DockerOptions o = sample_options();
  o.docker = "/usr/bin/docker";
  EXPECT_EQ(argv_for(sample_job(), o)[0], "/usr/bin/docker");
}

TEST(DockerRunArgv, NameAndLabels) {
  auto argv = argv_for(sample_job());
  EXPECT_EQ(value_of(argv, "--name"), "mlgate-r9-0123456789abcdef-j42-a2");
  EXPECT_EQ(values_of(argv, "--label"),
            (Argv{"mlgate.job=42", "mlgate.runner=r9-0123456789abcdef"}));
}

TEST(DockerRunArgv, SandboxFlags) {
  auto argv = argv_for(sample_job());
  EXPECT_EQ(value_of(argv, "--network"), "none");
  EXPECT_EQ(value_of(argv, "--cap-drop"), "ALL");
  EXPECT_EQ(value_of(argv, "--security-opt"), "no-new-privileges");
  EXPECT_EQ(value_of(argv, "--pull"), "never");
  EXPECT_FALSE(has(argv, "--privileged"));
  EXPECT_FALSE(has(argv, "--gpus"));
  for (const auto& e : argv) EXPECT_EQ(e.find("docker.sock"), std::string::npos) << e;
}

TEST(DockerRunArgv, DefaultLimitsWhenTheTierSetsNone) {
  auto argv = argv_for(sample_job());
  EXPECT_EQ(value_of(argv, "--memory"), "4294967296");
  EXPECT_EQ(value_of(argv, "--memory-swap"), "4294967296");  // hard limit: no extra swap
  EXPECT_EQ(value_of(argv, "--cpus"), "2");
  EXPECT_EQ(value_of(argv, "--pids-limit"), "1024");
}

TEST(DockerRunArgv, TierLimitsWin) {
  auto job = sample_job();
  job.resources.cpus = 0.5;
  job.resources.memory_bytes = 512 * 1024 * 1024;
  job.resources.pids = 64;
  auto argv = argv_for(job);
  EXPECT_EQ(value_of(argv, "--memory"), "536870912");
  EXPECT_EQ(value_of(argv, "--memory-swap"), "536870912");
  EXPECT_EQ(value_of(argv, "--cpus"), "0.5");
  EXPECT_EQ(value_of(argv, "--pids-limit"), "64");
}

TEST(DockerRunArgv, RunnerDefaultsAreConfigurable) {
  DockerOptions o = sample_options();
  o.defaults = JobResources{.cpus = 1.25, .memory_bytes = 1000000, .pids = 10};
  auto argv = argv_for(sample_job(), o);
  EXPECT_EQ(value_of(argv, "--cpus"), "1.25");
  EXPECT_EQ(value_of(argv, "--memory"), "1000000");
  EXPECT_EQ(value_of(argv, "--pids-limit"), "10");
}

TEST(DockerRunArgv, GpusOnlyWhenTheTierAsks) {
  DockerOptions o = sample_options();
  o.defaults.gpus = 4;  // a runner default never hands out GPUs
  EXPECT_FALSE(has(argv_for(sample_job(), o), "--gpus"));
  auto job = sample_job();
  job.resources.gpus = 0;
  EXPECT_FALSE(has(argv_for(job), "--gpus"));
  job.resources.gpus = 2;
  EXPECT_EQ(value_of(argv_for(job), "--gpus"), "2");
}

TEST(DockerRunArgv, NetworkBridgeIsOptIn) {
  auto job = sample_job();
  job.network = "bridge";
  EXPECT_EQ(value_of(argv_for(job), "--network"), "bridge");
  for (const char* other : {"host", "container:abc", "", "BRIDGE", "none"}) {
    job.network = other;
    EXPECT_EQ(value_of(argv_for(job), "--network"), "none") << other;
  }
}

TEST(DockerRunArgv, RunsAsTheRunnersUser) {
  auto argv = argv_for(sample_job());
  EXPECT_EQ(value_of(argv, "--user"), std::to_string(getuid()) + ":" + std::to_string(getgid()));
  DockerOptions o = sample_options();
  o.user = "1000:1000";
  EXPECT_EQ(value_of(argv_for(sample_job(), o), "--user"), "1000:1000");
}

TEST(DockerRunArgv, MountsExactlyWorkspaceAndResults) {
  auto argv = argv_for(sample_job());
  EXPECT_EQ(values_of(argv, "-v"), (Argv{"/srv/runner/ws:/workspace", "/srv/runner/res:/results"}));
  EXPECT_FALSE(has(argv, "--mount"));
  EXPECT_FALSE(has(argv, "--volume"));
  EXPECT_FALSE(has(argv, "--volumes-from"));
  EXPECT_EQ(value_of(argv, "-w"), "/workspace");
}

TEST(DockerRunArgv, RelativeMountPathsAreMadeAbsolute) {
  auto job = sample_job();
  auto o = sample_options();
  auto argv = docker_run_argv(job, {.workspace = "ws", .results = "res/"}, o, "n");
  auto mounts = values_of(argv, "-v");
  ASSERT_EQ(mounts.size(), 2u);
  EXPECT_EQ(mounts[0].front(), '/');
  EXPECT_TRUE(mounts[0].ends_with("/ws:/workspace")) << mounts[0];
  EXPECT_TRUE(mounts[1].ends_with("/res:/results")) << mounts[1];
}

TEST(DockerRunArgv, MountPathWithColonIsRefused) {
  auto o = sample_options();
  EXPECT_THROW(docker_run_argv(sample_job(), {.workspace = "/a:/b", .results = "/r"}, o, "n"),
               std::invalid_argument);
}

TEST(DockerRunArgv, EndsWithImageAndShDashC) {
  auto argv = argv_for(sample_job());
  ASSERT_GE(argv.size(), 4u);
  EXPECT_EQ((Argv(argv.end() - 4, argv.end())),
            (Argv{"mlgate/busybox:test", "sh", "-c", "pytest -q"}));
}

TEST(DockerRunArgv, EnvironmentIsOneArgumentPerVariable) {
  auto job = sample_job();
  job.env = {{"SEED", "1"}, {"DATA", "/workspace/data"}};
  auto env = values_of(argv_for(job), "-e");
  Argv expected = {"DATA=/workspace/data",
                   "HOME=/tmp",
                   "MLGATE_ATTEMPT=2",
                   "MLGATE_JOB_ID=42",
                   "MLGATE_PIPELINE_ID=7",
                   "MLGATE_REF=refs/heads/main",
                   "MLGATE_REPEAT=0",
                   "MLGATE_REPO=acme/model",
                   "MLGATE_RESULTS=/results",
                   "MLGATE_SHA=0123456789abcdef0123456789abcdef01234567",
                   "MLGATE_TIER=functionality",
                   "MLGATE_WORKSPACE=/workspace",
                   "SEED=1"};
  EXPECT_EQ(env, expected);
}

TEST(DockerRunArgv, TierEnvCannotOverrideMlgateVariables) {
  auto job = sample_job();
  job.env = {{"MLGATE_RESULTS", "/etc"}, {"MLGATE_SHA", "evil"}, {"HOME", "/home/ml"}};
  auto env = values_of(argv_for(job), "-e");
  EXPECT_TRUE(has(env, "MLGATE_RESULTS=/results"));
  EXPECT_TRUE(has(env, "MLGATE_SHA=0123456789abcdef0123456789abcdef01234567"));
  EXPECT_FALSE(has(env, "MLGATE_RESULTS=/etc"));
  EXPECT_FALSE(has(env, "MLGATE_SHA=evil"));
  // HOME is not mlgate's: the tier may set it.
  EXPECT_TRUE(has(env, "HOME=/home/ml"));
  EXPECT_FALSE(has(env, "HOME=/tmp"));
}

TEST(DockerRunArgv, EnvNamesThatWouldSplitAreDropped) {
  auto job = sample_job();
  job.env = {{"", "x"}, {"A=B", "c"}, {"OK", "fine"}};
  auto env = values_of(argv_for(job), "-e");
  EXPECT_TRUE(has(env, "OK=fine"));
  for (const auto& e : env) {
    EXPECT_NE(e.front(), '=') << e;
    EXPECT_NE(e.rfind("A=B", 0), 0u) << e;
  }
  // A bare "-e NAME" would copy the runner's own variable into the container: never produced.
  for (const auto& e : env) EXPECT_NE(e.find('='), std::string::npos) << e;
}

TEST(DockerRunArgv, HostileRefCommandAndEnvStayOneElementEach) {
  auto job = sample_job();
  job.ref = "main; rm -rf /";
  job.command = "echo $(id) `id` && rm -rf / ; --privileged";
  job.env = {{"X", "$(touch /results/pwned)"}, {"Y", "a b\nc --privileged"}};
  auto argv = argv_for(job);
  EXPECT_TRUE(has(argv, "MLGATE_REF=main; rm -rf /"));
  EXPECT_EQ(argv.back(), job.command);
  EXPECT_TRUE(has(argv, "X=$(touch /results/pwned)"));
  EXPECT_TRUE(has(argv, "Y=a b\nc --privileged"));
  EXPECT_FALSE(has(argv, "--privileged"));
  EXPECT_FALSE(has(argv, "rm"));
  // Nothing but the flags this function writes: the image, "sh" and "-c" come last.
  EXPECT_EQ(argv[argv.size() - 4], "mlgate/busybox:test");
}

TEST(DockerRunArgv, ImageThatLooksLikeAFlagIsRefused) {
  for (const char* image :
       {"--privileged", "-v=/:/host", "", " busybox", "busy box", "img;id", "img$(id)", "a\nb"}) {
    auto job = sample_job();
    job.image = image;
    EXPECT_FALSE(valid_image_reference(image)) << image;
    EXPECT_THROW(argv_for(job), std::invalid_argument) << image;
  }
  for (const char* image : {"busybox", "mlgate/python-ml:bookworm", "registry:5000/a/b:1.2",
                            "a/b@sha256:0123abcd", "UPPER/x_y-z.1"}) {
    EXPECT_TRUE(valid_image_reference(image)) << image;
  }
}

// The runner creates the container ahead (`docker create`) and starts it later: the same flags
// as `docker run`, `--rm` included, and the same refusal of a bad image.
TEST(DockerCreateArgv, IsTheRunArgvWithCreateForRun) {
  const auto o = sample_options();
  const auto name = container_name(o.runner_key, sample_job());
  Argv run = docker_run_argv(sample_job(), sample_paths(), o, name);
  Argv create = docker_create_argv(sample_job(), sample_paths(), o, name);
  ASSERT_EQ(create.size(), run.size());
  EXPECT_EQ(run[1], "run");
  EXPECT_EQ(create[1], "create");
  EXPECT_EQ(create[2], "--rm");
  create[1] = "run";
  EXPECT_EQ(create, run);
  JobSpec bad = sample_job();
  bad.image = "--privileged";
  EXPECT_THROW(docker_create_argv(bad, sample_paths(), o, name), std::invalid_argument);
}

}  // namespace
}  // namespace mlgate::runners
