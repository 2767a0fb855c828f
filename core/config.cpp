#include "core/config.h"

#include "core/glob.h"

namespace mlgate::core {

std::int64_t ConfigLimits::ceiling_for(std::string_view tier) const {
  if (tier == kTierFunctionality) return functionality_timeout_seconds;
  if (tier == kTierValidation) return validation_timeout_seconds;
  if (tier == kTierTraining) return training_timeout_seconds;
  return 0;
}

std::string format_errors(const std::vector<ConfigError>& errors, std::string_view filename) {
  std::string out;
  for (const ConfigError& e : errors) {
    out += "  ";
    out += filename;
    out += ':' + std::to_string(e.line) + ':' + std::to_string(e.column) + ": " + e.message + '\n';
  }
  return out;
}

const TierConfig* find_tier(const Config& config, std::string_view name) {
  for (const TierConfig& tier : config.tiers) {
    if (tier.name == name) return &tier;
  }
  return nullptr;
}

const GateConfig* find_gate(const Config& config, std::string_view name) {
  for (const GateConfig& gate : config.gates) {
    if (gate.name == name) return &gate;
  }
  return nullptr;
}

std::vector<std::string> tiers_for_event(const Config& config, std::string_view event,
                                         std::string_view branch) {
  std::vector<std::string> out;
  const bool filtered = event == "push" || event == "pull_request";
  for (const TierConfig& tier : config.tiers) {
    bool runs_on = false;
    for (const std::string& e : tier.on) runs_on = runs_on || e == event;
    if (!runs_on) continue;
    if (filtered && !tier.branches.empty()) {
      bool matched = false;
      for (const std::string& pattern : tier.branches) {
        matched = matched || glob_match(pattern, branch);
      }
      if (!matched) continue;
    }
    out.push_back(tier.name);
  }
  return out;
}

}  // namespace mlgate::core
