// The change notifications of the runner protocol's claims and finishes, sent after their commits
// and several at once. A transaction that notifies makes PostgreSQL serialise its commit with every
// other notifying one (migrations/0017_quiet_claims.sql): a claim and a finish therefore commit
// quietly (store::quiet_change_notifications) and queue their repository's topic here; one
// background transaction sends what was queued, each distinct topic once, at most every `every`.
// This replica's own caches were told at once (the HTTP server's logger hook, server/app.cpp); the
// other replicas' learn within that delay (and a cached answer is never older than a few seconds
// whatever happens: server/http/stamped_cache.h). Queued topics are sent on stop().
#pragma once

#include <chrono>
#include <mutex>
#include <set>
#include <string>

#include "store/database.h"
#include "util/periodic_worker.h"

namespace mlgate::server {

class ChangeNotices {
 public:
  explicit ChangeNotices(store::Database& db,
                         std::chrono::milliseconds every = std::chrono::milliseconds(10));
  ~ChangeNotices();
  ChangeNotices(const ChangeNotices&) = delete;
  ChangeNotices& operator=(const ChangeNotices&) = delete;

  void start();
  // Sends what is queued, then stops.
  void stop();

  // Queues a topic of the change feed ("gate:42"); sent within `every` (at once when idle).
  void add(std::string topic);
  // Topics sent since the start, for tests and the metrics.
  std::uint64_t sent() const;

 private:
  std::chrono::milliseconds tick();
  // Sends `topics` in one transaction; true when they went out.
  bool send(const std::set<std::string>& topics);

  store::Database& db_;
  const std::chrono::milliseconds every_;
  mutable std::mutex mu_;
  std::set<std::string> pending_;
  bool idle_ = true;
  std::uint64_t sent_ = 0;
  util::PeriodicWorker worker_{"change notices", [this] { return tick(); }};
};

}  // namespace mlgate::server
