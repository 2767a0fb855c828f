#include "tests/support/mlgate_process.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include "tests/support/temp_dir.h"

#ifndef MLGATE_BINARY
#error "MLGATE_BINARY must point at the built mlgate binary"
#endif

namespace mlgate::testing {
namespace fs = std::filesystem;

ServeProcess::ServeProcess(ServeProcessOptions options) : options_(std::move(options)) {
  fs::create_directories(options_.data_dir);
  log_path_ = options_.data_dir / "serve.log";
  fs::remove(options_.data_dir / "listen-address");
  const std::string binary = options_.binary.empty() ? MLGATE_BINARY : options_.binary;
  std::vector<std::string> argv = {
      binary, "serve", "--data-dir", options_.data_dir.string(), "--listen", options_.listen};
  if (!options_.database_url.empty()) {
    argv.push_back("--database-url");
    argv.push_back(options_.database_url);
  }
  for (const auto& a : options_.extra_args) argv.push_back(a);
  util::ChildOptions co;
  co.stdout_path = log_path_.string();
  co.stderr_path = "=stdout";
  co.env = {{"MLGATE_DATABASE_URL", ""}};
  child_ = util::ChildProcess(argv, co);
  fs::path addr = options_.data_dir / "listen-address";
  bool listening =
      eventually([&] { return fs::exists(addr) || !child_.running(); }, std::chrono::seconds(60));
  if (!listening || !child_.running()) {
    throw std::runtime_error("mlgate serve did not start; its log:\n" + log());
  }
  std::string text = read_file(addr);
  port_ = std::stoi(text.substr(text.rfind(':') + 1));
  if (options_.wait_ready &&
      !eventually([&] { return http_get(host_port(), "/readyz").status == 200; })) {
    throw std::runtime_error("mlgate serve never became ready; its log:\n" + log());
  }
}

ServeProcess::~ServeProcess() {
  if (child_.valid()) child_.stop(SIGTERM, std::chrono::seconds(15));
}

std::string ServeProcess::log() const {
  try {
    return read_file(log_path_);
  } catch (const std::exception&) {
    return "";
  }
}

int ServeProcess::stop(int sig) {
  return child_.stop(sig, std::chrono::seconds(15));
}

namespace {

httplib::Headers to_headers(const std::vector<std::pair<std::string, std::string>>& headers) {
  // A server that answers before reading the whole body (413) closes the socket under us.
  ::signal(SIGPIPE, SIG_IGN);
  httplib::Headers h;
  for (const auto& [k, v] : headers) h.emplace(k, v);
  return h;
}

}  // namespace

HttpResult http_get(const std::string& host_port, const std::string& path,
                    const std::vector<std::pair<std::string, std::string>>& headers) {
  httplib::Client cli("http://" + host_port);
  cli.set_connection_timeout(5);
  cli.set_read_timeout(60);
  auto r = cli.Get(path.c_str(), to_headers(headers));
  if (!r) return {};
  return {r->status, r->body};
}

HttpResult http_post(const std::string& host_port, const std::string& path, const std::string& body,
                     const std::string& content_type,
                     const std::vector<std::pair<std::string, std::string>>& headers) {
  httplib::Client cli("http://" + host_port);
  cli.set_connection_timeout(5);
  cli.set_read_timeout(60);
  auto r = cli.Post(path.c_str(), to_headers(headers), body, content_type.c_str());
  if (!r) return {};
  return {r->status, r->body};
}

int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    int err = errno;
    ::close(fd);
    throw std::runtime_error(std::string("bind 127.0.0.1:0: ") + std::strerror(err));
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return pred();
}

std::vector<pid_t> processes_matching(const std::string& needle) {
  std::vector<pid_t> out;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "cmdline", std::ios::binary);
    std::string cmd((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (char& c : cmd) {
      if (c == '\0') c = ' ';
    }
    if (cmd.find(needle) != std::string::npos) out.push_back(std::stoi(name));
  }
  return out;
}

bool eventually_long(const std::function<bool()>& pred) {
  return eventually(pred, std::chrono::seconds(90));
}

}  // namespace mlgate::testing
