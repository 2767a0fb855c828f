#include "server/services/notifications.h"

#include "store/notifications.h"
#include "util/hash.h"
#include "util/url.h"

namespace mlgate::server {

std::vector<std::string> notification_targets(pqxx::transaction_base& tx,
                                              const std::vector<std::string>& server_urls,
                                              std::int64_t repo_id) {
  std::vector<std::string> urls = server_urls;
  for (auto& u : store::repo_notify_urls(tx, repo_id)) urls.push_back(std::move(u));
  return urls;
}

int queue_notification_to(pqxx::work& tx, const std::vector<std::string>& targets,
                          std::int64_t repo_id, const core::Notification& n) {
  if (targets.empty()) return 0;
  return store::enqueue_notification(tx, {repo_id, n.key, n.sha, n.body.dump()}, targets);
}

int queue_notification(pqxx::work& tx, const std::vector<std::string>& server_urls,
                       std::int64_t repo_id, const core::Notification& n) {
  return queue_notification_to(tx, notification_targets(tx, server_urls, repo_id), repo_id, n);
}

HeaderList notification_headers(const std::string& event, std::int64_t id,
                                const std::string& secret, const std::string& body) {
  HeaderList h = {
      {"User-Agent", "mlgate"},
      {"X-Mlgate-Event", event},
      {"X-Mlgate-Delivery", std::to_string(id)},
  };
  if (!secret.empty())
    h.emplace_back("X-Mlgate-Signature-256", "sha256=" + util::hmac_sha256_hex(secret, body));
  return h;
}

std::string notify_url_problem(const std::string& url) {
  if (url.size() > 2000) return "a notification URL is at most 2,000 bytes";
  for (unsigned char c : url)
    if (c < 0x20 || c == 0x7f) return "a notification URL holds no control character";
  const auto split = util::split_http_url(url);
  if (!split || split->origin.find_first_of(" @") != std::string::npos ||
      (!split->rest.empty() && split->rest.front() != '/') ||
      split->rest.find(' ') != std::string::npos)
    return "a notification URL is http:// or https://, a host and a path, without credentials "
           "or spaces";
  return "";
}

}  // namespace mlgate::server
