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
#include <tuple>
#include <utility>

#include "core/results_binary.h"
#include "store/pq.h"
#include "store/results_compact_read.h"

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

// NaN as PostgreSQL gives it back (any NaN is stored as NaN and read as the quiet one).
double stored_double(double v) {
  return std::isnan(v) ? std::numeric_limits<double>::quiet_NaN() : v;
}

// The results as the rows read them back (load_results_of_jobs), so that the compact documents
// give the same values in the same order: times stored as 0 when not finite; metrics in key order;
// predictions by id; slices and scores through jsonb (the last of a repeated key, sorted; a
// probability's -0 is numeric's 0).
std::vector<core::TestCase> tests_as_stored(std::vector<core::TestCase> tests) {
  for (auto& t : tests)
    if (!std::isfinite(t.time_seconds)) t.time_seconds = 0.0;
  return tests;
}

std::vector<core::Metric> metrics_as_stored(std::vector<core::Metric> metrics) {
  for (auto& m : metrics) m.value = stored_double(m.value);
  std::sort(metrics.begin(), metrics.end(), [](const core::Metric& a, const core::Metric& b) {
    return std::tie(a.slice_key, a.slice_value, a.name) <
           std::tie(b.slice_key, b.slice_value, b.name);
  });
  return metrics;
}

template <typename Value>
std::vector<std::pair<std::string, Value>> last_of_each_key(
    const std::vector<std::pair<std::string, Value>>& pairs) {
  std::map<std::string, Value> kept;
  for (const auto& [key, value] : pairs) kept.insert_or_assign(key, value);
  return {kept.begin(), kept.end()};
}

std::vector<core::Prediction> predictions_as_stored(std::vector<core::Prediction> predictions) {
  for (auto& p : predictions) {
    if (p.score) p.score = stored_double(*p.score);
    if (p.value) p.value = stored_double(*p.value);
    p.slices = last_of_each_key(p.slices);
    p.scores = last_of_each_key(p.scores);
    for (auto& [label, v] : p.scores) v = v == 0.0 ? 0.0 : stored_double(v);
  }
  std::sort(predictions.begin(), predictions.end(),
            [](const core::Prediction& a, const core::Prediction& b) { return a.id < b.id; });
  return predictions;
}

// Stores one kind's compact document for the job (migration 0030), after its rows.
void store_compact(pqxx::work& tx, std::int64_t job_id, const std::string& column,
                   const std::string& bytes) {
  const std::string name = "store_compact_" + column;
  tx.exec_prepared(prepared(tx, name,
                            "INSERT INTO job_results_compact (job_id, " + column +
                                ") VALUES ($1, $2) ON CONFLICT (job_id) DO UPDATE SET " + column +
                                " = EXCLUDED." + column),
                   job_id, to_bytea(bytes));
}

}  // namespace

