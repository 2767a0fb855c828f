#include "core/environment_view.h"

#include <cmath>
#include <limits>
#include <map>

#include "core/json_fields.h"

namespace mlgate::core {
namespace {

using nlohmann::json;

long long count_at(const json& o, const char* key) {
  auto v = json_number(o, key);
  return v ? static_cast<long long>(*v) : 0;
}

FindingView finding_view(const json& f) {
  FindingView v;
  v.kind = json_string(f, "kind");
  v.feature = json_string(f, "feature");
  v.test = json_string(f, "test");
  v.statistic = json_number(f, "statistic");
  v.p_value = json_number(f, "p_value");
  v.distance = json_number(f, "distance");
  v.threshold = json_number(f, "threshold");
  if (v.p_value) {
    v.value = v.p_value;
    v.measure = v.test + " p-value";
  } else if (v.distance) {
    v.value = v.distance;
    v.measure = v.test + " distance";
  } else {
    v.value = v.statistic;
    v.measure = v.test;
  }
  v.n = count_at(f, "n");
  v.reference_n = count_at(f, "reference_n");
  auto d = f.find("drifted");
  v.drifted = d != f.end() && d->is_boolean() && d->get<bool>();
  v.state = json_string(f, "state");
  v.reason = json_string(f, "reason");
  return v;
}

std::string series_title(const FindingView& v) {
  std::string subject = v.kind;
  if (!v.feature.empty()) subject += " " + v.feature;
  return subject + " · " + v.measure;
}

}  // namespace

std::vector<FindingView> finding_views(const json& evidence) {
  std::vector<FindingView> out;
  if (!evidence.is_object()) return out;
  auto it = evidence.find("findings");
  if (it == evidence.end() || !it->is_array()) return out;
  for (const auto& f : *it)
    if (f.is_object()) out.push_back(finding_view(f));
  return out;
}

std::vector<FindingSeries> finding_series(const std::vector<EvaluationSample>& oldest_first,
                                          std::size_t max_series, std::size_t& left_out) {
  std::vector<FindingSeries> out;
  std::map<std::string, std::size_t> index;  // kind/feature/test -> out
  left_out = 0;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  for (std::size_t e = 0; e < oldest_first.size(); ++e) {
    for (const auto& v : finding_views(oldest_first[e].evidence)) {
      // Nothing was judged (no rows, no reference): a gap, never a series of its own.
      if (v.kind == "staleness" || v.kind.empty() || v.state == "no_data") continue;
      const std::string key = v.kind + '\n' + v.feature + '\n' + v.test;
      auto it = index.find(key);
      if (it == index.end()) {
        if (out.size() >= max_series) {
          ++left_out;
          index[key] = max_series;  // counted once, never plotted
          continue;
        }
        FindingSeries s;
        s.group = v.kind == "quality" ? SeriesGroup::quality : SeriesGroup::data;
        s.title = series_title(v);
        for (std::size_t before = 0; before < e; ++before)
          s.points.push_back({oldest_first[before].evaluated_at, nan, ""});
        it = index.emplace(key, out.size()).first;
        out.push_back(std::move(s));
      }
      if (it->second >= out.size()) continue;
      auto& s = out[it->second];
      if (s.points.size() > e) continue;  // the same key twice in one evaluation: the first
      const double value = v.value.value_or(nan);
      s.points.push_back(
          {oldest_first[e].evaluated_at, value, v.drifted ? "beyond threshold" : ""});
      if (std::isfinite(value)) s.latest = value;
      if (v.threshold) s.threshold = v.threshold;
    }
    for (auto& s : out)
      if (s.points.size() <= e) s.points.push_back({oldest_first[e].evaluated_at, nan, ""});
  }
  return out;
}

std::string change_reason(const std::string& state, const json& evidence, std::size_t max_bytes) {
  if (state == "ok") return "every check within its threshold";
  std::string out;
  for (const auto& f : finding_views(evidence)) {
    if (f.state != state) continue;
    const std::string subject = f.kind + (f.feature.empty() ? "" : " " + f.feature);
    out += (out.empty() ? "" : "; ") + subject + ": " + f.reason;
  }
  if (out.empty() && state == "no_data") out = "no observations in the window";
  if (out.size() <= max_bytes) return out;
  std::size_t cut = max_bytes;
  while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
  return out.substr(0, cut) + "…";
}

std::string monitor_state_words(const std::string& state) {
  return state == "no_data" ? "no data" : state;
}

}  // namespace mlgate::core
