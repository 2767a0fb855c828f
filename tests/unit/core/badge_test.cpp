#include "core/badge.h"

#include <gtest/gtest.h>

#include <cmath>
#include <pugixml.hpp>
#include <string>

namespace mlgate::core {
namespace {

pugi::xml_document parse(const std::string& svg) {
  pugi::xml_document doc;
  auto r = doc.load_string(svg.c_str());
  EXPECT_TRUE(r) << r.description() << " at offset " << r.offset << " of\n" << svg;
  return doc;
}

// The texts shields draws: the label twice (shadow, then text) and the message twice.
std::vector<std::string> texts(const pugi::xml_document& doc) {
  std::vector<std::string> out;
  for (auto t : doc.select_nodes("//text")) out.push_back(t.node().text().get());
  return out;
}

TEST(Badge, IsWellFormedSvgWithGreyLabelAndColouredMessage) {
  const auto svg = render_badge_svg({"mlgate", "passed", "#4c1"});
  auto doc = parse(svg);
  auto root = doc.child("svg");
  ASSERT_TRUE(root);
  EXPECT_STREQ(root.attribute("xmlns").value(), "http://www.w3.org/2000/svg");
  EXPECT_STREQ(root.attribute("height").value(), "20");
  EXPECT_STREQ(root.attribute("aria-label").value(), "mlgate: passed");
  EXPECT_STREQ(root.child("title").text().get(), "mlgate: passed");
  auto rects = root.child("g").children("rect");
  auto it = rects.begin();
  auto left = *it++;
  auto right = *it++;
  EXPECT_STREQ(left.attribute("fill").value(), "#555");
  EXPECT_STREQ(right.attribute("fill").value(), "#4c1");
  // The boxes tile the badge: left starts at 0, right where left ends, together the full width.
  const int lw = left.attribute("width").as_int();
  EXPECT_EQ(right.attribute("x").as_int(), lw);
  EXPECT_EQ(lw + right.attribute("width").as_int(), root.attribute("width").as_int());
  EXPECT_EQ(texts(doc), (std::vector<std::string>{"mlgate", "mlgate", "passed", "passed"}));
}

TEST(Badge, WidthsFollowTheCharacterTableWithFivePixelsPaddingEachSide) {
  // Verdana 11 px: 'm' is wider than 'i'; digits are all 6.99.
  EXPECT_GT(badge_text_width("m"), badge_text_width("i"));
  EXPECT_NEAR(badge_text_width("0123456789"), 69.9, 0.01);
  EXPECT_NEAR(badge_text_width("passed"), 6.85 + 6.61 + 5.73 + 5.73 + 6.55 + 6.85, 0.01);
  EXPECT_DOUBLE_EQ(badge_text_width(""), 0);
  // Any non-ASCII character counts as wide as 'm'.
  EXPECT_DOUBLE_EQ(badge_text_width("é"), badge_text_width("m"));
  auto doc = parse(render_badge_svg({"mlgate", "passed", "#4c1"}));
  auto root = doc.child("svg");
  auto rect = root.child("g").child("rect");
  EXPECT_EQ(rect.attribute("width").as_int(), std::lround(badge_text_width("mlgate")) + 10);
  // Text is centred in its box, positions in tenths of a pixel (scale(.1)).
  auto label = root.child("g").next_sibling("g").child("text");
  EXPECT_EQ(label.attribute("x").as_int(), rect.attribute("width").as_int() * 5);
  EXPECT_EQ(label.attribute("textLength").as_int(), std::lround(badge_text_width("mlgate")) * 10);
  // A longer message makes a wider badge.
  EXPECT_GT(parse(render_badge_svg({"mlgate", "cancelled", "#9f9f9f"}))
                .child("svg")
                .attribute("width")
                .as_int(),
            root.attribute("width").as_int());
}

TEST(Badge, LabelAndMessageAreXmlEscaped) {
  const std::string evil = "<script>alert('x')</script> & \"q\"";
  const auto svg = render_badge_svg({evil, evil, "#4c1"});
  EXPECT_EQ(svg.find("<script>"), std::string::npos);
  auto doc = parse(svg);
  EXPECT_FALSE(doc.select_node("//script"));
  for (const auto& t : texts(doc)) EXPECT_EQ(t, evil);
  EXPECT_EQ(std::string(doc.child("svg").attribute("aria-label").value()), evil + ": " + evil);
}

TEST(Badge, CharactersXmlCannotCarryBecomeQuestionMarks) {
  const std::string bad = std::string("a\x01") + "b\xff" + "c\xc3" + "\n" + "d é";
  auto doc = parse(render_badge_svg({"x", bad, "#4c1"}));
  const auto t = texts(doc);
  ASSERT_EQ(t.size(), 4u);
  EXPECT_EQ(t[2], "a?b?c? d é");
}

TEST(Badge, AColourThatIsNotHexIsDrawnLightGrey) {
  auto doc = parse(render_badge_svg({"a", "b", "red\" onload=\"x"}));
  auto rects = doc.child("svg").child("g").children("rect");
  auto it = rects.begin();
  ++it;
  EXPECT_STREQ(it->attribute("fill").value(), "#9f9f9f");
  EXPECT_FALSE(doc.child("svg").attribute("onload"));
  doc = parse(render_badge_svg({"a", "b", "#E05D44"}));
  it = doc.child("svg").child("g").children("rect").begin();
  ++it;
  EXPECT_STREQ(it->attribute("fill").value(), "#E05D44");
  for (const char* colour : {"#abc", "#12345g", "#1234", "abc", "#", "#abcdef0"}) {
    doc = parse(render_badge_svg({"a", "b", colour}));
    it = doc.child("svg").child("g").children("rect").begin();
    ++it;
    const bool hex = std::string(colour) == "#abc";
    EXPECT_STREQ(it->attribute("fill").value(), hex ? colour : "#9f9f9f") << colour;
  }
}

TEST(Badge, PipelineStatesMapToShieldsColours) {
  EXPECT_EQ(pipeline_badge(parse_pipeline_state("passed")).color, "#4c1");
  EXPECT_EQ(pipeline_badge(parse_pipeline_state("failed")).color, "#e05d44");
  EXPECT_EQ(pipeline_badge(parse_pipeline_state("error")).color, "#e05d44");
  EXPECT_EQ(pipeline_badge(parse_pipeline_state("running")).color, "#007ec6");
  EXPECT_EQ(pipeline_badge(parse_pipeline_state("pending")).color, "#dfb317");
  EXPECT_EQ(pipeline_badge(parse_pipeline_state("cancelled")).message, "cancelled");
  EXPECT_EQ(pipeline_badge(parse_pipeline_state("")).message, "unknown");
  EXPECT_EQ(pipeline_badge(parse_pipeline_state("")).color, "#9f9f9f");
  EXPECT_EQ(pipeline_badge(parse_pipeline_state("passed")).label, "mlgate");
}

TEST(Badge, GateDecisionsMapToMessagesAndUnknownForAnythingElse) {
  EXPECT_EQ(gate_badge("production", "allow").label, "gate: production");
  EXPECT_EQ(gate_badge("production", "allow").color, "#4c1");
  EXPECT_EQ(gate_badge("production", "deny").color, "#e05d44");
  EXPECT_EQ(gate_badge("production", "pending").color, "#dfb317");
  EXPECT_EQ(gate_badge("production", "").message, "unknown");
  EXPECT_EQ(gate_badge("production", "maybe").message, "unknown");
}

}  // namespace
}  // namespace mlgate::core
