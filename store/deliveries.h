// Rows of `webhook_deliveries`: every delivery, accepted or not, stored raw (headers, body,
// verdict, timing). One accepted delivery per (repo, delivery id) makes intake exactly-once.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "core/states.h"

namespace mlgate::store {

struct NewDelivery {
  std::optional<std::int64_t> repo_id;
  std::string forge;
  std::string delivery_id;
  std::string event;
  std::map<std::string, std::string> headers;  // secrets (X-Gitlab-Token) already redacted
  std::string body;
  core::DeliveryVerdict verdict = core::DeliveryVerdict::accepted;
  int http_status = 202;
  std::string reason;
  double answered_ms = 0;
  bool spooled = false;
  core::PlanState plan_state = core::PlanState::none;  // pending when the planner has work to do
  std::optional<std::int64_t> replay_of;
};

struct DeliveryRow {
  std::int64_t id = 0;
  std::optional<std::int64_t> repo_id;
  std::string repo_name;
  std::string forge;
  std::string delivery_id;
  std::string event;
  core::DeliveryVerdict verdict = core::DeliveryVerdict::accepted;
  int http_status = 0;
  std::string reason;
  std::string received_at;
  double answered_ms = 0;
  bool spooled = false;
  core::PlanState plan_state = core::PlanState::none;
  std::string plan_error;
  std::optional<std::int64_t> pipeline_id;
  std::optional<std::int64_t> replay_of;
  std::map<std::string, std::string> headers;  // filled by get_delivery only
  std::string body;                            // filled by get_delivery only
};

std::int64_t insert_delivery(pqxx::work& tx, const NewDelivery& d);

// Inserts an accepted delivery unless one with the same (repo, delivery id) exists; returns the
// new row id, or nullopt when it is a duplicate.
std::optional<std::int64_t> insert_accepted_once(pqxx::work& tx, const NewDelivery& d);

// The accepted delivery for (repo, delivery id): its row id and pipeline.
struct AcceptedRef {
  std::int64_t id = 0;
  std::optional<std::int64_t> pipeline_id;
  core::PlanState plan_state = core::PlanState::none;
};
std::optional<AcceptedRef> find_accepted(pqxx::transaction_base& tx, std::int64_t repo_id,
                                         const std::string& delivery_id);

std::vector<DeliveryRow> list_deliveries(pqxx::transaction_base& tx, int limit,
                                         std::optional<std::int64_t> repo_id = std::nullopt);
std::optional<DeliveryRow> get_delivery(pqxx::transaction_base& tx, std::int64_t id);

// Deliveries accepted but not planned (the process died, or planning is due), oldest first.
std::vector<std::int64_t> pending_deliveries(pqxx::transaction_base& tx, int limit);

// Deletes deliveries received more than `days` days ago; returns how many.
std::int64_t delete_old_deliveries(pqxx::work& tx, int days);

// A delivery waiting to be planned, as stored.
struct PendingDelivery {
  std::int64_t repo_id = 0;
  std::string forge;
  std::string headers_json;  // a JSON object of header name -> value
  std::string body;
};
// Locks the delivery for planning; nullopt when it is not pending or another planner holds it.
std::optional<PendingDelivery> lock_pending_delivery(pqxx::work& tx, std::int64_t id);
// Records how planning ended; an empty note stores none.
void finish_delivery_plan(pqxx::work& tx, std::int64_t id, core::PlanState state,
                          const std::string& note);

}  // namespace mlgate::store
