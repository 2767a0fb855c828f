#include "core/forest_svg.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <regex>
#include <string>
#include <vector>

#include "core/forest_rows.h"

namespace mlgate::core {
namespace {

size_t count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (auto pos = haystack.find(needle); pos != std::string::npos;
       pos = haystack.find(needle, pos + 1))
    ++n;
  return n;
}

// Each row's point x, interval ends and threshold xs, in document order.
struct DrawnRow {
  double point = 0;
  double lo = NAN;
  double hi = NAN;
  std::vector<double> thresholds;
  double zero = NAN;
};

std::vector<DrawnRow> rows_of(const std::string& svg) {
  static const std::regex zero_re(R"re(<line class="zero" x1="([-0-9.]+)")re");
  static const std::regex row_re(R"re(<g class="row [a-z]+">.*?</g>)re");
  static const std::regex point_re(R"re(class="point"[^>]*data-x="([-0-9.]+)")re");
  static const std::regex interval_re(
      R"re(<line class="interval" x1="([-0-9.]+)" y1="[-0-9.]+" x2="([-0-9.]+)")re");
  static const std::regex threshold_re(R"re(<line class="threshold" x1="([-0-9.]+)")re");
  std::smatch m;
  double zero = NAN;
  if (std::regex_search(svg, m, zero_re)) zero = std::stod(m[1]);
  std::vector<DrawnRow> out;
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), row_re); it != std::sregex_iterator();
       ++it) {
    const std::string g = it->str();
    DrawnRow r;
    r.zero = zero;
    if (std::regex_search(g, m, point_re)) r.point = std::stod(m[1]);
    if (std::regex_search(g, m, interval_re)) {
      r.lo = std::stod(m[1]);
      r.hi = std::stod(m[2]);
    }
    for (auto t = std::sregex_iterator(g.begin(), g.end(), threshold_re);
         t != std::sregex_iterator(); ++t)
      r.thresholds.push_back(std::stod((*t)[1]));
    out.push_back(r);
  }
  return out;
}

TEST(ForestSvg, EachPointLiesOnItsIntervalAndTheThresholdSitsWhereItsValueIs) {
  std::vector<ForestRow> rows{{.label = "accuracy",
                               .delta = -0.04,
                               .lower = -0.07,
                               .upper = -0.01,
                               .thresholds = {{-0.02, "max_drop 0.02"}},
                               .status = "inconclusive"},
                              {.label = "recall",
                               .delta = 0.01,
                               .lower = -0.005,
                               .upper = 0.03,
                               .thresholds = {{-0.02, "max_drop 0.02"}},
                               .status = "pass"},
                              {.label = "latency",
                               .delta = -5,
                               .lower = -9,
                               .upper = -1,
                               .thresholds = {{10, "max_increase 10"}},
                               .status = "fail"}};
  const std::string svg = forest_svg(rows);
  const auto drawn = rows_of(svg);
  ASSERT_EQ(drawn.size(), 3u);
  for (const auto& r : drawn) {
    EXPECT_LE(r.lo, r.point);
    EXPECT_LE(r.point, r.hi);
    ASSERT_EQ(r.thresholds.size(), 1u);
  }
  // Zero at one x for all rows (each row on its own scale): thresholds and points on their side.
  EXPECT_LT(drawn[0].thresholds[0], drawn[0].zero);
  EXPECT_GT(drawn[2].thresholds[0], drawn[2].zero);
  EXPECT_GT(drawn[1].point, drawn[1].zero);
  EXPECT_LT(drawn[0].point, drawn[0].thresholds[0]);  // -0.04 is past max_drop's -0.02
  EXPECT_LT(drawn[2].point, drawn[2].zero);
  // Its own scale: the millisecond row's interval is as wide on the page as the rate rows'.
  EXPECT_GT(drawn[2].hi - drawn[2].lo, 100);
  EXPECT_GT(drawn[0].hi - drawn[0].lo, 100);
  EXPECT_NE(svg.find("text-anchor=\"end\">-5</text>"), std::string::npos);  // the number shown
  // The shapes and classes by status, and the numbers in words.
  EXPECT_NE(svg.find("<g class=\"row inconclusive\">"), std::string::npos);
  EXPECT_NE(svg.find("<g class=\"row fail\"><title>latency: change -5, interval [-9, -1], "
                     "max_increase 10 at 10, fail</title>"),
            std::string::npos)
      << svg;
  EXPECT_EQ(count(svg, "<rect class=\"point\""), 1u);
  EXPECT_EQ(count(svg, "<polygon class=\"point\""), 1u);
  EXPECT_EQ(count(svg, "<circle class=\"point\""), 1u);
  EXPECT_NE(svg.find("width=\"100%\" viewBox=\"0 0 640.00 "), std::string::npos);
}

