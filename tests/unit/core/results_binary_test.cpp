// core/results_binary.h: a job's results as compact bytes round-trip exactly (every field, bit for
// bit, in order), and bytes that are cut, padded, foreign or inconsistent are refused with a
// message rather than read.
#include "core/results_binary.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

namespace mlgate::core {
namespace {

const double kNan = std::numeric_limits<double>::quiet_NaN();
const double kInf = std::numeric_limits<double>::infinity();

std::vector<TestCase> some_tests() {
  return {{"test_schema[row0]", "tests.data.test_schema", TestStatus::passed, 0.25, "", {"data-1"}},
          {"test_leak", "tests.data", TestStatus::failed, 1.5, "AssertionError: 12 ids", {}},
          {"test_gpu", "", TestStatus::skipped, 0.0, "no GPU", {"infra-1", "model-2"}},
          {"test_io", "tests.infra", TestStatus::error, -0.0, std::string("a\0b", 3), {""}}};
}

std::vector<Metric> some_metrics() {
  Metric acc{"accuracy", "", "", std::nullopt, 0.1 + 0.2};
  Metric loss{"loss", "", "", std::nullopt, kNan};
  Metric r1{"recall", "age_group", "30-60", 0, -kInf};
  Metric r2{"recall", "age_group", "<30", 120, 5e-324};
  return {acc, loss, r1, r2};
}

std::vector<Prediction> some_predictions() {
  Prediction a{"a-1", "1", 0.91};
  a.truth = "0";
  a.slices = {{"age", "31"}, {"z\"q\\\t\n", "tab\there"}};
  Prediction b{"b-1", "\"cat\"", std::nullopt};
  b.truth = "\"dog\"";
  b.scores = {{"\"cat\"", 0.3}, {"\"dog\"", kNan}, {"x", -kInf}};
  Prediction c{"c-1", "", std::nullopt};
  c.value = 3.2;
  Prediction d{"d-1", "true", kNan};
  return {a, b, c, d};
}

// Doubles compared by their bits: NaN equals NaN, -0 differs from 0.
bool same(double x, double y) {
  return std::bit_cast<std::uint64_t>(x) == std::bit_cast<std::uint64_t>(y);
}
bool same(const std::optional<double>& x, const std::optional<double>& y) {
  return x.has_value() == y.has_value() && (!x || same(*x, *y));
}

TEST(ResultsBinary, TestsRoundTripExactly) {
  const auto in = some_tests();
  const auto out = tests_from_binary(tests_to_binary(in));
  ASSERT_EQ(out.size(), in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    SCOPED_TRACE(in[i].name);
    EXPECT_EQ(out[i].name, in[i].name);
    EXPECT_EQ(out[i].classname, in[i].classname);
    EXPECT_EQ(out[i].status, in[i].status);
    EXPECT_TRUE(same(out[i].time_seconds, in[i].time_seconds));
    EXPECT_EQ(out[i].message, in[i].message);
    EXPECT_EQ(out[i].mltest, in[i].mltest);
  }
  EXPECT_TRUE(tests_from_binary(tests_to_binary({})).empty());
}

TEST(ResultsBinary, MetricsRoundTripExactly) {
  const auto in = some_metrics();
  const auto out = metrics_from_binary(metrics_to_binary(in));
  ASSERT_EQ(out.size(), in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    SCOPED_TRACE(in[i].name + " " + in[i].slice_value);
    EXPECT_EQ(out[i].name, in[i].name);
    EXPECT_EQ(out[i].slice_key, in[i].slice_key);
    EXPECT_EQ(out[i].slice_value, in[i].slice_value);
    EXPECT_EQ(out[i].n, in[i].n);
    EXPECT_TRUE(same(out[i].value, in[i].value));
  }
}

TEST(ResultsBinary, PredictionsRoundTripExactly) {
  const auto in = some_predictions();
  const auto out = predictions_from_binary(predictions_to_binary(in));
  ASSERT_EQ(out.size(), in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    SCOPED_TRACE(in[i].id);
    EXPECT_EQ(out[i].id, in[i].id);
    EXPECT_EQ(out[i].label, in[i].label);
    EXPECT_TRUE(same(out[i].score, in[i].score));
    EXPECT_EQ(out[i].truth, in[i].truth);
    EXPECT_TRUE(same(out[i].value, in[i].value));
    EXPECT_EQ(out[i].slices, in[i].slices);
    ASSERT_EQ(out[i].scores.size(), in[i].scores.size());
    for (std::size_t k = 0; k < in[i].scores.size(); ++k) {
      EXPECT_EQ(out[i].scores[k].first, in[i].scores[k].first);
      EXPECT_TRUE(same(out[i].scores[k].second, in[i].scores[k].second));
    }
  }
}

TEST(ResultsBinary, RefusesCutPaddedOrForeignBytes) {
  const std::string kinds[] = {tests_to_binary(some_tests()), metrics_to_binary(some_metrics()),
                               predictions_to_binary(some_predictions())};
  auto read = [](std::size_t kind, const std::string& bytes) {
    if (kind == 0) return tests_from_binary(bytes).size();
    if (kind == 1) return metrics_from_binary(bytes).size();
    return predictions_from_binary(bytes).size();
  };
  for (std::size_t kind = 0; kind < 3; ++kind) {
    const std::string& bytes = kinds[kind];
    for (std::size_t cut = 0; cut < bytes.size(); ++cut)
      EXPECT_THROW(read(kind, bytes.substr(0, cut)), std::invalid_argument) << kind << " " << cut;
    EXPECT_THROW(read(kind, bytes + "x"), std::invalid_argument) << kind;
    EXPECT_THROW(read(kind, kinds[(kind + 1) % 3]), std::invalid_argument) << kind;
    // A count far beyond the bytes is refused before anything is allocated for it.
    std::string huge = bytes;
    huge.replace(4, 4, "\xff\xff\xff\x7f");
    EXPECT_THROW(read(kind, huge), std::invalid_argument) << kind;
  }
}

// Reads that must fail with `why` in the message.
template <typename Read>
void refuses(Read&& read, const std::string& why) {
  try {
    read();
    ADD_FAILURE() << "accepted: " << why;
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(why), std::string::npos) << e.what();
  }
}

TEST(ResultsBinary, RefusesWhatTheRowsCouldNotHold) {
  auto metrics = some_metrics();
  metrics[0].name = "";
  refuses([&] { metrics_from_binary(metrics_to_binary(metrics)); }, "without a name");
  metrics = some_metrics();
  metrics[0].slice_value = "EU";
  refuses([&] { metrics_from_binary(metrics_to_binary(metrics)); }, "a slice value without a key");
  metrics = some_metrics();
  metrics[2].n = -1;
  refuses([&] { metrics_from_binary(metrics_to_binary(metrics)); }, "a negative n");
  metrics = some_metrics();
  std::swap(metrics[2], metrics[3]);
  refuses([&] { metrics_from_binary(metrics_to_binary(metrics)); }, "out of order");

  auto predictions = some_predictions();
  std::swap(predictions[0], predictions[1]);
  refuses([&] { predictions_from_binary(predictions_to_binary(predictions)); },
          "ids not in increasing order");
  predictions = some_predictions();
  predictions[1] = predictions[0];
  refuses([&] { predictions_from_binary(predictions_to_binary(predictions)); },
          "ids not in increasing order");
  predictions = some_predictions();
  std::swap(predictions[0].slices[0], predictions[0].slices[1]);
  refuses([&] { predictions_from_binary(predictions_to_binary(predictions)); },
          "slices not sorted");
  predictions = some_predictions();
  predictions[1].scores[1].first = predictions[1].scores[0].first;
  refuses([&] { predictions_from_binary(predictions_to_binary(predictions)); },
          "scores not sorted");

  auto tests = some_tests();
  std::string bytes = tests_to_binary({tests[0]});
  // magic, count, name, classname: then the status byte.
  const std::size_t status_at = 4 + 4 + 4 + tests[0].name.size() + 4 + tests[0].classname.size();
  bytes[status_at] = 9;
  refuses([&] { tests_from_binary(bytes); }, "unknown status");
  bytes = predictions_to_binary({some_predictions()[0]});
  bytes[4 + 4 + 4 + 3 + 4 + 1] = 8;  // the flags after id "a-1" and label "1"
  refuses([&] { predictions_from_binary(bytes); }, "unknown flags");
}

}  // namespace
}  // namespace mlgate::core
