// One client connection of the HTTP server (server/http/async_server.h), from its first byte to
// its close. Everything but the handler runs on the server's I/O thread: the header is read with a
// deadline and a size limit, a body a route does not read itself is read (bounded) before
// dispatch, the handler runs on a worker, the answer is written, and the connection is kept alive
// or closed. A route that reads its own body reads it on its worker through its ContentReader,
// each read done by the I/O thread under the body deadline. A long poll that parks (Park) holds no
// thread: the connection waits on a timer until the server wakes it.
#pragma once

#include <httplib.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "server/http/router.h"
#include "server/http/worker_pool.h"

namespace mlgate::server {

class Connection;
struct HttpTuning;
struct ServerHooks;

// What a connection needs of its server; all of it is called on the I/O thread.
class ConnectionHost {
 public:
  virtual ~ConnectionHost() = default;
  virtual const Router& router() const = 0;
  virtual const HttpTuning& tuning() const = 0;
  virtual const ServerHooks& hooks() const = 0;
  virtual WorkerPool& workers() = 0;
  virtual bool stopping() const = 0;
  // Parks `c` (a poll with nothing yet) among the polls of its group.
  virtual void park(const std::shared_ptr<Connection>& c) = 0;
  // Takes `c` out of the parked polls (woken, timed out or closed).
  virtual void unpark(Connection& c) = 0;
  // A woken poll of `group` answered: wake the next one of the group.
  virtual void pass_baton(const std::string& group) = 0;
  virtual void closed(Connection& c) = 0;
  virtual void count_header_timeout() = 0;
  // Bytes of request bodies the server holds, over every connection (HttpTuning::
  // buffered_bodies_max_bytes): false, and nothing reserved, when `n` more would pass the limit.
  virtual bool reserve_body_bytes(std::size_t n) = 0;
  virtual void release_body_bytes(std::size_t n) = 0;
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(ConnectionHost& host, boost::asio::ip::tcp::socket socket, std::string peer);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void start();
  const std::string& peer() const { return peer_; }

  // Parking, for the server (I/O thread).
  std::uint64_t seen() const { return park_->seen; }
  const std::string& group() const { return park_->group; }
  std::list<std::shared_ptr<Connection>>::iterator park_position;  // the server's, while listed
  bool listed = false;
  // Runs the parked poll's attempt again on a worker.
  void wake();
  // The server stops: an idle connection closes, a parked poll answers 204 now; a request being
  // handled finishes and then closes.
  void on_stop();

 private:
  enum class Phase { header, body, handler, parked, writing, closed };
  using Parser = boost::beast::http::request_parser<boost::beast::http::buffer_body>;
  using Clock = std::chrono::steady_clock;

  // The one deadline of what the connection waits for now (header, body, write): past it the
  // socket's operations are cancelled and timed_out_ says why.
  void arm(Clock::time_point when);
  void disarm();
  void read_header();
  void on_header(boost::beast::error_code ec);
  void route_request();
  // Sends "100 Continue" first when the client waits for it, then runs `then`.
  void with_continue(std::function<void()> then);
  void read_buffered_body();
  void on_body_chunk(boost::beast::error_code ec);
  // What the server reads of this request's body before its handler: the route's own limit for a
  // buffered reader route, else HttpTuning::buffered_body_max_bytes.
  std::size_t buffered_limit() const;
  // Answers 413 for a body over buffered_limit() and closes after the answer.
  void too_large();
  // Gives back the body's share of the server's budget and its memory (the answer is out).
  void release_body();
  std::string body_timeout_message() const;
  void dispatch();
  void run_handler();
  void fail(std::exception_ptr error);
  void after_handler(std::optional<Park> park);
  void park_now();
  void after_retry(std::optional<std::uint64_t> seen, bool failed);
  void answer_no_job();
  void send_bare(int status, const std::string& code, const std::string& message);
  void respond();
  void write_answer(boost::beast::http::response<boost::beast::http::string_body> out);
  void on_written(boost::beast::error_code ec);
  void close();
  // For a handler's ContentReader, on its worker: reads the next body bytes (at most n) into
  // `into` through the I/O thread; -1 on error or past the body deadline.
  long read_body_blocking(char* into, std::size_t n);
  httplib::ContentReader content_reader();
  bool body_done() const { return !parser_ || parser_->is_done(); }

  ConnectionHost& host_;
  boost::asio::ip::tcp::socket socket_;
  boost::beast::flat_buffer buffer_;
  std::string peer_;
  boost::asio::steady_timer deadline_;
  boost::asio::steady_timer park_timer_;
  std::uint64_t deadline_epoch_ = 0;  // a deadline armed earlier is ignored
  bool timed_out_ = false;
  std::optional<Parser> parser_;
  Phase phase_ = Phase::header;
  int served_ = 0;
  bool continue_sent_ = false;
  bool body_armed_ = false;
  // The exchange under way.
  httplib::Request req_;
  httplib::Response res_;
  const Route* route_ = nullptr;
  std::optional<Park> park_;
  std::uint64_t park_epoch_ = 0;  // a park timer of an earlier park is ignored
  Clock::time_point start_;
  std::vector<char> chunk_;
  std::optional<boost::beast::http::response<boost::beast::http::string_body>> out_;
};

}  // namespace mlgate::server
