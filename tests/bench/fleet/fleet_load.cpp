#include "tests/bench/fleet/fleet_load.h"

#include <boost/asio.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>
#include <thread>
#include <utility>

namespace mlgate::bench {
namespace {

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;
using asio::ip::tcp;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

constexpr size_t kMaxAnswerBytes = 1u << 20;

struct Malformed : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Reply {
  int status = 0;
  std::string body;
  bool close = false;
};

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

awaitable<void> nap(Clock::duration d) {
  asio::steady_timer t(co_await asio::this_coro::executor, d);
  error_code ec;
  co_await t.async_wait(asio::redirect_error(use_awaitable, ec));
}

// Closes the socket when the time runs out, so that the operation waiting on it ends.
class Deadline {
 public:
  Deadline(const asio::any_io_executor& ex, tcp::socket& s)
      : timer_(ex), shared_(std::make_shared<Shared>()) {
    shared_->sock = &s;
  }
  ~Deadline() {
    shared_->sock = nullptr;
    timer_.cancel();
  }
  Deadline(const Deadline&) = delete;
  Deadline& operator=(const Deadline&) = delete;

  void arm(Clock::duration d) {
    const auto gen = ++shared_->gen;
    shared_->fired = false;
    timer_.expires_after(d);
    timer_.async_wait([s = shared_, gen](error_code ec) {
      if (ec || gen != s->gen || !s->sock) return;
      s->fired = true;
      error_code ignored;
      s->sock->close(ignored);
    });
  }
  void disarm() {
    ++shared_->gen;
    timer_.cancel();
  }
  bool fired() const { return shared_->fired; }

 private:
  struct Shared {
    std::uint64_t gen = 0;
    bool fired = false;
    tcp::socket* sock = nullptr;
  };
  asio::steady_timer timer_;
  std::shared_ptr<Shared> shared_;
};

awaitable<void> fill(tcp::socket& sock, std::string& buf, size_t n) {
  while (buf.size() < n)
    co_await asio::async_read(sock, asio::dynamic_buffer(buf, kMaxAnswerBytes),
                              asio::transfer_at_least(1), use_awaitable);
}

awaitable<std::string> read_line(tcp::socket& sock, std::string& buf) {
  const size_t n = co_await asio::async_read_until(sock, asio::dynamic_buffer(buf, kMaxAnswerBytes),
                                                   "\r\n", use_awaitable);
  std::string line = buf.substr(0, n - 2);
  buf.erase(0, n);
  co_return line;
}

awaitable<std::string> read_chunked(tcp::socket& sock, std::string& buf) {
  std::string body;
  while (true) {
    const std::string line = co_await read_line(sock, buf);
    size_t size = 0;
    try {
      size = std::stoul(line, nullptr, 16);
    } catch (const std::exception&) {
      throw Malformed("bad chunk size line '" + line.substr(0, 40) + "'");
    }
    if (size == 0) {
      while (!(co_await read_line(sock, buf)).empty()) {
      }
      co_return body;
    }
    co_await fill(sock, buf, size + 2);
    body.append(buf, 0, size);
    buf.erase(0, size + 2);
  }
}

// One HTTP/1.1 answer: the status line, the headers, the body by Content-Length, chunks, or up
// to the end of the connection. Leftover bytes stay in buf.
awaitable<Reply> read_reply(tcp::socket& sock, std::string& buf) {
  const size_t head_end = co_await asio::async_read_until(
      sock, asio::dynamic_buffer(buf, kMaxAnswerBytes), "\r\n\r\n", use_awaitable);
  const std::string head = buf.substr(0, head_end);
  buf.erase(0, head_end);
  Reply r;
  if (head.rfind("HTTP/1.", 0) != 0 || head.size() < 12)
    throw Malformed("not an HTTP answer: '" + head.substr(0, 40) + "'");
  try {
    r.status = std::stoi(head.substr(9, 3));
  } catch (const std::exception&) {
    throw Malformed("no status in '" + head.substr(0, 40) + "'");
  }
  long length = -1;
  bool chunked = false;
  for (size_t pos = head.find("\r\n") + 2; pos < head.size();) {
    const size_t end = head.find("\r\n", pos);
    const std::string line = head.substr(pos, end - pos);
    pos = end + 2;
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    const std::string name = lower(line.substr(0, colon));
    std::string value = lower(line.substr(colon + 1));
    value.erase(0, value.find_first_not_of(' '));
    if (name == "content-length") length = std::atol(value.c_str());
    if (name == "transfer-encoding" && value.find("chunked") != std::string::npos) chunked = true;
    if (name == "connection" && value.find("close") != std::string::npos) r.close = true;
  }
  if (r.status == 204 || r.status == 304 || r.status < 200) co_return r;
  if (chunked) {
    r.body = co_await read_chunked(sock, buf);
  } else if (length >= 0) {
    co_await fill(sock, buf, static_cast<size_t>(length));
    r.body = buf.substr(0, static_cast<size_t>(length));
    buf.erase(0, static_cast<size_t>(length));
  } else {
    error_code ec;
    co_await asio::async_read(sock, asio::dynamic_buffer(buf, kMaxAnswerBytes),
                              asio::redirect_error(use_awaitable, ec));
    r.body = std::move(buf);
    buf.clear();
    r.close = true;
  }
  co_return r;
}

std::string post(const std::string& path, const std::string& credential, const std::string& body) {
  return "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + credential +
         "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
}

}  // namespace

struct FleetLoad::State {
  FleetSpec spec;
  std::atomic<bool> stopping{false};
  std::atomic<bool> ran_out{false};
  std::set<tcp::socket*> sockets;  // touched on the load's thread only
  mutable std::mutex m;
  FleetStats stats;
  // Destroyed before the members above: the slots it may still hold use them on the way out.
  asio::io_context ioc{1};
  std::thread thread;

