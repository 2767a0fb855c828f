// The webhook spool: when PostgreSQL cannot be reached, a delivery is appended to a local file in
// the data dir and fsync'd before the forge gets its 202. When the database is back the spool is
// drained through the normal intake path, whose (repo, delivery id) key makes the drain
// exactly-once even if it is interrupted and run again.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "webhooks/headers.h"

namespace mlgate::server {

struct SpooledDelivery {
  std::string forge;  // "github" | "gitlab"
  webhooks::Headers headers;
  std::string body;
  std::string received_at;  // ISO 8601, UTC
};

class Spool {
 public:
  // `max_bytes` bounds the spool file: past it, append() refuses (the forge retries later).
  explicit Spool(std::filesystem::path dir, std::uint64_t max_bytes = 1ull << 30);

  // Appends and fsyncs; false when the spool is full or cannot be written.
  bool append(const SpooledDelivery& d);

  // True when there is anything to drain.
  bool has_pending() const;

  // Hands every spooled delivery, oldest first, to `deliver`. A delivery for which `deliver`
  // throws stops the drain; the rest stay spooled (including that one) for the next drain.
  // Returns how many were delivered.
  size_t drain(const std::function<void(const SpooledDelivery&)>& deliver);

  std::filesystem::path path() const { return file_; }

 private:
  std::filesystem::path dir_;
  std::filesystem::path file_;
  std::filesystem::path draining_;
  std::uint64_t max_bytes_;
  mutable std::mutex append_mu_;
  std::mutex drain_mu_;
};

}  // namespace mlgate::server