void replace_test_cases(pqxx::work& tx, std::int64_t job_id,
                        const std::vector<core::TestCase>& tests) {
  tx.exec_params("DELETE FROM test_cases WHERE job_id = $1", job_id);
  store_compact(tx, job_id, "tests", core::tests_to_binary(tests_as_stored(tests)));
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
  store_compact(tx, job_id, "metrics", core::metrics_to_binary(metrics_as_stored(metrics)));
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
  store_compact(tx, job_id, "predictions",
                core::predictions_to_binary(predictions_as_stored(predictions)));
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

namespace {

// The jobs whose rows of each kind are to be read: those without that kind's compact document.
struct RowsToRead {
  std::vector<std::string> tests;
  std::vector<std::string> metrics;
  std::vector<std::string> predictions;
};

// One kind's compact document of a job into `into`; nothing when the document is NULL (then the
// job's rows of that kind are read: `need` takes its id).
template <typename Decode, typename Items>
void read_compact(const std::optional<std::string_view>& document, std::int64_t job_id,
                  const char* kind, Decode&& decode, Items& into, std::vector<std::string>& need) {
  if (!document) {
    need.push_back(std::to_string(job_id));
    return;
  }
  try {
    into = decode(*document);
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error("the stored " + std::string(kind) + " of job " +
                             std::to_string(job_id) + " are corrupt: " + e.what());
  }
}

// A bytea field's bytes, nullopt for NULL (kept in `held` while they are decoded).
std::optional<std::string_view> bytea_of(const pqxx::field& f, std::string& held) {
  if (f.is_null()) return std::nullopt;
  held = from_bytea(f);
  return held;
}

// The compact documents of the jobs (migration 0030) into `out`; what is left to read as rows.
// In binary format when the transaction allows it (store/results_compact_read.h), else as text.
RowsToRead read_compact_results(pqxx::transaction_base& tx, const std::string& job_array,
                                std::map<std::int64_t, core::JobResults>& out) {
  RowsToRead rows;
  std::map<std::int64_t, bool> found;
  for (const auto& [id, results] : out) found[id] = false;
  const auto add = [&](const CompactDocumentsView& d) {
    core::JobResults& j = out[d.job_id];
    found[d.job_id] = true;
    read_compact(d.tests, d.job_id, "tests", core::tests_from_binary, j.tests, rows.tests);
    read_compact(d.metrics, d.job_id, "metrics", core::metrics_from_binary, j.metrics,
                 rows.metrics);
    read_compact(d.predictions, d.job_id, "predictions", core::predictions_from_binary,
                 j.predictions, rows.predictions);
  };
  if (!read_compact_documents_binary(tx, job_array, add)) {
    for (const auto& r :
         tx.exec_prepared(prepared(tx, "results_compact", kCompactDocumentsSql), job_array)) {
      std::string tests, metrics, predictions;
      add(CompactDocumentsView{r[0].as<std::int64_t>(), bytea_of(r[1], tests),
                               bytea_of(r[2], metrics), bytea_of(r[3], predictions)});
    }
  }
  for (const auto& [id, has_row] : found) {
    if (has_row) continue;
    for (auto* need : {&rows.tests, &rows.metrics, &rows.predictions})
      need->push_back(std::to_string(id));
  }
  return rows;
}

}  // namespace

std::map<std::int64_t, core::JobResults> load_results_of_jobs(
    pqxx::transaction_base& tx, const std::vector<std::int64_t>& job_ids) {
  std::map<std::int64_t, core::JobResults> out;
  for (auto id : job_ids) out[id];
  if (job_ids.empty()) return out;
  std::vector<std::string> ids;
  for (auto id : job_ids) ids.push_back(std::to_string(id));
  // The compact documents first: one statement for all the jobs; then, only for the kinds of the
  // jobs that have none (stored before migration 0030, or forgotten by a delete), one statement per
  // kind. Texts in byte order (COLLATE "C"), as the documents hold them, whatever the database's
  // collation.
  const RowsToRead rows = read_compact_results(tx, to_pg_array(ids), out);
  if (!rows.tests.empty())
    for_each_job_row(
        tx.exec_prepared(
            prepared(tx, "results_tests",
                     "SELECT job_id, name, classname, status, time_seconds, message, mltest "
                     "FROM test_cases WHERE job_id = ANY($1::bigint[]) ORDER BY job_id, id"),
            to_pg_array(rows.tests)),
        out, [](core::JobResults& j, const pqxx::row& r) { j.tests.push_back(test_case_of(r)); });
  if (!rows.metrics.empty())
    for_each_job_row(
        tx.exec_prepared(prepared(tx, "results_metrics",
                                  "SELECT job_id, name, slice_key, slice_value, n, value FROM "
                                  "metrics WHERE job_id = ANY($1::bigint[]) ORDER BY job_id, "
                                  "slice_key COLLATE \"C\", slice_value COLLATE \"C\", "
                                  "name COLLATE \"C\""),
                         to_pg_array(rows.metrics)),
        out, [](core::JobResults& j, const pqxx::row& r) { j.metrics.push_back(metric_of(r)); });
  if (!rows.predictions.empty())
    for_each_job_row(
        tx.exec_prepared(prepared(tx, "results_predictions",
                                  "SELECT job_id, example_id, label, score, truth, value, slices, "
                                  "scores FROM predictions WHERE job_id = ANY($1::bigint[]) "
                                  "ORDER BY job_id, example_id COLLATE \"C\""),
                         to_pg_array(rows.predictions)),
        out,
        [](core::JobResults& j, const pqxx::row& r) { j.predictions.push_back(prediction_of(r)); });
  return out;
}

core::JobResults load_results(pqxx::transaction_base& tx, std::int64_t job_id) {
  return std::move(load_results_of_jobs(tx, {job_id})[job_id]);
}

}  // namespace mlgate::store
