#include "core/observations.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "core/json_bounded.h"

namespace mlgate::core {
namespace {

using nlohmann::json;

bool is_sha(const std::string& s) {
  if (s.size() != 40 && s.size() != 64) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

ObservationError line_error(std::size_t line, const std::string& message, int status = 400) {
  return {status, line, "line " + std::to_string(line) + ": " + message};
}

// Calls fn(line_number, text) for each non-blank line; stops at the first error fn returns.
template <typename F>
std::optional<ObservationError> each_line(std::string_view body, F&& fn) {
  std::size_t number = 0;
  while (!body.empty()) {
    const auto end = body.find('\n');
    std::string_view line = body.substr(0, end);
    body = end == std::string_view::npos ? std::string_view{} : body.substr(end + 1);
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    if (auto error = fn(number, line)) return error;
  }
  return std::nullopt;
}

std::optional<ObservationError> parse_object(std::size_t number, std::string_view line,
                                             const ObservationLimits& limits, json& out) {
  try {
    out = parse_json_bounded(line, limits.max_depth);
  } catch (const JsonInputError& e) {
    return line_error(number, e.what());
  }
  if (!out.is_object()) return line_error(number, "not a JSON object");
  if (holds_nul(out)) return line_error(number, "a string holds the NUL character (\\u0000)");
  return std::nullopt;
}

std::optional<ObservationError> take_id(std::size_t number, json& row, std::string& id) {
  auto it = row.find("id");
  if (it == row.end() || !it->is_string() || it->get_ref<const std::string&>().empty())
    return line_error(number, "id: a non-empty string is required");
  id = std::move(it->get_ref<std::string&>());
  if (id.size() > kObservationMaxIdBytes)
    return line_error(number, "id: at most " + std::to_string(kObservationMaxIdBytes) + " bytes");
  return std::nullopt;
}

// "metrics": an object of numbers, bounded in count and name length.
std::optional<ObservationError> take_metrics(std::size_t number, const json& row,
                                             std::map<std::string, double>& out) {
  auto m = row.find("metrics");
  if (m == row.end() || m->is_null()) return std::nullopt;
  if (!m->is_object()) return line_error(number, "metrics: an object of numbers");
  if (m->size() > kObservationMaxMetrics)
    return line_error(number, "metrics: at most " + std::to_string(kObservationMaxMetrics));
  for (const auto& [name, value] : m->items()) {
    if (name.empty() || name.size() > kObservationMaxMetricNameBytes)
      return line_error(number, "metrics: a name is 1 to " +
                                    std::to_string(kObservationMaxMetricNameBytes) + " bytes");
    if (!value.is_number()) return line_error(number, "metrics." + name + ": a number");
    out[name] = value.get<double>();
  }
  return std::nullopt;
}

std::optional<ObservationError> fill_row(std::size_t number, json& row,
                                         const ObservationLimits& limits, ObservationRow& out) {
  if (auto e = take_id(number, row, out.id)) return e;
  auto ts = row.contains("ts") ? parse_observation_ts(row["ts"]) : std::nullopt;
  if (!ts)
    return line_error(number, "ts: seconds since the epoch or an ISO 8601 UTC time is required");
  if (limits.max_ts > 0 && *ts > limits.max_ts)
    return line_error(number, "ts: more than a day ahead of the server's clock");
  out.ts = *ts;
  auto features = row.find("features");
  if (features == row.end() || !features->is_object())
    return line_error(number, "features: an object is required");
  if (features->size() > limits.max_features)
    return line_error(number, "features: " + std::to_string(features->size()) +
                                  " features, over the limit of " +
                                  std::to_string(limits.max_features));
  out.features = std::move(*features);
  if (auto p = row.find("prediction"); p != row.end() && !p->is_null()) {
    if (!p->is_object()) return line_error(number, "prediction: an object");
    if (p->size() > limits.max_features) return line_error(number, "prediction: too many keys");
    out.prediction = std::move(*p);
  }
  if (auto t = row.find("truth"); t != row.end()) out.truth = std::move(*t);
  if (auto e = take_metrics(number, row, out.metrics)) return e;
  if (auto s = row.find("sha"); s != row.end() && !s->is_null()) {
    if (!s->is_string() || !is_sha(s->get<std::string>()))
      return line_error(number, "sha: a full 40 (or 64) lower-case hex digit commit id");
    out.sha = s->get<std::string>();
  }
  return std::nullopt;
}

template <typename Row, typename Fill>
ParsedLines<Row> parse_lines(std::string_view body, const ObservationLimits& limits, Fill fill) {
  ParsedLines<Row> parsed;
  parsed.error = each_line(
      body, [&](std::size_t number, std::string_view line) -> std::optional<ObservationError> {
        if (parsed.rows.size() >= limits.max_rows)
          return line_error(
              number, "over the limit of " + std::to_string(limits.max_rows) + " rows per batch",
              413);
        json object;
        if (auto e = parse_object(number, line, limits, object)) return e;
        Row row;
        if (auto e = fill(number, object, row)) return e;
        parsed.rows.push_back(std::move(row));
        return std::nullopt;
      });
  if (parsed.error) parsed.rows.clear();
  return parsed;
}

}  // namespace

ParsedLines<ObservationRow> parse_observation_lines(std::string_view body,
                                                    const ObservationLimits& limits) {
  return parse_lines<ObservationRow>(body, limits,
                                     [&](std::size_t number, json& object, ObservationRow& row) {
                                       return fill_row(number, object, limits, row);
                                     });
}

ParsedLines<TruthRow> parse_truth_lines(std::string_view body, const ObservationLimits& limits) {
  return parse_lines<TruthRow>(
      body, limits,
      [](std::size_t number, json& object, TruthRow& row) -> std::optional<ObservationError> {
        if (auto e = take_id(number, object, row.id)) return e;
        auto t = object.find("truth");
        if (t == object.end() || t->is_null()) return line_error(number, "truth is required");
        row.truth = std::move(*t);
        return std::nullopt;
      });
}

std::optional<double> parse_observation_ts(const json& value) {
  if (value.is_number()) {
    const double t = value.get<double>();
    if (!std::isfinite(t) || t < 0 || t > 32503680000.0) return std::nullopt;  // before 3000
    return t;
  }
  if (!value.is_string()) return std::nullopt;
  const auto& text = value.get_ref<const std::string&>();
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0, used = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &s, &used) !=
          6 ||
      used != 19)
    return std::nullopt;
  std::string_view rest = std::string_view(text).substr(19);
  double fraction = 0;
  if (!rest.empty() && rest[0] == '.') {
    std::size_t i = 1;
    for (double scale = 0.1; i < rest.size() && rest[i] >= '0' && rest[i] <= '9'; ++i, scale /= 10)
      fraction += (rest[i] - '0') * scale;
    if (i == 1) return std::nullopt;
    rest = rest.substr(i);
  }
  if (rest != "Z" && rest != "+00:00") return std::nullopt;
  const std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month(mo),
                                        std::chrono::day(d)};
  if (!ymd.ok() || h > 23 || mi > 59 || s > 60) return std::nullopt;
  const auto days = std::chrono::sys_days(ymd).time_since_epoch().count();
  const double t = days * 86400.0 + h * 3600 + mi * 60 + s + fraction;
  if (t < 0) return std::nullopt;
  return t;
}

