#include "core/config.h"

#include "core/glob.h"

namespace mlgate::core {

std::int64_t ConfigLimits::ceiling_for(std::string_view tier) const {
  if (tier == kTierFunctionality) return functionality_timeout_seconds;
  if (tier == kTierValidation) return validation_timeout_seconds;
  if (tier == kTierTraining) return training_timeout_seconds;
  return 0;
}

bool JobCeilings::image_allowed(std::string_view image) const {
  for (const std::string& pattern : images)
    if (glob_match(pattern, image)) return true;
  return false;
}

bool JobCeilings::network_allowed(std::string_view network) const {
  if (network == "none") return true;
  for (const std::string& n : networks)
    if (n == network) return true;
  return false;
}

std::string format_memory_size(std::int64_t bytes) {
  static constexpr std::pair<std::int64_t, char> kUnits[] = {{std::int64_t{1} << 50, 'p'},
                                                             {std::int64_t{1} << 40, 't'},
                                                             {std::int64_t{1} << 30, 'g'},
                                                             {std::int64_t{1} << 20, 'm'},
                                                             {std::int64_t{1} << 10, 'k'}};
  for (const auto& [size, unit] : kUnits)
    if (bytes >= size && bytes % size == 0) return std::to_string(bytes / size) + unit;
  return std::to_string(bytes);
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

const MonitorConfig* find_monitor(const Config& config, std::string_view environment) {
  for (const MonitorConfig& monitor : config.monitors) {
    if (monitor.environment == environment) return &monitor;
  }
  return nullptr;
}

std::string_view to_string(MonitorAction a) {
  return a == MonitorAction::notify ? "notify" : "retrain";
}

bool is_environment_name(std::string_view name) {
  if (name.empty() || name.size() > 100) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  const auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; };
  for (size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

std::string gate_for_environment(const std::vector<std::string>& gate_names,
                                 std::string_view name) {
  for (const auto& g : gate_names)
    if (g == name) return g;
  for (const auto& g : gate_names)
    if (equal_ignoring_case(g, name)) return g;
  return std::string(name);
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

std::string_view to_string(MetricSource s) {
  return s == MetricSource::predictions ? "predictions" : "metrics";
}

std::string_view to_string(WhenInconclusive w) {
  return w == WhenInconclusive::pass ? "pass" : "fail";
}

std::string_view to_string(Correction c) {
  return c == Correction::bonferroni ? "bonferroni" : "none";
}

}  // namespace mlgate::core
