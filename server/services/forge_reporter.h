// The reporting half of forge feedback (docs/forge-feedback.md): from pipelines whose state
// changed, the commit statuses to send; from waiting deployment protection rules, their answers.
// Both only queue requests in forge_outbox (forge_sender.h sends them).
#pragma once

#include <string>
#include <vector>

#include "store/database.h"

namespace mlgate::server {

class GateService;

struct ReportOptions {
  std::string public_url;                // links: <public_url>/pipelines/<id>; "" none
  std::vector<std::string> notify_urls;  // the server's notification targets (serve --notify-url)
  bool statuses = true;                  // false: notifications only (serve --no-forge-feedback)
  int limit = 20;                        // pipelines per pass
};

// Queues the statuses of up to `limit` changed pipelines: mlgate/<tier> per job, mlgate/config
// when the commit's config is unusable, mlgate/gate/<env> per gate of the commit's config. Only
// for repos with a forge token, and only from the newest pipeline of a commit. A finished pipeline
// of the default branch also queues its notifications (pipeline.failed, gate.denied per
// environment) for the server's and the repository's targets. Also marks the commit's waiting
// protection rules for a new look. Returns how many pipelines it handled.
int report_due_pipelines(store::Database& db, GateService& gate, const ReportOptions& options);

// Evaluates the gate for up to `limit` waiting protection rules whose time has come: allow ->
// approved, deny -> rejected, pending -> wait for the commit's pipeline to change; a commit that
// cannot be read is looked at again in a minute; a config with no such gate, or an invalid one,
// is rejected (the gate fails closed). Returns how many it answered.
int answer_due_protection_rules(store::Database& db, GateService& gate, int limit = 20);

}  // namespace mlgate::server
