#include "core/trend_svg.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <regex>
#include <string>
#include <vector>

namespace mlgate::core {
namespace {

struct Circle {
  double x = 0;
  double y = 0;
  std::string title;
};

// The data points (class "point ..."), in document order.
std::vector<Circle> points_of(const std::string& svg) {
  static const std::regex re(
      R"re(<circle class="point[^"]*" cx="([0-9.]+)" cy="([0-9.]+)" r="3"><title>([^<]*)</title>)re");
  std::vector<Circle> out;
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), re); it != std::sregex_iterator();
       ++it)
    out.push_back({std::stod((*it)[1]), std::stod((*it)[2]), (*it)[3]});
  return out;
}

size_t count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (auto pos = haystack.find(needle); pos != std::string::npos;
       pos = haystack.find(needle, pos + 1))
    ++n;
  return n;
}

TEST(TrendSvg, ScalesTheSmallestValueToTheBottomAndTheLargestToTheTop) {
  TrendOptions o{.width = 200, .height = 100, .padding = 10};
  auto svg = trend_svg("accuracy", {{"a", 0.90}, {"b", 0.95}, {"c", 0.92}}, o);
  auto pts = points_of(svg);
  ASSERT_EQ(pts.size(), 3u) << svg;
  EXPECT_DOUBLE_EQ(pts[0].x, 10);
  EXPECT_DOUBLE_EQ(pts[1].x, 100);
  EXPECT_DOUBLE_EQ(pts[2].x, 190);
  EXPECT_DOUBLE_EQ(pts[0].y, 90);  // min at the bottom (SVG y grows downwards)
  EXPECT_DOUBLE_EQ(pts[1].y, 10);  // max at the top
  EXPECT_NEAR(pts[2].y, 90 - 80 * 0.4, 0.01);
  EXPECT_NE(svg.find("points=\"10.00,90.00 100.00,10.00 190.00,58.00\""), std::string::npos) << svg;
  EXPECT_NE(svg.find(">0.95</text>"), std::string::npos) << "max label";
  EXPECT_NE(svg.find(">0.9</text>"), std::string::npos) << "min label";
  EXPECT_EQ(pts[1].title, "b: 0.95");
}

TEST(TrendSvg, OnePointIsADotInTheMiddleWithoutALine) {
  TrendOptions o{.width = 200, .height = 100, .padding = 10};
  auto svg = trend_svg("accuracy", {{"abc123", 0.93}}, o);
  auto pts = points_of(svg);
  ASSERT_EQ(pts.size(), 1u) << svg;
  EXPECT_DOUBLE_EQ(pts[0].x, 100);
  EXPECT_DOUBLE_EQ(pts[0].y, 50);
  EXPECT_EQ(svg.find("<polyline"), std::string::npos) << svg;
}

TEST(TrendSvg, EqualValuesDrawAFlatLineInTheMiddle) {
  TrendOptions o{.width = 200, .height = 100, .padding = 10};
  auto pts = points_of(trend_svg("loss", {{"a", 1}, {"b", 1}, {"c", 1}}, o));
  ASSERT_EQ(pts.size(), 3u);
  for (const auto& p : pts) EXPECT_DOUBLE_EQ(p.y, 50);
}

TEST(TrendSvg, NanAndInfiniteValuesAreSkippedButKeepTheirPlaceOnTheAxis) {
  TrendOptions o{.width = 200, .height = 100, .padding = 10};
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  auto svg = trend_svg("f1", {{"a", 0.5}, {"b", nan}, {"c", inf}, {"d", 1.0}, {"e", -inf}}, o);
  auto pts = points_of(svg);
  ASSERT_EQ(pts.size(), 2u) << svg;
  EXPECT_EQ(pts[0].title, "a: 0.5");
  EXPECT_EQ(pts[1].title, "d: 1");
  EXPECT_DOUBLE_EQ(pts[0].x, 10);
  EXPECT_DOUBLE_EQ(pts[1].x, 145);  // 4th of 5 slots
  EXPECT_DOUBLE_EQ(pts[0].y, 90);   // the range ignores the infinities
  EXPECT_DOUBLE_EQ(pts[1].y, 10);
  EXPECT_EQ(svg.find("NaN"), std::string::npos);
  EXPECT_EQ(svg.find("Infinity"), std::string::npos);
  EXPECT_NE(svg.find("aria-label=\"f1 across 2 commits\""), std::string::npos) << svg;
}

TEST(TrendSvg, NoFiniteValueSaysNoData) {
  auto svg = trend_svg("f1", {{"a", std::nan("")}});
  EXPECT_TRUE(points_of(svg).empty());
  EXPECT_NE(svg.find(">no data</text>"), std::string::npos) << svg;
  EXPECT_NE(trend_svg("f1", {}).find(">no data</text>"), std::string::npos);
}

TEST(TrendSvg, EveryTextIsEscaped) {
  auto svg =
      trend_svg("<b>acc\"</b>", {{"<script>alert(1)</script>", 1, "deployed: a&b"}, {"o'neil", 2}});
  EXPECT_EQ(svg.find("<script"), std::string::npos) << svg;
  EXPECT_EQ(svg.find("<b>"), std::string::npos) << svg;
  EXPECT_NE(svg.find("&lt;b&gt;acc&quot;&lt;/b&gt;"), std::string::npos) << svg;
  EXPECT_NE(svg.find("&lt;script&gt;alert(1)&lt;/script&gt;: 1 (deployed: a&amp;b)"),
            std::string::npos)
      << svg;
  EXPECT_NE(svg.find("o&#39;neil: 2"), std::string::npos) << svg;
  // Every '<' left is one of ours.
  static const std::regex tag("<(/?)(svg|title|rect|text|polyline|circle)[ />]");
  size_t tags =
      std::distance(std::sregex_iterator(svg.begin(), svg.end(), tag), std::sregex_iterator());
  EXPECT_EQ(tags, count(svg, "<")) << svg;
}

TEST(TrendSvg, MarkedPointsGetARingAndTheirMarkInTheTitle) {
  auto svg = trend_svg("accuracy", {{"a", 0.9, "deployed: production"}, {"b", 0.91}});
  EXPECT_EQ(count(svg, "class=\"mark\""), 1u) << svg;
  EXPECT_EQ(count(svg, "class=\"point marked\""), 1u) << svg;
  EXPECT_EQ(points_of(svg)[0].title, "a: 0.9 (deployed: production)");
}

TEST(FormatNumber, FourSignificantDigitsAndNamedNonFiniteValues) {
  EXPECT_EQ(format_number(0.93124), "0.9312");
  EXPECT_EQ(format_number(12), "12");
  EXPECT_EQ(format_number(-0.5), "-0.5");
  EXPECT_EQ(format_number(std::nan("")), "NaN");
  EXPECT_EQ(format_number(-std::numeric_limits<double>::infinity()), "-Infinity");
}

}  // namespace
}  // namespace mlgate::core
