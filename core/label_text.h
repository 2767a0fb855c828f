// Label text (docs/results.md, predictions.jsonl's `label`): how a label or a truth is compared.
// One whole-number rule for the gate's predictions, the quality monitor and the rollout judge: a
// finite whole number written as a decimal (1.0, 1e2: what numpy's float64 labels print as) is
// that integer, so a model that starts writing 1.0 for 1 is not wrong on every row. (Strings
// differ: the gate keeps a string label's quotes, so "1" and 1 are two labels there; observations
// compare a string as it is.)
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>

namespace mlgate::core {

// `v` as an integer when it is finite, whole and exactly representable (|v| < 2^53).
std::optional<std::int64_t> whole_number(double v);

// A label or truth as observations carry it (the quality monitor, the rollout judge): a string as
// it is, a whole number written as a decimal as that integer, anything else as its compact JSON.
std::string observed_label_text(const nlohmann::json& v);

}  // namespace mlgate::core
