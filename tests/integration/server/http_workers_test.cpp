// The HTTP server's handler threads are started on demand (server/http/worker_pool.h;
// docs/architecture.md, "The HTTP server"): a server at rest holds its I/O thread and no more than
// the workers its requests needed, and handlers that block, as many as the maximum, still all run
// at once. A real AsyncServer on a loopback port, real HTTP clients; no database. Timeouts are
// generous functional bounds, not measurements.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "server/http/async_server.h"
#include "server/http/router.h"
#include "tests/support/mlgate_process.h"

namespace mlgate::server {
namespace {

using namespace std::chrono_literals;

std::size_t threads_of_this_process() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/task"))
    ++n;
  return n;
}

// An AsyncServer on 127.0.0.1, run on its own thread, stopped and joined at the end.
class Served {
 public:
  Served(const Router& router, int max_threads) : server_(router, tuning(max_threads), {}) {
    port_ = server_.bind("127.0.0.1", 0);
    thread_ = std::thread([this] { server_.run(); });
  }
  ~Served() {
    server_.stop();
    thread_.join();
  }
  Served(const Served&) = delete;
  Served& operator=(const Served&) = delete;

  int port() const { return port_; }
  AsyncServer& server() { return server_; }

 private:
  static HttpTuning tuning(int max_threads) {
    HttpTuning t;
    t.threads = max_threads;
    return t;
  }
  AsyncServer server_;
  int port_ = 0;
  std::thread thread_;
};

int get_status(int port, const std::string& path) {
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(60s);
  auto res = client.Get(path);
  return res ? res->status : -1;
}

TEST(HttpWorkers, AServerAtRestHoldsOnlyTheWorkersItsRequestsNeeded) {
  Router router;
  router.get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok", "text/plain");
  });
  const std::size_t before = threads_of_this_process();
  Served served(router, 32);
  for (int i = 0; i < 20; ++i) ASSERT_EQ(get_status(served.port(), "/healthz"), 200);
  // One request at a time: the I/O thread and one worker (a second at most, started while the
  // first was between its task and its wait), not the 32 the maximum allows.
  EXPECT_LE(served.server().workers().threads(), 2u);
  EXPECT_LE(threads_of_this_process(), before + 3);
}

TEST(HttpWorkers, AsManyBlockingHandlersAsTheMaximumAllRunAtOnce) {
  constexpr int kMax = 12;
  std::mutex mu;
  std::condition_variable cv;
  int running = 0;
  int most = 0;
  Router router;
  // Each handler waits until all kMax are running together (a bound far above any scheduling
  // delay), and answers 200 when they were, 504 when it waited alone.
  router.get("/block", [&](const httplib::Request&, httplib::Response& res) {
    std::unique_lock lock(mu);
    ++running;
    most = std::max(most, running);
    cv.notify_all();
    const bool together = cv.wait_for(lock, 30s, [&] { return most >= kMax; });
    --running;
    res.status = together ? 200 : 504;
  });
  const std::size_t before = threads_of_this_process();
  Served served(router, kMax);
  std::vector<int> statuses(kMax, 0);
  std::vector<std::thread> clients;
  for (int i = 0; i < kMax; ++i)
    clients.emplace_back([&, i] { statuses[i] = get_status(served.port(), "/block"); });
  for (auto& c : clients) c.join();
  for (int i = 0; i < kMax; ++i) EXPECT_EQ(statuses[i], 200) << "request " << i;
  EXPECT_EQ(served.server().workers().threads(), static_cast<std::size_t>(kMax));
  EXPECT_LE(threads_of_this_process(), before + 1 + kMax);
}

}  // namespace
}  // namespace mlgate::server
