#include "store/results.h"

#include <cmath>
#include <limits>

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
  pqxx::stream_to out(tx, "predictions",
                      std::vector<std::string>{"job_id", "example_id", "label", "score"});
  for (const auto& p : predictions) {
    std::optional<std::string> score;
    if (p.score) score = float_text(*p.score);
    out << std::make_tuple(job_id, p.id, p.label, score);
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
           "SELECT example_id, label, score FROM predictions WHERE job_id = $1 ORDER BY example_id",
           job_id)) {
    core::Prediction p;
    p.id = r[0].as<std::string>();
    p.label = r[1].as<std::string>();
    if (!r[2].is_null()) p.score = float_value(r[2]);
    out.predictions.push_back(std::move(p));
  }
  return out;
}

}  // namespace mlgate::store
