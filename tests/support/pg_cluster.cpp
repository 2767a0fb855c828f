#include "tests/support/pg_cluster.h"

#include <cstdlib>
#include <filesystem>
#include <pqxx/pqxx>
#include <regex>

#include "store/migrations.h"
#include "store/repos.h"

namespace mlgate::testing {
namespace {

constexpr const char* kTemplate = "mlgate_template";

struct Holder {
  std::unique_ptr<PgCluster> cluster;
};

void exec_admin(const std::string& conninfo, const std::string& sql) {
  pqxx::connection c(conninfo);
  pqxx::nontransaction tx(c);
  tx.exec(sql);
}

}  // namespace

std::string database_name(const std::string& conninfo) {
  static const std::regex re("dbname='([^']*)'");
  std::smatch m;
  if (!std::regex_search(conninfo, m, re)) throw std::runtime_error("no dbname in " + conninfo);
  return m[1];
}

PgCluster& PgCluster::instance() {
  static Holder holder;
  if (!holder.cluster) holder.cluster.reset(new PgCluster());
  return *holder.cluster;
}

PgCluster::PgCluster() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "mlgate-pg-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  store::EmbeddedPostgresOptions opts;
  opts.data_dir = dir_;
  opts.database = kTemplate;
  opts.durable = false;
  opts.max_connections = 200;
  pg_ = std::make_unique<store::EmbeddedPostgres>(opts);
  pqxx::connection c(pg_->conninfo(kTemplate));
  store::migrate(c, store::embedded_migrations());
}

PgCluster::~PgCluster() {
  pools_.clear();
  reset_connections_.clear();
  pg_.reset();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string PgCluster::create_database(const std::string& prefix) {
  std::string name = prefix + "_" + std::to_string(::getpid()) + "_" + std::to_string(++counter_);
  exec_admin(admin_conninfo(), "CREATE DATABASE " + name + " TEMPLATE " + kTemplate);
  return pg_->conninfo(name);
}

std::string PgCluster::create_empty_database(const std::string& prefix) {
  std::string name = prefix + "_" + std::to_string(::getpid()) + "_" + std::to_string(++counter_);
  exec_admin(admin_conninfo(), "CREATE DATABASE " + name + " TEMPLATE template0");
  return pg_->conninfo(name);
}

void PgCluster::drop_database(const std::string& conninfo) {
  exec_admin(admin_conninfo(),
             "DROP DATABASE IF EXISTS " + database_name(conninfo) + " WITH (FORCE)");
}

std::string PgCluster::checkout_database() {
  if (recycled_.empty()) return create_database("t");
  std::string c = recycled_.back();
  recycled_.pop_back();
  return c;
}

void PgCluster::return_database(const std::string& conninfo) {
  try {
    auto& conn = reset_connections_[conninfo];
    if (!conn) conn = std::make_unique<pqxx::connection>(conninfo);
    pqxx::work tx(*conn);
    // Other sessions (a server under test) must be gone first.
    tx.exec(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid() "
        "AND application_name <> 'mlgate_test_pool'");
    // DELETE with triggers (and so foreign key checks) off is much cheaper than TRUNCATE for the
    // handful of rows a test writes.
    tx.exec("SET LOCAL session_replication_role = replica");
    for (const auto& row :
         tx.exec("SELECT quote_ident(tablename) FROM pg_tables "
                 "WHERE schemaname = 'public' AND tablename <> 'schema_migrations'")) {
      tx.exec("DELETE FROM " + row[0].as<std::string>());
    }
    for (const auto& row : tx.exec("SELECT quote_ident(sequencename) FROM pg_sequences "
                                   "WHERE schemaname = 'public'")) {
      tx.exec("ALTER SEQUENCE " + row[0].as<std::string>() + " RESTART");
    }
    tx.commit();
    recycled_.push_back(conninfo);
  } catch (const std::exception&) {
    // A test that broke its database (dropped tables, changed schema) loses it.
    reset_connections_.erase(conninfo);
    pools_.erase(conninfo);
    drop_database(conninfo);
  }
}

store::Database& PgCluster::pool_for(const std::string& conninfo) {
  auto& pool = pools_[conninfo];
  if (!pool)
    pool = std::make_unique<store::Database>(conninfo + " application_name=mlgate_test_pool", 8);
  return *pool;
}

std::int64_t DbTest::insert_test_repo(const std::string& full_name) {
  return tx([&](pqxx::work& t) {
    store::NewRepo repo;
    repo.forge = "github";
    repo.full_name = full_name;
    repo.clone_url = "https://git.example.invalid/" + full_name + ".git";
    repo.webhook_secret = "webhook-secret-123";
    return store::insert_repo(t, repo);
  });
}

void DbTest::SetUp() {
  conninfo_ = PgCluster::instance().checkout_database();
  db_ = &PgCluster::instance().pool_for(conninfo_);
}

void DbTest::TearDown() {
  db_ = nullptr;
  PgCluster::instance().return_database(conninfo_);
}

}  // namespace mlgate::testing
