-- The gate's view of a commit (store::gate_view_of_commit) names the newest test case and metric
-- row of the commit's jobs in its cache marker: a replaced upload gives its rows new ids. With an
-- index on job_id alone, each lookup read every test case and metric of every job of the commit
-- (a suite of thousands of tests: thousands of rows, twice per uncached gate check: the candidate
-- and the deployed commit). Ordered by (job_id, id), the newest row of a job is the last entry
-- of its range: one entry per job.
CREATE INDEX test_cases_job_newest ON test_cases (job_id, id);
DROP INDEX test_cases_job;
CREATE INDEX metrics_job_newest ON metrics (job_id, id);
