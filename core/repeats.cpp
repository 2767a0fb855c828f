#include "core/repeats.h"

#include <algorithm>
#include <tuple>
#include <utility>

#include "core/stats.h"

namespace mlgate::core {
namespace {

using MetricKey = std::tuple<std::string, std::string, std::string>;  // name, slice key, value

MetricKey key_of(const Metric& m) {
  return {m.name, m.slice_key, m.slice_value};
}

// Per metric, in order of first appearance: its last occurrence in each run that reported it.
struct Reported {
  std::vector<MetricKey> order;
  std::map<MetricKey, std::vector<const Metric*>> per_run;
};

Reported reported_metrics(const std::vector<JobResults>& runs) {
  Reported out;
  for (const JobResults& run : runs) {
    std::map<MetricKey, const Metric*> last;
    for (const Metric& m : run.metrics) last[key_of(m)] = &m;
    for (const Metric& m : run.metrics) {
      const MetricKey k = key_of(m);
      auto it = last.find(k);
      if (it == last.end()) continue;  // this run's value of k is taken already
      auto [slot, added] = out.per_run.try_emplace(k);
      if (added) out.order.push_back(k);
      slot->second.push_back(it->second);
      last.erase(it);
    }
  }
  return out;
}

}  // namespace

JobResults merge_repeats(std::vector<JobResults> runs) {
  if (runs.size() == 1) return std::move(runs.front());
  JobResults out;
  const Reported reported = reported_metrics(runs);
  for (const MetricKey& k : reported.order) {
    const std::vector<const Metric*>& ms = reported.per_run.at(k);
    std::vector<double> values;
    for (const Metric* m : ms) values.push_back(m->value);
    Metric mean = *ms.back();
    mean.value = sample_mean(values);
    if (mean.slice_key.empty())
      out.repeat_values[mean.name] = std::move(values);
    else
      out.slice_repeat_values[k] = std::move(values);
    out.metrics.push_back(std::move(mean));
  }
  const bool predicted = std::any_of(runs.begin(), runs.end(),
                                     [](const JobResults& r) { return !r.predictions.empty(); });
  for (JobResults& run : runs) {
    for (TestCase& t : run.tests) out.tests.push_back(std::move(t));
    for (const Prediction& p : run.predictions) out.predictions.push_back(p);
    if (predicted) out.repeat_predictions.push_back(std::move(run.predictions));
  }
  return out;
}

namespace {

// `from`'s items moved to the end of `to`: the whole vector when `to` is empty (the first tier with
// any: no item moved one by one).
template <typename T>
void append_moved(std::vector<T>& to, std::vector<T>& from) {
  if (to.empty()) {
    to = std::move(from);
    return;
  }
  to.reserve(to.size() + from.size());
  for (T& item : from) to.push_back(std::move(item));
}

}  // namespace

void append_tier_results(JobResults& merged, JobResults tier) {
  for (const Metric& m : tier.metrics) {
    if (m.slice_key.empty())
      merged.repeat_values.erase(m.name);
    else
      merged.slice_repeat_values.erase(key_of(m));
  }
  for (auto& [name, values] : tier.repeat_values) merged.repeat_values[name] = std::move(values);
  for (auto& [k, values] : tier.slice_repeat_values)
    merged.slice_repeat_values[k] = std::move(values);
  if (!tier.repeat_predictions.empty()) {
    // Each repeat sees the earlier tiers' lines, then its own.
    for (std::vector<Prediction>& own : tier.repeat_predictions)
      own.insert(own.begin(), merged.predictions.begin(), merged.predictions.end());
    merged.repeat_predictions = std::move(tier.repeat_predictions);
  } else {
    for (std::vector<Prediction>& view : merged.repeat_predictions)
      view.insert(view.end(), tier.predictions.begin(), tier.predictions.end());
  }
  append_moved(merged.tests, tier.tests);
  append_moved(merged.metrics, tier.metrics);
  append_moved(merged.predictions, tier.predictions);
}

std::string tier_label(const std::string& tier, int repeat, int repeats) {
  return repeats > 1 ? tier + " #" + std::to_string(repeat + 1) : tier;
}

std::vector<TierState> tier_states_of_repeats(const std::vector<TierState>& jobs) {
  std::vector<TierState> out;
  for (std::size_t begin = 0; begin < jobs.size();) {
    std::size_t end = begin;
    while (end < jobs.size() && jobs[end].tier == jobs[begin].tier) ++end;
    TierState t = jobs[begin];
    t.repeats = static_cast<int>(end - begin);
    t.repeat = 0;
    auto pick = [&](auto&& wanted) {
      for (std::size_t i = begin; i < end; ++i) {
        if (!wanted(jobs[i].state)) continue;
        t.state = jobs[i].state;
        t.repeat = static_cast<int>(i - begin);
        return true;
      }
      return false;
    };
    if (!pick([](JobState s) { return !is_finished(s); }))
      pick([](JobState s) { return s != JobState::passed; });
    out.push_back(std::move(t));
    begin = end;
  }
  return out;
}

}  // namespace mlgate::core
