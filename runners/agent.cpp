#include "runners/agent.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <thread>

#include "runners/log_limit.h"
#include "runners/runner_client.h"
#include "util/capped_file.h"
#include "util/hex.h"
#include "util/strings.h"
#include "vcs/mirror.h"

namespace mlgate::runners {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

void say(const std::string& line) {
  static std::mutex mu;
  std::lock_guard lock(mu);
  std::cerr << "mlgate runner: " << line << std::endl;
}

// ---- identity: <work_dir>/runner.json, mode 0600 -------------------------------------------

struct Identity {
  std::string server;
  std::int64_t id = 0;
  std::string token;
  // "r<id>-<16 random hex digits>": names this runner's containers and labels them. Runner ids
  // start at 1 on every server, so the id alone would let runners of two servers sharing a
  // Docker host kill each other's containers.
  std::string key;
};

std::string new_runner_key(std::int64_t id) {
  std::random_device rd;
  std::uniform_int_distribution<std::uint64_t> dist;
  const std::uint64_t a = dist(rd);
  return "r" + std::to_string(id) + "-" + util::hex_u64(a);
}

std::optional<Identity> load_identity(const fs::path& file) {
  std::ifstream in(file);
  if (!in) return std::nullopt;
  auto j = nlohmann::json::parse(in, nullptr, false);
  if (!j.is_object() || !j.contains("id") || !j.contains("token")) return std::nullopt;
  return Identity{j.value("server", std::string()), j.value("id", std::int64_t{0}),
                  j.value("token", std::string()), j.value("key", std::string())};
}

void save_identity(const fs::path& file, const Identity& id) {
  const fs::path tmp = file.string() + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) throw std::runtime_error("cannot write " + tmp.string());
  const std::string text =
      nlohmann::json{{"server", id.server}, {"id", id.id}, {"token", id.token}, {"key", id.key}}
          .dump(2) +
      "\n";
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ok = ::fsync(fd) == 0 && ok;
  ::close(fd);
  if (!ok) throw std::runtime_error("cannot write " + tmp.string());
  fs::rename(tmp, file);
}

// One runner process per work dir: two processes with one identity would hand each other's jobs
// back to the queue at start.
class WorkDirLock {
 public:
  explicit WorkDirLock(const fs::path& dir) {
    fd_ = ::open((dir / "runner.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ < 0 || ::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      if (fd_ >= 0) ::close(fd_);
      fd_ = -1;
      throw std::runtime_error("another runner is using " + dir.string() +
                               " (give each runner its own --work-dir)");
    }
  }
  ~WorkDirLock() {
    if (fd_ >= 0) ::close(fd_);
  }
  WorkDirLock(const WorkDirLock&) = delete;
  WorkDirLock& operator=(const WorkDirLock&) = delete;

 private:
  int fd_ = -1;
};

// ---- one claimed attempt --------------------------------------------------------------------

JobSpec to_spec(const nlohmann::json& j) {
  JobSpec s;
  s.job_id = j.value("id", std::int64_t{0});
  s.pipeline_id = j.value("pipeline_id", std::int64_t{0});
  s.attempt = j.value("attempt", 1);
  s.repo = j.value("repo", std::string());
  s.sha = j.value("sha", std::string());
  s.ref = j.value("ref", std::string());
  s.tier = j.value("tier", std::string());
  s.repeat = j.value("repeat", 0);
  s.image = j.value("image", std::string());
  s.command = j.value("command", std::string());
  s.network = j.value("network", std::string("none"));
  s.timeout = std::chrono::seconds(j.value("timeout_seconds", std::int64_t{300}));
  const auto res = j.value("resources", nlohmann::json::object());
  if (res.contains("cpus") && res["cpus"].is_number()) s.resources.cpus = res["cpus"].get<double>();
  if (res.contains("memory_bytes") && res["memory_bytes"].is_number_integer())
    s.resources.memory_bytes = res["memory_bytes"].get<std::int64_t>();
  if (res.contains("gpus") && res["gpus"].is_number_integer())
    s.resources.gpus = res["gpus"].get<int>();
  if (res.contains("pids") && res["pids"].is_number_integer())
    s.resources.pids = res["pids"].get<std::int64_t>();
  const auto env = j.value("env", nlohmann::json::object());
  for (const auto& [k, v] : env.items()) {
    if (v.is_string()) s.env[k] = v.get<std::string>();
  }
  return s;
}

// Heartbeats the lease, polls for a cancel, and ships the (capped) log in order, on its own
// thread while the executor runs.
class AttemptSession {
 public:
  AttemptSession(RunnerClient& client, const JobSpec& job, const Claim& claim,
                 const AgentOptions& options, const std::atomic<bool>& shutdown)
      : client_(client),
        job_(job.job_id),
        attempt_(job.attempt),
        heartbeat_every_(std::max(1, claim.heartbeat_seconds)),
        options_(options),
        shutdown_(shutdown),
        limit_(options.log_max_bytes) {
    thread_ = std::thread([this] { loop(); });
  }
  ~AttemptSession() { stop_thread(); }
  AttemptSession(const AttemptSession&) = delete;
  AttemptSession& operator=(const AttemptSession&) = delete;

