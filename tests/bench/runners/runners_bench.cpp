// scripts/bench runners: two measurements of the runner side, each next to a baseline measured in
// the same run on the same machine (docs/bench.md, section `runners`).
//
//  push   From sending a signed GitHub push to `mlgate serve` (one `mlgate runner --executor
//         docker --capacity 1 --claim-wait 30` idle in its long poll) until the job's container is
//         running, next to `docker run --rm --network none mlgate/busybox:test true` measured the
//         same way (from invoking `docker run` until its container is running), and next to the
//         job's own `docker run` argv run bare. "Running" is the daemon's `start` event for the
//         container, read from one `docker events` stream started before the runs: the same clock
//         and the same definition for all three.
//  claims Jobs queued directly in the database, claimed and finished through the real HTTP
//         protocol (RunnerClient: request_job with wait 0, then finish exited 0) by 1, 4 and 16
//         threads, each with its own runner identity; next to `pgbench -S` on the same PostgreSQL
//         and wrk on GET /healthz of the same serve, with the same concurrency.
//
// Local only (127.0.0.1 and unix sockets), every wait bounded, everything it starts stopped and
// removed on the way out (also on SIGINT/SIGTERM). It prints numbers and never asserts them: the
// exit code is 1 only when something is functionally wrong (a job did not pass, a claim was
// handed out twice, a container was left behind), 2 for a usage error, 130 when interrupted.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <pqxx/pqxx>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "runners/docker_executor.h"
#include "runners/runner_client.h"
#include "store/embedded_postgres.h"
#include "store/pipelines.h"
#include "tests/bench/common/bench_run.h"
#include "tests/support/git_fixture.h"
#include "tests/support/mlgate_process.h"
#include "tests/support/pg_cluster.h"
#include "tests/support/temp_dir.h"
#include "util/child_process.h"
#include "util/hash.h"
#include "webhooks/signature.h"

namespace mlgate::bench {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;
using namespace std::chrono_literals;

const std::string kImage = "mlgate/busybox:test";
const std::string kSecret = "bench-runners-secret";
const std::string kRepoName = "bench/model";

// Wall-clock nanoseconds: the clock the Docker daemon stamps its events with (same host).
std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string strip(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

std::string tail_of(const std::string& text, size_t lines) {
  size_t pos = text.size();
  for (size_t n = 0; n <= lines && pos > 0; ++n) {
    pos = text.rfind('\n', pos - 1);
    if (pos == std::string::npos) return text;
  }
  return text.substr(pos + 1);
}

std::string read_or_empty(const fs::path& p) {
  try {
    return testing::read_file(p);
  } catch (const std::exception&) {
    return "";
  }
}

// ---------------------------------------------------------------------------------------------
// Numbers

struct Stats {
  double median = 0, p90 = 0, min = 0, max = 0;
  size_t n = 0;
};

// Median (mean of the middle two for an even count), p90 by nearest rank.
Stats stats_of(std::vector<double> v) {
  Stats s;
  s.n = v.size();
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  s.median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  s.p90 = v[static_cast<size_t>(std::ceil(0.9 * static_cast<double>(n))) - 1];
  s.min = v.front();
  s.max = v.back();
  return s;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(v.size())));
  return v[std::clamp<size_t>(rank, 1, v.size()) - 1];
}

std::string fmt(const char* f, double a) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, a);
  return buf;
}

// ---------------------------------------------------------------------------------------------
// Options

struct Options {
  int runs = 20;
  int jobs = 2000;
  std::vector<int> concurrency = {1, 4, 16};
  int baseline_seconds = 5;
  int claim_cap_seconds = 120;
  std::string db = "embedded";  // embedded: serve's own durable cluster; throwaway: fsync off
  bool push = true;
  bool claims = true;
  bool verbose = false;
};

[[noreturn]] void usage_error(const std::string& why) {
  std::cerr << "bench_runners: " << why << "\n"
            << "usage: bench_runners [--runs N] [--jobs N] [--concurrency 1,4,16]\n"
               "                     [--baseline-seconds N] [--claim-cap-seconds N]\n"
               "                     [--db embedded|throwaway] [--only push|claims] [--verbose]\n";
  std::exit(2);
}

int int_arg(const std::string& name, const std::string& v, int lo, int hi) {
  if (auto n = int_in(v, lo, hi)) return *n;
  usage_error(name + " must be an integer from " + std::to_string(lo) + " to " +
              std::to_string(hi) + " (got '" + v + "')");
}

Options parse_options(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage_error(a + " needs a value");
      return argv[++i];
    };
    if (a == "--runs") {
      o.runs = int_arg(a, value(), 1, 500);
    } else if (a == "--jobs") {
      o.jobs = int_arg(a, value(), 1, 100000);
    } else if (a == "--concurrency") {
      o.concurrency.clear();
      std::stringstream in(value());
      for (std::string part; std::getline(in, part, ',');)
        o.concurrency.push_back(int_arg(a, part, 1, 64));
      if (o.concurrency.empty()) usage_error("--concurrency needs at least one number");
    } else if (a == "--baseline-seconds") {
      o.baseline_seconds = int_arg(a, value(), 1, 60);
    } else if (a == "--claim-cap-seconds") {
      o.claim_cap_seconds = int_arg(a, value(), 1, 600);
    } else if (a == "--db") {
      o.db = value();
      if (o.db != "embedded" && o.db != "throwaway") usage_error("--db is embedded or throwaway");
    } else if (a == "--only") {
      const std::string w = value();
      if (w != "push" && w != "claims") usage_error("--only is push or claims");
      o.push = w == "push";
      o.claims = w == "claims";
    } else if (a == "--verbose") {
      o.verbose = true;
    } else {
      usage_error("unknown argument '" + a + "'");
    }
  }
  return o;
}

// ---------------------------------------------------------------------------------------------
// The server, its database and the registered repository

