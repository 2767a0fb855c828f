#include "store/results.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
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

// PostgreSQL's text of a double precision: shortest round-trip digits, or NaN, Infinity, -Infinity.
// from_chars, not pqxx's stream-based conversion: a gate reads thousands of these per decision.
double float_value(const pqxx::field& f) {
  const std::string_view s(f.c_str(), f.size());
  if (s == "NaN") return std::numeric_limits<double>::quiet_NaN();
  if (s == "Infinity") return std::numeric_limits<double>::infinity();
  if (s == "-Infinity") return -std::numeric_limits<double>::infinity();
  double v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size())
    throw std::runtime_error("not a number in the database: '" + std::string(s) + "'");
  return v;
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

namespace {

core::TestCase test_case_of(const pqxx::row& r) {
  core::TestCase t;
  t.name = r[1].as<std::string>();
  t.classname = r[2].as<std::string>();
  t.status = core::test_status_from_string(r[3].c_str()).value_or(core::TestStatus::error);
  t.time_seconds = float_value(r[4]);
  t.message = r[5].as<std::string>();
  t.mltest = from_pg_array(r[6]);
  return t;
}

core::Metric metric_of(const pqxx::row& r) {
  core::Metric m;
  m.name = r[1].as<std::string>();
  m.slice_key = r[2].as<std::string>();
  m.slice_value = r[3].as<std::string>();
  m.n = get_optional<std::int64_t>(r[4]);
  m.value = float_value(r[5]);
  return m;
}

core::Prediction prediction_of(const pqxx::row& r) {
  core::Prediction p;
  p.id = r[1].as<std::string>();
  p.label = r[2].as<std::string>();
  if (!r[3].is_null()) p.score = float_value(r[3]);
  if (!r[4].is_null()) p.truth = r[4].as<std::string>();
  if (!r[5].is_null()) p.value = float_value(r[5]);
  read_slices(r[6], p);
  read_scores(r[7], p);
  return p;
}

// The JobResults of the job a row (its column 0) belongs to; rows come ordered by job.
template <typename Add>
void for_each_job_row(const pqxx::result& rows, std::map<std::int64_t, core::JobResults>& out,
                      Add&& add) {
  core::JobResults* current = nullptr;
  std::int64_t current_id = 0;
  for (const auto& r : rows) {
    const auto id = r[0].as<std::int64_t>();
    if (!current || id != current_id) {
      current = &out[id];
      current_id = id;
    }
    add(*current, r);
  }
}

}  // namespace

std::map<std::int64_t, core::JobResults> load_results_of_jobs(
    pqxx::transaction_base& tx, const std::vector<std::int64_t>& job_ids) {
  std::map<std::int64_t, core::JobResults> out;
  for (auto id : job_ids) out[id];
  if (job_ids.empty()) return out;
  std::vector<std::string> ids;
  for (auto id : job_ids) ids.push_back(std::to_string(id));
  const std::string array = to_pg_array(ids);
  // Three statements for all the jobs, not three per job.
  for_each_job_row(
      tx.exec_prepared(
          prepared(tx, "results_tests",
                   "SELECT job_id, name, classname, status, time_seconds, message, mltest "
                   "FROM test_cases WHERE job_id = ANY($1::bigint[]) ORDER BY job_id, id"),
          array),
      out, [](core::JobResults& j, const pqxx::row& r) { j.tests.push_back(test_case_of(r)); });
  for_each_job_row(
      tx.exec_prepared(prepared(tx, "results_metrics",
                                "SELECT job_id, name, slice_key, slice_value, n, value FROM "
                                "metrics WHERE job_id = ANY($1::bigint[]) "
                                "ORDER BY job_id, slice_key, slice_value, name"),
                       array),
      out, [](core::JobResults& j, const pqxx::row& r) { j.metrics.push_back(metric_of(r)); });
  for_each_job_row(
      tx.exec_prepared(
          prepared(tx, "results_predictions",
                   "SELECT job_id, example_id, label, score, truth, value, slices, scores "
                   "FROM predictions WHERE job_id = ANY($1::bigint[]) ORDER BY job_id, example_id"),
          array),
      out,
      [](core::JobResults& j, const pqxx::row& r) { j.predictions.push_back(prediction_of(r)); });
  return out;
}

core::JobResults load_results(pqxx::transaction_base& tx, std::int64_t job_id) {
  return std::move(load_results_of_jobs(tx, {job_id})[job_id]);
}

}  // namespace mlgate::store
