// The scheduler's rows (docs/schedules.md): per repository and tier the cursor of its cron
// expression (schedule_cursors) and the scheduled minutes claimed so far (schedules), plus the
// session-level advisory lock that makes one instance the scheduling leader.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <pqxx/pqxx>
#include <string>

#include "core/schedule.h"

namespace mlgate::store {

// The repository's remembered cursors by tier, each with the latest scheduled minute claimed for
// that tier (last_fired; nullopt when none was).
std::map<std::string, core::ScheduleCursor> load_schedule_cursors(pqxx::transaction_base& tx,
                                                                  std::int64_t repo_id);

// Starts (or restarts) a tier's cursor: its expression was first seen at `known_since` at `sha`.
void save_schedule_cursor(pqxx::transaction_base& tx, std::int64_t repo_id, const std::string& tier,
                          const std::string& cron, std::chrono::sys_seconds known_since,
                          const std::string& sha);

// Forgets a tier's cursor (the tier is no longer scheduled at the branch head).
void forget_schedule_cursor(pqxx::transaction_base& tx, std::int64_t repo_id,
                            const std::string& tier);

// Claims one scheduled minute of a tier; the new schedule's id, nullopt when another instance
// claimed that minute first.
std::optional<std::int64_t> claim_scheduled_run(pqxx::transaction_base& tx, std::int64_t repo_id,
                                                const std::string& tier, const std::string& cron,
                                                std::chrono::sys_seconds at);

// Records the pipeline a claimed scheduled run created.
void set_schedule_pipeline(pqxx::transaction_base& tx, std::int64_t schedule_id,
                           std::int64_t pipeline_id);

// Takes the session-level advisory lock `key` without waiting; true when this session holds it.
bool try_session_lock(pqxx::transaction_base& tx, std::int64_t key);

// A round trip that fails when the session is gone (and with it any lock it held).
void ping_session(pqxx::transaction_base& tx);

}  // namespace mlgate::store
