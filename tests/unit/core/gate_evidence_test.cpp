// The gate's checks `from: predictions` and their intervals (docs/gate.md "Evidence"): every
// verdict (pass, fail, inconclusive blocking or not), Wilson and the paired bootstrap, McNemar,
// the Bonferroni widening, determinism of the seeds, slices and fairness computed per group, the
// JSON fields and the rules in force.
#include "core/gate_evidence.h"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/gate.h"
#include "core/gate_in_force.h"
#include "core/seeded_rng.h"

namespace mlgate::core {
namespace {

// Binary predictions: `positives` examples with truth 1 of which the first `found` are labelled
// 1, then `negatives` with truth 0 of which the first `false_alarms` are labelled 1. Ids are
// "p0".. and "n0".., so that two models of the same set pair by id; score follows the label.
std::vector<Prediction> binary(int positives, int found, int negatives, int false_alarms,
                               const std::string& slice = "") {
  std::vector<Prediction> out;
  auto row = [&](std::string id, bool truth, bool label) {
    Prediction p{.id = std::move(id), .label = label ? "1" : "0", .score = label ? 0.8 : 0.2};
    p.truth = truth ? "1" : "0";
    if (!slice.empty()) p.slices = {{"group", slice}};
    out.push_back(std::move(p));
  };
  for (int i = 0; i < positives; ++i) row(slice + "p" + std::to_string(i), true, i < found);
  for (int i = 0; i < negatives; ++i) row(slice + "n" + std::to_string(i), false, i < false_alarms);
  return out;
}

CheckStatistics from_predictions(std::optional<double> confidence = std::nullopt) {
  return CheckStatistics{.from = MetricSource::predictions, .confidence = confidence};
}

struct Eval {
  GateConfig gate;
  JobResults candidate;
  std::optional<JobResults> baseline;
  std::string candidate_sha = "c0ffee";
  std::string baseline_sha = "ba5e";

