#include "server/pages/rollout_section.h"

#include <cmath>

#include "core/rollout_state.h"
#include "core/trend_svg.h"

namespace mlgate::server {
namespace {

using core::xml_escape;

std::string stage_rows(const store::RolloutRow& r) {
  std::string out = "<ol class=\"rollout-stages\">";
  for (std::size_t i = 0; i < r.config.stages.size(); ++i) {
    std::string cls = "todo";
    if (r.state == core::RolloutState::completed || i < r.stage)
      cls = "passed";
    else if (i == r.stage)
      cls = core::is_finished(r.state) ? "failed" : std::string(core::to_string(r.state));
    out += "<li class=\"" + cls + "\">" + xml_escape(core::stage_text(r.config.stages[i])) +
           (i == r.stage && !core::is_finished(r.state) ? " <strong>current</strong>" : "") +
           "</li>";
  }
  return out + "</ol>";
}

// The score of every judgement in order, its stage and decision in the point's title; the
// judgements that moved the rollout marked.
std::string score_plot(const store::RolloutRow& r, const std::vector<store::RolloutEvent>& events) {
  std::vector<core::TrendPoint> points;
  for (const auto& e : events) {
    if (e.kind != "judgement") continue;
    const std::string stage = e.stage < r.config.stages.size() ? r.config.stages[e.stage].name : "";
    const bool moved = e.decision == "promote" || e.decision == "pause" || e.decision == "rollback";
    points.push_back({stage + " " + e.at, e.score.value_or(NAN), moved ? e.decision : ""});
  }
  return core::trend_svg("score", points);
}

std::string transitions(const std::vector<store::RolloutEvent>& events,
                        const store::RolloutRow& r) {
  std::string out = "<ul class=\"rollout-history\">";
  for (const auto& e : events) {
    if (e.kind != "transition") continue;
    const std::string stage = e.stage < r.config.stages.size() ? r.config.stages[e.stage].name : "";
    out += "<li><time>" + xml_escape(e.at) + "</time> " + xml_escape(e.decision) + " → " +
           xml_escape(stage) + " (" + xml_escape(e.actor) + ")" +
           (e.reason.empty() ? "" : ": " + xml_escape(e.reason)) + "</li>";
  }
  return out + "</ul>";
}

}  // namespace

std::string rollout_section_html(const store::RolloutRow& r,
                                 const std::vector<store::RolloutEvent>& events) {
  const auto split = core::routing_split(r.config, r.position(), r.stable_sha, r.candidate_sha);
  std::string out = "<section class=\"rollout\"><h2>Rollout " + std::to_string(r.id) + ": " +
                    xml_escape(core::to_string(r.state)) + "</h2>";
  out += "<p>candidate <code>" + xml_escape(r.candidate_sha.substr(0, 12)) +
         "</code>, stable <code>" + xml_escape(r.stable_sha.substr(0, 12)) +
         "</code>; split: " + core::format_number(split.candidate_weight) + "% traffic, " +
         core::format_number(split.mirror) + "% mirrored to the candidate</p>";
  out += stage_rows(r);
  out += "<figure class=\"rollout-scores\">" + score_plot(r, events) +
         "<figcaption>the judge's score per analysis interval</figcaption></figure>";
  out += transitions(events, r);
  return out + "</section>";
}

}  // namespace mlgate::server
