#include "server/gate_service.h"

#include <mutex>
#include <unordered_map>
#include <variant>

#include "core/config.h"
#include "core/gate.h"
#include "core/pipeline_view.h"
#include "server/metrics.h"
#include "server/repo_remote.h"
#include "store/deployments.h"
#include "store/gate_decisions.h"
#include "store/gate_inputs.h"

namespace mlgate::server {

using nlohmann::json;

namespace {
constexpr std::size_t kCacheMaxEntries = 4096;

// One snapshot: the deployment state, both pipelines, the cache key and the results.
struct Snapshot {
  store::DeploymentState deployment;
  std::optional<store::GatePipeline> candidate;
  std::optional<store::GatePipeline> baseline;
  std::string key;
  std::optional<json> hit;
  core::JobResults candidate_results;
  core::JobResults baseline_results;
};

std::string cache_key(std::int64_t repo_id, const std::string& sha, const std::string& env,
                      const Snapshot& s) {
  return std::to_string(repo_id) + "\n" + sha + "\n" + env + "\n" +
         (s.deployment.latest ? std::to_string(s.deployment.latest->id) : "-") + "\n" +
         s.deployment.current_sha.value_or("-") + "\n" + (s.candidate ? s.candidate->marker : "-") +
         "\n" + (s.baseline ? s.baseline->marker : "-");
}

// No pipeline yet: nothing to judge but the (pending) required tiers.
void judge_as_pending(core::GateResult& result, const std::string& sha) {
  std::vector<core::CheckResult> kept;
  for (auto& c : result.checks)
    if (c.kind == core::CheckKind::tier) kept.push_back(std::move(c));
  result.checks = std::move(kept);
  result.decision = core::Decision::pending;
  result.summary = "pending: no pipeline for " + sha.substr(0, 12) +
                   " yet (it is created when the push reaches mlgate)";
}

// What the decision was judged from, stored with it.
json decision_inputs(const std::string& gate, const std::string& config_path, const json& body,
                     const Snapshot& snap, const std::vector<core::TierState>& tiers,
                     std::optional<std::int64_t> latest_deployment_id,
                     const core::GateResult& result) {
  const json inputs =
      decision_inputs(gate->name, config_path, body, snap, tiers, out.latest_deployment_id, result);
  const store::NewGateDecision row{
      repo.id,
      sha,
      env,
      std::string(core::to_string(result.decision)),
      snap.deployment.current_sha,
      out.latest_deployment_id,
      body["checks"].dump(-1, ' ', false, json::error_handler_t::replace),
      inputs.dump(-1, ' ', false, json::error_handler_t::replace),
      source};
  auto id = db_.with([&](pqxx::connection& c) {
    pqxx::work tx(c);
    auto id = store::insert_gate_decision(tx, row);
    tx.commit();
    return id;
  });
  body["decision_id"] = id;
  count_gate_decision(env, std::string(core::to_string(result.decision)));
  cache_->put(snap.key, body);
  out.body = std::move(body);
  return out;
}

}  // namespace mlgate::server
