// `mlgate serve`: embedded or external PostgreSQL, migrations, the admin token, the HTTP server,
// and a graceful shutdown.
#pragma once

#include <filesystem>
#include <string>

#include "server/app.h"
#include "server/stop_signal.h"

namespace mlgate::server {

struct ServeOptions {
  std::string listen = "127.0.0.1:8080";
  std::filesystem::path data_dir = "mlgate-data";
  std::string database_url;      // empty: embedded PostgreSQL in data_dir
  std::string pg_user;           // OS user for the embedded cluster when root
  std::string admin_token_file;  // a configured admin token (its hash is stored)
  int shutdown_timeout_seconds = 10;
  size_t db_pool = 16;
  AppConfig app;
};

// Runs until `stop` is requested (0) or a fatal condition (non-zero: embedded PostgreSQL died,
// migrations refused, the address cannot be bound).
int run_serve(ServeOptions options, StopSignal& stop);

// Creates the admin token on first start. With a configured token file, makes sure that token is
// an admin token. Otherwise, when no admin token exists, generates one, stores its hash and writes
// it to data_dir/admin-token (mode 0600). Returns a line saying what happened.
std::string bootstrap_admin_token(store::Database& db, const std::filesystem::path& data_dir,
                                  const std::string& admin_token_file);

}  // namespace mlgate::server