class Env {
 public:
  explicit Env(const Options& o) : opts_(o) {
    // The embedded cluster runs as the unprivileged postgres user when we are root: it must be
    // able to traverse the directory.
    ::chmod(dir_.path().c_str(), 0711);
    testing::ServeProcessOptions so;
    so.data_dir = dir_.path() / "server";
    if (o.db == "throwaway") {
      auto& cluster = testing::PgCluster::instance();
      conninfo_ = cluster.create_database("bench");
      socket_dir_ = cluster.postgres().socket_dir();
      so.database_url = conninfo_;
    } else {
      socket_dir_ = so.data_dir / "postgres";
      conninfo_ = "host=" + socket_dir_.string() + " port=5432 user=mlgate dbname=mlgate";
    }
    progress("starting mlgate serve (" +
             std::string(o.db == "throwaway"
                             ? "throwaway PostgreSQL, fsync off"
                             : "its embedded PostgreSQL, durable, in " + so.data_dir.string()) +
             ")");
    serve_ = std::make_unique<testing::ServeProcess>(so);
    admin_ = strip(testing::read_file(so.data_dir / "admin-token"));
    progress("mlgate is ready at " + serve_->url());

    repo_.commit({{".mlgate.yml", "version: 1\nimage: " + kImage +
                                      "\ntiers:\n  functionality:\n    run: \"true\"\n"}},
                 "bench model");
    registration_token_ =
        register_bench_repo(host(), admin(), kRepoName, repo_.file_url(), kSecret, "bench runners");
    testing::write_file(dir_.path() / "registration-token", registration_token_ + "\n");
    db_ = std::make_unique<pqxx::connection>(conninfo_);
    // Container names are mlgate-<runner key>-j<job id>-a<attempt>; the key is random, and the
    // Docker daemon (and so the docker events stream) may be shared with other mlgate tests whose
    // job ids start at 1: ids of this run start at a large number of its own.
    const std::int64_t base = 100'000'000 + (now_ns() / 1000) % 800'000'000;
    pqxx::nontransaction tx(*db_);
    tx.exec("SELECT setval('runners_id_seq', " + std::to_string(base) +
            "), setval('pipelines_id_seq', " + std::to_string(base) + "), setval('jobs_id_seq', " +
            std::to_string(base) + ")");
  }

  ~Env() {
    db_.reset();
    serve_.reset();
    if (opts_.db == "throwaway") {
      try {
        testing::PgCluster::instance().drop_database(conninfo_);
      } catch (const std::exception&) {
      }
    }
  }

  std::string host() const { return serve_->host_port(); }
  std::string url() const { return serve_->url(); }
  std::vector<std::pair<std::string, std::string>> admin() const {
    return {{"Authorization", "Bearer " + admin_}};
  }
  const fs::path& dir() const { return dir_.path(); }
  testing::GitRepoFixture& repo() { return repo_; }
  testing::ServeProcess& serve() { return *serve_; }
  const std::string& registration_token() const { return registration_token_; }
  const std::string& conninfo() const { return conninfo_; }
  const fs::path& socket_dir() const { return socket_dir_; }
  pqxx::connection& db() { return *db_; }

  // Stops serve with SIGTERM; returns its wait status.
  int stop_serve() {
    db_.reset();
    return serve_->stop();
  }

 private:
  const Options& opts_;
  testing::TempDir dir_{"mlgate-bench-runners"};
  testing::GitRepoFixture repo_{"mlgate-bench-repo"};
  std::string conninfo_;
  fs::path socket_dir_;
  std::unique_ptr<testing::ServeProcess> serve_;
  std::string admin_;
  std::string registration_token_;
  std::unique_ptr<pqxx::connection> db_;
};

// ---------------------------------------------------------------------------------------------
// docker events: one stream for the whole push measurement

