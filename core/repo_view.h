// The logic of a repository's page (docs/pages.md), pure: which deployments are current, the marks
// they put on the trend plots, and the metric trends across a branch's commits, tiers merged as the
// gate merges them (the later tier's value wins).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/states.h"
#include "core/trend_svg.h"

namespace mlgate::core {

// Of rows newest first, the index of each environment's first (current) row, in row order.
std::vector<std::size_t> current_per_environment(const std::vector<std::string>& environments);

struct DeployedCommit {
  std::string environment;
  std::string sha;
};
// sha -> "deployed: production, staging", for the current deployments in their order.
std::map<std::string, std::string> deployment_marks(const std::vector<DeployedCommit>& current);

struct TrendCommit {
  std::int64_t pipeline_id = 0;
  std::string sha;
};
// One reported global metric, in pipeline, tier and report order.
struct MetricSample {
  std::int64_t pipeline_id = 0;
  std::string name;
  double value = 0;
};
struct TrendSeries {
  std::string metric;
  std::vector<TrendPoint> points;  // one per commit, NaN where the commit has no value
  std::optional<double> latest;    // the newest finite value
  long reported = 0;               // how many commits reported it
};
// One series per metric name, by name; each commit's value is its last sample of that name.
// Points are labelled with the short sha and marked with `marks`.
std::vector<TrendSeries> metric_trends(const std::vector<TrendCommit>& commits_oldest_first,
                                       const std::vector<MetricSample>& samples,
                                       const std::map<std::string, std::string>& marks);

// A job's page refreshes while the job waits or runs.
bool job_page_refreshes(JobState state);
// The attempt's outcome as the job page prints it: the outcome, else "running" while it runs.
std::string attempt_outcome_text(std::optional<AttemptOutcome> outcome, bool ended);
// The results files of a job (results_files JSON: name -> size in bytes), by name; a size that is
// not a number is nullopt. Not a JSON object: none.
std::vector<std::pair<std::string, std::optional<std::int64_t>>> results_files(
    const std::string& json_text);
// The last `max_bytes` of a log; `cut` tells whether anything was left out.
std::string log_tail(const std::string& log, std::size_t max_bytes, bool& cut);

}  // namespace mlgate::core
