#include "server/services/gate_service.h"

#include <mutex>
#include <set>
#include <unordered_map>
#include <variant>

#include "core/config.h"
#include "core/fork_policy.h"
#include "core/gate.h"
#include "core/gate_in_force.h"
#include "core/gate_result_value.h"
#include "core/gate_rules.h"
#include "core/monitor_evidence.h"
#include "core/pipeline_view.h"
#include "server/http/http_util.h"
#include "server/http/metrics.h"
#include "server/http/stamped_cache.h"
#include "server/services/gate_answer_text.h"
#include "server/services/gate_results_cache.h"
#include "server/services/repo_remote.h"
#include "store/deployments.h"
#include "store/gate_decisions.h"
#include "store/gate_inputs.h"
#include "store/monitors.h"
#include "store/pipelines.h"
#include "util/strings.h"

namespace mlgate::server {

using nlohmann::json;

namespace {
constexpr std::size_t kCacheMaxEntries = 4096;
// The longest an answer is served from memory without reading the database, should a change's
// notification be lost while the listening connection stays up.
constexpr std::chrono::seconds kMemoryMaxAge{5};

const auto kNoResults = std::make_shared<const core::JobResults>();

// A decision as the cache keeps it: the answer, and the candidate's rules a deployment records.
struct CachedAnswer {
  json body;
  std::string candidate_rules_json;
};

// The merged results of judged pipelines in memory: 64 MiB hold the deployed commits' results and
// a few dozen recent candidates' (3,000 predictions are about 1 MB).
constexpr std::size_t kResultsCacheBytes = 64 * 1024 * 1024;

std::shared_ptr<const core::JobResults> pipeline_results(GateResultsCache& cache,
                                                         pqxx::transaction_base& tx,
                                                         const store::GatePipeline& pipeline) {
  return cache.get_or_load(std::to_string(pipeline.id) + "\n" + pipeline.marker,
                           [&] { return store::load_pipeline_results(tx, pipeline); });
}

// A small memo of values by key: at most 64 kept, all dropped when full (keys are configs' blobs,
// recorded rules and environments: few at a time). A value is made outside the lock; two threads
// making the same one keep the later.
template <typename Value>
class SmallMemo {
 public:
  std::optional<Value> find(const std::string& key) {
    std::lock_guard lock(mu_);
    auto it = entries_.find(key);
    if (it == entries_.end()) return std::nullopt;
    return it->second;
  }
  void put(const std::string& key, Value value) {
    std::lock_guard lock(mu_);
    if (entries_.size() >= kMaxEntries) entries_.clear();
    entries_.insert_or_assign(key, std::move(value));
  }
  template <typename Make>
  Value get(const std::string& key, Make&& make) {
    if (auto known = find(key)) return std::move(*known);
    Value value = make();
    put(key, value);
    return value;
  }

 private:
  static constexpr std::size_t kMaxEntries = 64;
  std::mutex mu_;
  std::unordered_map<std::string, Value> entries_;
};

// Valid configs by the id of their blob in the mirror: most commits do not change .mlgate.yml, and
// the same blob is always the same text, parsed to the same config (without reading it again).
class ParsedConfigs {
 public:
  std::optional<core::Config> get(const std::string& blob_id) {
    if (auto known = memo_.find(blob_id)) return **known;
    return std::nullopt;
  }
  void put(const std::string& blob_id, const core::Config& config) {
    memo_.put(blob_id, std::make_shared<const core::Config>(config));
  }

 private:
  SmallMemo<std::shared_ptr<const core::Config>> memo_;
};

// The rules deployments recorded, by their stored text: parsed and written out again
// (core::gate_rules_json) once, not for every candidate judged against the same deployment.
class RecordedRules {
 public:
  struct Read {
    std::optional<core::GateRules> rules;  // nullopt: not valid rules
    std::string text;                      // core::gate_rules_json(*rules)
  };
  std::shared_ptr<const Read> get(const std::string& stored) {
    return memo_.get(stored, [&] {
      Read read{core::parse_gate_rules_json(stored), ""};
      if (read.rules) read.text = core::gate_rules_json(*read.rules);
      return std::make_shared<const Read>(std::move(read));
    });
  }

