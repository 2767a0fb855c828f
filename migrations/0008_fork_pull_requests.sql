-- Untrusted changes are contained (docs/security.md, "Fork pull requests"): each repository says
-- what happens to pull requests from forks, a fork's pipeline waits for a maintainer's approval in
-- the new state awaiting_approval, and the approval is recorded with who gave it.
ALTER TABLE repos
  ADD COLUMN fork_pull_requests text NOT NULL DEFAULT 'approve'
    CHECK (fork_pull_requests IN ('approve', 'run', 'ignore'));

ALTER TABLE pipelines
  ADD COLUMN from_fork   boolean NOT NULL DEFAULT false,
  ADD COLUMN approved_by text,
  ADD COLUMN approved_at timestamptz,
  DROP CONSTRAINT pipelines_state_check,
  ADD CONSTRAINT pipelines_state_check
    CHECK (state IN ('pending', 'running', 'passed', 'failed', 'cancelled', 'error',
                     'awaiting_approval')),
  -- Only a fork's code waits for approval, and an approval names who gave it and when.
  ADD CONSTRAINT pipelines_awaiting_approval_from_fork
    CHECK (state <> 'awaiting_approval' OR from_fork),
  ADD CONSTRAINT pipelines_approval_recorded
    CHECK ((approved_by IS NULL) = (approved_at IS NULL) AND (approved_by IS NULL OR from_fork));

