#include "store/pq.h"

namespace mlgate::store {

std::string to_pg_array(const std::vector<std::string>& items) {
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    out += '"';
    for (char c : items[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

std::vector<std::string> from_pg_array(const pqxx::field& f) {
  std::vector<std::string> out;
  if (f.is_null()) return out;
  auto parser = f.as_array();
  for (auto [kind, value] = parser.get_next(); kind != pqxx::array_parser::done;
       std::tie(kind, value) = parser.get_next()) {
    if (kind == pqxx::array_parser::string_value) out.push_back(value);
  }
  return out;
}

pqxx::binarystring to_bytea(const std::string& bytes) {
  return pqxx::binarystring(bytes.data(), bytes.size());
}

std::string from_bytea(const pqxx::field& f) {
  if (f.is_null()) return {};
  pqxx::binarystring b(f);
  return b.str();
}

const std::string& prepared(pqxx::transaction_base& tx, const std::string& name,
                            const std::string& sql) {
  tx.conn().prepare(name, sql);  // only remembered: prepared on the server when first executed
  return name;
}

std::string iso_utc_sql(const std::string& column) {
  return "to_char(" + column + " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')";
}

}  // namespace mlgate::store
