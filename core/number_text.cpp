#include "core/number_text.h"

#include <cmath>
#include <cstdio>

namespace mlgate::core {

std::string number_text(double v, int precision) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g", precision, v);
  return buf;
}

std::pair<std::string, std::string> number_texts(double a, double b) {
  for (int p = 6; p < 17; ++p) {
    std::string sa = number_text(a, p), sb = number_text(b, p);
    if (a == b || sa != sb) return {sa, sb};
  }
  return {number_text(a, 17), number_text(b, 17)};
}

std::string percent_text(double fraction) {
  return number_text(fraction * 100) + "%";
}

std::string threshold_text(const Threshold& t) {
  return t.percent ? percent_text(t.value) : number_text(t.value);
}

}  // namespace mlgate::core
