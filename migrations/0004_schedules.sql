-- Nightly schedules (issue 6 point 4; docs/schedules.md). Per (repo, tier): the cron expression
-- the scheduler last read on the default branch and when it first saw it. A schedule never fires
-- for a time before it was known (neither when first seen nor after its expression changed);
-- what did fire is in `schedules`, whose UNIQUE (repo_id, tier, scheduled_for) makes a double fire
-- impossible.
CREATE TABLE schedule_cursors (
  repo_id     bigint NOT NULL REFERENCES repos (id) ON DELETE CASCADE,
  tier        text NOT NULL CHECK (tier IN ('functionality', 'validation', 'training')),
  cron        text NOT NULL,
  known_since timestamptz NOT NULL,
  sha         text NOT NULL,                 -- the default branch head it was read at
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (repo_id, tier)
);
-- The scheduled run a pipeline was created for (and ON DELETE SET NULL when pipelines go).
CREATE INDEX schedules_pipeline ON schedules (pipeline_id);
