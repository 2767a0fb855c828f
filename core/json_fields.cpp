#include "core/json_fields.h"

namespace mlgate::core {

const nlohmann::json& json_field(const nlohmann::json& object, const char* key) {
  static const nlohmann::json null_value;
  if (!object.is_object()) return null_value;
  auto it = object.find(key);
  return it == object.end() ? null_value : *it;
}

std::string json_string(const nlohmann::json& object, const char* key) {
  const auto& v = json_field(object, key);
  return v.is_string() ? v.get<std::string>() : std::string();
}

std::optional<double> json_number(const nlohmann::json& object, const char* key) {
  const auto& v = json_field(object, key);
  if (!v.is_number()) return std::nullopt;
  return v.get<double>();
}

}  // namespace mlgate::core
