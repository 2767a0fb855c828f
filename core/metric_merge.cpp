#include "core/metric_merge.h"

#include <map>
#include <tuple>

namespace mlgate::core {

MergedMetrics merge_metrics(const std::vector<Metric>& metrics) {
  MergedMetrics out;
  std::map<std::string, std::size_t> global_at;
  std::map<std::tuple<std::string, std::string, std::string>, std::size_t> slice_at;
  for (const Metric& m : metrics) {
    if (m.slice_key.empty()) {
      auto [it, fresh] = global_at.emplace(m.name, out.globals.size());
      if (fresh)
        out.globals.push_back(&m);
      else
        out.globals[it->second] = &m;
    } else {
      auto [it, fresh] =
          slice_at.emplace(std::tuple(m.name, m.slice_key, m.slice_value), out.slices.size());
      if (fresh)
        out.slices.push_back(&m);
      else
        out.slices[it->second] = &m;
    }
  }
  return out;
}

std::string slice_label(const Metric& m) {
  return m.name + "[" + m.slice_key + "=" + m.slice_value + "]";
}

}  // namespace mlgate::core
