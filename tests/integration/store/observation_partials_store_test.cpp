// Observation partials against real PostgreSQL (store/observations.h, migration 0026): the intake
// stores each partial profile as bytes (profile_bin), rows written before as jsonb still read,
// both merge in a range and in compaction (which writes bytes), and a row holds exactly one of
// the two.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <pqxx/pqxx>
#include <string>

#include "core/feature_profile.h"
#include "core/observations.h"
#include "store/observations.h"
#include "store/repos.h"
#include "tests/support/pg_cluster.h"

namespace mlgate {
namespace {

using nlohmann::json;

std::int64_t old_window() {
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  return core::observation_window(static_cast<double>(now - 86400));
}

core::DatasetProfile profile_of(double from, int rows, std::uint64_t seed) {
  core::ProfileBuilder b(seed);
  for (int i = 0; i < rows; ++i)
    b.add_row({{"x", from + i * 0.5}, {"country", i % 2 ? "de" : "fr"}}, nullptr);
  return std::move(b).finish();
}

class ObservationPartialsStoreTest : public testing::DbTest {
 protected:
  void SetUp() override {
    DbTest::SetUp();
    repo_ = insert_test_repo("acme/observed");
  }

  // A partial as migrations before 0026 wrote it: jsonb in `profile`.
  void insert_legacy(std::int64_t window, const core::DatasetProfile& p) {
    tx([&](pqxx::work& t) {
      t.exec_params(
          "INSERT INTO observation_partials (repo_id, environment, sha, window_start, rows, "
          "profile) VALUES ($1, 'production', '', to_timestamp($2), $3, $4::jsonb)",
          repo_, window, static_cast<std::int64_t>(p.rows), core::profile_to_json(p).dump());
      return 0;
    });
  }

  core::DatasetProfile read(std::int64_t window) {
    return tx([&](pqxx::work& t) {
      return store::observation_profile(t, repo_, "production", static_cast<double>(window),
                                        static_cast<double>(window + 1), std::string());
    });
  }

  std::int64_t count(const std::string& where) {
    return tx([&](pqxx::work& t) {
      return t.exec1("SELECT count(*) FROM observation_partials WHERE " + where)[0]
          .as<std::int64_t>();
    });
  }

  std::int64_t repo_ = 0;
};

TEST_F(ObservationPartialsStoreTest, TheIntakeStoresBytesAndTheyReadBackExactly) {
  const auto w = old_window();
  const auto p = profile_of(1, 700, 3);
  tx([&](pqxx::work& t) {
    store::insert_observation_partials(t, repo_, "production", {{{w, ""}, p}});
    return 0;
  });
  EXPECT_EQ(count("profile IS NULL AND profile_bin IS NOT NULL"), 1);
  EXPECT_EQ(read(w), p);
}

TEST_F(ObservationPartialsStoreTest, JsonbRowsWrittenBeforeStillReadAndMergeWithBytes) {
  const auto w = old_window();
  const auto legacy = profile_of(-50, 400, 1);
  const auto fresh = profile_of(10, 900, 2);
  insert_legacy(w, legacy);
  tx([&](pqxx::work& t) {
    store::insert_observation_partials(t, repo_, "production", {{{w, ""}, fresh}});
    return 0;
  });
  const auto merged = read(w);
  EXPECT_EQ(merged.rows, 1300u);
  EXPECT_EQ(merged.features.at("country").counts.at("de"), 200u + 450u);

  // Compaction merges both into one row of bytes; what a reader sees does not change.
  const auto compacted =
      tx([](pqxx::work& t) { return store::compact_observation_windows(t, 10); });
  EXPECT_EQ(compacted, 1);
  EXPECT_EQ(count("true"), 1);
  EXPECT_EQ(count("compacted AND profile IS NULL AND profile_bin IS NOT NULL"), 1);
  EXPECT_EQ(read(w), merged);
}

TEST_F(ObservationPartialsStoreTest, ARowHoldsExactlyOneOfJsonbAndBytes) {
  const std::string insert =
      "INSERT INTO observation_partials (repo_id, environment, sha, window_start, rows, profile, "
      "profile_bin) VALUES (" +
      std::to_string(repo_) + ", 'production', '', now(), 0, ";
  auto exec = [&](const std::string& values) {
    tx([&](pqxx::work& t) {
      t.exec(insert + values);
      return 0;
    });
  };
  EXPECT_THROW(exec("NULL, NULL)"), pqxx::check_violation);
  EXPECT_THROW(exec("'{}'::jsonb, '\\x00'::bytea)"), pqxx::check_violation);
  const auto storage = tx([](pqxx::work& t) {
    return t
        .exec1(
            "SELECT attstorage::text FROM pg_attribute WHERE attrelid = "
            "'observation_partials'::regclass AND attname = 'profile_bin'")[0]
        .as<std::string>();
  });
  EXPECT_EQ(storage, "e");  // out of line, not compressed: doubles do not compress
}

}  // namespace
}  // namespace mlgate
