#include "server/http/async_server.h"

#include <sys/resource.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/beast/http/write.hpp>
#include <sstream>
#include <stdexcept>
#include <vector>

#include "server/http/json_log.h"
#include "server/http/metrics.h"
#include "server/http/request_adapter.h"

namespace mlgate::server {

namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

// Every connection is a file descriptor: the soft limit (often 1,024) is raised to the hard one so
// that the connection caps, not the descriptor limit, decide who is refused.
void raise_open_file_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
  limit.rlim_cur = limit.rlim_max;
  if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) {
    log_event(spdlog::level::warn, "could not raise the open-file limit",
              {{"hard", static_cast<std::uint64_t>(limit.rlim_max)}});
  }
}

// Answers 503 on a connection refused at accept, without waiting for its request, and closes it.
void refuse(tcp::socket& socket, const std::string& why) {
  std::ostringstream text;
  text << bare_response(503, "too_many_connections", why);
  const std::string bytes = text.str();
  boost::system::error_code ignored;
  socket.non_blocking(true, ignored);
  socket.write_some(net::buffer(bytes), ignored);
  socket.shutdown(tcp::socket::shutdown_send, ignored);
  socket.close(ignored);
}

}  // namespace

AsyncServer::AsyncServer(const Router& router, HttpTuning tuning, ServerHooks hooks)
    : router_(router),
      tuning_(tuning),
      hooks_(std::move(hooks)),
      workers_(static_cast<std::size_t>(std::max(1, tuning.threads))) {}

AsyncServer::~AsyncServer() {
  if (!joined_) {
    workers_.stop();
    workers_.join();
  }
}

int AsyncServer::bind(const std::string& host, int port) {
  raise_open_file_limit();
  try {
    tcp::resolver resolver(io_);
    const auto found = resolver.resolve(host.empty() ? "0.0.0.0" : host, std::to_string(port),
                                        tcp::resolver::passive | tcp::resolver::numeric_service);
    const tcp::endpoint endpoint = found.begin()->endpoint();
    acceptor_.open(endpoint.protocol());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    acceptor_.bind(endpoint);
    acceptor_.listen(net::socket_base::max_listen_connections);
    return acceptor_.local_endpoint().port();
  } catch (const boost::system::system_error& e) {
    throw std::runtime_error("cannot listen on " + host + ":" + std::to_string(port) + " (" +
                             e.code().message() + ")");
  }
}

void AsyncServer::run() {
  accept();
  schedule_recheck();
  io_.run();
  workers_.join();
  joined_ = true;
}

void AsyncServer::stop() {
  net::post(io_, [this] { shut_down(); });
}

void AsyncServer::notify_change(std::uint64_t generation) {
  net::post(io_, [this, generation] {
    if (generation <= generation_) return;
    generation_ = generation;
    wake_groups(false);
  });
}

void AsyncServer::shut_down() {
  if (stopping_) return;
  stopping_ = true;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  retry_accept_.cancel();
  recheck_.cancel();
  std::vector<std::shared_ptr<Connection>> open;
  for (const auto& [raw, weak] : open_)
    if (auto c = weak.lock()) open.push_back(c);
  for (const auto& c : open) c->on_stop();
  if (open_.empty()) work_.reset();
}

void AsyncServer::accept() {
  acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
    on_accept(ec, std::move(socket));
  });
}

void AsyncServer::on_accept(boost::system::error_code ec, tcp::socket socket) {
  if (stopping_ || ec == net::error::operation_aborted) return;
  if (ec) {
    // Out of descriptors (or a connection that died in the queue): try again shortly.
    retry_accept_.expires_after(std::chrono::milliseconds(100));
    retry_accept_.async_wait([this](boost::system::error_code e) {
      if (!e && !stopping_) accept();
    });
    return;
  }
  boost::system::error_code failed;
  const auto remote = socket.remote_endpoint(failed);
  if (!failed) {
    const std::string peer = remote.address().to_string();
    if (admit(socket, peer)) {
      socket.set_option(tcp::no_delay(tuning_.tcp_nodelay), failed);
      auto c = std::make_shared<Connection>(*this, std::move(socket), peer);
      open_.emplace(c.get(), c);
      ++per_peer_[peer];
      add_http_open_connections(1);
      c->start();
    }
  }
  accept();
}

bool AsyncServer::admit(tcp::socket& socket, const std::string& peer) {
  std::string reason;
  if (open_.size() >= static_cast<std::size_t>(tuning_.max_connections)) {
    reason = "total";
  } else if (auto it = per_peer_.find(peer);
             it != per_peer_.end() && it->second >= tuning_.max_connections_per_peer) {
    reason = "per_peer";
  } else {
    return true;
  }
  count_http_refused_connection(reason);
  refuse(socket, reason == "total" ? "the server has too many connections open"
                                   : "too many connections from this address");
  return false;
}

void AsyncServer::closed(Connection& c) {
  if (c.listed) unpark(c);
  open_.erase(&c);
  if (auto it = per_peer_.find(c.peer()); it != per_peer_.end() && --it->second <= 0)
    per_peer_.erase(it);
  add_http_open_connections(-1);
  if (stopping_ && open_.empty()) work_.reset();
}

void AsyncServer::count_header_timeout() {
  count_http_header_timeout();
}

bool AsyncServer::reserve_body_bytes(std::size_t n) {
  if (n > tuning_.buffered_bodies_max_bytes -
              std::min(bodies_buffered_, tuning_.buffered_bodies_max_bytes))
    return false;
  bodies_buffered_ += n;
  return true;
}

void AsyncServer::release_body_bytes(std::size_t n) {
  bodies_buffered_ -= std::min(n, bodies_buffered_);
}

void AsyncServer::park(const std::shared_ptr<Connection>& c) {
  auto& polls = parked_[c->group()];
  c->park_position = polls.insert(polls.end(), c);
  c->listed = true;
  add_http_parked_polls(1);
  // It looked before the latest change: it looks again now (only polls that were running when a
  // change came, so this is bounded by the workers).
  if (c->seen() < generation_) wake(c);
}

void AsyncServer::wake(const std::shared_ptr<Connection>& c) {
  unpark(*c);
  count_http_poll_wakeup();
  c->wake();
}

void AsyncServer::unpark(Connection& c) {
  if (!c.listed) return;
  auto group = parked_.find(c.group());
  group->second.erase(c.park_position);
  if (group->second.empty()) parked_.erase(group);
  c.listed = false;
  add_http_parked_polls(-1);
}

void AsyncServer::wake_groups(bool every_group) {
  // One poll per group (the oldest that has not looked since the change): a new job costs one
  // claim attempt per kind of runner, not one per parked poll.
  std::vector<std::shared_ptr<Connection>> woken;
  for (const auto& [group, polls] : parked_) {
    for (const auto& c : polls) {
      if (every_group || c->seen() < generation_) {
        woken.push_back(c);
        break;
      }
    }
  }
  for (const auto& c : woken) wake(c);
}

void AsyncServer::pass_baton(const std::string& group) {
  // The poll that claimed may have left more jobs behind: the next poll of its group looks.
  auto it = parked_.find(group);
  if (it == parked_.end()) return;
  wake(std::shared_ptr<Connection>(it->second.front()));
}

void AsyncServer::schedule_recheck() {
  recheck_.expires_after(std::chrono::seconds(tuning_.recheck_seconds));
  recheck_.async_wait([this](boost::system::error_code ec) {
    if (ec || stopping_) return;
    if (hooks_.recheck_needed && hooks_.recheck_needed()) wake_groups(true);
    schedule_recheck();
  });
}

}  // namespace mlgate::server
