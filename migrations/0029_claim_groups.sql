-- Claims in groups (docs/runners.md, "Claims and finishes in groups"): the claims that arrive
-- together are served by one statement and one commit (store::claim_jobs).

-- The picks of a group of claims: for each runner in order, skipping one that is disabled or gone
-- (its row is share-locked: a disable waits for the group, then re-queues what it got), the first
-- queued job, in jobs_claimable's order, of that runner's tiers (a comma-separated list) that no
-- concurrent claim holds and that no earlier runner of the group picked, and not a fork's when its
-- `forks` is false. Answers each served runner's position (1-based) and its job. Sets
-- mlgate.quiet_changes once one runner is known to be enabled, before the caller writes anything.
-- Bitmap scans stay out of its plans whatever the statistics say (as mlgate_claim_pick's, which it
-- replaces: migration 0027). The fork check is a scalar subquery on the pipeline's primary key, run
-- for the rows the walk reaches (one or a few): written as NOT EXISTS it was planned as a hashed
-- subplan that read every pipeline on each claim of a `local` runner (8 ms with 30,000 pipelines).
-- ROWS 1: a group is a few claims, and the claim statement (prepared, so planned once for all
-- groups) then finds the picked jobs and their pipelines by primary key; with the default
-- estimate of 1,000 rows its plan read the whole of jobs and pipelines for every group.
CREATE FUNCTION mlgate_claim_picks(runner_ids bigint[], tier_lists text[], forks boolean[])
RETURNS TABLE (slot integer, job_id bigint)
LANGUAGE plpgsql ROWS 1 SET enable_bitmapscan = off AS $$
DECLARE
  picked bigint[] := '{}';
  one bigint;
BEGIN
  FOR i IN 1 .. coalesce(cardinality(runner_ids), 0) LOOP
    PERFORM 1 FROM runners r WHERE r.id = runner_ids[i] AND r.disabled_at IS NULL FOR SHARE;
    CONTINUE WHEN NOT FOUND;
    PERFORM set_config('mlgate.quiet_changes', 'on', true);
    one := NULL;
    SELECT j.id INTO one FROM jobs j
      WHERE j.state = 'queued' AND j.tier = ANY (string_to_array(tier_lists[i], ','))
        AND j.id <> ALL (picked)
        AND (forks[i] OR NOT (SELECT p.from_fork FROM pipelines p WHERE p.id = j.pipeline_id))
      ORDER BY j.priority, j.queued_at, j.id LIMIT 1 FOR UPDATE OF j SKIP LOCKED;
    CONTINUE WHEN one IS NULL;
    picked := picked || one;
    slot := i;
    job_id := one;
    RETURN NEXT;
  END LOOP;
END $$;

DROP FUNCTION mlgate_claim_pick(text[], boolean);
