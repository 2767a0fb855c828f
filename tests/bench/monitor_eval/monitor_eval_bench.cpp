// The cost of one production monitor evaluation over a window of 100,000 observations
// (docs/monitoring.md, docs/bench.md "monitor-eval"), next to the floor measured in the same run:
// parsing those rows (core/observations.h, as the intake does) and folding them into a profile.
// The evaluation is what the monitor worker computes once the store has read its inputs: the
// window's partial profiles (one per 5-minute storage window, as the intake stores them) merged,
// the windows of the previous 24 hours merged, then core::evaluate_monitor with drift on every
// feature (skew and drift), prediction drift, missing values, quality with an interval from the
// kept rows with truth (1,000 per storage window: 12,000), and staleness. All in memory; prints
// the median of several runs (CPU time of the thread), asserts nothing. The SQL that reads the
// partials is not included.
//
//   build/tests/bench_monitor_eval [--rows N] [--features F] [--repeats R]  (scripts/bench
//   monitor-eval)
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/feature_profile.h"
#include "core/monitor_eval.h"
#include "core/observations.h"
#include "core/seeded_rng.h"

namespace mlgate::core {
namespace {

struct Options {
  int rows = 100'000;
  int features = 20;
  int repeats = 5;
};

double cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

double median_ms(int repeats, const std::function<void()>& run) {
  std::vector<double> times;
  for (int i = 0; i < repeats; ++i) {
    const double start = cpu_seconds();
    run();
    times.push_back((cpu_seconds() - start) * 1000);
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

// JSON lines as a serving client posts them: numeric features (shifted by `shift`), four
// categorical ones, a prediction and the truth; timestamps spread over `span` seconds from `t0`.
std::string observation_lines(const Options& o, double shift, double t0, double span,
                              std::uint64_t seed) {
  SeededRng rng(seed);
  const char* countries[] = {"de", "fr", "us", "jp"};
  std::string out;
  for (int i = 0; i < o.rows; ++i) {
    nlohmann::json f = nlohmann::json::object();
    for (int j = 0; j < o.features - 4; ++j)
      f["f" + std::to_string(j)] = std::round((rng.uniform() * 2 - 1 + shift) * 1e6) / 1e6;
    f["country"] = countries[static_cast<int>(rng.uniform() * 4) % 4];
    f["device"] = rng.uniform() < 0.5 ? "ios" : "android";
    f["age"] = 18 + static_cast<int>(rng.uniform() * 72);
    f["premium"] = rng.uniform() < 0.2;
    const bool label = rng.uniform() < 0.5;
    out +=
        nlohmann::json{{"id", "row-" + std::to_string(i)},
                       {"ts", t0 + span * i / o.rows},
                       {"features", f},
                       {"prediction", {{"label", label ? "yes" : "no"}, {"score", rng.uniform()}}},
                       {"truth", rng.uniform() < 0.9 ? label : !label}}
            .dump() +
        "\n";
  }
  return out;
}

// Parses the lines in batches of at most 10,000 rows (the intake's limit per batch).
std::vector<ObservationRow> parse(const std::string& text) {
  std::vector<ObservationRow> rows;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = start;
    for (int n = 0; n < 10'000 && end < text.size(); ++n) end = text.find('\n', end) + 1;
    auto parsed = parse_observation_lines(std::string_view(text).substr(start, end - start), {});
    if (parsed.error) {
      std::fprintf(stderr, "parse error: %s\n", parsed.error->message.c_str());
      std::exit(1);
    }
    for (auto& r : parsed.rows) rows.push_back(std::move(r));
    start = end;
  }
  return rows;
}

// The window as the store holds it: one partial profile per 5-minute storage window.
std::vector<DatasetProfile> partials(std::vector<ObservationRow> rows) {
  std::vector<DatasetProfile> out;
  for (auto& [key, profile] : fold_observations(rows, {{0, "sha"}}, 7)) out.push_back(profile);
  return out;
}

DatasetProfile merged(const std::vector<DatasetProfile>& parts) {
  DatasetProfile all;
  for (const auto& p : parts) all = merge_profiles(all, p, 11);
  return all;
}

MonitorConfig monitor_config() {
  MonitorConfig c;
  c.environment = "production";
  c.drift = {{.feature = "*"}};
  c.prediction_drift = DriftRule{};
  c.missing_max_share = 0.05;
  c.quality = {{.metric = "accuracy", .min = 0.8, .min_n = 200, .confidence = 0.95}};
  c.staleness_max_age_seconds = 30 * 24 * 3600;
  return c;
}

std::vector<Prediction> kept_rows(const std::vector<ObservationRow>& rows, std::size_t n) {
  std::vector<Prediction> out;
  for (std::size_t i = 0; i < rows.size() && out.size() < n; ++i) {
    const auto& r = rows[i];
    out.push_back({.id = r.id,
                   .label = r.prediction["label"].get<std::string>(),
                   .score = r.prediction["score"].get<double>(),
                   .truth = r.truth.get<bool>() ? "yes" : "no"});
  }
  return out;
}

Options parse_args(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const int v = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--rows") == 0) o.rows = std::clamp(v, 1000, 1'000'000);
    if (std::strcmp(argv[i], "--features") == 0) o.features = std::clamp(v, 5, 400);
    if (std::strcmp(argv[i], "--repeats") == 0) o.repeats = std::clamp(v, 1, 50);
  }
  return o;
}

int run(int argc, char** argv) {
  const Options o = parse_args(argc, argv);
  const double now = 1'800'000'000;
  const std::string window_text = observation_lines(o, 0.3, now - 3600, 3600, 1);
  const std::string previous_text = observation_lines(o, 0.0, now - 90'000, 86'400, 2);
  Options ref_options = o;
  ref_options.rows = 10'000;
  const std::string reference_text = observation_lines(ref_options, 0.0, now - 1e6, 1, 3);

  std::vector<DatasetProfile> window_parts;
  const double floor_ms =
      median_ms(o.repeats, [&] { window_parts = partials(parse(window_text)); });
  const auto window_rows = parse(window_text);
  const auto previous_parts = partials(parse(previous_text));
  ProfileBuilder ref_builder(5);
  for (const auto& r : parse(reference_text)) ref_builder.add_row(r.features, &r.prediction);
  const DatasetProfile reference = std::move(ref_builder).finish();
  const auto kept = kept_rows(window_rows, kObservationSamplePerWindow * window_parts.size());
  std::vector<const Prediction*> kept_ptrs;
  for (const auto& p : kept) kept_ptrs.push_back(&p);
  const MonitorConfig config = monitor_config();

  DatasetProfile current, previous;
  const double merge_ms = median_ms(o.repeats, [&] {
    current = merged(window_parts);
    previous = merged(previous_parts);
  });
  MonitorEvaluation e;
  const double eval_ms = median_ms(o.repeats, [&] {
    MonitorInputs in;
    in.config = &config;
    in.reference = &reference;
    in.current = &current;
    in.previous = &previous;
    in.quality_rows = kept_ptrs;
    in.trained_at = static_cast<std::int64_t>(now) - 3600;
    in.now = static_cast<std::int64_t>(now);
    e = evaluate_monitor(in);
  });
  std::printf(
      "monitor-eval: a window of %d rows x %d features (%zu storage windows), previous 24 h "
      "of %d rows (%zu), reference 10000 rows, %zu kept rows with truth; median of %d\n",
      o.rows, o.features, window_parts.size(), o.rows, previous_parts.size(), kept.size(),
      o.repeats);
  std::printf("  floor: parse + fold the window's rows   %9.1f ms\n", floor_ms);
  std::printf("  merge the partial profiles             %9.1f ms\n", merge_ms);
  std::printf("  evaluate (%zu findings, state %s)    %9.1f ms\n", e.findings.size(),
              std::string(to_string(e.state)).c_str(), eval_ms);
  std::printf("  evaluation (merge + evaluate)          %9.1f ms = %.3fx the floor\n",
              merge_ms + eval_ms, (merge_ms + eval_ms) / floor_ms);
  return 0;
}

}  // namespace
}  // namespace mlgate::core

int main(int argc, char** argv) {
  return mlgate::core::run(argc, argv);
}