class DockerEvents {
 public:
  explicit DockerEvents(const fs::path& file) : file_(file) {
    util::ChildOptions o;
    o.stdout_path = file_.string();
    o.stderr_path = file_.string() + ".err";
    // --since a moment ago: the daemon replays what happened since then, so no start is lost
    // while the stream subscribes.
    const std::int64_t since = now_ns() - 1'000'000'000;
    char since_text[64];
    std::snprintf(since_text, sizeof since_text, "%lld.%09lld",
                  static_cast<long long>(since / 1'000'000'000),
                  static_cast<long long>(since % 1'000'000'000));
    child_ = util::ChildProcess(
        {"docker", "events", "--since", since_text, "--filter", "type=container", "--filter",
         "event=start", "--format", "{{.TimeNano}} {{.Actor.Attributes.name}}"},
        o);
  }
  ~DockerEvents() {
    if (child_.valid()) child_.stop(SIGTERM, 5s);
  }

  bool running() { return child_.running(); }
  std::string errors() const { return read_or_empty(file_.string() + ".err"); }

  // Reads the complete lines written since the last call.
  void poll() {
    std::ifstream in(file_, std::ios::binary);
    if (!in) return;
    in.seekg(static_cast<std::streamoff>(offset_));
    std::string chunk((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    size_t end = chunk.rfind('\n');
    if (end == std::string::npos) return;
    std::stringstream lines(chunk.substr(0, end + 1));
    offset_ += end + 1;
    for (std::string line; std::getline(lines, line);) {
      auto sp = line.find(' ');
      if (sp == std::string::npos) continue;
      try {
        starts_.emplace_back(line.substr(sp + 1), std::stoll(line.substr(0, sp)));
      } catch (const std::exception&) {
      }
    }
  }

  // The start time of the first container, in order of the stream, whose name matches.
  std::optional<std::pair<std::string, std::int64_t>> find(
      const std::function<bool(const std::string&)>& match) {
    poll();
    for (const auto& s : starts_)
      if (match(s.first)) return s;
    return std::nullopt;
  }

  std::optional<std::pair<std::string, std::int64_t>> wait_for(
      const std::function<bool(const std::string&)>& match, std::chrono::milliseconds timeout) {
    const auto deadline = SteadyClock::now() + timeout;
    while (true) {
      if (auto s = find(match)) return s;
      if (SteadyClock::now() >= deadline) return std::nullopt;
      nap(5ms);
    }
  }

 private:
  fs::path file_;
  util::ChildProcess child_;
  size_t offset_ = 0;
  std::vector<std::pair<std::string, std::int64_t>> starts_;
};

std::vector<std::string> containers_named(const std::string& fragment) {
  std::string out;
  util::run_capture({"docker", "ps", "-aq", "--filter", "name=" + fragment}, out);
  std::vector<std::string> ids;
  std::stringstream in(out);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) ids.push_back(line);
  return ids;
}

// Removes leftover containers whose name holds `fragment`; returns how many there were.
size_t remove_containers(const std::string& fragment) {
  auto ids = containers_named(fragment);
  if (ids.empty()) return 0;
  std::vector<std::string> argv = {"docker", "rm", "-f"};
  argv.insert(argv.end(), ids.begin(), ids.end());
  std::string out;
  util::run_capture(argv, out);
  return ids.size();
}

// ---------------------------------------------------------------------------------------------
// (a) push → container running

struct PushRun {
  double bare_ms = 0;      // docker run (minimal) → running
  double bare_job_ms = 0;  // docker run with the job's own argv → running
  double push_ms = 0;      // push → the job's container running
  double answered_ms = 0;  // push → 202 received
  double stored_ms = 0;    // push → delivery row's received_at (its transaction's start)
  double planned_ms = 0;   // push → the pipeline's first state change (written with the pipeline)
  double claimed_ms = 0;   // push → the job's queued → running state change (clock_timestamp())
};

class PushBench {
 public:
  PushBench(Env& env, const Options& o, std::vector<std::string>& failures)
      : env_(env), opts_(o), failures_(failures) {
    name_prefix_ = "mlgate-bench-" + std::to_string(::getpid()) + "-";
    fixture_ = json::parse(
        testing::read_file(std::string(MLGATE_SHARED_FIXTURES) + "/webhooks/github/push.json"));
    // The job's own `docker run` argv, for the second baseline: same flags, same kind of mounts.
    job_paths_ = {env_.dir() / "bare-job" / "workspace", env_.dir() / "bare-job" / "results"};
    fs::create_directories(job_paths_.workspace);
    fs::create_directories(job_paths_.results);
  }

  void run(std::vector<PushRun>& out) {
    check_docker();
    start_runner();
    events_ = std::make_unique<DockerEvents>(env_.dir() / "docker-events.log");
    struct Guard {
      PushBench* b;
      ~Guard() { b->stop_runner(); }
    } guard{this};

    // Warm-up, not counted: the events stream is subscribed (the first bare container's start is
    // seen), the image and the runner's mirror of the repository are warm.
    progress("warm-up: one bare docker run and one push (not counted)");
    bare_run(name_prefix_ + "warm", minimal_argv(name_prefix_ + "warm"), 30s);
    PushRun warm;
    push_run(-1, warm);
    progress("measuring " + std::to_string(opts_.runs) +
             " runs: bare docker run, docker run with the job's argv, push (interleaved)");
    for (int i = 0; i < opts_.runs; ++i) {
      PushRun r;
      const std::string n1 = name_prefix_ + "b" + std::to_string(i);
      r.bare_ms = bare_run(n1, minimal_argv(n1), 60s);
      nap(300ms);
      const std::string n2 = name_prefix_ + "j" + std::to_string(i);
      r.bare_job_ms = bare_run(n2, job_argv(n2, i), 60s);
      nap(300ms);
      push_run(i, r);
      out.push_back(r);
      if (opts_.verbose) {
        std::cerr << "  run " << i + 1 << ": bare " << fmt("%.0f", r.bare_ms) << " ms, job argv "
                  << fmt("%.0f", r.bare_job_ms) << " ms, push " << fmt("%.0f", r.push_ms)
                  << " ms\n";
      }
    }
    all_runs_done_ = true;
  }

  // Stops the runner and the events stream and removes leftover containers; never throws.
  void stop_runner() noexcept {
    try {
      stop_runner_or_throw();
    } catch (const std::exception& e) {
      failures_.push_back(std::string("cleaning up after the push measurement: ") + e.what());
    }
  }

  void stop_runner_or_throw() {
    if (runner_.valid() && runner_.running()) {
      // After its last job the runner exits by itself (--max-jobs): no long poll is left behind
      // on the server that could claim a job of the claim measurement for a runner that is gone.
      // Otherwise SIGTERM: it finishes its long poll (up to --claim-wait) and exits.
      std::optional<int> exited;
      if (all_runs_done_) exited = runner_.wait_for(60s);
      int st = exited ? *exited : runner_.stop(SIGTERM, 45s);
      if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0))
        failures_.push_back("mlgate runner " + util::describe_wait_status(st) +
                            (exited ? " after its last job" : " after SIGTERM"));
    }
    events_.reset();
    // Nothing may be left behind: the runner removes its job containers, --rm the bare ones.
    size_t left = runner_key_.empty() ? 0 : remove_containers("mlgate-" + runner_key_ + "-");
    left += remove_containers(name_prefix_);
    if (left)
      failures_.push_back(std::to_string(left) + " container(s) were left behind (removed now)");
  }

  std::string runner_log() const { return read_or_empty(env_.dir() / "runner" / "runner.log"); }

 private:
  void check_docker() {
    std::string out;
    int st = util::run_capture({"docker", "image", "inspect", "--format", "{{.Id}}", kImage}, out);
    if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0))
      throw std::runtime_error("the image " + kImage +
                               " is not present (scripts/images busybox builds it): " + strip(out));
  }

  void start_runner() {
    const fs::path work = env_.dir() / "runner";
    fs::create_directories(work);
    std::vector<std::string> argv = {MLGATE_BINARY,  "runner",
                                     "--server",     env_.url(),
                                     "--token-file", (env_.dir() / "registration-token").string(),
                                     "--work-dir",   work.string(),
                                     "--name",       "bench-docker",
                                     "--executor",   "docker",
                                     "--capacity",   "1",
                                     "--claim-wait", "30",
                                     "--max-jobs",   std::to_string(opts_.runs + 1)};
    util::ChildOptions o;
    o.stdout_path = (work / "runner.log").string();
    o.stderr_path = "=stdout";
    runner_ = util::ChildProcess(argv, o);
    progress("starting mlgate runner --executor docker --capacity 1 --claim-wait 30 --max-jobs " +
             std::to_string(opts_.runs + 1));
    const auto deadline = SteadyClock::now() + 60s;
    while (true) {
      {
        pqxx::nontransaction tx(env_.db());
        auto r = tx.exec("SELECT id FROM runners WHERE name = 'bench-docker'");
        // Registered, and its key (the name part of its containers) written to runner.json.
        auto identity = json::parse(read_or_empty(work / "runner.json"), nullptr, false);
        if (!r.empty() && identity.is_object() && !identity.value("key", "").empty()) {
          runner_id_ = r[0][0].as<std::int64_t>();
          runner_key_ = identity.value("key", "");
          break;
        }
      }
      if (!runner_.running())
        throw std::runtime_error("mlgate runner exited at start; its log:\n" +
                                 tail_of(runner_log(), 20));
      if (SteadyClock::now() > deadline)
        throw std::runtime_error("mlgate runner did not register within 60 s; its log:\n" +
                                 tail_of(runner_log(), 20));
      nap(50ms);
    }
  }

