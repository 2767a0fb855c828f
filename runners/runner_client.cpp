#include "runners/runner_client.h"

#include <httplib.h>

#include <chrono>
#include <mutex>
#include <utility>

#include "util/url.h"

namespace mlgate::runners {
namespace {

struct Target {
  std::string origin;     // scheme://host:port
  std::string base_path;  // "" or "/prefix"
};

Target parse_url(const std::string& url) {
  const auto split = util::split_http_url(url);
  if (!split || (!split->rest.empty() && split->rest.front() != '/'))
    throw std::invalid_argument("bad server URL '" + url +
                                "' (expected http://host:port or https://host:port)");
  Target t{split->origin, split->rest};
  while (!t.base_path.empty() && t.base_path.back() == '/') t.base_path.pop_back();
  return t;
}

std::string message_of(const httplib::Result& r) {
  auto body = nlohmann::json::parse(r->body, nullptr, false);
  if (body.is_object() && body.contains("error") && body["error"].is_object())
    return body["error"].value("message", r->body);
  return r->body.substr(0, 300);
}

}  // namespace

// Idle connections to one server, each with the time it was last used. A connection idle for
// longer than kIdleMax is closed instead of reused: the server drops a kept-alive connection after
// its own idle timeout (cpp-httplib's 5 s) and holds one of its workers until then, so closing it a
// little earlier frees that worker and avoids sending on a socket the server is closing.
class RunnerClient::Connections {
 public:
  static constexpr auto kIdleMax = std::chrono::seconds(4);
  using Clock = std::chrono::steady_clock;

  explicit Connections(std::string origin) : origin_(std::move(origin)) {}

  // An idle connection (reused = true) or a new one.
  std::pair<std::unique_ptr<httplib::Client>, bool> take() {
    std::vector<std::unique_ptr<httplib::Client>> stale;  // closed outside the lock
    std::unique_lock lock(mu_);
    const auto now = Clock::now();
    while (!idle_.empty()) {
      auto [client, since] = std::move(idle_.back());
      idle_.pop_back();
      if (now - since <= kIdleMax) return {std::move(client), true};
      stale.push_back(std::move(client));
    }
    lock.unlock();
    for (auto& c : stale) c->stop();
    return {open(), false};
  }

  std::unique_ptr<httplib::Client> open() const {
    auto client = std::make_unique<httplib::Client>(origin_);
    client->set_keep_alive(true);
    client->set_connection_timeout(5);
    client->set_write_timeout(60);
    client->set_tcp_nodelay(true);
    return client;
  }

  void give_back(std::unique_ptr<httplib::Client> client) {
    std::lock_guard lock(mu_);
    idle_.emplace_back(std::move(client), Clock::now());
  }

  const std::string& origin() const { return origin_; }

 private:
  std::string origin_;
  std::mutex mu_;
  std::vector<std::pair<std::unique_ptr<httplib::Client>, Clock::time_point>> idle_;
};

namespace {

using Connections = RunnerClient::Connections;

// One protocol call on a connection taken from `pool`, given back after an answer. A call that
// fails on a reused connection (the server closed it while it sat idle) is sent once more on a new
// one; every call of the protocol may be repeated (docs/runners.md).
class Call {
 public:
  Call(Connections& pool, const std::string& base_path, const std::string& token,
       int read_timeout_seconds = 30)
      : pool_(pool), base_path_(base_path), read_timeout_(read_timeout_seconds) {
    if (!token.empty()) headers_.emplace("Authorization", "Bearer " + token);
  }

  httplib::Result post_json(const std::string& path, const nlohmann::json& body) {
    const std::string text = body.dump();
    return send(path, [&](httplib::Client& c) {
      return c.Post((base_path_ + path).c_str(), headers_, text, "application/json");
    });
  }
  httplib::Result post_bytes(const std::string& path, std::string_view data) {
    return send(path, [&](httplib::Client& c) {
      return c.Post((base_path_ + path).c_str(), headers_, data.data(), data.size(),
                    "application/octet-stream");
    });
  }
  httplib::Result put_bytes(const std::string& path, const std::string& data,
                            std::uint64_t real_size) {
    auto headers = headers_;
    headers.emplace("X-Mlgate-File-Size", std::to_string(real_size));
    return send(path, [&](httplib::Client& c) {
      return c.Put((base_path_ + path).c_str(), headers, data, "application/octet-stream");
    });
  }
  httplib::Result get(const std::string& path) {
    return send(path,
                [&](httplib::Client& c) { return c.Get((base_path_ + path).c_str(), headers_); });
  }

 private:
  template <typename F>
  httplib::Result send(const std::string& path, F&& request) {
    auto [client, reused] = pool_.take();
    client->set_read_timeout(read_timeout_);
    auto r = request(*client);
    if (!r && reused) {
      client = pool_.open();
      client->set_read_timeout(read_timeout_);
      r = request(*client);
    }
    if (r) pool_.give_back(std::move(client));
    return check(std::move(r), path);
  }

  httplib::Result check(httplib::Result r, const std::string& path) {
    if (!r) {
      throw RunnerClientError("cannot reach " + pool_.origin() + " for " + path + ": " +
                              httplib::to_string(r.error()));
    }
    if (r->status == 401 || r->status == 403)
      throw RunnerClientError("not authorised: " + message_of(r), r->status);
    if (r->status >= 500)
      throw RunnerClientError("server error " + std::to_string(r->status) + ": " + message_of(r),
                              r->status);
    return r;
  }

