// The Prometheus text exposition format, version 0.0.4 (what GET /metrics answers; docs/metrics.md
// says why it is written here rather than taken from prometheus-cpp). Pure: families of samples in,
// text out.
//   # HELP <name> <help, with \ and newline escaped>
//   # TYPE <name> counter|gauge|histogram
//   <name>{<label>="<value, with \ " and newline escaped>",...} <value>
// A histogram family writes <name>_bucket{...,le="<bound>"} with cumulative counts ending in
// le="+Inf", then <name>_sum and <name>_count, for each label set.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mlgate::core {

using MetricLabels = std::vector<std::pair<std::string, std::string>>;  // in output order

enum class MetricType { counter, gauge, histogram };

struct MetricSample {
  MetricLabels labels;
  double value = 0;
};

// One label set of a histogram. bucket_counts[i] counts the observations that fell in bucket i
// alone (upper bound bounds[i], inclusive); bucket_counts has one more entry than bounds, the
// observations above the last bound. The exposition makes them cumulative.
struct HistogramSample {
  MetricLabels labels;
  std::vector<std::uint64_t> bucket_counts;
  double sum = 0;
};

struct MetricFamily {
  std::string name;
  std::string help;
  MetricType type = MetricType::counter;
  std::vector<MetricSample> samples;        // counter and gauge
  std::vector<double> bounds;               // histogram: ascending upper bounds, without +Inf
  std::vector<HistogramSample> histograms;  // histogram
};

// Renders the families in order. A family without samples still gets its HELP and TYPE lines.
// Throws std::invalid_argument for a metric or label name the format does not allow, a histogram
// whose bounds are not strictly ascending, or a sample whose bucket counts do not fit its bounds.
std::string render_prometheus_text(const std::vector<MetricFamily>& families);

// `\` → `\\`, `"` → `\"`, newline → `\n`; everything else as is (UTF-8 passes through).
std::string escape_label_value(std::string_view value);
// `\` → `\\`, newline → `\n` (HELP text keeps its quotes).
std::string escape_help(std::string_view help);
// A sample value or bucket bound: integers without exponent or decimals ("42"), others with
// enough digits to read back the same double ("0.25"), and "+Inf", "-Inf", "NaN".
std::string format_metric_value(double value);

// [a-zA-Z_:][a-zA-Z0-9_:]* and [a-zA-Z_][a-zA-Z0-9_]* (names starting with __ are reserved).
bool valid_metric_name(std::string_view name);
bool valid_label_name(std::string_view name);

// Where `value` falls among ascending `bounds`: the first i with value <= bounds[i], or
// bounds.size() when above them all (the +Inf bucket).
std::size_t bucket_index(const std::vector<double>& bounds, double value);

}  // namespace mlgate::core
