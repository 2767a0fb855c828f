#include "server/http/change_feed.h"

#include <pqxx/pqxx>

#include "server/http/json_log.h"

namespace mlgate::server {
namespace {

class Receiver : public pqxx::notification_receiver {
 public:
  Receiver(pqxx::connection_base& c, ChangeFeed& feed)
      : pqxx::notification_receiver(c, kChangesChannel), feed_(feed) {}
  void operator()(const std::string& payload, int) override { feed_.changed(payload); }

 private:
  ChangeFeed& feed_;
};

// "gate:42" -> "gate:*"; "" for a topic without a family.
std::string wildcard_of(const std::string& topic) {
  const auto colon = topic.find(':');
  return colon == std::string::npos ? std::string() : topic.substr(0, colon) + ":*";
}

}  // namespace

ChangeFeed::ChangeFeed(store::Database& db) : db_(db) {}

ChangeFeed::~ChangeFeed() {
  stop();
}

void ChangeFeed::start() {
  {
    std::lock_guard lock(mu_);
    stop_ = false;
  }
  logged_failure_ = false;
  worker_.start();
}

void ChangeFeed::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  worker_.stop();
  set_listening(false);
}

std::optional<ChangeStamp> ChangeFeed::stamp(const std::string& topic) const {
  std::lock_guard lock(mu_);
  if (!listening_) return std::nullopt;
  ChangeStamp s{epoch_, 0, 0};
  if (auto it = counters_.find(topic); it != counters_.end()) s.topic = it->second;
  if (const auto w = wildcard_of(topic); !w.empty())
    if (auto it = counters_.find(w); it != counters_.end()) s.wildcard = it->second;
  return s;
}

void ChangeFeed::changed(const std::string& topic) {
  std::lock_guard lock(mu_);
  ++counters_[topic];
}

bool ChangeFeed::listening() const {
  std::lock_guard lock(mu_);
  return listening_;
}

void ChangeFeed::set_listening(bool on) {
  std::lock_guard lock(mu_);
  if (listening_ != on) ++epoch_;  // what was missed while not listening is unknown
  listening_ = on;
}

std::chrono::milliseconds ChangeFeed::listen() {
  try {
    auto conn = db_.connect_dedicated();
    Receiver receiver(*conn, *this);
    set_listening(true);
    logged_failure_ = false;
    while (true) {
      {
        std::lock_guard lock(mu_);
        if (stop_) break;
      }
      conn->await_notification(0, 250'000);
    }
    set_listening(false);
    return std::chrono::milliseconds::zero();
  } catch (const std::exception& e) {
    set_listening(false);
    if (!logged_failure_) {
      log_event(spdlog::level::warn,
                "change listener lost its connection; caches read the database",
                {{"error", e.what()}});
      logged_failure_ = true;
    }
    return std::chrono::seconds(1);
  }
}

}  // namespace mlgate::server
