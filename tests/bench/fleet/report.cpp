// The report of bench_fleet: the table figure | unloaded | loaded | ratio | goal, then what the
// load's polls and slow clients saw and the jobs check; and the verdict (functional checks only).
#include <cstdio>
#include <iostream>
#include <map>
#include <set>
#include <thread>

#include "tests/bench/fleet/fleet.h"

namespace mlgate::bench {
namespace {

std::string ms(double v, bool known) {
  if (!known) return "-";
  char b[32];
  std::snprintf(b, sizeof b, "%.2f", v);
  return b;
}

void row(const char* what, const std::string& unloaded, const std::string& loaded,
         const std::string& ratio, const char* goal) {
  std::printf("%-38s %12s %12s %8s  %s\n", what, unloaded.c_str(), loaded.c_str(), ratio.c_str(),
              goal);
}

std::string num(double v, const char* fmt = "%.0f") {
  char b[32];
  std::snprintf(b, sizeof b, fmt, v);
  return b;
}

// The kinds of a loaded run's wrk errors, when it had any (a run on fewer connections than asked
// measures something else).
std::string wrk_errors(const WrkRun& r) {
  if (r.errors() == 0) return "";
  return "loaded: connect " + num(r.connect) + ", read " + num(r.read) + ", write " + num(r.write) +
         ", timeout " + num(r.timeout);
}

std::string ratio(double loaded, double unloaded) {
  return unloaded > 0 ? num(loaded / unloaded, "%.3f") : "-";
}

void figures(const Result& r) {
  const Phase& u = r.unloaded;
  const Phase& l = r.loaded;
  std::printf("\n%-38s %12s %12s %8s  %s\n", "figure", "unloaded", "loaded", "ratio", "goal");
  row("GET /healthz req/s", num(u.healthz.rate()), num(l.healthz.rate()),
      ratio(l.healthz.rate(), u.healthz.rate()), "");
  row("GET /healthz p50 ms", ms(u.healthz.p50_us / 1e3, u.healthz.requests > 0),
      ms(l.healthz.p50_us / 1e3, l.healthz.requests > 0), "", "");
  row("GET /healthz p99 ms", ms(u.healthz.p99_us / 1e3, u.healthz.requests > 0),
      ms(l.healthz.p99_us / 1e3, l.healthz.requests > 0), "", "loaded < 100 ms");
  row("  answered / no answer (wrk errors)",
      num(u.healthz.requests) + "/" + num(u.healthz.errors()),
      num(l.healthz.requests) + "/" + num(l.healthz.errors()), "", wrk_errors(l.healthz).c_str());
  row("webhook acks/s (202)", num(u.webhooks.rate()), num(l.webhooks.rate()),
      ratio(l.webhooks.rate(), u.webhooks.rate()), ">= 0.8");
  row("  p99 ms", ms(u.webhooks.p99_us / 1e3, u.webhooks.requests > 0),
      ms(l.webhooks.p99_us / 1e3, l.webhooks.requests > 0), "", "");
  row("  answered / no answer (wrk errors)",
      num(u.webhooks.requests) + "/" + num(u.webhooks.errors()),
      num(l.webhooks.requests) + "/" + num(l.webhooks.errors()), "",
      wrk_errors(l.webhooks).c_str());
  row("gate checks/s (GET .../gate, cache hit)", num(u.gate.rate()), num(l.gate.rate()),
      ratio(l.gate.rate(), u.gate.rate()), ">= 0.8");
  row("  p99 ms", ms(percentile(u.gate.latency_ms, 0.99), u.gate.requests > 0),
      ms(percentile(l.gate.latency_ms, 0.99), l.gate.requests > 0), "", "");
  row("  answered / no answer (10 s)", num(u.gate.requests) + "/" + num(u.gate.no_answer),
      num(l.gate.requests) + "/" + num(l.gate.no_answer), "", "");
  row("serve RSS MiB", num(u.serve.rss_kib / 1024.0, "%.1f"), num(l.serve.rss_kib / 1024.0, "%.1f"),
      ratio(l.serve.rss_kib, u.serve.rss_kib), "");
  row("serve threads", num(u.serve.threads), num(l.serve.threads), "", "");
  row("serve open descriptors", num(u.serve.fds), num(l.serve.fds), "", "");
  std::printf(
      "serve under the load at its peak: RSS %.1f MiB, %ld threads, %ld descriptors; after the "
      "load stopped: %.1f MiB, %ld threads, %ld descriptors\n",
      r.peak.rss_kib / 1024.0, r.peak.threads, r.peak.fds, r.after_stop.rss_kib / 1024.0,
      r.after_stop.threads, r.after_stop.fds);
}

void fleet_figures(const FleetOptions& o, const Result& r) {
  const FleetStats& f = r.fleet;
  std::vector<double> w = f.wait_204_s;
  std::printf(
      "\nclaim polls (from the start of the load until it stopped, %.0f s):\n"
      "  requests sent %ld; answered 200 (a job) %ld, 204 (nothing in time) %ld, a 204 after "
      "%.1f s (median)\n"
      "  waiting for an answer when the loaded measurements began %ld of %d; when the load "
      "stopped %ld\n"
      "  connection errors (counted, reopened): connect %ld, closed before an answer %ld, no "
      "answer within 60 s %ld%s%s\n"
      "  unexpected answers %ld, not HTTP %ld, finishes refused %ld\n",
      r.load_seconds, f.polls_sent, f.answers_200, f.answers_204, percentile(w, 0.5),
      r.at_start.polls_parked, o.slots(), f.polls_parked, f.connect_errors, f.closed_early,
      f.answer_timeouts,
      f.first_connection_error.empty() ? "" : "; the first: ", f.first_connection_error.c_str(),
      f.unexpected, f.malformed, f.finish_failures);
  std::string answers;
  for (const auto& [status, n] : f.drip_answers)
    answers += (answers.empty() ? "" : ", ") +
               (status ? "HTTP " + std::to_string(status) : std::string("nothing")) + " x" +
               std::to_string(n);
  std::printf(
      "slow clients:\n"
      "  connections opened %ld (connect errors %ld), open when the load stopped %ld, header "
      "bytes sent %ld\n"
      "  closed by the server %ld (what it sent first: %s); lived %s s (median), %s s (max)\n",
      f.drip_connects, f.drip_connect_errors, f.drips_open, f.drip_bytes, f.drips_cut,
      answers.empty() ? "-" : answers.c_str(),
      ms(percentile(f.drip_lifetime_s, 0.5), f.drips_cut > 0).c_str(),
      ms(percentile(f.drip_lifetime_s, 1.0), f.drips_cut > 0).c_str());
}

struct ClaimCount {
  long of_jobs = 0;       // claims handed out for the queued jobs
  long twice = 0;         // (job, attempt) handed out more than once
  long strays = 0;        // claims of jobs this benchmark did not queue
  long claimed_jobs = 0;  // distinct queued jobs handed out at least once
};

ClaimCount count_claims(const Result& r) {
  ClaimCount c;
  const std::set<std::int64_t> ids(r.jobs.ids.begin(), r.jobs.ids.end());
  std::map<std::pair<std::int64_t, int>, int> seen;
  std::set<std::int64_t> jobs;
  for (const auto& cl : r.fleet.claims) {
    if (!ids.count(cl.job_id)) {
      ++c.strays;
      continue;
    }
    ++c.of_jobs;
    jobs.insert(cl.job_id);
    if (++seen[{cl.job_id, cl.attempt}] == 2) ++c.twice;
  }
  c.claimed_jobs = static_cast<long>(jobs.size());
  return c;
}

}  // namespace

void report(const FleetOptions& o, const Result& r) {
  std::cout << "\nmlgate fleet benchmark: " << o.slots() << " runner slots long-polling ("
            << o.runners << " runners x " << o.polls_per_runner
            << ", wait_seconds 30, asking again at once after a 204) and " << o.drips
            << " slow clients from 127.0.0.1 (a header byte every " << o.drip_ms
            << " ms, reconnecting when closed),\non one mlgate serve ("
            << (o.http_threads ? "--http-threads " + std::to_string(o.http_threads)
                               : std::string("its default HTTP settings"))
            << "), PostgreSQL: the test cluster (fsync off); "
            << std::thread::hardware_concurrency() << " cores\neach measurement " << o.seconds
            << " s with " << o.clients
            << " connections: wrk -t2 --timeout 5s (healthz, signed pushes); gate: " << o.clients
            << " keep-alive clients, 10 s answer timeout\nload average: " << r.load_before
            << " before, " << r.loaded.load << " after the loaded measurements, " << r.load_during
            << " at the end of the jobs check; highest 1-minute value under the load "
            << r.peak_load1 << "\n";
  figures(r);
  fleet_figures(o, r);
  const ClaimCount c = count_claims(r);
  std::printf(
      "jobs queued for the parked polls under the load (tier training, one per pipeline): %d\n"
      "  passed %ld of %d after %.1f s (the wait is capped at %d s); %ld of them handed to a "
      "poll\n"
      "  claims handed out %ld, the same job and attempt twice %ld, jobs not queued by the "
      "benchmark %ld\n"
      "  attempts stored %ld (beyond one per job %ld: a claim answered into a connection that "
      "was gone, whose lease expired), passed attempts %ld, most of one job %ld\n",
      r.jobs.queued, r.jobs.passed, r.jobs.queued, r.jobs.seconds, o.jobs_wait, c.claimed_jobs,
      c.of_jobs, c.twice, c.strays, r.jobs.attempts, r.jobs.extra_attempts, r.jobs.passed_attempts,
      r.jobs.max_passed);
}

void verdict(const FleetOptions& o, const Result& r, std::vector<std::string>& failures) {
  (void)o;
  const FleetStats& f = r.fleet;
  if (f.unexpected)
    failures.push_back(
        std::to_string(f.unexpected) +
        " claim poll answer(s) neither 200 with a job nor 204; the first: " + f.first_unexpected);
  if (f.malformed)
    failures.push_back(std::to_string(f.malformed) +
                       " claim poll answer(s) not HTTP; the first: " + f.first_malformed);
  if (f.finish_failures)
    failures.push_back(std::to_string(f.finish_failures) +
                       " finish(es) refused; the first: " + f.first_finish_failure);
  const ClaimCount c = count_claims(r);
  if (c.twice) failures.push_back(std::to_string(c.twice) + " job attempt(s) handed out twice");
  if (c.strays) failures.push_back(std::to_string(c.strays) + " claim(s) of jobs not queued here");
  if (r.jobs.max_passed > 1) failures.push_back("a job passed more than once");
  for (const auto* ph : {&r.unloaded, &r.loaded}) {
    const std::string name = ph == &r.unloaded ? "unloaded" : "loaded";
    for (const auto* w : {&ph->healthz, &ph->webhooks}) {
      const std::string what = name + (w == &ph->healthz ? " GET /healthz" : " webhooks");
      if (w->unexpected)
        failures.push_back(what + ": " + std::to_string(w->unexpected) +
                           " unexpected answer(s); the first: " + w->first_unexpected);
      if (ph == &r.unloaded && w->errors())
        failures.push_back(what + ": " + std::to_string(w->errors()) + " wrk error(s) unloaded");
      if (ph == &r.unloaded && w->requests == 0) failures.push_back(what + ": no request answered");
    }
    if (ph->gate.failures > ph->gate.no_answer)
      failures.push_back(name + " gate: " + std::to_string(ph->gate.failures - ph->gate.no_answer) +
                         " unexpected answer(s); the first: " + ph->gate.first_failure);
    if (ph == &r.unloaded && (ph->gate.no_answer || ph->gate.requests == 0))
      failures.push_back("unloaded gate: " + std::to_string(ph->gate.no_answer) +
                         " request(s) without an answer, " + std::to_string(ph->gate.requests) +
                         " answered");
  }
}

}  // namespace mlgate::bench
