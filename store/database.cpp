#include "store/database.h"

namespace mlgate::store {

ConnectionLease::~ConnectionLease() {
  if (db_) db_->release(std::move(conn_));
}

Database::Database(std::string conninfo, size_t max_connections,
                   std::chrono::milliseconds acquire_timeout)
    : conninfo_(std::move(conninfo)), max_(max_connections), acquire_timeout_(acquire_timeout) {}

std::unique_ptr<pqxx::connection> Database::connect_dedicated() const {
  try {
    return std::make_unique<pqxx::connection>(conninfo_);
  } catch (const pqxx::broken_connection& e) {
    throw DatabaseUnavailable(std::string("cannot connect to PostgreSQL: ") + e.what());
  }
}

ConnectionLease Database::acquire() {
  std::unique_ptr<pqxx::connection> conn;
  {
    std::unique_lock lock(mu_);
    if (!cv_.wait_for(lock, acquire_timeout_, [&] { return !idle_.empty() || out_ < max_; })) {
      throw DatabaseUnavailable("no database connection free after " +
                                std::to_string(acquire_timeout_.count()) + " ms");
    }
    ++out_;
    if (!idle_.empty()) {
      conn = std::move(idle_.back());
      idle_.pop_back();
    }
  }
  if (conn && !conn->is_open()) conn.reset();
  if (!conn) {
    try {
      conn = connect_dedicated();
    } catch (...) {
      std::lock_guard lock(mu_);
      --out_;
      cv_.notify_one();
      throw;
    }
  }
  return ConnectionLease(this, std::move(conn));
}

void Database::release(std::unique_ptr<pqxx::connection> conn) {
  std::lock_guard lock(mu_);
  --out_;
  if (conn && conn->is_open()) idle_.push_back(std::move(conn));
  cv_.notify_one();
}

std::string read_only_reason(pqxx::connection& conn) {
  // Not a read_transaction: that would make its own transaction read-only.
  pqxx::nontransaction tx(conn);
  const auto row =
      tx.exec1("SELECT pg_is_in_recovery(), current_setting('transaction_read_only') = 'on'");
  if (row[0].as<bool>()) return "the database server is a standby in recovery (read-only)";
  if (row[1].as<bool>()) return "the database session is read-only (default_transaction_read_only)";
  return "";
}

}  // namespace mlgate::store
