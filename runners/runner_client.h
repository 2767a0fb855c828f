// The runner side of the runner protocol (docs/runners.md): one call per endpoint, JSON in and
// out over cpp-httplib. Connections are kept alive and reused across calls: each call takes an idle
// one (or opens one) and gives it back after the answer, so the client is safe to use from every
// job thread at once and a busy runner does not pay a TCP handshake (and a server worker's start)
// per call. Transport failures throw RunnerClientError (callers retry); answers the protocol
// defines (no job, lease lost, log gap, malformed results) come back as values.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace mlgate::runners {

class RunnerClientError : public std::runtime_error {
 public:
  RunnerClientError(const std::string& message, int status = 0)
      : std::runtime_error(message), status_(status) {}
  int status() const { return status_; }  // 0 for a transport failure
 private:
  int status_;
};

struct Registration {
  std::int64_t id = 0;
  std::string token;
};

struct RegisterRequest {
  std::string name;
  std::vector<std::string> tiers;
  int capacity = 1;
  std::string executor;
  std::string version;
};

struct Claim {
  nlohmann::json job;  // as the server sent it (id, attempt, repo, clone_url, sha, ...)
  int lease_seconds = 60;
  int heartbeat_seconds = 20;
  std::int64_t log_max_bytes = 0;
  nlohmann::json results_max_bytes;  // {"junit.xml": N, ...}
};

struct LeaseReply {
  bool held = false;
  bool cancel = false;
};

struct LogReply {
  bool held = false;
  bool gap = false;
  std::int64_t log_bytes = 0;
  bool cancel = false;
};

struct UploadReply {
  bool held = false;
  bool accepted = false;
  std::string error;  // the parser's message with file, line and column when not accepted
};

struct FinishReply {
  bool held = false;
  std::string state;
};

class RunnerClient {
 public:
  // server_url: "http://host:port" with an optional base path.
  RunnerClient(std::string server_url, std::string credential);

  static Registration register_runner(const std::string& server_url,
                                      const std::string& registration_token,
                                      const RegisterRequest& request);

  // Long-polls for a job up to wait_seconds; nullopt when none came. Throws RunnerClientError
  // with status 401 when the credential is not (or no longer) valid.
  std::optional<Claim> request_job(const std::vector<std::string>& tiers, int wait_seconds);
  LeaseReply heartbeat(std::int64_t job, int attempt);
  LeaseReply lease(std::int64_t job, int attempt);
  LogReply append_log(std::int64_t job, int attempt, std::int64_t offset, std::string_view data);
  // `body` holds at most the server's cap + 1 bytes of the file; real_size is its full size.
  UploadReply upload_results(std::int64_t job, int attempt, const std::string& file,
                             const std::string& body, std::uint64_t real_size);
  FinishReply finish(std::int64_t job, int attempt, const std::string& outcome, int exit_code,
                     const std::string& message, bool log_truncated);
  // Gives the attempts this runner held in an earlier life back to the queue; returns how many.
  int reset();

  const std::string& server_url() const { return url_; }

  class Connections;  // the idle kept-alive connections (runner_client.cpp)

 private:
  std::string url_;
  std::string credential_;
  std::string base_path_;  // "" or "/prefix" of the server URL
  std::shared_ptr<Connections> connections_;
};

}  // namespace mlgate::runners