  std::vector<std::string> minimal_argv(const std::string& name) const {
    return {"docker", "run", "--rm", "--name", name, "--network", "none", kImage, "true"};
  }

  std::vector<std::string> job_argv(const std::string& name, int i) const {
    runners::JobSpec job;
    job.job_id = 1000000 + i;
    job.pipeline_id = 1000000 + i;
    job.repo = kRepoName;
    job.sha = std::string(40, 'b');
    job.ref = "refs/heads/main";
    job.tier = "functionality";
    job.image = kImage;
    job.command = "true";
    runners::DockerOptions o;
    o.runner_key = "r0-bench";  // no runner has this key: the label matches nobody's orphans
    return runners::docker_run_argv(job, job_paths_, o, name);
  }

  // Runs `docker run` to its end; returns the milliseconds from invoking it to its container's
  // start event.
  double bare_run(const std::string& name, const std::vector<std::string>& argv,
                  std::chrono::seconds timeout) {
    check_interrupted();
    std::string out;
    const std::int64_t t0 = now_ns();
    int st = util::run_capture(argv, out);
    if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0))
      throw std::runtime_error("docker run " + name + " " + util::describe_wait_status(st) + ": " +
                               strip(out));
    auto ev = events_->wait_for([&](const std::string& n) { return n == name; }, timeout);
    if (!ev) {
      throw std::runtime_error("no start event for container " + name +
                               " (docker events: " + strip(events_->errors()) + ")");
    }
    return static_cast<double>(ev->second - t0) / 1e6;
  }

  // One push: a new commit, a signed delivery, then the job's container start event; waits for
  // the pipeline to end and checks that it passed.
  void push_run(int i, PushRun& r) {
    check_interrupted();
    const std::string sha = env_.repo().commit({{"run.txt", std::to_string(i) + "\n"}},
                                               "bench run " + std::to_string(i));
    json p = fixture_;
    p["ref"] = "refs/heads/main";
    p["after"] = sha;
    p["head_commit"]["id"] = sha;
    p["repository"]["full_name"] = kRepoName;
    p["repository"]["name"] = "model";
    p["repository"]["default_branch"] = "main";
    const std::string body = p.dump();
    const std::string signature = "sha256=" + util::hmac_sha256_hex(kSecret, body);
    const std::string delivery = name_prefix_ + "push-" + std::to_string(i);
    const std::vector<std::pair<std::string, std::string>> headers = {
        {"X-GitHub-Event", "push"},
        {"X-GitHub-Delivery", delivery},
        {"X-Hub-Signature-256", signature}};
    // The runner is idle in its long poll: the previous pipeline ended (its finish was the
    // runner's last call) a second ago at least.
    const std::int64_t t0 = now_ns();
    auto answer =
        testing::http_post(env_.host(), "/webhooks/github", body, "application/json", headers);
    r.answered_ms = static_cast<double>(now_ns() - t0) / 1e6;
    if (answer.status != 202)
      throw std::runtime_error("push " + std::to_string(i) + " answered " +
                               std::to_string(answer.status) + ": " + answer.body);
    // The pipeline's end, and where the time went, from the database.
    const auto deadline = SteadyClock::now() + 120s;
    std::string state;
    std::int64_t job_id = 0;
    int attempt = 0;
    std::string job_state;
    while (true) {
      {
        pqxx::nontransaction tx(env_.db());
        auto rows = tx.exec_params(
            "SELECT p.state, j.id, j.attempt, j.state, "
            "  extract(epoch FROM d.received_at)::float8,"
            "  (SELECT extract(epoch FROM min(s.at))::float8 FROM state_changes s"
            "    WHERE s.pipeline_id = p.id AND s.job_id IS NULL),"
            "  (SELECT extract(epoch FROM s.at)::float8 FROM state_changes s WHERE s.job_id = j.id"
            "    AND s.to_state = 'running' ORDER BY s.id LIMIT 1) "
            "FROM pipelines p JOIN jobs j ON j.pipeline_id = p.id "
            "JOIN webhook_deliveries d ON d.id = p.delivery_id "
            "WHERE p.sha = $1 AND d.delivery_id = $2",
            sha, delivery);
        if (!rows.empty()) {
          state = rows[0][0].as<std::string>();
          job_id = rows[0][1].as<std::int64_t>();
          attempt = rows[0][2].as<int>();
          job_state = rows[0][3].as<std::string>();
          const double t0s = static_cast<double>(t0) / 1e9;
          r.stored_ms = (rows[0][4].as<double>() - t0s) * 1e3;
          if (!rows[0][5].is_null()) r.planned_ms = (rows[0][5].as<double>() - t0s) * 1e3;
          if (!rows[0][6].is_null()) r.claimed_ms = (rows[0][6].as<double>() - t0s) * 1e3;
          if (state == "passed" || state == "failed" || state == "cancelled" || state == "error")
            break;
        }
      }
      if (SteadyClock::now() > deadline)
        throw std::runtime_error("push " + std::to_string(i) +
                                 ": the pipeline did not end within 120 s (state '" + state +
                                 "'); runner log:\n" + tail_of(runner_log(), 20));
      nap(50ms);
    }
    if (state != "passed" || job_state != "passed" || attempt != 1)
      failures_.push_back("push " + std::to_string(i) + ": pipeline " + state + ", job " +
                          job_state + " at attempt " + std::to_string(attempt));
    // The job's container, by its exact name (the ids are unique to this run, see Env). The
    // daemon stamped its start; the stream may deliver it a little after the pipeline ended.
    const std::string runner_prefix = "mlgate-" + runner_key_ + "-";
    const std::string expected =
        runner_prefix + "j" + std::to_string(job_id) + "-a" + std::to_string(attempt);
    expected_.insert(expected);
    auto ev = events_->wait_for([&](const std::string& n) { return n == expected; }, 30s);
    if (!ev)
      throw std::runtime_error("push " + std::to_string(i) + ": no start event for " + expected +
                               " although the pipeline ended " + state + "; runner log:\n" +
                               tail_of(runner_log(), 20));
    r.push_ms = static_cast<double>(ev->second - t0) / 1e6;
    // No other container of this runner may have started.
    events_->find([&](const std::string& n) {
      if (n.rfind(runner_prefix, 0) == 0 && !expected_.count(n) && !unexpected_.count(n)) {
        unexpected_.insert(n);
        failures_.push_back("push " + std::to_string(i) + ": an unexpected container " + n +
                            " of the runner started");
      }
      return false;
    });
    // Let the runner go back into its long poll before the next push.
    nap(1000ms);
  }

  Env& env_;
  const Options& opts_;
  std::vector<std::string>& failures_;
  std::string name_prefix_;
  json fixture_;
  runners::RunPaths job_paths_;
  util::ChildProcess runner_;
  std::int64_t runner_id_ = 0;
  std::string runner_key_;
  std::unique_ptr<DockerEvents> events_;
  std::set<std::string> expected_, unexpected_;
  bool all_runs_done_ = false;
};

