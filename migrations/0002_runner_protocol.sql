-- The runner protocol (issue 4): a malformed or oversized results file fails the job even when its
-- command exited 0; the message says which file and where.
ALTER TABLE jobs ADD COLUMN results_error text;
-- The files a job uploaded, with their sizes, so pages can list them.
ALTER TABLE jobs ADD COLUMN results_files jsonb NOT NULL DEFAULT '{}';
-- Runners online: a heartbeat, a claim or any other protocol call marks the runner seen.
CREATE INDEX runners_last_seen ON runners (last_seen_at);
CREATE INDEX job_attempts_runner_open ON job_attempts (runner_id) WHERE ended_at IS NULL;
