// A fleet against a real serve: more parked runner claims than serve has worker threads, and
// hundreds of connections dripping their headers, while /healthz and a signed webhook still answer;
// a queued job goes to exactly one parked claim; shutdown answers every parked claim at once. And
// the connection limits: a header not whole within its deadline gets 408, an oversized header 431,
// a connection over the per-peer cap 503. Client timeouts are generous functional bounds, not
// measurements.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <string>
#include <thread>
#include <vector>

#include "store/pipelines.h"
#include "store/repos.h"
#include "store/runners.h"
#include "store/tokens.h"
#include "tests/support/mlgate_process.h"
#include "tests/support/pg_cluster.h"
#include "tests/support/temp_dir.h"
#include "util/hash.h"

namespace mlgate {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr const char* kSecret = "fleet-secret";
constexpr int kThreads = 4;

// One raw client connection, optionally from another loopback address (another peer).
class Raw {
 public:
  explicit Raw(int port, const char* from = "127.0.0.1") {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in local{};
    local.sin_family = AF_INET;
    ::inet_pton(AF_INET, from, &local.sin_addr);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~Raw() { ::close(fd_); }
  Raw(const Raw&) = delete;
  Raw& operator=(const Raw&) = delete;

  bool connected() const { return connected_; }
  bool send(const std::string& bytes) {
    return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(bytes.size());
  }
  // Whatever arrived so far, without waiting.
  const std::string& received() {
    char buf[4096];
    ssize_t n;
    while ((n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT)) > 0)
      text_.append(buf, static_cast<std::size_t>(n));
    if (n == 0) closed_ = true;
    return text_;
  }
  // Reads until a whole answer (header and Content-Length body) arrived, the peer closed, or the
  // timeout passed; the text received.
  const std::string& answer(std::chrono::milliseconds timeout) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (!whole() && !closed_ && std::chrono::steady_clock::now() < until) {
      pollfd p{fd_, POLLIN, 0};
      ::poll(&p, 1, 50);
      received();
    }
    return text_;
  }
  // True once the peer closed (reads until then or the timeout).
  bool closed_within(std::chrono::milliseconds timeout) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    while (!closed_ && std::chrono::steady_clock::now() < until) {
      pollfd p{fd_, POLLIN, 0};
      ::poll(&p, 1, 50);
      if (p.revents & (POLLERR | POLLHUP)) closed_ = true;
      received();
    }
    return closed_;
  }
  int status() const { return text_.rfind("HTTP/1.", 0) == 0 ? std::stoi(text_.substr(9, 3)) : -1; }
  std::string body() const {
    const auto at = text_.find("\r\n\r\n");
    return at == std::string::npos ? "" : text_.substr(at + 4);
  }

 private:
  bool whole() const {
    const auto end = text_.find("\r\n\r\n");
    if (end == std::string::npos) return false;
    const auto at = text_.find("Content-Length: ");
    if (at == std::string::npos || at > end) return true;
    return text_.size() >= end + 4 + std::stoul(text_.substr(at + 16));
  }
  int fd_ = -1;
  bool connected_ = false;
  bool closed_ = false;
  std::string text_;
};

std::string claim_request(const std::string& credential, int wait_seconds) {
  const std::string body = R"({"wait_seconds":)" + std::to_string(wait_seconds) + "}";
  return "POST /api/v1/runner/jobs/request HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
         credential +
         "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
}

// GET with a generous client timeout; -1 when no answer came.
int get_status(int port, const std::string& path) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(5);
  client.set_read_timeout(5);
  auto r = client.Get(path.c_str());
  return r ? r->status : -1;
}

class FleetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // This process holds several hundred sockets.
    rlimit limit{};
    ::getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
    conninfo_ = testing::PgCluster::instance().create_database("fleet");
    pqxx::connection c(conninfo_);
    pqxx::work tx(c);
    repo_ = store::insert_repo(tx, {.forge = "github",
                                    .full_name = "acme/model",
                                    .clone_url = "https://example.invalid/acme/model.git",
                                    .webhook_secret = kSecret});
    runner_ = store::generate_runner_credential();
    store::insert_runner(tx, {.name = "fleet", .capacity = 256, .executor = "local"}, runner_);
    tx.commit();
  }
  void TearDown() override {
    serve_.reset();
    testing::PgCluster::instance().drop_database(conninfo_);
  }

  void start(const std::vector<std::string>& args) {
    serve_ = std::make_unique<testing::ServeProcess>(testing::ServeProcessOptions{
        .data_dir = dir_.path() / "server", .database_url = conninfo_, .extra_args = args});
    admin_ = testing::read_file(dir_.path() / "server" / "admin-token");
    while (!admin_.empty() && admin_.back() == '\n') admin_.pop_back();
  }

  // A value of serve's /metrics (-1 when absent).
  double metric(const std::string& name) {
    auto r =
        testing::http_get(serve_->host_port(), "/metrics", {{"Authorization", "Bearer " + admin_}});
    std::istringstream in(r.body);
    for (std::string line; std::getline(in, line);) {
      if (line.rfind(name + " ", 0) == 0) return std::stod(line.substr(name.size() + 1));
    }
    return -1;
  }

  // A signed GitHub ping naming acme/model.
  int signed_webhook(const std::string& delivery) {
    const std::string body =
        R"({"zen":"x","hook_id":1,"repository":{"full_name":"acme/model","name":"model"}})";
    httplib::Client client("127.0.0.1", serve_->port());
    client.set_connection_timeout(5);
    client.set_read_timeout(5);
    httplib::Headers h = {
        {"X-GitHub-Event", "ping"},
        {"X-GitHub-Delivery", delivery},
        {"X-Hub-Signature-256", "sha256=" + util::hmac_sha256_hex(kSecret, body)}};
    auto r = client.Post("/webhooks/github", h, body, "application/json");
    return r ? r->status : -1;
  }

  std::int64_t queue_job() {
    pqxx::connection c(conninfo_);
    pqxx::work tx(c);
    store::NewPipeline p{.repo_id = repo_,
                         .trigger = "push",
                         .ref = "refs/heads/main",
                         .branch = "main",
                         .sha = std::string(40, 'b')};
    p.jobs.push_back({.tier = "functionality", .image = "busybox", .command = "true"});
    const auto pipeline = store::create_pipeline(tx, p);
    const auto job = tx.exec_params1("SELECT id FROM jobs WHERE pipeline_id = $1", pipeline)[0]
                         .as<std::int64_t>();
    store::notify_jobs(tx);
    tx.commit();
    return job;
  }

  testing::TempDir dir_{"mlgate-fleet"};
  std::string conninfo_;
  std::int64_t repo_ = 0;
  std::string runner_;
  std::string admin_;
  std::unique_ptr<testing::ServeProcess> serve_;
};

