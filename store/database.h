// A small pool of PostgreSQL connections (libpqxx connections are not thread-safe: one per thread
// at a time). A broken connection is dropped, never handed out again; the next lease reconnects, so
// a restarted PostgreSQL is picked up without restarting mlgate, and with a multi-host conninfo
// (`postgresql://a:5432,b:5432/mlgate?target_session_attrs=read-write`) so is a promoted replica:
// libpq picks the host each new connection goes to (docs/operations.md, "High availability").
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <pqxx/pqxx>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace mlgate::store {

// PostgreSQL cannot be reached (down, restarting, socket gone, or only a read-only standby
// answers). Callers spool or answer 503. It is also thrown when the connection was lost during a
// COMMIT, whose outcome is then unknown (it may have taken effect): what a caller spools and
// replays must be idempotent (the intake's replay is: one accepted row per delivery id).
class DatabaseUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// SQLSTATE 25006, read_only_sql_transaction: a write sent to a standby (a conninfo without
// target_session_attrs=read-write that reached a replica, or a primary demoted under us).
inline constexpr const char* kReadOnlySqlState = "25006";

class Database;

class ConnectionLease {
 public:
  ConnectionLease(Database* db, std::unique_ptr<pqxx::connection> conn)
      : db_(db), conn_(std::move(conn)) {}
  ~ConnectionLease();
  ConnectionLease(ConnectionLease&& o) noexcept
      : db_(std::exchange(o.db_, nullptr)), conn_(std::move(o.conn_)) {}
  ConnectionLease& operator=(ConnectionLease&&) = delete;
  ConnectionLease(const ConnectionLease&) = delete;
  ConnectionLease& operator=(const ConnectionLease&) = delete;

  pqxx::connection& operator*() { return *conn_; }
  pqxx::connection* operator->() { return conn_.get(); }
  // Do not return this connection to the pool (it broke, or holds session state).
  void discard() { conn_.reset(); }

 private:
  Database* db_;
  std::unique_ptr<pqxx::connection> conn_;
};

class Database {
 public:
  explicit Database(std::string conninfo, size_t max_connections = 16,
                    std::chrono::milliseconds acquire_timeout = std::chrono::seconds(10));
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  const std::string& conninfo() const { return conninfo_; }

  // Throws DatabaseUnavailable when no connection can be made or none frees up in time.
  ConnectionLease acquire();

  // Runs fn(pqxx::connection&) on a pooled connection. A lost connection (pqxx::broken_connection,
  // or pqxx::in_doubt_error: lost during COMMIT) and a write refused because the server is a
  // read-only standby discard the connection and are rethrown as DatabaseUnavailable; the next
  // lease connects again, to whichever host is the primary then.
  template <typename F>
  decltype(auto) with(F&& fn) {
    ConnectionLease lease = acquire();
    try {
      return fn(*lease);
    } catch (const pqxx::broken_connection& e) {
      lease.discard();
      throw DatabaseUnavailable(std::string("database connection lost: ") + e.what());
    } catch (const pqxx::in_doubt_error& e) {
      lease.discard();
      throw DatabaseUnavailable(
          std::string("database connection lost during commit (its outcome is unknown): ") +
          e.what());
    } catch (const pqxx::sql_error& e) {
      if (e.sqlstate() != kReadOnlySqlState) throw;
      lease.discard();
      throw DatabaseUnavailable(std::string("the database server is read-only (a standby?): ") +
                                e.what());
    }
  }

  // A fresh connection outside the pool (LISTEN, advisory locks held for a session).
  std::unique_ptr<pqxx::connection> connect_dedicated() const;

 private:
  friend class ConnectionLease;
  void release(std::unique_ptr<pqxx::connection> conn);

  std::string conninfo_;
  size_t max_;
  std::chrono::milliseconds acquire_timeout_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<pqxx::connection>> idle_;
  size_t out_ = 0;
};

// "" when the session accepts writes; else why not (a standby in recovery, or a read-only
// default), for /readyz.
std::string read_only_reason(pqxx::connection& conn);

}  // namespace mlgate::store