 private:
  SmallMemo<std::shared_ptr<const Read>> memo_;
};

// The candidate's own rules for an environment as written out (core::gate_rules_json), by the id
// of its config's blob and the environment: the same blob is the same config, whose rules for an
// environment are always written alike. Written once, not for every candidate of that config.
class OwnRulesTexts {
 public:
  std::string get(const std::string& blob_id, const std::string& env, const core::GateRules& own) {
    if (blob_id.empty()) return core::gate_rules_json(own);
    return memo_.get(blob_id + "\n" + env, [&] { return core::gate_rules_json(own); });
  }

 private:
  SmallMemo<std::string> memo_;
};

// One snapshot: the deployment state, both pipelines, the cache key and the results, and the rules
// the deployed commit's deployment recorded.
struct Snapshot {
  store::DeploymentState deployment;
  std::optional<store::GatePipeline> candidate;
  std::optional<store::GatePipeline> baseline;
  std::string key;
  std::shared_ptr<const CachedAnswer> hit;
  std::shared_ptr<const core::JobResults> candidate_results = kNoResults;
  std::shared_ptr<const core::JobResults> baseline_results = kNoResults;
  std::optional<std::string> deployed_rules_json;
  bool fork_only = false;  // the commit is known only from fork pull requests
  // The kinds of checks the environment's production monitor evaluated in the last 24 h (the
  // rubric's monitor items): part of the cache key.
  std::set<std::string> monitored_kinds;
};

// The rules of the deployed commit, and where they were read ("deployment", "mirror"; "" when
// there is none to read).
struct DeployedRulesRead {
  core::DeployedRulesState state = core::DeployedRulesState::nothing_deployed;
  std::optional<core::GateRules> rules;
  std::string text;  // core::gate_rules_json(*rules); "" without rules
  std::string problem;
  std::string source;

