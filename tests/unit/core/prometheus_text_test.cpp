#include "core/prometheus_text.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace mlgate::core {
namespace {

TEST(PrometheusText, CounterFamilyHasHelpTypeAndOneLinePerLabelSet) {
  MetricFamily f{"mlgate_webhook_deliveries_total", "Webhook deliveries.", MetricType::counter};
  f.samples.push_back({{{"forge", "github"}, {"verdict", "accepted"}}, 3});
  f.samples.push_back({{{"forge", "gitlab"}, {"verdict", "rejected"}}, 1});
  EXPECT_EQ(render_prometheus_text({f}),
            "# HELP mlgate_webhook_deliveries_total Webhook deliveries.\n"
            "# TYPE mlgate_webhook_deliveries_total counter\n"
            "mlgate_webhook_deliveries_total{forge=\"github\",verdict=\"accepted\"} 3\n"
            "mlgate_webhook_deliveries_total{forge=\"gitlab\",verdict=\"rejected\"} 1\n");
}

TEST(PrometheusText, GaugeWithoutLabelsHasNoBracesAndAnEmptyFamilyKeepsItsHeader) {
  MetricFamily up{"mlgate_database_up", "1 when PostgreSQL answered.", MetricType::gauge};
  up.samples.push_back({{}, 1});
  MetricFamily empty{"mlgate_queue_depth", "Jobs queued.", MetricType::gauge};
  EXPECT_EQ(render_prometheus_text({up, empty}),
            "# HELP mlgate_database_up 1 when PostgreSQL answered.\n"
            "# TYPE mlgate_database_up gauge\n"
            "mlgate_database_up 1\n"
            "# HELP mlgate_queue_depth Jobs queued.\n"
            "# TYPE mlgate_queue_depth gauge\n");
}

TEST(PrometheusText, LabelValuesEscapeBackslashQuoteAndNewlineOnly) {
  EXPECT_EQ(escape_label_value(R"(a\b"c)"
                               "\n"
                               "d\te é"),
            R"(a\\b\"c\nd)"
            "\te é");
  MetricFamily f{"m", "h", MetricType::counter};
  f.samples.push_back({{{"environment", "pro\"d\\\nx"}}, 1});
  EXPECT_EQ(render_prometheus_text({f}),
            "# HELP m h\n# TYPE m counter\nm{environment=\"pro\\\"d\\\\\\nx\"} 1\n");
}

TEST(PrometheusText, HelpEscapesBackslashAndNewlineButKeepsQuotes) {
  EXPECT_EQ(escape_help("say \"hi\"\\\nnext"), "say \"hi\"\\\\\\nnext");
  MetricFamily f{"m", "two\nlines", MetricType::gauge};
  EXPECT_EQ(render_prometheus_text({f}), "# HELP m two\\nlines\n# TYPE m gauge\n");
}

