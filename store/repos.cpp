#include "store/repos.h"

#include <stdexcept>

#include "store/pq.h"

namespace mlgate::store {
namespace {

constexpr const char* kColumns =
    "id, forge, full_name, clone_url, default_branch, coalesce(api_base_url, ''), "
    "forge_token IS NOT NULL, webhook_secret, coalesce(forge_token, ''), fork_pull_requests, "
    "array_to_string(notify_urls, E'\\n'), pr_comments";

RepoRow to_row(const pqxx::row& r) {
  RepoRow row;
  row.id = r[0].as<std::int64_t>();
  row.forge = r[1].as<std::string>();
  row.full_name = r[2].as<std::string>();
  row.clone_url = r[3].as<std::string>();
  row.default_branch = r[4].as<std::string>();
  row.api_base_url = r[5].as<std::string>();
  row.has_forge_token = r[6].as<bool>();
  row.webhook_secret = r[7].as<std::string>();
  row.forge_token = r[8].as<std::string>();
  const std::string policy = r[9].as<std::string>();
  auto parsed = core::parse_fork_pull_requests(policy);
  if (!parsed) throw std::runtime_error("unknown fork_pull_requests '" + policy + "' in repos");
  row.fork_pull_requests = *parsed;
  // One URL a line (store/notifications.cpp keeps them free of whitespace).
  std::string urls = r[10].as<std::string>();
  for (std::size_t at = 0; at < urls.size();) {
    auto end = urls.find('\n', at);
    if (end == std::string::npos) end = urls.size();
    row.notify_urls.push_back(urls.substr(at, end - at));
    at = end + 1;
  }
  row.pr_comments = r[11].as<bool>();
  return row;
}

std::optional<std::string> non_empty(const std::string& s) {
  if (s.empty()) return std::nullopt;
  return s;
}

}  // namespace

std::int64_t insert_repo(pqxx::work& tx, const NewRepo& repo) {
  return tx
      .exec_params1(
          "INSERT INTO repos (forge, full_name, clone_url, webhook_secret, forge_token, "
          "default_branch, api_base_url, fork_pull_requests, pr_comments) "
          "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
          repo.forge, repo.full_name, repo.clone_url, repo.webhook_secret,
          non_empty(repo.forge_token),
          repo.default_branch.empty() ? std::string("main") : repo.default_branch,
          non_empty(repo.api_base_url), std::string(core::to_string(repo.fork_pull_requests)),
          repo.pr_comments)[0]
      .as<std::int64_t>();
}

std::optional<RepoRow> find_repo(pqxx::transaction_base& tx, const std::string& forge,
                                 const std::string& full_name) {
  // Forges treat names case-insensitively.
  auto r = tx.exec_params(std::string("SELECT ") + kColumns +
                              " FROM repos WHERE forge = $1 AND lower(full_name) = lower($2)",
                          forge, full_name);
  if (r.empty()) return std::nullopt;
  return to_row(r[0]);
}

std::optional<RepoRow> find_repo_by_id(pqxx::transaction_base& tx, std::int64_t id) {
  auto r =
      tx.exec_prepared(prepared(tx, "mlgate_repo_by_id",
                                std::string("SELECT ") + kColumns + " FROM repos WHERE id = $1"),
                       id);
  if (r.empty()) return std::nullopt;
  return to_row(r[0]);
}

std::vector<RepoSummary> list_repos(pqxx::transaction_base& tx) {
  std::vector<RepoSummary> out;
  for (const auto& r :
       tx.exec(std::string("SELECT ") + kColumns + " FROM repos ORDER BY full_name")) {
    out.push_back(to_row(r));  // sliced: no secret leaves this function
  }
  return out;
}

std::string forge_project_id(pqxx::transaction_base& tx, std::int64_t repo_id) {
  return tx
      .exec_prepared1(prepared(tx, "mlgate_forge_project_id",
                               "SELECT coalesce(forge_project_id, '') FROM repos WHERE id = $1"),
                      repo_id)[0]
      .as<std::string>();
}

}  // namespace mlgate::store
