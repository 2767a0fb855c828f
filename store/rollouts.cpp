#include "store/rollouts.h"

#include <array>
#include <stdexcept>

#include "store/pq.h"
#include "store/state_text.h"

namespace mlgate::store {
namespace {

using nlohmann::json;

const std::string kColumns =
    "id, repo_id, environment, candidate_sha, stable_sha, config::text, state, stage, " +
    iso_utc_sql("stage_started_at") +
    ", extract(epoch FROM now() - stage_started_at)::float8, "
    "extract(epoch FROM now() - last_judged_at)::float8, actor, " +
    iso_utc_sql("created_at") + ", " + iso_utc_sql("finished_at") +
    ", deployment_id, gate_decision_id, gate_rules, candidate_config::text, "
    "deployed_config::text ";

json json_of(const pqxx::field& f) {
  if (f.is_null()) return json();
  auto v = json::parse(f.as<std::string>(), nullptr, false);
  return v.is_discarded() ? json() : v;
}

// A stored `rollouts:` entry; NULL stays unset, a value that is not one fails (never read as none:
// an unreadable stable entry must not loosen a rollout).
std::optional<core::RolloutConfig> stored_config(const pqxx::field& f, std::int64_t id,
                                                 const char* column) {
  if (f.is_null()) return std::nullopt;
  auto config = core::rollout_config_from_json(json_of(f));
  if (!config) throw std::runtime_error("rollout " + std::to_string(id) + ": bad " + column);
  return config;
}

RolloutRow row_of(const pqxx::row& r) {
  RolloutRow out;
  out.id = r[0].as<std::int64_t>();
  out.repo_id = r[1].as<std::int64_t>();
  out.environment = r[2].as<std::string>();
  out.candidate_sha = r[3].as<std::string>();
  out.stable_sha = r[4].as<std::string>();
  auto config = core::rollout_config_from_json(json_of(r[5]));
  if (!config) throw std::runtime_error("rollout " + r[0].as<std::string>() + ": bad config");
  out.config = std::move(*config);
  out.state = rollout_state_of(r[6]);
  out.stage = r[7].as<std::size_t>();
  out.stage_started_at = r[8].as<std::string>();
  out.stage_elapsed_seconds = r[9].as<double>();
  out.since_judged = get_optional<double>(r[10]);
  out.actor = r[11].as<std::string>();
  out.created_at = r[12].as<std::string>();
  out.finished_at = get_optional<std::string>(r[13]);
  out.deployment_id = get_optional<std::int64_t>(r[14]);
  out.gate_decision_id = get_optional<std::int64_t>(r[15]);
  out.gate_rules = r[16].as<std::string>();
  out.candidate_config = stored_config(r[17], out.id, "candidate_config");
  out.deployed_config = stored_config(r[18], out.id, "deployed_config");
  return out;
}

std::optional<RolloutRow> one(const pqxx::result& r) {
  if (r.empty()) return std::nullopt;
  return row_of(r[0]);
}

const char* side_of(bool candidate) {
  return candidate ? "candidate" : "stable";
}

}  // namespace

std::optional<std::int64_t> insert_rollout(pqxx::work& tx, const NewRollout& r) {
  auto res = tx.exec_params(
      "INSERT INTO rollouts (repo_id, environment, candidate_sha, stable_sha, config, state, "
      "actor, gate_decision_id, gate_rules, candidate_config, deployed_config) VALUES ($1, $2, $3, "
      "$4, $5::jsonb, 'running', $6, $7, $8, $9::jsonb, $10::jsonb) "
      "ON CONFLICT (repo_id, environment) WHERE state IN ('running', 'paused') DO NOTHING "
      "RETURNING id",
      r.repo_id, r.environment, r.candidate_sha, r.stable_sha,
      core::rollout_config_json(r.config).dump(), r.actor, r.gate_decision_id, r.gate_rules,
      core::rollout_config_json(r.candidate_config).dump(),
      r.deployed_config
          ? std::optional<std::string>(core::rollout_config_json(*r.deployed_config).dump())
          : std::nullopt);
  if (res.empty()) return std::nullopt;
  return res[0][0].as<std::int64_t>();
}

std::optional<RolloutRow> get_rollout(pqxx::transaction_base& tx, std::int64_t id) {
  return one(tx.exec_params("SELECT " + kColumns + "FROM rollouts WHERE id = $1", id));
}

std::optional<RolloutRow> latest_rollout(pqxx::transaction_base& tx, std::int64_t repo_id,
                                         const std::string& environment) {
  return one(tx.exec_params("SELECT " + kColumns +
                                "FROM rollouts WHERE repo_id = $1 AND environment = $2 "
                                "ORDER BY id DESC LIMIT 1",
                            repo_id, environment));
}

std::vector<RolloutRow> rollouts_of_commit(pqxx::transaction_base& tx, std::int64_t repo_id,
                                           const std::string& sha) {
  std::vector<RolloutRow> out;
  for (const auto& r : tx.exec_params("SELECT " + kColumns +
                                          "FROM rollouts WHERE repo_id = $1 AND candidate_sha = $2 "
                                          "ORDER BY id DESC LIMIT 20",
                                      repo_id, sha))
    out.push_back(row_of(r));
  return out;
}

std::optional<RolloutRow> lock_active_rollout(pqxx::work& tx, std::int64_t repo_id,
                                              const std::string& environment) {
  return one(tx.exec_params("SELECT " + kColumns +
                                "FROM rollouts WHERE repo_id = $1 AND environment = $2 "
                                "AND state IN ('running', 'paused') FOR UPDATE",
                            repo_id, environment));
}

std::vector<RolloutRow> running_rollouts(pqxx::transaction_base& tx) {
  std::vector<RolloutRow> out;
  for (const auto& r :
       tx.exec("SELECT " + kColumns + "FROM rollouts WHERE state = 'running' ORDER BY id"))
    out.push_back(row_of(r));
  return out;
}

bool try_lock_rollout_judge(pqxx::work& tx, std::int64_t rollout_id) {
  // Key space: "rollout/<id>" hashed, apart from the monitors' and the scheduler's keys.
  return tx
      .exec_params1("SELECT pg_try_advisory_xact_lock(hashtextextended('rollout/' || $1, 21))",
                    std::to_string(rollout_id))[0]
      .as<bool>();
}

void move_rollout(pqxx::work& tx, std::int64_t rollout_id, core::RolloutPosition next,
                  bool stage_started, std::optional<std::int64_t> deployment_id) {
  tx.exec_params(
      "UPDATE rollouts SET state = $2, stage = $3, "
      "stage_started_at = CASE WHEN $4 THEN now() ELSE stage_started_at END, "
      "last_judged_at = CASE WHEN $4 THEN NULL ELSE last_judged_at END, "
      "finished_at = CASE WHEN $5 THEN now() ELSE finished_at END, "
      "deployment_id = COALESCE($6, deployment_id) WHERE id = $1",
      rollout_id, state_text(next.state), static_cast<int>(next.stage), stage_started,
      core::is_finished(next.state), deployment_id);
  // Only the current stage's samples are ever read: the others go (all of them once it ended).
  tx.exec_params("DELETE FROM rollout_samples WHERE rollout_id = $1 AND (stage <> $2 OR $3)",
                 rollout_id, static_cast<int>(next.stage), core::is_finished(next.state));
}

void mark_rollout_judged(pqxx::work& tx, std::int64_t rollout_id) {
  tx.exec_params("UPDATE rollouts SET last_judged_at = now() WHERE id = $1", rollout_id);
}

std::int64_t insert_rollout_event(pqxx::work& tx, const RolloutEvent& e) {
  return tx
      .exec_params1(
          "INSERT INTO rollout_events (rollout_id, stage, kind, decision, score, state, actor, "
          "reason, evidence) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb) RETURNING id",
          e.rollout_id, static_cast<int>(e.stage), e.kind, e.decision, e.score, state_text(e.state),
          e.actor, e.reason,
          e.evidence.is_null() ? std::optional<std::string>() : e.evidence.dump())[0]
      .as<std::int64_t>();
}

std::vector<RolloutEvent> rollout_events(pqxx::transaction_base& tx, std::int64_t rollout_id,
                                         int limit) {
  std::vector<RolloutEvent> out;
  const auto rows = tx.exec_params(
      "SELECT * FROM (SELECT id, " + iso_utc_sql("at") +
          ", stage, kind, decision, score, state, actor, reason, evidence::text "
          "FROM rollout_events WHERE rollout_id = $1 ORDER BY id DESC LIMIT $2) e ORDER BY id",
      rollout_id, limit);
  for (const auto& r : rows) {
    RolloutEvent e;
    e.id = r[0].as<std::int64_t>();
    e.rollout_id = rollout_id;
    e.at = r[1].as<std::string>();
    e.stage = r[2].as<std::size_t>();
    e.kind = r[3].as<std::string>();
    e.decision = r[4].as<std::string>();
    e.score = get_optional<double>(r[5]);
    e.state = rollout_state_of(r[6]);
    e.actor = r[7].as<std::string>();
    e.reason = r[8].as<std::string>();
    e.evidence = json_of(r[9]);
    out.push_back(std::move(e));
  }
  return out;
}

std::size_t insert_rollout_samples(pqxx::work& tx, std::int64_t rollout_id, std::size_t stage,
                                   const std::vector<core::RolloutSample>& samples) {
  std::array<std::size_t, 2> held{0, 0};  // stable, candidate
  for (const auto& r : tx.exec_params("SELECT side, count(*) FROM rollout_samples WHERE "
                                      "rollout_id = $1 AND stage = $2 GROUP BY side",
                                      rollout_id, static_cast<int>(stage)))
    held[r[0].as<std::string>() == "candidate" ? 1 : 0] = r[1].as<std::size_t>();
  json rows = json::array();
  for (const auto& s : samples) {
    auto& n = held[s.candidate ? 1 : 0];
    if (n >= core::kRolloutSamplesPerSide) continue;
    ++n;
    rows.push_back({{"side", side_of(s.candidate)},
                    {"id", s.id},
                    {"metrics", s.metrics},
                    {"label", s.label ? json(*s.label) : json()},
                    {"score", s.score ? json(*s.score) : json()},
                    {"own_accuracy", s.own_accuracy}});
  }
  if (rows.empty()) return 0;
  return tx
      .exec_params(
          "INSERT INTO rollout_samples (rollout_id, stage, side, obs_id, metrics, label, score, "
          "own_accuracy) SELECT $1, $2, e->>'side', e->>'id', e->'metrics', e->>'label', "
          "(e->>'score')::float8, (e->>'own_accuracy')::boolean "
          "FROM jsonb_array_elements($3::jsonb) e ON CONFLICT DO NOTHING",
          rollout_id, static_cast<int>(stage), rows.dump())
      .affected_rows();
}

std::size_t keep_rollout_observations(pqxx::work& tx, std::int64_t repo_id,
                                      const std::string& environment,
                                      const std::vector<core::ObservationRow>& rows) {
  // Prepared: every observation batch asks. Only what the samples need (no stored config read).
  const auto r = tx.exec_prepared(
      prepared(tx, "rollout_under_way",
               "SELECT id, stage, candidate_sha, stable_sha FROM rollouts WHERE repo_id = $1 "
               "AND environment = $2 AND state IN ('running', 'paused')"),
      repo_id, environment);
  if (r.empty()) return 0;
  const auto samples =
      core::rollout_samples(rows, r[0][2].as<std::string>(), r[0][3].as<std::string>());
  return insert_rollout_samples(tx, r[0][0].as<std::int64_t>(), r[0][1].as<std::size_t>(), samples);
}

std::size_t attach_rollout_truth(pqxx::work& tx, std::int64_t repo_id,
                                 const std::string& environment,
                                 const std::vector<core::TruthRow>& rows) {
  json items = json::array();
  for (const auto& row : rows)
    if (!row.truth.is_null())
      items.push_back({{"id", row.id}, {"truth", core::rollout_label_text(row.truth)}});
  if (items.empty()) return 0;
  // Both sides' samples of the current stage (the only ones kept) of the environment's running or
  // paused rollout; a sample without a label, or with its own accuracy, is left as it is.
  return tx
      .exec_params(
          "UPDATE rollout_samples s SET metrics = s.metrics || jsonb_build_object('accuracy', "
          "CASE WHEN s.label = t.truth THEN 1 ELSE 0 END) "
          "FROM rollouts r, jsonb_to_recordset($3::jsonb) AS t(id text, truth text) "
          "WHERE r.repo_id = $1 AND r.environment = $2 AND r.state IN ('running', 'paused') "
          "AND s.rollout_id = r.id AND s.stage = r.stage AND s.obs_id = t.id "
          "AND s.label IS NOT NULL AND NOT s.own_accuracy",
          repo_id, environment, items.dump())
      .affected_rows();
}

std::vector<core::RolloutSample> rollout_samples(pqxx::transaction_base& tx,
                                                 std::int64_t rollout_id, std::size_t stage) {
  std::vector<core::RolloutSample> out;
  const auto rows = tx.exec_params(
      "SELECT obs_id, side, metrics::text, label, score, own_accuracy FROM rollout_samples "
      "WHERE rollout_id = $1 AND stage = $2",
      rollout_id, static_cast<int>(stage));
  for (const auto& r : rows) {
    core::RolloutSample s;
    s.id = r[0].as<std::string>();
    s.candidate = r[1].as<std::string>() == "candidate";
    const json m = json_of(r[2]);
    if (m.is_object())
      for (const auto& [name, v] : m.items())
        if (v.is_number()) s.metrics[name] = v.get<double>();
    s.label = get_optional<std::string>(r[3]);
    s.score = get_optional<double>(r[4]);
    s.own_accuracy = r[5].as<bool>();
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace mlgate::store