TEST(PrometheusText, ValuesAreIntegersWithoutDecimalsAndFloatsRoundTrip) {
  EXPECT_EQ(format_metric_value(0), "0");
  EXPECT_EQ(format_metric_value(-0.0), "0");
  EXPECT_EQ(format_metric_value(42), "42");
  EXPECT_EQ(format_metric_value(-7), "-7");
  EXPECT_EQ(format_metric_value(1e15), "1000000000000000");
  EXPECT_EQ(format_metric_value(0.25), "0.25");
  EXPECT_EQ(format_metric_value(0.1), "0.1");
  EXPECT_EQ(format_metric_value(1.5e300), "1.5e+300");
  EXPECT_EQ(format_metric_value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(format_metric_value(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(format_metric_value(std::nan("")), "NaN");
  for (double v : {1.0 / 3, 1781234567.123456, 2.5e-9, 123.456})
    EXPECT_EQ(std::strtod(format_metric_value(v).c_str(), nullptr), v) << v;
}

TEST(PrometheusText, HistogramBucketsAreCumulativeEndWithInfAndCarrySumAndCount) {
  MetricFamily f{"mlgate_job_duration_seconds", "Job durations.", MetricType::histogram};
  f.bounds = {1, 5, 60};
  // 2 at <= 1, 0 in (1, 5], 3 in (5, 60], 1 above 60.
  f.histograms.push_back({{{"tier", "functionality"}, {"outcome", "passed"}}, {2, 0, 3, 1}, 250.5});
  EXPECT_EQ(
      render_prometheus_text({f}),
      "# HELP mlgate_job_duration_seconds Job durations.\n"
      "# TYPE mlgate_job_duration_seconds histogram\n"
      "mlgate_job_duration_seconds_bucket{tier=\"functionality\",outcome=\"passed\",le=\"1\"} 2\n"
      "mlgate_job_duration_seconds_bucket{tier=\"functionality\",outcome=\"passed\",le=\"5\"} 2\n"
      "mlgate_job_duration_seconds_bucket{tier=\"functionality\",outcome=\"passed\",le=\"60\"} 5\n"
      "mlgate_job_duration_seconds_bucket{tier=\"functionality\",outcome=\"passed\",le=\"+Inf\"} "
      "6\n"
      "mlgate_job_duration_seconds_sum{tier=\"functionality\",outcome=\"passed\"} 250.5\n"
      "mlgate_job_duration_seconds_count{tier=\"functionality\",outcome=\"passed\"} 6\n");
}

TEST(PrometheusText, FractionalBucketBoundsAreWrittenAsNumbers) {
  MetricFamily f{"h", "x", MetricType::histogram};
  f.bounds = {0.005, 0.25};
  f.histograms.push_back({{}, {1, 0, 0}, 0.001});
  const auto text = render_prometheus_text({f});
  EXPECT_NE(text.find("h_bucket{le=\"0.005\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("h_bucket{le=\"0.25\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("h_bucket{le=\"+Inf\"} 1\n"), std::string::npos) << text;
}

TEST(PrometheusText, BucketIndexIsInclusiveOfTheUpperBound) {
  const std::vector<double> b = {1, 5, 60};
  EXPECT_EQ(bucket_index(b, 0), 0u);
  EXPECT_EQ(bucket_index(b, 1), 0u);
  EXPECT_EQ(bucket_index(b, 1.0001), 1u);
  EXPECT_EQ(bucket_index(b, 5), 1u);
  EXPECT_EQ(bucket_index(b, 60), 2u);
  EXPECT_EQ(bucket_index(b, 61), 3u);
  EXPECT_EQ(bucket_index({}, 3), 0u);
}

TEST(PrometheusText, NamesAreChecked) {
  EXPECT_TRUE(valid_metric_name("mlgate_http_requests_total"));
  EXPECT_TRUE(valid_metric_name("job:rate5m"));
  EXPECT_FALSE(valid_metric_name("1abc"));
  EXPECT_FALSE(valid_metric_name("a-b"));
  EXPECT_FALSE(valid_metric_name(""));
  EXPECT_TRUE(valid_label_name("route"));
  EXPECT_FALSE(valid_label_name("a:b"));
  EXPECT_FALSE(valid_label_name("9x"));
  MetricFamily bad_name{"bad-name", "h", MetricType::counter};
  EXPECT_THROW(render_prometheus_text({bad_name}), std::invalid_argument);
  MetricFamily bad_label{"m", "h", MetricType::counter};
  bad_label.samples.push_back({{{"a-b", "x"}}, 1});
  EXPECT_THROW(render_prometheus_text({bad_label}), std::invalid_argument);
  MetricFamily reserved{"m", "h", MetricType::counter};
  reserved.samples.push_back({{{"__name__", "x"}}, 1});
  EXPECT_THROW(render_prometheus_text({reserved}), std::invalid_argument);
}

TEST(PrometheusText, MalformedHistogramsAreRefused) {
  MetricFamily unsorted{"h", "x", MetricType::histogram};
  unsorted.bounds = {5, 1};
  EXPECT_THROW(render_prometheus_text({unsorted}), std::invalid_argument);
  MetricFamily short_counts{"h", "x", MetricType::histogram};
  short_counts.bounds = {1, 5};
  short_counts.histograms.push_back({{}, {1, 2}, 3});  // needs 3 counts
  EXPECT_THROW(render_prometheus_text({short_counts}), std::invalid_argument);
  MetricFamily le_label{"h", "x", MetricType::histogram};
  le_label.bounds = {1};
  le_label.histograms.push_back({{{"le", "1"}}, {1, 0}, 1});
  EXPECT_THROW(render_prometheus_text({le_label}), std::invalid_argument);
}

}  // namespace
}  // namespace mlgate::core
