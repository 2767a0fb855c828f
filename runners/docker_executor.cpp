#include "runners/docker_executor.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <future>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <utility>

#include "runners/child_io.h"
#include "runners/docker_api.h"

namespace mlgate::runners {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

// After the docker CLI exited, how long to wait for the last of its output (the pipe's write end
// is close-on-exec, so EOF normally follows the exit at once).
constexpr auto kDrainAfterExit = 500ms;
// `docker kill` is repeated this often until the CLI exits: a kill sent while `docker run` was
// still creating the container finds nothing to kill.
constexpr auto kKillRetry = 1s;
// Upper bound for one short docker command (kill, rm, ps, inspect, version).
constexpr auto kShortCommandTimeout = 30s;
constexpr auto kKillCommandTimeout = 3s;
// The end of the output kept to find the docker CLI's own error line ("docker: ...").
constexpr std::size_t kTailBytes = 4096;

// A child with its stdout and stderr on one pipe, of which the parent holds the read end
// (piped_child_options: signals reset in the child, as the runner may block or ignore some in its
// threads; PR_SET_PDEATHSIG: a docker CLI does not outlive the runner, its container is an orphan
// that the next start of the runner removes). Destroying it while the child runs kills (SIGKILL)
// and reaps the child.
class PipedChild {
 public:
  // Throws std::runtime_error when the child cannot start.
  PipedChild(const std::string& exe, const std::vector<std::string>& args)
      : child_(argv_of(exe, args), piped_child_options()) {}
  PipedChild(const PipedChild&) = delete;
  PipedChild& operator=(const PipedChild&) = delete;

  util::ChildProcess& child() { return child_; }
  int fd() const { return child_.output_fd(); }

 private:
  static std::vector<std::string> argv_of(const std::string& exe,
                                          const std::vector<std::string>& args) {
    std::vector<std::string> argv{exe};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }

  util::ChildProcess child_;
};

// The docker CLI as a path: a name is looked up in PATH (once per call; cheap next to a docker
// round trip). Empty when it cannot be found.
std::string resolve_program(const std::string& program) {
  return util::find_program(program);
}

struct Captured {
  bool started = false;
  int exit_code = -1;  // -1 when it did not start or was killed at the timeout
  std::string output;  // stdout and stderr together
};

// Runs a short docker command to its end, or kills it after `timeout`.
Captured run_docker(const std::string& docker, const std::vector<std::string>& args,
                    std::chrono::milliseconds timeout = kShortCommandTimeout) {
  Captured c;
  const std::string exe = resolve_program(docker);
  if (exe.empty()) {
    c.output = "docker CLI '" + docker + "' not found in PATH";
    return c;
  }
  std::optional<PipedChild> s;
  try {
    s.emplace(exe, args);
  } catch (const std::exception& e) {
    c.output = "could not start " + exe + ": " + e.what();
    return c;
  }
  c.started = true;
  const auto deadline = Clock::now() + timeout;
  bool eof = false;
  while (true) {
    if (Clock::now() >= deadline) {
      s->child().stop(SIGKILL, std::chrono::milliseconds(0));  // SIGKILL and reap
      c.output += "\n(docker " + (args.empty() ? std::string() : args[0]) + " timed out)";
      return c;
    }
    if (!eof) {
      if (read_some(s->fd(), 50ms, c.output) == ReadState::eof) eof = true;
      continue;
    }
    if (!s->child().running()) break;
    ::poll(nullptr, 0, 5);
  }
  c.exit_code = util::exit_code_of(s->child().wait());
  return c;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

std::string last_line(const std::string& text) {
  auto lines = lines_of(text);
  return lines.empty() ? std::string() : lines.back();
}

// "2", "0.5", "1.25": docker parses --cpus as a decimal.
std::string format_cpus(double cpus) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", cpus);
  return buf;
}

// A bind-mount source for `-v SRC:DST`: absolute (docker reads a relative one as a volume name),
// and free of ':' which would end it early.
std::string mount_source(const std::filesystem::path& p, const char* what) {
  std::string s = std::filesystem::absolute(p).lexically_normal().string();
  if (s.size() > 1 && s.back() == '/') s.pop_back();
  if (s.find(':') != std::string::npos || s.find(',') != std::string::npos) {
    throw std::invalid_argument(std::string(what) + " path '" + s +
                                "' contains ':' or ',' and cannot be bind-mounted");
  }
  return s;
}

// The daemon's refusal to start the container ("Error response from daemon: ..."), when that is
// all the output holds: the container's own output, had it started, would come first.
std::optional<std::string> docker_start_error(const std::string& tail) {
  auto lines = lines_of(tail);
  if (lines.empty() || tail.size() >= kTailBytes) return std::nullopt;
  for (const auto& line : lines) {
    if (line.rfind("Error response from daemon: ", 0) != 0 && line.rfind("Error: ", 0) != 0) {
      return std::nullopt;
    }
  }
  return lines.front();
}

// Whatever way run() is left once `docker run` was started (a hook that throws included), the
// container is killed and removed and the CLI reaped.
class ContainerGuard {
 public:
  // cli: the `docker start -a` process, null when the container was started through the API.
  ContainerGuard(std::string docker, std::string name, util::ChildProcess* cli)
      : docker_(std::move(docker)), name_(std::move(name)), cli_(cli) {}
  ~ContainerGuard() {
    if (!armed_) return;
    try {
      if (cli_ != nullptr && cli_->running()) {
        run_docker(docker_, {"kill", name_}, kKillCommandTimeout);
        cli_->stop(SIGKILL, std::chrono::milliseconds(0));
      }
      remove();
    } catch (...) {
      // Destructor: nothing more can be done; orphan cleanup at the next start catches it.
    }
  }
  ContainerGuard(const ContainerGuard&) = delete;
  ContainerGuard& operator=(const ContainerGuard&) = delete;

