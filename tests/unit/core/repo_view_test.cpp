#include "core/repo_view.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace mlgate::core {
namespace {

TEST(RepoView, CurrentDeploymentIsTheFirstRowOfEachEnvironment) {
  // Rows newest first.
  EXPECT_EQ(current_per_environment({"production", "staging", "production", "dev", "staging"}),
            (std::vector<std::size_t>{0, 1, 3}));
  EXPECT_TRUE(current_per_environment({}).empty());
}

TEST(RepoView, DeploymentMarksJoinTheEnvironmentsOfOneCommit) {
  const auto marks = deployment_marks({{"production", "aaa"}, {"staging", "bbb"}, {"dev", "aaa"}});
  ASSERT_EQ(marks.size(), 2u);
  EXPECT_EQ(marks.at("aaa"), "deployed: production, dev");
  EXPECT_EQ(marks.at("bbb"), "deployed: staging");
  EXPECT_TRUE(deployment_marks({}).empty());
}

TEST(RepoView, TrendsAreOnePerMetricSortedByName) {
  const std::vector<TrendCommit> commits = {{1, "1111111111111111"}, {2, "2222222222222222"}};
  const std::vector<MetricSample> samples = {
      {1, "loss", 0.5}, {1, "accuracy", 0.8}, {2, "accuracy", 0.85}};
  const auto t = metric_trends(commits, samples, {});
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0].metric, "accuracy");
  EXPECT_EQ(t[1].metric, "loss");
  EXPECT_EQ(t[0].reported, 2);
  EXPECT_EQ(t[1].reported, 1);
}

TEST(RepoView, TrendPointsFollowTheCommitsWithNaNForMissingValues) {
  const std::vector<TrendCommit> commits = {
      {1, "aaaaaaaaaaaaaaaaaaaa"}, {2, "bbbbbbbbbbbbbbbbbbbb"}, {3, "cccccccccccccccccccc"}};
  const std::vector<MetricSample> samples = {{1, "loss", 0.5}, {3, "loss", 0.3}};
  const auto t = metric_trends(commits, samples, {});
  ASSERT_EQ(t.size(), 1u);
  ASSERT_EQ(t[0].points.size(), 3u);
  EXPECT_EQ(t[0].points[0].label, "aaaaaaaaaaaa");  // the short sha
  EXPECT_DOUBLE_EQ(t[0].points[0].value, 0.5);
  EXPECT_TRUE(std::isnan(t[0].points[1].value));
  EXPECT_DOUBLE_EQ(t[0].points[2].value, 0.3);
  ASSERT_TRUE(t[0].latest);
  EXPECT_DOUBLE_EQ(*t[0].latest, 0.3);
}

TEST(RepoView, TheLastSampleOfACommitWins) {
  // Samples come in tier order: the later tier's value is the commit's.
  const std::vector<TrendCommit> commits = {{7, "abc"}};
  const auto t = metric_trends(commits, {{7, "accuracy", 0.7}, {7, "accuracy", 0.9}}, {});
  ASSERT_EQ(t.size(), 1u);
  EXPECT_DOUBLE_EQ(t[0].points[0].value, 0.9);
  EXPECT_EQ(t[0].reported, 1);
}

TEST(RepoView, LatestSkipsNonFiniteValues) {
  const std::vector<TrendCommit> commits = {{1, "a"}, {2, "b"}};
  const auto t = metric_trends(
      commits, {{1, "loss", 0.4}, {2, "loss", std::numeric_limits<double>::infinity()}}, {});
  ASSERT_TRUE(t[0].latest);
  EXPECT_DOUBLE_EQ(*t[0].latest, 0.4);
  const auto none = metric_trends(commits, {{2, "loss", std::nan("")}}, {});
  EXPECT_FALSE(none[0].latest);
}

TEST(RepoView, DeployedCommitsAreMarked) {
  const std::vector<TrendCommit> commits = {{1, "aaa"}, {2, "bbb"}};
  const auto t =
      metric_trends(commits, {{1, "m", 1}, {2, "m", 2}}, {{"bbb", "deployed: production"}});
  EXPECT_EQ(t[0].points[0].mark, "");
  EXPECT_EQ(t[0].points[1].mark, "deployed: production");
}

TEST(RepoView, SamplesOfOtherPipelinesAreCountedButNotPlotted) {
  const std::vector<TrendCommit> commits = {{1, "a"}};
  const auto t = metric_trends(commits, {{1, "m", 1}, {99, "m", 5}}, {});
  ASSERT_EQ(t[0].points.size(), 1u);
  EXPECT_DOUBLE_EQ(t[0].points[0].value, 1);
  EXPECT_EQ(t[0].reported, 2);
}

TEST(RepoView, NoSamplesNoTrends) {
  EXPECT_TRUE(metric_trends({{1, "a"}}, {}, {}).empty());
}

TEST(JobView, PageRefreshesWhileTheJobWaitsOrRuns) {
  EXPECT_TRUE(job_page_refreshes(JobState::blocked));
  EXPECT_TRUE(job_page_refreshes(JobState::queued));
  EXPECT_TRUE(job_page_refreshes(JobState::running));
  for (auto s : {JobState::passed, JobState::failed, JobState::timed_out, JobState::cancelled,
                 JobState::error, JobState::skipped})
    EXPECT_FALSE(job_page_refreshes(s)) << to_string(s);
}

TEST(JobView, AttemptOutcomeText) {
  EXPECT_EQ(attempt_outcome_text(AttemptOutcome::lease_expired, true), "lease_expired");
  EXPECT_EQ(attempt_outcome_text(AttemptOutcome::passed, true), "passed");
  EXPECT_EQ(attempt_outcome_text(std::nullopt, false), "running");
  EXPECT_EQ(attempt_outcome_text(std::nullopt, true), "");
}

TEST(JobView, ResultsFilesByNameWithTheirSizes) {
  const auto files = results_files(R"({"metrics.json": 120, "junit.xml": 4096, "odd": "x"})");
  ASSERT_EQ(files.size(), 3u);
  EXPECT_EQ(files[0].first, "junit.xml");
  EXPECT_EQ(files[0].second, 4096);
  EXPECT_EQ(files[1].first, "metrics.json");
  EXPECT_EQ(files[1].second, 120);
  EXPECT_EQ(files[2].first, "odd");
  EXPECT_FALSE(files[2].second);
}

TEST(JobView, ResultsFilesOfSomethingElseAreNone) {
  EXPECT_TRUE(results_files("{}").empty());
  EXPECT_TRUE(results_files("[]").empty());
  EXPECT_TRUE(results_files("null").empty());
  EXPECT_TRUE(results_files("not json").empty());
}

TEST(JobView, LogTailKeepsTheLastBytes) {
  bool cut = true;
  EXPECT_EQ(log_tail("hello", 10, cut), "hello");
  EXPECT_FALSE(cut);
  EXPECT_EQ(log_tail("hello", 5, cut), "hello");
  EXPECT_FALSE(cut);
  EXPECT_EQ(log_tail("hello world", 5, cut), "world");
  EXPECT_TRUE(cut);
  EXPECT_EQ(log_tail("", 5, cut), "");
  EXPECT_FALSE(cut);
}

}  // namespace
}  // namespace mlgate::core
