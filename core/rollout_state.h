// A staged rollout's life (docs/rollouts.md, "On the server"): where the judge's decisions and a
// person's commands take it, the split a router is told, the rollout's configuration as stored
// with it, and the judge's input built from the observations kept for the current stage. Pure: no
// I/O, no clock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/observations.h"
#include "core/online_judge.h"
#include "core/rollout_config.h"
#include "core/states.h"

namespace mlgate::core {

// Observations kept per (rollout, stage, side) for the judge: a 5 % canary is not starved by
// stable's rows, and memory is bounded.
inline constexpr std::size_t kRolloutSamplesPerSide = 5000;

// What a person asks of a rollout (`mlgate rollout promote|pause|resume|abort`).
enum class RolloutCommand { promote, pause, resume, abort };
std::string_view to_string(RolloutCommand c);
std::optional<RolloutCommand> parse_rollout_command(std::string_view s);

struct RolloutPosition {
  RolloutState state = RolloutState::running;
  std::size_t stage = 0;  // index into the stages
};

// Where a decision or a command takes a rollout.
struct RolloutStep {
  std::optional<std::string> refusal;  // set: the command does not apply; nothing changes
  bool changed = false;                // the position changed (audited, recorded)
  RolloutPosition next;
  bool stage_started = false;     // a stage (re)starts now: its clock starts again
  bool deploy_candidate = false;  // completed: the candidate becomes the deployment
  bool notify = false;            // paused, rolled back or aborted: people are told
  std::string action;             // the audit action ("rollout.promote", ...); "" when unchanged
};

// The judge's decision on the current stage of a running rollout: continue and no_data change
// nothing; promote moves to the next stage (after the last one: completed); pause holds it;
// rollback ends it with stable deployed.
RolloutStep step_on_judgement(RolloutPosition at, std::size_t stage_count, StageDecision d);
// A person's command: promote (from running or paused: the next stage, running), pause (running),
// resume (paused: running, the stage's clock restarted), abort (running or paused: stable at once).
// A finished rollout refuses every command.
RolloutStep step_on_command(RolloutPosition at, std::size_t stage_count, RolloutCommand c);

// What a router polls (GET …/routing).
struct RoutingSplit {
  std::string stable;                    // the sha serving (most) traffic; "" when none
  std::optional<std::string> candidate;  // set while a rollout is running or paused
  double candidate_weight = 0;           // percent of live traffic served by the candidate
  double mirror = 0;                     // percent of stable's traffic copied to the candidate
};
// The split of a rollout at `at`: its stage's traffic or mirror while running or paused; after
// completion the candidate alone; after a rollback or an abort stable alone.
RoutingSplit routing_split(const RolloutConfig& config, RolloutPosition at,
                           const std::string& stable, const std::string& candidate);
nlohmann::json routing_json(const RoutingSplit& split);

// The rollout's configuration as stored with it, and back (nullopt for a shape that is not one).
nlohmann::json rollout_config_json(const RolloutConfig& config);
std::optional<RolloutConfig> rollout_config_from_json(const nlohmann::json& j);

// A stage's split and time alone: "5% traffic, 2h", "100% mirrored, 1h", "100% traffic".
std::string stage_settings_text(const RolloutStage& stage);
// A stage as people read it: "canary (5% traffic, 2h)".
std::string stage_text(const RolloutStage& stage);

// One observation kept for the judge.
struct RolloutSample {
  std::string id;
  bool candidate = false;  // the candidate's, or stable's
  std::map<std::string, double> metrics;
  std::optional<std::string> label;  // prediction.label as text (shadow comparison)
  std::optional<double> score;       // prediction.score
  bool own_accuracy = false;  // the row's own `accuracy` metric: truth attached later leaves it
};
// What the judge compares for a row: its `metrics`, and `accuracy` (1 or 0) when it carries a
// prediction.label and a truth (a row's own accuracy metric wins).
RolloutSample rollout_sample(const ObservationRow& row, bool candidate);
// The samples a batch gives a rollout: its rows of the candidate and of stable, in order; the
// rows of any other commit give none.
std::vector<RolloutSample> rollout_samples(const std::vector<ObservationRow>& rows,
                                           const std::string& candidate_sha,
                                           const std::string& stable_sha);
// A label or a truth as the samples compare them: observed_label_text (core/label_text.h).
std::string rollout_label_text(const nlohmann::json& v);
// The judge's input: per metric of the analysis, the candidate's and stable's values; on a mirror
// stage, both sides' answers by id.
StageInput stage_input(const RolloutConfig& config, const RolloutStage& stage,
                       const std::vector<RolloutSample>& samples, std::int64_t elapsed_seconds);

}  // namespace mlgate::core