  // `docker rm -f`: the container is gone afterwards whether it was running, stopped, or never
  // there.
  void remove() { remove(docker_, name_); }
  static void remove(const std::string& docker, const std::string& name) {
    auto rm = run_docker(docker, {"rm", "-f", name});
    if (rm.exit_code != 0 && rm.output.find("No such container") == std::string::npos &&
        rm.output.find("already in progress") == std::string::npos) {
      spdlog::warn("docker rm -f {}: {}", name, last_line(rm.output));
    }
  }
  void disarm() { armed_ = false; }

 private:
  std::string docker_;
  std::string name_;
  util::ChildProcess* cli_;
  bool armed_ = true;
};

std::string image_missing_message(const std::string& image) {
  return "image '" + image +
         "' is not present on this runner's Docker host (build it with scripts/images or docker "
         "pull it)";
}

// Why the job cannot run on this Docker host (docker CLI at `exe`): the image is missing (or the
// daemon cannot be reached; not asked when `image_known`), or a bind-mount source is not a
// directory.
std::optional<std::string> unrunnable_reason(const std::string& exe, const JobSpec& job,
                                             const RunPaths& paths, bool image_known) {
  if (!image_known && !docker_image_present(exe, job.image)) {
    if (auto why = docker_unavailable_reason(exe)) {
      return "Docker is not available on this runner: " + *why;
    }
    return image_missing_message(job.image);
  }
  // docker would create a missing bind-mount source itself, as root: refuse instead.
  for (const auto* dir : {&paths.workspace, &paths.results}) {
    std::error_code ec;
    if (!std::filesystem::is_directory(*dir, ec)) {
      return (dir == &paths.workspace ? "workspace " : "results directory ") + dir->string() +
             " is not a directory";
    }
  }
  return std::nullopt;
}

// The job's container as it is being watched: its output comes either from the `docker start -a`
// CLI (cli; it ends when the CLI exits) or from the API's attach stream (attach, demultiplexed by
// demux; it ends at the stream's EOF). docker is the CLI's path, name the container's.
struct RunningContainer {
  PipedChild* cli = nullptr;
  DockerApiCall* attach = nullptr;
  AttachDemux* demux = nullptr;
  const std::string& docker;
  const std::string& name;
};

// How a watched container ended.
struct WatchEnd {
  std::optional<Outcome> stopped;  // timed_out or cancelled, once the container was killed
  std::string tail;                // the last kTailBytes of its output
};

void keep_tail(std::string& tail, const std::string& more) {
  tail += more;
  if (tail.size() > kTailBytes) tail.erase(0, tail.size() - kTailBytes);
}

// Streams the output to hooks.on_output until the CLI has exited (or was killed) and its output
// is drained. At the deadline or on a cancel the container is killed (`docker kill`, repeated
// every kKillRetry); a CLI that has not exited kill_grace later is killed itself.
WatchEnd watch_container(const RunningContainer& run, Clock::time_point deadline,
                         std::chrono::milliseconds kill_grace, const RunHooks& hooks) {
  WatchEnd end;
  Clock::time_point kill_started{};
  Clock::time_point last_kill{};
  bool cli_killed = false;
  bool eof = false;
  std::optional<Clock::time_point> exited_at;
  std::string buf;
  auto kill_container = [&] {
    run_docker(run.docker, {"kill", run.name}, kKillCommandTimeout);
    last_kill = Clock::now();
  };

  while (true) {
    auto now = Clock::now();
    if (!exited_at) {
      if (!end.stopped) {
        if (now >= deadline) {
          end.stopped = Outcome::timed_out;
        } else if (cancel_requested(hooks)) {
          end.stopped = Outcome::cancelled;
        }
        if (end.stopped) {
          kill_started = now;
          kill_container();
        }
      } else if (now - kill_started >= kill_grace) {
        // The CLI did not follow its container: kill it; the container is removed afterwards.
        if (run.cli != nullptr) {
          run.cli->child().stop(SIGKILL, std::chrono::milliseconds(0));
        } else {
          run.attach->shut_down();
        }
        cli_killed = true;
      } else if (now - last_kill >= kKillRetry) {
        kill_container();
      }
      const bool ended = run.cli != nullptr ? !run.cli->child().running() : eof;
      if (cli_killed || ended) exited_at = Clock::now();
    }
    if (exited_at && (eof || Clock::now() - *exited_at >= kDrainAfterExit)) break;

    if (eof) {
      ::poll(nullptr, 0, 20);  // the pipe is done; only waiting for the CLI to exit
      continue;
    }
    buf.clear();
    const auto wait = read_wait(exited_at.has_value(), end.stopped.has_value(), deadline, now);
    const int fd = run.cli != nullptr ? run.cli->fd() : run.attach->fd();
    if (read_some(fd, wait, buf) == ReadState::eof) eof = true;
    if (run.demux != nullptr) buf = run.demux->feed(buf);
    if (!buf.empty()) {
      keep_tail(end.tail, buf);
      if (hooks.on_output) hooks.on_output(buf);
    }
  }
  return end;
}

RunResult exited_result(int code) {
  return RunResult{.outcome = Outcome::exited,
                   .exit_code = code,
                   .message = "exited with " + std::to_string(code)};
}

RunResult stopped_result(const JobSpec& job, Outcome stopped) {
  if (stopped == Outcome::timed_out) {
    return RunResult{.outcome = Outcome::timed_out,
                     .message = "timed out after " + std::to_string(job.timeout.count()) +
                                "s (the tier's timeout); the container was killed"};
  }
  return RunResult{.outcome = Outcome::cancelled, .message = "cancelled; the container was killed"};
}

}  // namespace

