#include "core/rollout_state.h"

#include <array>
#include <utility>

#include "core/duration.h"
#include "core/label_text.h"
#include "core/number_text.h"

namespace mlgate::core {
namespace {

using nlohmann::json;

constexpr std::array<std::pair<RolloutCommand, std::string_view>, 4> kCommands{{
    {RolloutCommand::promote, "promote"},
    {RolloutCommand::pause, "pause"},
    {RolloutCommand::resume, "resume"},
    {RolloutCommand::abort, "abort"},
}};

RolloutStep moved(RolloutPosition next, std::string action) {
  RolloutStep s;
  s.changed = true;
  s.next = next;
  s.action = std::move(action);
  return s;
}

RolloutStep promote(RolloutPosition at, std::size_t stage_count) {
  if (at.stage + 1 >= stage_count) {
    RolloutStep s = moved({RolloutState::completed, at.stage}, "rollout.complete");
    s.deploy_candidate = true;
    return s;
  }
  RolloutStep s = moved({RolloutState::running, at.stage + 1}, "rollout.promote");
  s.stage_started = true;
  return s;
}

RolloutStep told(RolloutPosition next, std::string action) {
  RolloutStep s = moved(next, std::move(action));
  s.notify = true;
  return s;
}

RolloutStep refused(RolloutPosition at, std::string why) {
  RolloutStep s;
  s.next = at;
  s.refusal = std::move(why);
  return s;
}

json stage_json(const RolloutStage& s) {
  json j = {{"name", s.name}};
  if (s.traffic_percent) j["traffic"] = *s.traffic_percent;
  if (s.mirror_percent) j["mirror"] = *s.mirror_percent;
  j["for_seconds"] = s.for_seconds ? json(*s.for_seconds) : json();
  return j;
}

json metric_json(const RolloutMetric& m) {
  return {{"name", m.name},
          {"lower_is_better", m.lower_is_better},
          {"critical", m.critical},
          {"allowed_increase", m.allowed_increase},
          {"allowed_decrease", m.allowed_decrease}};
}

RolloutStage stage_of(const json& j) {
  RolloutStage s;
  s.name = j.at("name").get<std::string>();
  if (j.contains("traffic")) s.traffic_percent = j["traffic"].get<double>();
  if (j.contains("mirror")) s.mirror_percent = j["mirror"].get<double>();
  if (j.contains("for_seconds") && !j["for_seconds"].is_null())
    s.for_seconds = j["for_seconds"].get<std::int64_t>();
  return s;
}

RolloutMetric metric_of(const json& j) {
  RolloutMetric m;
  m.name = j.at("name").get<std::string>();
  m.lower_is_better = j.value("lower_is_better", false);
  m.critical = j.value("critical", false);
  m.allowed_increase = j.value("allowed_increase", 1.0);
  m.allowed_decrease = j.value("allowed_decrease", 1.0);
  return m;
}

}  // namespace

std::string_view to_string(RolloutCommand c) {
  for (const auto& [value, name] : kCommands)
    if (value == c) return name;
  return "unknown";
}

std::optional<RolloutCommand> parse_rollout_command(std::string_view s) {
  for (const auto& [value, name] : kCommands)
    if (name == s) return value;
  return std::nullopt;
}

RolloutStep step_on_judgement(RolloutPosition at, std::size_t stage_count, StageDecision d) {
  if (at.state != RolloutState::running) return refused(at, "the rollout is not running");
  switch (d) {
    case StageDecision::promote:
      return promote(at, stage_count);
    case StageDecision::pause:
      return told({RolloutState::paused, at.stage}, "rollout.pause");
    case StageDecision::rollback:
      return told({RolloutState::rolled_back, at.stage}, "rollout.rollback");
    case StageDecision::keep_going:
    case StageDecision::no_data:
      break;
  }
  RolloutStep s;
  s.next = at;
  return s;
}

RolloutStep step_on_command(RolloutPosition at, std::size_t stage_count, RolloutCommand c) {
  if (is_finished(at.state))
    return refused(at, "the rollout is " + std::string(to_string(at.state)));
  const bool paused = at.state == RolloutState::paused;
  switch (c) {
    case RolloutCommand::promote:
      return promote(at, stage_count);
    case RolloutCommand::pause:
      if (paused) return refused(at, "the rollout is paused already");
      return told({RolloutState::paused, at.stage}, "rollout.pause");
    case RolloutCommand::resume: {
      if (!paused) return refused(at, "the rollout is not paused");
      RolloutStep s = moved({RolloutState::running, at.stage}, "rollout.resume");
      s.stage_started = true;
      return s;
    }
    case RolloutCommand::abort:
      return told({RolloutState::aborted, at.stage}, "rollout.abort");
  }
  return refused(at, "unknown command");
}

RoutingSplit routing_split(const RolloutConfig& config, RolloutPosition at,
                           const std::string& stable, const std::string& candidate) {
  RoutingSplit out;
  out.stable = stable;
  if (at.state == RolloutState::completed) {
    out.stable = candidate;
    return out;
  }
  if (is_finished(at.state) || at.stage >= config.stages.size()) return out;
  const RolloutStage& stage = config.stages[at.stage];
  out.candidate = candidate;
  out.candidate_weight = stage.traffic_percent.value_or(0);
  out.mirror = stage.mirror_percent.value_or(0);
  return out;
}

json routing_json(const RoutingSplit& split) {
  return {{"stable", split.stable.empty() ? json() : json(split.stable)},
          {"candidate", split.candidate ? json(*split.candidate) : json()},
          {"candidate_weight", split.candidate_weight},
          {"mirror", split.mirror}};
}

json rollout_config_json(const RolloutConfig& config) {
  json stages = json::array();
  for (const auto& s : config.stages) stages.push_back(stage_json(s));
  json metrics = json::array();
  for (const auto& m : config.analysis.metrics) metrics.push_back(metric_json(m));
  return {{"environment", config.environment},
          {"stages", stages},
          {"analysis",
           {{"every_seconds", config.analysis.every_seconds},
            {"metrics", metrics},
            {"pass", config.analysis.pass},
            {"marginal", config.analysis.marginal}}}};
}

std::optional<RolloutConfig> rollout_config_from_json(const json& j) {
  try {
    RolloutConfig c;
    c.environment = j.at("environment").get<std::string>();
    for (const auto& s : j.at("stages")) c.stages.push_back(stage_of(s));
    const json& a = j.at("analysis");
    c.analysis.every_seconds = a.at("every_seconds").get<std::int64_t>();
    for (const auto& m : a.at("metrics")) c.analysis.metrics.push_back(metric_of(m));
    c.analysis.pass = a.at("pass").get<double>();
    c.analysis.marginal = a.at("marginal").get<double>();
    if (c.stages.empty()) return std::nullopt;
    return c;
  } catch (const json::exception&) {
    return std::nullopt;
  }
}

std::string stage_settings_text(const RolloutStage& stage) {
  std::string out = stage.mirror_percent
                        ? number_text(*stage.mirror_percent) + "% mirrored"
                        : number_text(stage.traffic_percent.value_or(0)) + "% traffic";
  if (stage.for_seconds) out += ", " + format_duration(*stage.for_seconds);
  return out;
}

std::string stage_text(const RolloutStage& stage) {
  return stage.name + " (" + stage_settings_text(stage) + ")";
}

std::string rollout_label_text(const json& v) {
  return observed_label_text(v);
}

RolloutSample rollout_sample(const ObservationRow& row, bool candidate) {
  RolloutSample s;
  s.id = row.id;
  s.candidate = candidate;
  s.metrics = row.metrics;
  if (row.prediction.is_object()) {
    if (auto l = row.prediction.find("label"); l != row.prediction.end() && !l->is_null())
      s.label = rollout_label_text(*l);
    if (auto sc = row.prediction.find("score"); sc != row.prediction.end() && sc->is_number())
      s.score = sc->get<double>();
  }
  s.own_accuracy = s.metrics.contains("accuracy");
  if (s.label && !row.truth.is_null() && !s.own_accuracy)
    s.metrics["accuracy"] = *s.label == rollout_label_text(row.truth) ? 1.0 : 0.0;
  return s;
}

std::vector<RolloutSample> rollout_samples(const std::vector<ObservationRow>& rows,
                                           const std::string& candidate_sha,
                                           const std::string& stable_sha) {
  std::vector<RolloutSample> out;
  for (const auto& row : rows)
    if (row.sha == candidate_sha || row.sha == stable_sha)
      out.push_back(rollout_sample(row, row.sha == candidate_sha));
  return out;
}

StageInput stage_input(const RolloutConfig& config, const RolloutStage& stage,
                       const std::vector<RolloutSample>& samples, std::int64_t elapsed_seconds) {
  StageInput in;
  in.elapsed_seconds = elapsed_seconds;
  for (const auto& rule : config.analysis.metrics) {
    MetricSamples m;
    m.name = rule.name;
    for (const auto& s : samples) {
      auto it = s.metrics.find(rule.name);
      if (it == s.metrics.end()) continue;
      (s.candidate ? m.candidate : m.stable).push_back(it->second);
    }
    if (!m.candidate.empty() && !m.stable.empty()) in.samples.push_back(std::move(m));
  }
  if (stage.mirror()) {
    in.shadow_candidate.emplace();
    in.shadow_stable.emplace();
    for (const auto& s : samples) {
      if (!s.label) continue;
      (s.candidate ? *in.shadow_candidate : *in.shadow_stable)
          .push_back(ShadowAnswer{s.id, *s.label, s.score});
    }
  }
  return in;
}

}  // namespace mlgate::core
