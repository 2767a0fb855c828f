// libFuzzer target: core/predictions.h parse_predictions_jsonl on arbitrary bytes. Checks the
// promises of docs/results.md "predictions.jsonl": ids are non-empty and distinct, every row has a
// label, a score or a value, a label or truth is the text of a scalar (never an array or object)
// and a whole number written as a decimal reads as the integer, slices and scores are sorted with
// distinct, capped keys (slice keys non-empty); an error has a message and either no position (size
// cap, empty file) or a 1-based line and column. A second parse with a small line cap must give
// the same rows, or the cap error, or an error on a line within the cap.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/predictions.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using mlgate::core::Prediction;

// A label that reads as a finite whole number below 2^53 is written as an integer: no '.', 'e'.
void check_label(const std::string& label) {
  if (label.empty()) return;
  FUZZ_CHECK(label.front() != '[' && label.front() != '{');
  const char c = label.front();
  if (c != '-' && (c < '0' || c > '9')) return;
  char* end = nullptr;
  const double v = std::strtod(label.c_str(), &end);
  if (end != label.c_str() + label.size() || !std::isfinite(v)) return;
  if (std::trunc(v) == v && std::fabs(v) < 9.007199254740992e15) {
    FUZZ_CHECK(label.find_first_of(".eE") == std::string::npos);
  }
}

void check_rows(const std::vector<Prediction>& rows, std::size_t max_lines) {
  FUZZ_CHECK(!rows.empty());
  FUZZ_CHECK(rows.size() <= max_lines);
  std::set<std::string> ids;
  for (const Prediction& p : rows) {
    FUZZ_CHECK(!p.id.empty());
    FUZZ_CHECK(ids.insert(p.id).second);
    FUZZ_CHECK(!p.label.empty() || p.score.has_value() || p.value.has_value());
    check_label(p.label);
    if (p.truth) check_label(*p.truth);
    FUZZ_CHECK(p.slices.size() <= 64 && p.scores.size() <= 64);
    for (std::size_t i = 0; i < p.slices.size(); ++i) {
      FUZZ_CHECK(!p.slices[i].first.empty());
      FUZZ_CHECK(i == 0 || p.slices[i - 1].first < p.slices[i].first);
    }
    for (std::size_t i = 0; i < p.scores.size(); ++i) {
      check_label(p.scores[i].first);
      FUZZ_CHECK(i == 0 || p.scores[i - 1].first < p.scores[i].first);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const mlgate::core::PredictionsOptions options;
  const auto result = mlgate::core::parse_predictions_jsonl(text, options);
  if (result.ok()) {
    check_rows(result.value(), options.max_lines);
  } else {
    check_parse_error(result.error(), text, options.file_name);
  }

  // The line cap: at most 3 predictions.
  mlgate::core::PredictionsOptions capped = options;
  capped.max_lines = 3;
  const auto small = mlgate::core::parse_predictions_jsonl(text, capped);
  if (small.ok()) {
    check_rows(small.value(), capped.max_lines);
    FUZZ_CHECK(result.ok() && result.value().size() == small.value().size());
    for (std::size_t i = 0; i < small.value().size(); ++i) {
      const Prediction& a = result.value()[i];
      const Prediction& b = small.value()[i];
      FUZZ_CHECK(a.id == b.id && a.label == b.label);
      FUZZ_CHECK(a.score.has_value() == b.score.has_value());
    }
  } else {
    check_parse_error(small.error(), text, capped.file_name);
    FUZZ_CHECK(!result.ok() || result.value().size() > capped.max_lines);
  }
  return 0;
}
