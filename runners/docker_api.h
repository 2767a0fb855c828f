// The Docker Engine API over the daemon's unix socket, for the one step of a job that is on the way
// from its claim to its container running: attaching to the container the executor created and
// starting it, as `docker start -a` does, without starting a docker CLI process (tens of ms, more
// on a loaded host). Everything else (create, kill, rm, ps) stays with the CLI.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace mlgate::runners {

// The unix socket the docker CLI `docker` talks to: DOCKER_HOST when it is set, else the endpoint
// of the CLI's current context (`docker context inspect`). nullopt when that is not a unix socket
// (tcp://, ssh://) or cannot be found: the executor then uses `docker start -a`.
std::optional<std::string> docker_api_socket(const std::string& docker);

// One HTTP/1.1 POST to the daemon, without a body, whose answer is read as it comes.
class DockerApiCall {
 public:
  // Connects to `socket`, sends `POST <target>` (with `Upgrade: tcp` when `upgrade`: the attach
  // stream; with `json_body` as its body when not empty), and reads the status line and headers
  // within `timeout`. Throws std::runtime_error when the daemon cannot be reached or does not
  // answer HTTP.
  DockerApiCall(const std::string& socket, const std::string& target, bool upgrade,
                std::chrono::milliseconds timeout, const std::string& json_body = "");
  ~DockerApiCall();
  DockerApiCall(const DockerApiCall&) = delete;
  DockerApiCall& operator=(const DockerApiCall&) = delete;

  int status() const { return status_; }
  int fd() const { return fd_; }
  // The body's bytes that came with the headers (not yet de-chunked); taken, the next call is "".
  std::string take_early_bytes();
  // The rest of the body until the daemon closes the connection (every request asks it to), at
  // most `timeout`, de-chunked when the answer is chunked. Throws std::runtime_error at the
  // timeout.
  std::string read_body(std::chrono::milliseconds timeout);
  // Ends the stream from this side: a read of fd() sees EOF.
  void shut_down();

 private:
  int fd_ = -1;
  int status_ = 0;
  bool chunked_ = false;
  std::string early_;
};

// The payloads of the multiplexed stream an attach to a container without a TTY gives: frames of
// an 8-byte header (stream 1 or 2, three zero bytes, the size as a big-endian 32-bit number) and
// the bytes. Frames may be split anywhere between reads.
class AttachDemux {
 public:
  // The payload bytes in `raw`, stdout and stderr in the order they came.
  std::string feed(std::string_view raw);

 private:
  std::string partial_;  // an incomplete frame's header, or the start of a header
  std::size_t payload_left_ = 0;
};

// `POST /containers/<name>/start`. nullopt when the daemon started it, else the daemon's message
// ("driver failed programming ...", "No such container: ...").
std::optional<std::string> docker_api_start(const std::string& socket, const std::string& name,
                                            std::chrono::milliseconds timeout);

// `POST /containers/create?name=<name>` with `body` (docker_create_body). nullopt when the daemon
// created it, else its message ("No such image: ...", "Conflict. The container name ...").
std::optional<std::string> docker_api_create(const std::string& socket, const std::string& name,
                                             const std::string& body,
                                             std::chrono::milliseconds timeout);

// The container's exit code from the body of `POST /containers/<name>/wait`; nullopt when it
// holds none or an error.
std::optional<int> wait_status_code(const std::string& body);

}  // namespace mlgate::runners
