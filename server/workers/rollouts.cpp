#include "server/workers/rollouts.h"

#include <nlohmann/json.hpp>

#include "core/rollout_in_force.h"
#include "core/rollout_state.h"
#include "server/http/json_log.h"
#include "server/services/rollout_actions.h"
#include "store/repos.h"

namespace mlgate::server {
namespace {

using nlohmann::json;

constexpr const char* kJudgeActor = "rollout-judge";

bool due(const store::RolloutRow& r) {
  return !r.since_judged || *r.since_judged >= static_cast<double>(r.config.analysis.every_seconds);
}

json metric_json(const core::MetricJudgement& m) {
  json j = {{"name", m.name},         {"verdict", core::to_string(m.verdict)},
            {"critical", m.critical}, {"candidate_n", m.candidate_n},
            {"stable_n", m.stable_n}, {"reason", m.reason}};
  if (m.p_value) j["p_value"] = *m.p_value;
  if (m.shift) j["shift"] = *m.shift;
  if (m.interval) j["interval"] = {m.interval->lower, m.interval->upper};
  if (m.mean_ratio) j["mean_ratio"] = *m.mean_ratio;
  return j;
}

json shadow_json(const core::ShadowComparison& s) {
  return {{"paired", s.paired},
          {"flip_rate", s.flip_rate ? json(*s.flip_rate) : json()},
          {"scored", s.scored},
          {"score_change", s.score_change ? json(*s.score_change) : json()}};
}

// One analysis' verdict: decision, score, reason.
json verdict_json(const core::StageJudgement& j) {
  return {{"decision", core::to_string(j.decision)},
          {"score", j.score ? json(*j.score) : json()},
          {"reason", j.reason}};
}

// The judge's verdict as recorded with each judgement and read by the API and the page: the
// decision under the rules in force, the metrics (each with the analysis that judged it) and,
// when the stable commit's analysis judged too, each analysis' own verdict.
json judgement_json(const core::InForceJudgement& j) {
  json metrics = json::array();
  for (const auto& m : j.metrics) {
    json one = metric_json(m.judgement);
    one["rule_set"] = core::to_string(m.rule_set);
    metrics.push_back(std::move(one));
  }
  json out = {{"decision", core::to_string(j.decision)},
              {"score", j.score ? json(*j.score) : json()},
              {"reason", j.reason},
              {"decided_by", core::to_string(j.decided_by)},
              {"metrics", metrics}};
  if (j.deployed)
    out["analyses"] = {{"deployed", verdict_json(*j.deployed)},
                       {"candidate", verdict_json(j.candidate)}};
  if (j.shadow) out["shadow"] = shadow_json(*j.shadow);
  return out;
}

}  // namespace

RolloutWorker::RolloutWorker(store::Database& db, const ForgeFeedbackOptions& forge,
                             RolloutWorkerOptions options)
    : db_(db), forge_(forge), options_(options) {}

RolloutWorker::~RolloutWorker() {
  stop();
}

void RolloutWorker::start() {
  if (options_.enabled && !worker_.running()) worker_.start();
}

void RolloutWorker::stop() {
  worker_.stop();
}

std::chrono::milliseconds RolloutWorker::loop_tick() {
  try {
    auto report = tick();
    for (const auto& p : report.problems)
      log_event(spdlog::level::warn, "rollout skipped", {{"problem", p}});
  } catch (const store::DatabaseUnavailable& e) {
    log_event(spdlog::level::warn, "rollouts: database unavailable", {{"error", e.what()}});
  } catch (const std::exception& e) {
    log_event(spdlog::level::err, "rollouts tick failed", {{"error", e.what()}});
  }
  return options_.period;
}

RolloutTickReport RolloutWorker::tick() {
  RolloutTickReport report;
  auto running = db_.with([](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    return store::running_rollouts(tx);
  });
  for (const auto& r : running) {
    if (!due(r)) continue;
    try {
      judge(r, report);
    } catch (const store::DatabaseUnavailable&) {
      throw;
    } catch (const std::exception& e) {
      report.problems.push_back("rollout " + std::to_string(r.id) + ": " + e.what());
    }
  }
  return report;
}

void RolloutWorker::judge(const store::RolloutRow& seen, RolloutTickReport& report) {
  db_.with([&](pqxx::connection& c) {
    pqxx::work tx(c);
    if (!store::try_lock_rollout_judge(tx, seen.id)) return;  // another replica judges it
    auto r = store::get_rollout(tx, seen.id);
    if (!r || r->state != core::RolloutState::running || !due(*r)) return;  // judged meanwhile
    auto repo = store::find_repo_by_id(tx, r->repo_id);
    if (!repo || r->stage >= r->config.stages.size()) return;
    const core::RolloutStage& stage = r->config.stages[r->stage];
    const auto samples = store::rollout_samples(tx, r->id, r->stage);
    const core::InForceJudgement j =
        core::judge_in_force(r->config, r->deployed_config ? &*r->deployed_config : nullptr, stage,
                             samples, static_cast<std::int64_t>(r->stage_elapsed_seconds));
    const json evidence = judgement_json(j);
    store::mark_rollout_judged(tx, r->id);
    store::insert_rollout_event(
        tx, {0, r->id, "", r->stage, "judgement", std::string(core::to_string(j.decision)), j.score,
             r->state, kJudgeActor, j.reason, evidence});
    const auto step = core::step_on_judgement(r->position(), r->config.stages.size(), j.decision);
    if (step.changed) {
      const RolloutActionContext ctx{forge_.notify_urls, forge_.public_url, forge_.enabled};
      apply_rollout_step(tx, ctx, *repo, *r, step, kJudgeActor, j.reason, j.score, evidence);
    }
    tx.commit();
    report.judged.push_back({r->id, j.decision, step.changed});
    if (step.changed)
      log_event(spdlog::level::info, "rollout moved",
                {{"rollout", r->id}, {"action", step.action}, {"reason", j.reason}});
  });
}

}  // namespace mlgate::server
