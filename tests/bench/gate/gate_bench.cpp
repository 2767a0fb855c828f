// Gate engine throughput (docs/gate.md, "Measured"): evaluations per second of a realistic gate,
// all in memory (the engine is pure, so this is the CPU cost of one decision, without parsing or
// database time):
//   - 2 required tiers, both passed;
//   - 10 metric checks (min + max_drop, or max + max_increase in %), against a baseline;
//   - 2 slice checks (min + max_gap) over 10 slices each;
//   - 1 fairness check over 5 groups (majority reference);
//   - predictions (max_flip_rate + max_score_delta) over 10,000 ids, 1% of them flipped;
//   - the rubric over 200 JUnit test cases, with globs, mltest properties and manual evidence.
//   - and, further down, a gate of 20 interval checks on 10,000 examples with a truth, next to the
//     same gate judged on point values (scripts/bench gate-engine).
// Prints numbers, asserts nothing. Run: build/tests/bench_gate [--benchmark_min_time=2]
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/gate.h"
#include "core/results.h"

namespace mlgate::core {
namespace {

struct Scenario {
  GateConfig gate;
  RubricMapping rubric;
  JobResults candidate;
  JobResults baseline;
  std::vector<TierState> tiers;
  std::set<std::string, std::less<>> tree;

  GateInput input() const {
    return GateInput{.gate = gate,
                     .rubric = rubric,
                     .candidate = candidate,
                     .baseline = &baseline,
                     .tiers = &tiers,
                     .path_exists = [this](std::string_view p) { return tree.contains(p); }};
  }
};

// A fixed pseudo-random sequence, so that every run measures the same data.
struct Lcg {
  std::uint64_t state = 42;
  double next() {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>(state >> 11) / static_cast<double>(1ULL << 53);
  }
};

Scenario make_scenario() {
  Scenario s;
  Lcg rng;
  s.gate.name = "production";
  s.gate.require = {"functionality", "validation"};
  s.tiers = {{"functionality", JobState::passed}, {"validation", JobState::passed}};

  for (int i = 0; i < 10; ++i) {
    const std::string name = "metric_" + std::to_string(i);
    if (i % 3 == 2) {
      s.gate.metrics.push_back({.name = name,
                                .max = 100,
                                .max_increase = Threshold{.value = 0.10, .percent = true},
                                .lower_is_better = true});
      s.candidate.metrics.push_back({.name = name, .value = 41});
      s.baseline.metrics.push_back({.name = name, .value = 40});
    } else {
      s.gate.metrics.push_back(
          {.name = name, .min = 0.8, .max_drop = Threshold{.value = 0.01, .percent = i % 2 == 0}});
      s.candidate.metrics.push_back({.name = name, .value = 0.925});
      s.baseline.metrics.push_back({.name = name, .value = 0.93});
    }
  }
  for (const char* key : {"age_group", "region"}) {
    s.gate.slices.push_back({.metric = "recall", .by = key, .min = 0.7, .max_gap = 0.2});
    for (int v = 0; v < 10; ++v) {
      Metric m{.name = "recall",
               .slice_key = key,
               .slice_value = std::string(key) + "_" + std::to_string(v),
               .n = 100 + 50 * v,
               .value = 0.8 + 0.01 * v};
      s.candidate.metrics.push_back(m);
      m.value -= 0.005;
      s.baseline.metrics.push_back(m);
    }
  }
  s.gate.fairness.push_back({.metric = "fpr", .by = "sex"});
  for (int g = 0; g < 5; ++g) {
    Metric m{.name = "fpr",
             .slice_key = "sex",
             .slice_value = "group_" + std::to_string(g),
             .n = 200 + 100 * g,
             .value = 0.08 + 0.002 * g};
    s.candidate.metrics.push_back(m);
    s.baseline.metrics.push_back(m);
  }

  s.gate.predictions = PredictionsCheck{.max_flip_rate = 0.02, .max_score_delta = 0.5};
  for (int i = 0; i < 10'000; ++i) {
    const std::string id = "case-" + std::to_string(i);
    const double score = rng.next();
    const std::string label = score > 0.5 ? "1" : "0";
    s.baseline.predictions.push_back({.id = id, .label = label, .score = score});
    const bool flip = i % 100 == 7;
    s.candidate.predictions.push_back({.id = id,
                                       .label = flip ? (label == "1" ? "0" : "1") : label,
                                       .score = score + (rng.next() - 0.5) * 0.1});
  }

  s.gate.rubric = RubricGate{.min_score = 0.5};
  s.rubric.automated = {{"data-1", {"tests/data/test_schema.py::*"}},
                        {"data-2", {"tests/data/test_features.py::*", "*feature_importance*"}},
                        {"model-3", {"tests/model/test_hparams.py::*"}},
                        {"model-6", {"*slice*"}},
                        {"infra-1", {"tests/infra/test_repro*.py::*"}},
                        {"infra-3", {"tests/infra/test_pipeline.py::TestPipeline::*"}},
                        {"monitor-2", {"tests/monitor/*invariant*"}},
                        {"monitor-5", {"*nan*", "*numerical*"}}};
  s.rubric.manual = {{"model-1", "docs/model_card.md"},
                     {"infra-7", "docs/rollback.md"},
                     {"monitor-1", "docs/dependencies.md"}};
  s.tree = {"docs/model_card.md", "docs/rollback.md", "README.md"};
  const char* modules[] = {
      "tests.data.test_schema",        "tests.data.test_features",
      "tests.model.test_hparams",      "tests.model.test_slices",
      "tests.infra.test_repro",        "tests.infra.test_pipeline.TestPipeline",
      "tests.monitor.test_invariants", "tests.monitor.test_numerical",
      "tests.unit.test_utils",         "tests.unit.test_io"};
  for (int i = 0; i < 200; ++i) {
    TestCase t{.name = "test_case_" + std::to_string(i) + (i % 7 == 0 ? "_nan" : ""),
               .classname = modules[i % 10],
               .status = TestStatus::passed,
               .time_seconds = 0.01};
    if (i % 25 == 3) t.mltest = {"data-5", "model-7"};
    if (i % 40 == 9) t.mltest = {"infra-2"};
    s.candidate.tests.push_back(std::move(t));
  }
  return s;
}

void BM_EvaluateGate(benchmark::State& state) {
  const Scenario s = make_scenario();
  const GateInput in = s.input();
  const GateResult first = evaluate_gate(in);
  state.SetLabel(std::string(to_string(first.decision)) + ", " +
                 std::to_string(first.checks.size()) + " checks");
  for (auto _ : state) {
    GateResult r = evaluate_gate(in);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EvaluateGate)->Unit(benchmark::kMicrosecond);

// The same gate without the 10,000 predictions: what everything else costs.
void BM_EvaluateGateWithoutPredictions(benchmark::State& state) {
  Scenario s = make_scenario();
  s.gate.predictions.reset();
  const GateInput in = s.input();
  for (auto _ : state) {
    GateResult r = evaluate_gate(in);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EvaluateGateWithoutPredictions)->Unit(benchmark::kMicrosecond);

void BM_ScoreRubric200Tests(benchmark::State& state) {
  const Scenario s = make_scenario();
  PathExists exists = [&s](std::string_view p) { return s.tree.contains(p); };
  for (auto _ : state) {
    RubricScore r = score_rubric(s.rubric, s.candidate.tests, exists);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ScoreRubric200Tests)->Unit(benchmark::kMicrosecond);

void BM_GateResultJson(benchmark::State& state) {
  const Scenario s = make_scenario();
  const GateResult r = evaluate_gate(s.input());
  for (auto _ : state) {
    std::string json = gate_result_json(r);
    benchmark::DoNotOptimize(json);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_GateResultJson)->Unit(benchmark::kMicrosecond);

// ---------------------------------------------------------------------------------------------
// Interval checks (docs/gate.md "Evidence", "Measured"): a gate whose metric, slice and fairness
// checks are computed from 10,000 examples with a truth (candidate and baseline, paired by id),
// 20 results judged by an interval at 95%: 8 metric checks with a bound and a change (recall,
// accuracy, precision and fpr by Wilson; f1, roc_auc, brier and pr_auc by the bootstrap; every
// change by the paired bootstrap, 2,000 resamples), a slice check over 3 groups (one judged group
// each by Wilson) and a fairness check over 2 groups (one stratified-bootstrap ratio). The floor,
// measured in the same run: the same gate without `confidence` (point values computed from the
// same examples).

struct IntervalScenario {
  GateConfig gate;
  RubricMapping rubric;
  JobResults candidate;
  JobResults baseline;

  GateInput input() const {
    return GateInput{.gate = gate,
                     .rubric = rubric,
                     .candidate = candidate,
                     .baseline = &baseline,
                     .candidate_sha = "c4nd1d4te",
                     .baseline_sha = "b4s3l1ne"};
  }
};

// Binary predictions of a fixed evaluation set: truths shared, scores from the model's skill.
std::vector<Prediction> evaluation_set(double skill, std::uint64_t seed) {
  Lcg truth{1}, rng{seed};
  std::vector<Prediction> out;
  for (int i = 0; i < 10'000; ++i) {
    const bool y = truth.next() < 0.3;
    const double s = std::clamp((y ? skill : 1 - skill) + (rng.next() - 0.5) * 0.8, 0.0, 1.0);
    Prediction p{.id = "case-" + std::to_string(i), .label = s >= 0.5 ? "1" : "0", .score = s};
    p.truth = y ? "1" : "0";
    p.slices = {{"group", i % 3 == 0   ? "a"
                          : i % 3 == 1 ? "b"
                                       : "c"},
                {"sex", i % 5 < 3 ? "f" : "m"}};
    out.push_back(std::move(p));
  }
  return out;
}

IntervalScenario make_interval_scenario(std::optional<double> confidence) {
  IntervalScenario s;
  s.gate.name = "production";
  const CheckStatistics stats{.from = MetricSource::predictions, .confidence = confidence};
  for (const char* name : {"recall", "accuracy", "precision", "f1", "roc_auc", "pr_auc"})
    s.gate.metrics.push_back(MetricCheck{
        .name = name, .min = 0.5, .max_drop = Threshold{.value = 0.02}, .stats = stats});
  for (const char* name : {"fpr", "brier"})
    s.gate.metrics.push_back(MetricCheck{.name = name,
                                         .max = 0.5,
                                         .max_increase = Threshold{.value = 0.02},
                                         .lower_is_better = true,
                                         .stats = stats});
  s.gate.slices.push_back(
      SliceCheck{.metric = "recall", .by = "group", .min = 0.5, .stats = stats});
  s.gate.fairness.push_back(
      FairnessCheck{.metric = "recall", .by = "sex", .lo = 0.5, .hi = 2, .stats = stats});
  s.candidate.predictions = evaluation_set(0.74, 7);
  s.baseline.predictions = evaluation_set(0.75, 8);
  return s;
}

// How many results were judged by an interval (the label says it).
std::size_t judged_by_interval(const GateResult& r) {
  std::size_t k = 0;
  for (const CheckResult& c : r.checks)
    k += c.evidence && (c.evidence->interval || c.evidence->delta_interval);
  return k;
}

void evaluate_interval_gate(benchmark::State& state, std::optional<double> confidence) {
  const IntervalScenario s = make_interval_scenario(confidence);
  const GateInput in = s.input();
  const GateResult first = evaluate_gate(in);
  state.SetLabel(std::string(to_string(first.decision)) + ", " +
                 std::to_string(first.checks.size()) + " checks, " +
                 std::to_string(judged_by_interval(first)) + " by an interval");
  for (auto _ : state) {
    GateResult r = evaluate_gate(in);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_EvaluateGateWithIntervals(benchmark::State& state) {
  evaluate_interval_gate(state, 0.95);
}
BENCHMARK(BM_EvaluateGateWithIntervals)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime();

void BM_EvaluateGateFromPredictionsPoint(benchmark::State& state) {
  evaluate_interval_gate(state, std::nullopt);
}
BENCHMARK(BM_EvaluateGateFromPredictionsPoint)
    ->Unit(benchmark::kMillisecond)
    ->MeasureProcessCPUTime();

}  // namespace
}  // namespace mlgate::core

BENCHMARK_MAIN();