bool valid_image_reference(const std::string& image) {
  if (image.empty() || image.size() > 255) return false;
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  if (!alnum(image[0])) return false;
  for (char c : image) {
    if (!alnum(c) && c != '.' && c != '_' && c != '/' && c != ':' && c != '@' && c != '-') {
      return false;
    }
  }
  return true;
}

std::string container_name(const std::string& runner_key, const JobSpec& job) {
  return "mlgate-" + runner_key + "-j" + std::to_string(job.job_id) + "-a" +
         std::to_string(job.attempt);
}

namespace {

// The job's container, from which both its `docker run`/`docker create` flags and the body of the
// API's create are made: one description, two spellings.
struct ContainerSpec {
  std::string name;
  std::map<std::string, std::string> labels;
  std::string network;
  std::optional<std::int64_t> memory;
  std::optional<double> cpus;
  std::optional<std::int64_t> pids;
  std::optional<int> gpus;
  std::string user;
  std::vector<std::string> binds;  // "SRC:DST"
  std::map<std::string, std::string> env;
  std::string image;
  std::vector<std::string> cmd;
};

ContainerSpec container_spec(const JobSpec& job, const RunPaths& paths,
                             const DockerOptions& options, const std::string& container_name) {
  if (!valid_image_reference(job.image)) {
    throw std::invalid_argument("image reference '" + job.image + "' is not valid");
  }
  const JobResources& want = job.resources;
  const JobResources& dflt = options.defaults;
  ContainerSpec c;
  c.name = container_name;
  c.labels = {{"mlgate.job", std::to_string(job.job_id)}, {"mlgate.runner", options.runner_key}};
  // Network is opt-in: anything but an explicit "bridge" means none.
  c.network = job.network == "bridge" ? "bridge" : "none";
  c.memory = want.memory_bytes ? want.memory_bytes : dflt.memory_bytes;
  c.cpus = want.cpus ? want.cpus : dflt.cpus;
  c.pids = want.pids ? want.pids : dflt.pids;
  if (want.gpus && *want.gpus > 0) c.gpus = want.gpus;
  c.user = options.user.empty() ? std::to_string(::getuid()) + ":" + std::to_string(::getgid())
                                : options.user;
  c.binds = {mount_source(paths.workspace, "workspace") + ":/workspace",
             mount_source(paths.results, "results") + ":/results"};
  // The job runs as a uid that has no home in the image: HOME=/tmp gives tools (pip, matplotlib,
  // pytest's cache) somewhere writable. The tier's env may set its own.
  c.env = {{"HOME", "/tmp"}};
  for (auto& [k, v] : job_environment(job, "/workspace", "/results")) c.env[k] = v;
  c.image = job.image;
  c.cmd = {"sh", "-c", job.command};
  return c;
}

// `docker <verb> --rm --name <name> ...`: the job's container, for `run` or `create`.
std::vector<std::string> container_argv(const char* verb, const JobSpec& job, const RunPaths& paths,
                                        const DockerOptions& options,
                                        const std::string& container_name) {
  const ContainerSpec c = container_spec(job, paths, options, container_name);
  std::vector<std::string> argv = {options.docker, verb, "--rm", "--name", c.name};
  // Runners never pull: an image is built or pulled by the operator (prepare() checks that it is
  // present first; this closes the gap if it is removed in between).
  argv.insert(argv.end(), {"--pull", "never"});
  for (const auto& [k, v] : c.labels) argv.insert(argv.end(), {"--label", k + "=" + v});
  argv.insert(argv.end(), {"--network", c.network});
  argv.insert(argv.end(), {"--cap-drop", "ALL", "--security-opt", "no-new-privileges"});
  if (c.memory) {
    const std::string bytes = std::to_string(*c.memory);
    // --memory-swap equal to --memory: the limit is a hard one, not "memory plus as much swap".
    argv.insert(argv.end(), {"--memory", bytes, "--memory-swap", bytes});
  }
  if (c.cpus) argv.insert(argv.end(), {"--cpus", format_cpus(*c.cpus)});
  if (c.pids) argv.insert(argv.end(), {"--pids-limit", std::to_string(*c.pids)});
  if (c.gpus) argv.insert(argv.end(), {"--gpus", std::to_string(*c.gpus)});
  argv.insert(argv.end(), {"--user", c.user});
  for (const auto& bind : c.binds) argv.insert(argv.end(), {"-v", bind});
  argv.insert(argv.end(), {"-w", "/workspace"});
  for (const auto& [k, v] : c.env) argv.insert(argv.end(), {"-e", k + "=" + v});
  argv.push_back(c.image);
  argv.insert(argv.end(), c.cmd.begin(), c.cmd.end());
  return argv;
}

}  // namespace

