// The drift tests (core/drift_tests.h) against SciPy 1.10 and numpy in the real image, on seeded
// data: KS p-values (exact, equal and unequal sizes, ties), chi-square, the z-test, normalised
// Wasserstein, Jensen-Shannon and PSI with Evidently's binning, Evidently's default choice of test,
// and chi-square survival values; to 1e-9. The reference:
// `docker run --network none mlgate/python-ml:bookworm python3 /data/check.py`
// (tests/integration/core/drift_check.py).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/drift_tests.h"
#include "core/feature_profile.h"
#include "core/seeded_rng.h"
#include "core/stats.h"
#include "tests/support/python_image.h"
#include "tests/support/temp_dir.h"
#include "util/child_process.h"

namespace mlgate::core {
namespace {

using nlohmann::json;

struct Case {
  bool numeric = true;
  json reference = json::array();
  json current = json::array();
  std::vector<DriftTest> tests;
};

// Roughly normal values (sum of uniforms), rounded to `step` (ties) when step > 0.
json normal_values(SeededRng& rng, int n, double mean, double sd, double step) {
  json out = json::array();
  for (int i = 0; i < n; ++i) {
    double x = 0;
    for (int k = 0; k < 12; ++k) x += rng.uniform();
    x = mean + (x - 6) * sd;
    out.push_back(step > 0 ? std::round(x / step) * step : x);
  }
  return out;
}

json categories(SeededRng& rng, int n, const std::vector<std::string>& names,
                const std::vector<double>& weights) {
  json out = json::array();
  double sum = 0;
  for (const double w : weights) sum += w;
  for (int i = 0; i < n; ++i) {
    double u = rng.uniform() * sum;
    std::size_t k = 0;
    while (k + 1 < names.size() && u >= weights[k]) u -= weights[k++];
    out.push_back(names[k]);
  }
  return out;
}

std::vector<Case> make_cases() {
  SeededRng rng(31);
  std::vector<Case> cases;
  const std::vector<DriftTest> numeric_tests{DriftTest::ks, DriftTest::wasserstein,
                                             DriftTest::jensenshannon, DriftTest::psi};
  struct Sizes {
    int n1, n2;
    double shift, step;
  };
  for (const Sizes s : {Sizes{10, 12, 0.5, 0}, Sizes{50, 50, 0.3, 0}, Sizes{100, 80, 0.2, 0.5},
                        Sizes{300, 1000, 0.1, 0}, Sizes{1000, 1000, 0.05, 0.1},
                        Sizes{997, 250, 0.0, 0}, Sizes{7, 500, 1.0, 0}, Sizes{1000, 999, 0.1, 1},
                        Sizes{400, 600, 0.0, 0.25}, Sizes{25, 25, 2.0, 0}}) {
    cases.push_back({true, normal_values(rng, s.n1, 10, 2, s.step),
                     normal_values(rng, s.n2, 10 + s.shift * 2, 2.2, s.step), numeric_tests});
  }
  const std::vector<DriftTest> counted{DriftTest::chi2, DriftTest::z, DriftTest::jensenshannon,
                                       DriftTest::psi};
  // Few distinct numbers: binary and four values.
  cases.push_back({true,
                   normal_values(rng, 200, 0.5, 0.05, 1),
                   normal_values(rng, 150, 0.6, 0.05, 1),
                   {DriftTest::z, DriftTest::jensenshannon, DriftTest::psi}});
  cases.push_back({true,
                   normal_values(rng, 500, 2, 0.6, 1),
                   normal_values(rng, 300, 2.2, 0.6, 1),
                   {DriftTest::chi2, DriftTest::jensenshannon, DriftTest::psi}});
  const std::vector<std::string> names{"red", "green", "blue", "grey"};
  cases.push_back({false, categories(rng, 800, names, {4, 3, 2, 1}),
                   categories(rng, 600, names, {3, 3, 3, 1}), counted});
  cases.push_back({false, categories(rng, 2000, names, {4, 3, 2, 1}),
                   categories(rng, 900, names, {4, 3, 2, 1}), counted});
  cases.push_back({false, categories(rng, 300, {"yes", "no"}, {1, 3}),
                   categories(rng, 120, {"yes", "no"}, {1, 2}), counted});
  // A category the reference never saw: chi-square p = 0, PSI with the fill.
  cases.push_back({false,
                   categories(rng, 100, {"a", "b"}, {1, 1}),
                   categories(rng, 100, {"a", "b", "c"}, {1, 1, 0.2}),
                   {DriftTest::chi2, DriftTest::jensenshannon, DriftTest::psi}});
  return cases;
}

FeatureProfile profile_of(const json& values) {
  ProfileBuilder b(3);
  for (const json& v : values) b.add_row({{"f", v}}, nullptr);
  return std::move(b).finish().features.at("f");
}

json chi2_points() {
  json out = json::array();
  for (double df : {1.0, 2.0, 3.0, 5.0, 10.0, 30.0, 99.0, 199.0}) {
    for (double x : {1e-6, 0.1, 1.0, 3.0, 10.0, 50.0, 150.0, 300.0}) out.push_back({x, df});
  }
  return out;
}

json run_reference(const std::vector<Case>& cases) {
  testing::TempDir dir("mlgate-drift");
  json request = {{"cases", json::array()}, {"chi2_sf", chi2_points()}};
  for (const Case& c : cases) {
    json tests = json::array();
    for (const DriftTest t : c.tests) tests.push_back(to_string(t));
    request["cases"].push_back({{"numeric", c.numeric},
                                {"reference", c.reference},
                                {"current", c.current},
                                {"tests", tests}});
  }
  testing::write_file(dir.path() / "request.json", request.dump());
  return testing::run_python_reference(dir, "drift_check.py");
}

TEST(DriftParity, EveryTestAndTheDefaultChoiceAgainstScipy) {
  if (const std::string why = testing::docker_missing(); !why.empty()) {
    GTEST_SKIP() << "Docker is absent (" << why << ")";
  }
  const std::vector<Case> cases = make_cases();
  const json ref = run_reference(cases);
  ASSERT_FALSE(ref.is_null());
  EXPECT_EQ(ref["versions"]["scipy"], "1.10.1");
  double worst = 0;
  int compared = 0;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const FeatureProfile r = profile_of(cases[i].reference), c = profile_of(cases[i].current);
    const json& want = ref["cases"][i];
    EXPECT_EQ(to_string(default_drift_test(r, c)), want["default"]) << "case " << i;
    for (const DriftTest t : cases[i].tests) {
      const auto got = run_drift_test(t, r, c);
      ASSERT_TRUE(got) << "case " << i << " " << to_string(t);
      const double w = want["values"][to_string(t)].get<double>();
      EXPECT_NEAR(got->score, w, 1e-9 * std::max(1.0, std::fabs(w)))
          << "case " << i << " " << to_string(t);
      worst = std::max(worst, std::fabs(got->score - w));
      ++compared;
    }
  }
  EXPECT_EQ(compared, 10 * 4 + 3 + 3 + 4 * 3 + 3);
  std::cout << "[ info ] largest difference to SciPy over " << compared << " tests: " << worst
            << "\n";
  const json points = chi2_points();
  for (std::size_t i = 0; i < points.size(); ++i) {
    const double want = ref["chi2_sf"][i];
    EXPECT_NEAR(chi_square_sf(points[i][0], points[i][1]), want, 1e-12 * std::max(want, 1e-300))
        << points[i].dump();
  }
}

}  // namespace
}  // namespace mlgate::core
