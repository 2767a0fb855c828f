// What changed in the database, as far as this process's in-memory caches care: one thread holds a
// dedicated connection that LISTENs on the mlgate_changes channel, which the database's triggers
// notify on every committed change a cached answer reads (migrations/0012_change_notifications.sql)
// — from this replica, another one, the CLI or an operator's SQL. Each topic ("gate:42", "tokens",
// "repos") has a counter the notifications bump; "gate:*" bumps every "gate:…" topic at once.
//
// A cache keeps the stamp it read BEFORE it read the database with each entry and serves the entry
// only while the stamp is unchanged (docs/architecture.md, "Caches and change notifications").
// While the connection is down there is no stamp: caches ask the database. A reconnection starts a
// new epoch, which invalidates every stamp taken before (notifications may have been missed
// meanwhile).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "store/database.h"
#include "util/periodic_worker.h"

namespace mlgate::server {

inline constexpr const char* kChangesChannel = "mlgate_changes";

struct ChangeStamp {
  std::uint64_t epoch = 0;     // the listening session it was taken in
  std::uint64_t topic = 0;     // the topic's own counter
  std::uint64_t wildcard = 0;  // the counter of "<family>:*"

  friend bool operator==(const ChangeStamp&, const ChangeStamp&) = default;
};

class ChangeFeed {
 public:
  explicit ChangeFeed(store::Database& db);
  ~ChangeFeed();
  ChangeFeed(const ChangeFeed&) = delete;
  ChangeFeed& operator=(const ChangeFeed&) = delete;

  void start();
  void stop();

  // The topic's stamp now; nullopt while not listening (the caller must read the database).
  std::optional<ChangeStamp> stamp(const std::string& topic) const;
  // A notification's payload, or a change this process just committed (its notification follows
  // in a few milliseconds; a request right after the write must not see the old answer).
  void changed(const std::string& topic);

  // Whether a LISTEN session is up now.
  bool listening() const;

 private:
  std::chrono::milliseconds listen();
  void set_listening(bool on);

  store::Database& db_;
  mutable std::mutex mu_;
  bool listening_ = false;
  std::uint64_t epoch_ = 0;
  std::map<std::string, std::uint64_t, std::less<>> counters_;
  bool stop_ = false;
  bool logged_failure_ = false;
  util::PeriodicWorker worker_{"change listener", [this] { return listen(); }};
};

}  // namespace mlgate::server
