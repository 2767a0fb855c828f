// Numbers as the gate writes them in reasons, thresholds and rule differences (docs/gate.md,
// "Numbers"): 6 significant digits, more when two different numbers would otherwise print the
// same. Pure.
#pragma once

#include <string>
#include <utility>

#include "core/config.h"

namespace mlgate::core {

// "%g" with `precision` significant digits; "NaN", "inf", "-inf" for the others.
std::string number_text(double v, int precision = 6);

// Both numbers with enough digits that different values never print the same ("0.8999999 < min
// 0.9" rather than "0.9 < min 0.9").
std::pair<std::string, std::string> number_texts(double a, double b);

// A fraction as a percentage: 0.01 -> "1%".
std::string percent_text(double fraction);

// A change threshold as configured: "0.01" or "1%".
std::string threshold_text(const Threshold& t);

}  // namespace mlgate::core
