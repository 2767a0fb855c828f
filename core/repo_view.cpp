#include "core/repo_view.h"

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "util/strings.h"

namespace mlgate::core {

std::vector<std::size_t> current_per_environment(const std::vector<std::string>& environments) {
  std::vector<std::size_t> out;
  std::set<std::string> seen;
  for (std::size_t i = 0; i < environments.size(); ++i)
    if (seen.insert(environments[i]).second) out.push_back(i);
  return out;
}

std::map<std::string, std::string> deployment_marks(const std::vector<DeployedCommit>& current) {
  std::map<std::string, std::string> marks;
  for (const auto& d : current) {
    auto& m = marks[d.sha];
    m += (m.empty() ? "deployed: " : ", ") + d.environment;
  }
  return marks;
}

std::vector<TrendSeries> metric_trends(const std::vector<TrendCommit>& commits_oldest_first,
                                       const std::vector<MetricSample>& samples,
                                       const std::map<std::string, std::string>& marks) {
  std::map<std::string, std::map<std::int64_t, double>> values;  // by name, so sorted
  for (const auto& s : samples) values[s.name][s.pipeline_id] = s.value;
  std::vector<TrendSeries> out;
  for (const auto& [name, by_pipeline] : values) {
    TrendSeries series;
    series.metric = name;
    series.reported = static_cast<long>(by_pipeline.size());
    for (const auto& c : commits_oldest_first) {
      TrendPoint p;
      p.label = util::short_sha(c.sha);
      auto it = by_pipeline.find(c.pipeline_id);
      p.value = it == by_pipeline.end() ? std::numeric_limits<double>::quiet_NaN() : it->second;
      if (std::isfinite(p.value)) series.latest = p.value;
      if (auto m = marks.find(c.sha); m != marks.end()) p.mark = m->second;
      series.points.push_back(std::move(p));
    }
    out.push_back(std::move(series));
  }
  return out;
}

bool job_page_refreshes(JobState state) {
  return state == JobState::blocked || state == JobState::queued || state == JobState::running;
}

std::string attempt_outcome_text(std::optional<AttemptOutcome> outcome, bool ended) {
  if (outcome) return std::string(to_string(*outcome));
  return ended ? "" : std::string(to_string(JobState::running));
}

std::vector<std::pair<std::string, std::optional<std::int64_t>>> results_files(
    const std::string& json_text) {
  std::vector<std::pair<std::string, std::optional<std::int64_t>>> out;
  const auto files = nlohmann::json::parse(json_text, nullptr, false);
  if (!files.is_object()) return out;
  for (const auto& [name, size] : files.items())
    out.emplace_back(name,
                     size.is_number() ? std::optional(size.get<std::int64_t>()) : std::nullopt);
  return out;
}

std::string log_tail(const std::string& log, std::size_t max_bytes, bool& cut) {
  cut = log.size() > max_bytes;
  return cut ? log.substr(log.size() - max_bytes) : log;
}

}  // namespace mlgate::core
