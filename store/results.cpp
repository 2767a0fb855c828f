#include "store/results.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "store/pq.h"

namespace mlgate::store {
namespace {

// libpqxx 6.4 writes NaN and infinities as "nan"/"inf", which PostgreSQL does not read: pass the
// spellings it does.
std::string float_text(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  return pqxx::to_string(v);
}

double float_value(const pqxx::field& f) {
  const std::string s = f.c_str();
  if (s == "NaN") return std::numeric_limits<double>::quiet_NaN();
  if (s == "Infinity") return std::numeric_limits<double>::infinity();
  if (s == "-Infinity") return -std::numeric_limits<double>::infinity();
  return f.as<double>();
}

std::optional<std::string> optional_float_text(const std::optional<double>& v) {
  if (!v) return std::nullopt;
  return float_text(*v);
}

double float_from_text(const std::string& s) {
  if (s == "NaN") return std::numeric_limits<double>::quiet_NaN();
  if (s == "Infinity") return std::numeric_limits<double>::infinity();
  if (s == "-Infinity") return -std::numeric_limits<double>::infinity();
  return std::stod(s);
}

// slices as a jsonb object of strings; NULL when there are none.
std::optional<std::string> slices_json(const core::Prediction& p) {
  if (p.slices.empty()) return std::nullopt;
  nlohmann::json o = nlohmann::json::object();
  for (const auto& [key, value] : p.slices) o[key] = value;
  return o.dump();
}

// scores as a jsonb object of numbers; JSON has no NaN or infinities, so those are the strings
// "NaN", "Infinity", "-Infinity". NULL when there are none.
std::optional<std::string> scores_json(const core::Prediction& p) {
  if (p.scores.empty()) return std::nullopt;
  nlohmann::json o = nlohmann::json::object();
  for (const auto& [label, v] : p.scores) {
    o[label] = std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(float_text(v));
  }
  return o.dump();
}

// The jsonb columns back: objects in key order (jsonb's own order is not byte order).
void read_slices(const pqxx::field& f, core::Prediction& p) {
  if (f.is_null()) return;
  const nlohmann::json object = nlohmann::json::parse(f.c_str());
  for (const auto& [key, value] : object.items()) {
    p.slices.emplace_back(key, value.get<std::string>());
  }
  std::sort(p.slices.begin(), p.slices.end());
}

void read_scores(const pqxx::field& f, core::Prediction& p) {
  if (f.is_null()) return;
  const nlohmann::json object = nlohmann::json::parse(f.c_str());
  for (const auto& [label, v] : object.items()) {
    p.scores.emplace_back(label,
                          v.is_string() ? float_from_text(v.get<std::string>()) : v.get<double>());
  }
  std::sort(p.scores.begin(), p.scores.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
}

}  // namespace

void replace_test_cases(pqxx::work& tx, std::int64_t job_id,
                        const std::vector<core::TestCase>& tests) {
  tx.exec_params("DELETE FROM test_cases WHERE job_id = $1", job_id);
  if (tests.empty()) return;
  pqxx::stream_to out(tx, "test_cases",
                      std::vector<std::string>{"job_id", "name", "classname", "status",
                                               "time_seconds", "message", "mltest"});
  for (const auto& t : tests) {
    out << std::make_tuple(job_id, t.name, t.classname, core::to_string(t.status),
                           float_text(std::isfinite(t.time_seconds) ? t.time_seconds : 0.0),
                           t.message, to_pg_array(t.mltest));
  }
  out.complete();
}

void replace_metrics(pqxx::work& tx, std::int64_t job_id,
                     const std::vector<core::Metric>& metrics) {
  tx.exec_params("DELETE FROM metrics WHERE job_id = $1", job_id);
  if (metrics.empty()) return;
  pqxx::stream_to out(
      tx, "metrics",
      std::vector<std::string>{"job_id", "name", "slice_key", "slice_value", "n", "value"});
  for (const auto& m : metrics) {
    out << std::make_tuple(job_id, m.name, m.slice_key, m.slice_value, m.n, float_text(m.value));
  }
  out.complete();
}

void replace_predictions(pqxx::work& tx, std::int64_t job_id,
                         const std::vector<core::Prediction>& predictions) {
  tx.exec_params("DELETE FROM predictions WHERE job_id = $1", job_id);
  if (predictions.empty()) return;
  // stream_to writes an empty std::optional as \N, COPY's NULL.
  pqxx::stream_to out(tx, "predictions",
                      std::vector<std::string>{"job_id", "example_id", "label", "score", "truth",
                                               "value", "slices", "scores"});
  for (const auto& p : predictions) {
    out << std::make_tuple(job_id, p.id, p.label, optional_float_text(p.score), p.truth,
                           optional_float_text(p.value), slices_json(p), scores_json(p));
  }
  out.complete();
}

core::JobResults load_results(pqxx::transaction_base& tx, std::int64_t job_id) {
  core::JobResults out;
  for (const auto& r : tx.exec_params(
           "SELECT name, classname, status, time_seconds, message, mltest FROM test_cases "
           "WHERE job_id = $1 ORDER BY id",
           job_id)) {
    core::TestCase t;
    t.name = r[0].as<std::string>();
    t.classname = r[1].as<std::string>();
    t.status =
        core::test_status_from_string(r[2].as<std::string>()).value_or(core::TestStatus::error);
    t.time_seconds = float_value(r[3]);
    t.message = r[4].as<std::string>();
    t.mltest = from_pg_array(r[5]);
    out.tests.push_back(std::move(t));
  }
  for (const auto& r : tx.exec_params(
           "SELECT name, slice_key, slice_value, n, value FROM metrics WHERE job_id = $1 "
           "ORDER BY slice_key, slice_value, name",
           job_id)) {
    core::Metric m;
    m.name = r[0].as<std::string>();
    m.slice_key = r[1].as<std::string>();
    m.slice_value = r[2].as<std::string>();
    m.n = get_optional<std::int64_t>(r[3]);
    m.value = float_value(r[4]);
    out.metrics.push_back(std::move(m));
  }
  for (const auto& r : tx.exec_params(
           "SELECT example_id, label, score, truth, value, slices, scores FROM predictions "
           "WHERE job_id = $1 ORDER BY example_id",
           job_id)) {
    core::Prediction p;
    p.id = r[0].as<std::string>();
    p.label = r[1].as<std::string>();
    if (!r[2].is_null()) p.score = float_value(r[2]);
    if (!r[3].is_null()) p.truth = r[3].as<std::string>();
    if (!r[4].is_null()) p.value = float_value(r[4]);
    read_slices(r[5], p);
    read_scores(r[6], p);
    out.predictions.push_back(std::move(p));
  }
  return out;
}

}  // namespace mlgate::store
