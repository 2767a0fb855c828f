// Transactions run again when PostgreSQL rolled them back whole for a deadlock or a serialization
// failure: two writers (two groups of one replica, or of two) locking the same rows in another
// order.
#pragma once

#include <pqxx/pqxx>

#include "store/database.h"

namespace mlgate::store {

// db.with(fn), run again (up to `attempts` in all) when fn's transaction was rolled back whole
// (pqxx::transaction_rollback); the last such error is rethrown. fn must be safe to run again: it
// opens and commits its own transaction.
template <typename F>
decltype(auto) with_retries(Database& db, F&& fn, int attempts = 5) {
  for (int attempt = 1;; ++attempt) {
    try {
      return db.with(fn);
    } catch (const pqxx::transaction_rollback&) {
      if (attempt >= attempts) throw;
    }
  }
}

}  // namespace mlgate::store
