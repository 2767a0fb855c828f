// Gate engine throughput (docs/gate.md, "Measured"): evaluations per second of a realistic gate,
// all in memory (the engine is pure, so this is the CPU cost of one decision, without parsing or
// database time):
//   - 2 required tiers, both passed;
//   - 10 metric checks (min + max_drop, or max + max_increase in %), against a baseline;
//   - 2 slice checks (min + max_gap) over 10 slices each;
//   - 1 fairness check over 5 groups (majority reference);
//   - predictions (max_flip_rate + max_score_delta) over 10,000 ids, 1% of them flipped;
//   - the rubric over 200 JUnit test cases, with globs, mltest properties and manual evidence.
// Prints numbers, asserts nothing. Run: build/tests/bench_gate [--benchmark_min_time=2]
#include <benchmark/benchmark.h>

#include <cstdint>
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

}  // namespace
}  // namespace mlgate::core

BENCHMARK_MAIN();
