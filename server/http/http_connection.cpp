#include "server/http/http_connection.h"

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <future>
#include <limits>

#include "server/http/async_server.h"
#include "server/http/http_util.h"
#include "server/http/request_adapter.h"
#include "util/strings.h"

namespace mlgate::server {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kChunkBytes = std::size_t{64} << 10;
const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

}  // namespace

Connection::Connection(ConnectionHost& host, net::ip::tcp::socket socket, std::string peer)
    : host_(host),
      socket_(std::move(socket)),
      peer_(std::move(peer)),
      deadline_(socket_.get_executor()),
      park_timer_(socket_.get_executor()) {}

void Connection::start() {
  read_header();
}

void Connection::arm(Clock::time_point when) {
  const auto epoch = ++deadline_epoch_;
  timed_out_ = false;
  deadline_.expires_at(when);
  deadline_.async_wait([self = shared_from_this(), epoch](beast::error_code ec) {
    if (ec || epoch != self->deadline_epoch_ || self->phase_ == Phase::closed) return;
    self->timed_out_ = true;
    beast::error_code ignored;
    self->socket_.cancel(ignored);
  });
}

void Connection::disarm() {
  ++deadline_epoch_;
  deadline_.cancel();
}

void Connection::read_header() {
  phase_ = Phase::header;
  req_ = httplib::Request();
  res_ = httplib::Response();
  route_ = nullptr;
  park_.reset();
  out_.reset();
  continue_sent_ = false;
  body_armed_ = false;
  start_ = Clock::now();
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(host_.tuning().header_max_bytes));
  // Each route applies its own limit (server/http/body.h). Not boost::none: Boost 1.74 compares a
  // Content-Length with an empty optional as larger.
  parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
  const auto& t = host_.tuning();
  arm(Clock::now() +
      std::chrono::seconds(served_ == 0 ? t.header_timeout_seconds : t.keep_alive_idle_seconds));
  http::async_read_header(
      socket_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_header(ec); });
}

void Connection::on_header(beast::error_code ec) {
  if (phase_ == Phase::closed) return;
  if (ec && timed_out_) {
    // Nothing sent on a kept-alive connection is an idle client: closed without an answer.
    if (buffer_.size() == 0 && served_ > 0) return close();
    host_.count_header_timeout();
    return send_bare(408, "header_timeout",
                     "the request header did not arrive whole within " +
                         std::to_string(host_.tuning().header_timeout_seconds) + " s");
  }
  if (ec == http::error::header_limit) {
    return send_bare(
        431, "header_too_large",
        "request header over " + std::to_string(host_.tuning().header_max_bytes) + " bytes");
  }
  const auto& parse_errors = http::make_error_code(http::error::end_of_stream).category();
  if (ec == http::error::end_of_stream || (ec && ec.category() != parse_errors)) return close();
  if (ec) return send_bare(400, "bad_request", "malformed request: " + ec.message());
  disarm();
  start_ = Clock::now();
  beast::error_code ignored;
  fill_request(parser_->get().base(), socket_.remote_endpoint(ignored),
               socket_.local_endpoint(ignored), req_);
  route_request();
}

void Connection::route_request() {
  const auto& hooks = host_.hooks();
  if (hooks.pre_routing && hooks.pre_routing(req_, res_)) return respond();
  route_ = host_.router().match(req_.method, req_);
  if (!route_) {
    // A path some route answers with another method: 405 and the methods it takes (RFC 9110,
    // 15.5.6); a path no route answers: 404.
    const std::string allowed = host_.router().allowed_methods(req_.path);
    res_.status = allowed.empty() ? 404 : 405;
    if (!allowed.empty()) res_.set_header("Allow", allowed);
    return respond();
  }
  if (route_->reads_own_body() || body_done()) {
    if (!route_->reads_own_body()) add_form_params(req_);
    return dispatch();
  }
  if (route_->buffered_max_bytes > 0) {
    const auto declared = parser_->content_length();
    if (declared && *declared > route_->buffered_max_bytes) return too_large();
  }
  phase_ = Phase::body;
  body_armed_ = true;
  arm(Clock::now() + std::chrono::seconds(host_.tuning().body_timeout_seconds));
  chunk_.resize(kChunkBytes);
  with_continue([self = shared_from_this()] { self->read_buffered_body(); });
}

void Connection::with_continue(std::function<void()> then) {
  const auto expect = util::lower(std::string(parser_->get()[http::field::expect]));
  if (continue_sent_ || expect != "100-continue") return then();
  continue_sent_ = true;
  net::async_write(socket_, net::buffer(kContinue),
                   [then = std::move(then)](beast::error_code, std::size_t) { then(); });
}

