#include "core/prediction_flips.h"

#include <algorithm>
#include <string_view>

namespace mlgate::core {
namespace {

std::string cut(std::string_view text) {
  if (text.size() <= kFlippedTextMax) return std::string(text);
  std::size_t end = kFlippedTextMax;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return std::string(text.substr(0, end));
}

}  // namespace

std::vector<FlippedExample> flipped_examples(std::vector<PredictionPair> pairs, std::size_t limit) {
  std::erase_if(pairs, [](const PredictionPair& p) {
    return !p.candidate || !p.baseline || p.candidate->label == p.baseline->label;
  });
  const auto by_id = [](const PredictionPair& a, const PredictionPair& b) {
    return a.candidate->id < b.candidate->id;
  };
  const std::size_t n = std::min(limit, pairs.size());
  std::partial_sort(pairs.begin(), pairs.begin() + static_cast<std::ptrdiff_t>(n), pairs.end(),
                    by_id);
  std::vector<FlippedExample> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    const Prediction& c = *pairs[i].candidate;
    const Prediction& b = *pairs[i].baseline;
    const auto& truth = c.truth ? c.truth : b.truth;
    out.push_back({.id = cut(c.id),
                   .baseline = cut(b.label),
                   .candidate = cut(c.label),
                   .truth = truth ? std::optional(cut(*truth)) : std::nullopt});
  }
  return out;
}

}  // namespace mlgate::core