  Connections& pool_;
  const std::string& base_path_;
  int read_timeout_;
  httplib::Headers headers_;
};

nlohmann::json parse_body(const httplib::Result& r) {
  auto body = nlohmann::json::parse(r->body, nullptr, false);
  if (body.is_discarded()) body = nlohmann::json::object();
  return body;
}

[[noreturn]] void unexpected(const httplib::Result& r, const std::string& what) {
  throw RunnerClientError(what + ": HTTP " + std::to_string(r->status) + ": " + message_of(r),
                          r->status);
}

std::string job_path(std::int64_t job, const std::string& tail) {
  return "/api/v1/runner/jobs/" + std::to_string(job) + tail;
}

LeaseReply lease_reply(const httplib::Result& r, const std::string& what) {
  if (r->status == 409) return {};
  if (r->status != 200) unexpected(r, what);
  return {true, parse_body(r).value("cancel", false)};
}

}  // namespace

RunnerClient::RunnerClient(std::string server_url, std::string credential)
    : url_(std::move(server_url)), credential_(std::move(credential)) {
  const Target target = parse_url(url_);
  base_path_ = target.base_path;
  connections_ = std::make_shared<Connections>(target.origin);
}

Registration RunnerClient::register_runner(const std::string& server_url,
                                           const std::string& registration_token,
                                           const RegisterRequest& request) {
  const Target target = parse_url(server_url);
  Connections once(target.origin);
  Call call(once, target.base_path, registration_token);
  nlohmann::json body = {{"name", request.name},
                         {"capacity", request.capacity},
                         {"executor", request.executor},
                         {"version", request.version}};
  if (!request.tiers.empty()) body["tiers"] = request.tiers;
  auto r = call.post_json("/api/v1/runner/register", body);
  if (r->status != 201) unexpected(r, "registration refused");
  auto j = parse_body(r);
  return {j.value("id", std::int64_t{0}), j.value("token", std::string())};
}

std::optional<Claim> RunnerClient::request_job(const std::vector<std::string>& tiers,
                                               int wait_seconds) {
  Call call(*connections_, base_path_, credential_, wait_seconds + 15);
  nlohmann::json body = {{"wait_seconds", wait_seconds}};
  if (!tiers.empty()) body["tiers"] = tiers;
  auto r = call.post_json("/api/v1/runner/jobs/request", body);
  if (r->status == 204) return std::nullopt;
  if (r->status != 200) unexpected(r, "job request");
  auto j = parse_body(r);
  Claim c;
  c.job = j.value("job", nlohmann::json::object());
  c.lease_seconds = j.value("lease_seconds", 60);
  c.heartbeat_seconds = j.value("heartbeat_seconds", 20);
  c.log_max_bytes = j.value("log_max_bytes", std::int64_t{0});
  c.results_max_bytes = j.value("results_max_bytes", nlohmann::json::object());
  return c;
}

LeaseReply RunnerClient::heartbeat(std::int64_t job, int attempt) {
  Call call(*connections_, base_path_, credential_);
  return lease_reply(call.post_json(job_path(job, "/heartbeat"), {{"attempt", attempt}}),
                     "heartbeat");
}

LeaseReply RunnerClient::lease(std::int64_t job, int attempt) {
  Call call(*connections_, base_path_, credential_);
  return lease_reply(call.get(job_path(job, "/lease?attempt=" + std::to_string(attempt))),
                     "lease check");
}

LogReply RunnerClient::append_log(std::int64_t job, int attempt, std::int64_t offset,
                                  std::string_view data) {
  Call call(*connections_, base_path_, credential_);
  auto r = call.post_bytes(job_path(job, "/log?attempt=" + std::to_string(attempt) +
                                             "&offset=" + std::to_string(offset)),
                           data);
  auto j = parse_body(r);
  LogReply out;
  if (r->status == 409) {
    if (j.contains("log_bytes")) {  // a gap: the attempt is still ours
      out.held = true;
      out.gap = true;
      out.log_bytes = j.value("log_bytes", std::int64_t{0});
    }
    return out;
  }
  if (r->status != 200) unexpected(r, "log append");
  out.held = true;
  out.log_bytes = j.value("log_bytes", std::int64_t{0});
  out.cancel = j.value("cancel", false);
  return out;
}

UploadReply RunnerClient::upload_results(std::int64_t job, int attempt, const std::string& file,
                                         const std::string& body, std::uint64_t real_size) {
  Call call(*connections_, base_path_, credential_, 120);
  auto r = call.put_bytes(job_path(job, "/results/" + file + "?attempt=" + std::to_string(attempt)),
                          body, real_size);
  UploadReply out;
  if (r->status == 409) return out;
  out.held = true;
  if (r->status == 200) {
    out.accepted = true;
  } else if (r->status == 422 || r->status == 413) {
    out.error = message_of(r);
  } else {
    unexpected(r, "results upload");
  }
  return out;
}

FinishReply RunnerClient::finish(std::int64_t job, int attempt, const std::string& outcome,
                                 int exit_code, const std::string& message, bool log_truncated) {
  Call call(*connections_, base_path_, credential_);
  auto r = call.post_json(job_path(job, "/finish"), {{"attempt", attempt},
                                                     {"outcome", outcome},
                                                     {"exit_code", exit_code},
                                                     {"message", message},
                                                     {"log_truncated", log_truncated}});
  if (r->status == 409) return {};
  if (r->status != 200) unexpected(r, "finish");
  return {true, parse_body(r).value("state", std::string())};
}

int RunnerClient::reset() {
  Call call(*connections_, base_path_, credential_);
  auto r = call.post_json("/api/v1/runner/reset", nlohmann::json::object());
  if (r->status != 200) unexpected(r, "reset");
  return parse_body(r).value("released", 0);
}

}  // namespace mlgate::runners
