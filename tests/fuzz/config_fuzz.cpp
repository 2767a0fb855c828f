// libFuzzer target: core/config.h parse_config on arbitrary bytes (.mlgate.yml). Checks the
// promises of docs/config.md: an error result carries sorted 1-based positions; a config that
// parses is valid by every rule the reference lists (tier order, timeouts within the ceilings,
// non-blank run, events, schedules, resources, gate checks, rubric).
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "core/config.h"
#include "core/cron.h"
#include "core/rubric.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using mlgate::core::Config;
using mlgate::core::ConfigError;
using mlgate::core::GateConfig;
using mlgate::core::TierConfig;

bool contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

bool unique(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return std::adjacent_find(v.begin(), v.end()) == v.end();
}

bool blank(std::string_view s) {
  return s.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

// docs/config.md "Top level": non-empty, at most 255 characters, no spaces or control
// characters, not starting with '-'.
bool valid_image(std::string_view s) {
  if (s.empty() || s.size() > 255 || s.front() == '-') return false;
  return std::none_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u <= 0x20 || u == 0x7f;
  });
}

// docs/config.md "env": [A-Za-z_][A-Za-z0-9_]*, not MLGATE_*.
bool valid_env_name(std::string_view s) {
  if (s.empty() || s.starts_with("MLGATE_")) return false;
  const auto word = [](char c, bool first) {
    return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (!first && c >= '0' && c <= '9');
  };
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (!word(s[i], i == 0)) return false;
  }
  return true;
}

// docs/config.md "rubric": relative, no leading '/', no ".." component, no backslashes.
bool valid_evidence_path(std::string_view s) {
  if (s.empty() || s.front() == '/' || s.find('\\') != std::string_view::npos) return false;
  std::size_t start = 0;
  while (start <= s.size()) {
    std::size_t end = s.find('/', start);
    if (end == std::string_view::npos) end = s.size();
    if (s.substr(start, end - start) == "..") return false;
    start = end + 1;
  }
  return true;
}

int tier_rank(std::string_view name) {
  for (int i = 0; i < 3; ++i) {
    if (mlgate::core::kTierNames[i] == name) return i;
  }
  return -1;
}

bool finite_opt(const std::optional<double>& v) {
  return !v || std::isfinite(*v);
}

void check_tier(const Config& config, const TierConfig& t,
                const mlgate::core::ConfigLimits& limits) {
  FUZZ_CHECK(tier_rank(t.name) >= 0);
  FUZZ_CHECK(t.line >= 1);
  FUZZ_CHECK(t.timeout_seconds > 0);
  FUZZ_CHECK(t.timeout_seconds <= limits.ceiling_for(t.name));
  FUZZ_CHECK(!t.run.empty() && !blank(t.run));
  FUZZ_CHECK(valid_image(t.image));
  for (const std::string& e : t.on) {
    FUZZ_CHECK(std::find(std::begin(mlgate::core::kEventNames), std::end(mlgate::core::kEventNames),
                         e) != std::end(mlgate::core::kEventNames));
  }
  FUZZ_CHECK(unique(t.on));
  FUZZ_CHECK(t.schedule.has_value() == contains(t.on, "schedule"));
  FUZZ_CHECK(t.cron.has_value() == t.schedule.has_value());
  if (t.cron) {
    FUZZ_CHECK(mlgate::core::can_fire(*t.cron));
    FUZZ_CHECK(mlgate::core::parse_cron(*t.schedule).expr.has_value());
  }
  FUZZ_CHECK(t.network == "none" || t.network == "bridge");
  if (!t.branches.empty()) FUZZ_CHECK(contains(t.on, "push") || contains(t.on, "pull_request"));
  FUZZ_CHECK(unique(t.needs));
  for (const std::string& n : t.needs) {
    FUZZ_CHECK(n != t.name);
    FUZZ_CHECK(mlgate::core::find_tier(config, n) != nullptr);
  }
  const auto& r = t.resources;
  if (r.cpus) FUZZ_CHECK(std::isfinite(*r.cpus) && *r.cpus > 0);
  if (r.memory_bytes) FUZZ_CHECK(*r.memory_bytes >= 6 * 1024 * 1024);
  if (r.gpus) FUZZ_CHECK(*r.gpus >= 0 && *r.gpus <= 1024);
  if (r.pids) FUZZ_CHECK(*r.pids >= 1);
  for (const auto& [name, value] : t.env) FUZZ_CHECK(valid_env_name(name));
}

