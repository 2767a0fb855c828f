// RunnerClient keeps its connections alive: calls made one after another share one TCP connection
// (the server sees one client port), concurrent calls use at most one connection each, and a call
// after the server dropped an idle connection still gets its answer.
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "runners/runner_client.h"

namespace mlgate::runners {
namespace {

// A stand-in for the server's lease check that records the client port of every request.
class PortRecordingServer {
 public:
  explicit PortRecordingServer(time_t keep_alive_seconds = 5) {
    server_.set_keep_alive_timeout(keep_alive_seconds);
    server_.set_keep_alive_max_count(1000);
    server_.set_tcp_nodelay(true);
    server_.Get(R"(/api/v1/runner/jobs/(\d+)/lease)",
                [this](const httplib::Request& req, httplib::Response& res) {
                  {
                    std::lock_guard lock(mu_);
                    ports_.insert(req.remote_port);
                    ++requests_;
                  }
                  res.set_content(R"({"cancel":false})", "application/json");
                });
    port_ = server_.bind_to_any_port("127.0.0.1");  // listening from here: calls may start
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~PortRecordingServer() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::size_t distinct_ports() {
    std::lock_guard lock(mu_);
    return ports_.size();
  }
  int requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::set<int> ports_;
  int requests_ = 0;
};

TEST(RunnerClientKeepAlive, SequentialCallsShareOneConnection) {
  PortRecordingServer server;
  RunnerClient client(server.url(), "credential");
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(client.lease(1, 1).held);
  EXPECT_EQ(server.requests(), 10);
  EXPECT_EQ(server.distinct_ports(), 1u);
}

TEST(RunnerClientKeepAlive, ConcurrentCallsUseAtMostOneConnectionEach) {
  PortRecordingServer server;
  RunnerClient client(server.url(), "credential");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) EXPECT_TRUE(client.lease(1, 1).held);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(server.requests(), 100);
  EXPECT_LE(server.distinct_ports(), 4u);
}

TEST(RunnerClientKeepAlive, ACallAfterTheServerDroppedTheIdleConnectionIsAnswered) {
  PortRecordingServer server(1);  // the server closes a connection idle for 1 s
  RunnerClient client(server.url(), "credential");
  EXPECT_TRUE(client.lease(1, 1).held);
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  EXPECT_TRUE(client.lease(1, 1).held);
  EXPECT_EQ(server.requests(), 2);
  EXPECT_EQ(server.distinct_ports(), 2u);
}

}  // namespace
}  // namespace mlgate::runners