std::vector<std::string> docker_run_argv(const JobSpec& job, const RunPaths& paths,
                                         const DockerOptions& options,
                                         const std::string& container_name) {
  return container_argv("run", job, paths, options, container_name);
}

std::vector<std::string> docker_create_argv(const JobSpec& job, const RunPaths& paths,
                                            const DockerOptions& options,
                                            const std::string& container_name) {
  return container_argv("create", job, paths, options, container_name);
}

std::string docker_create_body(const JobSpec& job, const RunPaths& paths,
                               const DockerOptions& options, const std::string& container_name) {
  const ContainerSpec c = container_spec(job, paths, options, container_name);
  nlohmann::json env = nlohmann::json::array();
  for (const auto& [k, v] : c.env) env.push_back(k + "=" + v);
  nlohmann::json host = {
      {"AutoRemove", true},
      {"NetworkMode", c.network},
      {"CapDrop", {"ALL"}},
      {"SecurityOpt", {"no-new-privileges"}},
      {"Binds", c.binds},
      // What the CLI sends for the flags it is not given: the same container
      // to the last setting (tests/integration/runners/docker_executor_test.cpp).
      {"PortBindings", nlohmann::json::object()},
      {"RestartPolicy", {{"Name", "no"}, {"MaximumRetryCount", 0}}}};
  for (const char* empty : {"Dns", "DnsOptions", "DnsSearch", "BlkioWeightDevice",
                            "BlkioDeviceReadBps", "BlkioDeviceWriteBps", "BlkioDeviceReadIOps",
                            "BlkioDeviceWriteIOps", "Devices", "Ulimits"}) {
    host[empty] = nlohmann::json::array();
  }
  if (c.memory) host["Memory"] = host["MemorySwap"] = *c.memory;
  // As the CLI reads --cpus: the decimal it is given, in billionths.
  if (c.cpus) host["NanoCpus"] = std::llround(std::stod(format_cpus(*c.cpus)) * 1e9);
  if (c.pids) host["PidsLimit"] = *c.pids;
  if (c.gpus) {
    host["DeviceRequests"] = {
        {{"Driver", ""}, {"Count", *c.gpus}, {"Capabilities", {{"gpu"}}}, {"Options", {}}}};
  }
  return nlohmann::json{{"Image", c.image},
                        {"Cmd", c.cmd},
                        {"Env", env},
                        {"User", c.user},
                        {"WorkingDir", "/workspace"},
                        {"Labels", c.labels},
                        {"AttachStdout", true},
                        {"AttachStderr", true},
                        {"HostConfig", host}}
      .dump();
}

