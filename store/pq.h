// libpqxx 6.4 glue: small row helpers. (libpqxx 6.4 already passes an empty std::optional as NULL.)
// Every query in store/ is parameterised; nothing is ever spliced into SQL text.
#pragma once

#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

namespace mlgate::store {

template <typename T>
std::optional<T> get_optional(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return f.as<T>();
}

// A Postgres text[] literal for an array parameter: '{"a","b"}' with quotes and backslashes
// escaped.
std::string to_pg_array(const std::vector<std::string>& items);
// Parses a text[] value as libpq returns it ({a,"b c",NULL}); NULL elements are skipped.
std::vector<std::string> from_pg_array(const pqxx::field& f);

// Defines `sql` as the connection's prepared statement `name` (nothing to do when it already is)
// and returns the name, for tx.exec_prepared / exec_prepared1: PostgreSQL then parses and plans the
// statement once per connection instead of on every call (hot paths only, e.g. the gate's reads).
// libpqxx prepares it on the server at first use, and again after a reconnect. A name must always
// be given the same text.
const std::string& prepared(pqxx::transaction_base& tx, const std::string& name,
                            const std::string& sql);

// `column` (a timestamptz expression) as ISO 8601 text in UTC, to the second: SQL to select.
std::string iso_utc_sql(const std::string& column);

// bytea in both directions: a binary parameter, and the bytes of a bytea field.
pqxx::binarystring to_bytea(const std::string& bytes);
std::string from_bytea(const pqxx::field& f);

}  // namespace mlgate::store