void Connection::read_buffered_body() {
  auto& body = parser_->get().body();
  body.data = chunk_.data();
  body.size = chunk_.size();
  http::async_read(
      socket_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_body_chunk(ec); });
}

void Connection::on_body_chunk(beast::error_code ec) {
  if (phase_ == Phase::closed) return;
  if (ec == http::error::need_buffer) ec = {};
  if (ec) {
    if (timed_out_) return send_bare(408, "body_timeout", body_timeout_message());
    return close();
  }
  const std::size_t got = chunk_.size() - parser_->get().body().size;
  if (req_.body.size() + got > buffered_limit()) return too_large();
  if (!host_.reserve_body_bytes(got)) {
    disarm();
    return send_bare(503, "busy",
                     "the server is reading too many request bodies at once; try again shortly");
  }
  req_.body.append(chunk_.data(), got);
  if (!parser_->is_done()) return read_buffered_body();
  disarm();
  chunk_ = std::vector<char>();
  if (!route_->reader) add_form_params(req_);
  dispatch();
}

std::size_t Connection::buffered_limit() const {
  return route_ && route_->buffered_max_bytes > 0 ? route_->buffered_max_bytes
                                                  : host_.tuning().buffered_body_max_bytes;
}

void Connection::too_large() {
  disarm();
  res_ = httplib::Response();
  res_.set_header("Connection", "close");
  send_error(
      res_, 413, "too_large",
      "request body over this route's limit of " + std::to_string(buffered_limit()) + " bytes");
  respond();
}

void Connection::release_body() {
  // Only on_body_chunk fills req_.body, reserving each chunk first: its size is the share held.
  if (!req_.body.empty()) host_.release_body_bytes(req_.body.size());
  std::string().swap(req_.body);
}

std::string Connection::body_timeout_message() const {
  return "the request body did not arrive whole within " +
         std::to_string(host_.tuning().body_timeout_seconds) + " s";
}

void Connection::dispatch() {
  phase_ = Phase::handler;
  host_.workers().post([self = shared_from_this()] { self->run_handler(); });
}

void Connection::fail(std::exception_ptr error) {
  res_ = httplib::Response();
  const auto& hooks = host_.hooks();
  if (hooks.exception) {
    hooks.exception(req_, res_, error);
  } else {
    send_error(res_, 500, "internal", "internal error");
  }
}

void Connection::run_handler() {
  std::optional<Park> park;
  try {
    if (route_->plain) {
      route_->plain(req_, res_);
    } else if (route_->reader) {
      route_->reader(req_, res_, content_reader());
    } else {
      park = route_->parking(req_, res_, content_reader());
    }
  } catch (...) {
    park.reset();
    fail(std::current_exception());
  }
  net::post(socket_.get_executor(), [self = shared_from_this(), park = std::move(park)]() mutable {
    self->after_handler(std::move(park));
  });
}

void Connection::after_handler(std::optional<Park> park) {
  if (phase_ == Phase::closed) return;
  if (!park) return respond();
  park_ = std::move(park);
  if (host_.stopping() || Clock::now() >= park_->deadline || !body_done()) return answer_no_job();
  park_now();
}

void Connection::park_now() {
  phase_ = Phase::parked;
  const auto epoch = ++park_epoch_;
  park_timer_.expires_at(park_->deadline);
  park_timer_.async_wait([self = shared_from_this(), epoch](beast::error_code ec) {
    if (ec || epoch != self->park_epoch_ || self->phase_ != Phase::parked) return;
    self->host_.unpark(*self);
    self->answer_no_job();
  });
  host_.park(shared_from_this());
}

void Connection::wake() {
  if (phase_ != Phase::parked) return;
  ++park_epoch_;
  park_timer_.cancel();
  phase_ = Phase::handler;
  host_.workers().post([self = shared_from_this()] {
    std::optional<std::uint64_t> seen;
    bool failed = false;
    self->res_ = httplib::Response();
    try {
      seen = self->park_->retry(self->res_);
    } catch (...) {
      failed = true;
      self->fail(std::current_exception());
    }
    net::post(self->socket_.get_executor(),
              [self, seen, failed] { self->after_retry(seen, failed); });
  });
}

void Connection::after_retry(std::optional<std::uint64_t> seen, bool failed) {
  if (phase_ == Phase::closed) return;
  if (failed) return respond();
  if (!seen) {
    const bool claimed = res_.status == 200;
    const std::string group = park_->group;
    respond();
    if (claimed) host_.pass_baton(group);
    return;
  }
  park_->seen = *seen;
  if (host_.stopping() || Clock::now() >= park_->deadline) return answer_no_job();
  park_now();
}

