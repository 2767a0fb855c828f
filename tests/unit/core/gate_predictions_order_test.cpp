// The predictions check compares ids by walking both sides when each is in strictly increasing id
// order (as the store reads them back), and through an index of the baseline otherwise
// (core/gate.cpp, check_predictions). Both must judge alike, reason, examples and all: the baseline
// reversed (the index's way; the order of distinct baseline ids does not matter to it) is compared
// with the baseline in order, on random predictions with common, missing and flipped ids, equal
// score changes and non-finite scores.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "core/gate.h"

namespace mlgate::core {
namespace {

struct Sides {
  std::vector<Prediction> candidate;
  std::vector<Prediction> baseline;
};

std::string id_of(int i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "case-%05d", i);
  return buf;
}

std::optional<double> random_score(std::mt19937& rng, int kind) {
  std::uniform_int_distribution<int> pick(0, 19);
  const int p = pick(rng);
  if (p == 0) return std::nullopt;
  if (kind == 0 && p == 1) return std::numeric_limits<double>::quiet_NaN();
  return static_cast<double>(pick(rng)) / 8.0;  // coarse: equal changes happen
}

Sides random_sides(unsigned seed, int ids) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> pick(0, 9);
  Sides s;
  const int nan_kind = seed % 3 == 0 ? 0 : 1;  // a third of the runs have non-finite scores
  for (int i = 0; i < ids; ++i) {
    const int where = pick(rng);  // 0: candidate only, 1: baseline only, else both
    const std::string label = pick(rng) < 5 ? "1" : "0";
    if (where != 1) s.candidate.push_back({id_of(i), label, random_score(rng, nan_kind)});
    if (where != 0) {
      const std::string base_label = pick(rng) < 2 ? (label == "1" ? "0" : "\"1\"") : label;
      s.baseline.push_back({id_of(i), base_label, random_score(rng, nan_kind)});
    }
  }
  return s;
}

std::string judged(const Sides& s, const std::vector<Prediction>& baseline) {
  GateConfig gate;
  gate.predictions = PredictionsCheck{.max_flip_rate = 0.2, .max_score_delta = 0.5};
  const RubricMapping rubric;
  const JobResults candidate{.predictions = s.candidate};
  const JobResults base{.predictions = baseline};
  return gate_result_json(evaluate_gate(
      GateInput{.gate = gate, .rubric = rubric, .candidate = candidate, .baseline = &base}));
}

TEST(GatePredictionsOrder, WalkingSortedIdsJudgesAsTheIndexDoes) {
  for (unsigned seed = 1; seed <= 200; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    const Sides s = random_sides(seed, 1 + static_cast<int>(seed % 60));
    std::vector<Prediction> reversed = s.baseline;
    std::reverse(reversed.begin(), reversed.end());
    if (reversed.size() < 2) continue;  // one id is in order either way
    EXPECT_EQ(judged(s, s.baseline), judged(s, reversed));
  }
}

TEST(GatePredictionsOrder, ARepeatedIdStillCountsItsLastLine) {
  // Not strictly increasing (a repeated id): the index's way, the last line of an id counts.
  const std::vector<Prediction> candidate{{"a", "1", 0.5}, {"b", "0", 0.5}, {"b", "1", 0.5}};
  const std::vector<Prediction> baseline{{"a", "1", 0.5}, {"b", "1", 0.5}};
  const std::string json = judged(Sides{candidate, baseline}, baseline);
  EXPECT_NE(json.find("0 of 2 common ids changed label"), std::string::npos) << json;
}

}  // namespace
}  // namespace mlgate::core
