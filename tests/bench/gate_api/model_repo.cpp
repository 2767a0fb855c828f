#include "tests/bench/gate_api/model_repo.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace mlgate::bench {
namespace {

using nlohmann::ordered_json;

const char* kConfig = R"(version: 1
image: mlgate/busybox:test
tiers:
  functionality:
    run: sh ci/tests.sh
  validation:
    needs: [functionality]
    run: sh ci/evaluate.sh
gates:
  production:
    require: [functionality, validation]
    metrics:
      - {name: accuracy, min: 0.90, max_drop: 1%}
      - {name: precision, min: 0.85, max_drop: 0.02}
      - {name: recall, min: 0.85, max_drop: 0.02}
      - {name: f1, min: 0.85, max_drop: 1%}
      - {name: auc, min: 0.90, max_drop: 0.01}
      - {name: log_loss, lower_is_better: true, max: 0.5, max_increase: 10%}
      - {name: latency_p50_ms, lower_is_better: true, max: 20, max_increase: 20%}
      - {name: latency_p95_ms, lower_is_better: true, max: 50, max_increase: 10%}
      - {name: model_size_mb, lower_is_better: true, max: 500, max_increase: 25%}
      - {name: calibration_error, lower_is_better: true, max: 0.05}
    slices:
      - {metric: recall, by: age_group, min: 0.80, max_gap: 0.15}
      - {metric: precision, by: region, min: 0.80, max_gap: 0.15}
    fairness:
      - {metric: fpr, by: sex}
    predictions: {max_flip_rate: 2%, max_score_delta: 0.5}
    rubric: {min_score: 2}
  staging:
    require: [functionality]
    metrics:
      - {name: accuracy, min: 0.85}
rubric:
  automated:
    data-1: "tests/data/test_schema.py::*"
    data-2: ["tests/data/test_features.py::*", "*feature_importance*"]
    model-3: "tests/model/test_hparams.py::*"
    model-6: "*slice*"
    infra-1: "tests/infra/test_repro*.py::*"
    infra-3: "tests/infra/test_pipeline.py::TestPipeline::*"
    monitor-2: "tests/monitor/*invariant*"
    monitor-5: ["*nan*", "*numerical*"]
  manual:
    model-1: docs/model_card.md
    infra-7: docs/rollback.md
    monitor-1: docs/dependencies.md
)";

// A fixed pseudo-random sequence, so that every run measures the same data.
struct Lcg {
  std::uint64_t state = 42;
  double next() {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>(state >> 11) / static_cast<double>(1ULL << 53);
  }
};

std::string junit_xml() {
  const char* modules[] = {
      "tests.data.test_schema",        "tests.data.test_features",
      "tests.model.test_hparams",      "tests.model.test_slices",
      "tests.infra.test_repro",        "tests.infra.test_pipeline.TestPipeline",
      "tests.monitor.test_invariants", "tests.monitor.test_numerical",
      "tests.unit.test_utils",         "tests.unit.test_io"};
  std::string x =
      "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<testsuites>\n"
      "<testsuite name=\"pytest\" errors=\"0\" failures=\"0\" skipped=\"0\" tests=\"200\">\n";
  for (int i = 0; i < 200; ++i) {
    x += "<testcase classname=\"" + std::string(modules[i % 10]) + "\" name=\"test_case_" +
         std::to_string(i) + (i % 7 == 0 ? "_nan" : "") + "\" time=\"0.010\"";
    std::string mltest;
    if (i % 25 == 3) mltest = "data-5,model-7";
    if (i % 40 == 9) mltest = "infra-2";
    if (mltest.empty()) {
      x += " />\n";
    } else {
      x += "><properties><property name=\"mltest\" value=\"" + mltest +
           "\" /></properties></testcase>\n";
    }
  }
  return x + "</testsuite>\n</testsuites>\n";
}

std::string metrics_json(bool candidate) {
  // name, baseline, candidate
  const struct {
    const char* name;
    double baseline, candidate;
  } globals[] = {{"accuracy", 0.93, 0.925},
                 {"precision", 0.91, 0.905},
                 {"recall", 0.90, 0.895},
                 {"f1", 0.905, 0.90},
                 {"auc", 0.95, 0.948},
                 {"log_loss", 0.30, 0.31},
                 {"latency_p50_ms", 12.0, 12.5},
                 {"latency_p95_ms", 40.0, 41.0},
                 {"model_size_mb", 210.0, 215.0},
                 {"calibration_error", 0.03, 0.031}};
  ordered_json m = ordered_json::object();
  for (const auto& g : globals) m[g.name] = candidate ? g.candidate : g.baseline;
  const double shift = candidate ? 0.0 : 0.005;
  ordered_json slices = ordered_json::object();
  for (int v = 0; v < 10; ++v) {
    slices["age_group"]["age_" + std::to_string(v)] = {{"recall", 0.82 + 0.01 * v + shift},
                                                       {"n", 100 + 50 * v}};
    slices["region"]["region_" + std::to_string(v)] = {{"precision", 0.84 + 0.01 * v + shift},
                                                       {"n", 120 + 40 * v}};
  }
  for (int g = 0; g < 5; ++g)
    slices["sex"]["group_" + std::to_string(g)] = {{"fpr", 0.08 + 0.002 * g}, {"n", 200 + 100 * g}};
  ordered_json out = {
      {"metrics", m}, {"slices", slices}, {"meta", {{"model", candidate ? "gbm-v8" : "gbm-v7"}}}};
  return out.dump(1) + "\n";
}

std::string predictions_jsonl(bool candidate, int count) {
  Lcg rng;
  std::string out;
  out.reserve(static_cast<size_t>(count) * 48);
  char line[128];
  for (int i = 0; i < count; ++i) {
    double score = rng.next();
    const double jitter = (rng.next() - 0.5) * 0.1;
    int label = score > 0.5 ? 1 : 0;
    if (candidate) {
      score = std::min(1.0, std::max(0.0, score + jitter));
      if (i % 100 == 7) label = 1 - label;  // 1% flipped
    }
    std::snprintf(line, sizeof line, "{\"id\": \"case-%06d\", \"label\": %d, \"score\": %.6f}\n", i,
                  label, score);
    out += line;
  }
  return out;
}

}  // namespace

std::map<std::string, std::string> model_files(ModelVersion version, int predictions) {
  const bool candidate = version == ModelVersion::candidate;
  return {
      {".mlgate.yml", kConfig},
      {"ci/tests.sh", "cp ci/junit.xml \"$MLGATE_RESULTS/junit.xml\"\n"},
      {"ci/evaluate.sh", "cp ci/metrics.json ci/predictions.jsonl \"$MLGATE_RESULTS/\"\n"},
      {"ci/junit.xml", junit_xml()},
      {"ci/metrics.json", metrics_json(candidate)},
      {"ci/predictions.jsonl", predictions_jsonl(candidate, predictions)},
      {"docs/model_card.md", "# Model card\n"},
      {"docs/rollback.md", "# Rollback\n"},
      {"docs/dependencies.md", "# Dependencies\n"},
  };
}

}  // namespace mlgate::bench
