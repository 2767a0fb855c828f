// The tiers a schedule or an on-demand trigger runs: the asked tiers and, transitively, every tier
// they `need`, so that a tier's needs are met at the same commit before it starts.
#pragma once

#include <string>
#include <vector>

#include "core/config.h"

namespace mlgate::core {

struct TierSelection {
  std::vector<std::string> tiers;    // in Config order; empty when unknown is not
  std::vector<std::string> unknown;  // asked tiers the config does not declare, as asked
};

// `wanted` plus what they need (transitively), in the config's tier order.
TierSelection tiers_with_needs(const Config& config, const std::vector<std::string>& wanted);

}  // namespace mlgate::core
