#include "tests/bench/common/bench_run.h"

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/support/mlgate_process.h"

namespace mlgate::bench {

void nap(std::chrono::milliseconds d) {
  using namespace std::chrono_literals;
  const auto end = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < end) {
    check_interrupted();
    std::this_thread::sleep_for(
        std::min<std::chrono::nanoseconds>(end - std::chrono::steady_clock::now(), 20ms));
  }
}

void progress(const std::string& s) {
  std::cerr << "\033[1m==> " << s << "\033[0m" << std::endl;
}

std::optional<int> int_in(const std::string& v, int lo, int hi) {
  try {
    size_t used = 0;
    const int n = std::stoi(v, &used);
    if (used == v.size() && n >= lo && n <= hi) return n;
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

int run_bench(const std::string& name, const std::function<int()>& run) {
  // Children get an empty mask (util::ChildProcess).
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  std::thread([set, name] {
    int sig = 0;
    while (sigwait(&set, &sig) == 0) {
      if (!g_interrupted.exchange(true))
        std::cerr << name << ": signal " << sig << ", stopping" << std::endl;
    }
  }).detach();
  try {
    return run();
  } catch (const Interrupted&) {
    std::cerr << name << ": interrupted; everything it started is stopped" << std::endl;
    return 130;
  } catch (const std::exception& e) {
    std::cerr << name << ": FAIL: " << e.what() << std::endl;
    return g_interrupted ? 130 : 1;
  }
}

std::string register_bench_repo(const std::string& host,
                                const std::vector<std::pair<std::string, std::string>>& admin,
                                const std::string& name, const std::string& clone_url,
                                const std::string& secret, const std::string& runner_token_name) {
  const nlohmann::json reg = {
      {"forge", "github"}, {"name", name}, {"clone_url", clone_url}, {"secret", secret}};
  auto r = testing::http_post(host, "/api/v1/repos", reg.dump(), "application/json", admin);
  if (r.status != 201)
    throw std::runtime_error("registering the repository answered " + std::to_string(r.status) +
                             ": " + r.body);
  auto t = testing::http_post(host, "/api/v1/runner-tokens",
                              nlohmann::json{{"name", runner_token_name}}.dump(),
                              "application/json", admin);
  if (t.status != 201)
    throw std::runtime_error("creating a runner registration token answered " +
                             std::to_string(t.status) + ": " + t.body);
  return nlohmann::json::parse(t.body)["token"].get<std::string>();
}

}  // namespace mlgate::bench
