// Reading a field of a JSON object that came from outside or from a stored column, without
// throwing: a missing key, a value of another type, or a value that is not an object at all reads
// as absent. For the views and reports built from stored decisions and evidence.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace mlgate::core {

// The value at `key`, or a null JSON value.
const nlohmann::json& json_field(const nlohmann::json& object, const char* key);
// The string at `key`, or "".
std::string json_string(const nlohmann::json& object, const char* key);
// The number at `key`, or nullopt.
std::optional<double> json_number(const nlohmann::json& object, const char* key);

}  // namespace mlgate::core
