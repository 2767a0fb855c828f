#include "server/pages/rollout_section.h"

#include <gtest/gtest.h>

namespace mlgate::server {
namespace {

store::RolloutRow canary_rollout() {
  store::RolloutRow r;
  r.id = 7;
  r.environment = "production";
  r.candidate_sha = std::string(40, 'c');
  r.stable_sha = std::string(40, 'a');
  r.config.stages = {{"canary", 5.0, std::nullopt, 120}, {"full", 100.0, std::nullopt, {}}};
  r.state = core::RolloutState::paused;
  r.stage = 0;
  return r;
}

store::RolloutEvent judgement(double score, const std::string& decision, const std::string& at) {
  store::RolloutEvent e;
  e.kind = "judgement";
  e.decision = decision;
  e.score = score;
  e.at = at;
  return e;
}

TEST(RolloutSection, ShowsStagesSplitScoresAndEscapedHistory) {
  store::RolloutEvent pause;
  pause.kind = "transition";
  pause.decision = "rollout.pause";
  pause.actor = "token:<ops>";
  pause.reason = "score 75 is <marginal>";
  pause.at = "2026-12-06T16:00:03Z";
  const std::string html = rollout_section_html(
      canary_rollout(), {judgement(100, "continue", "2026-12-06T16:00:01Z"),
                         judgement(75, "pause", "2026-12-06T16:00:03Z"), pause});
  EXPECT_NE(html.find("Rollout 7: paused"), std::string::npos) << html;
  EXPECT_NE(html.find("<li class=\"paused\">canary (5% traffic, 2m) <strong>current"),
            std::string::npos)
      << html;
  EXPECT_NE(html.find("<li class=\"todo\">full (100% traffic)"), std::string::npos) << html;
  EXPECT_NE(html.find("5% traffic, 0% mirrored"), std::string::npos) << html;
  EXPECT_NE(html.find("<svg"), std::string::npos) << html;
  EXPECT_NE(html.find("canary 2026-12-06T16:00:03Z: 75"), std::string::npos) << html;
  EXPECT_NE(html.find("class=\"mark\""), std::string::npos) << html;  // the pause is marked
  EXPECT_NE(html.find("token:&lt;ops&gt;"), std::string::npos) << html;
  EXPECT_NE(html.find("score 75 is &lt;marginal&gt;"), std::string::npos) << html;
  EXPECT_EQ(html.find("<ops>"), std::string::npos);
}

TEST(RolloutSection, AFinishedRolloutShowsWhereItEnded) {
  auto r = canary_rollout();
  r.state = core::RolloutState::rolled_back;
  const std::string html = rollout_section_html(r, {});
  EXPECT_NE(html.find("<li class=\"failed\">canary"), std::string::npos) << html;
  EXPECT_NE(html.find("0% traffic"), std::string::npos) << html;  // stable alone
  EXPECT_NE(html.find("no data"), std::string::npos) << html;     // no judgement yet
}

}  // namespace
}  // namespace mlgate::server
