// The migration runner: applies migrations/NNNN_name.sql in order, each in its own transaction,
// under a PostgreSQL advisory lock (so concurrent starts are safe), recording name and checksum in
// schema_migrations. An applied migration whose text changed is refused, as is a database that has
// migrations this binary does not know (a newer mlgate migrated it).
#pragma once

#include <pqxx/pqxx>
#include <stdexcept>
#include <string>
#include <vector>

namespace mlgate::store {

struct Migration {
  std::string name;  // "0001_init"
  std::string sql;
};

class MigrationError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The migrations compiled into this binary (generated from migrations/*.sql).
const std::vector<Migration>& embedded_migrations();

// Reads NNNN_name.sql files from a directory, sorted by name (for --migrations-dir and tests).
std::vector<Migration> load_migrations(const std::string& dir);

std::string migration_checksum(const Migration& m);  // sha256 of the SQL text, hex

struct MigrationReport {
  std::vector<std::string> applied;  // names applied by this call
  size_t already_applied = 0;
};

// Applies what is pending. Throws MigrationError on a checksum mismatch or an unknown applied
// migration, pqxx errors when a migration's SQL fails (that migration's transaction is rolled
// back).
MigrationReport migrate(pqxx::connection& conn, const std::vector<Migration>& migrations);

// "" when every migration is applied with a matching checksum; otherwise the reason (for /readyz).
std::string migrations_pending_reason(pqxx::connection& conn,
                                      const std::vector<Migration>& migrations);

}  // namespace mlgate::store
