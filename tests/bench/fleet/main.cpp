// scripts/bench fleet (docs/bench.md, section "fleet"): one `mlgate serve` on a throwaway
// PostgreSQL database with a fleet's worth of idle connections — runner slots long-polling for a
// claim and slow clients dripping header bytes (tests/bench/fleet/fleet_load.h) — and what that
// does to the traffic that matters, each measured first without the load and then under it, in
// the same run:
//
//  GET /healthz                 wrk, req/s, p50, p99
//  POST /webhooks/github        wrk, signed push deliveries, each a new delivery id (the scripts of
//                               tests/bench/webhooks), 202 acks per second
//  GET …/gate, cache hit        the same candidate sha again and again (tests/bench/gate_api)
//
// plus serve's RSS, threads and descriptors (/proc) idle and under the load, and the load average.
// Under the load it also queues jobs for the parked polls and checks that each is claimed once and
// finished over the protocol. HTTP only: it measures whichever server `mlgate serve` runs.
//
// It prints numbers and never asserts them: the exit code is 1 only when something is functionally
// wrong (an answer that is not HTTP or not the expected one, a job handed out twice, a finish
// refused, serve not exiting cleanly), 2 for a usage error, 130 when interrupted. Connection errors
// and client-side timeouts are counted and printed.
#include <sys/resource.h>
#include <sys/wait.h>

#include <algorithm>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "store/pipelines.h"
#include "tests/bench/fleet/fleet.h"
#include "tests/bench/gate_api/gate_env.h"
#include "tests/bench/gate_api/model_repo.h"
#include "tests/support/temp_dir.h"
#include "util/hash.h"

namespace mlgate::bench {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

[[noreturn]] void usage_error(const std::string& why) {
  std::cerr << "bench_fleet: " << why << "\n"
            << "usage: bench_fleet [--seconds N] [--runners N] [--polls-per-runner N] [--drips N]\n"
               "                   [--drip-ms N] [--jobs N] [--jobs-wait N] [--clients N]\n"
               "                   [--predictions N] [--http-threads N] [--verbose]\n";
  std::exit(2);
}

}  // namespace

FleetOptions parse_options(int argc, char** argv) {
  FleetOptions o;
  const std::map<std::string, std::tuple<int*, int, int>> ints = {
      {"--seconds", {&o.seconds, 1, 120}},
      {"--runners", {&o.runners, 1, 2000}},
      {"--polls-per-runner", {&o.polls_per_runner, 1, 16}},
      {"--drips", {&o.drips, 0, 5000}},
      {"--drip-ms", {&o.drip_ms, 10, 60000}},
      {"--jobs", {&o.jobs, 0, 1000}},
      {"--jobs-wait", {&o.jobs_wait, 1, 600}},
      {"--clients", {&o.clients, 1, 256}},
      {"--predictions", {&o.predictions, 10, 100000}},
      {"--http-threads", {&o.http_threads, 1, 10000}}};
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--verbose") {
      o.verbose = true;
      continue;
    }
    const auto it = ints.find(a);
    if (it == ints.end()) usage_error("unknown argument '" + a + "'");
    if (i + 1 >= argc) usage_error(a + " needs a value");
    const auto [target, lo, hi] = it->second;
    const auto v = int_in(argv[++i], lo, hi);
    if (!v)
      usage_error(a + " must be an integer from " + std::to_string(lo) + " to " +
                  std::to_string(hi) + " (got '" + argv[i] + "')");
    *target = *v;
  }
  return o;
}

