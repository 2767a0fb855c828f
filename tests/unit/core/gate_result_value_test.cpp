// The engine's answer as a value (core/gate_result_value.h) is what parsing its text gives: the
// server builds its answer on the value instead of writing the text and reading it back, and must
// send, store and keep the same JSON, invalid UTF-8 replaced as before.
#include "core/gate_result_value.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

namespace mlgate::core {
namespace {

using nlohmann::json;

const double kNaN = std::numeric_limits<double>::quiet_NaN();

// Texts well formed and not: overlong forms, a surrogate, past U+10FFFF, cut sequences, a stray
// continuation byte, and the edges of each range.
const std::vector<std::string> kTexts = {"plain",
                                         "caf\xC3\xA9",
                                         "\xE2\x82\xAC",
                                         "\xF0\x9F\x98\x80",
                                         "\xF4\x8F\xBF\xBF",
                                         "\xC0\xAF",
                                         "\xC1\xBF",
                                         "\xE0\x80\xAF",
                                         "\xE0\xA0\x80",
                                         "\xED\x9F\xBF",
                                         "\xED\xA0\x80",
                                         "\xF0\x8F\xBF\xBF",
                                         "\xF0\x90\x80\x80",
                                         "\xF4\x90\x80\x80",
                                         "\xF5\x80\x80\x80",
                                         "\xC3",
                                         "ab\xE2\x82",
                                         "\x80x",
                                         "x\xFF",
                                         "quote \" and \\ and \n",
                                         std::string("nul \0 byte", 10)};

GateResult result_with(const std::string& text) {
  GateResult r;
  r.decision = Decision::deny;
  CheckResult metric{.kind = CheckKind::metric,
                     .name = "accuracy " + text,
                     .status = CheckStatus::fail,
                     .value = 0.25,
                     .baseline = kNaN,
                     .threshold = "min " + text,
                     .reason = "0.25 < min (" + text + ")"};
  metric.repeats = {0.1, -0.0, 0.7};
  metric.evidence = CheckEvidence{.confidence = 0.95,
                                  .interval = Interval{0.1, 0.4},
                                  .delta_interval = Interval{kNaN, 0.2},
                                  .n = 1200,
                                  .n_of = "examples " + text,
                                  .method = "wilson",
                                  .p_value = 1e-300,
                                  .when_inconclusive = WhenInconclusive::fail};
  CheckResult flips{.kind = CheckKind::predictions,
                    .name = "flip_rate",
                    .status = CheckStatus::pass,
                    .value = 1.0 / 3.0,
                    .threshold = "max_flip_rate 50%",
                    .reason = "e.g. id " + text};
  flips.examples = {{.id = text, .baseline = "1", .candidate = text, .truth = text},
                    {.id = "b", .baseline = text, .candidate = "0", .truth = std::nullopt}};
  r.checks = {metric, flips, CheckResult{.kind = CheckKind::tier, .name = "validation"}};
  r.rubric.items = {{.id = "data-1", .points = 0.5, .evidence = text}, {.id = text, .points = 1}};
  r.rubric.sections = {{"data", 1.5}, {"model", 0}};
  r.rubric.score = 0;
  r.rubric.band = text;
  return r;
}

TEST(GateResultValue, IsWhatParsingTheTextGives) {
  for (const auto& text : kTexts) {
    SCOPED_TRACE(json(text).dump(-1, ' ', true, json::error_handler_t::replace));
    const GateResult r = result_with(text);
    const json parsed = json::parse(gate_result_json(r));
    const json value = gate_result_value(r);
    EXPECT_EQ(value, parsed);
    // Written out, byte for byte the same; and the value can be written without a replace handler.
    EXPECT_EQ(value.dump(-1, ' ', false, json::error_handler_t::replace),
              parsed.dump(-1, ' ', false, json::error_handler_t::replace));
    EXPECT_NO_THROW(value.dump());
  }
}

}  // namespace
}  // namespace mlgate::core