void report_push(const std::vector<PushRun>& runs) {
  auto column = [&](double PushRun::*m) {
    std::vector<double> v;
    for (const auto& r : runs) v.push_back(r.*m);
    return stats_of(v);
  };
  const Stats bare = column(&PushRun::bare_ms), job = column(&PushRun::bare_job_ms),
              push = column(&PushRun::push_ms);
  std::cout << "\n(a) push → container running: " << runs.size()
            << " runs of each, interleaved; \"running\" = the daemon's start event "
               "(docker events .TimeNano)\n\n";
  std::printf("%-44s %8s %8s %8s %8s\n", "from ... until the container is running (ms)", "median",
              "p90", "min", "max");
  auto row = [](const char* what, const Stats& s) {
    std::printf("%-44s %8.0f %8.0f %8.0f %8.0f\n", what, s.median, s.p90, s.min, s.max);
  };
  row("docker run --rm --network none (bare)", bare);
  row("docker run with the job's own argv (bare)", job);
  row("signed push to mlgate serve (mlgate)", push);
  std::printf(
      "\npush→running median %.2f s (p90 %.2f, min %.2f, max %.2f) | bare docker "
      "run→running median %.2f s | ratio %.2f\n",
      push.median / 1e3, push.p90 / 1e3, push.min / 1e3, push.max / 1e3, bare.median / 1e3,
      push.median / bare.median);
  std::printf(
      "mlgate overhead (median push − median bare): %+.0f ms; over the job's own argv "
      "(median %.2f s, ratio %.2f): %+.0f ms\n",
      push.median - bare.median, job.median / 1e3, push.median / job.median,
      push.median - job.median);
  std::vector<double> paired;
  for (const auto& r : runs) paired.push_back(r.push_ms - r.bare_ms);
  std::printf("median of the per-run differences push − bare: %+.0f ms\n", stats_of(paired).median);
  std::printf(
      "\nwhere the push's time goes (median ms after sending it, from database timestamps):\n"
      "  intake transaction began %.0f, 202 answered %.0f, pipeline written %.0f, job claimed "
      "(queued → running) %.0f, container running %.0f\n",
      column(&PushRun::stored_ms).median, column(&PushRun::answered_ms).median,
      column(&PushRun::planned_ms).median, column(&PushRun::claimed_ms).median, push.median);
}

// ---------------------------------------------------------------------------------------------
// (b) queue claims per second

struct ClaimLevel {
  int concurrency = 0;
  long queued = 0;
  long completed = 0;
  double seconds = 0;
  bool capped = false;
  long left = 0;
  std::vector<double> claim_ms, finish_ms;
  double pgbench_tps = 0;
  double healthz_rps = 0;
  long lost_claims = 0;        // request_job calls that got no HTTP answer (retried)
  long finish_retries = 0;     // finish calls that got no HTTP answer (retried)
  long stranded = 0;           // jobs left running by a lost claim answer
  long listen_overflows = -1;  // TcpExt ListenOverflows during the level (whole host)
  std::string first_transport_error;
};

// The kernel's count of connections dropped because a listen queue was full (whole network
// namespace); -1 when it cannot be read.
long listen_overflows() {
  std::ifstream in("/proc/net/netstat");
  std::string names, values;
  while (std::getline(in, names) && std::getline(in, values)) {
    if (names.rfind("TcpExt:", 0) != 0) continue;
    std::stringstream n(names), v(values);
    std::string key, value;
    while (n >> key && v >> value) {
      if (key == "ListenOverflows") return std::stol(value);
    }
  }
  return -1;
}

std::string tool_path(const std::string& name) {
  try {
    fs::path p = store::find_postgres_bindir() / name;
    if (fs::exists(p)) return p.string();
  } catch (const std::exception&) {
  }
  return name;
}

class ClaimsBench {
 public:
  ClaimsBench(Env& env, const Options& o, std::vector<std::string>& failures)
      : env_(env), opts_(o), failures_(failures) {}

