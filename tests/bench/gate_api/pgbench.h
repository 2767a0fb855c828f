// The database baseline: pgbench -S (select-only) on the PostgreSQL cluster serve uses, with the
// same number of clients as the HTTP runs.
#pragma once

#include <string>

namespace mlgate::bench {

// pgbench, on a database of its own in the test cluster (tests/support/pg_cluster.h) that serve
// uses too.
class Pgbench {
 public:
  // A new empty database, then pgbench -i -s 1 into it.
  explicit Pgbench(bool verbose);
  ~Pgbench();  // drops the database
  Pgbench(const Pgbench&) = delete;
  Pgbench& operator=(const Pgbench&) = delete;

  // pgbench -S -n -c N -j min(N, cores) -T seconds; tps without the initial connection time.
  double select_only_tps(int clients, int seconds);

 private:
  std::string conninfo_;
  bool verbose_;
};

}  // namespace mlgate::bench
