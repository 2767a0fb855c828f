// The warning serve logs at start for a database URL that names several hosts without asking for
// the writable one (docs/operations.md, "High availability: PostgreSQL failover").
#include "store/conninfo.h"

#include <gtest/gtest.h>
#include <stdlib.h>

namespace mlgate::store {
namespace {

class MultiHostWarning : public ::testing::Test {
 protected:
  void SetUp() override { ::unsetenv("PGTARGETSESSIONATTRS"); }
  void TearDown() override { ::unsetenv("PGTARGETSESSIONATTRS"); }
};

TEST_F(MultiHostWarning, SeveralHostsWithoutTargetSessionAttrsAreWarnedAbout) {
  EXPECT_NE(multi_host_warning("postgresql://mlgate@db-a:5432,db-b:5432/mlgate"), "");
  EXPECT_NE(multi_host_warning("host=db-a,db-b port=5432,5432 dbname=mlgate"), "");
  EXPECT_NE(multi_host_warning("hostaddr=10.0.0.1,10.0.0.2 dbname=mlgate"), "");
  EXPECT_NE(multi_host_warning("postgresql://db-a,db-b/mlgate?target_session_attrs=any"), "");
  EXPECT_NE(multi_host_warning("postgresql://db-a,db-b/mlgate?target_session_attrs=prefer-standby"),
            "");
}

TEST_F(MultiHostWarning, TheWritableHostAskedForOrOneHostIsFine) {
  EXPECT_EQ(multi_host_warning(
                "postgresql://mlgate@db-a:5432,db-b:5432/mlgate?target_session_attrs=read-write"),
            "");
  EXPECT_EQ(multi_host_warning("host=db-a,db-b dbname=mlgate target_session_attrs=primary"), "");
  EXPECT_EQ(multi_host_warning("postgresql://mlgate@db/mlgate"), "");
  EXPECT_EQ(multi_host_warning("host=/var/run/postgresql port=5432 dbname=mlgate"), "");
  EXPECT_EQ(multi_host_warning("this is not a conninfo = ="), "");
  ::setenv("PGTARGETSESSIONATTRS", "read-write", 1);
  EXPECT_EQ(multi_host_warning("postgresql://db-a,db-b/mlgate"), "");
}

}  // namespace
}  // namespace mlgate::store
