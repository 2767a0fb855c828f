#include "core/example_rows.h"

#include <algorithm>
#include <map>

namespace mlgate::core {

ExampleRows rows_with_truth(const std::vector<Prediction>& predictions) {
  ExampleRows out;
  for (const Prediction& p : predictions) {
    if (p.truth) out.push_back(&p);
  }
  return out;
}

std::vector<SliceGroup> group_by_slice(std::span<const Prediction* const> rows,
                                       std::string_view key) {
  std::map<std::string_view, ExampleRows> groups;
  for (const Prediction* p : rows) {
    const auto it =
        std::lower_bound(p->slices.begin(), p->slices.end(), key,
                         [](const auto& kv, std::string_view k) { return kv.first < k; });
    if (it != p->slices.end() && it->first == key) groups[it->second].push_back(p);
  }
  std::vector<SliceGroup> out;
  out.reserve(groups.size());
  for (auto& [value, members] : groups)
    out.push_back(SliceGroup{std::string(value), std::move(members)});
  return out;
}

PairedRows pair_by_id(const std::vector<Prediction>& candidate,
                      const std::vector<Prediction>& baseline) {
  const auto by_id = [](const Prediction* a, const Prediction* b) { return a->id < b->id; };
  ExampleRows c = rows_with_truth(candidate);
  ExampleRows b = rows_with_truth(baseline);
  std::sort(c.begin(), c.end(), by_id);
  std::sort(b.begin(), b.end(), by_id);
  PairedRows out;
  std::size_t i = 0, j = 0;
  while (i < c.size() && j < b.size()) {
    if (c[i]->id < b[j]->id) {
      ++out.candidate_only, ++i;
    } else if (b[j]->id < c[i]->id) {
      ++out.baseline_only, ++j;
    } else {
      if (*c[i]->truth == *b[j]->truth) {
        out.candidate.push_back(c[i]);
        out.baseline.push_back(b[j]);
      } else {
        ++out.truth_differs;
      }
      ++i, ++j;
    }
  }
  out.candidate_only += c.size() - i;
  out.baseline_only += b.size() - j;
  return out;
}

}  // namespace mlgate::core
