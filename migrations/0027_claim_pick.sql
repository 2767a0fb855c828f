-- The runner protocol's claim and finish with fewer round trips and less work per cycle
-- (docs/bench.md, "runners").

-- The claim's pick (store::claim_job): the first queued job, in jobs_claimable's order, of the
-- given tiers that no concurrent claim holds, and not a fork's when `forks` is false. Right after a
-- burst of new jobs the statistics still say the queue is nearly empty, and the planner then reads
-- every queued row (a bitmap scan, the fork check per row, a sort): 200 ms instead of 0.4 ms with
-- 12,000 queued. The function's own setting keeps bitmap scans out of its plan, whatever the
-- statistics say, without a round trip to set and reset it around the claim; PL/pgSQL keeps the
-- plan for the session, so the claim statement itself can be prepared.
CREATE FUNCTION mlgate_claim_pick(tiers text[], forks boolean) RETURNS bigint
LANGUAGE plpgsql SET enable_bitmapscan = off AS $$
DECLARE
  picked bigint;
BEGIN
  SELECT j.id INTO picked FROM jobs j
    WHERE j.state = 'queued' AND j.tier = ANY (tiers)
      AND (forks OR NOT EXISTS (SELECT 1 FROM pipelines p WHERE p.id = j.pipeline_id
                                  AND p.from_fork))
    ORDER BY j.priority, j.queued_at, j.id LIMIT 1 FOR UPDATE OF j SKIP LOCKED;
  RETURN picked;
END $$;

-- feedback_due once per statement instead of once per state_changes row: a claim writes the job's
-- and the pipeline's change in one statement. `seq` still grows with every statement that records
-- a change, so the reporter still sees a change made during its work. Pipelines in id order, so
-- that two statements touching the same pipelines lock their rows in the same order.
CREATE FUNCTION mlgate_feedback_due_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO feedback_due (pipeline_id)
    SELECT DISTINCT pipeline_id FROM new_changes ORDER BY pipeline_id
    ON CONFLICT (pipeline_id) DO UPDATE SET seq = feedback_due.seq + 1;
  RETURN NULL;
END $$;

DROP TRIGGER state_changes_feedback_due ON state_changes;
DROP FUNCTION mlgate_feedback_due();
CREATE TRIGGER state_changes_feedback_due AFTER INSERT ON state_changes
  REFERENCING NEW TABLE AS new_changes
  FOR EACH STATEMENT EXECUTE FUNCTION mlgate_feedback_due_rows();

-- store::next_pipeline_state in SQL, for the finish's one statement (store::finish_job): the state
-- a pipeline moves to from its current state and its jobs' counts. The two must agree
-- (tests/integration/store/job_queue_test.cpp compares them on every combination).
CREATE FUNCTION mlgate_next_pipeline_state(cur text, total bigint, running bigint, waiting bigint,
                                           failed bigint, cancelled bigint) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE
    WHEN cur = 'error' OR total = 0 THEN cur
    WHEN running > 0 THEN 'running'
    WHEN waiting > 0 AND cur = 'awaiting_approval' THEN cur
    WHEN waiting > 0 THEN
      CASE WHEN cur = 'running' OR failed + cancelled > 0 THEN 'running' ELSE 'pending' END
    WHEN failed > 0 THEN 'failed'
    WHEN cancelled > 0 THEN 'cancelled'
    ELSE 'passed'
  END
$$;

-- A transaction that set mlgate.quiet_changes (the claim and the finish, before their first
-- write) queues no gate trigger event at all: the condition is checked as each row is written,
-- so the rows of a quiet statement cost no trigger call at its end. The functions still check it
-- too (migration 0017).
DROP TRIGGER pipelines_notify_gate ON pipelines;
CREATE TRIGGER pipelines_notify_gate
  AFTER INSERT OR DELETE OR UPDATE OF state ON pipelines
  FOR EACH ROW WHEN (coalesce(current_setting('mlgate.quiet_changes', true), '') <> 'on')
  EXECUTE FUNCTION mlgate_notify_gate_of_repo();
DROP TRIGGER jobs_notify_gate ON jobs;
CREATE TRIGGER jobs_notify_gate
  AFTER INSERT OR DELETE OR UPDATE OF state, attempt, results_files ON jobs
  FOR EACH ROW WHEN (coalesce(current_setting('mlgate.quiet_changes', true), '') <> 'on')
  EXECUTE FUNCTION mlgate_notify_gate_of_pipeline();
DROP TRIGGER state_changes_notify_gate ON state_changes;
CREATE TRIGGER state_changes_notify_gate
  AFTER INSERT ON state_changes
  FOR EACH ROW WHEN (coalesce(current_setting('mlgate.quiet_changes', true), '') <> 'on')
  EXECUTE FUNCTION mlgate_notify_gate_of_pipeline();
