// The gate's answer written as JSON text with one member's text written before: the decision's
// checks are written once for the stored row (gate_decisions.checks) and put into the answer's
// text as they are, instead of being written a second time with the whole answer.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace mlgate::server {

// server::json_text(body) (one line, invalid UTF-8 replaced, a newline after) for an object
// `body` whose member `key` is written as `member_text`, which must be that member's own text
// (body[key].dump with invalid UTF-8 replaced): the same bytes as json_text(body).
std::string json_text_with_member(const nlohmann::json& body, const std::string& key,
                                  const std::string& member_text);

}  // namespace mlgate::server
