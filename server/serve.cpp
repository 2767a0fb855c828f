#include "server/serve.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <optional>
#include <thread>

#include "server/http/json_log.h"
#include "store/conninfo.h"
#include "store/crypto.h"
#include "store/embedded_postgres.h"
#include "store/tokens.h"
#include "util/hash.h"
#include "util/secret_file.h"

namespace mlgate::server {
namespace fs = std::filesystem;

namespace {

std::string read_token_file(const std::string& path) {
  const auto read = util::read_secret_line(path);
  if (!read) throw std::runtime_error("cannot read admin token file " + path);
  const std::string& token = *read;
  if (token.size() < 16)
    throw std::runtime_error("admin token in " + path + " is shorter than 16 characters");
  return token;
}

void write_secret_file(const fs::path& path, const std::string& content) {
  fs::path tmp = path;
  tmp += ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("cannot write " + tmp.string());
  ::fchmod(fd, 0600);
  std::string line = content + "\n";
  bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
            ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    throw std::runtime_error("cannot write " + path.string());
  }
}

// Migrates; true when done. DatabaseUnavailable is left to the caller (retry); a refused
// migration throws MigrationError. A read-only server (a standby, reached through a conninfo
// without target_session_attrs=read-write) counts as unavailable: serve waits for a primary.
bool try_migrate(store::Database& db, const std::vector<store::Migration>& migrations) {
  auto conn = db.connect_dedicated();
  if (const std::string read_only = store::read_only_reason(*conn); !read_only.empty())
    throw store::DatabaseUnavailable(read_only);
  auto report = store::migrate(*conn, migrations);
  log_event(spdlog::level::info, "migrations current",
            {{"applied_now", report.applied}, {"already_applied", report.already_applied}});
  return true;
}

}  // namespace

std::string bootstrap_admin_token(store::Database& db, const fs::path& data_dir,
                                  const std::string& admin_token_file) {
  return db.with([&](pqxx::connection& conn) -> std::string {
    pqxx::work tx(conn);
    // One bootstrap at a time across replicas.
    store::lock_admin_bootstrap(tx);
    if (!admin_token_file.empty()) {
      std::string token = read_token_file(admin_token_file);
      if (!store::token_hash_exists(tx, util::sha256_hex(token)))
        store::insert_api_token(tx, "admin (configured)", token, {"admin"});
      tx.commit();
      return "admin token from " + admin_token_file;
    }
    if (store::any_admin_token(tx)) {
      tx.commit();
      return "an admin token exists already";
    }
    std::string token = store::generate_token();
    store::insert_api_token(tx, "admin (first start)", token, {"admin"});
    fs::path file = data_dir / "admin-token";
    write_secret_file(file, token);
    tx.commit();
    return "admin token written to " + file.string();
  });
}

