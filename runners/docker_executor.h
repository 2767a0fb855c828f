// The docker executor: one container per job attempt, `docker create --rm` (while the agent checks
// the workspace out, see prepare) then `docker start -a`, each a util::ChildProcess started from
// an argv vector (never a shell on the runner host), sandboxed by default (no network, no
// capabilities, no new privileges, memory/cpu/pids limits, only the workspace and results
// mounted, never the Docker socket), named and labelled so that a restarted runner can find and
// remove what a previous run of it left behind.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "runners/executor.h"

namespace mlgate::runners {

struct DockerOptions {
  std::string docker = "docker";  // the CLI: a name looked up in PATH, or a path
  std::string runner_key = "r0";  // the runner's key: the container name and mlgate.runner label
  // Used for every limit a tier does not set. gpus here is ignored: a job gets GPUs only when its
  // tier asks for them.
  JobResources defaults{.cpus = 2.0, .memory_bytes = std::int64_t{4} << 30, .pids = 1024};
  // How long the docker CLI may take to exit after `docker kill` before it is killed itself and
  // the container removed with `docker rm -f`.
  std::chrono::milliseconds kill_grace{4000};
  // Start a created container through the Docker API's unix socket (docker_api.h) when the CLI
  // talks to one: no CLI process between the checkout and the container running. false: always
  // `docker start -a`.
  bool use_api = true;
  // `--user` of the job. Empty: the uid:gid of this process, so that what the job writes into
  // the bind mounts belongs to the runner's user.
  std::string user;
};

class DockerExecutor : public Executor {
 public:
  explicit DockerExecutor(DockerOptions options = {});
  std::string name() const override { return "docker"; }
  // prepare, then run_prepared.
  RunResult run(const JobSpec& job, const RunPaths& paths, const RunHooks& hooks) override;
  // On a thread of its own: the image check (first job of an image only), the bind-mount source
  // checks, then `docker create` with the job's whole argv (docker_create_argv). Destroyed without
  // run_prepared, it waits for the create and removes the container (`docker rm -f`).
  std::unique_ptr<PreparedJob> prepare(const JobSpec& job, const RunPaths& paths) override;
  // Waits for the create; reports its failure, or a cancel, without starting anything; else
  // `docker start -a` streams the container's output to its end as `docker run` would.
  RunResult run_prepared(const JobSpec& job, const RunPaths& paths, const RunHooks& hooks,
                         std::unique_ptr<PreparedJob> prepared) override;
  const DockerOptions& options() const { return options_; }

 private:
  class Created;
  // prepare's background part: nullopt when the container was created, else why the job cannot
  // run.
  std::optional<RunResult> create_container(const std::string& exe, const JobSpec& job,
                                            const RunPaths& paths, const std::string& name);
  // run_prepared's start through the API: attach, wait, start, then the output to its end.
  RunResult start_through_api(Created& created, const JobSpec& job, const RunHooks& hooks);

  // Images `docker image inspect` found on this Docker host: later jobs of the same image skip the
  // check (one Docker round trip on the way to the container). An image removed since is caught
  // by `--pull never` and forgotten.
  bool image_known(const std::string& image);
  void set_image_known(const std::string& image, bool known);

  DockerOptions options_;
  std::optional<std::string> api_socket_;  // docker_api_socket, when options_.use_api
  std::mutex images_mu_;
  std::set<std::string> images_present_;
};

// "mlgate-<runner key>-j<job>-a<attempt>" (the key is "r<id>-<16 hex>", see agent.cpp): unique per
// runner, across servers sharing a Docker host, and per attempt, so a retried attempt never
// collides with a container of an earlier one that is still being removed.
std::string container_name(const std::string& runner_key, const JobSpec& job);

// The full argv of the job's `docker run` (argv[0] is options.docker): the runner itself runs
// docker_create_argv and `docker start -a`, with the same flags; the bench runs this bare. Pure: no
// Docker, no I/O except getuid()/getgid() when options.user is empty. Every value is its own
// element, so nothing in the job (ref, command, env) is ever parsed by a shell on the host. Throws
// std::invalid_argument when job.image is not a plausible image reference (one starting with
// '-' would be read by docker as a flag).
std::vector<std::string> docker_run_argv(const JobSpec& job, const RunPaths& paths,
                                         const DockerOptions& options,
                                         const std::string& container_name);

// docker_run_argv with `create` for `run`: the container as `docker run` would create it (`--rm`
// included: it is removed when it exits), for `docker start -a <container_name>`.
std::vector<std::string> docker_create_argv(const JobSpec& job, const RunPaths& paths,
                                            const DockerOptions& options,
                                            const std::string& container_name);

// The body of the Docker API's `POST /containers/create?name=<container_name>` for the same
// container as docker_create_argv: the same image, command, environment, user, working directory,
// labels, network, capabilities, security options, limits, GPUs, bind mounts and `--rm`. Throws
// as docker_run_argv does.
std::string docker_create_body(const JobSpec& job, const RunPaths& paths,
                               const DockerOptions& options, const std::string& container_name);

// Whether `image` has the shape of an image reference: [A-Za-z0-9] first, then
// [A-Za-z0-9._/:@-], at most 255 characters.
bool valid_image_reference(const std::string& image);

// nullopt when `docker version` reaches the daemon; else one line saying why not ("docker CLI
// 'docker' not found in PATH", "Cannot connect to the Docker daemon at ...").
std::optional<std::string> docker_unavailable_reason(const std::string& docker);

// Kills and removes every container, running or not, labelled mlgate.runner=<runner_key>: what a
// previous run of this runner left behind when it died. Returns how many were removed. Never
// throws: a Docker failure is logged and counts as nothing removed.
int remove_orphan_containers(const std::string& docker, const std::string& runner_key);

// Whether the Docker host has `image` locally (runners never pull).
bool docker_image_present(const std::string& docker, const std::string& image);

}  // namespace mlgate::runners
