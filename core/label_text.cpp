#include "core/label_text.h"

#include <cmath>
#include <nlohmann/json.hpp>

namespace mlgate::core {

std::optional<std::int64_t> whole_number(double v) {
  if (!std::isfinite(v) || std::trunc(v) != v || std::fabs(v) >= 9.007199254740992e15)
    return std::nullopt;
  return static_cast<std::int64_t>(v);
}

std::string observed_label_text(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_float())
    if (auto whole = whole_number(v.get<double>())) return std::to_string(*whole);
  return v.dump();
}

}  // namespace mlgate::core
