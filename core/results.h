// Value types for what a job hands back (docs/results.md).
// Parsers live in core/junit.h, core/metrics_json.h and core/predictions.h; the gate engine reads
// these types. Pure data: no I/O.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

namespace mlgate::core {

enum class TestStatus { passed, failed, error, skipped };

struct TestCase {
  std::string name;       // pytest test function name, e.g. "test_schema[row0]"
  std::string classname;  // e.g. "tests.data.test_schema"
  TestStatus status = TestStatus::passed;
  double time_seconds = 0.0;
  std::string message;              // failure/error/skipped message, empty when passed
  std::vector<std::string> mltest;  // rubric ids from <property name="mltest" value="data-1"/>
};

// One reported number. A global metric has empty slice_key/slice_value; a slice metric carries the
// slicing attribute (slice_key, e.g. "age_group"), the group ("<30") and its size n when reported.
struct Metric {
  std::string name;
  std::string slice_key;
  std::string slice_value;
  std::optional<std::int64_t> n;
  double value = 0.0;  // may be NaN/inf when the job reported NaN/Infinity: the gate fails those
};

// One line of predictions.jsonl (docs/results.md). The label is kept as its JSON text (so 1, "1"
// and true differ); score is optional. The members after score carry what example metrics need
// (core/example_metrics.h); they have default initializers so that {id, label, score} still
// initializes a row.
struct Prediction {
  std::string id;
  std::string label;
  std::optional<double> score;
  std::optional<std::string> truth = {};  // the example's real label (label text) or value
  std::optional<double> value = {};       // a regression prediction
  // Slice features: key -> value text (a string without its quotes, a number or boolean as its
  // JSON text), sorted by key, keys distinct.
  std::vector<std::pair<std::string, std::string>> slices = {};
  // Multi-class probabilities: label text -> probability, sorted by label text, labels distinct.
  std::vector<std::pair<std::string, double>> scores = {};
};

struct JobResults {
  std::vector<TestCase> tests;
  std::vector<Metric> metrics;
  std::vector<Prediction> predictions;
  // A global metric reported by a tier run with `repeat: N` (core/repeats.h): its value in each
  // repeat that reported it, in repeat order; `metrics` then holds their mean. Empty otherwise.
  std::map<std::string, std::vector<double>> repeat_values = {};
  // The same for a slice metric, by (name, slice key, slice value).
  std::map<std::tuple<std::string, std::string, std::string>, std::vector<double>>
      slice_repeat_values = {};
  // When the predictions come from a tier run with `repeat: N`: each repeat's own view of them (the
  // earlier tiers' lines, then that repeat's), in repeat order; `predictions` then holds them all
  // (for an id, the last repeat's line counts). Empty otherwise.
  std::vector<std::vector<Prediction>> repeat_predictions = {};
};

std::string to_string(TestStatus s);
std::optional<TestStatus> test_status_from_string(const std::string& s);

}  // namespace mlgate::core