  // `same_as_candidate`: the texts of both rule sets are equal (core/gate_in_force.h).
  core::DeployedRules view(bool same_as_candidate) const {
    return {state, rules ? &*rules : nullptr, problem, rules && same_as_candidate};
  }
};

std::string cache_key(std::int64_t repo_id, const std::string& sha, const std::string& env,
                      const Snapshot& s) {
  std::string monitored;
  for (const auto& kind : s.monitored_kinds) monitored += kind + ",";
  return std::to_string(repo_id) + "\n" + sha + "\n" + env + "\n" + (s.fork_only ? "fork\n" : "") +
         (s.deployment.latest ? std::to_string(s.deployment.latest->id) : "-") + "\n" +
         s.deployment.current_sha.value_or("-") + "\n" + s.deployment.top_rules_digest + "\n" +
         (s.candidate ? s.candidate->marker : "-") + "\n" +
         (s.baseline ? s.baseline->marker : "-") + "\n" + monitored;
}

// The rubric's production items: the candidate's monitor for env, and what the environment's
// monitor evaluated lately.
core::MonitoredProduction monitored_production(const core::Config& cfg, const std::string& env,
                                               const Snapshot& snap) {
  core::MonitoredProduction out{env, {}, snap.monitored_kinds};
  for (const auto& m : cfg.monitors)
    if (m.environment == env) out.configured = core::monitor_kinds(m);
  return out;
}

// No pipeline yet: nothing to judge but the (pending) required tiers.
void judge_as_pending(core::GateResult& result, const std::string& sha) {
  std::vector<core::CheckResult> kept;
  for (auto& c : result.checks)
    if (c.kind == core::CheckKind::tier) kept.push_back(std::move(c));
  result.checks = std::move(kept);
  result.decision = core::Decision::pending;
  result.summary = "pending: no pipeline for " + util::short_sha(sha) +
                   " yet (it is created when the push reaches mlgate)";
}

// What the engine cannot see: no pipeline yet (pending), or a commit known only from fork pull
// requests (deny; core/fork_policy.h).
void judge_provenance(core::GateResult& result, const Snapshot& snap, const std::string& sha) {
  if (!snap.candidate) judge_as_pending(result, sha);
  if (snap.fork_only) core::deny_fork_commit(result);
}

GateRefusal unknown_environment(const core::Config& cfg, const std::string& env,
                                const std::string& config_path, const std::string& sha) {
  std::string known;
  for (const auto& g : cfg.gates) known += (known.empty() ? "" : ", ") + g.name;
  return GateRefusal{404, "unknown_environment",
                     "no gate for environment '" + env + "' in " + config_path + " at " +
                         util::short_sha(sha) +
                         (known.empty() ? " (it has none)" : " (it has " + known + ")")};
}

// The deployed commit's rules for `env`: those its deployment recorded, else (a deployment from
// before rules were recorded) its .mlgate.yml read through the mirror; unreadable when neither
// gives them, which denies (fails closed).
template <typename ReadConfig>
DeployedRulesRead read_deployed_rules(const Snapshot& snap, const std::string& env,
                                      RecordedRules& recorded, ReadConfig&& read_config) {
  DeployedRulesRead out;
  if (!snap.deployment.current_sha) return out;
  const std::string& sha = *snap.deployment.current_sha;
  out.state = core::DeployedRulesState::unreadable;
  if (snap.deployed_rules_json) {
    out.source = "deployment";
    const auto read = recorded.get(*snap.deployed_rules_json);
    out.rules = read->rules;
    out.text = read->text;
    if (!out.rules)
      out.problem =
          "the rules recorded with the deployment of " + util::short_sha(sha) + " are not valid";
  } else {
    out.source = "mirror";
    auto config = read_config(sha);
    if (auto* refusal = std::get_if<GateRefusal>(&config)) {
      out.problem = refusal->message;
    } else if (const auto* gate = core::find_gate(std::get<core::Config>(config), env)) {
      out.rules = core::GateRules{*gate, std::get<core::Config>(config).rubric};
    } else {
      out.problem = "the deployed commit " + util::short_sha(sha) + " has no gate for " + env;
    }
  }
  if (out.rules) out.state = core::DeployedRulesState::known;
  if (out.rules && out.text.empty()) out.text = core::gate_rules_json(*out.rules);
  return out;
}

// The answer: the engine's JSON with which checks block and whose rule each is, the summary, the
// rules in force and what was judged.
json response_body(const core::GateResult& result, const std::string& rules_in_force_text,
                   const std::string& repo, const std::string& sha, const std::string& env,
                   const Snapshot& snap) {
  json body = core::gate_result_value(result);
  for (std::size_t i = 0; i < result.checks.size(); ++i) {
    body["checks"][i]["blocks"] = core::blocks(result.checks[i]);
    body["checks"][i]["rule_set"] = core::to_string(result.checks[i].rule_set);
  }
  body["summary"] = result.summary;
  body["rules"] = json::parse(rules_in_force_text);
  body["repo"] = repo;
  body["sha"] = sha;
  body["environment"] = env;
  body["baseline_sha"] = snap.deployment.current_sha ? json(*snap.deployment.current_sha) : json();
  body["pipeline_id"] = snap.candidate ? json(snap.candidate->id) : json();
  body["pipeline_state"] = snap.candidate ? json(core::to_string(snap.candidate->state)) : json();
  return body;
}

// Whether a path exists in the commit's tree (false when the mirror cannot tell), looked up in the
// tree opened once for the decision, each path once: both rule sets' rubrics ask for the same
// evidence paths.
core::PathExists path_exists_in(std::shared_ptr<const vcs::CommitTree> tree) {
  struct Looked {
    std::mutex mu;  // a tree's libgit2 objects are for one thread at a time
    std::unordered_map<std::string, bool> found;
  };
  auto looked = std::make_shared<Looked>();
  return [tree = std::move(tree), looked](std::string_view path) {
    std::lock_guard lock(looked->mu);
    const std::string key(path);
    if (auto it = looked->found.find(key); it != looked->found.end()) return it->second;
    bool found = false;
    try {
      found = tree->path_exists(path);
    } catch (const std::exception&) {
      found = false;
    }
    looked->found.emplace(key, found);
    return found;
  };
}

// The rule sets of a decision as JSON texts, each written once: the rules in force
// (core::rules_in_force_json), the candidate's own rules and the deployed commit's ("" when none).
struct RulesTexts {
  std::string in_force;
  std::string candidate;
  std::string deployed;
};

// Both rule sets a decision was judged by, stored with it: the rules in force as the answer gives
// them, the candidate's own rules, the deployed commit's (null when none) and where those were
// read. One JSON object's text, put together from the texts written once (the stored column is
// jsonb: the order of keys does not matter).
std::string rules_inputs_text(const RulesTexts& texts, const DeployedRulesRead& deployed) {
  std::string out = texts.in_force;  // an object: {"in_force": …, "note": …, "differences": …}
  out.pop_back();
  out += ",\"candidate\":" + texts.candidate;
  out += ",\"deployed\":" + (texts.deployed.empty() ? std::string("null") : texts.deployed);
  out += ",\"deployed_from\":" +
         (deployed.source.empty() ? std::string("null") : json(deployed.source).dump());
  out += '}';
  return out;
}

// What the decision was judged from, stored with it: one JSON object's text, its "rules" put in
// as a text (rules_inputs_text).
std::string decision_inputs_text(const std::string& gate, const std::string& config_path,
                                 const json& body, const Snapshot& snap,
                                 const std::vector<core::TierState>& tiers,
                                 std::optional<std::int64_t> latest_deployment_id,
                                 const core::GateResult& result, const std::string& rules_text) {
  json tiers_json = json::array();
  for (const auto& t : tiers)
    tiers_json.push_back({{"tier", t.tier}, {"state", core::to_string(t.state)}});
  const json inputs{
      {"gate", gate},
      {"config_path", config_path},
      {"candidate_pipeline", body["pipeline_id"]},
      {"candidate_tiers", tiers_json},
      {"candidate_marker", snap.candidate ? json(snap.candidate->marker) : json()},
      {"baseline_sha", body["baseline_sha"]},
      {"baseline_pipeline", snap.baseline ? json(snap.baseline->id) : json()},
      {"baseline_deployment_id", latest_deployment_id ? json(*latest_deployment_id) : json()},
      {"summary", result.summary},
      {"rubric", body["rubric"]}};
  std::string out = inputs.dump(-1, ' ', false, json::error_handler_t::replace);
  out.pop_back();
  return out + ",\"rules\":" + rules_text + "}";
}

// The deployment state, both pipelines and the cache key in one snapshot; on a cache miss also
// the results of both pipelines (through `results`: the ones read before under the same marker)
// and the rules the deployed commit's deployment recorded.
template <typename Lookup>
Snapshot load_snapshot(store::Database& db, std::int64_t repo_id, const std::string& sha,
                       const std::string& env, Lookup&& cached, GateResultsCache& results) {
  return db.with([&](pqxx::connection& c) {
    pqxx::transaction<pqxx::repeatable_read, pqxx::read_only> tx(c);
    Snapshot s;
    s.deployment = store::deployment_state(tx, repo_id, env);
    s.candidate = store::gate_view_of_commit(tx, repo_id, sha);
    s.fork_only = s.candidate && s.candidate->only_from_forks;
    if (s.deployment.current_sha)
      s.baseline = store::gate_view_of_commit(tx, repo_id, *s.deployment.current_sha);
    s.monitored_kinds = store::monitor_kinds_evaluated(tx, repo_id, env);
    s.key = cache_key(repo_id, sha, env, s);
    s.hit = cached(s.key);
    if (s.hit) return s;
    if (s.candidate) s.candidate_results = pipeline_results(results, tx, *s.candidate);
    if (s.baseline) s.baseline_results = pipeline_results(results, tx, *s.baseline);
    if (s.deployment.top_deploy_id)
      s.deployed_rules_json = store::deployment_gate_rules(tx, *s.deployment.top_deploy_id);
    return s;
  });
}

// One statement, committed on its own: no BEGIN and COMMIT round trips around it.
std::int64_t insert_decision(store::Database& db, const store::NewGateDecision& row) {
  return db.with([&](pqxx::connection& c) {
    pqxx::nontransaction tx(c);
    return store::insert_gate_decision(tx, row);
  });
}

}  // namespace

std::vector<std::string> rule_difference_texts(const json& answer_body) {
  std::vector<std::string> out;
  if (!answer_body.is_object()) return out;
  const auto rules = answer_body.find("rules");
  if (rules == answer_body.end() || !rules->is_object()) return out;
  const auto differences = rules->find("differences");
  if (differences == rules->end() || !differences->is_array()) return out;
  for (const auto& d : *differences)
    if (d.is_object() && d.contains("text") && d["text"].is_string())
      out.push_back(d["text"].get<std::string>());
  return out;
}

std::string rule_set_suffix(const std::string& rule_set) {
  for (auto r : {core::RuleSet::deployed, core::RuleSet::candidate})
    if (rule_set == core::to_string(r)) return std::string(core::rule_set_mark(r));
  return "";
}

namespace {

// An answer as the memory cache keeps it: with the deployment state it was decided on, and the
// gate API's finished answer to it (shared: a hit copies no JSON).
struct RememberedAnswer {
  std::shared_ptr<const CachedAnswer> answer;
  std::optional<std::int64_t> latest_deployment_id;
  std::shared_ptr<const std::string> api_bytes;
};

// The gate API's answer as it is sent: "cached", then the decision's fields as `body_text` (the
// json_text of the answer's body, an object with fields) has them. Each decision's body is written
// once, for its miss and for its hits.
std::shared_ptr<const std::string> api_text(const std::string& body_text, bool cached) {
  return std::make_shared<const std::string>((cached ? "{\"cached\":true," : "{\"cached\":false,") +
                                             body_text.substr(1));
}

RememberedAnswer remember(std::shared_ptr<const CachedAnswer> answer,
                          std::optional<std::int64_t> latest_deployment_id,
                          const std::string& body_text) {
  return RememberedAnswer{std::move(answer), latest_deployment_id, api_text(body_text, true)};
}

GateAnswer answer_of(const RememberedAnswer& kept) {
  GateAnswer out;
  out.body = kept.answer->body;
  out.candidate_rules_json = kept.answer->candidate_rules_json;
  out.latest_deployment_id = kept.latest_deployment_id;
  out.cached = true;
  out.api_bytes = kept.api_bytes;
  return out;
}

// What the memory cache keys an answer by: the repository (its name is in the answer), the commit
// and the environment. Who asks is not in it: the API authorizes every request before it looks.
std::string memory_key_of(const store::RepoRow& repo, const std::string& sha,
                          const std::string& env) {
  return std::to_string(repo.id) + "\n" + repo.full_name + "\n" + sha + "\n" + env;
}

}  // namespace

struct GateService::Cache {
  StampedCache<RememberedAnswer> memory{kCacheMaxEntries, kMemoryMaxAge};
  GateResultsCache results{kResultsCacheBytes};
  ParsedConfigs configs;
  RecordedRules recorded_rules;
  OwnRulesTexts own_rules;
  std::mutex mu;
  // key -> answer (body without "cached")
  std::unordered_map<std::string, std::shared_ptr<const CachedAnswer>> entries;

