#include "core/tier_selection.h"

#include <algorithm>
#include <set>

namespace mlgate::core {

TierSelection tiers_with_needs(const Config& config, const std::vector<std::string>& wanted) {
  TierSelection out;
  std::set<std::string> chosen;
  std::vector<std::string> todo;
  for (const auto& name : wanted) {
    if (!find_tier(config, name)) {
      out.unknown.push_back(name);
    } else {
      todo.push_back(name);
    }
  }
  if (!out.unknown.empty()) return out;
  while (!todo.empty()) {
    std::string name = std::move(todo.back());
    todo.pop_back();
    if (!chosen.insert(name).second) continue;
    // A valid config only needs declared tiers (parse_config checks it).
    if (const auto* tier = find_tier(config, name)) {
      for (const auto& need : tier->needs) todo.push_back(need);
    }
  }
  for (const auto& tier : config.tiers) {
    if (chosen.count(tier.name)) out.tiers.push_back(tier.name);
  }
  return out;
}

}  // namespace mlgate::core