  void run(std::vector<ClaimLevel>& out) {
    const int most = *std::max_element(opts_.concurrency.begin(), opts_.concurrency.end());
    progress("registering " + std::to_string(most) + " runner identities through the API");
    for (int i = 0; i < most; ++i) {
      runners::RegisterRequest req;
      req.name = "bench-claimer-" + std::to_string(i + 1);
      req.executor = "local";
      req.version = "bench";
      auto reg = runners::RunnerClient::register_runner(env_.url(), env_.registration_token(), req);
      credentials_.push_back(reg.token);
    }
    {
      pqxx::nontransaction tx(env_.db());
      repo_id_ = tx.exec1("SELECT id FROM repos")[0].as<std::int64_t>();
      // Whatever the push measurement left must not be claimable here.
      if (tx.exec1("SELECT count(*) FROM jobs WHERE state IN ('queued', 'running')")[0].as<long>())
        throw std::runtime_error("jobs are still queued or running before the claim measurement");
    }
    init_pgbench();
    for (int n : opts_.concurrency) {
      check_interrupted();
      ClaimLevel level;
      level.concurrency = n;
      progress(std::to_string(n) + " concurrent: pgbench -S (" +
               std::to_string(opts_.baseline_seconds) + " s)");
      level.pgbench_tps = pgbench(n);
      progress(std::to_string(n) + " concurrent: wrk GET /healthz (" +
               std::to_string(opts_.baseline_seconds) + " s)");
      level.healthz_rps = wrk(n);
      progress(std::to_string(n) + " concurrent: queueing " + std::to_string(opts_.jobs) +
               " jobs, then claim → finish until the queue is empty");
      claim_level(level);
      out.push_back(std::move(level));
    }
  }

 private:
  std::vector<std::string> pg_args() const {
    return {"-h", env_.socket_dir().string(), "-p", "5432", "-U", "mlgate"};
  }