TEST_F(FleetTest, ParkedClaimsAndDrippingHeadersLeaveHealthAndWebhooksAnswered) {
  start({"--http-threads", std::to_string(kThreads), "--max-claim-wait", "120"});
  const int port = serve_->port();
  // More claims than threads: each would hold a thread for its whole wait if it were not parked.
  std::vector<std::unique_ptr<Raw>> claims;
  for (int i = 0; i < kThreads + 200; ++i) {
    claims.push_back(std::make_unique<Raw>(port));
    ASSERT_TRUE(claims.back()->connected());
    ASSERT_TRUE(claims.back()->send(claim_request(runner_, 120)));
  }
  ASSERT_TRUE(testing::eventually(
      [&] { return metric("mlgate_http_parked_polls") == kThreads + 200; }, 60s))
      << metric("mlgate_http_parked_polls");
  // Slow clients: 300 connections sending their header one byte a second.
  std::vector<std::unique_ptr<Raw>> drips;
  for (int i = 0; i < 300; ++i) drips.push_back(std::make_unique<Raw>(port));
  const std::string header = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
  for (std::size_t byte = 0; byte < 3; ++byte) {
    for (auto& d : drips) d->send(header.substr(byte, 1));
    EXPECT_EQ(get_status(port, "/healthz"), 200);
    const int hook = signed_webhook("fleet-" + std::to_string(byte));
    EXPECT_TRUE(hook >= 200 && hook < 300) << hook;
    std::this_thread::sleep_for(1s);
  }
  EXPECT_GE(metric("mlgate_http_open_connections"), kThreads + 200 + 300);

  // A job queued now goes to exactly one of the parked claims.
  const double wakeups = metric("mlgate_http_poll_wakeups_total");
  const auto job = queue_job();
  ASSERT_TRUE(testing::eventually(
      [&] {
        for (auto& c : claims)
          if (!c->received().empty()) return true;
        return false;
      },
      20s));
  ASSERT_TRUE(testing::eventually(
      [&] { return metric("mlgate_http_parked_polls") == kThreads + 200 - 1; }, 20s));
  int answered = 0;
  for (auto& c : claims) {
    if (c->received().empty()) continue;
    ++answered;
    c->answer(5s);
    ASSERT_EQ(c->status(), 200) << c->received();
    EXPECT_EQ(json::parse(c->body())["job"]["id"], job);
  }
  EXPECT_EQ(answered, 1);
  // Not a thundering herd: the claims are of one kind, so one was woken, and after its claim the
  // next (which found nothing) — not all 204.
  const double woken = metric("mlgate_http_poll_wakeups_total") - wakeups;
  EXPECT_GE(woken, 1);
  EXPECT_LE(woken, 4);

  // Shutdown answers every parked claim now (their wait was 120 s).
  std::thread stopper([&] { serve_->stop(); });
  int no_job = 0;
  for (auto& c : claims) {
    if (c->status() == 200) continue;
    c->answer(10s);
    if (c->status() == 204) ++no_job;
  }
  stopper.join();
  EXPECT_EQ(no_job, kThreads + 200 - 1);
}

// A webhook's sender is not known until the signature over its body is checked, so the server
// reads a webhook's body before the handler runs: bodies dripping from anyone hold no handler
// thread, and /healthz and a signed webhook answer while ten times more of them than threads are
// under way. The bodies the server holds at once share one budget: past it, 503 and closed.
TEST_F(FleetTest, DrippingWebhookBodiesHoldNoThreadAndShareABudget) {
  start({"--http-threads", std::to_string(kThreads), "--max-buffered-body-bytes", "2097152"});
  const int port = serve_->port();
  const std::string head =
      "POST /webhooks/github HTTP/1.1\r\nHost: x\r\nX-GitHub-Event: ping\r\n"
      "Content-Type: application/json\r\nContent-Length: ";
  std::vector<std::unique_ptr<Raw>> drips;
  for (int i = 0; i < kThreads * 10; ++i) {
    drips.push_back(std::make_unique<Raw>(port));
    ASSERT_TRUE(drips.back()->send(head + "1000\r\n\r\n{"));
  }
  for (int second = 0; second < 3; ++second) {
    for (auto& d : drips) d->send(" ");
    EXPECT_EQ(get_status(port, "/healthz"), 200);
    const int hook = signed_webhook("drip-" + std::to_string(second));
    EXPECT_TRUE(hook >= 200 && hook < 300) << hook;
    std::this_thread::sleep_for(1s);
  }
  for (auto& d : drips) EXPECT_TRUE(d->received().empty()) << d->received();

  // 2 MiB for all bodies: two bodies of 768 KiB under way fit, a third does not.
  std::vector<std::unique_ptr<Raw>> big;
  for (int i = 0; i < 3; ++i) {
    big.push_back(std::make_unique<Raw>(port));
    big.back()->send(head + "20000000\r\n\r\n" + std::string(768 * 1024, ' '));
  }
  auto refused = [&] {
    int n = 0;
    for (auto& b : big)
      if (!b->received().empty() && b->status() == 503) ++n;
    return n;
  };
  ASSERT_TRUE(testing::eventually([&] { return refused() >= 1; }, 20s));
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(refused(), 1);
  for (auto& b : big)
    if (b->status() == 503) {
      EXPECT_NE(b->received().find("too many request bodies"), std::string::npos) << b->received();
      EXPECT_TRUE(b->closed_within(5s));
    }
  // What the refused body held was given back: a small delivery still fits.
  const int hook = signed_webhook("after-budget");
  EXPECT_TRUE(hook >= 200 && hook < 300) << hook;
}