std::optional<std::string> docker_unavailable_reason(const std::string& docker) {
  if (resolve_program(docker).empty()) return "docker CLI '" + docker + "' not found in PATH";
  auto v = run_docker(docker, {"version", "--format", "{{.Server.Version}}"}, 15s);
  if (v.exit_code == 0 && !last_line(v.output).empty()) return std::nullopt;
  std::string why = last_line(v.output);
  if (why.empty()) why = "`" + docker + " version` exited with " + std::to_string(v.exit_code);
  return why;
}

bool docker_image_present(const std::string& docker, const std::string& image) {
  if (!valid_image_reference(image)) return false;
  return run_docker(docker, {"image", "inspect", "--format", "{{.Id}}", image}).exit_code == 0;
}

int remove_orphan_containers(const std::string& docker, const std::string& runner_key) {
  const std::string label = "label=mlgate.runner=" + runner_key;
  auto ps = run_docker(docker, {"ps", "--all", "--quiet", "--no-trunc", "--filter", label});
  if (ps.exit_code != 0) {
    spdlog::warn("could not list the containers of runner {}: {}", runner_key,
                 last_line(ps.output));
    return 0;
  }
  auto ids = lines_of(ps.output);
  if (ids.empty()) return 0;
  std::vector<std::string> args = {"rm", "--force"};
  args.insert(args.end(), ids.begin(), ids.end());
  auto rm = run_docker(docker, args);
  // `docker rm` prints each container it removed, as it was named on the command line.
  const std::set<std::string> asked(ids.begin(), ids.end());
  int removed = 0;
  for (const auto& line : lines_of(rm.output)) {
    if (asked.count(line) != 0) {
      ++removed;
    } else {
      spdlog::warn("removing an orphan container of runner {}: {}", runner_key, line);
    }
  }
  return removed;
}

DockerExecutor::DockerExecutor(DockerOptions options) : options_(std::move(options)) {
  if (options_.use_api) {
    const std::string exe = resolve_program(options_.docker);
    if (!exe.empty()) api_socket_ = docker_api_socket(exe);
  }
}

bool DockerExecutor::image_known(const std::string& image) {
  std::lock_guard lock(images_mu_);
  return images_present_.count(image) != 0;
}

