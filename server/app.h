// The HTTP application: one cpp-httplib server, the database, and the routes registered on it.
// Routes live in one file per area (routes_health.cpp, ...); App only wires them.
#pragma once

#include <httplib.h>

#include <filesystem>
#include <memory>
#include <string>

#include "server/http_util.h"
#include "store/database.h"
#include "store/migrations.h"

namespace mlgate::server {

struct AppConfig {
  HttpTuning http;
  std::filesystem::path data_dir;
  bool public_read = false;
  // Adds GET /debug/sleep?ms=N, used by the graceful-shutdown test. Never on in production.
  bool test_endpoints = false;
};

class App {
 public:
  App(AppConfig config, store::Database& db,
      const std::vector<store::Migration>& migrations = store::embedded_migrations());
  App(const App&) = delete;
  App& operator=(const App&) = delete;

  // Binds the listening socket; returns the bound port (useful with port 0).
  int bind(const ListenAddress& address);
  // Serves until stop(); in-flight requests finish before it returns.
  void run();
  void stop();

  httplib::Server& http() { return http_; }
  store::Database& db() { return db_; }
  const AppConfig& config() const { return config_; }
  const std::vector<store::Migration>& migrations() const { return migrations_; }

 private:
  AppConfig config_;
  store::Database& db_;
  const std::vector<store::Migration>& migrations_;
  httplib::Server http_;
};

void register_health_routes(App& app);

}  // namespace mlgate::server