  std::shared_ptr<const CachedAnswer> get(const std::string& key) {
    std::lock_guard lock(mu);
    auto it = entries.find(key);
    if (it == entries.end()) return nullptr;
    return it->second;
  }
  void put(const std::string& key, std::shared_ptr<const CachedAnswer> answer) {
    std::lock_guard lock(mu);
    if (entries.size() >= kCacheMaxEntries) entries.clear();  // keys never come back: no LRU
    entries[key] = std::move(answer);
  }
  // A new decision kept under its snapshot's key and in memory (its JSON written once for both,
  // with its checks' text as written for the stored row); the gate API's bytes for its miss.
  std::shared_ptr<const std::string> keep(const std::string& key, const std::string& memory_key,
                                          const std::optional<ChangeStamp>& stamp,
                                          const GateAnswer& decided,
                                          const std::string& checks_text) {
    const std::string body_text = json_text_with_member(decided.body, "checks", checks_text);
    auto kept = std::make_shared<const CachedAnswer>(
        CachedAnswer{decided.body, decided.candidate_rules_json});
    put(key, kept);
    memory.put(memory_key, stamp,
               remember(std::move(kept), decided.latest_deployment_id, body_text));
    return api_text(body_text, false);
  }
};

GateService::GateService(store::Database& db, vcs::MirrorCache& mirrors, std::string config_path,
                         const ChangeFeed* feed)
    : db_(db),
      mirrors_(mirrors),
      config_path_(std::move(config_path)),
      feed_(feed),
      cache_(std::make_unique<Cache>()) {}

GateService::~GateService() = default;

std::optional<ChangeStamp> GateService::repo_stamp(const store::RepoRow& repo) const {
  return feed_ ? feed_->stamp("gate:" + std::to_string(repo.id)) : std::optional<ChangeStamp>();
}

std::shared_ptr<const std::string> GateService::api_answer_bytes(const store::RepoRow& repo,
                                                                 const std::string& sha,
                                                                 const std::string& env) {
  auto remembered = cache_->memory.get(memory_key_of(repo, sha, env), repo_stamp(repo));
  return remembered ? remembered->api_bytes : nullptr;
}

std::variant<core::Config, GateRefusal> GateService::read_config(
    const store::RepoRow& repo, const std::string& sha,
    std::shared_ptr<const vcs::CommitTree>* opened, std::string* blob_id) {
  std::shared_ptr<const vcs::CommitTree> tree;
  try {
    tree = std::make_shared<const vcs::CommitTree>(mirrors_.open_commit(repo_remote(repo), sha));
  } catch (const std::exception& e) {  // fetching the commit failed
    return unreadable_commit(repo, sha, e);
  }
  if (opened) *opened = tree;
  return config_at(*tree, repo, sha, blob_id);
}

GateRefusal GateService::unreadable_commit(const store::RepoRow& repo, const std::string& sha,
                                           const std::exception& e) {
  return GateRefusal{404, "unknown_commit",
                     "cannot read commit " + sha + " of " + repo.full_name + ": " + e.what()};
}

std::variant<core::Config, GateRefusal> GateService::config_at(const vcs::CommitTree& tree,
                                                               const store::RepoRow& repo,
                                                               const std::string& sha,
                                                               std::string* blob_out) {
  std::optional<std::string> blob_id;
  std::optional<std::string> text;
  try {
    blob_id = tree.file_id(config_path_, core::kMaxConfigBytes + 1);
    if (!blob_id)
      return GateRefusal{422, "no_config", "no " + config_path_ + " at " + util::short_sha(sha)};
    if (blob_out) *blob_out = *blob_id;
    if (auto known = cache_->configs.get(*blob_id)) return *known;
    text = tree.read_file(config_path_, core::kMaxConfigBytes + 1);
  } catch (const std::exception& e) {
    return unreadable_commit(repo, sha, e);
  }
  if (!text)
    return GateRefusal{422, "no_config", "no " + config_path_ + " at " + util::short_sha(sha)};
  auto parsed = core::parse_config(*text);
  if (!parsed)
    return GateRefusal{422, "invalid_config",
                       config_path_ + " at " + util::short_sha(sha) + " is invalid:\n" +
                           core::format_errors(parsed.errors, config_path_)};
  cache_->configs.put(*blob_id, *parsed.config);
  return std::move(*parsed.config);
}

GateEnvironments GateService::environments(const store::RepoRow& repo, const std::string& sha) {
  GateEnvironments out;
  auto config = read_config(repo, sha);
  if (auto* refusal = std::get_if<GateRefusal>(&config)) {
    out.refusal = std::move(*refusal);
    return out;
  }
  for (const auto& g : std::get<core::Config>(config).gates) out.names.push_back(g.name);
  return out;
}

GateAnswer GateService::evaluate(const store::RepoRow& repo, const std::string& sha,
                                 const std::string& env, const std::string& source,
                                 bool from_memory) {
  GateAnswer out;
  // The stamp is taken before the database is read: a change committed after it bumps it.
  const std::string memory_key = memory_key_of(repo, sha, env);
  const auto stamp = repo_stamp(repo);
  if (from_memory)
    if (auto remembered = cache_->memory.get(memory_key, stamp)) return answer_of(*remembered);
  Snapshot snap = load_snapshot(
      db_, repo.id, sha, env, [&](const std::string& key) { return cache_->get(key); },
      cache_->results);
  out.latest_deployment_id = snap.deployment.latest
                                 ? std::optional<std::int64_t>(snap.deployment.latest->id)
                                 : std::nullopt;
  if (snap.hit) {
    const std::string body_text = json_text(snap.hit->body);
    RememberedAnswer kept = remember(std::move(snap.hit), out.latest_deployment_id, body_text);
    cache_->memory.put(memory_key, stamp, kept);
    return answer_of(kept);
  }
  // The candidate's own rules are its .mlgate.yml's; the deployed commit's rules apply too. Its
  // tree is opened once for the config and every evidence path.
  std::shared_ptr<const vcs::CommitTree> tree;
  std::string blob_id;
  auto config = read_config(repo, sha, &tree, &blob_id);
  if (auto* refusal = std::get_if<GateRefusal>(&config)) {
    out.refusal = std::move(*refusal);
    return out;
  }
  const core::Config& cfg = std::get<core::Config>(config);
  const auto* gate = core::find_gate(cfg, env);
  if (!gate) {
    out.refusal = unknown_environment(cfg, env, config_path_, sha);
    return out;
  }
  const core::GateRules own{*gate, cfg.rubric};
  const DeployedRulesRead deployed = read_deployed_rules(
      snap, env, cache_->recorded_rules,
      [&](const std::string& deployed_sha) { return read_config(repo, deployed_sha); });

  std::vector<core::TierState> tiers;
  if (snap.candidate) tiers = snap.candidate->tiers;
  core::PathExists exists = path_exists_in(std::move(tree));
  core::GateInput input{own.gate,
                        own.rubric,
                        *snap.candidate_results,
                        core::baseline_of(snap.deployment.current_sha, *snap.baseline_results),
                        &tiers,
                        exists};
  // The shas seed the bootstrap of interval checks: the same commits give the same intervals.
  input.candidate_sha = sha;
  if (snap.deployment.current_sha) input.baseline_sha = *snap.deployment.current_sha;
  const core::MonitoredProduction monitored = monitored_production(cfg, env, snap);
  input.monitored = &monitored;
  RulesTexts rules_texts{"", cache_->own_rules.get(blob_id, env, own), deployed.text};
  auto result =
      core::evaluate_in_force(input, deployed.view(!rules_texts.deployed.empty() &&
                                                   rules_texts.deployed == rules_texts.candidate));
  judge_provenance(result, snap, sha);
  rules_texts.in_force = core::rules_in_force_json(result.rules);

  json body = response_body(result, rules_texts.in_force, repo.full_name, sha, env, snap);
  const std::string checks_text =
      body["checks"].dump(-1, ' ', false, json::error_handler_t::replace);
  const std::int64_t decision_id = insert_decision(
      db_,
      {repo.id, sha, env, std::string(core::to_string(result.decision)),
       snap.deployment.current_sha, out.latest_deployment_id, checks_text,
       decision_inputs_text(gate->name, config_path_, body, snap, tiers, out.latest_deployment_id,
                            result, rules_inputs_text(rules_texts, deployed)),
       source});
  body["decision_id"] = decision_id;
  count_gate_decision(env, std::string(core::to_string(result.decision)));
  out.candidate_rules_json = std::move(rules_texts.candidate);
  out.body = std::move(body);
  out.api_bytes = cache_->keep(snap.key, memory_key, stamp, out, checks_text);
  return out;
}

}  // namespace mlgate::server
