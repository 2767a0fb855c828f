// The sending half of forge feedback: takes due requests from forge_outbox, adds the repo's forge
// token (a notification gets its own headers instead, never the token), sends them, and records the
// outcome: sent, retried later with backoff, or given up (docs/forge-feedback.md, "Retries").
#pragma once

#include "server/services/forge_requests.h"
#include "store/database.h"

namespace mlgate::server {

struct SenderOptions {
  RetryPolicy retry;
  int connect_timeout_seconds = 5;
  int read_timeout_seconds = 15;
  // Notifications are signed with it (X-Mlgate-Signature-256) when it is not empty.
  std::string notify_secret;
  bool forge = true;  // false: send only notifications (serve --no-forge-feedback)
};

// Sends up to `limit` due requests; returns how many were attempted.
int send_due_forge_requests(store::Database& db, const SenderOptions& options, int limit = 20);

}  // namespace mlgate::server
