// Webhook intake: verify, deduplicate, record durably, answer. Shared by the HTTP endpoints, the
// spool drain and replays, so that every path applies the same rules (docs/webhooks.md).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "server/http/auth.h"
#include "server/services/accept_group.h"
#include "server/services/planner.h"
#include "server/services/spool.h"
#include "store/database.h"
#include "store/deliveries.h"
#include "webhooks/event.h"
#include "webhooks/headers.h"

namespace mlgate::server {

struct IntakeRequest {
  webhooks::Forge forge = webhooks::Forge::github;
  webhooks::Headers headers;
  std::string body;
  bool spooled = false;                   // drained from the spool
  std::optional<std::int64_t> replay_of;  // an operator's replay of this delivery row
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
};

struct IntakeAnswer {
  int status = 202;
  nlohmann::json body;
};

class Intake {
 public:
  // `unverified` bounds what deliveries whose signature was not verified keep (docs/intake.md).
  // With `repos`, the repository a delivery names is the Authorizer's row, read from memory while
  // the "repos" topic is unchanged (a repository added, edited or removed anywhere is seen by the
  // next delivery): the API and intake share one cache of repository rows.
  Intake(store::Database& db, Spool& spool, Planner* planner,
         store::UnverifiedBound unverified = {}, const Authorizer* repos = nullptr);

  // The whole intake for one delivery. With the database down, a delivery is spooled (answered
  // 202) unless a cached secret proves its signature wrong (401).
  IntakeAnswer receive(const IntakeRequest& request);

  // Drains the spool into the database (exactly once); returns how many were taken.
  size_t drain_spool();

  // Re-runs a stored delivery as a new delivery row; returns the answer for the new row. A
  // delivery whose body was cut cannot be replayed (409).
  IntakeAnswer replay(std::int64_t delivery_row_id);

 private:
  // Throws store::DatabaseUnavailable when PostgreSQL cannot be reached.
  IntakeAnswer process(const IntakeRequest& request, bool trusted);
  IntakeAnswer spool_or_reject(const IntakeRequest& request, const std::string& why);
  std::optional<store::RepoRow> find_repo(webhooks::Forge forge, const std::string& name);

  store::Database& db_;
  Spool& spool_;
  Planner* planner_;
  store::UnverifiedBound unverified_;
  AcceptGroup accept_group_;
  // forge/name -> webhook secret, from the last successful lookups: lets a delivery be verified
  // while PostgreSQL is down.
  std::mutex cache_mu_;
  std::map<std::string, std::string> secret_cache_;
  const Authorizer* repos_;
};

// The headers worth storing with a delivery: all of them, with X-Gitlab-Token (the secret itself),
// Authorization, Proxy-Authorization and Cookie (in any case) replaced by "[redacted]".
std::map<std::string, std::string> storable_headers(const webhooks::Headers& headers);

}  // namespace mlgate::server