  template <class F>
  void count(F f) {
    std::lock_guard lock(m);
    f(stats);
  }

  // Keeps a socket in `sockets` while it lives, so that stop() can close it.
  struct Registered {
    State& st;
    tcp::socket* s;
    Registered(State& state, tcp::socket& sock) : st(state), s(&sock) { st.sockets.insert(s); }
    ~Registered() { st.sockets.erase(s); }
    Registered(const Registered&) = delete;
    Registered& operator=(const Registered&) = delete;
  };

  awaitable<bool> connect(tcp::socket& sock) {
    Deadline dl(sock.get_executor(), sock);
    dl.arm(std::chrono::seconds(5));
    error_code ec;
    co_await sock.async_connect(
        tcp::endpoint(asio::ip::make_address(spec.host), static_cast<unsigned short>(spec.port)),
        asio::redirect_error(use_awaitable, ec));
    dl.disarm();
    if (ec) {
      error_code ignored;
      sock.close(ignored);
    } else {
      sock.set_option(tcp::no_delay(true), ec);
    }
    co_return !ec;
  }

  void connection_error(long FleetStats::*counter, const std::string& what) {
    if (stopping) return;
    count([&](FleetStats& s) {
      ++(s.*counter);
      if (s.first_connection_error.empty()) s.first_connection_error = what;
    });
  }

