#include "tests/bench/gate_api/load.h"

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "tests/bench/gate_api/common.h"

namespace mlgate::bench {

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto rank = static_cast<size_t>(std::ceil(p * static_cast<double>(v.size())));
  return v[std::clamp<size_t>(rank, 1, v.size()) - 1];
}

LoadRun run_load(const LoadSpec& spec) {
  using Clock = std::chrono::steady_clock;
  struct PerClient {
    long requests = 0, failures = 0, no_answer = 0;
    bool ran_out = false;
    std::string first_failure;
    std::vector<double> latency_ms;
  };
  std::vector<PerClient> per(static_cast<size_t>(spec.clients));
  httplib::Headers headers;
  for (const auto& [k, v] : spec.headers) headers.emplace(k, v);

  std::atomic<long> next{0};
  std::mutex m;
  std::condition_variable cv;
  bool go = false;
  Clock::time_point deadline;
  std::vector<std::thread> threads;
  for (int c = 0; c < spec.clients; ++c) {
    threads.emplace_back([&, c] {
      PerClient& me = per[static_cast<size_t>(c)];
      httplib::Client cli(spec.host, spec.port);
      cli.set_keep_alive(true);
      cli.set_connection_timeout(5);
      cli.set_read_timeout(spec.read_timeout_seconds);
      {
        std::unique_lock lock(m);
        cv.wait(lock, [&] { return go; });
      }
      while (!g_interrupted && Clock::now() < deadline) {
        const auto path = spec.path(next++);
        if (!path) {
          me.ran_out = true;
          break;
        }
        const auto t0 = Clock::now();
        auto res = cli.Get(path->c_str(), headers);
        const auto t1 = Clock::now();
        std::string wrong;
        if (!res) {
          wrong = "no answer: " + httplib::to_string(res.error());
          ++me.no_answer;
        } else {
          Answer a;
          a.status = res->status;
          a.cache = res->get_header_value("X-Mlgate-Cache");
          a.body = &res->body;
          wrong = spec.check(a);
        }
        if (wrong.empty()) {
          ++me.requests;
          me.latency_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
        } else {
          if (me.failures++ == 0) me.first_failure = *path + ": " + wrong;
          if (!res) std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
      }
    });
  }
  Clock::time_point start;
  {
    std::lock_guard lock(m);
    start = Clock::now();
    deadline = start + spec.duration;
    go = true;
  }
  cv.notify_all();
  for (auto& t : threads) t.join();

  LoadRun run;
  run.clients = spec.clients;
  run.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  for (auto& p : per) {
    run.requests += p.requests;
    run.failures += p.failures;
    run.no_answer += p.no_answer;
    run.ran_out = run.ran_out || p.ran_out;
    if (run.first_failure.empty()) run.first_failure = p.first_failure;
    run.latency_ms.insert(run.latency_ms.end(), p.latency_ms.begin(), p.latency_ms.end());
  }
  return run;
}

}  // namespace mlgate::bench