  void init_pgbench() {
    {
      pqxx::nontransaction tx(env_.db());
      tx.exec("DROP DATABASE IF EXISTS bench_pgbench");
      tx.exec("CREATE DATABASE bench_pgbench");
    }
    progress("pgbench -i -s 1 bench_pgbench (same PostgreSQL server, its own database)");
    std::vector<std::string> argv = {tool_path("pgbench"), "-i", "-q", "-s", "1"};
    auto a = pg_args();
    argv.insert(argv.end(), a.begin(), a.end());
    argv.push_back("bench_pgbench");
    std::string out;
    int st = util::run_capture(argv, out);
    if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0))
      throw std::runtime_error("pgbench -i " + util::describe_wait_status(st) + ":\n" + out);
  }

  double pgbench(int n) {
    std::vector<std::string> argv = {
        tool_path("pgbench"),
        "-S",
        "-n",
        "-c",
        std::to_string(n),
        "-j",
        std::to_string(std::min<unsigned>(static_cast<unsigned>(n),
                                          std::max(1u, std::thread::hardware_concurrency()))),
        "-T",
        std::to_string(opts_.baseline_seconds)};
    auto a = pg_args();
    argv.insert(argv.end(), a.begin(), a.end());
    argv.push_back("bench_pgbench");
    std::string out;
    int st = util::run_capture(argv, out);
    if (opts_.verbose) std::cerr << out;
    if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0))
      throw std::runtime_error("pgbench -S " + util::describe_wait_status(st) + ":\n" + out);
    static const std::regex re(R"(tps = ([0-9.]+) \(without initial connection time\))");
    static const std::regex any(R"(tps = ([0-9.]+))");
    std::smatch m;
    if (std::regex_search(out, m, re) || std::regex_search(out, m, any)) return std::stod(m[1]);
    throw std::runtime_error("pgbench printed no tps:\n" + out);
  }

  double wrk(int n) {
    const int threads = std::min(n, 2);
    std::vector<std::string> argv = {
        "wrk", "-t" + std::to_string(threads), "-c" + std::to_string(n),
        "-d" + std::to_string(opts_.baseline_seconds) + "s", env_.url() + "/healthz"};
    std::string out;
    int st = util::run_capture(argv, out);
    if (opts_.verbose) std::cerr << out;
    if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0))
      throw std::runtime_error("wrk " + util::describe_wait_status(st) + ":\n" + out);
    if (out.find("Non-2xx or 3xx responses") != std::string::npos ||
        out.find("Socket errors") != std::string::npos)
      failures_.push_back("wrk GET /healthz with " + std::to_string(n) +
                          " connections had errors:\n" + out);
    static const std::regex re(R"(Requests/sec:\s+([0-9.]+))");
    std::smatch m;
    if (std::regex_search(out, m, re)) return std::stod(m[1]);
    throw std::runtime_error("wrk printed no Requests/sec:\n" + out);
  }

  // Queues opts_.jobs one-job pipelines in one transaction; returns the first and last pipeline id.
  std::pair<std::int64_t, std::int64_t> queue_jobs() {
    pqxx::work tx(env_.db());
    std::int64_t first = 0, last = 0;
    for (int i = 0; i < opts_.jobs; ++i) {
      store::NewPipeline p;
      p.repo_id = repo_id_;
      p.trigger = "manual";
      p.ref = "refs/heads/bench";
      p.branch = "bench";
      p.sha = std::string(40, 'c');
      store::NewJob j;
      j.tier = "functionality";
      j.image = "none";
      j.command = "true";
      p.jobs.push_back(j);
      last = store::create_pipeline(tx, p);
      if (!first) first = last;
    }
    tx.commit();
    // After a bulk load PostgreSQL's manual says to ANALYZE ("Populating a Database"): a running
    // server's tables have statistics from autovacuum, but this level lasts less than autovacuum's
    // first look at 20,000 new rows, and without statistics the planner reads every job and
    // pipeline for the forge reporter's lookups by id.
    pqxx::nontransaction(env_.db()).exec("ANALYZE jobs, pipelines");
    return {first, last};
  }

  void claim_level(ClaimLevel& level) {
    const auto [first, last] = queue_jobs();
    {
      pqxx::nontransaction tx(env_.db());
      level.queued = tx.exec1("SELECT count(*) FROM jobs WHERE state = 'queued'")[0].as<long>();
    }
    if (level.queued != opts_.jobs)
      failures_.push_back(std::to_string(level.concurrency) +
                          " claimers: " + std::to_string(level.queued) + " jobs queued, " +
                          std::to_string(opts_.jobs) + " inserted");

    struct PerThread {
      std::vector<double> claim_ms, finish_ms;
      std::vector<std::int64_t> jobs;
      long lost_claims = 0, finish_retries = 0;
      std::vector<std::string> errors, transport;
    };
    std::vector<PerThread> per(static_cast<size_t>(level.concurrency));
    std::mutex m;
    std::condition_variable cv;
    bool go = false;
    std::atomic<bool> capped{false};
    std::atomic<bool> broken{false};
    const auto cap = std::chrono::seconds(opts_.claim_cap_seconds);
    SteadyClock::time_point start;
    std::vector<std::thread> threads;
    const long overflows_before = listen_overflows();
    for (int t = 0; t < level.concurrency; ++t) {
      threads.emplace_back([&, t] {
        PerThread& me = per[static_cast<size_t>(t)];
        runners::RunnerClient client(env_.url(), credentials_[static_cast<size_t>(t)]);
        {
          std::unique_lock lock(m);
          cv.wait(lock, [&] { return go; });
        }
        // A transport failure (no HTTP answer) is retried the way the runner agent retries it;
        // ten in a row, or any answer the protocol does not define, ends the level as broken.
        int in_a_row = 0;
        auto transport_failure = [&](const runners::RunnerClientError& e) {
          if (e.status() != 0 || ++in_a_row >= 10) throw;
          me.transport.push_back(e.what());
        };
        try {
          while (!g_interrupted && !broken) {
            if (SteadyClock::now() - start > cap) {
              capped = true;
              break;
            }
            auto c0 = SteadyClock::now();
            std::optional<runners::Claim> claim;
            try {
              claim = client.request_job({}, 0);
            } catch (const runners::RunnerClientError& e) {
              // The server may have claimed a job for us that we never heard of: it stays
              // running until its lease expires (counted, and checked below).
              transport_failure(e);
              ++me.lost_claims;
              continue;
            }
            auto c1 = SteadyClock::now();
            if (!claim) break;  // nothing queued: the others took the rest
            const auto id = claim->job.value("id", std::int64_t{0});
            const int attempt = claim->job.value("attempt", 0);
            runners::FinishReply fin;
            for (int tries = 0;; ++tries) {
              try {
                fin = client.finish(id, attempt, "exited", 0, "", false);
                // A retried finish whose first try was applied is answered "not held", with
                // the state the first one set.
                if (tries > 0 && !fin.held && fin.state == "passed") fin.held = true;
                break;
              } catch (const runners::RunnerClientError& e) {
                transport_failure(e);
                ++me.finish_retries;
              }
            }
            in_a_row = 0;
            auto c2 = SteadyClock::now();
            me.claim_ms.push_back(std::chrono::duration<double, std::milli>(c1 - c0).count());
            me.finish_ms.push_back(std::chrono::duration<double, std::milli>(c2 - c1).count());
            me.jobs.push_back(id);
            if (!fin.held || fin.state != "passed")
              me.errors.push_back("job " + std::to_string(id) + " attempt " +
                                  std::to_string(attempt) + ": finish " +
                                  (fin.held ? "gave state " + fin.state : "lost the lease"));
          }
        } catch (const std::exception& e) {
          me.errors.push_back(e.what());
          broken = true;
        }
      });
    }
    {
      std::lock_guard lock(m);
      start = SteadyClock::now();
      go = true;
    }
    cv.notify_all();
    for (auto& th : threads) th.join();
    level.seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
    const long overflows_after = listen_overflows();
    if (overflows_before >= 0 && overflows_after >= 0)
      level.listen_overflows = overflows_after - overflows_before;
    check_interrupted();
    level.capped = capped;

    std::set<std::int64_t> distinct;
    for (auto& p : per) {
      level.claim_ms.insert(level.claim_ms.end(), p.claim_ms.begin(), p.claim_ms.end());
      level.finish_ms.insert(level.finish_ms.end(), p.finish_ms.begin(), p.finish_ms.end());
      level.completed += static_cast<long>(p.jobs.size());
      level.lost_claims += p.lost_claims;
      level.finish_retries += p.finish_retries;
      distinct.insert(p.jobs.begin(), p.jobs.end());
      for (size_t e = 0; e < p.errors.size() && e < 3; ++e)
        failures_.push_back(std::to_string(level.concurrency) + " claimers: " + p.errors[e]);
      if (level.first_transport_error.empty() && !p.transport.empty())
        level.first_transport_error = p.transport.front();
    }
    const std::string who = std::to_string(level.concurrency) + " claimers: ";
    if (static_cast<long>(distinct.size()) != level.completed)
      failures_.push_back(who +
                          std::to_string(level.completed - static_cast<long>(distinct.size())) +
                          " job(s) were handed out twice");

    // The database agrees: every claimed job passed on its first attempt; the only jobs still
    // running are ones whose claim answer was lost (their lease has not expired yet).
    pqxx::work tx(env_.db());
    const std::string range = " BETWEEN " + std::to_string(first) + " AND " + std::to_string(last);
    level.left =
        tx.exec1("SELECT count(*) FROM jobs WHERE state = 'queued' AND pipeline_id" + range)[0]
            .as<long>();
    if (level.left > 0 && !level.capped && !broken)
      failures_.push_back(who + std::to_string(level.left) +
                          " job(s) still queued although a claim found none");
    auto row = tx.exec1(
        "SELECT count(*) FILTER (WHERE state = 'passed'), count(*) FILTER (WHERE state = "
        "'running'), count(*) FILTER (WHERE attempt > 1), "
        "(SELECT count(*) FROM job_attempts a JOIN jobs j ON j.id = a.job_id WHERE a.outcome = "
        "'passed' AND j.pipeline_id" +
        range + ") FROM jobs WHERE pipeline_id" + range);
    const long passed = row[0].as<long>(), running = row[1].as<long>(), retried = row[2].as<long>(),
               attempts = row[3].as<long>();
    if (passed != level.completed || attempts != level.completed)
      failures_.push_back(who + std::to_string(level.completed) + " claims finished, but " +
                          std::to_string(passed) + " jobs and " + std::to_string(attempts) +
                          " attempts passed in the database");
    if (running > level.lost_claims || retried > level.lost_claims)
      failures_.push_back(who + std::to_string(running) + " job(s) still running and " +
                          std::to_string(retried) + " with more than one attempt, but only " +
                          std::to_string(level.lost_claims) + " claim answer(s) were lost");
    level.stranded = running;
    // The next level starts from an empty queue: what is left at the time cap, and jobs claimed
    // by a lost answer (which would be queued again when their lease expires), are cancelled.
    tx.exec(
        "UPDATE job_attempts a SET ended_at = now(), outcome = 'cancelled' FROM jobs j "
        "WHERE a.job_id = j.id AND a.attempt = j.attempt AND a.ended_at IS NULL "
        "AND j.state = 'running' AND j.pipeline_id" +
        range);
    tx.exec(
        "UPDATE jobs SET state = 'cancelled', lease_expires_at = NULL, finished_at = now(), "
        "message = 'bench: left at the end of the level' "
        "WHERE state IN ('queued', 'running') AND pipeline_id" +
        range);
    tx.commit();
  }

  Env& env_;
  const Options& opts_;
  std::vector<std::string>& failures_;
  std::vector<std::string> credentials_;
  std::int64_t repo_id_ = 0;
};

