// Notifications (docs/notifications.md): queues an event for the server's targets (serve
// --notify-url) and the repository's own, in the caller's transaction, so that an event is queued
// exactly when the change it tells of commits. The forge sender sends them (forge_sender.h).
#pragma once

#include <cstdint>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "core/notification.h"
#include "server/services/forge_requests.h"

namespace mlgate::server {

// Returns how many targets it was queued for (0: no targets, or every target had it already).
int queue_notification(pqxx::work& tx, const std::vector<std::string>& server_urls,
                       std::int64_t repo_id, const core::Notification& n);
// The same in two steps, for a caller that reads before it writes: the targets (the server's,
// then the repository's own), then the event queued for them.
std::vector<std::string> notification_targets(pqxx::transaction_base& tx,
                                              const std::vector<std::string>& server_urls,
                                              std::int64_t repo_id);
int queue_notification_to(pqxx::work& tx, const std::vector<std::string>& targets,
                          std::int64_t repo_id, const core::Notification& n);

// The headers a notification is sent with: its event, its outbox id (a receiver's dedupe key)
// and, with a secret, `X-Mlgate-Signature-256: sha256=<HMAC-SHA-256 of the body, hex>`.
HeaderList notification_headers(const std::string& event, std::int64_t id,
                                const std::string& secret, const std::string& body);

// "" when `url` is a usable target (http:// or https://, a host, no whitespace or control
// character, at most 2,000 bytes); otherwise why not.
std::string notify_url_problem(const std::string& url);

}  // namespace mlgate::server
