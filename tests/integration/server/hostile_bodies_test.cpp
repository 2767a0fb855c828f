// Hostile request bodies against a real serve: 16 MiB of `[` without credentials, oversized
// authenticated calls and 100k-deep documents. Each is refused (401, 413 or 400) and serve's peak
// resident memory grows by a small multiple of the body at most.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <string>
#include <thread>

#include "store/repos.h"
#include "tests/support/loopback.h"
#include "tests/support/mlgate_process.h"
#include "tests/support/pg_cluster.h"
#include "tests/support/temp_dir.h"
#include "util/hash.h"

namespace mlgate {
namespace {

using nlohmann::json;
using testing::http_post;
using Headers = std::vector<std::pair<std::string, std::string>>;

constexpr std::size_t kMiB = std::size_t{1} << 20;

// A field of /proc/<pid>/status in bytes ("VmHWM", "VmRSS").
std::size_t proc_status_bytes(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stoull(line.substr(field.size() + 1)) * 1024;
  }
  return 0;
}

// Sends a request whose body may be refused before it is read: the body is written from one
// thread while the answer is read on this one. Returns the answer's status line and body.
struct RawAnswer {
  int status = -1;
  std::string text;
};
RawAnswer raw_post(int port, const std::string& path, const Headers& headers,
                   const std::string& body) {
  const int fd = testing::connect_loopback(port);
  if (fd < 0) return {};
  timeval tv{60, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string head = "POST " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n";
  for (const auto& [k, v] : headers) head += k + ": " + v + "\r\n";
  head += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
          "\r\n\r\n";
  std::thread writer([&] {
    if (::send(fd, head.data(), head.size(), MSG_NOSIGNAL) < 0) return;
    std::size_t sent = 0;
    while (sent < body.size()) {
      const auto n = ::send(fd, body.data() + sent,
                            std::min<std::size_t>(body.size() - sent, 65536), MSG_NOSIGNAL);
      if (n <= 0) return;
      sent += static_cast<std::size_t>(n);
    }
  });
  RawAnswer answer;
  char buf[4096];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) answer.text.append(buf, static_cast<size_t>(n));
  ::shutdown(fd, SHUT_RDWR);
  writer.join();
  ::close(fd);
  if (answer.text.rfind("HTTP/1.1 ", 0) == 0) answer.status = std::stoi(answer.text.substr(9, 3));
  return answer;
}

class HostileBodiesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conninfo_ = testing::PgCluster::instance().create_database("hostile");
    {
      pqxx::connection c(conninfo_);
      pqxx::work tx(c);
      store::NewRepo repo;
      repo.forge = "github";
      repo.full_name = "acme/model";
      repo.clone_url = "https://github.example.invalid/acme/model.git";
      repo.webhook_secret = kSecret;
      store::insert_repo(tx, repo);
      tx.commit();
    }
    serve_ = std::make_unique<testing::ServeProcess>(testing::ServeProcessOptions{
        .data_dir = dir_.path() / "server",
        .database_url = conninfo_,
        .extra_args = {"--max-header-bytes", "1048576"}});  // request lines of up to a MiB
    admin_ = testing::read_file(dir_.path() / "server" / "admin-token");
    while (!admin_.empty() && admin_.back() == '\n') admin_.pop_back();
    auto reg = http_post(serve_->host_port(), "/api/v1/runner/register", R"({"name":"r1"})",
                         "application/json", {{"Authorization", "Bearer " + admin_}});
    ASSERT_EQ(reg.status, 201) << reg.body;
    runner_ = json::parse(reg.body)["token"];
  }

  pid_t pid() { return serve_->process().pid(); }

  // Posts `body` and returns serve's peak RSS growth in bytes; the answer in `answer`.
  std::size_t peak_growth(const std::string& path, const Headers& headers, const std::string& body,
                          RawAnswer& answer) {
    const auto before = proc_status_bytes(pid(), "VmHWM");
    answer = raw_post(serve_->port(), path, headers, body);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    const auto after = proc_status_bytes(pid(), "VmHWM");
    const auto rss = proc_status_bytes(pid(), "VmRSS");
    std::printf("%s: status %d, peak RSS +%.1f MiB (RSS now %.1f MiB)\n", path.c_str(),
                answer.status, static_cast<double>(after - before) / kMiB,
                static_cast<double>(rss) / kMiB);
    return after - before;
  }

  Headers signed_github(const std::string& body) {
    return {{"X-GitHub-Event", "push"},
            {"X-GitHub-Delivery", "hostile-" + util::sha256_hex(body).substr(0, 12)},
            {"X-Hub-Signature-256", "sha256=" + util::hmac_sha256_hex(kSecret, body)}};
  }

  static constexpr const char* kSecret = "hostile-secret";
  testing::TempDir dir_;
  std::string conninfo_;
  std::unique_ptr<testing::ServeProcess> serve_;
  std::string admin_;
  std::string runner_;
};

// Opens `depth` arrays and closes them, padded with spaces to `size` bytes.
std::string nested(std::size_t depth, std::size_t size) {
  std::string s(depth, '[');
  s.append(depth, ']');
  if (s.size() < size) s.append(size - s.size(), ' ');
  return s;
}

TEST_F(HostileBodiesTest, SixteenMebibytesOfBracketsWithoutCredentialsAreNotParsed) {
  const std::string flood(16 * kMiB, '[');
  RawAnswer a;
  const auto runner_growth = peak_growth("/api/v1/runner/jobs/request", {}, flood, a);
  EXPECT_EQ(a.status, 401) << a.text;
  EXPECT_LT(runner_growth, 8 * flood.size());
  const auto webhook_growth =
      peak_growth("/webhooks/github", {{"X-GitHub-Event", "push"}}, flood, a);
  // Read (under the 25 MiB cap) but never built: the repository peek stops at level 65.
  EXPECT_EQ(a.status, 400) << a.text;
  EXPECT_NE(a.text.find("nested deeper than 64 levels"), std::string::npos) << a.text;
  EXPECT_LT(webhook_growth, 8 * flood.size());
  // serve still answers.
  EXPECT_EQ(testing::http_get(serve_->host_port(), "/healthz").status, 200);
}

