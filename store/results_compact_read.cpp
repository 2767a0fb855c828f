// Compact result documents in libpq's binary result format (store/results_compact_read.h).
#include "store/results_compact_read.h"

#include <libpq-fe.h>

#include <memory>
#include <stdexcept>

namespace mlgate::store {
namespace {

// libpqxx 6.4 hands the transaction's PGconn only to its large-object classes.
struct ConnectionOf : pqxx::largeobject {
  static PGconn* of(const pqxx::dbtransaction& tx) { return raw_connection(tx); }
};

struct ClearResult {
  void operator()(PGresult* r) const { PQclear(r); }
};

// An int8 in binary format: 8 bytes, big-endian.
std::int64_t int8_of(const PGresult* r, int row) {
  if (PQgetlength(r, row, 0) != 8) throw std::runtime_error("job_results_compact: not an int8");
  const auto* b = reinterpret_cast<const unsigned char*>(PQgetvalue(r, row, 0));
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | b[i];
  return static_cast<std::int64_t>(v);
}

std::optional<std::string_view> bytes_of(const PGresult* r, int row, int column) {
  if (PQgetisnull(r, row, column)) return std::nullopt;
  return std::string_view(PQgetvalue(r, row, column),
                          static_cast<std::size_t>(PQgetlength(r, row, column)));
}

}  // namespace

bool read_compact_documents_binary(pqxx::transaction_base& tx, const std::string& job_array,
                                   const std::function<void(const CompactDocumentsView&)>& each) {
  const auto* db_tx = dynamic_cast<const pqxx::dbtransaction*>(&tx);
  if (!db_tx) return false;
  PGconn* conn = ConnectionOf::of(*db_tx);
  if (!conn) return false;
  const char* values[] = {job_array.c_str()};
  std::unique_ptr<PGresult, ClearResult> result(PQexecParams(
      conn, kCompactDocumentsSql, 1, nullptr, values, nullptr, nullptr, /*resultFormat=*/1));
  const PGresult* r = result.get();
  if (!r || PQresultStatus(r) != PGRES_TUPLES_OK)
    throw std::runtime_error(std::string("reading job_results_compact: ") +
                             (r ? PQresultErrorMessage(r) : PQerrorMessage(conn)));
  if (PQnfields(r) != 4) throw std::runtime_error("job_results_compact: unexpected columns");
  for (int row = 0; row < PQntuples(r); ++row)
    each(CompactDocumentsView{int8_of(r, row), bytes_of(r, row, 1), bytes_of(r, row, 2),
                              bytes_of(r, row, 3)});
  return true;
}

}  // namespace mlgate::store
