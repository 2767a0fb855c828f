#include "core/rollout_state.h"

#include <gtest/gtest.h>

namespace mlgate::core {
namespace {

RolloutConfig four_stages() {
  RolloutConfig c;
  c.environment = "production";
  c.stages = {{"shadow", std::nullopt, 100.0, 60},
              {"canary", 5.0, std::nullopt, 120},
              {"half", 50.0, std::nullopt, 120},
              {"full", 100.0, std::nullopt, std::nullopt}};
  c.analysis.every_seconds = 1;
  c.analysis.metrics = {{"error_rate", true, true}, {"latency_ms", true}, {"accuracy"}};
  c.analysis.pass = 90;
  c.analysis.marginal = 75;
  return c;
}

constexpr RolloutPosition at(RolloutState s, std::size_t stage) {
  return RolloutPosition{s, stage};
}

TEST(RolloutState, PromoteMovesToTheNextStageAndCompletesAfterTheLast) {
  auto s = step_on_judgement(at(RolloutState::running, 1), 4, StageDecision::promote);
  EXPECT_TRUE(s.changed);
  EXPECT_EQ(s.next.stage, 2u);
  EXPECT_EQ(s.next.state, RolloutState::running);
  EXPECT_TRUE(s.stage_started);
  EXPECT_FALSE(s.deploy_candidate);
  EXPECT_EQ(s.action, "rollout.promote");
  auto last = step_on_judgement(at(RolloutState::running, 3), 4, StageDecision::promote);
  EXPECT_EQ(last.next.state, RolloutState::completed);
  EXPECT_TRUE(last.deploy_candidate);
  EXPECT_EQ(last.action, "rollout.complete");
}

TEST(RolloutState, ContinueAndNoDataChangeNothing) {
  for (auto d : {StageDecision::keep_going, StageDecision::no_data}) {
    auto s = step_on_judgement(at(RolloutState::running, 1), 4, d);
    EXPECT_FALSE(s.changed);
    EXPECT_FALSE(s.refusal);
    EXPECT_EQ(s.next.stage, 1u);
    EXPECT_EQ(s.next.state, RolloutState::running);
  }
}

TEST(RolloutState, RollbackAndPauseAreToldAndRollbackEnds) {
  auto r = step_on_judgement(at(RolloutState::running, 1), 4, StageDecision::rollback);
  EXPECT_EQ(r.next.state, RolloutState::rolled_back);
  EXPECT_TRUE(r.notify);
  EXPECT_FALSE(r.deploy_candidate);
  EXPECT_TRUE(is_finished(r.next.state));
  auto p = step_on_judgement(at(RolloutState::running, 2), 4, StageDecision::pause);
  EXPECT_EQ(p.next.state, RolloutState::paused);
  EXPECT_EQ(p.next.stage, 2u);
  EXPECT_TRUE(p.notify);
  EXPECT_FALSE(is_finished(p.next.state));
}

TEST(RolloutState, TheJudgeDoesNotMoveAPausedOrFinishedRollout) {
  for (auto st : {RolloutState::paused, RolloutState::completed, RolloutState::aborted}) {
    auto s = step_on_judgement(at(st, 1), 4, StageDecision::rollback);
    EXPECT_TRUE(s.refusal);
    EXPECT_FALSE(s.changed);
    EXPECT_EQ(s.next.state, st);
  }
}

TEST(RolloutState, Commands) {
  auto promote = step_on_command(at(RolloutState::paused, 1), 4, RolloutCommand::promote);
  EXPECT_EQ(promote.next.state, RolloutState::running);
  EXPECT_EQ(promote.next.stage, 2u);
  auto resume = step_on_command(at(RolloutState::paused, 1), 4, RolloutCommand::resume);
  EXPECT_EQ(resume.next.state, RolloutState::running);
  EXPECT_TRUE(resume.stage_started);
  EXPECT_TRUE(step_on_command(at(RolloutState::running, 1), 4, RolloutCommand::resume).refusal);
  EXPECT_TRUE(step_on_command(at(RolloutState::paused, 1), 4, RolloutCommand::pause).refusal);
  auto abort = step_on_command(at(RolloutState::paused, 0), 2, RolloutCommand::abort);
  EXPECT_EQ(abort.next.state, RolloutState::aborted);
  EXPECT_TRUE(abort.notify);
  EXPECT_EQ(abort.action, "rollout.abort");
  auto done = step_on_command(at(RolloutState::rolled_back, 1), 4, RolloutCommand::abort);
  ASSERT_TRUE(done.refusal);
  EXPECT_EQ(*done.refusal, "the rollout is rolled_back");
  EXPECT_EQ(parse_rollout_command("abort"), RolloutCommand::abort);
  EXPECT_FALSE(parse_rollout_command("rollback"));
}

TEST(RolloutState, RoutingFollowsTheStage) {
  const auto c = four_stages();
  auto shadow = routing_split(c, at(RolloutState::running, 0), "s", "c");
  EXPECT_EQ(shadow.candidate_weight, 0);
  EXPECT_EQ(shadow.mirror, 100);
  EXPECT_EQ(shadow.candidate, "c");
  auto canary = routing_split(c, at(RolloutState::paused, 1), "s", "c");
  EXPECT_EQ(canary.candidate_weight, 5);
  EXPECT_EQ(canary.mirror, 0);
  auto done = routing_split(c, at(RolloutState::completed, 3), "s", "c");
  EXPECT_EQ(done.stable, "c");
  EXPECT_FALSE(done.candidate);
  auto aborted = routing_split(c, at(RolloutState::aborted, 3), "s", "c");
  EXPECT_EQ(aborted.stable, "s");
  EXPECT_FALSE(aborted.candidate);
  EXPECT_EQ(aborted.candidate_weight, 0);
  EXPECT_EQ(routing_json(canary).dump(),
            R"({"candidate":"c","candidate_weight":5.0,"mirror":0.0,"stable":"s"})");
}

TEST(RolloutState, ConfigRoundTripsThroughJson) {
  const auto c = four_stages();
  auto back = rollout_config_from_json(rollout_config_json(c));
  ASSERT_TRUE(back);
  EXPECT_EQ(rollout_config_json(*back), rollout_config_json(c));
  EXPECT_EQ(back->stages[0].mirror_percent, 100);
  EXPECT_FALSE(back->stages[3].for_seconds);
  EXPECT_TRUE(back->analysis.metrics[0].critical);
  EXPECT_FALSE(rollout_config_from_json(nlohmann::json{{"stages", 1}}));
  EXPECT_EQ(stage_text(c.stages[1]), "canary (5% traffic, 2m)");
  EXPECT_EQ(stage_text(c.stages[0]), "shadow (100% mirrored, 1m)");
}

TEST(RolloutState, SamplesDeriveAccuracyAndFeedTheJudgeBySide) {
  ObservationRow row;
  row.id = "r1";
  row.prediction = {{"label", "yes"}, {"score", 0.9}};
  row.truth = "yes";
  row.metrics = {{"error_rate", 0}, {"latency_ms", 12.5}};
  auto s = rollout_sample(row, true);
  EXPECT_EQ(s.metrics.at("accuracy"), 1.0);
  EXPECT_EQ(s.label, "yes");
  EXPECT_EQ(s.score, 0.9);
  row.truth = "no";
  EXPECT_EQ(rollout_sample(row, false).metrics.at("accuracy"), 0.0);
  row.truth = nullptr;
  EXPECT_FALSE(rollout_sample(row, false).metrics.contains("accuracy"));

  const auto c = four_stages();
  std::vector<RolloutSample> samples = {
      {"a", true, {{"error_rate", 1}}, "x", std::nullopt},
      {"a", false, {{"error_rate", 0}, {"latency_ms", 3}}, "y", std::nullopt},
  };
  auto canary = stage_input(c, c.stages[1], samples, 7);
  EXPECT_EQ(canary.elapsed_seconds, 7);
  ASSERT_EQ(canary.samples.size(), 1u);  // latency_ms has no candidate value
  EXPECT_EQ(canary.samples[0].candidate, std::vector<double>{1});
  EXPECT_EQ(canary.samples[0].stable, std::vector<double>{0});
  EXPECT_FALSE(canary.shadow_candidate);
  auto shadow = stage_input(c, c.stages[0], samples, 7);
  ASSERT_TRUE(shadow.shadow_candidate);
  auto cmp = compare_shadow(*shadow.shadow_candidate, *shadow.shadow_stable);
  EXPECT_EQ(cmp.paired, 1u);
  EXPECT_EQ(cmp.flip_rate, 1.0);
}

TEST(RolloutState, ObservationRowsCarryBoundedNumericMetrics) {
  const ObservationLimits limits;
  auto ok = parse_observation_lines(
      R"({"id": "a", "ts": 1, "features": {}, "metrics": {"error_rate": 1, "latency_ms": 12.5}})",
      limits);
  ASSERT_FALSE(ok.error);
  EXPECT_EQ(ok.rows[0].metrics.at("latency_ms"), 12.5);
  EXPECT_EQ(ok.rows[0].metrics.at("error_rate"), 1.0);
  auto text = parse_observation_lines(
      R"({"id": "a", "ts": 1, "features": {}, "metrics": {"error_rate": "high"}})", limits);
  ASSERT_TRUE(text.error);
  EXPECT_EQ(text.error->message, "line 1: metrics.error_rate: a number");
  nlohmann::json many = {{"id", "a"}, {"ts", 1}, {"features", nlohmann::json::object()}};
  for (std::size_t i = 0; i <= kObservationMaxMetrics; ++i)
    many["metrics"]["m" + std::to_string(i)] = 1;
  auto too_many = parse_observation_lines(many.dump(), limits);
  ASSERT_TRUE(too_many.error);
  EXPECT_NE(too_many.error->message.find("at most 32"), std::string::npos);
  nlohmann::json long_name = {{"id", "a"},
                              {"ts", 1},
                              {"features", nlohmann::json::object()},
                              {"metrics", {{std::string(101, 'x'), 1}}}};
  EXPECT_TRUE(parse_observation_lines(long_name.dump(), limits).error);
}

// Truth attached later derives accuracy on the server from the stored label and the truth's text
// (store::attach_rollout_truth); a row's own accuracy is marked so that it stays.
TEST(RolloutState, ASampleKnowsWhetherItsAccuracyIsItsOwn) {
  ObservationRow row;
  row.id = "r1";
  row.prediction = {{"label", 1}};
  row.truth = "0";
  EXPECT_FALSE(rollout_sample(row, true).own_accuracy);
  EXPECT_EQ(rollout_sample(row, true).metrics.at("accuracy"), 0.0);
  row.metrics = {{"accuracy", 1}};
  EXPECT_TRUE(rollout_sample(row, true).own_accuracy);
  EXPECT_EQ(rollout_sample(row, true).metrics.at("accuracy"), 1.0);
  // Labels and truths compare as text: a string as it is, anything else as JSON.
  EXPECT_EQ(rollout_label_text("yes"), "yes");
  EXPECT_EQ(rollout_label_text(1), "1");
  EXPECT_EQ(rollout_label_text(true), "true");
  EXPECT_EQ(*rollout_sample(row, true).label, rollout_label_text(1));
}

// A whole number written as a decimal is that integer (docs/results.md's label text): a side whose
// serving code writes numpy's float64 labels (1.0) is not wrong on every row.
TEST(RolloutState, AWholeNumberWrittenAsADecimalIsThatLabel) {
  EXPECT_EQ(rollout_label_text(1.0), "1");
  EXPECT_EQ(rollout_label_text(nlohmann::json::parse("1e2")), "100");
  EXPECT_EQ(rollout_label_text(-3.0), "-3");
  EXPECT_EQ(rollout_label_text(0.5), "0.5");
  ObservationRow row;
  row.id = "r1";
  row.prediction = {{"label", 1.0}};
  row.truth = 1;
  EXPECT_EQ(rollout_sample(row, true).metrics.at("accuracy"), 1.0);
  row.truth = 0;
  EXPECT_EQ(rollout_sample(row, true).metrics.at("accuracy"), 0.0);
}

}  // namespace
}  // namespace mlgate::core