void Connection::on_stop() {
  if (phase_ == Phase::header) return close();
  if (phase_ == Phase::parked) {
    host_.unpark(*this);
    ++park_epoch_;
    park_timer_.cancel();
    answer_no_job();
  }
}

void Connection::answer_no_job() {
  res_ = httplib::Response();
  res_.status = 204;
  respond();
}

void Connection::send_bare(int status, const std::string& code, const std::string& message) {
  res_ = httplib::Response();
  send_error(res_, status, code, message);
  res_.set_header("Connection", "close");
  respond();
}

void Connection::respond() {
  const auto& hooks = host_.hooks();
  if (res_.status == -1) res_.status = 200;
  if (res_.status >= 400 && res_.body.empty() && hooks.error) hooks.error(req_, res_);
  if (hooks.logger) {
    hooks.logger(req_, res_,
                 std::chrono::duration<double, std::milli>(Clock::now() - start_).count());
  }
  ++served_;
  release_body();
  const bool header_read = parser_ && parser_->is_header_done();
  const bool keep = header_read && !host_.stopping() && body_done() &&
                    parser_->get().keep_alive() && !asks_close(res_) &&
                    served_ < host_.tuning().keep_alive_max;
  const unsigned version = header_read ? parser_->get().version() : 11;
  write_answer(to_beast_response(res_, req_.method == "HEAD", keep, version));
}

void Connection::write_answer(http::response<http::string_body> out) {
  phase_ = Phase::writing;
  out_.emplace(std::move(out));
  arm(Clock::now() + std::chrono::seconds(host_.tuning().body_timeout_seconds));
  http::async_write(socket_, *out_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
    self->on_written(ec);
  });
}

void Connection::on_written(beast::error_code ec) {
  if (phase_ == Phase::closed) return;
  disarm();
  if (ec || !out_->keep_alive()) return close();
  read_header();
}

void Connection::close() {
  if (phase_ == Phase::closed) return;
  phase_ = Phase::closed;
  disarm();
  ++park_epoch_;
  park_timer_.cancel();
  beast::error_code ignored;
  socket_.shutdown(net::ip::tcp::socket::shutdown_send, ignored);
  socket_.close(ignored);
  release_body();
  host_.closed(*this);
}

long Connection::read_body_blocking(char* into, std::size_t n) {
  if (body_done()) return 0;
  auto done = std::make_shared<std::promise<long>>();
  auto answer = done->get_future();
  net::post(socket_.get_executor(), [self = shared_from_this(), done, into, n] {
    if (self->phase_ == Phase::closed) return done->set_value(-1);
    if (!self->body_armed_) {
      self->body_armed_ = true;
      self->arm(Clock::now() + std::chrono::seconds(self->host_.tuning().body_timeout_seconds));
    }
    self->with_continue([self, done, into, n] {
      auto& body = self->parser_->get().body();
      body.data = into;
      body.size = n;
      http::async_read(
          self->socket_, self->buffer_, *self->parser_,
          [self, done, n](beast::error_code ec, std::size_t) {
            if (ec == http::error::need_buffer) ec = {};
            if (!ec && self->parser_->is_done()) self->disarm();
            done->set_value(ec ? -1 : static_cast<long>(n - self->parser_->get().body().size));
          });
    });
  });
  return answer.get();
}

httplib::ContentReader Connection::content_reader() {
  auto self = shared_from_this();
  if (route_->buffered_max_bytes > 0) {
    // The server read the body already (route_request): handed over whole, once.
    return httplib::ContentReader(
        [self](httplib::ContentReceiver receiver) {
          if (self->req_.body.empty()) return true;
          return receiver(self->req_.body.data(), self->req_.body.size());
        },
        [](httplib::MultipartContentHeader, httplib::ContentReceiver) { return false; });
  }
  return httplib::ContentReader(
      [self](httplib::ContentReceiver receiver) {
        std::vector<char> chunk(kChunkBytes);
        while (!self->body_done()) {
          const long n = self->read_body_blocking(chunk.data(), chunk.size());
          if (n < 0) return false;
          if (n > 0 && !receiver(chunk.data(), static_cast<std::size_t>(n))) return false;
        }
        return true;
      },
      [](httplib::MultipartContentHeader, httplib::ContentReceiver) { return false; });
}

}  // namespace mlgate::server
