// Rows of `webhook_deliveries`: every delivery, accepted or not, stored with its headers, verdict
// and timing. A verified delivery keeps its whole body; an unverified one (its signature never
// checked out) keeps its size, its SHA-256 and at most its first bytes, and the total kept for
// unverified deliveries is bounded. One accepted delivery per (repo, delivery id) makes intake
// exactly-once.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "core/states.h"
#include "store/repos.h"

namespace mlgate::store {

struct NewDelivery {
  std::optional<std::int64_t> repo_id;
  std::string forge;
  std::string delivery_id;
  std::string event;
  std::map<std::string, std::string> headers;  // secrets (X-Gitlab-Token) already redacted
  std::string body;  // what is kept: the whole body, or its first bytes when body_truncated
  // The size and SHA-256 (lowercase hex) of the body as received. An empty body_sha256 means the
  // body is whole: the database computes both from it.
  std::int64_t body_bytes = 0;
  std::string body_sha256;
  bool body_truncated = false;
  // Its signature or token checked out against the repository's secret; unset: as its verdict
  // implies (accepted, duplicate, ignored with a repository).
  std::optional<bool> verified;
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
  std::int64_t body_bytes = 0;
  std::string body_sha256;
  bool body_truncated = false;
  bool verified = false;
  std::map<std::string, std::string> headers;  // filled by get_delivery only
  std::string body;                            // filled by get_delivery only
};

std::int64_t insert_delivery(pqxx::work& tx, const NewDelivery& d);

// Inserts an accepted delivery unless one with the same (repo, delivery id) exists; returns the
// new row id, or nullopt when it is a duplicate.
std::optional<std::int64_t> insert_accepted_once(pqxx::work& tx, const NewDelivery& d);

// The bound on what unverified deliveries keep: the bytes of their stored bodies and headers, per
// repository (deliveries naming no registered repository share one allowance) and overall.
struct UnverifiedBound {
  std::int64_t max_bytes = 64ll << 20;
  std::int64_t repo_max_bytes = 16ll << 20;
};

// What enforcing the bound deleted, by the allowance that was exceeded.
struct UnverifiedDropped {
  std::int64_t repo_rows = 0;
  std::int64_t repo_bytes = 0;
  std::int64_t total_rows = 0;
  std::int64_t total_bytes = 0;
};

// Inserts an unverified delivery and deletes the oldest unverified rows beyond the bound: first
// of the same repository (or of the no-repository allowance), then overall. Serialised by a
// transaction-level advisory lock so that concurrent inserts do not overshoot the bound.
std::int64_t insert_unverified_delivery(pqxx::work& tx, const NewDelivery& d,
                                        const UnverifiedBound& bound, UnverifiedDropped& dropped);

// The bytes unverified deliveries keep (stored bodies and headers), overall or for one
// repository (nullopt: the deliveries naming no registered repository).
std::int64_t unverified_kept_bytes(pqxx::transaction_base& tx);
std::int64_t unverified_kept_bytes(pqxx::transaction_base& tx, std::optional<std::int64_t> repo_id);

// The accepted delivery for (repo, delivery id): its row id and pipeline.
struct AcceptedRef {
  std::int64_t id = 0;
  std::optional<std::int64_t> pipeline_id;
  core::PlanState plan_state = core::PlanState::none;
};
std::optional<AcceptedRef> find_accepted(pqxx::transaction_base& tx, std::int64_t repo_id,
                                         const std::string& delivery_id);

// What accepting a delivery did: its row when it is the first with its delivery id for the
// repository, else the row recording the duplicate and the accepted delivery it repeats.
struct AcceptOutcome {
  std::optional<std::int64_t> id;
  std::optional<AcceptedRef> original;
  std::int64_t duplicate_row = 0;
};

// Accepts each verified delivery (repo_id set) once per (repo, delivery id), in order, in `tx`: a
// group commit. A delivery whose id was accepted before, in the table or earlier in `rows`, is
// stored as a duplicate (200) of that one. One outcome per row, in the order of `rows`.
std::vector<AcceptOutcome> accept_deliveries(pqxx::work& tx,
                                             const std::vector<const NewDelivery*>& rows);

std::vector<DeliveryRow> list_deliveries(pqxx::transaction_base& tx, int limit,
                                         std::optional<std::int64_t> repo_id = std::nullopt);
std::optional<DeliveryRow> get_delivery(pqxx::transaction_base& tx, std::int64_t id);
// The repository delivery `id` names (none for a repository that is not registered); nullopt when
// there is no such delivery.
std::optional<RepoOwner> delivery_owner(pqxx::transaction_base& tx, std::int64_t id);

// Deliveries accepted but not planned (the process died, or planning is due), oldest first.
std::vector<std::int64_t> pending_deliveries(pqxx::transaction_base& tx, int limit);

// Deletes deliveries received more than `days` days ago; returns how many.
std::int64_t delete_old_deliveries(pqxx::work& tx, int days);

// What a pending delivery stored of its request: enough to normalise it again.
struct PendingDelivery {
  std::string forge;
  std::string headers_json;  // a JSON object of header name -> value
  std::string body;
};
// Locks one delivery for planning, in one statement: this transaction takes the lock that lets one
// planner at a time plan the delivery's repository (waiting for it, as lock_planning_of_delivery)
// and the delivery's row (skipping it when another planner holds it). Its repository; nullopt when
// it is not pending (or names none) or another planner holds it. Reads no body (pending_payloads
// does).
std::optional<std::int64_t> lock_delivery_to_plan(pqxx::work& tx, std::int64_t id);
// The repository of a pending delivery, once this transaction holds the lock that lets one planner
// at a time plan that repository's deliveries (on any replica: its pushes are planned in the order
// they arrived), waiting for it; nullopt when the delivery is not pending (or names none).
std::optional<std::int64_t> lock_planning_of_delivery(pqxx::work& tx, std::int64_t id);
// Locks up to `limit` pending deliveries of one repository for planning, oldest first, skipping
// those another planner holds (a burst planned together); their ids, ascending. Reads no body: a
// planner that holds a delivery's event in memory never needs it.
std::vector<std::int64_t> lock_pending_of_repo(pqxx::work& tx, std::int64_t repo_id, int limit);
// The stored requests of deliveries `ids` (by id; an id with no row is absent): for the ones a
// planner must normalise again.
std::map<std::int64_t, PendingDelivery> pending_payloads(pqxx::transaction_base& tx,
                                                         const std::vector<std::int64_t>& ids);
// Records how planning ended; an empty note stores none.
void finish_delivery_plan(pqxx::work& tx, std::int64_t id, core::PlanState state,
                          const std::string& note);

// How planning a delivery ended: planned or failed, and its note ("" = none).
struct DeliveryPlanEnd {
  std::int64_t id = 0;
  core::PlanState state = core::PlanState::planned;
  std::string note;
};
// finish_delivery_plan for each of `ends`, in one statement.
void finish_delivery_plans(pqxx::work& tx, const std::vector<DeliveryPlanEnd>& ends);

}  // namespace mlgate::store
