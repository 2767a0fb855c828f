// The measuring side: N concurrent HTTP clients, each on one keep-alive connection (cpp-httplib's
// Client with set_keep_alive), sending GET requests back to back for a fixed time or until the
// requests run out.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace mlgate::bench {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct Answer {
  int status = 0;
  std::string cache;  // X-Mlgate-Cache
  const std::string* body = nullptr;
};

struct LoadRun {
  int clients = 0;
  long requests = 0;   // answered and as expected
  long failures = 0;   // no answer, or not the expected one
  long no_answer = 0;  // of the failures: no answer at all (connection error or timeout)
  std::string first_failure;
  double seconds = 0;    // from the start signal until the last client stopped
  bool ran_out = false;  // the requests ran out before the time was up
  std::vector<double> latency_ms;

  double rate() const { return seconds > 0 ? static_cast<double>(requests) / seconds : 0; }
};

struct LoadSpec {
  std::string host = "127.0.0.1";
  int port = 0;
  int clients = 1;
  std::chrono::seconds duration{5};
  HeaderList headers;
  int read_timeout_seconds = 60;  // a request without an answer by then is a failure (no answer)
  // The path of request number i (0, 1, 2, … across all clients), or nullopt when there are no
  // more requests to send.
  std::function<std::optional<std::string>(long)> path;
  // "" when the answer is the expected one, else what is wrong with it.
  std::function<std::string(const Answer&)> check;
};

LoadRun run_load(const LoadSpec& spec);

// Percentile by nearest rank (p in 0..1); 0 for no samples.
double percentile(std::vector<double> v, double p);

}  // namespace mlgate::bench
