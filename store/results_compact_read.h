// The compact documents of jobs (job_results_compact, core/results_binary.h) read in libpq's binary
// result format: PostgreSQL sends each bytea as its bytes instead of hex text twice its size
// (which it would spend hex_encode on, and serve PQunescapeBytea and a copy), and the bytes are
// decoded where libpq received them. libpqxx 6.4 asks only for text results, so this runs the
// statement through libpq on the transaction's own connection (docs/results.md, "Compact results").
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <string_view>

namespace mlgate::store {

// The statement, in either format: $1 the jobs (a bigint[] literal).
inline constexpr const char* kCompactDocumentsSql =
    "SELECT job_id, tests, metrics, predictions FROM job_results_compact "
    "WHERE job_id = ANY($1::bigint[])";

// One row of job_results_compact: a NULL document is nullopt. The views point into libpq's result
// and are valid only during the call they are passed to.
struct CompactDocumentsView {
  std::int64_t job_id = 0;
  std::optional<std::string_view> tests;
  std::optional<std::string_view> metrics;
  std::optional<std::string_view> predictions;
};

// Calls `each` for every row of job_results_compact whose job is in `job_array` (a bigint[]
// literal), in binary format. False, having called nothing, when `tx` has no connection of its own
// that libpq can be given (it is not a pqxx::dbtransaction): the caller reads them as text then.
// A failed statement throws std::runtime_error with PostgreSQL's message (the transaction is then
// aborted, as with any failed statement).
bool read_compact_documents_binary(pqxx::transaction_base& tx, const std::string& job_array,
                                   const std::function<void(const CompactDocumentsView&)>& each);

}  // namespace mlgate::store