void check_gate(const Config& config, const GateConfig& g) {
  FUZZ_CHECK(mlgate::core::is_environment_name(g.name));
  FUZZ_CHECK(g.line >= 1);
  FUZZ_CHECK(!g.require.empty() || !g.metrics.empty() || !g.slices.empty() || !g.fairness.empty() ||
             g.predictions || g.rubric);
  for (const std::string& r : g.require) FUZZ_CHECK(mlgate::core::find_tier(config, r) != nullptr);
  for (const auto& m : g.metrics) {
    FUZZ_CHECK(m.line >= 1 && m.column >= 1);
    FUZZ_CHECK(m.min || m.max || m.max_drop || m.max_increase);
    FUZZ_CHECK(finite_opt(m.min) && finite_opt(m.max));
    if (m.min && m.max) FUZZ_CHECK(*m.min <= *m.max);
    if (m.max_drop) {
      FUZZ_CHECK(!m.lower_is_better);
      FUZZ_CHECK(std::isfinite(m.max_drop->value) && m.max_drop->value >= 0);
    }
    if (m.max_increase) {
      FUZZ_CHECK(m.lower_is_better);
      FUZZ_CHECK(std::isfinite(m.max_increase->value) && m.max_increase->value >= 0);
    }
  }
  for (const auto& s : g.slices) {
    FUZZ_CHECK(s.line >= 1 && s.column >= 1);
    FUZZ_CHECK(s.min || s.max || s.max_gap);
    FUZZ_CHECK(finite_opt(s.min) && finite_opt(s.max) && finite_opt(s.max_gap));
    if (s.min && s.max) FUZZ_CHECK(*s.min <= *s.max);
    if (s.max_gap) FUZZ_CHECK(*s.max_gap >= 0);
    FUZZ_CHECK(s.min_n >= 0);
  }
  for (const auto& f : g.fairness) {
    FUZZ_CHECK(f.line >= 1 && f.column >= 1);
    FUZZ_CHECK(std::isfinite(f.lo) && std::isfinite(f.hi));
    FUZZ_CHECK(0 < f.lo && f.lo <= f.hi);
    FUZZ_CHECK(f.min_n >= 0);
  }
  if (g.predictions) {
    const auto& p = *g.predictions;
    FUZZ_CHECK(p.max_flip_rate || p.max_score_delta);
    if (p.max_flip_rate) FUZZ_CHECK(*p.max_flip_rate >= 0 && *p.max_flip_rate <= 1);
    if (p.max_score_delta) {
      FUZZ_CHECK(std::isfinite(*p.max_score_delta) && *p.max_score_delta >= 0);
    }
  }
  if (g.rubric) FUZZ_CHECK(g.rubric->min_score >= 0 && g.rubric->min_score <= 7);
}

void check_config(const Config& config, const mlgate::core::ConfigLimits& limits) {
  FUZZ_CHECK(config.version == 1);
  FUZZ_CHECK(!config.tiers.empty());
  for (std::size_t i = 0; i < config.tiers.size(); ++i) {
    check_tier(config, config.tiers[i], limits);
    // Always functionality, validation, training order, each at most once.
    if (i > 0) FUZZ_CHECK(tier_rank(config.tiers[i - 1].name) < tier_rank(config.tiers[i].name));
  }
  std::set<std::string> lowered;
  for (const GateConfig& g : config.gates) {
    check_gate(config, g);
    std::string lower = g.name;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](char c) {
      return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    });
    FUZZ_CHECK(lowered.insert(lower).second);  // no two gates that differ only by case
  }
  for (const auto& [id, patterns] : config.rubric.automated) {
    FUZZ_CHECK(mlgate::core::is_rubric_id(id));
  }
  for (const auto& [id, path] : config.rubric.manual) {
    FUZZ_CHECK(mlgate::core::is_rubric_id(id));
    FUZZ_CHECK(valid_evidence_path(path));
  }
  // The events a tier is selected for are among its `on`.
  for (const std::string_view event : mlgate::core::kEventNames) {
    for (const std::string& name : mlgate::core::tiers_for_event(config, event, "main")) {
      const TierConfig* t = mlgate::core::find_tier(config, name);
      FUZZ_CHECK(t != nullptr && contains(t->on, event));
    }
  }
}

void check_errors(const std::vector<ConfigError>& errors) {
  FUZZ_CHECK(!errors.empty());
  FUZZ_CHECK(errors.size() <= 101);  // up to 100, then "too many errors"
  for (std::size_t i = 0; i < errors.size(); ++i) {
    const ConfigError& e = errors[i];
    FUZZ_CHECK(e.line >= 1 && e.column >= 1);
    FUZZ_CHECK(!e.message.empty());
    if (i > 0) {
      const ConfigError& p = errors[i - 1];
      FUZZ_CHECK(p.line < e.line || (p.line == e.line && p.column <= e.column));
    }
  }
  FUZZ_CHECK(!mlgate::core::format_errors(errors).empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view yaml(reinterpret_cast<const char*>(data), size);
  const mlgate::core::ConfigLimits limits;
  const mlgate::core::ConfigParseResult result = mlgate::core::parse_config(yaml, limits);
  if (result.ok()) {
    FUZZ_CHECK(result.errors.empty());
    check_config(*result.config, limits);
  } else {
    check_errors(result.errors);
  }
  return 0;
}
