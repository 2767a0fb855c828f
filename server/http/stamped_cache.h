// An in-memory cache whose entries are served only while the change stamp they were stored with is
// still the topic's stamp (server/http/change_feed.h), and never after `max_age` (a bound on
// staleness should a notification be lost without the connection breaking). Thread-safe. When full
// it is cleared (keys of the caches using it rarely come back after a change: no LRU needed).
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

#include "server/http/change_feed.h"

namespace mlgate::server {

template <typename Value>
class StampedCache {
 public:
  StampedCache(std::size_t max_entries, std::chrono::milliseconds max_age)
      : max_entries_(max_entries), max_age_(max_age) {}

  // The entry of `key` when it was stored with `current` (the topic's stamp now) and is young
  // enough; nullopt otherwise, and when `current` is nullopt (not listening).
  std::optional<Value> get(const std::string& key, const std::optional<ChangeStamp>& current) {
    if (!current) return std::nullopt;
    std::lock_guard lock(mu_);
    auto it = entries_.find(key);
    if (it == entries_.end()) return std::nullopt;
    if (it->second.stamp != *current ||
        std::chrono::steady_clock::now() - it->second.stored > max_age_) {
      entries_.erase(it);
      return std::nullopt;
    }
    return it->second.value;
  }

  // Stores `value` read after `stamp` was taken; nothing when `stamp` is nullopt.
  void put(const std::string& key, const std::optional<ChangeStamp>& stamp, Value value) {
    if (!stamp) return;
    std::lock_guard lock(mu_);
    if (entries_.size() >= max_entries_) entries_.clear();
    entries_.insert_or_assign(key,
                              Entry{std::move(value), *stamp, std::chrono::steady_clock::now()});
  }

  void erase(const std::string& key) {
    std::lock_guard lock(mu_);
    entries_.erase(key);
  }

 private:
  struct Entry {
    Value value;
    ChangeStamp stamp;
    std::chrono::steady_clock::time_point stored;
  };
  std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
  std::size_t max_entries_;
  std::chrono::milliseconds max_age_;
};

}  // namespace mlgate::server
