// The cost of the gate's paired bootstrap (docs/gate.md "Statistics"): for accuracy, recall,
// roc_auc and log_loss, a paired percentile bootstrap of 2,000 resamples over 10,000 examples
// (candidate and baseline, the same resample for both), next to the floor measured in the same
// run: one plain pass of the metric over the 10,000 examples. Also the resampling alone (2,000
// draws of 10,000 multiplicities, with a statistic that reads one weight). All in memory; prints
// numbers (CPU time of the thread, the median of several runs), asserts nothing.
//
//   build/tests/bench_stats [--examples N] [--resamples B] [--repeats R]      (scripts/bench stats)
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "core/bootstrap.h"
#include "core/example_metrics.h"
#include "core/example_rows.h"
#include "core/seeded_rng.h"

namespace mlgate::core {
namespace {

struct Options {
  int examples = 10'000;
  int resamples = 2'000;
  int repeats = 5;
};

// Candidate and baseline predictions of one binary evaluation set: scores with 3 decimals (some
// ties), labels from the scores; the candidate a little better.
std::vector<Prediction> predictions(int n, double skill, std::uint64_t seed) {
  SeededRng truth_rng(1);
  SeededRng rng(seed);
  std::vector<Prediction> out(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    const bool y = truth_rng.uniform() < 0.3;
    const double s = std::clamp((y ? skill : 1 - skill) + (rng.uniform() - 0.5) * 0.8, 0.0, 1.0);
    out[i].id = std::to_string(i);
    out[i].truth = y ? "1" : "0";
    out[i].score = std::round(s * 1000) / 1000;
    out[i].label = *out[i].score >= 0.5 ? "1" : "0";
  }
  return out;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// CPU seconds of this thread: on a shared machine, time spent descheduled is not counted.
double cpu_now() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

template <class F>
double seconds(F&& f) {
  const double start = cpu_now();
  f();
  return cpu_now() - start;
}

PreparedMetric prepare(ExampleMetric m, const ExampleRows& rows) {
  auto r = PreparedMetric::prepare(m, rows);
  if (auto* e = std::get_if<std::string>(&r)) {
    std::fprintf(stderr, "bench_stats: %s\n", e->c_str());
    std::exit(1);
  }
  return std::get<PreparedMetric>(std::move(r));
}

// One plain pass (every weight 1): 2,000 passes timed together, the median of 5 such runs.
double plain_pass(const PreparedMetric& m) {
  const std::vector<std::uint32_t> ones(m.size(), 1);
  std::vector<double> times;
  volatile double sink = 0;
  for (int r = 0; r < 5; ++r) {
    times.push_back(seconds([&] {
                      for (int i = 0; i < 2000; ++i) sink = m.evaluate(ones).value;
                    }) /
                    2000);
  }
  (void)sink;
  return median(times);
}

void measure(ExampleMetric metric, const PairedRows& pairs, const Options& o) {
  const PreparedMetric c = prepare(metric, pairs.candidate);
  const PreparedMetric b = prepare(metric, pairs.baseline);
  const double floor = plain_pass(c);
  const BootstrapOptions bo{.resamples = o.resamples, .confidence = 0.95, .seed = 7};
  BootstrapInterval interval;
  std::vector<double> times;
  for (int r = 0; r < o.repeats; ++r) {
    times.push_back(seconds([&] {
      interval = paired_bootstrap_difference(
          c.size(), [&](std::span<const std::uint32_t> w) { return c.evaluate(w).statistic(); },
          [&](std::span<const std::uint32_t> w) { return b.evaluate(w).statistic(); }, bo);
    }));
  }
  const double t = median(times);
  std::printf("%-9s  %8.2f ms  %8.1f us  %9.0f  %+.4f [%+.4f, %+.4f]  %d\n",
              to_string(metric).c_str(), t * 1e3, floor * 1e6, t / floor, interval.estimate,
              interval.lower, interval.upper, interval.undefined);
}

void measure_resampling(std::size_t n, const Options& o) {
  const BootstrapOptions bo{.resamples = o.resamples, .confidence = 0.95, .seed = 7};
  std::vector<double> times;
  for (int r = 0; r < o.repeats; ++r) {
    times.push_back(seconds([&] {
      bootstrap_interval(
          n, [](std::span<const std::uint32_t> w) { return 1.0 * w[0]; }, bo);
    }));
  }
  std::printf("%-9s  %8.2f ms  (%d draws of %zu multiplicities, no metric)\n", "resampling",
              median(times) * 1e3, o.resamples, n);
}

int read_int(const char* flag, const char* value, int lo, int hi) {
  const int v = value ? std::atoi(value) : 0;
  if (v < lo || v > hi) {
    std::fprintf(stderr, "bench_stats: %s must be from %d to %d\n", flag, lo, hi);
    std::exit(2);
  }
  return v;
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const char* next = i + 1 < argc ? argv[i + 1] : nullptr;
    if (!std::strcmp(argv[i], "--examples")) {
      o.examples = read_int(argv[i], next, 10, 1'000'000), ++i;
    } else if (!std::strcmp(argv[i], "--resamples")) {
      o.resamples = read_int(argv[i], next, 1, 100'000), ++i;
    } else if (!std::strcmp(argv[i], "--repeats")) {
      o.repeats = read_int(argv[i], next, 1, 100), ++i;
    } else {
      std::fprintf(stderr, "usage: bench_stats [--examples N] [--resamples B] [--repeats R]\n");
      std::exit(2);
    }
  }
  return o;
}

}  // namespace
}  // namespace mlgate::core

int main(int argc, char** argv) {
  using namespace mlgate::core;
  const Options o = parse(argc, argv);
  const std::vector<Prediction> cand = predictions(o.examples, 0.72, 2);
  const std::vector<Prediction> base = predictions(o.examples, 0.70, 3);
  const PairedRows pairs = pair_by_id(cand, base);
  std::printf("paired percentile bootstrap, %d resamples over %zu examples, median of %d runs\n",
              o.resamples, pairs.candidate.size(), o.repeats);
  std::printf("%-9s  %11s  %11s  %9s  %s\n", "metric", "bootstrap", "one pass", "ratio",
              "difference [95% interval]  undefined");
  for (ExampleMetric m : {ExampleMetric::accuracy, ExampleMetric::recall, ExampleMetric::roc_auc,
                          ExampleMetric::log_loss}) {
    measure(m, pairs, o);
  }
  measure_resampling(pairs.candidate.size(), o);
  return 0;
}
