// Rows of `forge_outbox`: requests to GitHub and GitLab (commit statuses, deployment protection
// answers) waiting to be sent by the forge sender, off the request path (docs/forge-feedback.md).
// Statuses of one (repo, sha, context) go out in order: a newer one supersedes an older one that
// is still waiting, and one is never sent while an older one of its context is being sent.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

namespace mlgate::store {

struct NewOutboxRequest {
  std::int64_t repo_id = 0;
  std::string kind;  // commit_status | protection_callback
  std::string sha;
  std::string context;  // mlgate/<tier>, mlgate/gate/<env>, mlgate/config, protection/<id>
  std::string method = "POST";
  std::string url;
  std::string body_json;
};

// Queues a request unless the newest request of the same (repo, sha, context) has the same url
// and body (an unchanged status). Older requests of the context that are still waiting and not
// being sent are superseded (given up with "superseded"). Returns the new row's id, or nullopt
// when nothing was queued.
std::optional<std::int64_t> enqueue_forge_request(pqxx::work& tx, const NewOutboxRequest& r);

struct OutboxItem {
  std::int64_t id = 0;
  std::int64_t repo_id = 0;
  std::string kind;
  std::string context;
  std::string method;
  std::string url;
  std::string body_json;
  int attempts = 0;  // including the one just claimed
};

// Claims up to `limit` due requests for sending (attempts + 1, leased for `lease`), oldest
// first, skipping those locked by another sender and those with an older unfinished request of
// the same context; only notifications when `notifications_only`.
std::vector<OutboxItem> claim_forge_requests(pqxx::work& tx, int limit, std::chrono::seconds lease,
                                             bool notifications_only = false);

// The outcome of a claimed request. `http_status` 0 when there was no answer.
void mark_forge_request_sent(pqxx::work& tx, std::int64_t id, int http_status);
void mark_forge_request_retry(pqxx::work& tx, std::int64_t id, int http_status,
                              const std::string& error, std::chrono::milliseconds delay);
void mark_forge_request_given_up(pqxx::work& tx, std::int64_t id, int http_status,
                                 const std::string& error);

}  // namespace mlgate::store