TEST(ForestSvg, EscapesEveryLabelAndThresholdText) {
  const std::string evil = "<script>alert('x')</script>&\"";
  std::vector<ForestRow> rows{
      {.label = evil, .delta = 1, .thresholds = {{2, evil}}, .status = evil}};
  std::vector<SliceBar> bars{{.label = evil, .value = 0.5, .min = 0.4, .status = evil}};
  for (const std::string& svg : {forest_svg(rows), slice_bars_svg(bars)}) {
    EXPECT_EQ(svg.find("<script"), std::string::npos) << svg;
    EXPECT_EQ(svg.find("'x'"), std::string::npos);
    EXPECT_NE(svg.find("&lt;script&gt;alert(&#39;x&#39;)"), std::string::npos);
    EXPECT_EQ(svg.find("class=\"row " + evil), std::string::npos);  // status is a fixed class
  }
}

TEST(ForestSvg, LongLabelsAreCutInTheColumnAndWholeInTheTitle) {
  const std::string name(60, 'm');
  const std::string svg = forest_svg({{.label = name, .delta = 1}});
  EXPECT_NE(svg.find("<title>" + name + ": change 1</title>"), std::string::npos);
  EXPECT_NE(svg.find(">" + std::string(30, 'm') + "\u2026</text>"), std::string::npos);
}

TEST(ForestSvg, EmptyAndNonFiniteInputSaysSo) {
  EXPECT_NE(forest_svg({}).find("no metric change to draw"), std::string::npos);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  EXPECT_NE(forest_svg({{.label = "a", .delta = nan}}).find("no metric change to draw"),
            std::string::npos);
  EXPECT_NE(slice_bars_svg({}).find("no slice value to draw"), std::string::npos);
  EXPECT_EQ(forest_svg({}).find("<g class=\"row"), std::string::npos);
}

TEST(ForestSvg, RowsPastTheCapAreCounted) {
  std::vector<ForestRow> rows;
  for (int i = 0; i < 50; ++i) rows.push_back({.label = "m" + std::to_string(i), .delta = i * 0.1});
  const std::string svg = forest_svg(rows, {.max_rows = 30});
  EXPECT_EQ(count(svg, "<g class=\"row"), 30u);
  EXPECT_NE(svg.find("and 20 more"), std::string::npos);
  std::vector<SliceBar> bars;
  for (int i = 0; i < 45; ++i) bars.push_back({.label = "s" + std::to_string(i), .value = 0.5});
  const std::string b = slice_bars_svg(bars, {.max_rows = 40});
  EXPECT_EQ(count(b, "<g class=\"bar"), 40u);
  EXPECT_NE(b.find("and 5 more"), std::string::npos);
}

TEST(SliceBarsSvg, BarsStartAtZeroAndTheMinIsMarked) {
  const std::string svg =
      slice_bars_svg({{.label = "recall age=<30", .value = 0.5, .min = 0.8, .status = "fail"},
                      {.label = "recall age=30+", .value = 0.9, .min = 0.8, .status = "pass"},
                      {.label = "recall region=x", .value = 0.7}});
  static const std::regex bar_re(
      R"re(<rect class="value" x="([-0-9.]+)" y="[-0-9.]+" width="([-0-9.]+)")re");
  static const std::regex min_re(R"re(<line class="min" x1="([-0-9.]+)")re");
  std::vector<std::pair<double, double>> bars;
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), bar_re); it != std::sregex_iterator();
       ++it)
    bars.emplace_back(std::stod((*it)[1]), std::stod((*it)[2]));
  std::vector<double> mins;
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), min_re); it != std::sregex_iterator();
       ++it)
    mins.push_back(std::stod((*it)[1]));
  ASSERT_EQ(bars.size(), 3u);
  ASSERT_EQ(mins.size(), 2u);                          // the unchecked slice has none
  EXPECT_DOUBLE_EQ(bars[0].first, bars[1].first);      // a common zero
  EXPECT_LT(bars[0].first + bars[0].second, mins[0]);  // 0.5 ends short of min 0.8
  EXPECT_GT(bars[1].first + bars[1].second, mins[1]);  // 0.9 passes it
  EXPECT_NE(svg.find("<g class=\"bar fail\"><title>recall age=&lt;30: 0.5, min 0.8, fail</title>"),
            std::string::npos)
      << svg;
  EXPECT_NE(svg.find("<g class=\"bar unchecked\">"), std::string::npos);
}

