#include <iostream>
#include <optional>

#include "cli/commands.h"
#include "store/database.h"
#include "store/embedded_postgres.h"
#include "store/migrations.h"

namespace mlgate::cli {

void add_migrate_command(CLI::App& app, ExitCode& exit_code) {
  struct Options {
    std::string database_url = env_or("MLGATE_DATABASE_URL", "");
    std::string data_dir = env_or("MLGATE_DATA_DIR", "mlgate-data");
    std::string migrations_dir;
  };
  auto opts = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("migrate", "Apply the database migrations and exit");
  cmd->add_option("--database-url", opts->database_url,
                  "PostgreSQL URL or conninfo; empty uses the embedded cluster in --data-dir");
  cmd->add_option("--data-dir", opts->data_dir, "Data directory of the embedded cluster")
      ->capture_default_str();
  cmd->add_option("--migrations-dir", opts->migrations_dir,
                  "Read NNNN_name.sql from this directory instead of the built-in migrations");
  cmd->callback([opts, &exit_code] {
    try {
      std::vector<store::Migration> migrations = opts->migrations_dir.empty()
                                                     ? store::embedded_migrations()
                                                     : store::load_migrations(opts->migrations_dir);
      std::optional<store::EmbeddedPostgres> pg;
      std::string conninfo = opts->database_url;
      if (conninfo.empty()) {
        store::EmbeddedPostgresOptions pg_options;
        pg_options.data_dir = opts->data_dir;
        pg.emplace(pg_options);
        conninfo = pg->conninfo();
      }
      store::Database db(conninfo, 1);
      auto conn = db.connect_dedicated();
      auto report = store::migrate(*conn, migrations);
      for (const auto& name : report.applied) std::cout << "applied " << name << "\n";
      std::cout << "migrations current: " << report.applied.size() << " applied now, "
                << report.already_applied << " before\n";
      exit_code.value = 0;
    } catch (const std::exception& e) {
      std::cerr << "mlgate migrate: " << e.what() << "\n";
      exit_code.value = 1;
    }
  });
}

}  // namespace mlgate::cli
