#include "store/monitors.h"

#include "store/pq.h"
#include "store/state_text.h"

namespace mlgate::store {
namespace {

const std::string kStateColumns =
    "s.repo_id, r.full_name, s.environment, s.state, " + iso_utc_sql("s.since") + ", " +
    iso_utc_sql("s.evaluated_at") +
    ", extract(epoch FROM s.evaluated_at)::float8, s.sha, s.transitions, s.kinds, "
    "s.alerting_kinds, s.evidence::text, " +
    iso_utc_sql("s.last_retrain_at") +
    ", s.retrain_pipeline_id, extract(epoch FROM s.last_retrain_at)::float8 ";

const std::string kEvaluationColumns =
    "id, sha, state, previous_state, changed, transition, kinds, alerting_kinds, evidence::text, " +
    iso_utc_sql("evaluated_at") + ", extract(epoch FROM evaluated_at)::float8 ";

nlohmann::json json_of(const pqxx::field& f) {
  auto v = nlohmann::json::parse(f.as<std::string>(), nullptr, false);
  return v.is_discarded() ? nlohmann::json::object() : v;
}

MonitorStateRow state_of(const pqxx::row& r) {
  MonitorStateRow s;
  s.repo_id = r[0].as<std::int64_t>();
  s.repo = r[1].as<std::string>();
  s.environment = r[2].as<std::string>();
  s.state = monitor_state_of(r[3]);
  s.since = r[4].as<std::string>();
  s.evaluated_at = r[5].as<std::string>();
  s.evaluated_epoch = r[6].as<double>();
  s.sha = r[7].as<std::string>();
  s.transitions = r[8].as<std::int64_t>();
  s.kinds = from_pg_array(r[9]);
  s.alerting_kinds = from_pg_array(r[10]);
  s.evidence = json_of(r[11]);
  s.last_retrain_at = get_optional<std::string>(r[12]);
  s.retrain_pipeline_id = get_optional<std::int64_t>(r[13]);
  s.last_retrain_epoch = get_optional<double>(r[14]);
  return s;
}

MonitorEvaluationRow evaluation_of(const pqxx::row& r) {
  MonitorEvaluationRow e;
  e.id = r[0].as<std::int64_t>();
  e.sha = r[1].as<std::string>();
  e.state = monitor_state_of(r[2]);
  if (!r[3].is_null()) e.previous_state = monitor_state_of(r[3]);
  e.changed = r[4].as<bool>();
  e.transition = r[5].as<std::int64_t>();
  e.kinds = from_pg_array(r[6]);
  e.alerting_kinds = from_pg_array(r[7]);
  e.evidence = json_of(r[8]);
  e.evaluated_at = r[9].as<std::string>();
  e.evaluated_epoch = r[10].as<double>();
  return e;
}

}  // namespace

std::vector<DeployedEnvironment> deployed_environments(pqxx::transaction_base& tx) {
  std::vector<DeployedEnvironment> out;
  for (const auto& r : tx.exec(
           "SELECT DISTINCT repo_id, environment FROM deployments ORDER BY repo_id, environment"))
    out.push_back({r[0].as<std::int64_t>(), r[1].as<std::string>()});
  return out;
}

bool try_lock_monitor(pqxx::work& tx, std::int64_t repo_id, const std::string& environment) {
  // One bigint key from the pair; a collision only makes two monitors take turns.
  return tx
      .exec_params1("SELECT pg_try_advisory_xact_lock(hashtextextended($1 || '/' || $2, 20))",
                    std::to_string(repo_id), environment)[0]
      .as<bool>();
}

std::optional<MonitorStateRow> monitor_state(pqxx::transaction_base& tx, std::int64_t repo_id,
                                             const std::string& environment) {
  auto rows = list_monitor_states(tx, repo_id, environment);
  if (rows.empty()) return std::nullopt;
  return rows.front();
}

std::vector<MonitorStateRow> list_monitor_states(pqxx::transaction_base& tx,
                                                 std::optional<std::int64_t> repo_id,
                                                 const std::string& environment) {
  auto rows = tx.exec_params("SELECT " + kStateColumns +
                                 "FROM monitor_states s JOIN repos r ON r.id = s.repo_id "
                                 "WHERE ($1::bigint IS NULL OR s.repo_id = $1) "
                                 "AND ($2 = '' OR s.environment = $2) "
                                 "ORDER BY r.full_name, s.environment",
                             repo_id, environment);
  std::vector<MonitorStateRow> out;
  for (const auto& r : rows) out.push_back(state_of(r));
  return out;
}

RecordedEvaluation record_monitor_evaluation(pqxx::work& tx, const MonitorRecord& m) {
  RecordedEvaluation out;
  auto prev = tx.exec_params(
      "SELECT state, transitions FROM monitor_states WHERE repo_id = $1 AND environment = $2 "
      "FOR UPDATE",
      m.repo_id, m.environment);
  std::int64_t transitions = 0;
  if (!prev.empty()) {
    out.previous = monitor_state_of(prev[0][0]);
    transitions = prev[0][1].as<std::int64_t>();
  }
  out.changed = out.previous ? *out.previous != m.state : m.state != core::MonitorState::ok;
  out.transitions = transitions + (out.changed ? 1 : 0);
  const std::string state = state_text(m.state);
  const std::string kinds = to_pg_array(m.kinds);
  const std::string alerting = to_pg_array(m.alerting_kinds);
  const std::string evidence = m.evidence.dump();
  tx.exec_params(
      "INSERT INTO monitor_states (repo_id, environment, state, since, evaluated_at, sha, "
      "transitions, kinds, alerting_kinds, evidence) "
      "VALUES ($1, $2, $3, to_timestamp($4), to_timestamp($4), $5, $6, $7::text[], $8::text[], "
      "$9::jsonb) ON CONFLICT (repo_id, environment) DO UPDATE SET state = EXCLUDED.state, "
      "since = CASE WHEN monitor_states.state = EXCLUDED.state THEN monitor_states.since "
      "ELSE EXCLUDED.since END, evaluated_at = EXCLUDED.evaluated_at, sha = EXCLUDED.sha, "
      "transitions = EXCLUDED.transitions, kinds = EXCLUDED.kinds, "
      "alerting_kinds = EXCLUDED.alerting_kinds, evidence = EXCLUDED.evidence",
      m.repo_id, m.environment, state, m.evaluated_at, m.sha, out.transitions, kinds, alerting,
      evidence);
  std::optional<std::string> previous;
  if (out.previous) previous = state_text(*out.previous);
  out.evaluation_id =
      tx.exec_params1(
            "INSERT INTO monitor_evaluations (repo_id, environment, sha, state, previous_state, "
            "changed, transition, kinds, alerting_kinds, evidence, evaluated_at, data_kinds) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8::text[], $9::text[], $10::jsonb, "
            "to_timestamp($11), $12::text[]) RETURNING id",
            m.repo_id, m.environment, m.sha, state, previous, out.changed, out.transitions, kinds,
            alerting, evidence, m.evaluated_at, to_pg_array(m.data_kinds))[0]
          .as<std::int64_t>();
  return out;
}

std::vector<MonitorEvaluationRow> monitor_history(pqxx::transaction_base& tx, std::int64_t repo_id,
                                                  const std::string& environment, int limit,
                                                  bool changes_only) {
  auto rows = tx.exec_params("SELECT " + kEvaluationColumns +
                                 "FROM monitor_evaluations WHERE repo_id = $1 AND environment = $2 "
                                 "AND ($3 = false OR changed) "
                                 "ORDER BY evaluated_at DESC, id DESC LIMIT $4",
                             repo_id, environment, changes_only, limit);
  std::vector<MonitorEvaluationRow> out;
  for (const auto& r : rows) out.push_back(evaluation_of(r));
  return out;
}

bool claim_monitor_retrain(pqxx::work& tx, std::int64_t repo_id, const std::string& environment,
                           std::int64_t every_seconds) {
  auto r = tx.exec_params(
      "UPDATE monitor_states SET last_retrain_at = now() WHERE repo_id = $1 AND environment = $2 "
      "AND (last_retrain_at IS NULL OR last_retrain_at <= now() - make_interval(secs => $3)) "
      "RETURNING repo_id",
      repo_id, environment, static_cast<double>(every_seconds));
  return !r.empty();
}

void set_monitor_retrain_pipeline(pqxx::work& tx, std::int64_t repo_id,
                                  const std::string& environment, std::int64_t pipeline_id) {
  tx.exec_params(
      "UPDATE monitor_states SET retrain_pipeline_id = $3 WHERE repo_id = $1 AND environment = $2",
      repo_id, environment, pipeline_id);
}

std::set<std::string> monitor_kinds_evaluated(pqxx::transaction_base& tx, std::int64_t repo_id,
                                              const std::string& environment,
                                              std::int64_t seconds) {
  auto rows = tx.exec_prepared(
      prepared(tx, "monitor_kinds_evaluated",
               "SELECT DISTINCT unnest(coalesce(data_kinds, kinds)) FROM monitor_evaluations "
               "WHERE repo_id = $1 "
               "AND environment = $2 AND (data_kinds IS NOT NULL OR state <> 'no_data') "
               "AND evaluated_at > now() - make_interval(secs => $3)"),
      repo_id, environment, static_cast<double>(seconds));
  std::set<std::string> out;
  for (const auto& r : rows) out.insert(r[0].as<std::string>());
  return out;
}

std::optional<double> commit_trained_at(pqxx::transaction_base& tx, std::int64_t repo_id,
                                        const std::string& sha) {
  auto r = tx.exec_params1(
      "SELECT extract(epoch FROM coalesce("
      "(SELECT max(j.finished_at) FROM jobs j JOIN pipelines p ON p.id = j.pipeline_id "
      " WHERE p.repo_id = $1 AND p.sha = $2 AND j.tier = 'training' AND j.state = 'passed'), "
      "(SELECT max(p.finished_at) FROM pipelines p WHERE p.repo_id = $1 AND p.sha = $2)))::float8",
      repo_id, sha);
  return get_optional<double>(r[0]);
}

bool retire_monitor_state(pqxx::work& tx, std::int64_t repo_id, const std::string& environment) {
  auto r = tx.exec_params("DELETE FROM monitor_states WHERE repo_id = $1 AND environment = $2",
                          repo_id, environment);
  return r.affected_rows() > 0;
}

std::optional<ReferenceSource> reference_source(pqxx::transaction_base& tx, std::int64_t repo_id,
                                                const std::string& sha) {
  auto r = tx.exec_params(
      "SELECT j.pipeline_id, rp.job_id, rp.tier, rp.rows, " + iso_utc_sql("rp.created_at") +
          " FROM reference_profiles rp JOIN jobs j ON j.id = rp.job_id "
          "WHERE rp.repo_id = $1 AND rp.sha = $2 ORDER BY rp.created_at DESC, rp.job_id DESC "
          "LIMIT 1",
      repo_id, sha);
  if (r.empty()) return std::nullopt;
  return ReferenceSource{r[0][0].as<std::int64_t>(), r[0][1].as<std::int64_t>(),
                         r[0][2].as<std::string>(), r[0][3].as<std::int64_t>(),
                         r[0][4].as<std::string>()};
}

std::int64_t delete_old_monitor_evaluations(pqxx::work& tx, int days, int limit) {
  auto r = tx.exec_params(
      "DELETE FROM monitor_evaluations WHERE id IN (SELECT id FROM monitor_evaluations "
      "WHERE NOT changed AND evaluated_at < now() - make_interval(days => $1) LIMIT $2)",
      days, limit);
  return static_cast<std::int64_t>(r.affected_rows());
}

}  // namespace mlgate::store
