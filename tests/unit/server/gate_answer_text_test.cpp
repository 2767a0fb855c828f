// The answer's text with its checks written once (server/services/gate_answer_text.h) is the text
// json_text writes for the whole answer, byte for byte: keys in order, escapes, invalid UTF-8
// replaced, the newline.
#include "server/services/gate_answer_text.h"

#include <gtest/gtest.h>

#include "server/http/http_util.h"

namespace mlgate::server {
namespace {

using nlohmann::json;

TEST(GateAnswerText, IsWhatJsonTextWritesForTheWholeAnswer) {
  json body = {
      {"decision", "allow"},
      {"summary", "caf\xC3\xA9 \"quoted\"\n and \xFF invalid"},
      {"baseline_sha", nullptr},
      {"decision_id", 42},
      {"rules", {{"in_force", "candidate"}, {"differences", json::array()}}},
      {"ab\xE2\x82", 0.1 + 0.2},
      {"checks", json::array({{{"name", "accuracy"}, {"value", 0.25}, {"reason", "x\xC0\xAFy"}},
                              {{"name", "flip_rate"}, {"examples", json::array()}}})},
      {"z", json::object()}};
  const std::string checks = body["checks"].dump(-1, ' ', false, json::error_handler_t::replace);
  EXPECT_EQ(json_text_with_member(body, "checks", checks), json_text(body));
  // A member that is not there: the rest as json_text writes it.
  body.erase("checks");
  EXPECT_EQ(json_text_with_member(body, "checks", "[]"), json_text(body));
  EXPECT_EQ(json_text_with_member(json::object(), "checks", "[]"), json_text(json::object()));
}

}  // namespace
}  // namespace mlgate::server