namespace {

// Two connections per slot and drip, serve's own, PostgreSQL's and wrk's: raise the soft limit.
void raise_nofile(long needed) {
  rlimit r{};
  if (getrlimit(RLIMIT_NOFILE, &r) != 0) return;
  if (r.rlim_cur != RLIM_INFINITY && static_cast<long>(r.rlim_cur) < needed) {
    r.rlim_cur = std::min<rlim_t>(r.rlim_max, static_cast<rlim_t>(needed));
    setrlimit(RLIMIT_NOFILE, &r);
  }
  getrlimit(RLIMIT_NOFILE, &r);
  if (r.rlim_cur != RLIM_INFINITY && static_cast<long>(r.rlim_cur) < needed)
    throw std::runtime_error("the open-files limit is " + std::to_string(r.rlim_cur) + ", " +
                             std::to_string(needed) + " are needed (ulimit -n)");
}

std::string gate_path(const std::string& sha) {
  return std::string("/api/v1/repos/") + kRepoName + "/gate?sha=" + sha + "&environment=production";
}

struct Setup {
  std::string candidate_sha;
  std::string push_file, push_signature;
  std::vector<std::string> credentials;
};

std::string ended(GateBenchEnv& env, const std::string& sha) {
  return env.wait_pipeline_end(sha, 180s);
}

// The gate's state (a deployed baseline, a passed candidate), the signed push the webhook runs
// send, and the fleet's runners registered through the API (tier training: nothing else queues
// training jobs, so the parked polls claim only the jobs this benchmark queues for them).
Setup prepare(GateBenchEnv& env, const FleetOptions& o, const testing::TempDir& dir) {
  Setup s;
  progress("pushing the baseline and the candidate; mlgate runner --executor local runs them");
  env.start_runner();
  const auto baseline = env.push(model_files(ModelVersion::baseline, o.predictions), "baseline");
  if (auto st = ended(env, baseline); st != "passed")
    throw std::runtime_error("the baseline's pipeline ended " + st);
  std::string body;
  if (int st = env.deploy(baseline, "production", body); st != 201)
    throw std::runtime_error("deploying the baseline answered " + std::to_string(st) + ": " + body);
  s.candidate_sha = env.push(model_files(ModelVersion::candidate, o.predictions), "candidate");
  if (auto st = ended(env, s.candidate_sha); st != "passed")
    throw std::runtime_error("the candidate's pipeline ended " + st);
  env.stop_runner();

  // The webhook runs push a commit of their own, so that their pipelines leave the gate's alone.
  const std::string sha = env.repo().commit({{"WEBHOOKS.md", "fleet bench\n"}}, "webhook bench");
  json p = json::parse(
      testing::read_file(std::string(MLGATE_SHARED_FIXTURES) + "/webhooks/github/push.json"));
  p["ref"] = "refs/heads/main";
  p["after"] = sha;
  p["head_commit"]["id"] = sha;
  p["repository"]["full_name"] = kRepoName;
  p["repository"]["name"] = "model";
  p["repository"]["default_branch"] = "main";
  s.push_file = (dir.path() / "push.json").string();
  testing::write_file(s.push_file, p.dump());
  s.push_signature = "sha256=" + util::hmac_sha256_hex(kWebhookSecret, p.dump());

  progress("registering " + std::to_string(o.runners) + " runners (capacity " +
           std::to_string(o.polls_per_runner) + ", tier training) through the API");
  auto t = testing::http_post(env.host(), "/api/v1/runner-tokens", json{{"name", "fleet"}}.dump(),
                              "application/json", env.admin());
  if (t.status != 201) throw std::runtime_error("runner token: " + t.body);
  const std::vector<std::pair<std::string, std::string>> reg_auth = {
      {"Authorization", "Bearer " + json::parse(t.body)["token"].get<std::string>()}};
  for (int i = 0; i < o.runners; ++i) {
    check_interrupted();
    const json req = {{"name", "fleet-" + std::to_string(i + 1)},
                      {"tiers", {"training"}},
                      {"capacity", o.polls_per_runner},
                      {"executor", "local"},
                      {"version", "bench"}};
    auto r = testing::http_post(env.host(), "/api/v1/runner/register", req.dump(),
                                "application/json", reg_auth);
    if (r.status != 201) throw std::runtime_error("registering a runner: " + r.body);
    s.credentials.push_back(json::parse(r.body)["token"].get<std::string>());
  }
  return s;
}

Phase measure(GateBenchEnv& env, const FleetOptions& o, const Setup& s, const std::string& name) {
  Phase ph;
  const std::string lua = std::string(MLGATE_SOURCE_DIR) + "/tests/bench/webhooks/";
  const std::string with = name + ", " + std::to_string(o.clients) + " connections, " +
                           std::to_string(o.seconds) + " s: ";
  ph.serve = sample_process(env.serve().process().pid());
  progress(with + "GET /healthz (wrk)");
  ph.healthz =
      run_wrk(lua + "healthz.lua", env.serve().url() + "/healthz", o.clients, o.seconds, 5);
  check_interrupted();
  progress(with + "POST /webhooks/github (wrk, signed pushes)");
  ph.webhooks = run_wrk(lua + "push.lua", env.serve().url() + "/webhooks/github", o.clients,
                        o.seconds, 5, {s.push_file, s.push_signature, "fleet-" + name});
  check_interrupted();
  progress(with + "GET …/gate, cache hits");
  testing::http_get(env.host(), gate_path(s.candidate_sha), env.reader());
  LoadSpec spec;
  spec.port = env.port();
  spec.clients = o.clients;
  spec.duration = std::chrono::seconds(o.seconds);
  spec.read_timeout_seconds = 10;
  spec.headers = env.reader();
  const std::string path = gate_path(s.candidate_sha);
  spec.path = [path](long) { return std::optional<std::string>(path); };
  spec.check = [](const Answer& a) -> std::string {
    if (a.status != 200) return "HTTP " + std::to_string(a.status) + ": " + a.body->substr(0, 200);
    if (a.cache != "hit") return "X-Mlgate-Cache: '" + a.cache + "', expected 'hit'";
    if (a.body->find(std::string("\"decision\":\"") + kExpectedDecision + "\"") ==
        std::string::npos)
      return "not the expected decision: " + a.body->substr(0, 200);
    return "";
  };
  ph.gate = run_load(spec);
  ph.load = loadavg();
  return ph;
}

// Queues o.jobs one-job pipelines (tier training) and wakes the waiting claims, as the planner
// does; waits (bounded) until each was claimed and finished by the parked polls.
JobsCheck queue_and_wait(GateBenchEnv& env, const FleetOptions& o) {
  JobsCheck c;
  c.queued = o.jobs;
  {
    pqxx::work tx(env.db());
    const auto repo_id = tx.exec1("SELECT id FROM repos")[0].as<std::int64_t>();
    for (int i = 0; i < o.jobs; ++i) {
      store::NewPipeline p;
      p.repo_id = repo_id;
      p.trigger = "manual";
      p.ref = "refs/heads/fleet";
      p.branch = "fleet";
      p.sha = std::string(40, 'f');
      store::NewJob j;
      j.tier = "training";
      j.image = "none";
      j.command = "true";
      p.jobs.push_back(j);
      const auto pid = store::create_pipeline(tx, p);
      c.ids.push_back(
          tx.exec_params1("SELECT id FROM jobs WHERE pipeline_id = $1", pid)[0].as<std::int64_t>());
    }
    store::notify_jobs(tx);
    tx.commit();
  }
  const auto t0 = std::chrono::steady_clock::now();
  const auto deadline = t0 + std::chrono::seconds(o.jobs_wait);
  const std::string ids = "'{" + [&] {
    std::string s;
    for (auto id : c.ids) s += (s.empty() ? "" : ",") + std::to_string(id);
    return s;
  }() + "}'::bigint[]";
  while (true) {
    pqxx::nontransaction tx(env.db());
    c.passed =
        tx.exec1("SELECT count(*) FROM jobs WHERE state = 'passed' AND id = ANY(" + ids + ")")[0]
            .as<long>();
    if (c.passed >= o.jobs || std::chrono::steady_clock::now() > deadline) break;
    nap(200ms);
  }
  c.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  pqxx::nontransaction tx(env.db());
  auto r = tx.exec1(
      "SELECT coalesce(sum(n), 0), coalesce(sum(p), 0), coalesce(sum(n - 1), 0), "
      "coalesce(max(p), 0) FROM (SELECT count(*) AS n, count(*) FILTER (WHERE outcome = "
      "'passed') AS p FROM job_attempts WHERE job_id = ANY(" +
      ids + ") GROUP BY job_id) a");
  c.attempts = r[0].as<long>();
  c.passed_attempts = r[1].as<long>();
  c.extra_attempts = r[2].as<long>();
  c.max_passed = r[3].as<long>();
  return c;
}

std::string tail_of(const std::string& text, size_t lines) {
  size_t pos = text.size();
  for (size_t n = 0; n <= lines && pos > 0; ++n) {
    pos = text.rfind('\n', pos - 1);
    if (pos == std::string::npos) return text;
  }
  return text.substr(pos + 1);
}

int run(const FleetOptions& o) {
  const int slots = o.slots();
  raise_nofile(2L * (slots + o.drips) + 4096);
  std::vector<std::string> failures;
  Result res;
  res.load_before = loadavg();
  testing::TempDir dir("mlgate-bench-fleet");
  std::vector<std::string> serve_args;
  if (o.http_threads > 0) serve_args = {"--http-threads", std::to_string(o.http_threads)};
  {
    GateBenchEnv env(serve_args);
    try {
      const Setup s = prepare(env, o, dir);
      res.unloaded = measure(env, o, s, "unloaded");
      progress("starting the load: " + std::to_string(slots) + " claim polls (" +
               std::to_string(o.runners) + " runners x " + std::to_string(o.polls_per_runner) +
               ") and " + std::to_string(o.drips) + " slow clients");
      FleetSpec spec;
      spec.port = env.port();
      spec.credentials = s.credentials;
      spec.slots = slots;
      spec.drips = o.drips;
      spec.drip_interval = std::chrono::milliseconds(o.drip_ms);
      FleetLoad load(spec);
      Sampler sampler(env.serve().process().pid());
      load.start();
      const auto load_start = std::chrono::steady_clock::now();
      // Every slot has asked and every slow client is connected, or 30 s have passed.
      for (int i = 0; i < 300; ++i) {
        const auto st = load.snapshot();
        if (st.polls_sent >= slots && st.drip_connects >= o.drips) break;
        nap(100ms);
      }
      nap(3s);
      res.at_start = load.snapshot();
      res.loaded = measure(env, o, s, "loaded");
      progress("loaded: queueing " + std::to_string(o.jobs) +
               " jobs for the parked polls (tier training)");
      res.jobs = queue_and_wait(env, o);
      res.loaded_end = sample_process(env.serve().process().pid());
      res.peak = sampler.peak();
      res.peak_load1 = sampler.peak_load1();
      res.load_during = loadavg();
      res.fleet = load.snapshot();
      progress("stopping the load");
      load.stop();
      res.load_seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - load_start).count();
      res.after_stop = sample_process(env.serve().process().pid());
    } catch (const Interrupted&) {
      throw;
    } catch (const std::exception&) {
      if (!g_interrupted) std::cerr << "serve log (tail):\n" << tail_of(env.serve().log(), 15);
      throw;
    }
    progress("stopping mlgate serve");
    const int st = env.stop_serve();
    if (!(WIFEXITED(st) && WEXITSTATUS(st) == 0))
      failures.push_back("mlgate serve " + util::describe_wait_status(st) + " after SIGTERM");
    if (o.verbose || !failures.empty())
      std::cerr << "serve log (tail):\n" << tail_of(env.serve().log(), 20);
  }
  report(o, res);
  verdict(o, res, failures);
  std::cout << std::endl;
  if (!failures.empty()) {
    for (const auto& f : failures) std::cout << "FAIL: " << f << "\n";
    return 1;
  }
  std::cout << "bench fleet: OK (numbers are printed, not asserted)" << std::endl;
  return 0;
}

}  // namespace
}  // namespace mlgate::bench

int main(int argc, char** argv) {
  using namespace mlgate::bench;
  const FleetOptions o = parse_options(argc, argv);
  return run_bench("bench_fleet", [&] { return run(o); });
}