TEST(ForestRows, ThresholdTextsBecomeChangesFromTheBaseline) {
  auto marks = change_marks("min 0.9, max_drop 2%, max_increase 0.5, max_spread 0.1", 0.8);
  ASSERT_EQ(marks.size(), 3u);
  EXPECT_NEAR(marks[0].at, 0.1, 1e-12);
  EXPECT_EQ(marks[0].label, "min 0.9");
  EXPECT_NEAR(marks[1].at, -0.016, 1e-12);
  EXPECT_EQ(marks[1].label, "max_drop 2%");
  EXPECT_NEAR(marks[2].at, 0.5, 1e-12);
  EXPECT_TRUE(change_marks("max_gap 0.1", 1).empty());
  EXPECT_TRUE(change_marks("garbage, min, max_drop x%", 1).empty());
  EXPECT_EQ(threshold_min("min 0.75, max 1"), 0.75);
  EXPECT_FALSE(threshold_min("max 1"));
}

TEST(ForestRows, OneRowPerMetricCheckWithABaseline) {
  StoredCheck bounds{.kind = "metric",
                     .name = "accuracy",
                     .status = "pass",
                     .value = 0.9,
                     .baseline = 0.92,
                     .threshold = "min 0.85"};
  bounds.value_bounds = std::pair(0.88, 0.93);
  StoredCheck change{.kind = "metric",
                     .name = "accuracy",
                     .status = "fail",
                     .value = 0.9,
                     .baseline = 0.92,
                     .threshold = "max_drop 0.01"};
  change.change_bounds = std::pair(-0.03, -0.012);
  StoredCheck no_base{
      .kind = "metric", .name = "f1", .status = "pass", .value = 0.8, .threshold = "min 0.5"};
  StoredCheck slice{.kind = "slice", .name = "recall[age=<30]", .value = 0.5, .baseline = 0.6};
  const auto rows = forest_rows({bounds, change, no_base, slice});
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].label, "accuracy (min)");
  EXPECT_NEAR(rows[0].delta, -0.02, 1e-12);
  EXPECT_NEAR(*rows[0].lower, -0.04, 1e-12);  // the value's interval, moved by the baseline
  EXPECT_NEAR(*rows[0].upper, 0.01, 1e-12);
  EXPECT_NEAR(rows[0].thresholds.at(0).at, -0.07, 1e-12);
  EXPECT_EQ(rows[1].label, "accuracy (max_drop)");
  EXPECT_EQ(*rows[1].lower, -0.03);
  EXPECT_EQ(rows[1].status, "fail");
  EXPECT_NEAR(rows[1].thresholds.at(0).at, -0.01, 1e-12);
}

TEST(ForestRows, ReadsTheIntervalsOfAStoredDecision) {
  StoredDecision d;
  read_decision_json(d,
                     R"([{"kind":"metric","name":"recall","status":"fail","value":0.8,)"
                     R"("baseline":0.9,"threshold":"max_drop 0.02","method":"paired bootstrap",)"
                     R"("interval":[0.75,0.85],"delta_interval":[-0.15,-0.05]}])",
                     "{}");
  ASSERT_EQ(d.checks.size(), 1u);
  ASSERT_TRUE(d.checks[0].change_bounds);
  EXPECT_EQ(d.checks[0].change_bounds->first, -0.15);
  EXPECT_EQ(d.checks[0].value_bounds->second, 0.85);
  std::vector<StoredDecision> ds(2, d);
  ds[0].environment = "staging";
  ds[1].environment = "production";
  EXPECT_EQ(plotted_decision(ds, "production"), &ds[1]);
  EXPECT_EQ(plotted_decision(ds, "qa"), &ds[0]);
  EXPECT_EQ(plotted_decision({}, "qa"), nullptr);
}

}  // namespace
}  // namespace mlgate::core
