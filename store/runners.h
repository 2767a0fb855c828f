// Rows of `runners`: a runner registers once with a registration token (an api token with the
// runner-register scope) and gets its own credential, stored only as its SHA-256 hash. Runners
// never hold database credentials: everything they do goes through the HTTP runner protocol.
#pragma once

#include <cstdint>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

namespace mlgate::store {

struct NewRunner {
  std::string name;
  std::vector<std::string> tiers = {"functionality", "validation", "training"};
  int capacity = 1;
  std::string executor = "docker";  // docker | local
  std::string version;
};

struct RunnerRow {
  std::int64_t id = 0;
  std::string name;
  std::vector<std::string> tiers;
  int capacity = 1;
  std::string executor;
  std::string version;
  std::string last_seen_at;  // ISO 8601 UTC
  bool disabled = false;
};

// The credential a runner authenticates with ("mlgr_" + 64 hex); the returned string is the only
// copy.
std::string generate_runner_credential();

// Inserts a runner holding `credential`; returns its id. Throws pqxx::check_violation for a
// capacity or executor the schema refuses.
std::int64_t insert_runner(pqxx::work& tx, const NewRunner& runner, const std::string& credential);

// The enabled runner holding `credential`, if any; marks it seen (at most every 5 s).
std::optional<RunnerRow> authenticate_runner(pqxx::work& tx, const std::string& credential);

// Runners seen within `seconds`.
std::vector<RunnerRow> list_runners(pqxx::transaction_base& tx);
long count_runners_seen_within(pqxx::transaction_base& tx, int seconds);

}  // namespace mlgate::store
