#include "server/services/forge_sender.h"

#include <map>

#include "server/http/json_log.h"
#include "server/services/forge_http.h"
#include "server/services/notifications.h"
#include "server/services/pr_comment_sender.h"
#include "store/forge_outbox.h"
#include "store/repos.h"

namespace mlgate::server {
namespace {

ForgeAnswer send(const store::OutboxItem& item, const HeaderList& headers,
                 const SenderOptions& options) {
  return forge_http(item.method, item.url, item.body_json, headers, options.connect_timeout_seconds,
                    options.read_timeout_seconds);
}

// "gate.denied" from the context "notify/gate.denied/pipeline/42/production".
std::string notification_event(const std::string& context) {
  const std::string prefix = "notify/";
  if (context.rfind(prefix, 0) != 0) return "";
  auto end = context.find('/', prefix.size());
  return context.substr(prefix.size(), end == std::string::npos ? end : end - prefix.size());
}

// The attempt's outcome stored (sent, retried later or given up) and logged.
void record_verdict(store::Database& db, const store::OutboxItem& item, int status,
                    const SendVerdict& verdict) {
  db.with([&](pqxx::connection& c) {
    pqxx::work tx(c);
    switch (verdict.kind) {
      case SendVerdict::Kind::sent:
        store::mark_forge_request_sent(tx, item.id, status);
        break;
      case SendVerdict::Kind::retry:
        store::mark_forge_request_retry(tx, item.id, status, verdict.error, verdict.delay);
        break;
      case SendVerdict::Kind::give_up:
        store::mark_forge_request_given_up(tx, item.id, status, verdict.error);
        break;
    }
    tx.commit();
  });
  nlohmann::json fields = {{"request", item.id},
                           {"kind", item.kind},
                           {"context", item.context},
                           {"attempt", item.attempts},
                           {"status", status}};
  if (verdict.kind == SendVerdict::Kind::sent) {
    log_event(spdlog::level::info, "forge request sent", fields);
  } else {
    fields["error"] = verdict.error;
    if (verdict.kind == SendVerdict::Kind::retry) {
      fields["retry_in_ms"] = verdict.delay.count();
      log_event(spdlog::level::warn, "forge request failed; will retry", fields);
    } else {
      log_event(spdlog::level::err, "forge request given up", fields);
    }
  }
}

}  // namespace

int send_due_forge_requests(store::Database& db, const SenderOptions& options, int limit) {
  const auto lease =
      std::chrono::seconds(options.connect_timeout_seconds + 2 * options.read_timeout_seconds + 30);
  auto items = db.with([&](pqxx::connection& c) {
    pqxx::work tx(c);
    auto rows = store::claim_forge_requests(tx, limit, lease, !options.forge);
    tx.commit();
    return rows;
  });
  std::map<std::int64_t, std::optional<store::RepoRow>> repos;
  for (const auto& item : items) {
    if (!repos.count(item.repo_id)) {
      repos[item.repo_id] = db.with([&](pqxx::connection& c) {
        pqxx::read_transaction tx(c);
        return store::find_repo_by_id(tx, item.repo_id);
      });
    }
    const auto& repo = repos[item.repo_id];
    SendVerdict verdict;
    int status = 0;
    if (item.kind == "notification") {
      auto a = send(item,
                    notification_headers(notification_event(item.context), item.id,
                                         options.notify_secret, item.body_json),
                    options);
      status = a.status;
      verdict = judge_attempt(a.status, a.error, a.retry_after, std::nullopt, item.attempts,
                              options.retry);
    } else if (!repo || repo->forge_token.empty()) {
      verdict.kind = SendVerdict::Kind::give_up;
      verdict.error = "the repository has no forge token";
    } else if (!same_origin(item.url, forge_api_base(repo->forge, repo->api_base_url))) {
      verdict.kind = SendVerdict::Kind::give_up;
      verdict.error = "not sent: the URL is not on the forge API's origin " +
                      forge_api_base(repo->forge, repo->api_base_url);
    } else if (item.kind == "pr_comment" && !repo->pr_comments) {
      verdict.kind = SendVerdict::Kind::give_up;  // turned off after the report was queued
      verdict.error = "not sent: pull-request comments are off for this repository";
    } else if (item.kind == "pr_comment") {
      auto a = send_pr_comment(db, item, *repo, options);
      status = a.status;
      verdict = judge_attempt(a.status, a.error, a.retry_after, a.ratelimit_remaining,
                              item.attempts, options.retry);
    } else {
      auto a = send(item, forge_headers(repo->forge, repo->forge_token), options);
      status = a.status;
      verdict = judge_attempt(a.status, a.error, a.retry_after, a.ratelimit_remaining,
                              item.attempts, options.retry);
    }
    record_verdict(db, item, status, verdict);
  }
  return static_cast<int>(items.size());
}

}  // namespace mlgate::server
