#include "store/migrations.h"

#include <openssl/evp.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "util/hash.h"

namespace mlgate::store {
namespace {

// pg_advisory_lock key for migrations: "mlgate" in ASCII.
constexpr long long kMigrationLockKey = 0x6d6c67617465LL;

struct AdvisoryLock {
  explicit AdvisoryLock(pqxx::connection& c) : conn(c) {
    pqxx::nontransaction tx(conn);
    tx.exec_params("SELECT pg_advisory_lock($1)", kMigrationLockKey);
  }
  ~AdvisoryLock() {
    try {
      pqxx::nontransaction tx(conn);
      tx.exec_params("SELECT pg_advisory_unlock($1)", kMigrationLockKey);
    } catch (const std::exception&) {
      // The connection broke: PostgreSQL released the session's lock with it.
    }
  }
  pqxx::connection& conn;
};

std::map<std::string, std::string> applied_checksums(pqxx::connection& conn, bool create) {
  std::map<std::string, std::string> out;
  pqxx::work tx(conn);
  if (create) {
    tx.exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " name text PRIMARY KEY, checksum text NOT NULL,"
        " applied_at timestamptz NOT NULL DEFAULT now())");
  } else if (tx.exec1("SELECT to_regclass('schema_migrations') IS NULL")[0].as<bool>()) {
    return out;
  }
  for (const auto& row : tx.exec("SELECT name, checksum FROM schema_migrations")) {
    out[row[0].as<std::string>()] = row[1].as<std::string>();
  }
  tx.commit();
  return out;
}

std::string check(const std::map<std::string, std::string>& applied,
                  const std::vector<Migration>& migrations, bool* pending) {
  std::map<std::string, const Migration*> known;
  for (const auto& m : migrations) known[m.name] = &m;
  for (const auto& [name, sum] : applied) {
    auto it = known.find(name);
    if (it == known.end()) {
      return "the database has migration " + name +
             " that this mlgate does not know (was it migrated by a newer version?)";
    }
    if (migration_checksum(*it->second) != sum) {
      return "migration " + name + " was changed after it was applied (checksum " +
             sum.substr(0, 12) + "… in the database, " +
             migration_checksum(*it->second).substr(0, 12) +
             "… in this binary); restore the original file and add a new migration instead";
    }
  }
  *pending = applied.size() < migrations.size();
  return "";
}

}  // namespace

std::vector<Migration> load_migrations(const std::string& dir) {
  static const std::regex name_re("^[0-9]{4}_[a-z0-9_]+\\.sql$");
  std::vector<Migration> out;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::string file = entry.path().filename().string();
    if (!entry.is_regular_file() || !std::regex_match(file, name_re)) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    out.push_back({entry.path().stem().string(), ss.str()});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return out;
}

std::string migration_checksum(const Migration& m) {
  return util::sha256_hex(m.sql);
}

MigrationReport migrate(pqxx::connection& conn, const std::vector<Migration>& migrations) {
  AdvisoryLock lock(conn);
  auto applied = applied_checksums(conn, true);
  bool pending = false;
  if (std::string reason = check(applied, migrations, &pending); !reason.empty()) {
    throw MigrationError(reason);
  }
  MigrationReport report;
  report.already_applied = applied.size();
  for (const auto& m : migrations) {
    if (applied.count(m.name)) continue;
    pqxx::work tx(conn);
    try {
      tx.exec(m.sql);
    } catch (const pqxx::sql_error& e) {
      throw MigrationError("migration " + m.name + " failed: " + e.what());
    }
    tx.exec_params("INSERT INTO schema_migrations (name, checksum) VALUES ($1, $2)", m.name,
                   migration_checksum(m));
    tx.commit();
    report.applied.push_back(m.name);
  }
  return report;
}

std::string migrations_pending_reason(pqxx::connection& conn,
                                      const std::vector<Migration>& migrations) {
  auto applied = applied_checksums(conn, false);
  bool pending = false;
  std::string reason = check(applied, migrations, &pending);
  if (!reason.empty()) return reason;
  if (pending) {
    return std::to_string(migrations.size() - applied.size()) + " migration(s) not applied";
  }
  return "";
}

}  // namespace mlgate::store
