-- Retention of pipelines, logs and gate decisions (docs/operations.md, "Retention").
-- When the retention pass deleted a job's log and predictions (the job, its tests and metrics stay).
ALTER TABLE jobs ADD COLUMN logs_deleted_at timestamptz;
-- The retention pass looks for finished pipelines by age, the newest pipeline of each ref, and
-- gate decisions by age.
CREATE INDEX pipelines_finished ON pipelines (finished_at) WHERE finished_at IS NOT NULL;
CREATE INDEX pipelines_repo_ref ON pipelines (repo_id, ref, id DESC);
CREATE INDEX gate_decisions_created ON gate_decisions (created_at);
