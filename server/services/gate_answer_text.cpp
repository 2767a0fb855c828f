// An answer's JSON text with one member written before (server/services/gate_answer_text.h).
#include "server/services/gate_answer_text.h"

namespace mlgate::server {

std::string json_text_with_member(const nlohmann::json& body, const std::string& key,
                                  const std::string& member_text) {
  constexpr auto kReplace = nlohmann::json::error_handler_t::replace;
  std::string out = "{";
  bool first = true;
  for (auto it = body.begin(); it != body.end(); ++it) {  // in the object's own (key) order
    if (!first) out += ',';
    first = false;
    out += nlohmann::json(it.key()).dump(-1, ' ', false, kReplace);
    out += ':';
    out += it.key() == key ? member_text : it.value().dump(-1, ' ', false, kReplace);
  }
  out += "}\n";
  return out;
}

}  // namespace mlgate::server
