// The gate reads a job's results from their compact documents (docs/results.md, "Compact
// results"): a commit whose jobs have only rows (as every job stored before the documents) is
// decided exactly like one with documents, and a document that does not read back fails the
// request instead of deciding on part of the results.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "tests/integration/server/gate_env.h"

namespace mlgate::testing {
namespace {

using nlohmann::json;

// kGateTestConfig's production gate with a predictions check; functionality also writes tests
// and predictions.
std::string config() {
  std::string c = kGateTestConfig;
  c.replace(c.find("  staging:"), 0,
            "    predictions: {max_flip_rate: 40%, max_score_delta: 0.5}\n"
            "    rubric: {min_score: 0}\n");
  return c;
}

std::string results_script(const std::string& flipped_label) {
  return gate_results_script(0.95, 0.85) +
         "cat > \"$MLGATE_RESULTS/predictions.jsonl\" <<'JSONL'\n"
         "{\"id\": \"ex10\", \"label\": 1, \"score\": 0.9, \"truth\": 1}\n"
         "{\"id\": \"ex3\", \"label\": " +
         flipped_label +
         ", \"score\": 0.2, \"slices\": {\"region\": \"EU\", \"age\": 31}}\n"
         "{\"id\": \"Ex2\", \"label\": \"cat\", \"scores\": {\"cat\": 0.75, \"dog\": -0.0}}\n"
         "JSONL\n"
         "cat > \"$MLGATE_RESULTS/junit.xml\" <<'XML'\n"
         "<testsuite><testcase classname=\"tests.data\" name=\"test_schema\" time=\"0.5\"/>"
         "<testcase classname=\"tests.model\" name=\"test_slices\"><failure message=\"boom\"/>"
         "</testcase></testsuite>\n"
         "XML\n";
}

std::string push_and_run(GateEnv& env, const std::string& label, const std::string& tag) {
  const std::string sha = env.push(
      config(),
      {{"results.sh", results_script(label)}, {"validate.sh", "true\n"}, {"tag.txt", tag + "\n"}});
  EXPECT_EQ(env.wait_pipeline_end(sha)["state"], "passed");
  return sha;
}

std::string jobs_of(const std::string& sha) {
  return "(SELECT j.id FROM jobs j JOIN pipelines p ON p.id = j.pipeline_id WHERE p.sha = '" + sha +
         "')";
}

TEST(GateCompactResults, RowsAndDocumentsDecideTheSameAndACorruptDocumentFails) {
  GateEnv env;
  env.start_runner("r1");
  const std::string baseline = push_and_run(env, "0", "baseline");
  auto d = env.deploy({{"sha", baseline}, {"environment", "production"}});
  ASSERT_EQ(d.status, 201) << d.body;
  const std::string with_rows = push_and_run(env, "1", "rows");
  const std::string with_documents = push_and_run(env, "1", "documents");
  // The next commit's predictions document is stored cut (9 bytes), so that no evaluation of it,
  // not even forge feedback's at its pipeline's end, ever saw it whole.
  env.sql(
      "CREATE FUNCTION test_cut_predictions() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
      "NEW.predictions := substring(NEW.predictions from 1 for 9); RETURN NEW; END $$; "
      "CREATE TRIGGER test_cut_predictions BEFORE INSERT OR UPDATE ON job_results_compact "
      "FOR EACH ROW WHEN (NEW.predictions IS NOT NULL) EXECUTE FUNCTION test_cut_predictions()");
  const std::string corrupt = push_and_run(env, "1", "corrupt");
  ASSERT_EQ(env.sql_long("SELECT count(*) FROM job_results_compact WHERE job_id IN " +
                         jobs_of(with_documents) + " AND predictions IS NOT NULL"),
            1);

  // Jobs as they were stored before the documents: rows only.
  env.sql("DELETE FROM job_results_compact WHERE job_id IN " + jobs_of(with_rows));
  const auto a = env.gate(with_rows);
  const auto b = env.gate(with_documents);
  ASSERT_EQ(a.status, 200) << a.body;
  ASSERT_EQ(b.status, 200) << b.body;
  const json from_rows = json::parse(a.body);
  const json from_documents = json::parse(b.body);
  EXPECT_EQ(from_documents["decision"], "allow") << b.body;
  EXPECT_EQ(from_rows["checks"], from_documents["checks"]);
  EXPECT_EQ(from_rows["summary"], from_documents["summary"]);
  EXPECT_EQ(from_rows["rubric"], from_documents["rubric"]);
  bool flip_compared = false;
  for (const auto& c : from_documents["checks"])
    if (c["name"] == "flip_rate")
      flip_compared = c["status"] == "pass" && std::abs(c["value"].get<double>() - 1.0 / 3) < 1e-9;
  EXPECT_TRUE(flip_compared) << b.body;

  // A cut document: a server error, and no decision stored for it.
  ASSERT_EQ(env.sql_long("SELECT count(*) FROM job_results_compact WHERE job_id IN " +
                         jobs_of(corrupt) + " AND length(predictions) = 9"),
            1);
  const auto c = env.gate(corrupt);
  EXPECT_EQ(c.status, 500) << c.body;
  EXPECT_EQ(env.sql_long("SELECT count(*) FROM gate_decisions WHERE source = 'api' AND sha = '" +
                         corrupt + "'"),
            0);
}

}  // namespace
}  // namespace mlgate::testing
