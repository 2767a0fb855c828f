// The engine's answer as a JSON value (nlohmann::json, keys in byte order), for the server's
// answer to be built on without writing the engine's text and parsing it back. Pure.
#pragma once

#include <nlohmann/json.hpp>

#include "core/gate.h"

namespace mlgate::core {

// The value that parsing gate_result_json(result) gives, member for member: the same keys and
// values, numbers alike, and every text with invalid UTF-8 replaced (U+FFFD) as the writing did.
nlohmann::json gate_result_value(const GateResult& result);

}  // namespace mlgate::core
