// scripts/bench gate: requests per second of GET /api/v1/repos/{owner}/{name}/gate (docs/bench.md,
// section "Gate API"), next to pgbench -S on the same PostgreSQL cluster and GET /healthz on the
// same serve, measured in the same run with the same number of concurrent keep-alive clients.
//
//  hit       the same candidate sha again and again: every answer comes from the decision cache
//            (X-Mlgate-Cache: hit), which still reads its key from the database per request.
//  routing   GET …/environments/production/routing, what routers poll: from memory
//            (server/api/routing.cpp) until a rollout or a deployment of the repository changes.
//  uncached  a new candidate sha per request, each with its own stored pipeline: every answer is a
//            new evaluation (X-Mlgate-Cache: miss), stored as a new gate_decisions row. Before each
//            uncached run the deployed baseline is deployed again, which changes every cache key.
//
// Local only, every wait bounded, everything it starts stopped and removed on the way out (also on
// SIGINT/SIGTERM). It prints numbers and never asserts them: the exit code is 1 only when something
// is functionally wrong (a pipeline did not pass, an answer was not the expected one, a miss where
// a hit was due or the other way round, a decision not stored), 2 for a usage error, 130 when
// interrupted.
#include <signal.h>
#include <sys/wait.h>

#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "store/gate_inputs.h"
#include "tests/bench/gate_api/common.h"
#include "tests/bench/gate_api/cpu.h"
#include "tests/bench/gate_api/gate_env.h"
#include "tests/bench/gate_api/load.h"
#include "tests/bench/gate_api/model_repo.h"
#include "tests/bench/gate_api/pgbench.h"
#include "util/child_process.h"

