#include "runners/docker_api.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "util/child_process.h"
#include "util/strings.h"

namespace mlgate::runners {

using Clock = std::chrono::steady_clock;

namespace {

constexpr std::string_view kUnixScheme = "unix://";

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

// Waits until fd is readable or the deadline passes; false at the deadline.
bool readable_before(int fd, Clock::time_point deadline) {
  while (true) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    const int r = ::poll(&p, 1, static_cast<int>(left.count()));
    if (r > 0) return true;
    if (r < 0 && errno != EINTR) return false;
  }
}

// Appends what one read gives; false at EOF or on an error.
bool read_more(int fd, std::string& out) {
  char buf[16384];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      out.append(buf, static_cast<std::size_t>(n));
      return true;
    }
    if (n < 0 && errno == EINTR) continue;
    return false;
  }
}

void write_all(int fd, const std::string& data) {
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::runtime_error(std::string("docker API: write: ") + std::strerror(errno));
    done += static_cast<std::size_t>(n);
  }
}

int connect_unix(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) {
    throw std::runtime_error("docker API: socket path too long: " + path);
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error(std::string("docker API: socket: ") + std::strerror(errno));
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0) {
    const int err = errno;
    ::close(fd);
    throw std::runtime_error("docker API: connect " + path + ": " + std::strerror(err));
  }
  return fd;
}

// A chunked body (size in hex, CRLF, bytes, CRLF, ..., 0 CRLF CRLF) as its bytes.
std::string dechunk(const std::string& body) {
  std::string out;
  std::size_t at = 0;
  while (at < body.size()) {
    const auto eol = body.find("\r\n", at);
    if (eol == std::string::npos) break;
    const std::size_t size = std::strtoul(body.substr(at, eol - at).c_str(), nullptr, 16);
    if (size == 0) break;
    out.append(body, eol + 2, size);
    at = eol + 2 + size + 2;
  }
  return out;
}

// The daemon's message in an error body ({"message": "..."}), else the body itself.
std::string daemon_message(const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_object() && j.contains("message") && j["message"].is_string()) {
    return j["message"].get<std::string>();
  }
  return trimmed(body);
}

}  // namespace

std::optional<std::string> docker_api_socket(const std::string& docker) {
  std::string host;
  if (const char* env = std::getenv("DOCKER_HOST"); env != nullptr && *env != '\0') {
    host = env;
  } else {
    std::string out;
    try {
      const int status = util::run_capture(
          {docker, "context", "inspect", "--format", "{{.Endpoints.docker.Host}}"}, out);
      if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return std::nullopt;
    } catch (const std::exception&) {
      return std::nullopt;  // no such CLI: the executor says so when a job comes
    }
    host = trimmed(out);
  }
  if (host.rfind(kUnixScheme, 0) != 0 || host.size() == kUnixScheme.size()) return std::nullopt;
  return host.substr(kUnixScheme.size());
}

DockerApiCall::DockerApiCall(const std::string& socket, const std::string& target, bool upgrade,
                             std::chrono::milliseconds timeout, const std::string& json_body) {
  const auto deadline = Clock::now() + timeout;
  fd_ = connect_unix(socket);
  try {
    std::string request = "POST " + target + " HTTP/1.1\r\nHost: docker\r\n";
    request += upgrade ? "Connection: Upgrade\r\nUpgrade: tcp\r\n" : "Connection: close\r\n";
    if (!json_body.empty()) request += "Content-Type: application/json\r\n";
    request += "Content-Length: " + std::to_string(json_body.size()) + "\r\n\r\n" + json_body;
    write_all(fd_, request);
    std::string head;
    std::size_t end = std::string::npos;
    while ((end = head.find("\r\n\r\n")) == std::string::npos) {
      if (!readable_before(fd_, deadline) || !read_more(fd_, head)) {
        throw std::runtime_error("docker API: no answer to POST " + target);
      }
    }
    early_ = head.substr(end + 4);
    head.resize(end);
    // "HTTP/1.1 204 No Content"
    const auto sp = head.find(' ');
    status_ = sp == std::string::npos ? 0 : std::atoi(head.c_str() + sp + 1);
    if (status_ < 100) throw std::runtime_error("docker API: not HTTP: POST " + target);
    chunked_ = util::lower(head).find("transfer-encoding: chunked") != std::string::npos;
  } catch (...) {
    ::close(fd_);
    throw;
  }
}

DockerApiCall::~DockerApiCall() {
  if (fd_ >= 0) ::close(fd_);
}

std::string DockerApiCall::take_early_bytes() {
  return std::exchange(early_, std::string());
}

std::string DockerApiCall::read_body(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  std::string body = take_early_bytes();
  while (true) {
    if (!readable_before(fd_, deadline)) {
      throw std::runtime_error("docker API: the answer did not end in time");
    }
    if (!read_more(fd_, body)) break;
  }
  return chunked_ ? dechunk(body) : body;
}

void DockerApiCall::shut_down() {
  ::shutdown(fd_, SHUT_RDWR);
}

std::string AttachDemux::feed(std::string_view raw) {
  std::string out;
  while (!raw.empty()) {
    if (payload_left_ > 0) {
      const std::size_t n = std::min(payload_left_, raw.size());
      out.append(raw.substr(0, n));
      raw.remove_prefix(n);
      payload_left_ -= n;
      continue;
    }
    const std::size_t need = 8 - partial_.size();
    const std::size_t n = std::min(need, raw.size());
    partial_.append(raw.substr(0, n));
    raw.remove_prefix(n);
    if (partial_.size() < 8) break;
    const auto byte = [&](int i) {
      return static_cast<std::size_t>(static_cast<unsigned char>(partial_[i]));
    };
    payload_left_ = (byte(4) << 24) | (byte(5) << 16) | (byte(6) << 8) | byte(7);
    partial_.clear();
  }
  return out;
}

namespace {

// The daemon's message after an answer with `status`, or a sentence naming the status.
std::string failure_of(DockerApiCall& call, std::chrono::milliseconds timeout) {
  std::string body;
  try {
    body = call.read_body(timeout);
  } catch (const std::exception&) {
    // The status says enough.
  }
  std::string why = daemon_message(body);
  if (why.empty()) why = "the daemon answered " + std::to_string(call.status());
  return why;
}

}  // namespace

std::optional<std::string> docker_api_create(const std::string& socket, const std::string& name,
                                             const std::string& body,
                                             std::chrono::milliseconds timeout) {
  DockerApiCall call(socket, "/containers/create?name=" + name, false, timeout, body);
  if (call.status() == 201) return std::nullopt;
  return failure_of(call, timeout);
}

std::optional<std::string> docker_api_start(const std::string& socket, const std::string& name,
                                            std::chrono::milliseconds timeout) {
  DockerApiCall call(socket, "/containers/" + name + "/start", false, timeout);
  if (call.status() == 204) return std::nullopt;
  return failure_of(call, timeout);
}

std::optional<int> wait_status_code(const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_object() || !j.contains("StatusCode") || !j["StatusCode"].is_number_integer()) {
    return std::nullopt;
  }
  if (j.contains("Error") && j["Error"].is_object() && !j["Error"].value("Message", "").empty()) {
    return std::nullopt;
  }
  return j["StatusCode"].get<int>();
}

}  // namespace mlgate::runners