std::int64_t observation_window(double ts) {
  const auto seconds = static_cast<std::int64_t>(std::floor(ts));
  return seconds - seconds % kObservationWindowSeconds;
}

std::string sha_deployed_at(const std::vector<DeployedSince>& history, double ts) {
  auto it = std::upper_bound(history.begin(), history.end(), ts,
                             [](double t, const DeployedSince& d) { return t < d.since; });
  return it == history.begin() ? std::string() : std::prev(it)->sha;
}

std::map<ObservationKey, DatasetProfile> fold_observations(
    std::vector<ObservationRow>& rows, const std::vector<DeployedSince>& history,
    std::uint64_t seed) {
  std::map<ObservationKey, ProfileBuilder> builders;
  for (auto& row : rows) {
    if (row.sha.empty()) row.sha = sha_deployed_at(history, row.ts);
    ObservationKey key{observation_window(row.ts), row.sha};
    auto it = builders.find(key);
    if (it == builders.end())
      it = builders.emplace(key, ProfileBuilder(seed ^ static_cast<std::uint64_t>(key.window)))
               .first;
    it->second.add_row(row.features, row.prediction.is_object() ? &row.prediction : nullptr);
  }
  std::map<ObservationKey, DatasetProfile> profiles;
  for (auto& [key, builder] : builders) profiles.emplace(key, std::move(builder).finish());
  return profiles;
}

Parsed<ReferenceProfile> parse_reference_jsonl(std::string_view body, std::size_t max_rows,
                                               std::uint64_t seed) {
  ProfileBuilder builder(seed);
  std::size_t rows = 0, skipped = 0;
  auto error = each_line(
      body, [&](std::size_t number, std::string_view line) -> std::optional<ObservationError> {
        if (rows >= max_rows) {
          ++skipped;
          return std::nullopt;
        }
        json row;
        if (auto e = parse_object(number, line, ObservationLimits{}, row)) return e;
        auto features = row.find("features");
        if (features == row.end() || !features->is_object())
          return line_error(number, "features: an object is required");
        auto prediction = row.find("prediction");
        const bool has_prediction = prediction != row.end() && prediction->is_object();
        if (prediction != row.end() && !prediction->is_null() && !has_prediction)
          return line_error(number, "prediction: an object");
        builder.add_row(*features, has_prediction ? &*prediction : nullptr);
        ++rows;
        return std::nullopt;
      });
  if (error)
    return ParseError{"reference.jsonl", static_cast<int>(error->line), 0,
                      error->message.substr(error->message.find(": ") + 2)};
  return ReferenceProfile{std::move(builder).finish(), skipped};
}

}  // namespace mlgate::core