void report_claims(const std::vector<ClaimLevel>& levels, const Options& o) {
  std::cout << "\n(b) queue claims per second: " << o.jobs
            << " one-job pipelines queued per level; each claim = POST /api/v1/runner/jobs/request "
               "(wait 0)\n    + POST .../finish (exited 0) through RunnerClient, one runner "
               "identity per thread; baselines with the same\n    concurrency for "
            << o.baseline_seconds
            << " s each: pgbench -S (select-only) on the same PostgreSQL, wrk GET /healthz on the "
               "same serve\n\n";
  std::printf("%9s %7s %9s %15s %16s %12s %9s %12s %9s\n", "claimers", "claims", "claims/s",
              "claim p50/p99", "finish p50/p99", "pgbench tps", "ratio", "healthz r/s", "ratio");
  for (const auto& l : levels) {
    const double rate = l.seconds > 0 ? static_cast<double>(l.completed) / l.seconds : 0;
    std::printf("%9d %7ld %9.0f %7.1f/%-7.1f %8.1f/%-7.1f %12.0f %9.4f %12.0f %9.4f%s\n",
                l.concurrency, l.completed, rate, percentile(l.claim_ms, 0.5),
                percentile(l.claim_ms, 0.99), percentile(l.finish_ms, 0.5),
                percentile(l.finish_ms, 0.99), l.pgbench_tps,
                l.pgbench_tps > 0 ? rate / l.pgbench_tps : 0, l.healthz_rps,
                l.healthz_rps > 0 ? rate / l.healthz_rps : 0,
                l.capped ? ("  (time cap: " + std::to_string(l.left) + " left)").c_str() : "");
  }
  std::cout << "(latencies in ms, per call; ratio = claims/s ÷ the baseline's transactions or "
               "requests per second)\n\n";
  std::printf("%9s %20s %15s %15s %26s\n", "claimers", "claims unanswered", "finish retries",
              "jobs stranded", "listen queue overflows");
  for (const auto& l : levels) {
    std::printf("%9d %20ld %15ld %15ld %26s\n", l.concurrency, l.lost_claims, l.finish_retries,
                l.stranded,
                l.listen_overflows < 0 ? "?" : std::to_string(l.listen_overflows).c_str());
  }
  std::cout << "(a call without an HTTP answer is retried as the runner agent would; a claim "
               "answered into the void leaves its job\n running until the lease expires; "
               "overflows: TcpExt ListenOverflows of the whole host during the level)\n";
  for (const auto& l : levels) {
    if (!l.first_transport_error.empty())
      std::cout << "first transport error with " << l.concurrency
                << " claimers: " << l.first_transport_error << "\n";
  }
}

// ---------------------------------------------------------------------------------------------

int run(const Options& o) {
  std::vector<std::string> failures;
  std::vector<PushRun> push_runs;
  std::vector<ClaimLevel> levels;
  std::string runner_log;
  {
    Env env(o);
    if (o.push) {
      PushBench pb(env, o, failures);
      try {
        pb.run(push_runs);  // stops the runner on every way out
      } catch (...) {
        if (!g_interrupted) std::cerr << "runner log (tail):\n" << tail_of(pb.runner_log(), 15);
        throw;
      }
      runner_log = pb.runner_log();
    }
    if (o.claims) {
      ClaimsBench cb(env, o, failures);
      cb.run(levels);
    }
    progress("stopping mlgate serve");
    int st = env.stop_serve();
    if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0))
      failures.push_back("mlgate serve " + util::describe_wait_status(st) + " after SIGTERM");
    else
      std::cerr << "mlgate serve exited with 0 after SIGTERM\n";
    if (!failures.empty()) {
      std::cerr << "serve log (tail):\n" << tail_of(env.serve().log(), 15);
      if (!runner_log.empty()) std::cerr << "runner log (tail):\n" << tail_of(runner_log, 15);
    }
  }

  std::stringstream loadavg(read_or_empty("/proc/loadavg"));
  std::string l1, l5, l15;
  loadavg >> l1 >> l5 >> l15;
  std::cout << "\nmlgate runners benchmark: " << std::thread::hardware_concurrency()
            << " cores, load average " << l1 << " " << l5 << " " << l15 << ", database: "
            << (o.db == "throwaway" ? "throwaway cluster (fsync off)"
                                    : "serve's embedded PostgreSQL (durable)")
            << "\n";
  if (!push_runs.empty()) report_push(push_runs);
  if (!levels.empty()) report_claims(levels, o);
  std::cout << std::endl;
  if (!failures.empty()) {
    for (const auto& f : failures) std::cout << "FAIL: " << f << "\n";
    return 1;
  }
  std::cout << "bench runners: OK (numbers are printed, not asserted)" << std::endl;
  return 0;
}

}  // namespace
}  // namespace mlgate::bench

int main(int argc, char** argv) {
  using namespace mlgate::bench;
  const Options o = parse_options(argc, argv);
  // The stop signals end the run through the normal path: destructors stop serve, the runner,
  // docker events and the cluster, and remove the temporary directories.
  return run_bench("bench_runners", [&] { return run(o); });
}
