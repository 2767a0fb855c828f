// The load of scripts/bench fleet, from one thread (Boost.Asio coroutines, one io_context), HTTP
// only, so that it works against any server that speaks the runner protocol:
//
//  polls  `slots` long-polling runner claims (POST /api/v1/runner/jobs/request {wait_seconds,
//         tiers}), spread over the given runner credentials, each on its own keep-alive
//         connection, asking again at once after a 204. A 200 hands out a job: the slot finishes it
//         over the protocol (POST …/finish, exited 0) and asks again. Every answer is checked:
//         200 with a job, 204, else it is counted as unexpected; a connection that fails, closes
//         before a whole answer or gives none within `answer_timeout` is counted and reopened.
//  drips  `drips` connections that send a request line and then one header byte every
//         `drip_interval`, forever; when the server closes one (a header deadline), it is counted
//         with how long it lived, and opened again at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>  // before Boost 1.74's asio/awaitable.hpp, which needs std::exchange
#include <vector>

namespace mlgate::bench {

struct FleetSpec {
  std::string host = "127.0.0.1";
  int port = 0;
  std::vector<std::string> credentials;  // one per registered runner
  int slots = 1000;                      // claim polls, spread round-robin over the credentials
  int wait_seconds = 30;
  std::string tier = "training";
  int drips = 1000;
  std::chrono::milliseconds drip_interval{2000};
  std::chrono::seconds answer_timeout{60};  // a poll without an answer by then: counted, reopened
  std::chrono::milliseconds ramp{4000};     // connections are opened evenly over this time
};

// One claim handed out to a poll: the job and its attempt.
struct FleetClaim {
  std::int64_t job_id = 0;
  int attempt = 0;
};

struct FleetStats {
  // Polls.
  long polls_sent = 0;    // requests written
  long polls_parked = 0;  // written and not answered yet (now)
  long answers_200 = 0, answers_204 = 0;
  long unexpected = 0;  // another status, or a 200 without a job
  std::string first_unexpected;
  long malformed = 0;  // bytes that are not an HTTP answer
  std::string first_malformed;
  long connect_errors = 0, closed_early = 0, answer_timeouts = 0;
  std::string first_connection_error;
  std::vector<FleetClaim> claims;
  long finished = 0;  // finish answered 200
  long finish_failures = 0;
  std::string first_finish_failure;
  std::vector<double> wait_204_s;  // how long each 204 took (the long poll's wait)
  // Drips.
  long drip_connects = 0, drip_connect_errors = 0, drips_open = 0;
  long drip_bytes = 0;
  long drips_cut = 0;                   // closed by the server
  std::map<int, long> drip_answers;     // a status the server sent before closing (0: none)
  std::vector<double> drip_lifetime_s;  // of each cut connection
};

class FleetLoad {
 public:
  explicit FleetLoad(FleetSpec spec);
  ~FleetLoad();  // stop()
  FleetLoad(const FleetLoad&) = delete;
  FleetLoad& operator=(const FleetLoad&) = delete;

  void start();
  // Closes every connection and joins the load's thread.
  void stop();
  FleetStats snapshot() const;

  struct State;

 private:
  std::unique_ptr<State> state_;
};

}  // namespace mlgate::bench
