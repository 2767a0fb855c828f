// mlgate's one comment per pull request (GitHub) or merge request (GitLab): which pipelines report
// to it, and its forge id once the POST that created it was answered (docs/forge-feedback.md,
// "Pull-request reports").
#pragma once

#include <cstdint>
#include <optional>
#include <pqxx/pqxx>
#include <string>

namespace mlgate::store {

// The pull request a pipeline reports to: its number, when the pipeline was triggered by a pull
// request, is the newest pipeline of that pull request, and its repository has pr_comments on.
std::optional<std::int64_t> pr_to_report(pqxx::transaction_base& tx, std::int64_t pipeline_id);

// The comment's forge id, when mlgate knows it.
std::optional<std::string> pr_comment_id(pqxx::transaction_base& tx, std::int64_t repo_id,
                                         std::int64_t pr_number);

// Before a POST without a known id: records when posting started (kept from the first attempt)
// and returns it (ISO 8601, UTC) with whether an earlier attempt had started already.
struct PostingSince {
  std::string since;
  bool earlier_attempt = false;
};
PostingSince start_pr_comment_post(pqxx::work& tx, std::int64_t repo_id, std::int64_t pr_number);

// The id from the forge's answer (or found by its marker); later reports edit that comment.
void set_pr_comment_id(pqxx::work& tx, std::int64_t repo_id, std::int64_t pr_number,
                       const std::string& comment_id);

// Forgets the id (the comment was deleted on the forge): the next report posts a new one.
void forget_pr_comment(pqxx::work& tx, std::int64_t repo_id, std::int64_t pr_number);

// Turns a repository's pull-request reports on or off.
void set_repo_pr_comments(pqxx::work& tx, std::int64_t repo_id, bool on);

}  // namespace mlgate::store
