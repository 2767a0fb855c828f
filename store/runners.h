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

// The runner holding `credential`, if any, enabled or disabled (the caller refuses a disabled
// one). Its row stays share-locked until `tx` ends, so that disabling it waits for the calls in
// flight. An enabled runner is marked seen (at most every 5 s).
std::optional<RunnerRow> authenticate_runner(pqxx::work& tx, const std::string& credential);

// Every runner, by id.
std::vector<RunnerRow> list_runners(pqxx::transaction_base& tx);
// Enabled runners seen within `seconds`.
long count_runners_seen_within(pqxx::transaction_base& tx, int seconds);

// Disables or enables runner `id` (a disabled runner is refused on every protocol call); the row
// after the change, nullopt when there is no such runner. `changed` tells whether it was in the
// other state before.
struct RunnerSwitch {
  RunnerRow runner;
  bool changed = false;
};
std::optional<RunnerSwitch> set_runner_disabled(pqxx::work& tx, std::int64_t id, bool disabled);

}  // namespace mlgate::store
