// The gate's results in memory (server/services/gate_results_cache.h): read once per key, bounded
// by bytes with the least recently used dropped first, so the deployed commit's results stay while
// new candidates pass through.
#include "server/services/gate_results_cache.h"

#include <gtest/gtest.h>

namespace mlgate::server {
namespace {

core::JobResults results_with(int predictions, const std::string& label = "1") {
  core::JobResults r;
  for (int i = 0; i < predictions; ++i)
    r.predictions.push_back({"example-" + std::to_string(i), label, 0.5});
  return r;
}

TEST(GateResultsCache, ReadsAKeyOnceAndItsNewKeyAgain) {
  GateResultsCache cache(64 * 1024 * 1024);
  int loads = 0;
  auto load = [&] {
    ++loads;
    return results_with(10);
  };
  auto first = cache.get_or_load("7\np7:passed|j1:passed:1", load);
  auto again = cache.get_or_load("7\np7:passed|j1:passed:1", load);
  EXPECT_EQ(loads, 1);
  EXPECT_EQ(first, again);  // the same object, not a copy
  // Replacing a job's results changes the pipeline's marker (store/gate_inputs.h): a new key.
  auto replaced = cache.get_or_load("7\np7:passed|j1:passed:1|t99", [&] {
    ++loads;
    return results_with(10, "0");
  });
  EXPECT_EQ(loads, 2);
  EXPECT_EQ(replaced->predictions.front().label, "0");
}

TEST(GateResultsCache, StaysWithinItsBytesDroppingTheLeastRecentlyUsed) {
  const std::size_t one = approximate_bytes(results_with(1000));
  ASSERT_GT(one, 1000u * 10);
  GateResultsCache cache(one * 3 + one / 2);  // room for three
  int baseline_loads = 0;
  auto baseline = [&] {
    ++baseline_loads;
    return results_with(1000);
  };
  cache.get_or_load("baseline", baseline);
  for (int i = 0; i < 50; ++i) {
    cache.get_or_load("candidate " + std::to_string(i), [] { return results_with(1000); });
    cache.get_or_load("baseline", baseline);  // every decision uses it: it is never the oldest
    EXPECT_LE(cache.bytes(), one * 3 + one / 2);
    EXPECT_LE(cache.size(), 3u);
  }
  EXPECT_EQ(baseline_loads, 1);
}

TEST(GateResultsCache, ReturnsButDoesNotKeepWhatIsLargerThanTheBound) {
  GateResultsCache cache(approximate_bytes(results_with(10)) * 2);
  int loads = 0;
  auto large = [&] {
    ++loads;
    return results_with(1000);
  };
  EXPECT_EQ(cache.get_or_load("large", large)->predictions.size(), 1000u);
  EXPECT_EQ(cache.get_or_load("large", large)->predictions.size(), 1000u);
  EXPECT_EQ(loads, 2);
  EXPECT_EQ(cache.size(), 0u);
  EXPECT_EQ(cache.bytes(), 0u);
}

TEST(GateResultsCache, CountsEveryKindOfResult) {
  core::JobResults r;
  const std::size_t empty = approximate_bytes(r);
  r.tests.push_back({"test_schema", "tests.data", core::TestStatus::passed, 0.1, "", {"data-1"}});
  const std::size_t with_test = approximate_bytes(r);
  EXPECT_GT(with_test, empty);
  r.metrics.push_back({"accuracy", "region", "north", 10, 0.9});
  EXPECT_GT(approximate_bytes(r), with_test);
  const std::size_t with_metric = approximate_bytes(r);
  r.repeat_predictions.push_back(results_with(100).predictions);
  EXPECT_GT(approximate_bytes(r), with_metric + 100 * sizeof(core::Prediction));
}

}  // namespace
}  // namespace mlgate::server
