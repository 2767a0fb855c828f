#include "core/bootstrap.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace mlgate::core {

void draw_resample(SeededRng& rng, std::span<std::uint32_t> weights) {
  std::fill(weights.begin(), weights.end(), 0u);
  const std::uint64_t n = weights.size();
  if (n <= UINT32_MAX) {
    // A local copy: its state stays in registers (weights could alias a member otherwise).
    SeededRng local = rng;
    const auto bound = static_cast<std::uint32_t>(n);
    std::uint32_t* w = weights.data();
    for (std::uint64_t i = 0; i < n; ++i) ++w[local.below32(bound)];
    rng = local;
    return;
  }
  for (std::uint64_t i = 0; i < n; ++i) ++weights[rng.below(n)];
}

double linear_quantile(std::span<const double> sorted, double p) {
  const double h = static_cast<double>(sorted.size() - 1) * p;
  const auto lo = static_cast<std::size_t>(std::floor(h));
  if (lo + 1 >= sorted.size()) return sorted.back();
  return sorted[lo] + (h - static_cast<double>(lo)) * (sorted[lo + 1] - sorted[lo]);
}

BootstrapInterval bootstrap_interval(std::size_t n, const BootstrapStatistic& statistic,
                                     const BootstrapOptions& options) {
  if (options.resamples < 1 || options.resamples > 1'000'000) {
    throw std::invalid_argument("bootstrap: resamples must be from 1 to 1000000, got " +
                                std::to_string(options.resamples));
  }
  if (!(options.confidence > 0.0 && options.confidence < 1.0)) {
    throw std::invalid_argument("bootstrap: confidence must be between 0 and 1");
  }
  BootstrapInterval out;
  if (n == 0) return out;
  std::vector<std::uint32_t> weights(n, 1u);
  out.estimate = statistic(weights);
  SeededRng rng(options.seed);
  std::vector<double> values;
  values.reserve(static_cast<std::size_t>(options.resamples));
  for (int b = 0; b < options.resamples; ++b) {
    draw_resample(rng, weights);
    const double v = statistic(weights);
    if (std::isnan(v)) {
      ++out.undefined;
    } else {
      values.push_back(v);
    }
  }
  out.resamples = options.resamples;
  if (values.empty()) return out;
  std::sort(values.begin(), values.end());
  const double alpha = 1.0 - options.confidence;
  out.lower = linear_quantile(values, alpha / 2.0);
  out.upper = linear_quantile(values, 1.0 - alpha / 2.0);
  return out;
}

BootstrapInterval paired_bootstrap_difference(std::size_t n, const BootstrapStatistic& candidate,
                                              const BootstrapStatistic& baseline,
                                              const BootstrapOptions& options) {
  return bootstrap_interval(
      n, [&](std::span<const std::uint32_t> w) { return candidate(w) - baseline(w); }, options);
}

}  // namespace mlgate::core
