#include "store/pr_comments.h"

namespace mlgate::store {

std::optional<std::int64_t> pr_to_report(pqxx::transaction_base& tx, std::int64_t pipeline_id) {
  auto r = tx.exec_params(
      "SELECT p.pr_number FROM pipelines p JOIN repos r ON r.id = p.repo_id "
      "WHERE p.id = $1 AND p.trigger = 'pull_request' AND p.pr_number IS NOT NULL "
      "AND r.pr_comments AND NOT EXISTS (SELECT 1 FROM pipelines n WHERE n.repo_id = p.repo_id "
      "AND n.trigger = 'pull_request' AND n.pr_number = p.pr_number AND n.id > p.id)",
      pipeline_id);
  if (r.empty()) return std::nullopt;
  return r[0][0].as<std::int64_t>();
}

std::optional<std::string> pr_comment_id(pqxx::transaction_base& tx, std::int64_t repo_id,
                                         std::int64_t pr_number) {
  auto r = tx.exec_params(
      "SELECT comment_id FROM pr_comments WHERE repo_id = $1 AND pr_number = $2 "
      "AND comment_id IS NOT NULL",
      repo_id, pr_number);
  if (r.empty()) return std::nullopt;
  return r[0][0].as<std::string>();
}

PostingSince start_pr_comment_post(pqxx::work& tx, std::int64_t repo_id, std::int64_t pr_number) {
  // The row is locked until the caller commits: one sender at a time starts a POST.
  auto r = tx.exec_params1(
      "INSERT INTO pr_comments AS c (repo_id, pr_number, posting_since) VALUES ($1, $2, now()) "
      "ON CONFLICT (repo_id, pr_number) DO UPDATE SET "
      "posting_since = coalesce(c.posting_since, now()), updated_at = now() "
      "RETURNING to_char(posting_since AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
      "posting_since < now()",
      repo_id, pr_number);
  return {r[0].as<std::string>(), r[1].as<bool>()};
}

void set_pr_comment_id(pqxx::work& tx, std::int64_t repo_id, std::int64_t pr_number,
                       const std::string& comment_id) {
  tx.exec_params(
      "INSERT INTO pr_comments (repo_id, pr_number, comment_id) VALUES ($1, $2, $3) "
      "ON CONFLICT (repo_id, pr_number) DO UPDATE SET comment_id = $3, posting_since = NULL, "
      "updated_at = now()",
      repo_id, pr_number, comment_id);
}

void forget_pr_comment(pqxx::work& tx, std::int64_t repo_id, std::int64_t pr_number) {
  tx.exec_params(
      "UPDATE pr_comments SET comment_id = NULL, posting_since = NULL, updated_at = now() "
      "WHERE repo_id = $1 AND pr_number = $2",
      repo_id, pr_number);
}

void set_repo_pr_comments(pqxx::work& tx, std::int64_t repo_id, bool on) {
  tx.exec_params("UPDATE repos SET pr_comments = $2 WHERE id = $1", repo_id, on);
}

}  // namespace mlgate::store
