// job_environment: the MLGATE_ variables every job sees, and the tier's env under them.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "runners/executor.h"

namespace mlgate::runners {
namespace {

JobSpec sample_job() {
  JobSpec job;
  job.job_id = 1234567890123;
  job.pipeline_id = 55;
  job.attempt = 3;
  job.repo = "acme/model";
  job.sha = "abc123";
  job.ref = "refs/pull/12/head";
  job.tier = "validation";
  job.repeat = 2;
  return job;
}

TEST(JobEnvironment, HasEveryMlgateVariable) {
  auto env = job_environment(sample_job(), "/workspace", "/results");
  std::map<std::string, std::string> expected = {
      {"MLGATE_SHA", "abc123"},       {"MLGATE_REF", "refs/pull/12/head"},
      {"MLGATE_TIER", "validation"},  {"MLGATE_REPO", "acme/model"},
      {"MLGATE_PIPELINE_ID", "55"},   {"MLGATE_JOB_ID", "1234567890123"},
      {"MLGATE_ATTEMPT", "3"},        {"MLGATE_REPEAT", "2"},
      {"MLGATE_RESULTS", "/results"}, {"MLGATE_WORKSPACE", "/workspace"},
  };
  EXPECT_EQ(env, expected);
}

TEST(JobEnvironment, RepeatIsZeroForATierRunOnce) {
  auto job = sample_job();
  job.repeat = 0;
  EXPECT_EQ(job_environment(job, "/w", "/r")["MLGATE_REPEAT"], "0");
}

TEST(JobEnvironment, PathsAreTheOnesGiven) {
  auto env = job_environment(sample_job(), "/var/lib/runner/ws 1", "/var/lib/runner/res");
  EXPECT_EQ(env["MLGATE_WORKSPACE"], "/var/lib/runner/ws 1");
  EXPECT_EQ(env["MLGATE_RESULTS"], "/var/lib/runner/res");
}

TEST(JobEnvironment, TierEnvIsAdded) {
  auto job = sample_job();
  job.env = {{"SEED", "42"}, {"PYTHONHASHSEED", "0"}, {"EMPTY", ""}};
  auto env = job_environment(job, "/w", "/r");
  EXPECT_EQ(env["SEED"], "42");
  EXPECT_EQ(env["PYTHONHASHSEED"], "0");
  ASSERT_EQ(env.count("EMPTY"), 1u);
  EXPECT_EQ(env["EMPTY"], "");
  EXPECT_EQ(env.size(), 10u + 3u);
}

TEST(JobEnvironment, TierEnvCannotOverrideMlgateVariables) {
  auto job = sample_job();
  for (const char* name :
       {"MLGATE_SHA", "MLGATE_REF", "MLGATE_TIER", "MLGATE_REPO", "MLGATE_PIPELINE_ID",
        "MLGATE_JOB_ID", "MLGATE_ATTEMPT", "MLGATE_REPEAT", "MLGATE_RESULTS", "MLGATE_WORKSPACE"}) {
    job.env[name] = "overridden";
  }
  auto env = job_environment(job, "/w", "/r");
  for (const auto& [name, value] : env) EXPECT_NE(value, "overridden") << name;
  EXPECT_EQ(env["MLGATE_RESULTS"], "/r");
  EXPECT_EQ(env.size(), 10u);
}

TEST(JobEnvironment, OtherMlgatePrefixedNamesAreTheTiers) {
  auto job = sample_job();
  job.env = {{"MLGATE_DATASET", "small"}};
  EXPECT_EQ(job_environment(job, "/w", "/r")["MLGATE_DATASET"], "small");
}

TEST(JobEnvironment, NamesAndValuesThatCannotBePassedIntactAreDropped) {
  auto job = sample_job();
  job.env = {
      {"", "x"}, {"A=B", "c"}, {std::string("N\0UL", 4), "v"}, {"V", std::string("a\0b", 3)}};
  auto env = job_environment(job, "/w", "/r");
  EXPECT_EQ(env.size(), 10u);
}

TEST(JobEnvironment, HostileValuesAreKeptVerbatim) {
  auto job = sample_job();
  job.ref = "main; rm -rf /";
  job.env = {{"X", "$(touch /results/pwned)"}};
  auto env = job_environment(job, "/w", "/r");
  EXPECT_EQ(env["MLGATE_REF"], "main; rm -rf /");
  EXPECT_EQ(env["X"], "$(touch /results/pwned)");
}

TEST(Outcome, Names) {
  EXPECT_EQ(to_string(Outcome::exited), "exited");
  EXPECT_EQ(to_string(Outcome::timed_out), "timed_out");
  EXPECT_EQ(to_string(Outcome::cancelled), "cancelled");
  EXPECT_EQ(to_string(Outcome::error), "error");
}

}  // namespace
}  // namespace mlgate::runners