namespace {

// Starts the embedded cluster in options.data_dir; false (logged) when it cannot.
bool start_embedded_postgres(const ServeOptions& options,
                             std::optional<store::EmbeddedPostgres>& pg) {
  store::EmbeddedPostgresOptions pg_options;
  pg_options.data_dir = options.data_dir;
  pg_options.os_user = options.pg_user;
  try {
    pg.emplace(pg_options);
  } catch (const std::exception& e) {
    log_event(spdlog::level::critical, "embedded PostgreSQL failed to start",
              {{"error", e.what()}});
    return false;
  }
  log_event(spdlog::level::info, "embedded PostgreSQL running",
            {{"pid", pg->pid()}, {"socket_dir", pg->socket_dir().string()}});
  return true;
}

// bootstrap_admin_token, logged; a failure is logged and does not stop the server.
void bootstrap_and_log(store::Database& db, const ServeOptions& options) {
  try {
    log_event(spdlog::level::info,
              bootstrap_admin_token(db, options.data_dir, options.admin_token_file));
  } catch (const std::runtime_error& e) {
    log_event(spdlog::level::err, "admin token bootstrap failed", {{"error", e.what()}});
  }
}

// Waits for `stop` while the server runs, migrating (and bootstrapping the admin token) once the
// database is reachable when it was not at start. 0 when stopped; 1 when the embedded cluster
// died or a migration was refused.
int serve_until_stopped(StopSignal& stop, std::optional<store::EmbeddedPostgres>& pg,
                        store::Database& db, const std::vector<store::Migration>& migrations,
                        bool migrated, const ServeOptions& options) {
  int exit_code = 0;
  while (!stop.wait_for(std::chrono::milliseconds(200))) {
    if (pg && !pg->running()) {
      log_event(spdlog::level::critical, "embedded PostgreSQL stopped unexpectedly; shutting down",
                {{"reason", pg->exit_reason()}, {"log", pg->log_tail(10)}});
      exit_code = 1;
      break;
    }
    if (!migrated) {
      try {
        migrated = try_migrate(db, migrations);
        bootstrap_and_log(db, options);
      } catch (const store::MigrationError& e) {
        log_event(spdlog::level::critical, "refusing to serve: migrations", {{"error", e.what()}});
        exit_code = 1;
        break;
      } catch (const store::DatabaseUnavailable&) {
        // still down; /readyz says so
      } catch (const pqxx::failure& e) {
        log_event(spdlog::level::warn, "migration attempt failed", {{"error", e.what()}});
      }
    }
  }
  return exit_code;
}

// Stops accepting, lets in-flight requests finish and the background work stop, but never takes
// longer than `shutdown_timeout_seconds`: past it, the process exits with `exit_code`.
void shut_down(App& app, std::thread& http_thread, std::optional<store::EmbeddedPostgres>& pg,
               int shutdown_timeout_seconds, int exit_code) {
  std::mutex done_mu;
  std::condition_variable done_cv;
  bool done = false;
  std::thread watchdog([&] {
    std::unique_lock lock(done_mu);
    if (!done_cv.wait_for(lock, std::chrono::seconds(shutdown_timeout_seconds),
                          [&] { return done; })) {
      log_event(spdlog::level::err, "in-flight requests did not finish in time; exiting",
                {{"timeout_s", shutdown_timeout_seconds}});
      spdlog::default_logger()->flush();
      if (pg) pg->stop();
      std::_Exit(exit_code);
    }
  });
  app.stop();
  http_thread.join();
  app.stop_background();
  {
    std::lock_guard lock(done_mu);
    done = true;
  }
  done_cv.notify_all();
  watchdog.join();
}

}  // namespace

int run_serve(ServeOptions options, StopSignal& stop) {
  fs::create_directories(options.data_dir);
  options.data_dir = fs::absolute(options.data_dir);
  options.app.data_dir = options.data_dir;

  std::optional<store::EmbeddedPostgres> pg;
  std::string conninfo = options.database_url;
  if (conninfo.empty()) {
    if (!start_embedded_postgres(options, pg)) return 1;
    conninfo = pg->conninfo();
  }

  if (const std::string warning = store::multi_host_warning(conninfo); !warning.empty())
    log_event(spdlog::level::warn, warning);
  store::Database db(conninfo, options.db_pool);
  const auto& migrations = store::embedded_migrations();
  bool migrated = false;
  try {
    migrated = try_migrate(db, migrations);
  } catch (const store::MigrationError& e) {
    log_event(spdlog::level::critical, "refusing to start: migrations", {{"error", e.what()}});
    return 1;
  } catch (const store::DatabaseUnavailable& e) {
    if (pg) {
      log_event(spdlog::level::critical, "embedded PostgreSQL unreachable", {{"error", e.what()}});
      return 1;
    }
    log_event(spdlog::level::warn, "PostgreSQL unreachable at start; serving and retrying",
              {{"error", e.what()}});
  }
  if (migrated) bootstrap_and_log(db, options);

  App app(options.app, db, migrations);
  int port;
  ListenAddress address;
  try {
    address = parse_listen_address(options.listen);
    port = app.bind(address);
  } catch (const std::exception& e) {
    log_event(spdlog::level::critical, "cannot listen", {{"error", e.what()}});
    return 1;
  }
  std::string bound = address.host + ":" + std::to_string(port);
  write_secret_file(options.data_dir / "listen-address", bound);
  log_event(spdlog::level::info, "listening", {{"address", bound}, {"url", "http://" + bound}});

  std::thread http_thread([&] { app.run(); });
  app.start_background();
  const int exit_code = serve_until_stopped(stop, pg, db, migrations, migrated, options);
  log_event(spdlog::level::info, "shutting down",
            {{"reason", exit_code ? "postgres stopped" : stop.reason()}});

  shut_down(app, http_thread, pg, options.shutdown_timeout_seconds, exit_code);
  if (pg) pg->stop();
  log_event(spdlog::level::info, "stopped", {{"exit_code", exit_code}});
  return exit_code;
}

}  // namespace mlgate::server
