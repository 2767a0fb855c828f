#include "core/states.h"

#include <gtest/gtest.h>

#include <string>

namespace mlgate::core {
namespace {

// Every state the database CHECKs (migrations/0001_init.sql, 0008) reads back as itself, and
// nothing else parses: a typo in a stored state is caught at the store's boundary.
TEST(States, EveryDatabaseSpellingRoundTrips) {
  for (const char* s :
       {"pending", "running", "passed", "failed", "cancelled", "error", "awaiting_approval"})
    EXPECT_EQ(to_string(*parse_pipeline_state(s)), s);
  for (const char* s : {"blocked", "queued", "running", "passed", "failed", "timed_out",
                        "cancelled", "error", "skipped"})
    EXPECT_EQ(to_string(*parse_job_state(s)), s);
  for (const char* s : {"passed", "failed", "timed_out", "cancelled", "error", "lease_expired"})
    EXPECT_EQ(to_string(*parse_attempt_outcome(s)), s);
  for (const char* s : {"accepted", "duplicate", "rejected", "ignored", "invalid"})
    EXPECT_EQ(to_string(*parse_delivery_verdict(s)), s);
  for (const char* s : {"none", "pending", "planned", "failed"})
    EXPECT_EQ(to_string(*parse_plan_state(s)), s);
  for (const char* s : {"ok", "alerting", "no_data"})
    EXPECT_EQ(to_string(*parse_monitor_state(s)), s);
  for (const char* s : {"running", "paused", "completed", "rolled_back", "aborted"})
    EXPECT_EQ(to_string(*parse_rollout_state(s)), s);
}

TEST(States, UnknownSpellingsAreRefused) {
  EXPECT_FALSE(parse_pipeline_state("blocked"));
  EXPECT_FALSE(parse_job_state("Running"));
  EXPECT_FALSE(parse_attempt_outcome(""));
  EXPECT_FALSE(parse_delivery_verdict("accept"));
  EXPECT_FALSE(parse_plan_state("done"));
  EXPECT_FALSE(parse_monitor_state("no data"));
  EXPECT_FALSE(parse_rollout_state("rolled back"));
}

TEST(States, FinishedStates) {
  EXPECT_FALSE(is_finished(PipelineState::pending));
  EXPECT_FALSE(is_finished(PipelineState::running));
  EXPECT_FALSE(is_finished(PipelineState::awaiting_approval));
  EXPECT_TRUE(is_finished(PipelineState::cancelled));
  EXPECT_FALSE(is_finished(JobState::blocked));
  EXPECT_FALSE(is_finished(JobState::queued));
  EXPECT_FALSE(is_finished(JobState::running));
  EXPECT_TRUE(is_finished(JobState::skipped));
  EXPECT_TRUE(is_finished(JobState::timed_out));
}

}  // namespace
}  // namespace mlgate::core
