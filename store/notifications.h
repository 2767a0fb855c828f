// Notifications in forge_outbox (kind `notification`; docs/notifications.md): each event queued
// once per target URL, sent by the forge sender with its retries; and a repository's own targets.
#pragma once

#include <cstdint>
#include <pqxx/pqxx>
#include <string>
#include <vector>

namespace mlgate::store {

struct NewNotification {
  std::int64_t repo_id = 0;
  std::string key;  // the event ("gate.denied/pipeline/42/production"): once per target
  std::string sha;
  std::string body_json;
};

// Queues the notification for each of `urls` (duplicates ignored) that has not had it yet;
// returns how many were queued.
int enqueue_notification(pqxx::work& tx, const NewNotification& n,
                         const std::vector<std::string>& urls);

// The repository's own targets, in the order they were given.
std::vector<std::string> repo_notify_urls(pqxx::transaction_base& tx, std::int64_t repo_id);
void set_repo_notify_urls(pqxx::work& tx, std::int64_t repo_id,
                          const std::vector<std::string>& urls);

}  // namespace mlgate::store
