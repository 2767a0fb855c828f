// A stand-in for the GitHub and GitLab REST APIs in end-to-end tests: a local HTTP server that
// records every request (method, path, headers, auth, body) and answers as told, so that the
// requests mlgate sends can be checked against the documented shape, and retries and give-ups
// exercised. Shared by forge_feedback_test.cpp, fork_pull_requests_test.cpp and
// notifications_test.cpp (where it stands in for a Slack-like receiver of notifications).
#pragma once

#include <httplib.h>

#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

namespace mlgate::testing {

struct Recorded {
  std::string method;
  std::string target;  // the raw request target, as sent (percent-encoding kept)
  std::string path;
  httplib::Headers headers;
  nlohmann::json body;
  std::string raw;  // the body's bytes as sent

  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

// A stand-in for a forge's REST API: records requests and answers with the status `policy` picks
// (201 unless told otherwise).
class RecordingForge {
 public:
  using Policy = std::function<int(const Recorded&, int index)>;

  // The body of a 2xx answer (pull-request reports read the comment's id from it).
  using Answer = std::function<std::string(const Recorded&, int index)>;

  RecordingForge() {
    auto handler = [this](const httplib::Request& req, httplib::Response& res) {
      Recorded r{req.method,
                 req.target,
                 req.path,
                 req.headers,
                 nlohmann::json::parse(req.body, nullptr, false),
                 req.body};
      int status = 201;
      std::string body = req.method == "GET" ? "[]" : R"({"id": 1})";
      {
        std::lock_guard lock(mu_);
        const int index = static_cast<int>(requests_.size());
        if (policy_) status = policy_(r, index);
        if (answer_ && status < 300) body = answer_(r, index);
        requests_.push_back(r);
      }
      res.status = status;
      res.set_content(status < 300 ? body : R"({"message": "nope"})", "application/json");
    };
    server_.Post(".*", handler);
    server_.Patch(".*", handler);
    server_.Put(".*", handler);
    server_.Get(".*", handler);
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~RecordingForge() {
    server_.stop();
    thread_.join();
  }

  std::string base() const { return "http://127.0.0.1:" + std::to_string(port_); }
  void set_policy(Policy p) {
    std::lock_guard lock(mu_);
    policy_ = std::move(p);
  }
  void set_answer(Answer a) {
    std::lock_guard lock(mu_);
    answer_ = std::move(a);
  }
  std::vector<Recorded> requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }
  // The states sent for one status context, in order (GitHub "context", GitLab "name").
  std::vector<std::string> states(const std::string& context, const std::string& key = "context") {
    std::vector<std::string> out;
    for (const auto& r : requests())
      if (r.body.is_object() && r.body.value(key, "") == context)
        out.push_back(r.body.value("state", ""));
    return out;
  }
  // Every request, one line each, for failure messages.
  std::string dump() {
    std::string out;
    for (const auto& r : requests()) out += r.method + " " + r.target + " " + r.body.dump() + "\n";
    return out;
  }
  std::string last_state(const std::string& context, const std::string& key = "context") {
    auto s = states(context, key);
    return s.empty() ? "" : s.back();
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  Policy policy_;
  Answer answer_;
  std::vector<Recorded> requests_;
};

}  // namespace mlgate::testing
