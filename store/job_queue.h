// The job queue: runners claim queued jobs with SELECT ... FOR UPDATE SKIP LOCKED (tier priority,
// then age), hold them with a lease that heartbeats extend, append logs at byte offsets, and finish
// them. A lease that expires puts the job back in the queue as a new attempt; after max_attempts
// the job fails with "runner lost". Finishing a job moves its dependants (needs) and its
// pipeline. Every function works inside the caller's transaction; state changes are recorded in
// state_changes.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <string_view>
#include <vector>

#include "core/states.h"

namespace mlgate::store {

// What a runner is handed with a claim: enough to check the commit out and run the tier.
struct ClaimedJob {
  std::int64_t job_id = 0;
  std::int64_t pipeline_id = 0;
  int attempt = 1;  // 1 for the first run, 2 after one lost lease, ...
  std::int64_t repo_id = 0;
  std::string forge;
  std::string repo;         // full name
  std::string clone_url;    // where the runner fetches the commit
  std::string fetch_ref;    // for pull/merge requests: the ref that holds the head commit
  std::string forge_token;  // empty for a fork's pipeline: the runner fetches anonymously
  std::string sha;
  std::string ref;
  std::string tier;
  int repeat = 0;  // of a tier with `repeat: N`: 0..N-1 (MLGATE_REPEAT); else 0
  std::string image;
  std::string command;
  std::string network;  // always none for a fork's pipeline
  std::int64_t timeout_seconds = 0;
  std::string resources_json;  // {"cpus":2,"memory_bytes":...,"gpus":1,"pids":...}
  std::string env_json;        // {"KEY":"value"}
};

// Claims the oldest queued job of the highest priority among `tiers` for `runner_id`: attempt+1,
// state running, lease now + lease. Without `isolated` (a runner whose executor cannot take the
// network away, `local`), a fork pull request's jobs are left for other runners. Returns nothing
// when no job is queued (or every one is locked by a concurrent claim), and when the runner is
// disabled or gone (its row is share-locked: a disable waits for the claim, then re-queues it).
// From its start on (for an enabled runner), `tx` sends no gate notification
// (mlgate.quiet_changes, see store::quiet_change_notifications): the caller sends "gate:<repo_id>"
// after the commit. One prepared statement: in a pqxx::nontransaction it commits on its own, in
// one round trip.
std::optional<ClaimedJob> claim_job(pqxx::transaction_base& tx, std::int64_t runner_id,
                                    const std::vector<std::string>& tiers,
                                    std::chrono::seconds lease, bool isolated = true);

// One runner's claim in a group (claim_jobs): claim_job's arguments.
struct ClaimRequest {
  std::int64_t runner_id = 0;
  std::vector<std::string> tiers;
  std::chrono::seconds lease{60};
  bool isolated = true;
};

// claim_job for a group of claims in one statement (one commit for all in a
// pqxx::nontransaction): each request gets a job of its own runner's tiers or nothing, the first
// request the first pick. A runner may appear more than once (a runner with several slots); two
// requests never get the same job. Answers in the order of `requests`.
std::vector<std::optional<ClaimedJob>> claim_jobs(pqxx::transaction_base& tx,
                                                  const std::vector<ClaimRequest>& requests);

// Whether `runner_id` still holds attempt `attempt` of the job, and whether it was asked to stop.
struct LeaseState {
  bool held = false;    // false: the lease expired and the job moved on, or the job ended
  bool cancel = false;  // a person or a newer push asked for the job to stop
};

// Extends the lease of a held attempt by `lease` from now.
LeaseState heartbeat(pqxx::work& tx, std::int64_t job_id, std::int64_t runner_id, int attempt,
                     std::chrono::seconds lease);
// The same answer, read only (the runner asks every few seconds so that a cancel lands fast).
LeaseState lease_state(pqxx::transaction_base& tx, std::int64_t job_id, std::int64_t runner_id,
                       int attempt);

struct LogAppend {
  bool held = false;           // false: not this runner's attempt any more; nothing stored
  bool gap = false;            // offset past the end: nothing stored, resend from `log_bytes`
  std::int64_t log_bytes = 0;  // bytes stored for this attempt after the call
  bool truncated = false;      // the server's cap was reached
};

// Appends `data` written at byte `offset` of the attempt's log. A chunk (or the part of it) that
// is already stored is not stored again, so a retried request is harmless. Bytes past `max_bytes`
// are dropped and the log is marked truncated.
LogAppend append_log(pqxx::work& tx, std::int64_t job_id, std::int64_t runner_id, int attempt,
                     std::int64_t offset, std::string_view data, std::int64_t max_bytes);

// The stored log of an attempt (the latest when attempt is 0).
std::string read_log(pqxx::transaction_base& tx, std::int64_t job_id, int attempt = 0);

enum class FinishKind { exited, timed_out, cancelled, error };
std::optional<FinishKind> finish_kind_from_string(const std::string& s);

struct Finish {
  FinishKind kind = FinishKind::exited;
  int exit_code = 0;
  std::string message;
  bool log_truncated = false;  // the runner cut the log at its cap
};

struct FinishResult {
  bool held = false;  // false: the attempt was not this runner's any more; nothing changed
  std::optional<core::JobState> state;  // the job's state after the call (none: no such job)
  std::int64_t repo_id = 0;             // of the job's pipeline, when held
  std::string tier;                     // of the job, when held
  std::optional<double> seconds;        // from its start to its end, when held and started
};

// Ends a held attempt: exit 0 → passed (failed when a results file was malformed), non-zero →
// failed, timed_out, cancelled, error. Then dependants whose needs all passed are queued, and
// those with a need that did not pass are skipped; the pipeline state follows (in the same
// statement when the pipeline has no blocked job). The pipeline's row is locked first (see
// finish_jobs_alone). From its start on, `tx` sends no gate notification: the caller sends
// "gate:<repo_id>" after the commit.
FinishResult finish_job(pqxx::work& tx, std::int64_t job_id, std::int64_t runner_id, int attempt,
                        const Finish& finish);

// One attempt's end in a group (finish_jobs_alone): finish_job's arguments.
struct FinishRequest {
  std::int64_t job_id = 0;
  std::int64_t runner_id = 0;
  int attempt = 0;
  Finish finish;
};

// finish_job for a group of attempts in one statement, each with its own lease check: an attempt
// no longer held, or whose pipeline has blocked jobs (jobs are blocked only from planning on, so
// none can appear after the check), is left as it is and answered nullopt (then finish_job in a
// transaction of its own answers it) without holding back the others. The pipelines of the group's
// jobs are locked first, in id order, so that a concurrent finish in one of them counts its jobs
// only after this transaction's end; jobs of one pipeline ending in the same group move it once,
// counted with all their new states. Answers in the order of `requests`. From its start on, `tx`
// sends no gate notification: the caller sends "gate:<repo_id>" after the commit.
std::vector<std::optional<FinishResult>> finish_jobs_alone(
    pqxx::work& tx, const std::vector<FinishRequest>& requests);

// Marks a held attempt's results as unusable (a malformed or oversized file); finish_job then
// fails the job with this message even when the command exited 0.
bool record_results_error(pqxx::work& tx, std::int64_t job_id, std::int64_t runner_id, int attempt,
                          const std::string& message);

// Notes that a held attempt uploaded results file `name` of `bytes` bytes (listed on the pages).
bool record_results_file(pqxx::work& tx, std::int64_t job_id, std::int64_t runner_id, int attempt,
                         const std::string& name, std::int64_t bytes);

// Ends every attempt whose lease expired: the job is queued again (same id, next attempt), or
// fails with "runner lost" after max_attempts. Returns how many jobs it touched.
int expire_leases(pqxx::work& tx);

// A runner that restarted (or was disabled) gives up the attempts it held: they are requeued at
// once as if their leases had expired, `why` recorded with the state change. Returns how many.
int release_runner_jobs(pqxx::work& tx, std::int64_t runner_id,
                        const std::string& why = "runner restarted");

// Asks a job to stop: a queued or blocked job is cancelled at once (its dependants skipped), a
// running one gets cancel_requested (the runner sees it in its next heartbeat or lease check).
// Returns false when the job had already ended.
bool request_job_cancel(pqxx::work& tx, std::int64_t job_id, const std::string& reason);

// Queue depth per tier (queued jobs).
std::vector<std::pair<std::string, long>> queue_depth(pqxx::transaction_base& tx);

}  // namespace mlgate::store