  GateInput input() const {
    static const RubricMapping rubric;
    return GateInput{.gate = gate,
                     .rubric = rubric,
                     .candidate = candidate,
                     .baseline = baseline ? &*baseline : nullptr,
                     .candidate_sha = candidate_sha,
                     .baseline_sha = baseline_sha};
  }
  GateResult run() const { return evaluate_gate(input()); }
};

CheckResult named(const GateResult& r, std::string_view name, std::string_view threshold = "") {
  for (const CheckResult& c : r.checks)
    if (c.name == name && c.threshold.starts_with(threshold)) return c;
  ADD_FAILURE() << "no check " << name << " (" << threshold << ") in: " << r.summary;
  return CheckResult{};
}

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

#define EXPECT_CONTAINS(text, part) \
  EXPECT_TRUE(contains((text), (part))) << "'" << (text) << "' lacks '" << (part) << "'"

// recall of 81 of 85 positives (0.953): Wilson 95% is [0.8852, 0.9815].
Eval recall_min(double min, std::optional<double> confidence = 0.95) {
  Eval e;
  e.gate.metrics.push_back(
      MetricCheck{.name = "recall", .min = min, .stats = from_predictions(confidence)});
  e.candidate.predictions = binary(85, 81, 143, 0);
  return e;
}

TEST(GateEvidence, AMinPassesWhenTheLowerBoundHoldsFailsWhenTheUpperBoundIsUnder) {
  const Interval w = wilson_interval(81, 85, 0.95);
  ASSERT_NEAR(w.lower, 0.88516, 1e-5);
  ASSERT_NEAR(w.upper, 0.9815, 1e-4);

  GateResult r = recall_min(0.85).run();
  CheckResult c = named(r, "recall");
  EXPECT_EQ(c.status, CheckStatus::pass);
  EXPECT_EQ(r.decision, Decision::allow);
  EXPECT_NEAR(*c.value, 81.0 / 85, 1e-12);
  ASSERT_TRUE(c.evidence && c.evidence->interval);
  EXPECT_DOUBLE_EQ(c.evidence->interval->lower, w.lower);
  EXPECT_DOUBLE_EQ(c.evidence->interval->upper, w.upper);
  EXPECT_EQ(c.evidence->n, 85);
  EXPECT_EQ(c.evidence->n_of, "positives");
  EXPECT_EQ(c.evidence->method, "wilson");
  EXPECT_EQ(c.reason, "0.952941 in [0.8852, 0.9815] >= min 0.85 (95% Wilson, n=85 positives)");

  r = recall_min(0.99).run();
  c = named(r, "recall");
  EXPECT_EQ(c.status, CheckStatus::fail);
  EXPECT_EQ(r.decision, Decision::deny);
  EXPECT_EQ(c.reason, "0.952941 in [0.8852, 0.9815] < min 0.99 (95% Wilson, n=85 positives)");
  EXPECT_CONTAINS(r.summary, "deny: 1 check failed: metric recall 0.952941 in [0.8852, 0.9815]");
}

TEST(GateEvidence, AStraddlingIntervalIsInconclusiveAndFailsByDefault) {
  GateResult r = recall_min(0.93).run();
  CheckResult c = named(r, "recall");
  EXPECT_EQ(c.status, CheckStatus::inconclusive);
  EXPECT_TRUE(blocks(c));
  EXPECT_EQ(r.decision, Decision::deny);
  EXPECT_EQ(c.reason,
            "0.952941 in [0.8852, 0.9815] straddles min 0.93 (95% Wilson, n=85 positives): "
            "inconclusive (when_inconclusive: fail)");
  EXPECT_EQ(r.summary, "deny: 1 check inconclusive: metric recall " + c.reason +
                           " (no deployed baseline: only absolute thresholds apply)");
}

TEST(GateEvidence, WhenInconclusivePassLetsItThroughAndTheStatusStays) {
  Eval e = recall_min(0.93);
  e.gate.metrics[0].stats.when_inconclusive = WhenInconclusive::pass;
  GateResult r = e.run();
  CheckResult c = named(r, "recall");
  EXPECT_EQ(c.status, CheckStatus::inconclusive);
  EXPECT_FALSE(blocks(c));
  EXPECT_EQ(r.decision, Decision::allow);
  EXPECT_CONTAINS(c.reason, ": inconclusive (when_inconclusive: pass)");
  EXPECT_CONTAINS(r.summary, "allow: 0 checks passed, 1 inconclusive (counted as pass)");
  // The gate's statistics say it for every check without its own.
  e.gate.metrics[0].stats.when_inconclusive.reset();
  e.gate.statistics = GateStatistics{.when_inconclusive = WhenInconclusive::pass};
  EXPECT_EQ(e.run().decision, Decision::allow);
  // The check's own setting wins over the gate's.
  e.gate.metrics[0].stats.when_inconclusive = WhenInconclusive::fail;
  EXPECT_EQ(e.run().decision, Decision::deny);
}

TEST(GateEvidence, TheGatesConfidenceAppliesToChecksFromPredictionsOnly) {
  Eval e = recall_min(0.93, std::nullopt);
  e.gate.metrics.push_back(MetricCheck{.name = "latency", .max = 50});
  e.candidate.metrics.push_back(Metric{.name = "latency", .value = 40});
  // Without any confidence: the point value, computed from the predictions.
  CheckResult c = named(e.run(), "recall");
  EXPECT_EQ(c.status, CheckStatus::pass);
  EXPECT_EQ(c.reason, "0.952941 >= min 0.93");
  ASSERT_TRUE(c.evidence);
  EXPECT_EQ(c.evidence->method, "point");
  EXPECT_FALSE(c.evidence->interval);
  EXPECT_EQ(c.evidence->n, 85);
  e.gate.statistics = GateStatistics{.confidence = 0.95};
  const GateResult r = e.run();
  EXPECT_EQ(named(r, "recall").status, CheckStatus::inconclusive);
  EXPECT_EQ(named(r, "latency").status, CheckStatus::pass);
  EXPECT_FALSE(named(r, "latency").evidence.has_value());
}

// The baseline finds 81 of 85 positives; the candidate loses `lost` of them (paired by id).
Eval recall_change(int lost, Threshold max_drop, std::optional<double> confidence = 0.95) {
  Eval e;
  e.gate.metrics.push_back(
      MetricCheck{.name = "recall", .max_drop = max_drop, .stats = from_predictions(confidence)});
  e.baseline = JobResults{};
  e.baseline->predictions = binary(85, 81, 143, 0);
  e.candidate.predictions = binary(85, 81 - lost, 143, 0);
  return e;
}

TEST(GateEvidence, AChangeComparesThePairedIntervalWithMinusMaxDrop) {
  // 5 of 85 positives lost: 0.894 vs 0.953, a drop of 0.059.
  GateResult r = recall_change(5, Threshold{.value = 0.03}).run();
  CheckResult c = named(r, "recall");
  EXPECT_EQ(c.status, CheckStatus::inconclusive) << c.reason;
  ASSERT_TRUE(c.evidence && c.evidence->delta_interval);
  const Interval d = *c.evidence->delta_interval;
  EXPECT_LT(d.lower, -0.03);
  EXPECT_GE(d.upper, -0.03);
  EXPECT_LT(d.upper, 0);  // every resample that draws a lost positive is a drop
  EXPECT_EQ(c.evidence->method, "paired bootstrap");
  EXPECT_EQ(c.evidence->n, 85);
  EXPECT_FALSE(c.evidence->p_value.has_value());  // McNemar is for accuracy and error_rate
  EXPECT_CONTAINS(c.reason, "0.894118 vs baseline 0.952941: change -0.05882 in [");
  EXPECT_CONTAINS(c.reason,
                  "] straddles -0.03 (max_drop 0.03) (95% paired bootstrap, n=85 "
                  "positives): inconclusive (when_inconclusive: fail)");

  // A wide allowance passes; none fails: no resample shows a gain.
  EXPECT_EQ(named(recall_change(5, Threshold{.value = 0.2}).run(), "recall").status,
            CheckStatus::pass);
  c = named(recall_change(5, Threshold{.value = 0}).run(), "recall");
  EXPECT_EQ(c.status, CheckStatus::fail);
  EXPECT_CONTAINS(c.reason, "] < -0 (max_drop 0)");
  // A percentage is of the baseline's value: 50% of 0.953.
  c = named(recall_change(5, Threshold{.value = 0.5, .percent = true}).run(), "recall");
  EXPECT_EQ(c.status, CheckStatus::pass);
  EXPECT_CONTAINS(c.reason, ">= -0.4765 (max_drop 50% of 0.952941)");
  // Without a confidence the point change is judged, as for a reported metric.
  c = named(recall_change(5, Threshold{.value = 0.03}, std::nullopt).run(), "recall");
  EXPECT_EQ(c.status, CheckStatus::fail);
  EXPECT_CONTAINS(c.reason, "drop 0.0588235 > max_drop 0.03");
}

TEST(GateEvidence, AccuracyChangesCarryTheExactMcNemarPValue) {
  Eval e = recall_change(5, Threshold{.value = 0.01});
  e.gate.metrics[0].name = "accuracy";
  const CheckResult c = named(e.run(), "accuracy");
  ASSERT_TRUE(c.evidence && c.evidence->p_value);
  EXPECT_DOUBLE_EQ(*c.evidence->p_value, 0.0625);  // 0 vs 5 discordant: 2 / 2^5
  EXPECT_EQ(c.evidence->n, 228);
  EXPECT_EQ(c.evidence->n_of, "examples");
  EXPECT_CONTAINS(c.reason, "; McNemar p=0.0625)");
}

TEST(GateEvidence, LowerIsBetterMirrorsWithMaxIncreaseAndMax) {
  Eval e;
  e.gate.metrics.push_back(MetricCheck{.name = "fpr",
                                       .max = 0.5,
                                       .max_increase = Threshold{.value = 0.2},
                                       .lower_is_better = true,
                                       .stats = from_predictions(0.95)});
  e.baseline = JobResults{};
  e.baseline->predictions = binary(50, 45, 100, 5);
  e.candidate.predictions = binary(50, 45, 100, 8);
  const GateResult r = e.run();
  const CheckResult value = named(r, "fpr", "max");
  EXPECT_EQ(value.status, CheckStatus::pass);
  EXPECT_CONTAINS(value.reason, "<= max 0.5 (95% Wilson, n=100 negatives)");
  const CheckResult change = named(r, "fpr", "max_increase");
  EXPECT_EQ(change.status, CheckStatus::pass);
  EXPECT_CONTAINS(change.reason, "0.08 vs baseline 0.05: change +0.03 in [");
  EXPECT_CONTAINS(change.reason, "] <= +0.2 (max_increase 0.2)");
}

TEST(GateEvidence, BonferroniWidensEveryIntervalCheckByTheirNumber) {
  // Three interval checks; the first's min sits between the 95% and the 98.33% lower bounds.
  const double lower95 = wilson_interval(81, 85, 0.95).lower;
  const double lower_k3 = wilson_interval(81, 85, 1 - 0.05 / 3).lower;
  ASSERT_LT(lower_k3, lower95);
  Eval e = recall_min((lower95 + lower_k3) / 2);
  e.gate.metrics.push_back(
      MetricCheck{.name = "accuracy", .min = 0.5, .stats = from_predictions(0.95)});
  e.gate.metrics.push_back(
      MetricCheck{.name = "precision", .min = 0.5, .stats = from_predictions(0.95)});
  EXPECT_EQ(named(e.run(), "recall").status, CheckStatus::pass);
  e.gate.statistics = GateStatistics{.correction = Correction::bonferroni};
  const GateResult r = e.run();
  const CheckResult c = named(r, "recall");
  EXPECT_EQ(c.status, CheckStatus::inconclusive);
  EXPECT_NEAR(*c.evidence->confidence, 1 - 0.05 / 3, 1e-15);
  EXPECT_DOUBLE_EQ(c.evidence->interval->lower, lower_k3);
  EXPECT_CONTAINS(c.reason, "(98.3333% (95% with Bonferroni) Wilson, n=85 positives)");
  EXPECT_NEAR(*named(r, "accuracy").evidence->confidence, 1 - 0.05 / 3, 1e-15);
  // Point checks are not counted: with one interval check there is nothing to correct.
  e.gate.metrics[1].stats.confidence.reset();
  e.gate.metrics[2].stats.confidence.reset();
  EXPECT_EQ(named(e.run(), "recall").status, CheckStatus::pass);
  EXPECT_DOUBLE_EQ(bonferroni_level(0.95, 1), 0.95);
  EXPECT_DOUBLE_EQ(bonferroni_level(0.95, 5), 0.99);
}

// roc_auc has no closed-form interval: the percentile bootstrap, seeded from the shas and name.
Eval auc_eval() {
  Eval e;
  e.gate.metrics.push_back(
      MetricCheck{.name = "roc_auc", .min = 0.5, .stats = from_predictions(0.95)});
  for (int i = 0; i < 200; ++i) {
    Prediction p{.id = std::to_string(i), .label = i % 2 ? "1" : "0"};
    p.score = ((i * 37) % 100) / 100.0;
    p.truth = (i * 37) % 100 > 40 || i % 7 == 0 ? "1" : "0";
    e.candidate.predictions.push_back(std::move(p));
  }
  return e;
}

TEST(GateEvidence, TheBootstrapIsDeterministicAndSeededFromTheCommitsAndTheCheck) {
  const Eval e = auc_eval();
  const CheckResult a = named(e.run(), "roc_auc");
  const CheckResult b = named(e.run(), "roc_auc");
  ASSERT_TRUE(a.evidence && a.evidence->interval);
  EXPECT_EQ(a.evidence->method, "bootstrap");
  EXPECT_EQ(a.evidence->n, 200);
  EXPECT_EQ(a.evidence->interval->lower, b.evidence->interval->lower);
  EXPECT_EQ(a.evidence->interval->upper, b.evidence->interval->upper);
  EXPECT_EQ(a.reason, b.reason);
  Eval other = e;
  other.candidate_sha = "another commit";
  const CheckResult c = named(other.run(), "roc_auc");
  EXPECT_NE(a.evidence->interval->lower, c.evidence->interval->lower);
  // Two slice groups with the same examples: the same value, other resamples (another name).
  Eval slices;
  slices.gate.slices.push_back(
      SliceCheck{.metric = "roc_auc", .by = "group", .min = 0.5, .stats = from_predictions(0.95)});
  for (const char* group : {"a", "b"})
    for (Prediction p : e.candidate.predictions) {
      p.id = group + p.id;
      p.slices = {{"group", group}};
      slices.candidate.predictions.push_back(std::move(p));
    }
  const GateResult r = slices.run();
  const CheckResult ga = named(r, "roc_auc[group=a]"), gb = named(r, "roc_auc[group=b]");
  EXPECT_EQ(*ga.value, *gb.value);
  EXPECT_NE(ga.evidence->interval->lower, gb.evidence->interval->lower);
  const std::vector<std::string> one{"c0ffee", "roc_auc[group=a]"};
  const std::vector<std::string> two{"c0ffee", "roc_auc[group=b]"};
  EXPECT_NE(seed_from(one), seed_from(two));
}

TEST(GateEvidence, WhatCannotBeComputedIsMissingWithItsReason) {
  Eval e = recall_min(0.9);
  for (Prediction& p : e.candidate.predictions) p.truth.reset();
  CheckResult c = named(e.run(), "recall");
  EXPECT_EQ(c.status, CheckStatus::missing);
  EXPECT_EQ(c.reason, "not computed: no line of predictions.jsonl has a truth (228 lines)");
  e.candidate.predictions.clear();
  EXPECT_EQ(named(e.run(), "recall").reason, "not computed: no predictions.jsonl");
  e = recall_min(0.9);
  e.gate.metrics[0].name = "macro_f1";
  c = named(e.run(), "macro_f1");
  EXPECT_EQ(c.status, CheckStatus::missing);
  EXPECT_CONTAINS(c.reason, "macro_f1 is not a metric of binary predictions (those are accuracy");
  e.gate.metrics[0].name = "mae";  // needs a value on every example
  EXPECT_CONTAINS(named(e.run(), "mae").reason, "not a metric of binary predictions");
  e = recall_min(0.9);
  e.candidate.predictions = binary(0, 0, 10, 1);  // no positive: recall is not defined
  c = named(e.run(), "recall");
  EXPECT_EQ(c.status, CheckStatus::missing);
  EXPECT_CONTAINS(c.reason, "not defined on the candidate's 10 examples");
  e.gate.metrics[0].optional = true;
  EXPECT_EQ(e.run().decision, Decision::allow);
}

TEST(GateEvidence, ABaselineWithoutTruthSkipsTheChangeAndSaysWhy) {
  Eval e = recall_change(5, Threshold{.value = 0.03});
  for (Prediction& p : e.baseline->predictions) p.truth.reset();
  const CheckResult c = named(e.run(), "recall");
  EXPECT_EQ(c.status, CheckStatus::skipped);
  EXPECT_EQ(c.reason, "the deployed baseline's predictions have no truth: change not checked");
  e.baseline.reset();
  EXPECT_EQ(named(e.run(), "recall").reason, "no deployed baseline: change not checked");
}

TEST(GateEvidence, ThePositiveLabelIsSettable) {
  Eval e = recall_min(0.9, std::nullopt);
  // With 0 as the positive label, recall is the share of truth-0 examples labelled 0: 143/143.
  e.gate.metrics[0].stats.positive_label = "0";
  EXPECT_EQ(*named(e.run(), "recall").value, 1.0);
  e.gate.metrics[0].stats.positive_label.reset();
  e.gate.statistics = GateStatistics{.positive_label = "0"};
  EXPECT_EQ(*named(e.run(), "recall").value, 1.0);
}

TEST(GateEvidence, SlicesAreComputedPerGroupWithTheirIntervalsAndTheGap) {
  Eval e;
  e.gate.slices.push_back(SliceCheck{.metric = "recall",
                                     .by = "group",
                                     .min = 0.8,
                                     .max_gap = 0.5,
                                     .stats = from_predictions(0.95)});
  for (auto rows : {binary(40, 39, 60, 0, "large"), binary(40, 20, 60, 0, "small"),
                    binary(0, 0, 50, 0, "clean"), binary(3, 3, 5, 0, "tiny")})
    for (Prediction& p : rows) e.candidate.predictions.push_back(std::move(p));
  const GateResult r = e.run();
  const CheckResult large = named(r, "recall[group=large]");
  EXPECT_EQ(large.status, CheckStatus::pass) << large.reason;
  EXPECT_EQ(large.evidence->n, 40);
  EXPECT_CONTAINS(large.reason, "(95% Wilson, n=40 positives)");
  EXPECT_EQ(named(r, "recall[group=small]").status, CheckStatus::fail);
  EXPECT_EQ(named(r, "recall[group=tiny]").status, CheckStatus::skipped);  // n=8 < min_n 30
  const CheckResult clean = named(r, "recall[group=clean]");
  EXPECT_EQ(clean.status, CheckStatus::skipped);
  EXPECT_EQ(clean.reason, "recall is not defined for clean (n=50): not judged");
  const CheckResult gap = named(r, "recall[group] gap");
  EXPECT_NEAR(*gap.value, 39.0 / 40 - 0.5, 1e-12);
  EXPECT_EQ(gap.evidence->method, "stratified bootstrap");
  EXPECT_EQ(gap.evidence->n, 200);
  EXPECT_CONTAINS(gap.reason, "max_gap 0.5");
  EXPECT_CONTAINS(gap.reason, "(large - small)");
  EXPECT_NE(gap.status, CheckStatus::fail);
}

TEST(GateEvidence, FairnessRatiosAreComputedPerGroupAgainstTheReference) {
  Eval e;
  e.gate.fairness.push_back(FairnessCheck{
      .metric = "recall", .by = "group", .lo = 0.9, .hi = 1.1, .stats = from_predictions()});
  for (auto rows : {binary(100, 95, 100, 0, "big"), binary(50, 40, 20, 0, "other")})
    for (Prediction& p : rows) e.candidate.predictions.push_back(std::move(p));
  CheckResult c = named(e.run(), "recall[group=other vs big]");
  EXPECT_EQ(c.status, CheckStatus::fail);  // 0.8 / 0.95 = 0.842
  EXPECT_NEAR(*c.value, 0.8 / 0.95, 1e-12);
  EXPECT_EQ(c.evidence->method, "point");
  e.gate.fairness[0].stats.confidence = 0.95;
  c = named(e.run(), "recall[group=other vs big]");
  EXPECT_EQ(c.evidence->method, "stratified bootstrap");
  EXPECT_CONTAINS(c.reason, "ratio 0.842105 in [");
  EXPECT_CONTAINS(c.reason, "(other / big)");
  ASSERT_TRUE(c.evidence->interval);
  EXPECT_LT(c.evidence->interval->lower, 0.842105);
  EXPECT_GT(c.evidence->interval->upper, 0.842105);
}

TEST(GateEvidence, JsonCarriesTheEvidenceOfChecksFromPredictionsOnly) {
  Eval e = recall_change(5, Threshold{.value = 0.03});
  e.gate.metrics[0].min = 0.8;
  e.gate.metrics.push_back(MetricCheck{.name = "latency", .max = 50});
  e.candidate.metrics.push_back(Metric{.name = "latency", .value = 40});
  const auto j = nlohmann::ordered_json::parse(gate_result_json(e.run()));
  const auto& value = j["checks"][0];
  std::vector<std::string> keys;
  for (auto& [k, v] : value.items()) keys.push_back(k);
  EXPECT_EQ(keys,
            (std::vector<std::string>{"kind", "name", "status", "value", "baseline", "threshold",
                                      "reason", "confidence", "interval", "delta_interval", "n",
                                      "n_of", "method", "p_value", "inconclusive"}));
  EXPECT_EQ(value["status"], "pass");
  EXPECT_EQ(value["interval"].size(), 2u);
  EXPECT_TRUE(value["delta_interval"].is_null());
  EXPECT_EQ(value["method"], "wilson");
  EXPECT_EQ(value["inconclusive"], "fail");
  const auto& change = j["checks"][1];
  EXPECT_EQ(change["status"], "inconclusive");
  EXPECT_TRUE(change["interval"].is_null());
  EXPECT_LT(change["delta_interval"][0].get<double>(), -0.03);
  EXPECT_EQ(change["n"], 85);
  EXPECT_EQ(change["n_of"], "positives");
  EXPECT_EQ(j["checks"][2]["name"], "latency");
  EXPECT_FALSE(j["checks"][2].contains("interval"));
}

TEST(GateEvidence, RulesInForceEvaluateBothSetsAndKeepIdenticalIntervalsOnce) {
  {
    const Eval auc = auc_eval();  // a bootstrap: both rule sets draw the same resamples
    const GateRules same{auc.gate, {}};
    const GateResult r =
        evaluate_in_force(auc.input(), DeployedRules{DeployedRulesState::known, &same});
    ASSERT_EQ(r.checks.size(), 1u);
    EXPECT_EQ(r.checks[0].rule_set, RuleSet::both);
  }
  Eval e = recall_min(0.85);
  GateRules deployed{e.gate, {}};
  GateResult r = evaluate_in_force(e.input(), DeployedRules{DeployedRulesState::known, &deployed});
  ASSERT_EQ(r.checks.size(), 1u);
  EXPECT_EQ(r.checks[0].rule_set, RuleSet::both);
  // The deployed rule asks for a confidence the candidate dropped: both are judged.
  deployed.gate.metrics[0].min = 0.93;
  e.gate.metrics[0].stats.confidence.reset();
  r = evaluate_in_force(e.input(), DeployedRules{DeployedRulesState::known, &deployed});
  ASSERT_EQ(r.checks.size(), 2u);
  EXPECT_EQ(r.checks[0].rule_set, RuleSet::deployed);
  EXPECT_EQ(r.checks[0].status, CheckStatus::inconclusive);
  EXPECT_EQ(r.checks[1].status, CheckStatus::pass);
  EXPECT_EQ(r.decision, Decision::deny);
  EXPECT_CONTAINS(r.summary, "(deployed rule)");
  EXPECT_EQ(r.rules.differences.size(), 1u);
}

// Rules the caller found to be the candidate's own are evaluated once: the result is the one
// evaluating both sets gives, check for check, interval for interval.
TEST(GateEvidence, RulesKnownToBeTheCandidatesGiveTheSameResultEvaluatedOnce) {
  for (Eval e :
       {auc_eval(), recall_min(0.85), recall_min(0.95), recall_change(5, {.value = 0.03})}) {
    e.gate.metrics.push_back(MetricCheck{.name = "latency", .max = 50});
    e.candidate.metrics.push_back(Metric{.name = "latency", .value = 60});
    const GateRules same{e.gate, {}};
    DeployedRules deployed{DeployedRulesState::known, &same};
    const GateResult twice = evaluate_in_force(e.input(), deployed);
    deployed.same_as_candidate = true;
    const GateResult once = evaluate_in_force(e.input(), deployed);
    EXPECT_EQ(gate_result_json(once), gate_result_json(twice));
    EXPECT_EQ(once.decision, twice.decision);
    EXPECT_EQ(once.summary, twice.summary);
    EXPECT_EQ(rules_in_force_json(once.rules), rules_in_force_json(twice.rules));
    ASSERT_EQ(once.checks.size(), twice.checks.size());
    for (std::size_t i = 0; i < once.checks.size(); ++i)
      EXPECT_EQ(once.checks[i].rule_set, twice.checks[i].rule_set) << once.checks[i].name;
  }
}

TEST(GateEvidence, AnInconclusiveCheckThatBlocksDeniesWhileTiersRun) {
  Eval e = recall_min(0.93);
  e.gate.require = {"training"};
  const std::vector<TierState> tiers{{"training", JobState::running}};
  auto decide = [&] {
    GateInput in = e.input();
    in.tiers = &tiers;
    return evaluate_gate(in).decision;
  };
  EXPECT_EQ(decide(), Decision::deny);
  e.gate.metrics[0].stats.when_inconclusive = WhenInconclusive::pass;
  EXPECT_EQ(decide(), Decision::pending);
}

}  // namespace
}  // namespace mlgate::core