  awaitable<bool> finish(tcp::socket& sock, std::string& buf, const std::string& credential,
                         const FleetClaim& c);
  awaitable<void> poll_connection(tcp::socket& sock, const std::string& credential);
  awaitable<void> poll_slot(int i);
  awaitable<void> drip_connection(tcp::socket& sock);
  awaitable<void> drip_slot(int i);
};

awaitable<bool> FleetLoad::State::finish(tcp::socket& sock, std::string& buf,
                                         const std::string& credential, const FleetClaim& c) {
  const nlohmann::json body = {{"attempt", c.attempt},
                               {"outcome", "exited"},
                               {"exit_code", 0},
                               {"message", ""},
                               {"log_truncated", false}};
  co_await asio::async_write(
      sock,
      asio::buffer(post("/api/v1/runner/jobs/" + std::to_string(c.job_id) + "/finish", credential,
                        body.dump())),
      use_awaitable);
  const Reply r = co_await read_reply(sock, buf);
  count([&](FleetStats& s) {
    if (r.status == 200) {
      ++s.finished;
    } else if (s.finish_failures++ == 0) {
      s.first_finish_failure = "job " + std::to_string(c.job_id) + ": HTTP " +
                               std::to_string(r.status) + " " + r.body.substr(0, 200);
    }
  });
  co_return !r.close;
}

// Claims on one connection until it fails or closes. A claimed job is finished on it.
awaitable<void> FleetLoad::State::poll_connection(tcp::socket& sock,
                                                  const std::string& credential) {
  Deadline dl(sock.get_executor(), sock);
  std::string buf;
  const std::string request =
      post("/api/v1/runner/jobs/request", credential,
           nlohmann::json{{"wait_seconds", spec.wait_seconds}, {"tiers", {spec.tier}}}.dump());
  while (!stopping) {
    bool parked = false;
    const auto t0 = Clock::now();
    Reply r;
    try {
      dl.arm(spec.answer_timeout);
      co_await asio::async_write(sock, asio::buffer(request), use_awaitable);
      parked = true;
      count([](FleetStats& s) { ++s.polls_sent, ++s.polls_parked; });
      r = co_await read_reply(sock, buf);
      dl.disarm();
      parked = false;
      count([](FleetStats& s) { --s.polls_parked; });
      if (r.status == 204) {
        count([&](FleetStats& s) { ++s.answers_204, s.wait_204_s.push_back(seconds_since(t0)); });
      } else if (auto claim = nlohmann::json::parse(r.body, nullptr, false);
                 r.status == 200 && claim.is_object() && claim.contains("job") &&
                 claim["job"].is_object()) {
        const FleetClaim c{claim["job"].value("id", std::int64_t{0}),
                           claim["job"].value("attempt", 0)};
        count([&](FleetStats& s) { ++s.answers_200, s.claims.push_back(c); });
        dl.arm(spec.answer_timeout);
        if (!co_await finish(sock, buf, credential, c)) co_return;
        dl.disarm();
      } else {
        count([&](FleetStats& s) {
          if (s.unexpected++ == 0)
            s.first_unexpected = "HTTP " + std::to_string(r.status) + " " + r.body.substr(0, 200);
        });
        co_await nap(std::chrono::seconds(1));
      }
    } catch (const Malformed& e) {
      count([&](FleetStats& s) {
        if (parked) --s.polls_parked;
        if (s.malformed++ == 0) s.first_malformed = e.what();
      });
      co_return;
    } catch (const boost::system::system_error& e) {
      if (parked) count([](FleetStats& s) { --s.polls_parked; });
      if (dl.fired())
        connection_error(&FleetStats::answer_timeouts, "no answer in time");
      else
        connection_error(&FleetStats::closed_early, e.code().message());
      co_return;
    }
    if (r.close) co_return;
  }
}

awaitable<void> FleetLoad::State::poll_slot(int i) {
  co_await nap(spec.ramp * i / std::max(1, spec.slots));
  const std::string& credential =
      spec.credentials[static_cast<size_t>(i) % spec.credentials.size()];
  while (!stopping) {
    tcp::socket sock(co_await asio::this_coro::executor);
    Registered reg(*this, sock);
    if (!co_await connect(sock)) {
      connection_error(&FleetStats::connect_errors, "connect failed");
      co_await nap(std::chrono::milliseconds(200));
      continue;
    }
    co_await poll_connection(sock, credential);
    if (!stopping) co_await nap(std::chrono::milliseconds(50));
  }
}

// One slow client: the request line, then a header byte every drip_interval until the server
// closes the connection (or the load stops).
awaitable<void> FleetLoad::State::drip_connection(tcp::socket& sock) {
  const auto t0 = Clock::now();
  auto closed = std::make_shared<bool>(false);
  auto status = std::make_shared<int>(0);
  auto timer = std::make_shared<asio::steady_timer>(sock.get_executor());
  // The reader notices the server closing the connection (and what it said first).
  asio::co_spawn(
      sock.get_executor(),
      [&sock, closed, status, timer]() -> awaitable<void> {
        std::string got;
        char tmp[512];
        error_code ec;
        while (!ec) {
          const size_t n = co_await sock.async_read_some(asio::buffer(tmp),
                                                         asio::redirect_error(use_awaitable, ec));
          if (got.size() < 64) got.append(tmp, n);
        }
        if (got.rfind("HTTP/1.", 0) == 0 && got.size() >= 12) *status = std::atoi(got.c_str() + 9);
        *closed = true;
        timer->cancel();
      },
      asio::detached);
  error_code ec;
  static const std::string kStart = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
  co_await asio::async_write(sock, asio::buffer(kStart), asio::redirect_error(use_awaitable, ec));
  while (!ec && !*closed && !stopping) {
    timer->expires_after(spec.drip_interval);
    error_code tec;
    co_await timer->async_wait(asio::redirect_error(use_awaitable, tec));
    if (*closed || stopping) break;
    co_await asio::async_write(sock, asio::buffer("a", 1), asio::redirect_error(use_awaitable, ec));
    if (!ec) count([](FleetStats& s) { ++s.drip_bytes; });
  }
  const double lived = seconds_since(t0);
  error_code ignored;
  sock.shutdown(tcp::socket::shutdown_both, ignored);
  // Let the reader see the end before the socket goes away.
  while (!*closed) co_await nap(std::chrono::milliseconds(5));
  if (stopping) co_return;
  count([&](FleetStats& s) {
    ++s.drips_cut;
    ++s.drip_answers[*status];
    s.drip_lifetime_s.push_back(lived);
  });
}

awaitable<void> FleetLoad::State::drip_slot(int i) {
  co_await nap(spec.ramp * i / std::max(1, spec.drips));
  while (!stopping) {
    tcp::socket sock(co_await asio::this_coro::executor);
    Registered reg(*this, sock);
    if (!co_await connect(sock)) {
      count([](FleetStats& s) { ++s.drip_connect_errors; });
      co_await nap(std::chrono::seconds(1));
      continue;
    }
    count([](FleetStats& s) { ++s.drip_connects, ++s.drips_open; });
    co_await drip_connection(sock);
    count([](FleetStats& s) { --s.drips_open; });
  }
}

FleetLoad::FleetLoad(FleetSpec spec) : state_(std::make_unique<State>()) {
  if (spec.credentials.empty() && spec.slots > 0)
    throw std::invalid_argument("FleetLoad: claim polls need runner credentials");
  state_->spec = std::move(spec);
}

FleetLoad::~FleetLoad() {
  stop();
}

void FleetLoad::start() {
  State& st = *state_;
  for (int i = 0; i < st.spec.slots; ++i) asio::co_spawn(st.ioc, st.poll_slot(i), asio::detached);
  for (int i = 0; i < st.spec.drips; ++i) asio::co_spawn(st.ioc, st.drip_slot(i), asio::detached);
  st.thread = std::thread([&st] {
    st.ioc.run();
    st.ran_out = true;
  });
}

void FleetLoad::stop() {
  State& st = *state_;
  if (!st.thread.joinable()) return;
  st.stopping = true;
  asio::post(st.ioc, [&st] {
    error_code ignored;
    for (auto* s : st.sockets) s->close(ignored);
  });
  // Every slot ends within its longest nap; then run() returns by itself.
  for (int i = 0; i < 200 && !st.ran_out; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  st.ioc.stop();
  st.thread.join();
}

FleetStats FleetLoad::snapshot() const {
  std::lock_guard lock(state_->m);
  return state_->stats;
}

}  // namespace mlgate::bench
