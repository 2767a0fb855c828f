#include "server/http/http_util.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <filesystem>
#include <random>
#include <stdexcept>

#include "util/hex.h"

namespace mlgate::server {

void send_json(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n",
                  "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& code,
                const std::string& message) {
  send_json(res, status, {{"error", {{"code", code}, {"message", message}}}});
}

std::string new_error_id() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return util::hex_u64(rng());
}

ListenAddress parse_listen_address(const std::string& text) {
  ListenAddress a;
  std::string port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      throw std::invalid_argument("bad listen address '" + text + "' (expected [addr]:port)");
    }
    a.host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else if (auto colon = text.rfind(':'); colon != std::string::npos) {
    a.host = text.substr(0, colon);
    port = text.substr(colon + 1);
  } else {
    port = text;
  }
  if (a.host.empty()) a.host = "0.0.0.0";
  if (port.empty() || port.find_first_not_of("0123456789") != std::string::npos ||
      port.size() > 5) {
    throw std::invalid_argument("bad port in listen address '" + text + "'");
  }
  a.port = std::stoi(port);
  if (a.port > 65535) throw std::invalid_argument("port out of range in '" + text + "'");
  return a;
}

void apply_tuning(httplib::Server& http, const HttpTuning& tuning) {
  http.set_tcp_nodelay(tuning.tcp_nodelay);
  http.set_keep_alive_max_count(static_cast<size_t>(tuning.keep_alive_max));
  http.set_read_timeout(tuning.read_timeout_seconds, 0);
  http.set_payload_max_length(tuning.payload_max_bytes);
  int threads = tuning.threads;
  http.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
}

bool raise_listen_backlog(int port, int backlog) {
  std::error_code ec;
  bool raised = false;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
    int fd = -1;
    try {
      fd = std::stoi(entry.path().filename().string());
    } catch (const std::exception&) {
      continue;
    }
    int listening = 0;
    socklen_t len = sizeof listening;
    if (::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 || !listening) continue;
    sockaddr_storage addr{};
    socklen_t alen = sizeof addr;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &alen) != 0) continue;
    int bound = 0;
    if (addr.ss_family == AF_INET) {
      bound = ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
    } else if (addr.ss_family == AF_INET6) {
      bound = ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
    }
    if (bound == port && ::listen(fd, backlog) == 0) raised = true;
  }
  return raised;
}

}  // namespace mlgate::server
