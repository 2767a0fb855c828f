// libFuzzer target: core/metrics_json.h parse_metrics_json on arbitrary bytes. Checks the promises
// of docs/results.md "metrics.json": rows come globals first, every metric has a name, a slice
// row has a slice key and never names "n", sizes are whole numbers >= 0, no row is reported twice
// (duplicate keys are errors); an error has a message and a position that is either unknown
// (0:0) or 1-based on both counts. Values may be NaN/±inf (the gate fails those), so no value is
// checked; json_detail::format_number must read back as the same double.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "core/metrics_json.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

// Shortest text that reads back as the same double (NaN, Infinity, -Infinity for the others).
void check_format_number(double v) {
  const std::string s = mlgate::core::json_detail::format_number(v);
  if (std::isnan(v)) {
    FUZZ_CHECK(s == "NaN");
  } else if (std::isinf(v)) {
    FUZZ_CHECK(s == (v > 0 ? "Infinity" : "-Infinity"));
  } else {
    char* end = nullptr;
    const double back = std::strtod(s.c_str(), &end);
    FUZZ_CHECK(end == s.c_str() + s.size());
    FUZZ_CHECK(back == v);
  }
}

void check_rows(const std::vector<mlgate::core::Metric>& rows) {
  std::set<std::tuple<std::string, std::string, std::string>> seen;
  bool in_slices = false;
  for (const mlgate::core::Metric& m : rows) {
    FUZZ_CHECK(!m.name.empty());
    if (m.slice_key.empty()) {
      FUZZ_CHECK(!in_slices);  // the global metrics come first
      FUZZ_CHECK(m.slice_value.empty());
      FUZZ_CHECK(!m.n.has_value());
    } else {
      in_slices = true;
      FUZZ_CHECK(m.name != "n");  // n is the slice size, not a metric
    }
    if (m.n) FUZZ_CHECK(*m.n >= 0);
    FUZZ_CHECK(seen.emplace(m.slice_key, m.slice_value, m.name).second);
    check_format_number(m.value);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const mlgate::core::MetricsJsonOptions options;
  const auto result = mlgate::core::parse_metrics_json(text, options);
  if (result.ok()) {
    check_rows(result.value());
  } else {
    check_parse_error(result.error(), text, options.file_name);
  }
  return 0;
}
