// The online judge's Mann–Whitney U test and Hodges–Lehmann shift (core/online_judge.h) against
// SciPy 1.10 (scipy.stats.mannwhitneyu, method="asymptotic", use_continuity=True) and numpy's
// median of the pairwise differences, to 1e-9, on seeded samples: small and large, continuous and
// on a coarse grid (many ties), unshifted and shifted, of both signs. The reference runs in the
// real image: `docker run --network none mlgate/python-ml:bookworm python3 /data/check.py`
// (tests/integration/core/mannwhitney_check.py).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/online_judge.h"
#include "core/seeded_rng.h"
#include "tests/support/python_image.h"
#include "tests/support/temp_dir.h"
#include "util/child_process.h"

namespace mlgate::core {
namespace {

using nlohmann::json;

struct Case {
  std::vector<double> x;
  std::vector<double> y;
};

// n values: uniform on [0, 1) plus `shift`, or on a grid of `grid` steps (ties) when grid > 0.
std::vector<double> sample(SeededRng& rng, int n, double shift, int grid) {
  std::vector<double> v(n);
  for (double& x : v) {
    const double u = rng.uniform();
    x = (grid > 0 ? std::floor(u * grid) / grid : u) + shift;
  }
  return v;
}

std::vector<Case> cases() {
  SeededRng rng(31);
  std::vector<Case> out;
  const int sizes[][2] = {{3, 3}, {8, 5}, {1, 12}, {20, 30}, {100, 80}, {500, 700}, {2000, 1500}};
  for (const auto& n : sizes) {
    for (double shift : {0.0, 0.05, -0.3}) {
      for (int grid : {0, 10}) {
        out.push_back({sample(rng, n[0], shift - 0.4, grid), sample(rng, n[1], -0.4, grid)});
      }
    }
  }
  out.push_back({{1, 1, 1, 2}, {1, 1, 1, 1, 1}});  // nearly all tied
  return out;
}

json run_reference(const std::vector<Case>& all) {
  testing::TempDir dir("mlgate-mannwhitney");
  json request = {{"cases", json::array()}};
  for (const Case& c : all) request["cases"].push_back({{"x", c.x}, {"y", c.y}});
  testing::write_file(dir.path() / "request.json", request.dump());
  return testing::run_python_reference(dir, "mannwhitney_check.py");
}

TEST(OnlineJudgeParity, MannWhitneyAndHodgesLehmannMatchSciPy) {
  if (const std::string skip = testing::docker_missing(); !skip.empty())
    GTEST_SKIP() << "Docker is absent (" << skip << ")";
  const std::vector<Case> all = cases();
  const json ref = run_reference(all);
  ASSERT_FALSE(ref.is_null());
  ASSERT_EQ(ref["cases"].size(), all.size());
  double worst = 0;
  for (std::size_t i = 0; i < all.size(); ++i) {
    const Case& c = all[i];
    const json& r = ref["cases"][i];
    const MannWhitneyTest t = mann_whitney_u(c.x, c.y);
    const double shift = hodges_lehmann_shift(c.x, c.y);
    const std::string what = "case " + std::to_string(i) + " (" + std::to_string(c.x.size()) +
                             " vs " + std::to_string(c.y.size()) + ")";
    EXPECT_NEAR(t.u, r["u"].get<double>(), 1e-9 * std::max(1.0, t.u)) << what;
    EXPECT_NEAR(t.p_value, r["p"].get<double>(), 1e-9) << what;
    EXPECT_NEAR(shift, r["shift"].get<double>(), 1e-9) << what;
    worst = std::max({worst, std::fabs(t.p_value - r["p"].get<double>()),
                      std::fabs(shift - r["shift"].get<double>())});
  }
  std::cout << "[ info ] largest difference to SciPy/numpy: " << worst << "\n";
}

}  // namespace
}  // namespace mlgate::core
