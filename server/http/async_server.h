// The HTTP server of `mlgate serve`, on Boost.Asio and Boost.Beast (docs/architecture.md, "The
// HTTP server"). One I/O thread accepts, reads headers and buffered bodies, writes answers and
// keeps every deadline; handlers run on worker threads started on demand (worker_pool.h); a long
// poll that parks holds no thread (server/http/router.h, Park). Connections are capped overall and
// per peer address, a header must arrive whole within its deadline and under its size limit, and a
// body within its deadline, so slow or idle clients cost a socket and a few kilobytes, never a
// thread.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>

#include "server/http/http_connection.h"
#include "server/http/router.h"
#include "server/http/worker_pool.h"

namespace mlgate::server {

struct HttpTuning {
  bool tcp_nodelay = true;    // Nagle off: otherwise each answer waits ~40 ms for a delayed ACK
  int threads = 32;           // at most this many workers run handlers, started on demand (a
                              // parked long poll holds none)
  int keep_alive_max = 1000;  // requests per connection
  int header_timeout_seconds = 10;   // a request's header must arrive whole within this (408)
  int keep_alive_idle_seconds = 10;  // a kept-alive connection's next header, likewise
  int body_timeout_seconds = 60;     // a request's body must arrive whole within this
  std::size_t header_max_bytes = 16u << 10;        // a larger header is answered 431
  std::size_t buffered_body_max_bytes = 1u << 20;  // bodies the server reads before a handler
  // All bodies being read by the server at once (of every connection, until answered): a body
  // that would pass it is answered 503 and its connection closed. A near-cap webhook costs about
  // seven times its size while it is handled (docs/operations.md), so this bounds serve's memory.
  std::size_t buffered_bodies_max_bytes = std::size_t{64} << 20;
  int max_connections = 10000;          // open connections; past it new ones are refused
  int max_connections_per_peer = 4096;  // the same from one address
  int recheck_seconds = 5;  // parked polls look at the queue this often while nothing wakes them
};

// What the application adds around every request (server/app.cpp).
struct ServerHooks {
  // Before routing and before a body is read: true when it answered (the body is then not read).
  std::function<bool(const httplib::Request&, httplib::Response&)> pre_routing;
  // After every answer, with the time since the header arrived.
  std::function<void(const httplib::Request&, const httplib::Response&, double ms)> logger;
  // A handler threw: answers `res`.
  std::function<void(const httplib::Request&, httplib::Response&, std::exception_ptr)> exception;
  // An answer of 400 or more with no body (404: no such route): may fill it.
  std::function<void(const httplib::Request&, httplib::Response&)> error;
  // True while parked polls must look at the queue on their own (nothing would wake them).
  std::function<bool()> recheck_needed;
};

class AsyncServer : public ConnectionHost {
 public:
  AsyncServer(const Router& router, HttpTuning tuning, ServerHooks hooks);
  ~AsyncServer() override;
  AsyncServer(const AsyncServer&) = delete;
  AsyncServer& operator=(const AsyncServer&) = delete;

  // Listens on host:port (0: any free port); returns the bound port. Throws std::runtime_error.
  int bind(const std::string& host, int port);
  // Serves until stop(); returns once every request under way was answered.
  void run();
  // From any thread: stop accepting, answer parked polls 204, finish the requests under way.
  void stop();
  // From any thread: the job wake-up generation is now `generation`; wakes parked polls.
  void notify_change(std::uint64_t generation);

  // ConnectionHost (I/O thread).
  const Router& router() const override { return router_; }
  const HttpTuning& tuning() const override { return tuning_; }
  const ServerHooks& hooks() const override { return hooks_; }
  WorkerPool& workers() override { return workers_; }
  bool stopping() const override { return stopping_; }
  void park(const std::shared_ptr<Connection>& c) override;
  void unpark(Connection& c) override;
  void pass_baton(const std::string& group) override;
  void closed(Connection& c) override;
  void count_header_timeout() override;
  bool reserve_body_bytes(std::size_t n) override;
  void release_body_bytes(std::size_t n) override;

 private:
  void accept();
  void on_accept(boost::system::error_code ec, boost::asio::ip::tcp::socket socket);
  bool admit(boost::asio::ip::tcp::socket& socket, const std::string& peer);
  void wake_groups(bool every_group);
  // Takes `c` out of the parked polls and runs its claim attempt again.
  void wake(const std::shared_ptr<Connection>& c);
  void schedule_recheck();
  void shut_down();

  const Router& router_;
  HttpTuning tuning_;
  ServerHooks hooks_;
  boost::asio::io_context io_{1};
  // Keeps io_ running while a handler works on a worker (no operation is pending then); released
  // when the server stops and its last connection closed.
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{
      io_.get_executor()};
  boost::asio::ip::tcp::acceptor acceptor_{io_};
  boost::asio::steady_timer retry_accept_{io_};
  boost::asio::steady_timer recheck_{io_};
  WorkerPool workers_;
  bool stopping_ = false;
  bool joined_ = false;
  std::uint64_t generation_ = 0;     // the latest job wake-up generation seen
  std::size_t bodies_buffered_ = 0;  // bytes of bodies read by the server, not yet answered
  std::unordered_map<Connection*, std::weak_ptr<Connection>> open_;
  std::unordered_map<std::string, int> per_peer_;
  std::map<std::string, std::list<std::shared_ptr<Connection>>> parked_;  // by group, oldest first
};

}  // namespace mlgate::server
