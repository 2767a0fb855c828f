#include "store/notifications.h"

#include <algorithm>

#include "store/pq.h"

namespace mlgate::store {

int enqueue_notification(pqxx::work& tx, const NewNotification& n,
                         const std::vector<std::string>& urls) {
  std::vector<std::string> targets;
  for (const auto& u : urls)
    if (std::find(targets.begin(), targets.end(), u) == targets.end()) targets.push_back(u);
  int queued = 0;
  for (const auto& url : targets) {
    auto r = tx.exec_params(
        "INSERT INTO forge_outbox (repo_id, kind, sha, context, method, url, body) "
        "VALUES ($1, 'notification', $2, $3, 'POST', $4, $5::jsonb) "
        "ON CONFLICT (repo_id, context, url) WHERE kind = 'notification' DO NOTHING RETURNING id",
        n.repo_id, n.sha, "notify/" + n.key, url, n.body_json);
    queued += static_cast<int>(r.size());
  }
  return queued;
}

std::vector<std::string> repo_notify_urls(pqxx::transaction_base& tx, std::int64_t repo_id) {
  std::vector<std::string> out;
  for (const auto& r : tx.exec_prepared(
           prepared(tx, "mlgate_repo_notify_urls",
                    "SELECT u FROM repos, unnest(notify_urls) WITH ORDINALITY AS t(u, i) "
                    "WHERE id = $1 ORDER BY i"),
           repo_id))
    out.push_back(r[0].as<std::string>());
  return out;
}

void set_repo_notify_urls(pqxx::work& tx, std::int64_t repo_id,
                          const std::vector<std::string>& urls) {
  // One URL a line: the URLs are checked to hold no whitespace before they get here.
  std::string joined;
  for (const auto& u : urls) joined += (joined.empty() ? "" : "\n") + u;
  tx.exec_params(
      "UPDATE repos SET notify_urls = CASE WHEN $2 = '' THEN '{}'::text[] "
      "ELSE string_to_array($2, E'\\n') END WHERE id = $1",
      repo_id, joined);
}

}  // namespace mlgate::store
