#include "core/monitor_evidence.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <utility>

#include "core/number_text.h"
#include "core/rubric.h"

namespace mlgate::core {
namespace {

using nlohmann::json;

constexpr std::array<FindingKind, 6> kKindOrder{
    FindingKind::skew,    FindingKind::drift,   FindingKind::prediction_drift,
    FindingKind::missing, FindingKind::quality, FindingKind::staleness};

json number(double x) {
  return std::isfinite(x) ? json(x) : json(nullptr);
}

json finding_json(const MonitorFinding& f) {
  json out = {{"kind", to_string(f.kind)},
              {"feature", f.feature},
              {"test", f.test},
              {"statistic", number(f.statistic)},
              {"threshold", number(f.threshold)},
              {"n", f.n},
              {"reference_n", f.reference_n},
              {"drifted", f.drifted},
              {"state", to_string(f.state)},
              {"reason", f.reason}};
  if (f.p_value) out["p_value"] = number(*f.p_value);
  if (f.distance) out["distance"] = number(*f.distance);
  if (f.interval) out["interval"] = {number(f.interval->lower), number(f.interval->upper)};
  return out;
}

// "skew income", "quality", ...
std::string finding_name(const MonitorFinding& f) {
  return f.feature.empty() ? to_string(f.kind) : to_string(f.kind) + " " + f.feature;
}

// Cuts at `limit` bytes, at a UTF-8 character boundary.
std::string cut(std::string s, std::size_t limit) {
  if (s.size() <= limit) return s;
  std::size_t end = limit;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  s.resize(end);
  return s;
}

}  // namespace

std::vector<std::string> monitor_kinds(const MonitorConfig& config) {
  std::vector<std::string> out;
  if (!config.drift.empty()) {
    out.push_back(to_string(FindingKind::skew));
    out.push_back(to_string(FindingKind::drift));
  }
  if (config.prediction_drift) out.push_back(to_string(FindingKind::prediction_drift));
  if (config.missing_max_share) out.push_back(to_string(FindingKind::missing));
  if (!config.quality.empty()) out.push_back(to_string(FindingKind::quality));
  if (config.staleness_max_age_seconds) out.push_back(to_string(FindingKind::staleness));
  return out;
}

namespace {

// The kinds, in FindingKind order and each once, with a finding whose state `keep` accepts.
template <typename Keep>
std::vector<std::string> kinds_with(const MonitorEvaluation& e, Keep&& keep) {
  std::vector<std::string> out;
  for (FindingKind kind : kKindOrder) {
    const bool found = std::any_of(e.findings.begin(), e.findings.end(),
                                   [&](const auto& f) { return f.kind == kind && keep(f.state); });
    if (found) out.push_back(to_string(kind));
  }
  return out;
}

}  // namespace

std::vector<std::string> alerting_kinds(const MonitorEvaluation& e) {
  return kinds_with(e, [](MonitorState s) { return s == MonitorState::alerting; });
}

std::vector<std::string> data_kinds(const MonitorEvaluation& e) {
  return kinds_with(e, [](MonitorState s) { return s != MonitorState::no_data; });
}

json monitor_evidence_json(const MonitorEvaluation& e) {
  json findings = json::array();
  for (const auto& f : e.findings) findings.push_back(finding_json(f));
  return {{"state", to_string(e.state)},
          {"dataset_drift_share",
           e.dataset_drift_share ? number(*e.dataset_drift_share) : json(nullptr)},
          {"dataset_drift", e.dataset_drift},
          {"findings", findings}};
}

std::vector<NotificationReason> alerting_reasons(const MonitorEvaluation& e) {
  std::vector<NotificationReason> out;
  for (const auto& f : e.findings)
    if (f.state == MonitorState::alerting) out.push_back({finding_name(f), f.reason});
  return out;
}

std::string retrain_reason(const std::string& environment, const MonitorEvaluation& e) {
  std::string out = "monitor " + environment + " alerting";
  std::string sep = ": ";
  for (const auto& r : alerting_reasons(e)) {
    out += sep + r.name + ": " + r.reason;
    sep = "; ";
  }
  return cut(std::move(out), 1000);
}

MonitorStatusWords monitor_status_words(const MonitorEvaluation& e) {
  switch (e.state) {
    case MonitorState::ok:
      return {"success", "monitor ok"};
    case MonitorState::no_data:
      return {"pending", "monitor: no data in the window"};
    case MonitorState::alerting:
      break;
  }
  std::string text = "alerting";
  std::string sep = ": ";
  for (const auto& r : alerting_reasons(e)) {
    text += sep + r.name + " (" + r.reason + ")";
    sep = "; ";
  }
  return {"failure", cut(std::move(text), 140)};
}

std::vector<std::string> credit_monitored_production(RubricScore& score,
                                                     const std::string& environment,
                                                     const std::vector<std::string>& configured,
                                                     const std::set<std::string>& evaluated) {
  static const std::array<std::pair<const char*, const char*>, 4> kItems{
      {{"monitor-2", "missing"},
       {"monitor-3", "skew"},
       {"monitor-4", "staleness"},
       {"monitor-7", "quality"}}};
  std::vector<std::string> credited;
  for (const auto& [id, kind] : kItems) {
    const bool has = std::find(configured.begin(), configured.end(), kind) != configured.end();
    if (!has || !evaluated.contains(kind)) continue;
    for (RubricItemScore& item : score.items) {
      if (item.id != id || item.points >= 1) continue;
      score.sections[std::string(section_id(RubricSection::monitor))] += 1 - item.points;
      item.points = 1;
      item.evidence = std::string("monitor ") + environment + " checks " + kind +
                      " in production (evaluated within 24 h); " + item.evidence;
      credited.push_back(id);
    }
  }
  bool first = true;
  for (const auto& [id, v] : score.sections) {
    score.score = first ? v : std::min(score.score, v);
    first = false;
  }
  score.band = std::string(score_band(score.score));
  return credited;
}

}  // namespace mlgate::core
