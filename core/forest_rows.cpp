#include "core/forest_rows.h"

#include <cmath>
#include <cstdlib>
#include <map>

namespace mlgate::core {
namespace {

struct Part {
  std::string key;
  double value = 0;
  bool percent = false;
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

// "max_drop 1%" -> {max_drop, 0.01, true}; nullopt when it is not "key number[%]".
std::optional<Part> parse_part(std::string_view text) {
  text = trim(text);
  const auto space = text.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  Part p{std::string(text.substr(0, space))};
  std::string number(trim(text.substr(space + 1)));
  if (!number.empty() && number.back() == '%') {
    p.percent = true;
    number.pop_back();
  }
  char* end = nullptr;
  p.value = std::strtod(number.c_str(), &end);
  if (number.empty() || end != number.c_str() + number.size() || !std::isfinite(p.value))
    return std::nullopt;
  if (p.percent) p.value /= 100;
  return p;
}

std::vector<std::pair<std::string, Part>> parts_of(std::string_view threshold) {
  std::vector<std::pair<std::string, Part>> out;
  while (!threshold.empty()) {
    const auto comma = threshold.find(',');
    const std::string_view one = threshold.substr(0, comma);
    if (auto p = parse_part(one)) out.emplace_back(std::string(trim(one)), *p);
    if (comma == std::string_view::npos) break;
    threshold.remove_prefix(comma + 1);
  }
  return out;
}

std::string first_word(std::string_view s) {
  return std::string(s.substr(0, s.find(' ')));
}

}  // namespace

std::vector<PlotMark> change_marks(std::string_view threshold, double baseline) {
  std::vector<PlotMark> out;
  for (const auto& [text, p] : parts_of(threshold)) {
    const double amount = p.percent ? p.value * std::fabs(baseline) : p.value;
    if (p.key == "max_drop") out.push_back({-amount, text});
    if (p.key == "max_increase") out.push_back({amount, text});
    if ((p.key == "min" || p.key == "max") && !p.percent) out.push_back({p.value - baseline, text});
  }
  return out;
}

std::optional<double> threshold_min(std::string_view threshold) {
  for (const auto& [text, p] : parts_of(threshold))
    if (p.key == "min" && !p.percent) return p.value;
  return std::nullopt;
}

const StoredDecision* plotted_decision(const std::vector<StoredDecision>& decisions,
                                       const std::string& environment) {
  for (const auto& d : decisions)
    if (d.environment == environment) return &d;
  return decisions.empty() ? nullptr : &decisions.front();
}

std::vector<ForestRow> forest_rows(const std::vector<StoredCheck>& checks) {
  std::map<std::string, int> per_name;
  for (const auto& c : checks)
    if (c.kind == "metric") ++per_name[c.name];
  std::vector<ForestRow> out;
  for (const auto& c : checks) {
    if (c.kind != "metric" || !c.value || !c.baseline) continue;
    const double b = *c.baseline;
    ForestRow r{.label = c.name, .delta = *c.value - b, .status = c.status};
    if (per_name[c.name] > 1 && !c.threshold.empty())
      r.label += " (" + first_word(c.threshold) + ")";
    if (c.change_bounds) {
      r.lower = c.change_bounds->first;
      r.upper = c.change_bounds->second;
    } else if (c.value_bounds) {
      r.lower = c.value_bounds->first - b;
      r.upper = c.value_bounds->second - b;
    }
    r.thresholds = change_marks(c.threshold, b);
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<SliceBar> slice_bars(const std::vector<MetricComparison>& slices) {
  std::vector<SliceBar> out;
  for (const auto& s : slices) {
    SliceBar b{.label = s.metric->name + " " + s.metric->slice_key + "=" + s.metric->slice_value,
               .metric = s.metric->name,
               .value = s.metric->value};
    if (s.check) {
      b.min = threshold_min(s.check->threshold);
      b.status = s.check->status;
    }
    out.push_back(std::move(b));
  }
  return out;
}

}  // namespace mlgate::core