TEST_F(FleetTest, SlowHeadersOversizedHeadersAndConnectionsOverThePeerCapAreRefused) {
  start({"--header-timeout", "1", "--body-timeout", "2", "--keep-alive-timeout", "120",
         "--max-connections-per-peer", "5"});
  const int port = serve_->port();
  // A header dripping past its deadline: 408, then closed.
  Raw slow(port, "127.0.0.2");
  const std::string header = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
  bool closed = false;
  for (std::size_t i = 0; i < header.size() && !closed; ++i) {
    slow.send(header.substr(i, 1));
    closed = slow.closed_within(300ms);
  }
  EXPECT_TRUE(closed || slow.closed_within(10s));
  EXPECT_EQ(slow.status(), 408) << slow.received();
  EXPECT_GE(metric("mlgate_http_header_timeouts_total"), 1);

  // A header over 16 KiB: 431.
  Raw big(port, "127.0.0.2");
  big.send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n");
  big.answer(10s);
  EXPECT_EQ(big.status(), 431) << big.received().substr(0, 200);

  // A body that stops arriving holds the webhook route's worker until the body deadline: 408.
  Raw stalled(port, "127.0.0.2");
  stalled.send(
      "POST /webhooks/github HTTP/1.1\r\nHost: x\r\nX-GitHub-Event: ping\r\n"
      "Content-Length: 100\r\n\r\n{\"zen\":");
  stalled.answer(20s);
  EXPECT_EQ(stalled.status(), 408) << stalled.received();
  EXPECT_TRUE(stalled.closed_within(10s));

  // A client waiting for "100 Continue" gets it when the route reads the body.
  Raw polite(port, "127.0.0.2");
  polite.send(
      "POST /webhooks/github HTTP/1.1\r\nHost: x\r\nX-GitHub-Event: ping\r\n"
      "Expect: 100-continue\r\nContent-Length: 2\r\n\r\n");
  polite.answer(10s);
  EXPECT_EQ(polite.received().rfind("HTTP/1.1 100 Continue\r\n\r\n", 0), 0u) << polite.received();
  polite.send("{}");

  // Five kept-alive connections from 127.0.0.3 fill its share; a sixth is refused; another
  // address is not.
  std::vector<std::unique_ptr<Raw>> kept;
  for (int i = 0; i < 5; ++i) {
    kept.push_back(std::make_unique<Raw>(port, "127.0.0.3"));
    kept.back()->send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    kept.back()->answer(10s);
    ASSERT_EQ(kept.back()->status(), 200) << kept.back()->received();
  }
  Raw over(port, "127.0.0.3");
  over.answer(10s);
  EXPECT_EQ(over.status(), 503) << over.received();
  EXPECT_TRUE(over.closed_within(10s));
  Raw other(port, "127.0.0.4");
  other.send("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  other.answer(10s);
  EXPECT_EQ(other.status(), 200) << other.received();
  EXPECT_GE(metric("mlgate_http_refused_connections_total{reason=\"per_peer\"}"), 1);
}

}  // namespace
}  // namespace mlgate