void DockerExecutor::set_image_known(const std::string& image, bool known) {
  std::lock_guard lock(images_mu_);
  if (known) {
    images_present_.insert(image);
  } else {
    images_present_.erase(image);
  }
}

// The container prepare() is creating: until run_prepared takes it over (started), it is this
// object's to remove.
class DockerExecutor::Created : public PreparedJob {
 public:
  Created(std::string exe, std::string name) : exe_(std::move(exe)), name_(std::move(name)) {}
  ~Created() override {
    try {
      if (started_ || !attempted_) return;
      if (creating_.valid()) creating_.wait();
      ContainerGuard::remove(exe_, name_);
    } catch (...) {
      // Destructor: the orphan sweep at the runner's next start removes what is left.
    }
  }
  Created(const Created&) = delete;
  Created& operator=(const Created&) = delete;

  void begin(std::future<std::optional<RunResult>> creating) {
    attempted_ = true;
    creating_ = std::move(creating);
  }
  void fail(RunResult why) { failed_ = std::move(why); }
  // nullopt: the container exists, not started; else why the job cannot run.
  std::optional<RunResult> wait() {
    if (failed_ || !creating_.valid()) return failed_;
    failed_ = creating_.get();
    return failed_;
  }
  // `docker start` was asked for: from here its ContainerGuard removes the container.
  void started() { started_ = true; }
  bool was_started() const { return started_; }
  const std::string& exe() const { return exe_; }
  const std::string& name() const { return name_; }

 private:
  std::string exe_;
  std::string name_;
  std::future<std::optional<RunResult>> creating_;
  std::optional<RunResult> failed_;
  bool attempted_ = false;  // `docker create` was run: a container may exist
  bool started_ = false;
};

std::optional<RunResult> DockerExecutor::create_container(const std::string& exe,
                                                          const JobSpec& job, const RunPaths& paths,
                                                          const std::string& name) {
  const bool image_checked = image_known(job.image);
  if (auto why = unrunnable_reason(exe, job, paths, image_checked)) return error_result(*why);
  if (!image_checked) set_image_known(job.image, true);
  std::optional<std::string> why;  // the CLI's last line, or the daemon's message
  try {
    if (api_socket_) {
      why = docker_api_create(*api_socket_, name, docker_create_body(job, paths, options_, name),
                              kShortCommandTimeout);
    } else {
      const auto argv = docker_create_argv(job, paths, options_, name);
      const auto created = run_docker(exe, std::vector<std::string>(argv.begin() + 1, argv.end()));
      if (created.exit_code != 0) {
        why = last_line(created.output);
        if (why->empty()) why = "exited with " + std::to_string(created.exit_code);
      }
    }
  } catch (const std::invalid_argument& e) {
    return error_result(e.what());
  } catch (const std::exception& e) {
    why = e.what();
  }
  if (!why) return std::nullopt;
  if (why->find("No such image") != std::string::npos) {
    set_image_known(job.image, false);  // removed since it was checked
    return error_result(image_missing_message(job.image));
  }
  return error_result("docker create: " + *why);
}

std::unique_ptr<PreparedJob> DockerExecutor::prepare(const JobSpec& job, const RunPaths& paths) {
  const std::string exe = resolve_program(options_.docker);
  auto created = std::make_unique<Created>(exe, container_name(options_.runner_key, job));
  if (!valid_image_reference(job.image)) {
    created->fail(error_result("image reference '" + job.image + "' is not valid"));
  } else if (exe.empty()) {
    created->fail(error_result("docker CLI '" + options_.docker + "' not found in PATH"));
  } else {
    created->begin(std::async(std::launch::async, [this, exe, job, paths, name = created->name()] {
      return create_container(exe, job, paths, name);
    }));
  }
  return created;
}

RunResult DockerExecutor::run(const JobSpec& job, const RunPaths& paths, const RunHooks& hooks) {
  return run_prepared(job, paths, hooks, prepare(job, paths));
}