namespace mlgate::bench {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

// The gate_decisions rows stored after `after_id`, by source ("api": the measured requests;
// "status": the commit statuses and notifications serve reports by itself when a pipeline ends),
// and for each row not from the API, its source, environment and commit.
struct StoredDecisions {
  std::map<std::string, long> by_source;
  std::vector<std::string> not_api;  // "status production <sha>"
};
struct Level {
  int clients = 0;
  double pgbench_tps = 0;
  LoadRun healthz, hit, routing, miss;
  long decisions_stored = 0;  // gate_decisions rows added by the uncached run
  CpuUsed miss_cpu;           // serve's and PostgreSQL's CPU during the uncached run
  std::string miss_load;      // the 1-minute load average before and after the uncached run
  StoredDecisions stored;
};

struct Setup {
  std::string baseline_sha, candidate_sha;
  std::map<std::string, int> checks_by_kind;
  size_t checks = 0;
  size_t body_bytes = 0;
  std::string summary;
  int candidates = 0;
  double load_results_ms = 0;  // median, reading both pipelines' results as serve does
};

std::string gate_path(const std::string& sha) {
  return std::string("/api/v1/repos/") + kRepoName + "/gate?sha=" + sha + "&environment=production";
}

std::string loadavg() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

std::string tail_of(const std::string& text, size_t lines) {
  size_t pos = text.size();
  for (size_t n = 0; n <= lines && pos > 0; ++n) {
    pos = text.rfind('\n', pos - 1);
    if (pos == std::string::npos) return text;
  }
  return text.substr(pos + 1);
}

// What reading the candidate's and the baseline's results costs, with the queries serve runs for an
// uncached decision (store/gate_inputs.h), from this process: the median of 15 reads, in ms.
double time_load_results(pqxx::connection& db, const std::string& candidate,
                         const std::string& baseline) {
  std::vector<double> ms;
  for (int i = 0; i < 15; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    pqxx::transaction<pqxx::repeatable_read, pqxx::read_only> tx(db);
    const auto repo_id = tx.exec1("SELECT id FROM repos")[0].as<std::int64_t>();
    for (const auto* sha : {&candidate, &baseline}) {
      auto p = store::gate_view_of_commit(tx, repo_id, *sha);
      if (!p) throw std::runtime_error("no pipeline for " + *sha);
      if (store::load_pipeline_results(tx, *p).predictions.empty())
        throw std::runtime_error("no predictions stored for " + *sha);
    }
    tx.commit();
    ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  return percentile(ms, 0.5);
}

long last_decision_id(pqxx::connection& db) {
  pqxx::nontransaction tx(db);
  return tx.exec1("SELECT coalesce(max(id), 0) FROM gate_decisions")[0].as<long>();
}

StoredDecisions decisions_since(pqxx::connection& db, long after_id) {
  pqxx::nontransaction tx(db);
  StoredDecisions out;
  for (const auto& r : tx.exec_params(
           "SELECT source, environment, sha FROM gate_decisions WHERE id > $1 ORDER BY id",
           after_id)) {
    const auto source = r[0].as<std::string>();
    ++out.by_source[source];
    if (source != "api")
      out.not_api.push_back(source + " " + r[1].as<std::string>() + " " + r[2].as<std::string>());
  }
  return out;
}

// Which of the benchmark's commits a sha is.
std::string commit_label(const std::string& sha, const Setup& s,
                         const std::vector<std::string>& candidates) {
  if (sha == s.baseline_sha) return "the baseline";
  if (sha == s.candidate_sha) return "the candidate";
  for (size_t i = 0; i < candidates.size(); ++i)
    if (candidates[i] == sha)
      return "copy " + std::to_string(i + 1) + " of " + std::to_string(candidates.size());
  return "another commit";
}

std::string sources_text(const std::map<std::string, long>& by_source) {
  std::string out;
  for (const auto& [source, n] : by_source)
    out += (out.empty() ? "" : ", ") + std::to_string(n) + " " + source;
  return out.empty() ? "none" : out;
}

// The answer the benchmark expects from the gate: 200, the cache header, the decision.
std::function<std::string(const Answer&)> gate_check(const std::string& cache) {
  const std::string decision = std::string("\"decision\":\"") + kExpectedDecision + "\"";
  return [cache, decision](const Answer& a) -> std::string {
    if (a.status != 200) return "HTTP " + std::to_string(a.status) + ": " + a.body->substr(0, 300);
    if (a.cache != cache) return "X-Mlgate-Cache: '" + a.cache + "', expected '" + cache + "'";
    if (a.body->find(decision) == std::string::npos)
      return "not " + decision + ": " + a.body->substr(0, 300);
    return "";
  };
}

Setup prepare(GateBenchEnv& env, const Options& o, std::vector<std::string>& failures,
              std::vector<std::string>& candidates) {
  Setup s;
  progress("starting mlgate runner --executor local; pushing the baseline and the candidate (" +
           std::to_string(o.predictions) + " predictions each)");
  env.start_runner();
  s.baseline_sha = env.push(model_files(ModelVersion::baseline, o.predictions), "baseline model");
  if (auto st = env.wait_pipeline_end(s.baseline_sha, 180s); st != "passed")
    throw std::runtime_error("the baseline's pipeline ended " + st + "; runner log:\n" +
                             tail_of(env.runner_log(), 20));
  std::string body;
  if (int st = env.deploy(s.baseline_sha, "production", body); st != 201)
    throw std::runtime_error("deploying the baseline answered " + std::to_string(st) + ": " + body);
  s.candidate_sha =
      env.push(model_files(ModelVersion::candidate, o.predictions), "candidate model");
  if (auto st = env.wait_pipeline_end(s.candidate_sha, 180s); st != "passed")
    throw std::runtime_error("the candidate's pipeline ended " + st + "; runner log:\n" +
                             tail_of(env.runner_log(), 20));
  const int rst = env.stop_runner();
  if (!(WIFEXITED(rst) && WEXITSTATUS(rst) == 0))
    failures.push_back("mlgate runner " + util::describe_wait_status(rst) + " after SIGTERM");

  // The candidate's decision against the deployed baseline, as every measured request asks it.
  auto g = testing::http_get(env.host(), gate_path(s.candidate_sha), env.reader());
  if (g.status != 200)
    throw std::runtime_error("the gate answered " + std::to_string(g.status) + ": " + g.body);
  const json first = json::parse(g.body);
  s.summary = first.value("summary", "");
  s.body_bytes = g.body.size();
  s.checks = first["checks"].size();
  for (const auto& c : first["checks"]) ++s.checks_by_kind[c["kind"].get<std::string>()];
  if (first["decision"] != kExpectedDecision || first["baseline_sha"] != s.baseline_sha)
    throw std::runtime_error(std::string("the gate decided ") + first["decision"].dump() +
                             " against " + first["baseline_sha"].dump() + ", expected " +
                             kExpectedDecision + " against the baseline: " + s.summary);
  if (g.body.find(std::string("\"decision\":\"") + kExpectedDecision + "\"") == std::string::npos)
    throw std::runtime_error("the gate's answer is not compact JSON: " + g.body.substr(0, 200));

  s.load_results_ms = time_load_results(env.db(), s.candidate_sha, s.baseline_sha);

  progress("copying the candidate's pipeline and results to " + std::to_string(o.candidates) +
           " new candidate commits");
  const auto t0 = std::chrono::steady_clock::now();
  candidates = env.clone_candidates(s.candidate_sha, o.candidates);
  s.candidates = static_cast<int>(candidates.size());
  progress("copied in " +
           std::to_string(static_cast<int>(
               std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count())) +
           " s");
  // The first request for a copy fetches them all into serve's mirror; its decision must be the
  // template's, check for check.
  auto c = testing::http_get(env.host(), gate_path(candidates.back()), env.reader());
  if (c.status != 200)
    throw std::runtime_error("the gate answered " + std::to_string(c.status) +
                             " for a copy: " + c.body);
  const json copy = json::parse(c.body);
  if (copy["checks"] != first["checks"] || copy["rubric"] != first["rubric"] ||
      copy["decision"] != first["decision"])
    throw std::runtime_error("a copied candidate is judged differently from its template: " +
                             copy.value("summary", ""));
  return s;
}

void measure(GateBenchEnv& env, const Options& o, const Setup& s,
             const std::vector<std::string>& candidates, std::vector<Level>& levels,
             std::vector<std::string>& failures) {
  Pgbench pgbench(o.verbose);
  for (int n : o.concurrency) {
    check_interrupted();
    Level l;
    l.clients = n;
    const std::string with = std::to_string(n) + " client" + (n == 1 ? "" : "s");
    const auto secs = std::chrono::seconds(o.seconds);

    progress(with + ": pgbench -S (" + std::to_string(o.seconds) + " s)");
    l.pgbench_tps = pgbench.select_only_tps(n, o.seconds);

    progress(with + ": GET /healthz (" + std::to_string(o.seconds) + " s)");
    LoadSpec spec;
    spec.port = env.port();
    spec.clients = n;
    spec.duration = secs;
    spec.path = [](long) { return std::optional<std::string>("/healthz"); };
    spec.check = [](const Answer& a) {
      return a.status == 200 ? std::string() : "HTTP " + std::to_string(a.status);
    };
    l.healthz = run_load(spec);

    // The candidate's decision is in the cache after one request (the last uncached run
    // invalidated it with a deployment).
    testing::http_get(env.host(), gate_path(s.candidate_sha), env.reader());
    progress(with + ": GET …/gate, the same sha, cache hits (" + std::to_string(o.seconds) + " s)");
    spec.headers = env.reader();
    const std::string hit_path = gate_path(s.candidate_sha);
    spec.path = [hit_path](long) { return std::optional<std::string>(hit_path); };
    spec.check = gate_check("hit");
    l.hit = run_load(spec);

    // What every router polls: the environment's split, from memory (server/api/routing.cpp).
    progress(with + ": GET …/routing (" + std::to_string(o.seconds) + " s)");
    const std::string routing_path =
        std::string("/api/v1/repos/") + kRepoName + "/environments/production/routing";
    const std::string stable = "\"stable\":\"" + s.baseline_sha + "\"";
    spec.path = [routing_path](long) { return std::optional<std::string>(routing_path); };
    spec.check = [stable](const Answer& a) {
      if (a.status != 200) return "HTTP " + std::to_string(a.status);
      return a.body->find(stable) == std::string::npos ? "not " + stable : std::string();
    };
    l.routing = run_load(spec);

    // A deployment changes every cache key: deploying the deployed commit again leaves the
    // baseline as it is and empties the cache for all the copies.
    std::string body;
    if (int st = env.deploy(s.baseline_sha, "production", body); st != 201)
      throw std::runtime_error("deploying the baseline again answered " + std::to_string(st) +
                               ": " + body);
    // The last copy is main's head: a deployment marks the branch heads' pipelines due, and serve's
    // forge feedback worker judges the head again in the background (source "status", once per
    // environment), which can answer a request for it from the cache. It is left out.
    const long misses = static_cast<long>(candidates.size()) - 1;
    progress(with + ": GET …/gate, a new sha per request, uncached (" + std::to_string(o.seconds) +
             " s or " + std::to_string(misses) + " requests)");
    const long before = last_decision_id(env.db());
    spec.path = [&candidates, misses](long i) -> std::optional<std::string> {
      if (i >= misses) return std::nullopt;
      return gate_path(candidates[static_cast<size_t>(i)]);
    };
    spec.check = gate_check("miss");
    const std::string load_at_start = loadavg();
    const CpuSnapshot cpu_before = cpu_snapshot(env.serve().process().pid(), env.db());
    l.miss = run_load(spec);
    l.miss_cpu = cpu_used(cpu_before, cpu_snapshot(env.serve().process().pid(), env.db()));
    l.miss_load = load_at_start.substr(0, load_at_start.find(' ')) + " -> " +
                  loadavg().substr(0, loadavg().find(' '));
    l.stored = decisions_since(env.db(), before);
    for (const auto& [source, n] : l.stored.by_source) l.decisions_stored += n;
    check_interrupted();

    for (const auto* r : {&l.healthz, &l.hit, &l.routing, &l.miss}) {
      const char* what = r == &l.healthz   ? "GET /healthz"
                         : r == &l.hit     ? "gate hit"
                         : r == &l.routing ? "routing"
                                           : "gate miss";
      if (r->failures > 0)
        failures.push_back(with + ", " + what + ": " + std::to_string(r->failures) +
                           " unexpected answer(s); the first: " + r->first_failure);
      if (r->requests == 0) failures.push_back(with + ", " + what + ": no request completed");
    }
    // Every evaluation is stored once (source "api"); a failed request may or may not have got
    // that far. Decisions serve stored by itself meanwhile are listed, not counted.
    const long api_rows = l.stored.by_source.count("api") ? l.stored.by_source.at("api") : 0;
    if (api_rows < l.miss.requests || api_rows > l.miss.requests + l.miss.failures)
      failures.push_back(with + ": " + std::to_string(l.miss.requests) + " uncached answers, but " +
                         std::to_string(api_rows) + " gate_decisions rows stored by them (all: " +
                         sources_text(l.stored.by_source) + ")");
    for (const auto& row : l.stored.not_api)
      std::cerr << "bench_gate_api: " << with
                << ": stored during the uncached run, not by it: " << row << " ("
                << commit_label(row.substr(row.rfind(' ') + 1), s, candidates) << ")\n";
    levels.push_back(std::move(l));
  }
}

void report(const Options& o, const Setup& s, const std::vector<Level>& levels,
            const std::string& load_before) {
  std::cout << "\nmlgate gate API benchmark: " << std::thread::hardware_concurrency()
            << " cores, load average " << load_before << " before and " << loadavg()
            << " after, PostgreSQL: the test cluster (fsync off)\n";
  std::cout << "gate 'production' of bench/model: " << s.checks << " checks (";
  bool first = true;
  for (const auto& [kind, n] : s.checks_by_kind) {
    std::cout << (first ? "" : ", ") << n << " " << kind;
    first = false;
  }
  std::cout << "), " << o.predictions << " predictions and 200 test cases per commit, answer "
            << s.body_bytes << " bytes\n  " << s.summary << "\n";
  std::cout << "each run " << o.seconds
            << " s; N clients = N threads, each with one keep-alive connection (pgbench: -c N);\n"
               "uncached: a new candidate sha per request (" +
                   std::to_string(s.candidates) +
                   " copies of the candidate's pipeline), each a new evaluation and a new "
                   "gate_decisions row\n\n";
  std::printf("%7s  %-30s %9s %9s %8s %8s %11s %11s\n", "clients", "", "requests", "req/s",
              "p50 ms", "p99 ms", "vs pgbench", "vs healthz");
  for (const auto& l : levels) {
    std::printf("%7d  %-30s %9s %9.0f %8s %8s %11s %11s\n", l.clients, "pgbench -S (transactions)",
                "", l.pgbench_tps, "", "", "", "");
    const double hz = l.healthz.rate();
    auto row = [&](const char* what, const LoadRun& r, bool ran_out_note) {
      std::printf("%7s  %-30s %9ld %9.0f %8.2f %8.2f %11.4f %11.4f%s\n", "", what, r.requests,
                  r.rate(), percentile(r.latency_ms, 0.5), percentile(r.latency_ms, 0.99),
                  l.pgbench_tps > 0 ? r.rate() / l.pgbench_tps : 0, hz > 0 ? r.rate() / hz : 0,
                  ran_out_note && r.ran_out
                      ? ("  (all " + std::to_string(r.requests + r.failures) + " shas used in " +
                         std::to_string(r.seconds).substr(0, 4) + " s)")
                            .c_str()
                      : "");
    };
    row("GET /healthz", l.healthz, false);
    row("GET .../gate, cache hit", l.hit, false);
    row("GET .../routing (polled)", l.routing, false);
    row("GET .../gate, uncached", l.miss, true);
  }
  std::cout << "(vs: req/s divided by the baseline's transactions or requests per second at the "
               "same concurrency)\n";
  for (const auto& l : levels) {
    const double n = static_cast<double>(std::max(1L, l.miss.requests + l.miss.failures));
    std::printf(
        "uncached, %d client%s: CPU per request: serve %.2f ms, PostgreSQL (serve's backends) "
        "%.2f ms; load %s\n",
        l.clients, l.clients == 1 ? "" : "s", 1000 * l.miss_cpu.serve_seconds / n,
        1000 * l.miss_cpu.postgres_seconds / n, l.miss_load.c_str());
  }
  std::printf(
      "reading the candidate's and the baseline's pipelines and results with serve's queries "
      "(store/gate_inputs.h)\nfrom this process, alone: median %.1f ms per decision\n",
      s.load_results_ms);
}

int run(const Options& o) {
  std::vector<std::string> failures;
  std::vector<Level> levels;
  Setup setup;
  const std::string load_before = loadavg();
  {
    GateBenchEnv env;
    std::vector<std::string> candidates;
    try {
      setup = prepare(env, o, failures, candidates);
      measure(env, o, setup, candidates, levels, failures);
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
    else
      std::cerr << "mlgate serve exited with 0 after SIGTERM\n";
    if (!failures.empty()) std::cerr << "serve log (tail):\n" << tail_of(env.serve().log(), 15);
  }
  report(o, setup, levels, load_before);
  std::cout << std::endl;
  if (!failures.empty()) {
    for (const auto& f : failures) std::cout << "FAIL: " << f << "\n";
    return 1;
  }
  std::cout << "bench gate: OK (numbers are printed, not asserted)" << std::endl;
  return 0;
}

}  // namespace
}  // namespace mlgate::bench

int main(int argc, char** argv) {
  using namespace mlgate::bench;
  const Options o = parse_options(argc, argv);
  return run_bench("bench_gate_api", [&] { return run(o); });
}