TEST_F(HostileBodiesTest, AnOversizedAuthenticatedRunnerCallIs413WithTheLimit) {
  const std::string flood(16 * kMiB, '[');
  RawAnswer a;
  const auto growth = peak_growth("/api/v1/runner/jobs/request",
                                  {{"Authorization", "Bearer " + runner_}}, flood, a);
  EXPECT_EQ(a.status, 413) << a.text;
  EXPECT_NE(a.text.find("limit of 65536 bytes"), std::string::npos) << a.text;
  EXPECT_LT(growth, 8 * flood.size());
  // Within the limit the same route works.
  auto ok = http_post(serve_->host_port(), "/api/v1/runner/jobs/request", R"({"wait_seconds":0})",
                      "application/json", {{"Authorization", "Bearer " + runner_}});
  EXPECT_EQ(ok.status, 204) << ok.body;
}

TEST_F(HostileBodiesTest, AnOversizedApiCallIs413BeforeItsBodyIsRead) {
  const std::string big(2 * kMiB, ' ');
  RawAnswer a;
  peak_growth("/api/v1/tokens", {{"Authorization", "Bearer " + admin_}}, big, a);
  EXPECT_EQ(a.status, 413) << a.text;
  EXPECT_NE(a.text.find("limit of 1048576 bytes"), std::string::npos) << a.text;
}

TEST_F(HostileBodiesTest, DeepNestingIs400NotACrash) {
  // 100k nested arrays in 1,000,000 bytes, to the API and to a signed webhook.
  const std::string deep = nested(100000, 1000000);
  RawAnswer a;
  auto growth = peak_growth("/api/v1/tokens", {{"Authorization", "Bearer " + admin_}}, deep, a);
  EXPECT_EQ(a.status, 400) << a.text;
  EXPECT_NE(a.text.find("nested deeper than 64 levels at byte 64"), std::string::npos) << a.text;
  EXPECT_LT(growth, 8 * deep.size());

  const std::string deep_push =
      R"({"repository": {"full_name": "acme/model"}, "commits": )" + nested(100000, 1000000) + "}";
  growth = peak_growth("/webhooks/github", signed_github(deep_push), deep_push, a);
  EXPECT_EQ(a.status, 400) << a.text;
  EXPECT_NE(a.text.find("nested deeper than 64 levels"), std::string::npos) << a.text;
  EXPECT_LT(growth, 8 * deep_push.size());

  // A runner's call is held to 64 KiB: 30k levels fit.
  const std::string deep_call = nested(30000, 60000);
  growth = peak_growth("/api/v1/runner/jobs/request", {{"Authorization", "Bearer " + runner_}},
                       deep_call, a);
  EXPECT_EQ(a.status, 400) << a.text;
  EXPECT_NE(a.text.find("nested deeper than 64 levels"), std::string::npos) << a.text;
  EXPECT_EQ(testing::http_get(serve_->host_port(), "/healthz").status, 200);
}

// Long inputs that std::regex matched by recursing once per character, which overflowed the stack
// near 26,000 characters and killed serve (before any token was read, for a path): a registered
// repository's name and URLs, a path under /api/v1/repos/, a delivery id. They are refused or
// answered, serve keeps running, and a string with the NUL character is refused, not cut short
// (a webhook secret stored as its bytes before the NUL would verify signatures made with those).
TEST_F(HostileBodiesTest, LongNamesUrlsPathsAndIdsAndNulStringsAreRefusedWithoutACrash) {
  const Headers admin = {{"Authorization", "Bearer " + admin_}};
  const auto add_repo = [&](const std::string& field, const std::string& value) {
    json repo = {{"forge", "github"},
                 {"name", "acme/other"},
                 {"clone_url", "https://git.example.invalid/acme/other.git"},
                 {"secret", "0123456789abcdef"}};
    repo[field] = value;
    return http_post(serve_->host_port(), "/api/v1/repos", repo.dump(), "application/json", admin);
  };
  const std::string long_text(100000, 'a');
  for (const auto& [field, value] : std::vector<std::pair<std::string, std::string>>{
           {"name", "acme/" + long_text},
           {"clone_url", "https://" + long_text},
           {"api_base_url", "https://" + long_text},
           {"secret", std::string("abcdefgh\0rest", 13)}}) {
    const auto r = add_repo(field, value);
    EXPECT_EQ(r.status, 400) << field << ": " << r.body.substr(0, 300);
  }
  EXPECT_NE(add_repo("secret", std::string("abcdefgh\0rest", 13)).body.find("NUL"),
            std::string::npos);
  EXPECT_EQ(add_repo("name", "acme/other").status, 201);

  const std::string long_id = "/api/v1/webhooks/deliveries/99999999999999999999";
  EXPECT_EQ(testing::http_get(serve_->host_port(), long_id).status, 404);
  EXPECT_EQ(testing::http_get(serve_->host_port(), long_id, admin).status, 404);

  std::string path = "/api/v1/repos/a";
  while (path.size() < 300000) path += "/a";
  path += "/environments/production/observations";
  RawAnswer a = raw_post(serve_->port(), path, {}, "{}");
  EXPECT_EQ(a.status, 401) << a.text.substr(0, 300);
  EXPECT_EQ(testing::http_get(serve_->host_port(), "/healthz").status, 200);
}

}  // namespace
}  // namespace mlgate