  void output(std::string_view chunk) {
    std::lock_guard lock(mu_);
    pending_ += limit_.take(chunk);
  }
  bool should_stop() const { return cancel_ || lost_ || shutdown_; }
  bool cancelled_by_server() const { return cancel_; }
  bool lost() const { return lost_; }
  bool log_truncated() {
    std::lock_guard lock(mu_);
    return limit_.truncated();
  }

  // Stops the background thread and ships what is left of the log (retrying a few times).
  void close() {
    stop_thread();
    for (int i = 0; i < 20 && !lost_; ++i) {
      if (flush_once(true)) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(250 * (i + 1)));
    }
  }

 private:
  void stop_thread() {
    {
      std::lock_guard lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  void loop() {
    auto next_heartbeat = Clock::now() + heartbeat_every_;
    auto next_cancel_check = Clock::now() + options_.cancel_poll;
    std::unique_lock lock(mu_);
    while (!done_) {
      cv_.wait_for(lock, options_.log_flush, [&] { return done_; });
      if (done_) break;
      lock.unlock();
      const auto now = Clock::now();
      try {
        if (now >= next_heartbeat) {
          apply(client_.heartbeat(job_, attempt_));
          next_heartbeat = now + heartbeat_every_;
          next_cancel_check = now + options_.cancel_poll;
        } else if (now >= next_cancel_check) {
          apply(client_.lease(job_, attempt_));
          next_cancel_check = now + options_.cancel_poll;
        }
        flush_once(false);
      } catch (const RunnerClientError& e) {
        if (e.status() == 401 || e.status() == 403) {
          // The server refuses this runner (disabled, or its row is gone): it has re-queued the
          // job already, so stop it like a lost lease.
          if (!lost_) say("job " + std::to_string(job_) + ": " + e.what() + "; stopping it");
          lost_ = true;
        } else {
          // The server is unreachable for now: keep the job running and try again; the lease is
          // long enough to ride out a restart of the server.
          if (!warned_) say("job " + std::to_string(job_) + ": " + e.what() + " (retrying)");
          warned_ = true;
        }
      }
      lock.lock();
    }
  }

  void apply(const LeaseReply& r) {
    if (!r.held) lost_ = true;
    if (r.cancel) cancel_ = true;
  }

  // Sends the pending bytes (up to 1 MiB a request); true when nothing is left to send.
  bool flush_once(bool final_flush) {
    while (true) {
      std::string chunk;
      {
        std::lock_guard lock(mu_);
        if (pending_.empty()) return true;
        chunk = pending_.substr(0, std::size_t{1} << 20);
      }
      LogReply r;
      try {
        r = client_.append_log(job_, attempt_, acked_, chunk);
      } catch (const RunnerClientError& e) {
        if (final_flush) return false;
        throw;
      }
      if (!r.held) {
        lost_ = true;
        return true;
      }
      if (r.cancel) cancel_ = true;
      std::lock_guard lock(mu_);
      if (r.gap) {
        // The server has fewer bytes than we think it stored: continue where it is.
        acked_ = r.log_bytes;
        continue;
      }
      pending_.erase(0, chunk.size());
      acked_ += static_cast<std::int64_t>(chunk.size());
      if (!final_flush) return pending_.empty();
    }
  }

  RunnerClient& client_;
  std::int64_t job_;
  int attempt_;
  std::chrono::seconds heartbeat_every_;
  const AgentOptions& options_;
  const std::atomic<bool>& shutdown_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::string pending_;
  std::int64_t acked_ = 0;
  LogLimit limit_;
  std::atomic<bool> cancel_{false};
  std::atomic<bool> lost_{false};
  bool warned_ = false;
  std::thread thread_;
};

std::string describe(const RunResult& r, double seconds) {
  char took[32];
  std::snprintf(took, sizeof took, "%.1f s", seconds);
  switch (r.outcome) {
    case Outcome::exited:
      return "exited with " + std::to_string(r.exit_code) + " after " + took;
    case Outcome::timed_out:
      return "timed out after " + std::string(took) + (r.message.empty() ? "" : ": " + r.message);
    case Outcome::cancelled:
      return "cancelled after " + std::string(took);
    case Outcome::error:
      return "could not run: " + r.message;
  }
  return r.message;
}

class Agent {
 public:
  Agent(AgentOptions options, const std::atomic<bool>& stop)
      : options_(std::move(options)), stop_(stop), mirrors_(options_.work_dir / "mirrors") {}

  int run() {
    std::error_code ec;
    fs::create_directories(options_.work_dir / "jobs", ec);
    if (ec)
      return fail("cannot create " + (options_.work_dir / "jobs").string() + ": " + ec.message());
    std::optional<WorkDirLock> lock;
    try {
      lock.emplace(options_.work_dir);
    } catch (const std::exception& e) {
      return fail(e.what());
    }
    if (options_.executor == "docker") {
      if (auto why = docker_unavailable_reason(options_.docker.docker)) {
        return fail("Docker is not available: " + *why +
                    ". Start dockerd, or choose the local executor explicitly with "
                    "--executor local (jobs then run on this host WITHOUT isolation).");
      }
    } else if (options_.executor == "local") {
      say(std::string("WARNING: ") + LocalExecutor::kNotIsolatedWarning);
    } else {
      return fail("unknown executor '" + options_.executor + "' (docker or local)");
    }
    if (int rc = identify(); rc != 0) return rc;
    client_.emplace(options_.server_url, identity_.token);
    if (options_.executor == "docker") {
      options_.docker.runner_key = identity_.key;
      int removed = remove_orphan_containers(options_.docker.docker, identity_.key);
      if (removed)
        say("removed " + std::to_string(removed) + " container(s) left by an earlier run");
      executor_ = std::make_unique<DockerExecutor>(options_.docker);
    } else {
      executor_ = std::make_unique<LocalExecutor>(options_.local);
    }
    // Workspaces of an earlier life are stale: its attempts are handed back below.
    for (const auto& e : fs::directory_iterator(options_.work_dir / "jobs", ec)) {
      std::error_code ignore;
      fs::remove_all(e.path(), ignore);
    }
    if (int rc = hand_back("at start"); rc != 0) return rc;
    say("runner " + std::to_string(identity_.id) + " (" + options_.name + ") serving " +
        options_.server_url + " with the " + options_.executor + " executor, capacity " +
        std::to_string(options_.capacity));

    std::vector<std::thread> workers;
    for (int i = 0; i < options_.capacity; ++i) workers.emplace_back([this] { work(); });
    for (auto& w : workers) w.join();
    if (fatal_) return 2;
    // Attempts stopped by a shutdown go back to the queue now rather than after their lease.
    hand_back("at exit");
    return 0;
  }

 private:
  int fail(const std::string& message) {
    say(message);
    return 2;
  }

  int identify() {
    const fs::path file = options_.work_dir / "runner.json";
    if (auto id = load_identity(file); id && id->server == options_.server_url) {
      identity_ = *id;
      if (identity_.key.empty()) {  // written by an older runner: give it a key once
        identity_.key = new_runner_key(identity_.id);
        save_identity(file, identity_);
      }
      return 0;
    }
    if (options_.registration_token.empty()) {
      return fail("not registered with " + options_.server_url +
                  " yet: pass --token-file with a runner registration token "
                  "(mlgate runner-token create)");
    }
    try {
      RegisterRequest req{options_.name, options_.tiers, options_.capacity, options_.executor,
                          options_.version};
      auto reg =
          RunnerClient::register_runner(options_.server_url, options_.registration_token, req);
      identity_ = {options_.server_url, reg.id, reg.token, new_runner_key(reg.id)};
      save_identity(file, identity_);
      say("registered as runner " + std::to_string(reg.id));
      return 0;
    } catch (const std::exception& e) {
      return fail(std::string("registration failed: ") + e.what());
    }
  }

  int hand_back(const std::string& when) {
    for (int i = 0;; ++i) {
      try {
        int n = client_->reset();
        if (n)
          say("handed " + std::to_string(n) + " unfinished attempt(s) back to the queue " + when);
        return 0;
      } catch (const RunnerClientError& e) {
        if (e.status() == 401 || e.status() == 403) {
          return fail(std::string(e.what()) + " (remove " +
                      (options_.work_dir / "runner.json").string() + " to register again)");
        }
        if (i >= 10 || stop_) {
          say(std::string("cannot reach the server ") + when + ": " + e.what());
          return when == "at start" ? 2 : 0;
        }
        std::this_thread::sleep_for(std::chrono::seconds(1));
      }
    }
  }

  bool done() const {
    return stop_ || fatal_ || (options_.max_jobs > 0 && finished_ >= options_.max_jobs);
  }

  void work() {
    int backoff = 1;
    while (!done()) {
      std::optional<Claim> claim;
      try {
        claim = client_->request_job(options_.tiers, options_.claim_wait_seconds);
        backoff = 1;
      } catch (const RunnerClientError& e) {
        if (e.status() == 401 || e.status() == 403) {
          say(std::string("the server refused this runner's credential: ") + e.what());
          fatal_ = true;
          return;
        }
        say(std::string(e.what()) + "; retrying in " + std::to_string(backoff) + " s");
        for (int i = 0; i < backoff * 10 && !done(); ++i)
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
        backoff = std::min(backoff * 2, 30);
        continue;
      }
      if (!claim) continue;
      if (stop_) break;  // claimed while stopping: the hand-back at exit re-queues it at once
      run_attempt(*claim);
      ++finished_;
    }
  }

  void run_attempt(const Claim& claim) {
    const JobSpec job = to_spec(claim.job);
    const fs::path dir = options_.work_dir / "jobs" /
                         ("j" + std::to_string(job.job_id) + "-a" + std::to_string(job.attempt));
    std::error_code ec;
    fs::remove_all(dir, ec);
    const RunPaths paths{dir / "workspace", dir / "results"};
    fs::create_directories(paths.results, ec);
    fs::create_directories(paths.workspace, ec);  // empty until the checkout fills it
    // Overlaps the checkout (docker: the container is created meanwhile); undone on every way out
    // that does not run it.
    std::unique_ptr<PreparedJob> prepared = executor_->prepare(job, paths);
    const auto started = Clock::now();
    AttemptSession session(*client_, job, claim, options_, stop_);
    session.output("[mlgate] job " + std::to_string(job.job_id) + " attempt " +
                   std::to_string(job.attempt) + ": " + job.tier + " of " + job.repo + " at " +
                   job.sha + " on runner " + std::to_string(identity_.id) + " (" + options_.name +
                   ", " + executor_->name() + ")\n");
    RunResult result = check_out(claim, job, paths.workspace);
    if (result.message.empty()) {
      RunHooks hooks;
      hooks.on_output = [&](std::string_view chunk) { session.output(chunk); };
      hooks.cancel_requested = [&] { return session.should_stop(); };
      result = executor_->run_prepared(job, paths, hooks, std::move(prepared));
    }
    prepared.reset();  // not run (the checkout failed): the container is removed
    const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
    session.output("\n[mlgate] " + describe(result, seconds) + "\n");
    session.close();
    if (session.lost()) {
      say("job " + std::to_string(job.job_id) + " attempt " + std::to_string(job.attempt) +
          ": lease lost, result dropped (the server re-queued or ended the job)");
    } else if (stop_ && result.outcome == Outcome::cancelled && !session.cancelled_by_server()) {
      say("job " + std::to_string(job.job_id) + ": stopped by shutdown; handed back");
    } else {
      if (result.outcome == Outcome::exited) upload_results(job, claim, paths.results);
      finish(job, result, session.log_truncated());
    }
    fs::remove_all(dir, ec);
    if (ec) say("cannot remove workspace " + dir.string() + ": " + ec.message());
  }

  // The job's commit checked out into `workspace` (an empty directory): an error result when that
  // fails, else one with no message.
  RunResult check_out(const Claim& claim, const JobSpec& job, const fs::path& workspace) {
    try {
      vcs::RepoRemote remote;
      const std::string lower_name = util::lower(job.repo);
      const std::string forge = claim.job.value("forge", std::string("github"));
      remote.key = forge + "/" + lower_name;
      remote.clone_url = claim.job.value("clone_url", std::string());
      remote.token = claim.job.value("forge_token", std::string());
      remote.token_user = forge == "gitlab" ? "oauth2" : "x-access-token";
      remote.fetch_ref = claim.job.value("fetch_ref", std::string());
      mirrors_.checkout(remote, job.sha, workspace);
      return {};
    } catch (const std::exception& e) {
      return {Outcome::error, -1, std::string("checkout of ") + job.sha + " failed: " + e.what()};
    }
  }

  void upload_results(const JobSpec& job, const Claim& claim, const fs::path& results) {
    for (const std::string file :
         {"junit.xml", "metrics.json", "predictions.jsonl", "reference.jsonl"}) {
      const std::uint64_t cap = claim.results_max_bytes.value(file, std::uint64_t{64} << 20);
      // What the job wrote: a symbolic link (to a host file, say) or a FIFO is not read.
      auto content = util::read_capped_file(results / file, cap, false);
      if (!content.bytes) continue;
      for (int i = 0; i < 5; ++i) {
        try {
          auto r =
              client_->upload_results(job.job_id, job.attempt, file, *content.bytes, content.size);
          if (!r.error.empty()) say("job " + std::to_string(job.job_id) + ": " + r.error);
          break;
        } catch (const RunnerClientError& e) {
          say(std::string("results upload failed: ") + e.what() + " (retrying)");
          std::this_thread::sleep_for(std::chrono::seconds(1 << i));
        }
      }
    }
  }

  void finish(const JobSpec& job, const RunResult& result, bool log_truncated) {
    const std::string outcome = to_string(result.outcome);
    // The result must reach the server: retry with backoff for as long as the lease could still
    // be ours; past that the server has re-queued the job anyway.
    const auto give_up = Clock::now() + std::chrono::minutes(5);
    for (int delay = 1;; delay = std::min(delay * 2, 30)) {
      try {
        auto r = client_->finish(job.job_id, job.attempt, outcome, result.exit_code, result.message,
                                 log_truncated);
        if (!r.held) {
          say("job " + std::to_string(job.job_id) + ": finish refused, the lease was lost");
        }
        return;
      } catch (const RunnerClientError& e) {
        if (Clock::now() > give_up) {
          say("job " + std::to_string(job.job_id) + ": giving up reporting its end: " + e.what());
          return;
        }
        say(std::string("finish failed: ") + e.what() + "; retrying in " + std::to_string(delay) +
            " s");
        std::this_thread::sleep_for(std::chrono::seconds(delay));
      }
    }
  }

  AgentOptions options_;
  const std::atomic<bool>& stop_;
  vcs::MirrorCache mirrors_;
  Identity identity_;
  std::optional<RunnerClient> client_;
  std::unique_ptr<Executor> executor_;
  std::atomic<bool> fatal_{false};
  std::atomic<long> finished_{0};
};

}  // namespace

int run_agent(AgentOptions options, const std::atomic<bool>& stop) {
  if (options.work_dir.empty()) return (say("--work-dir is required"), 2);
  if (options.name.empty()) {
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    options.name = host;
  }
  Agent agent(std::move(options), stop);
  return agent.run();
}

}  // namespace mlgate::runners
