// The percentile bootstrap (Efron & Tibshirani 1993, ch. 13) over n examples, deterministic from a
// seed (core/seeded_rng.h): docs/gate.md "Statistics".
//
// A resample draws n examples with replacement; it is handed to the statistic as per-example
// multiplicities (weights, summing to n), which the example metrics evaluate in one pass
// (core/example_metrics.h). The interval is [q(a/2), q(1 - a/2)] of the resampled statistics,
// a = 1 - confidence, q numpy's default quantile (linear interpolation between order statistics:
// h = (m - 1) p, q = x[floor h] + (h - floor h)(x[floor h + 1] - x[floor h])). A resample whose
// statistic is NaN (a resample without positives for recall, ...) is counted in `undefined` and
// left out: the interval is then that of the defined resamples. Pure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <span>

#include "core/seeded_rng.h"

namespace mlgate::core {

struct BootstrapOptions {
  int resamples = 2000;      // 1 .. 1,000,000
  double confidence = 0.95;  // two-sided, in (0, 1)
  std::uint64_t seed = 0;    // e.g. seed_from({candidate sha, baseline sha, check name})
};

struct BootstrapInterval {
  double estimate = std::numeric_limits<double>::quiet_NaN();  // the statistic, every weight 1
  double lower = std::numeric_limits<double>::quiet_NaN();     // NaN when no resample is defined
  double upper = std::numeric_limits<double>::quiet_NaN();
  int resamples = 0;  // drawn
  int undefined = 0;  // of those, statistic NaN (left out of the quantiles)
};

// The statistic of one resample: weights[i] is how many times example i was drawn.
using BootstrapStatistic = std::function<double(std::span<const std::uint32_t> weights)>;

// One statistic's interval over n examples. n = 0 gives resamples 0 and NaN bounds. Throws
// std::invalid_argument for resamples or confidence out of range.
BootstrapInterval bootstrap_interval(std::size_t n, const BootstrapStatistic& statistic,
                                     const BootstrapOptions& options = {});

// Paired: n examples that both sides have (candidate[i] and baseline[i] the same example); each
// resample weighs both alike and the statistic is candidate(w) - baseline(w) (NaN when either
// is NaN).
BootstrapInterval paired_bootstrap_difference(std::size_t n, const BootstrapStatistic& candidate,
                                              const BootstrapStatistic& baseline,
                                              const BootstrapOptions& options = {});

// n draws with replacement from n examples (SeededRng::below32), as multiplicities in weights
// (size n, overwritten).
void draw_resample(SeededRng& rng, std::span<std::uint32_t> weights);

// numpy.quantile(x, p) (method "linear") of sorted, finite, non-empty x; p in [0, 1].
double linear_quantile(std::span<const double> sorted, double p);

}  // namespace mlgate::core
