-- Forge feedback (issue 5 point 5; docs/forge-feedback.md): commit statuses per tier and per gate,
-- and answers to GitHub deployment protection rules, all sent off the request path through
-- forge_outbox.

-- Pipelines whose state changed since the reporter last looked. A trigger keeps it, so that every
-- writer of state_changes (planner, runner protocol, lease expiry, cancel) is covered; `seq` lets
-- the reporter delete only what it has seen (a change during its work leaves the row due).
CREATE TABLE feedback_due (
  pipeline_id bigint PRIMARY KEY REFERENCES pipelines (id) ON DELETE CASCADE,
  seq         bigint NOT NULL DEFAULT 1,
  since       timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION mlgate_feedback_due() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO feedback_due (pipeline_id) VALUES (NEW.pipeline_id)
    ON CONFLICT (pipeline_id) DO UPDATE SET seq = feedback_due.seq + 1;
  RETURN NULL;
END
$$;

CREATE TRIGGER state_changes_feedback_due AFTER INSERT ON state_changes
  FOR EACH ROW EXECUTE FUNCTION mlgate_feedback_due();

-- The outbox: `context` names what a request is about (mlgate/validation, mlgate/gate/prod,
-- protection/<id>) so that an unchanged status is not sent twice and statuses of one context are
-- sent in order (a newer one supersedes an older one still waiting); a request that can never
-- succeed (4xx) or ran out of attempts is given up, with the last error kept. `claimed_until` is
-- the lease of the sender that is sending it now.
ALTER TABLE forge_outbox ADD COLUMN context text NOT NULL DEFAULT '';
ALTER TABLE forge_outbox ADD COLUMN sha text NOT NULL DEFAULT '';
ALTER TABLE forge_outbox ADD COLUMN claimed_until timestamptz;
ALTER TABLE forge_outbox ADD COLUMN gave_up_at timestamptz;
ALTER TABLE forge_outbox ADD COLUMN last_status integer;
DROP INDEX forge_outbox_due;
CREATE INDEX forge_outbox_due ON forge_outbox (next_attempt_at)
  WHERE sent_at IS NULL AND gave_up_at IS NULL;
CREATE INDEX forge_outbox_context ON forge_outbox (repo_id, sha, context, id DESC);

-- A GitHub deployment protection rule waiting for its answer. It is answered (approved or
-- rejected) as soon as the gate decides; while the gate is pending it is re-checked whenever the
-- commit's pipeline changes.
CREATE TABLE protection_requests (
  id               bigserial PRIMARY KEY,
  repo_id          bigint NOT NULL REFERENCES repos (id) ON DELETE CASCADE,
  delivery_id      bigint REFERENCES webhook_deliveries (id) ON DELETE SET NULL,
  sha              text NOT NULL CHECK (sha ~ '^[0-9a-f]{40}([0-9a-f]{24})?$'),
  environment      text NOT NULL,
  callback_url     text NOT NULL,
  deployment_id    bigint,
  state            text NOT NULL DEFAULT 'waiting' CHECK (state IN ('waiting', 'answered')),
  answer           text CHECK (answer IN ('approved', 'rejected')),
  gate_decision_id bigint REFERENCES gate_decisions (id) ON DELETE SET NULL,
  comment          text,
  check_after      timestamptz DEFAULT now(),   -- NULL: wait for the pipeline to change
  created_at       timestamptz NOT NULL DEFAULT now(),
  answered_at      timestamptz,
  CHECK ((state = 'answered') = (answer IS NOT NULL))
);
CREATE UNIQUE INDEX protection_requests_once ON protection_requests (repo_id, callback_url);
CREATE INDEX protection_requests_waiting ON protection_requests (repo_id, sha) WHERE state = 'waiting';
