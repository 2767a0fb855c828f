#include "store/feedback.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "store/pq.h"
#include "store/state_text.h"

namespace mlgate::store {

int mark_heads_due(pqxx::work& tx, std::int64_t repo_id) {
  return static_cast<int>(
      tx.exec_params("INSERT INTO feedback_due (pipeline_id) "
                     "SELECT max(id) FROM pipelines WHERE repo_id = $1 "
                     "AND created_at > now() - interval '30 days' GROUP BY branch, pr_number "
                     "ON CONFLICT (pipeline_id) DO UPDATE SET seq = feedback_due.seq + 1",
                     repo_id)
          .affected_rows());
}

std::vector<DuePipeline> lease_due_feedback(pqxx::work& tx, int limit, std::chrono::seconds lease) {
  std::vector<std::pair<double, DuePipeline>> leased;
  // The limit is written into the statement: with LIMIT $1 the generic plan could not tell a
  // pass's few rows from the whole table, and each execution was planned anew.
  const auto n = std::to_string(std::max(limit, 1));
  const std::string sql =
      "WITH picked AS (SELECT pipeline_id FROM feedback_due "
      "  WHERE leased_until IS NULL OR leased_until < now() "
      "  ORDER BY since, pipeline_id LIMIT " +
      n +
      " FOR UPDATE SKIP LOCKED) "
      "UPDATE feedback_due f SET leased_until = now() + make_interval(secs => $1) "
      "FROM picked WHERE f.pipeline_id = picked.pipeline_id "
      "RETURNING extract(epoch FROM f.since)::float8, f.pipeline_id, f.seq";
  for (const auto& r : tx.exec_prepared(prepared(tx, "mlgate_lease_due_feedback_" + n, sql),
                                        static_cast<double>(lease.count())))
    leased.push_back({r[0].as<double>(), {r[1].as<std::int64_t>(), r[2].as<std::int64_t>()}});
  std::sort(leased.begin(), leased.end(), [](const auto& a, const auto& b) {
    return std::tie(a.first, a.second.pipeline_id) < std::tie(b.first, b.second.pipeline_id);
  });
  std::vector<DuePipeline> out;
  for (const auto& [since, due] : leased) out.push_back(due);
  return out;
}

void done_feedback(pqxx::work& tx, const std::vector<DuePipeline>& done) {
  if (done.empty()) return;
  std::vector<std::string> ids;
  std::vector<std::string> seqs;
  for (const auto& d : done) {
    ids.push_back(std::to_string(d.pipeline_id));
    seqs.push_back(std::to_string(d.seq));
  }
  // Rows locked in id order, as the trigger that marks pipelines due locks them.
  tx.exec_prepared(
      prepared(
          tx, "mlgate_done_feedback",
          "DELETE FROM feedback_due f USING (SELECT g.pipeline_id FROM feedback_due g "
          "  JOIN unnest($1::bigint[], $2::bigint[]) AS d(id, seq) "
          "  ON g.pipeline_id = d.id AND g.seq = d.seq ORDER BY g.pipeline_id FOR UPDATE OF g) x "
          "WHERE f.pipeline_id = x.pipeline_id"),
      to_pg_array(ids), to_pg_array(seqs));
  // What changed during the pass stays due, for the next pass of any replica.
  tx.exec_prepared(
      prepared(
          tx, "mlgate_give_back_feedback",
          "UPDATE feedback_due SET leased_until = NULL WHERE pipeline_id = ANY ($1::bigint[])"),
      to_pg_array(ids));
}

std::vector<FeedbackPipeline> feedback_pipelines(pqxx::transaction_base& tx,
                                                 const std::vector<std::int64_t>& ids) {
  std::vector<FeedbackPipeline> out;
  if (ids.empty()) return out;
  std::vector<std::string> texts;
  for (const auto id : ids) texts.push_back(std::to_string(id));
  const std::string array = to_pg_array(texts);
  std::map<std::int64_t, std::size_t> index;
  // Latest of its commit: the commit's newest id, one step into pipelines_repo_sha_id for each
  // pipeline (a scalar subquery). "NOT EXISTS a newer one" let the planner hash every pipeline of
  // the commit once per pass, 7 ms for a commit run 20,000 times (pg_stat_statements).
  for (const auto& r : tx.exec_prepared(
           prepared(tx, "mlgate_feedback_pipelines",
                    "SELECT id, repo_id, sha, state, coalesce(error, ''), "
                    "p.id = (SELECT max(n.id) FROM pipelines n "
                    "  WHERE n.repo_id = p.repo_id AND n.sha = p.sha), "
                    "trigger, branch FROM pipelines p WHERE id = ANY ($1::bigint[]) ORDER BY id"),
           array)) {
    FeedbackPipeline p;
    p.id = r[0].as<std::int64_t>();
    p.repo_id = r[1].as<std::int64_t>();
    p.sha = r[2].as<std::string>();
    p.state = pipeline_state_of(r[3]);
    p.error = r[4].as<std::string>();
    p.latest_for_sha = r[5].as<bool>();
    p.trigger = r[6].as<std::string>();
    p.branch = r[7].as<std::string>();
    index.emplace(p.id, out.size());
    out.push_back(std::move(p));
  }
  // Each pipeline's jobs looked up by pipeline (jobs_pipeline), whatever the statistics say: with
  // "pipeline_id = ANY ($1)" a table not yet analysed (a fresh server's first burst: 20 pipelines
  // among 6,000 jobs in the webhooks benchmark) was read whole on every pass. OFFSET 0 keeps the
  // subquery per pipeline, where reading the table each time would cost as many full reads.
  for (const auto& r :
       tx.exec_prepared(prepared(tx, "mlgate_feedback_jobs",
                                 "SELECT w.id, j.tier, j.state, coalesce(j.message, '') "
                                 "FROM unnest($1::bigint[]) AS w(id) CROSS JOIN LATERAL ("
                                 "  SELECT tier, state, message, priority, repeat, id FROM jobs "
                                 "  WHERE pipeline_id = w.id OFFSET 0) j "
                                 "ORDER BY w.id, j.priority, j.repeat, j.id"),
                        array)) {
    auto it = index.find(r[0].as<std::int64_t>());
    if (it == index.end()) continue;
    out[it->second].jobs.push_back(
        {r[1].as<std::string>(), job_state_of(r[2]), r[3].as<std::string>()});
  }
  return out;
}

std::int64_t record_protection_request(pqxx::work& tx, const NewProtectionRequest& r) {
  auto ins = tx.exec_params(
      "INSERT INTO protection_requests (repo_id, delivery_id, sha, environment, callback_url, "
      "deployment_id) VALUES ($1, $2, $3, $4, $5, $6) "
      "ON CONFLICT (repo_id, callback_url) DO NOTHING RETURNING id",
      r.repo_id, r.delivery_id, r.sha, r.environment, r.callback_url, r.deployment_id);
  if (!ins.empty()) return ins[0][0].as<std::int64_t>();
  return tx
      .exec_params1("SELECT id FROM protection_requests WHERE repo_id = $1 AND callback_url = $2",
                    r.repo_id, r.callback_url)[0]
      .as<std::int64_t>();
}

std::vector<ProtectionRequest> due_protection_requests(pqxx::work& tx, int limit) {
  std::vector<ProtectionRequest> out;
  for (const auto& r :
       tx.exec_prepared(prepared(tx, "mlgate_due_protection_requests",
                                 "SELECT id, repo_id, sha, environment, callback_url FROM "
                                 "protection_requests WHERE state = 'waiting' AND check_after <= "
                                 "now() ORDER BY id LIMIT $1"),
                        limit))
    out.push_back({r[0].as<std::int64_t>(), r[1].as<std::int64_t>(), r[2].as<std::string>(),
                   r[3].as<std::string>(), r[4].as<std::string>()});
  return out;
}

void recheck_protection_requests(pqxx::work& tx, std::int64_t repo_id, const std::string& sha) {
  tx.exec_prepared(prepared(tx, "mlgate_recheck_protection_requests",
                            "UPDATE protection_requests SET check_after = now() WHERE repo_id = "
                            "$1 AND sha = $2 AND state = 'waiting'"),
                   repo_id, sha);
}

void defer_protection_request(pqxx::work& tx, std::int64_t id, std::optional<double> seconds) {
  tx.exec_params(
      "UPDATE protection_requests SET check_after = CASE WHEN $2::float8 IS NULL THEN NULL "
      "ELSE now() + make_interval(secs => $2::float8) END WHERE id = $1",
      id, seconds);
}

bool answer_protection_request(pqxx::work& tx, std::int64_t id, bool approved,
                               std::optional<std::int64_t> gate_decision_id,
                               const std::string& comment) {
  return tx.exec_params(
               "UPDATE protection_requests SET state = 'answered', answer = $2, gate_decision_id = "
               "$3, "
               "comment = $4, answered_at = now(), check_after = NULL WHERE id = $1 AND state = "
               "'waiting'",
               id, approved ? "approved" : "rejected", gate_decision_id, comment)
             .affected_rows() == 1;
}

void vacuum_feedback_due(pqxx::connection& c) {
  // A vacuum skipped for a lock warns; the warning would reach serve's stderr past its JSON log.
  // The setting goes back whether the vacuum ran or threw: the connection returns to the pool.
  pqxx::nontransaction tx(c);
  tx.exec("SET client_min_messages = error");
  try {
    tx.exec("VACUUM (SKIP_LOCKED) feedback_due");
  } catch (const std::exception&) {
    tx.exec("RESET client_min_messages");
    throw;
  }
  tx.exec("RESET client_min_messages");
}

void postpone_feedback(pqxx::work& tx, std::int64_t pipeline_id) {
  tx.exec_params(
      "UPDATE feedback_due SET since = now(), leased_until = NULL WHERE pipeline_id = $1",
      pipeline_id);
}

}  // namespace mlgate::store