RunResult DockerExecutor::run_prepared(const JobSpec& job, const RunPaths& paths,
                                       const RunHooks& hooks,
                                       std::unique_ptr<PreparedJob> prepared) {
  auto* created = dynamic_cast<Created*>(prepared.get());
  if (created == nullptr) {
    prepared = prepare(job, paths);
    created = static_cast<Created*>(prepared.get());
  }
  if (auto why = created->wait()) return *why;  // `prepared` removes what was created
  if (api_socket_) return start_through_api(*created, job, hooks);
  if (cancel_requested(hooks)) {
    return RunResult{.outcome = Outcome::cancelled, .message = "cancelled before it started"};
  }
  const std::string& exe = created->exe();
  const std::string& name = created->name();
  std::optional<PipedChild> cli;
  try {
    cli.emplace(exe, std::vector<std::string>{"start", "--attach", name});
  } catch (const std::exception& e) {
    return error_result("could not start " + exe + ": " + e.what());
  }
  created->started();
  ContainerGuard guard(exe, name, &cli->child());

  const WatchEnd end = watch_container({.cli = &*cli, .docker = exe, .name = name},
                                       Clock::now() + job.timeout, options_.kill_grace, hooks);
  if (end.stopped) {
    guard.remove();
    guard.disarm();
    return stopped_result(job, *end.stopped);
  }
  const int code = util::exit_code_of(cli->child().wait());
  // `docker start` that could not start the container exits 1 having printed only the daemon's
  // error (the job's own output would come before it, had it run).
  if (code != 0) {
    if (auto line = docker_start_error(end.tail)) {
      guard.remove();
      guard.disarm();
      return error_result("docker start: " + *line);
    }
  }
  guard.disarm();  // `docker start -a` of a `--rm` container returns only after it is removed
  return exited_result(code);
}

RunResult DockerExecutor::start_through_api(Created& created, const JobSpec& job,
                                            const RunHooks& hooks) {
  const std::string& socket = *api_socket_;
  const std::string& name = created.name();
  std::optional<DockerApiCall> attach;
  std::optional<DockerApiCall> wait;
  try {
    // As `docker start -a`: attached, and waiting for the removal (`--rm`), before the start.
    attach.emplace(socket, "/containers/" + name + "/attach?stream=1&stdout=1&stderr=1", true,
                   kShortCommandTimeout);
    if (attach->status() != 101 && attach->status() != 200) {
      return error_result("docker attach " + name + ": the daemon answered " +
                          std::to_string(attach->status()));
    }
    wait.emplace(socket, "/containers/" + name + "/wait?condition=removed", false,
                 kShortCommandTimeout);
    if (wait->status() != 200) {
      return error_result("docker wait " + name + ": the daemon answered " +
                          std::to_string(wait->status()));
    }
    if (cancel_requested(hooks)) {
      return RunResult{.outcome = Outcome::cancelled, .message = "cancelled before it started"};
    }
    created.started();  // from here the guard below removes it, whatever the start's answer
    if (auto why = docker_api_start(socket, name, kShortCommandTimeout)) {
      ContainerGuard::remove(created.exe(), name);
      return error_result("docker start: " + *why);
    }
  } catch (const std::exception& e) {
    if (created.was_started()) ContainerGuard::remove(created.exe(), name);
    return error_result(e.what());
  }
  ContainerGuard guard(created.exe(), name, nullptr);
  AttachDemux demux;
  if (auto early = demux.feed(attach->take_early_bytes()); !early.empty() && hooks.on_output) {
    hooks.on_output(early);
  }
  const WatchEnd end =
      watch_container({.attach = &*attach, .demux = &demux, .docker = created.exe(), .name = name},
                      Clock::now() + job.timeout, options_.kill_grace, hooks);
  if (end.stopped) {
    try {
      wait->read_body(options_.kill_grace);  // the killed container's removal, as `--rm` does it
    } catch (const std::exception&) {
      // Not removed in time: `docker rm -f` below.
    }
    guard.remove();
    guard.disarm();
    return stopped_result(job, *end.stopped);
  }
  std::optional<int> code;
  try {
    code = wait_status_code(wait->read_body(kShortCommandTimeout));
  } catch (const std::exception&) {
    // No exit code: reported below.
  }
  if (!code) {
    guard.remove();
    guard.disarm();
    return error_result("the Docker daemon did not say how container " + name + " exited");
  }
  guard.disarm();  // the wait for the removal has returned
  return exited_result(*code);
}

}  // namespace mlgate::runners
