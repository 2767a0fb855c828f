// Rows of `repos`. Secrets and forge tokens are read here for verification and fetching only;
// RepoSummary (what APIs and pages show) has neither.
#pragma once

#include <cstdint>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "core/fork_policy.h"

namespace mlgate::store {

struct RepoSummary {
  std::int64_t id = 0;
  std::string forge;
  std::string full_name;
  std::string clone_url;
  std::string default_branch;
  std::string api_base_url;
  bool has_forge_token = false;
  core::ForkPullRequests fork_pull_requests = core::ForkPullRequests::approve;
  std::vector<std::string> notify_urls;  // the repository's own notification targets
  bool pr_comments = true;  // a report comment on each pull request (docs/forge-feedback.md)
};

struct RepoRow : RepoSummary {
  std::string webhook_secret;
  std::string forge_token;
};

// The repository a row (a delivery, a token) belongs to, if any: what authorization checks.
struct RepoOwner {
  std::optional<std::int64_t> repo_id;  // nullopt: the row belongs to no repository
};

struct NewRepo {
  std::string forge;
  std::string full_name;
  std::string clone_url;
  std::string webhook_secret;
  std::string forge_token;  // empty: none
  std::string default_branch = "main";
  std::string api_base_url;  // empty: the forge's public API
  core::ForkPullRequests fork_pull_requests = core::ForkPullRequests::approve;
  bool pr_comments = true;
};

// Throws pqxx::unique_violation when (forge, full_name) exists, pqxx::check_violation for
// values the schema refuses.
std::int64_t insert_repo(pqxx::work& tx, const NewRepo& repo);
std::optional<RepoRow> find_repo(pqxx::transaction_base& tx, const std::string& forge,
                                 const std::string& full_name);
std::optional<RepoRow> find_repo_by_id(pqxx::transaction_base& tx, std::int64_t id);
std::vector<RepoSummary> list_repos(pqxx::transaction_base& tx);
// The repository's GitLab project id ("" when not known).
std::string forge_project_id(pqxx::transaction_base& tx, std::int64_t repo_id);

}  // namespace mlgate::store
