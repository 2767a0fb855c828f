// Gate decisions for (repo, sha, environment) against the commit deployed there now, shared by the
// gate API (server/api/gate.cpp), commit statuses and deployment protection rules
// (forge_reporter.cpp). The candidate is judged by the rules in force: its own gate rules and those
// of the deployed commit (recorded with its deployment; docs/gate.md, "The rules in force"). Every
// decision is stored in gate_decisions with its inputs and a source (api, status,
// protection_rule). Decisions are cached in memory: an answer is served without reading the
// database while the repository's change stamp is the one it was computed under (a new result, job
// state change or deployment on any replica notifies: server/http/change_feed.h); without a
// change feed, or while it is not listening, the cache key is read from the database instead.
#pragma once

#include <cstdint>
#include <exception>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/config.h"
#include "server/http/change_feed.h"
#include "store/database.h"
#include "store/repos.h"
#include "vcs/mirror.h"

namespace mlgate::server {

// An answer that is not a decision: HTTP status, error code and message.
struct GateRefusal {
  int status = 400;
  std::string code;
  std::string message;
};

struct GateAnswer {
  std::optional<GateRefusal> refusal;
  // The decision as the API returns it: "decision", "checks" (each with "blocks" and "rule_set"),
  // "rubric", "summary", "rules" (the rules in force: core::rules_in_force_json), "repo", "sha",
  // "environment", "baseline_sha", "pipeline_id", "pipeline_state", "decision_id".
  nlohmann::json body;
  bool cached = false;
  std::optional<std::int64_t> latest_deployment_id;  // the deployment state it was decided on
  // The candidate's own gate rules for the environment (core::gate_rules_json): what a deployment
  // of it records, to be the rules in force from then on.
  std::string candidate_rules_json;
  // The gate API's answer to GET as it is sent: `body` with "cached" (first), written once per
  // decision. Null for a refusal.
  std::shared_ptr<const std::string> api_bytes;
};

// The gate environments a commit's config declares, or a refusal (unreadable commit, no config,
// invalid config).
struct GateEnvironments {
  std::optional<GateRefusal> refusal;
  std::vector<std::string> names;
};

// The differences an answer lists between the deployed commit's gate rules and the candidate's,
// one line each ("accuracy: min 0.93 → 0.85"); empty when they are alike, nothing is deployed, or
// `answer_body` is not a gate answer.
std::vector<std::string> rule_difference_texts(const nlohmann::json& answer_body);

// A check's mark by its "rule_set" in an answer, as the summary marks it: " (deployed rule)",
// " (candidate's rule)"; "" for "both" or anything else.
std::string rule_set_suffix(const std::string& rule_set);

class GateService {
 public:
  // `feed` may be null (no memory hits: every answer reads the database's cache key).
  GateService(store::Database& db, vcs::MirrorCache& mirrors, std::string config_path,
              const ChangeFeed* feed = nullptr);
  ~GateService();
  GateService(const GateService&) = delete;
  GateService& operator=(const GateService&) = delete;

  // source: "api", "status" or "protection_rule" (stored with the decision). `from_memory`: a read
  // (the gate API's GET) may be answered from memory; a deployment reads the database.
  GateAnswer evaluate(const store::RepoRow& repo, const std::string& sha, const std::string& env,
                      const std::string& source = "api", bool from_memory = false);
  GateEnvironments environments(const store::RepoRow& repo, const std::string& sha);

  // The gate API's whole answer to GET (repo, sha, env), "cached": true, as evaluate last decided
  // it, while the repository's change stamp is the one it was decided under (and 5 s at most):
  // bytes to send as they are, with no JSON work. nullptr when memory does not have it. The caller
  // authorizes the request first: the bytes are keyed by what the answer says, not by who asks.
  std::shared_ptr<const std::string> api_answer_bytes(const store::RepoRow& repo,
                                                      const std::string& sha,
                                                      const std::string& env);

 private:
  struct Cache;
  std::optional<ChangeStamp> repo_stamp(const store::RepoRow& repo) const;
  // The config at `sha`; the commit's tree, opened for it, in `opened` when given (for more reads);
  // the id of the config's blob in `blob_id` when given (the same id is the same config).
  std::variant<core::Config, GateRefusal> read_config(
      const store::RepoRow& repo, const std::string& sha,
      std::shared_ptr<const vcs::CommitTree>* opened = nullptr, std::string* blob_id = nullptr);
  std::variant<core::Config, GateRefusal> config_at(const vcs::CommitTree& tree,
                                                    const store::RepoRow& repo,
                                                    const std::string& sha, std::string* blob_id);
  static GateRefusal unreadable_commit(const store::RepoRow& repo, const std::string& sha,
                                       const std::exception& e);
  store::Database& db_;
  vcs::MirrorCache& mirrors_;
  std::string config_path_;
  const ChangeFeed* feed_;
  std::unique_ptr<Cache> cache_;
};

}  // namespace mlgate::server
