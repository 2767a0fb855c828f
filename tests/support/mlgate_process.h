// Runs the real `mlgate` binary as a child process for end-to-end tests: serve on a free port,
// wait until it listens, talk to it over real HTTP, stop it with a signal.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "util/child_process.h"

namespace mlgate::testing {

struct ServeProcessOptions {
  std::filesystem::path data_dir;
  std::string database_url;             // empty: embedded PostgreSQL
  std::vector<std::string> extra_args;  // e.g. {"--test-endpoints"}
  bool wait_ready = true;               // wait for /readyz 200 (else only for the listen address)
  std::string listen = "127.0.0.1:0";   // a fixed port lets a test restart serve where it was
  std::string binary;                   // empty: the mlgate this build made (MLGATE_BINARY)
};

class ServeProcess {
 public:
  explicit ServeProcess(ServeProcessOptions options);
  ~ServeProcess();
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;

  int port() const { return port_; }
  std::string host_port() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string url() const { return "http://" + host_port(); }
  util::ChildProcess& process() { return child_; }
  std::string log() const;  // everything serve wrote to stderr
  std::filesystem::path log_path() const { return log_path_; }
  // SIGTERM and wait; returns the wait status.
  int stop(int sig = 15);

 private:
  ServeProcessOptions options_;
  std::filesystem::path log_path_;
  util::ChildProcess child_;
  int port_ = 0;
};

// GET/POST helpers on 127.0.0.1 returning status and body; status -1 when the connection fails.
struct HttpResult {
  int status = -1;
  std::string body;
};
HttpResult http_get(const std::string& host_port, const std::string& path,
                    const std::vector<std::pair<std::string, std::string>>& headers = {});
HttpResult http_post(const std::string& host_port, const std::string& path, const std::string& body,
                     const std::string& content_type = "application/json",
                     const std::vector<std::pair<std::string, std::string>>& headers = {});

// A TCP port of 127.0.0.1 that was free a moment ago (bound to port 0, then closed).
int free_port();

// Polls until pred() is true or the timeout passes.
bool eventually(const std::function<bool()>& pred,
                std::chrono::milliseconds timeout = std::chrono::seconds(20));
// The same with 90 s: for waits on pipelines, workers' loops and the forge outbox's retries.
bool eventually_long(const std::function<bool()>& pred);

// Processes whose command line contains `needle` (from /proc), for "no process left behind" checks.
std::vector<pid_t> processes_matching(const std::string& needle);

}  // namespace mlgate::testing
